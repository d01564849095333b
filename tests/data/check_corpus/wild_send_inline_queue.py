# expect: PR008
import multiprocessing as mp


def handshake():
    left, right = mp.Pipe(duplex=True)
    left.send(mp.Queue())
    return right.recv()
