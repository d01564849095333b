# expect: PR008
import multiprocessing as mp
import processing


def main():
    parent, child = mp.Pipe()
    counter = mp.Value("i", 0)
    parent.send(counter)
    a, b = processing.Pipe()
    a.send((processing.SharedValue("d", 1.5), "payload"))
