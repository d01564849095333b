# expect: PR009
# The socket is fine (multiprocessing duplicates its descriptor into the child); the lock
# is not.
import socket
import threading

import processing


class Server(processing.Process):
    def __init__(self, port):
        processing.Process.__init__(self)
        self.lock = threading.RLock()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock = sock
        self.port = port

    def run(self):
        with self.lock:
            self.sock.bind(("127.0.0.1", self.port))
