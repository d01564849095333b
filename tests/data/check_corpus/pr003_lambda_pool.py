# expect: PR003
from multiprocessing import Pool, freeze_support

if __name__ == "__main__":
    freeze_support()
    with Pool(2) as pool:
        print(pool.map(lambda x: x * 2, range(4)))
