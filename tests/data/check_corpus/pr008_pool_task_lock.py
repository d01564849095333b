# expect: PR008
from multiprocessing import Event, Pool


def wait_for(event):
    event.wait()


def main():
    event = Event()
    with Pool(2) as pool:
        pool.apply_async(wait_for, (event,))
        event.set()
