"""Scripts from real programs that fork runs and plain spawn/forkserver do not: procrun
must give fork's results under every start method.

Each script here is unguarded, as its authors wrote it, and the expected output is what
``python`` prints under fork.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import START_METHODS, assert_ok, err, out, run, run_procrun, run_python, write

pytestmark = pytest.mark.smoke

# A tutorial's lock example: ten children share a lock, and the script ends without
# joining them. Plain spawn unlinks the semaphore at exit before the children open it.
LOCK_NEVER_JOINED = """
import multiprocessing

def greet(lock, number):
    with lock:
        print("hello", number, flush=True)

lock = multiprocessing.Lock()
for number in range(10):
    multiprocessing.Process(target=greet, args=(lock, number)).start()
"""


def test_children_given_a_lock_they_are_never_joined_on_all_print(
    tmp_path: Path, start_method: str
) -> None:
    script = write(tmp_path / "lock_example.py", LOCK_NEVER_JOINED)
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert sorted(out(result).splitlines()) == sorted(f"hello {n}" for n in range(10))
    assert "FileNotFoundError" not in err(result), err(result)


# Process.start() drops the process object's arguments, so a lock made in the call is
# collected (and its name unlinked) while the child is still starting.
LOCK_MADE_IN_THE_CALL = """
import multiprocessing, sys

def greet(lock, number):
    with lock:  # each child's own lock: one write, so lines do not interleave
        sys.stdout.write(f"hello {number}\\n")

children = [
    multiprocessing.Process(target=greet, args=(multiprocessing.Lock(), n)) for n in range(4)
]
for child in children:
    child.start()
for child in children:
    child.join()
print("exit codes", [child.exitcode for child in children])
"""


def test_a_lock_only_the_child_holds_lives_until_the_child_has_it(
    tmp_path: Path, start_method: str
) -> None:
    script = write(tmp_path / "inline_lock.py", LOCK_MADE_IN_THE_CALL)
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    lines = out(result).splitlines()
    assert sorted(lines[:-1]) == [f"hello {n}" for n in range(4)]
    assert lines[-1] == "exit codes [0, 0, 0, 0]"


def test_plain_spawn_loses_the_lock_made_in_the_call(tmp_path: Path) -> None:
    # What the test above guards against, shown under python itself.
    script = write(
        tmp_path / "guarded.py",
        """
        import multiprocessing

        def greet(lock):
            with lock:
                pass

        if __name__ == "__main__":
            multiprocessing.set_start_method("spawn")
            child = multiprocessing.Process(target=greet, args=(multiprocessing.Lock(),))
            child.start()
            child.join()
            print("exit code", child.exitcode)
        """,
    )
    result = run_python(script)
    assert out(result) == "exit code 1\n"
    assert "FileNotFoundError" in err(result)


# The PyMOTW lock example hands sys.stdout to its children; other scripts keep a standard
# stream in a global. Under fork each child writes to the stream it inherited.
STREAMS = """
import multiprocessing, sys

log = sys.stderr
console = sys.__stdout__

def write_to(stream, text):
    stream.write(text + "\\n")
    stream.flush()

def report(number):
    log.write(f"log {number}\\n")
    log.flush()
    console.write(f"console {number}\\n")
    console.flush()
    return number

for name, stream in (("out", sys.stdout), ("err", sys.stderr)):
    child = multiprocessing.Process(target=write_to, args=(stream, "to " + name))
    child.start()
    child.join()
with multiprocessing.Pool(2) as pool:
    print(pool.map(report, [1, 2]))
"""


def test_standard_streams_travel_as_the_childs_own(tmp_path: Path, start_method: str) -> None:
    script = write(tmp_path / "streams.py", STREAMS)
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert sorted(out(result).splitlines()) == ["[1, 2]", "console 1", "console 2", "to out"]
    assert sorted(err(result).splitlines()) == ["log 1", "log 2", "to err"]


@pytest.mark.parametrize("start_method", [m for m in START_METHODS if m != "fork"])
def test_an_open_file_still_cannot_be_sent_as_under_python(
    tmp_path: Path, start_method: str
) -> None:
    # Only the standard streams have a meaning in the child; any other open file fails to
    # pickle exactly as it does under python.
    script = write(
        tmp_path / "open_file.py",
        """
        import multiprocessing, sys
        notes = open(sys.argv[1], "w")
        child = multiprocessing.Process(target=print, args=("x",), kwargs={"file": notes})
        child.start()
        """,
    )
    result = run_procrun(script, tmp_path / "notes.txt", start_method=start_method)
    assert result.returncode == 1
    last = err(result).splitlines()[-1]  # 3.12 words it differently; the type is the same
    assert last.startswith("TypeError: cannot pickle ") and "TextIOWrapper" in last


# A documented procrun choice: results are pickled as arguments are, so a worker may return
# a lambda or a closure (plain multiprocessing fails with MaybeEncodingError).
LAMBDA_RESULTS = """
import multiprocessing

