# expect: error
# Python 2: the guidelines' examples were written for it. Reported as such.
from processing import Process

def foo():
    print 'hello'

if __name__ == '__main__':
    p = Process(target=foo)
    p.start()
