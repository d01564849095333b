# expect: PR011
# Options kept in a class defined inside main(): its instances are pickled by reference to a
# class that a worker cannot find ("Can't pickle local object").
from concurrent.futures import ProcessPoolExecutor


def render(page, options):
    return f"{page}:{options.width}"


def main():
    class Options:
        width = 80

    with ProcessPoolExecutor() as executor:
        futures = [executor.submit(render, page, Options()) for page in range(3)]
        print([future.result() for future in futures])


if __name__ == "__main__":
    main()
