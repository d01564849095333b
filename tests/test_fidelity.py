"""Scripts from real programs that fork runs and plain spawn/forkserver do not: procrun
must give fork's results under every start method.

Each script here is unguarded, as its authors wrote it, and the expected output is what
``python`` prints under fork.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import assert_ok, err, out, run_procrun, run_python, write

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
