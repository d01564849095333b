# expect: PR003
from concurrent import futures


def scaled(factor):
    def scale(x):
        return x * factor

    return scale


def run(values, factor):
    scale = scaled(factor)
    with futures.ProcessPoolExecutor() as ex:
        return [ex.submit(scale, v).result() for v in values]


def run_inline(values, factor):
    def scale(x):
        return x * factor

    with futures.ProcessPoolExecutor() as ex:
        return list(ex.map(scale, values))
