# expect: none
# queue.Queue is a thread queue: nothing is pickled, a multiprocessing Lock may go on it.
import queue
import multiprocessing

pending = queue.Queue()
pending.put(multiprocessing.Lock())
