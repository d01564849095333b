"""The rules of ``procrun check``, as data: one record per rule, nothing that runs.

Each rule names the programming guideline it enforces (``guideline`` is quoted word for word
from ``programming-guidelines.txt``), says why in ``rationale``, and shows a ``bad`` and a
``good`` example. The engine fills ``message`` with the names it found.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass


def _example(code: str) -> str:
    return textwrap.dedent(code).lstrip("\n")


@dataclass(frozen=True)
class Rule:
    """One check: a stable code, what it reports, and the guideline behind it."""

    code: str
    name: str
    summary: str  # one line, for tables and SARIF short descriptions
    message: str  # str.format template filled by the engine
    guideline: str
    rationale: str
    bad: str
    good: str
    fixable: bool = False


RULES: tuple[Rule, ...] = (
    Rule(
        code="PR001",
        name="process-started-at-import",
        summary="A process, pool or manager is started at import time, outside the main guard.",
        message='{what} at import time, outside `if __name__ == "__main__":`: under '
        "spawn/forkserver every child re-runs it",
        guideline="Make sure that the main module can be safely imported by a new Python "
        "interpreter without causing unintended side effects (such a starting a new process).",
        rationale="Under spawn (Windows, macOS) and forkserver (Linux from Python 3.14) each "
        "child imports the main module again. A process start that runs at import time runs "
        "in every child too: `Process.start()` fails with 'An attempt has been made to start "
        "a new process before the current process has finished its bootstrapping phase', and "
        "a Pool respawns failing workers forever. The guidelines add: 'Similar restrictions "
        "apply if a pool or manager is created in the main module.' Put the start under "
        '`if __name__ == "__main__":` (procrun fix does it), or run the script with '
        "`procrun script.py`.",
        bad=_example(
            """
            from multiprocessing import Process


            def foo():
                print('hello')


            p = Process(target=foo)
            p.start()
            """
        ),
        good=_example(
            """
            from multiprocessing import Process, freeze_support


            def foo():
                print('hello')


            if __name__ == '__main__':
                freeze_support()
                p = Process(target=foo)
                p.start()
            """
        ),
        fixable=True,
    ),
    Rule(
        code="PR002",
        name="missing-freeze-support",
        summary="A frozen program that starts processes lacks freeze_support() as the first "
        "statement of its main guard.",
        message="{what}",
        guideline="However, if the program uses processing then one needs to call "
        "freezeSupport() immediately after the if __name__ == '__main__': line of the main "
        "module.",
        rationale="A frozen executable (PyInstaller, cx_Freeze, py2exe) starts its children by "
        "running the executable itself; `freeze_support()` is what turns such a run into a "
        "child. Called later than the first line of the main guard, the child has already run "
        "part of the parent's program. The guidelines: 'Note that calling freezeSupport() at "
        "some other point in the main module is likely to cause problems.' Anywhere else "
        "`freeze_support()` does nothing, so this rule reports only where freezing is "
        "evident: the file reads `sys.frozen` or `sys._MEIPASS` or calls `freeze_support()` "
        "already, the project has a PyInstaller `.spec` or a build configuration naming a "
        "freezer, `[tool.procrun]` says `frozen = true`, or PR002 is selected by name.",
        bad=_example(
            """
            from multiprocessing import Pool


            def square(x):
                return x * x


            if __name__ == '__main__':
                with Pool(2) as pool:
                    print(pool.map(square, range(4)))
            """
        ),
        good=_example(
            """
            from multiprocessing import Pool, freeze_support


            def square(x):
                return x * x


            if __name__ == '__main__':
                freeze_support()
                with Pool(2) as pool:
                    print(pool.map(square, range(4)))
            """
        ),
        fixable=True,
    ),
    Rule(
        code="PR003",
        name="unpicklable-target",
        summary="A lambda, nested function or closure is a Process target or pool function.",
        message="{what} is passed as {role}: it cannot be pickled, so it fails {when} with "
        "plain `python`",
        guideline="Ensure that all arguments to Process.__init__() are picklable.",
        rationale="Every function sent to a Pool or a ProcessPoolExecutor travels to the "
        "workers through a queue, pickled, under every start method, fork included; the "
        "target of a Process (and a pool's initializer) is pickled under spawn and "
        "forkserver. Functions are pickled by reference: module and qualified name. A "
        "lambda, or a function defined inside another function, has no such name, so "
        "pickling fails ('Can't pickle <function <lambda>>'). Define the function at module "
        "level (pass what the closure captured as arguments, or bind them with "
        "functools.partial). A Process that is never started sends nothing anywhere and is "
        "not reported.",
        bad=_example(
            """
            from multiprocessing import Pool


            def main():
                k = 3
                with Pool(2) as pool:
                    print(pool.map(lambda x: x * k, range(4)))
            """
        ),
        good=_example(
            """
            from functools import partial
            from multiprocessing import Pool


            def scale(x, k):
                return x * k


            def main():
                with Pool(2) as pool:
                    print(pool.map(partial(scale, k=3), range(4)))
            """
        ),
    ),
    Rule(
        code="PR004",
        name="threading-primitive-shared-with-process",
        summary="A threading lock, event, condition or semaphore is shared with a process.",
        message="`threading` {kind} `{name}` is shared with a process {how}: it does not "
        "synchronise processes; use a queue, a pipe or multiprocessing's primitives",
        guideline="It is probably best to stick to using queues or pipes for communication "
        "between processes rather than using the lower level synchronization primitives from "
        "the threading module.",
        rationale="A `threading` lock lives in one process's memory. Under fork the child gets "
        "a copy that nobody else sees (and that may be copied in the locked state); under "
        "spawn/forkserver it cannot be pickled at all. Either way it synchronises nothing "
        "between processes. Use `multiprocessing.Lock()` (passed to the Process) or, better, "
        "communicate through a queue or a pipe.",
        bad=_example(
            """
            import threading
            from multiprocessing import Process, freeze_support


            def work(lock):
                with lock:
                    print('working')


            if __name__ == '__main__':
                freeze_support()
                lock = threading.Lock()
                p = Process(target=work, args=(lock,))
                p.start()
                p.join()
            """
        ),
        good=_example(
            """
            import multiprocessing


            def work(lock):
                with lock:
                    print('working')


            if __name__ == '__main__':
                multiprocessing.freeze_support()
                lock = multiprocessing.Lock()
                p = multiprocessing.Process(target=work, args=(lock,))
                p.start()
                p.join()
            """
        ),
    ),
    Rule(
        code="PR005",
        name="join-before-queue-drained",
        summary="join() on a process before the queue it writes to is read: may deadlock.",
        message="`{process}.join()` waits for a process that writes to `{queue}` before "
        "`{queue}` is read: the child cannot exit until its data is consumed, a deadlock",
        guideline="Unlike Python's standard Queue.Queue type (when a maximum size is not "
        "specified), processing.Queue does not guarantee that put() will succeed without "
        "blocking.",
        rationale="A process that has put items on a queue does not end until they have all "
        "been flushed to the underlying pipe, and the pipe holds only a few kilobytes. If "
        "the parent joins the child before reading the queue, the child waits for the reader "
        "and the parent waits for the child. Read everything the child sends (or at least as "
        "many items as it sends) first, then join.",
        bad=_example(
            """
            from multiprocessing import Process, Queue, freeze_support


            def produce(q):
                q.put('x' * 1_000_000)


            if __name__ == '__main__':
                freeze_support()
                q = Queue()
                p = Process(target=produce, args=(q,))
                p.start()
                p.join()
                print(len(q.get()))
            """
        ),
        good=_example(
            """
            from multiprocessing import Process, Queue, freeze_support


            def produce(q):
                q.put('x' * 1_000_000)


            if __name__ == '__main__':
                freeze_support()
                q = Queue()
                p = Process(target=produce, args=(q,))
                p.start()
                print(len(q.get()))
                p.join()
            """
        ),
    ),
    Rule(
        code="PR006",
        name="global-changed-for-process",
        summary="A global a process target reads is assigned or mutated in the main block or "
        "after the process starts.",
        message="global `{name}`, read by process target `{target}`, is {how}: under "
        "spawn/forkserver the child sees {sees}",
        guideline="Bear in mind that if code run in a child process tries to access a global "
        "variable, then the value it sees (if any) may not be the same as the value in the "
        "parent process at the time that start() was called.",
        rationale="A spawned child imports the main module afresh: it sees the module-level "
        "value of a global, not what the main block assigned (and no value at all if only "
        "the main block binds it). Changes made after start() never reach a child under any "
        "start method. The guidelines: 'However, global variables which are just module "
        "level constants cause no problems.' Pass the value as an argument instead.",
        bad=_example(
            """
            from multiprocessing import Process, freeze_support

            LIMIT = 10


            def work():
                print(LIMIT)


            if __name__ == '__main__':
                freeze_support()
                LIMIT = 99
                p = Process(target=work)
                p.start()
                p.join()
            """
        ),
        good=_example(
            """
            from multiprocessing import Process, freeze_support

            LIMIT = 10


            def work(limit):
                print(limit)


            if __name__ == '__main__':
                freeze_support()
                p = Process(target=work, args=(99,))
                p.start()
                p.join()
            """
        ),
    ),
    Rule(
        code="PR007",
        name="proxy-shared-between-threads",
        summary="A manager proxy is used from several threads without a lock or a "
        "copy.copy() per thread.",
        message="manager proxy `{name}` is used from several threads without a lock: give "
        "each thread `copy.copy({name})`, or protect it with a lock",
        guideline="Do not use a proxy object from more than one thread unless you protect it "
        "with a lock.",
        rationale="A proxy talks to the manager process through a connection, and the "
        "guidelines do not promise that one proxy may be used by several threads at once. "
        "Hand each thread its own copy (the guidelines: 'Alternatively another copy of the "
        "proxy can be created using the copy.copy() function.'), or serialise the calls with "
        "a lock. Different processes using the 'same' proxy is never a problem.",
        bad=_example(
            """
            import threading
            from multiprocessing import Manager, freeze_support


            def add(d, i):
                d[i] = i * i


            if __name__ == '__main__':
                freeze_support()
                with Manager() as m:
                    d = m.dict()
                    ts = [threading.Thread(target=add, args=(d, i)) for i in range(4)]
                    for t in ts:
                        t.start()
                    for t in ts:
                        t.join()
            """
        ),
        good=_example(
            """
            import copy
            import threading
            from multiprocessing import Manager, freeze_support


            def add(d, i):
                d[i] = i * i


            if __name__ == '__main__':
                freeze_support()
                with Manager() as m:
                    d = m.dict()
                    ts = [threading.Thread(target=add, args=(copy.copy(d), i)) for i in range(4)]
                    for t in ts:
                        t.start()
                    for t in ts:
                        t.join()
            """
        ),
    ),
    Rule(
        code="PR008",
        name="inherit-only-object-sent",
        summary="A lock, queue or shared value is put on a queue, sent through a pipe or "
        "passed to a pool task.",
        message="{what} is {how}: it can only be shared through inheritance (an argument of "
        "`Process`)",
        guideline="For the sake of compatibility it is better not to rely on these types "
        "being picklable.",
        rationale="Lock, RLock, Semaphore, BoundedSemaphore, Condition, Event, Queue and the "
        "shared values are not picklable on Unix (the guidelines list them); multiprocessing "
        "raises 'RuntimeError: ... objects should only be shared between processes through "
        "inheritance'. Pass them to Process() (or a Pool's initializer) when the child is "
        "created, or use a manager's proxies (`manager.Lock()`, `manager.Queue()`), which "
        "may be sent anywhere.",
        bad=_example(
            """
            from multiprocessing import Lock, Pipe, freeze_support

            if __name__ == '__main__':
                freeze_support()
                a, b = Pipe()
                a.send(Lock())
            """
        ),
        good=_example(
            """
            from multiprocessing import Manager, Pipe, freeze_support

            if __name__ == '__main__':
                freeze_support()
                with Manager() as m:
                    a, b = Pipe()
                    a.send(m.Lock())
            """
        ),
    ),
    Rule(
        code="PR009",
        name="unpicklable-process-attribute",
        summary="A Process subclass stores something unpicklable in __init__.",
        message="`{cls}.__init__` stores {what} in `self.{attr}`: the instance cannot be "
        "pickled when start() runs under spawn/forkserver",
        guideline="Also, if you subclass Process then make sure that instances will be "
        "picklable when the start() method is called.",
        rationale="Under spawn and forkserver, start() pickles the Process object with all "
        "its attributes to send it to the child. A threading lock, an open file, a "
        "thread or a lambda stored by __init__ cannot be pickled, so start() fails, "
        "although the same class works under fork. Store what is needed to make them (a "
        "path, an address) and create them in run(), or use multiprocessing's primitives.",
        bad=_example(
            """
            import threading
            from multiprocessing import Process


            class Worker(Process):
                def __init__(self, path):
                    super().__init__()
                    self.out = open(path, 'a')
                    self.lock = threading.Lock()
            """
        ),
        good=_example(
            """
            import multiprocessing


            class Worker(multiprocessing.Process):
                def __init__(self, path):
                    super().__init__()
                    self.path = path
                    self.lock = multiprocessing.Lock()

                def run(self):
                    with open(self.path, 'a') as out, self.lock:
                        out.write('x')
            """
        ),
    ),
    Rule(
        code="PR010",
        name="bounded-queue-filled-before-consumers",
        summary="A bounded queue is filled in a loop before any consumer starts.",
        message="`{queue}` holds at most {maxsize} items and is filled in a loop before any "
        "process that reads it has started: put() blocks forever once it is full",
        guideline="If both queues are unbuffered then one will get a deadlock if one tries to "
        "push too many tasks on the task queue without removing any from the result queue.",
        rationale="put() on a queue created with a maximum size blocks while the queue is "
        "full. Filling it in a loop before the consumers run (or without draining the result "
        "queue) blocks the main process for good: the guidelines' task-queue deadlock. Start "
        "the consumers first, drain results as you go, or use an unbounded queue "
        "(`processing.BufferedQueue`, or `Queue()` without a maximum size).",
        bad=_example(
            """
            from multiprocessing import Process, Queue, freeze_support


            def work(q):
                while q.get() is not None:
                    pass


            if __name__ == '__main__':
                freeze_support()
                q = Queue(maxsize=10)
                for i in range(100):
                    q.put(i)
                q.put(None)
                p = Process(target=work, args=(q,))
                p.start()
                p.join()
            """
        ),
        good=_example(
            """
            from multiprocessing import Process, Queue, freeze_support


            def work(q):
                while q.get() is not None:
                    pass


            if __name__ == '__main__':
                freeze_support()
                q = Queue(maxsize=10)
                p = Process(target=work, args=(q,))
                p.start()
                for i in range(100):
                    q.put(i)
                q.put(None)
                p.join()
            """
        ),
    ),
    Rule(
        code="PR011",
        name="unpicklable-argument",
        summary="An open file, a standard stream or another unpicklable object is passed to a "
        "process or a pool task.",
        message="{what} is passed {how}: it cannot be pickled, so it fails {when} with plain "
        "`python`",
        guideline="Ensure that all arguments to Process.__init__() are picklable.",
        rationale="A Process's args and kwargs are pickled to reach the child under spawn "
        "and forkserver, and a pool's task arguments go through a queue, pickled, under every "
        "start method. Open files (sys.stdout and sys.stderr among them), database "
        "connections, subprocesses, threads and thread queues cannot be pickled: start() or "
        "the task fails with 'cannot pickle ... object', although a Process works under fork. "
        "Pass what the child needs to make its own (a path, a connection string) and open it "
        "there; the child already has its own sys.stdout. (Sockets and multiprocessing's "
        "locks, queues and pipes are fine: multiprocessing knows how to send them.)",
        bad=_example(
            """
            from multiprocessing import Process, freeze_support


            def report(stream, path):
                with open(path) as source:
                    stream.write(source.read())


            if __name__ == '__main__':
                freeze_support()
                log = open('run.log', 'a')
                p = Process(target=report, args=(log, 'input.txt'))
                p.start()
                p.join()
            """
        ),
        good=_example(
            """
            from multiprocessing import Process, freeze_support


            def report(log_path, path):
                with open(path) as source, open(log_path, 'a') as log:
                    log.write(source.read())


            if __name__ == '__main__':
                freeze_support()
                p = Process(target=report, args=('run.log', 'input.txt'))
                p.start()
                p.join()
            """
        ),
    ),
)

#: code -> rule
BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}
ALL_CODES: frozenset[str] = frozenset(BY_CODE)

#: What ``procrun check`` reports for a file that only Python 2 can read.
PYTHON2_HINT = "Python 2 source; procrun checks Python 3 code (port it first, e.g. with 2to3)"
