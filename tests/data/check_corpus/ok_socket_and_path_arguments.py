# expect: none
# A connected socket and a path are fine to pass: multiprocessing duplicates the socket's
# descriptor into the child, and the child opens the file itself.
import multiprocessing
import socket


def serve(connection, log_path):
    with open(log_path, "a") as log:
        log.write(connection.recv(100).decode())


if __name__ == "__main__":
    left, right = socket.socketpair()
    worker = multiprocessing.Process(target=serve, args=(right, "served.log"))
    worker.start()
    left.sendall(b"hello")
    worker.join()
