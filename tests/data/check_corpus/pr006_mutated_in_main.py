# expect: PR006
import processing

SETTINGS = {"verbose": False}


def report(n):
    if SETTINGS["verbose"]:
        print("item", n)


if __name__ == "__main__":
    processing.freezeSupport()
    SETTINGS["verbose"] = True
    p = processing.Process(target=report, args=(1,))
    p.start()
    p.join()
