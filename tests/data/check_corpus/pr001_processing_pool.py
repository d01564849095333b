# expect: PR001
# The old `processing` spelling: a pool created in the main module.
import processing


def double(x):
    return 2 * x


pool = processing.Pool(2)
print(pool.map(double, [1, 2, 3]))
pool.close()
pool.join()
