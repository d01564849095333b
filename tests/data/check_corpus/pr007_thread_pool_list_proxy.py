# expect: PR007
from concurrent.futures import ThreadPoolExecutor

import processing


def record(items, n):
    items.append(n)


def main():
    manager = processing.Manager()
    items = manager.list()
    with ThreadPoolExecutor(max_workers=4) as pool:
        for n in range(8):
            pool.submit(record, items, n)
    print(len(items))