def scaler(factor):
    return lambda value: value * factor

with multiprocessing.Pool(2) as pool:
    scalers = pool.map(scaler, [1, 2, 3])
print([scale(10) for scale in scalers])
"""


def test_lambdas_returned_by_workers_reach_the_parent(tmp_path: Path, start_method: str) -> None:
    script = write(tmp_path / "lambda_results.py", LAMBDA_RESULTS)
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert out(result) == "[10, 20, 30]\n"


# A script that keeps its Process object in a global that a function reads: the object
# travels to later children, and it carries procrun's globals carrier with it.
PROCESS_IN_A_GLOBAL = """
import multiprocessing

def load():
    return list(range(5))

DATA = load()

def work():
    print("child", len(DATA), worker.name, flush=True)

def show():
    print("last", worker.name)

for _ in range(2):
    worker = multiprocessing.Process(target=work)
    worker.start()
    worker.join()
show()
"""


def test_a_process_object_in_a_global_travels_without_recursion(
    tmp_path: Path, start_method: str
) -> None:
    # Through the console script, as users run it: the recursion's depth, and so what it
    # broke, depended on how deep the stack was.
    console = Path(sys.executable).with_name("procrun")
    if not console.exists():
        pytest.skip("procrun is not installed as a console script next to this python")
    script = write(tmp_path / "process_global.py", PROCESS_IN_A_GLOBAL)
    result = run([str(console), "--start-method", start_method, str(script)])
    assert_ok(result)
    assert out(result) == "child 5 Process-1\nchild 5 Process-2\nlast Process-2\n"
    assert err(result) == ""


# Child tracebacks as python prints them: no frame of procrun's, even when a global could
# not be copied (the NameError then carries a note saying why).
CHILD_TRACEBACKS = """
import multiprocessing
log = open(__file__)

def fail():
    raise ValueError("boom")

def read_log():
    return log.name

for target in (fail, read_log):
    child = multiprocessing.Process(target=target)
    child.start()
    child.join()
"""


def test_child_tracebacks_have_no_procrun_frames(tmp_path: Path, start_method: str) -> None:
    script = write(tmp_path / "child_tracebacks.py", CHILD_TRACEBACKS)
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    frames = [line for line in err(result).splitlines() if line.startswith("  File ")]
    assert frames and not [line for line in frames if "procrun" in line], err(result)
    assert "ValueError: boom" in err(result)
    if start_method != "fork":  # under fork the child has the file, as under python
        assert "NameError: name 'log' is not defined" in err(result)
        assert "procrun: the global 'log' was not copied into this child process" in err(result)


# Classes and functions of the script belong to __main__ in children, as under fork: an
# uncaught exception of the script's own class prints without a module prefix.
MAIN_NAMES = """
import multiprocessing

class MyError(Exception):
    pass

class Point:
    class Inner:
        pass

def fail():
    print(Point, Point.Inner, fail.__module__, flush=True)
    raise MyError("boom")

child = multiprocessing.Process(target=fail)
child.start()
child.join()
"""


def test_the_scripts_classes_belong_to_main_in_children(tmp_path: Path, start_method: str) -> None:
    script = write(tmp_path / "main_names.py", MAIN_NAMES)
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert out(result) == "<class '__main__.Point'> <class '__main__.Point.Inner'> __main__\n"
    assert err(result).splitlines()[-1] == "MyError: boom"


# CPython's test_large_fd_transfer, in our words: a descriptor numbered above 256 handed to a
# child with reduction.send_handle (the hang of issue 20 sat in the child's recvfds).
HIGH_FD_TRANSFER = """
import os
import multiprocessing
from multiprocessing import reduction

def read_it(conn):
    # As CPython's test does: every free number below 256 taken first, so the descriptor
    # received, and every one opened meanwhile, is numbered above it.
    for number in range(256):
        try:
            os.fstat(number)
        except OSError:
            os.dup(conn.fileno())
    fd = reduction.recv_handle(conn)
    with os.fdopen(fd, "rb") as handed:
        conn.send(handed.read())

parent_end, child_end = multiprocessing.Pipe()
child = multiprocessing.Process(target=read_it, args=(child_end,))
child.start()
r, w = os.pipe()
os.write(w, b"through a high descriptor")
os.close(w)
high = os.dup2(r, 300)
os.close(r)
assert high > 256
reduction.send_handle(parent_end, high, child.pid)
os.close(high)
print(parent_end.recv())
child.join()
print("exit", child.exitcode)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="descriptors pass as handles there")
@pytest.mark.parametrize("method", [m for m in START_METHODS if m != "fork"])
def test_a_descriptor_above_256_reaches_a_child(tmp_path: Path, method: str) -> None:
    script = write(tmp_path / "high_fd.py", HIGH_FD_TRANSFER)
    for _ in range(3):  # the hang was intermittent
        result = run_procrun(script, start_method=method, timeout=60)
        assert_ok(result)
        assert out(result) == "b'through a high descriptor'\nexit 0\n"
