# expect: PR003
# A lambda bound to a module-level name still has no importable name: '<lambda>'.
import processing

square = lambda x: x * x  # noqa: E731


def compute():
    pool = processing.Pool(2)
    try:
        return pool.map(square, range(10))
    finally:
        pool.close()
