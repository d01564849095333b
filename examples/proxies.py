# The guidelines: "Do not use a proxy object from more than one thread unless you protect it
# with a lock. Alternatively another copy of the proxy can be created using copy.copy()."
# A manager's list, appended to by threads of the main process (through the shared proxy under
# a lock, and through copies) and by two child processes. Unguarded: run it with procrun.
import copy
import threading

import processing

manager = processing.Manager()
log = manager.list()
lock = threading.Lock()


def from_thread(proxy, tag, use_lock):
    for i in range(50):
        if use_lock:
            with lock:
                proxy.append((tag, i))
        else:
            proxy.append((tag, i))


def from_child(proxy, tag):
    for i in range(50):
        proxy.append((tag, i))


threads = [
    threading.Thread(target=from_thread, args=(log, "shared proxy, locked", True)),
    threading.Thread(target=from_thread, args=(log, "shared proxy, locked too", True)),
    threading.Thread(target=from_thread, args=(copy.copy(log), "a copy of the proxy", False)),
]
children = [processing.Process(target=from_child, args=(log, f"child {n}")) for n in (1, 2)]
for worker in threads + children:
    worker.start()
for worker in threads + children:
    worker.join()

counts = {}
for tag, _ in log:
    counts[tag] = counts.get(tag, 0) + 1
for tag in sorted(counts):
    print(f"{tag}: {counts[tag]}")
manager.shutdown()
