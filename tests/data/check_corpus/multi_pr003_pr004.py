# expect: PR003 PR004
import threading
from multiprocessing import Process


def main():
    lock = threading.Lock()
    p = Process(target=lambda: print("hi"), args=(), kwargs={"lock": lock})
    p.start()
    p.join()
