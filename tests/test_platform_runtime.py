"""processing's paths for Windows, macOS and windowed apps, proved on Linux.

Windows and macOS cannot run here, so each test fakes one platform fact in a real python
process (and in the children it starts: the fact is set by a ``sitecustomize`` module on
``PYTHONPATH``, or at the top of the script) and runs the real code with real processes:

- no ``select.poll`` (Windows; some macOS builds): the join watch must look at a child's
  sentinel another way;
- ``multiprocessing.Pipe()`` returns another class than the socket-based ``Connection``
  (Windows: ``PipeConnection``, named pipes): ``processing.Pipe()`` must keep its transport;
- semaphores without ``sem_getvalue`` (macOS): ``qsize()`` raises a clear NotImplementedError;
- ``sys.stderr`` None (``pythonw``, PyInstaller ``--windowed``): warnings are dropped, as
  python drops them, and nothing else changes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import START_METHODS, assert_ok, err, out, run_python, write

pytestmark = pytest.mark.timeout(120)

#: The fakes below stand in for Windows and macOS on a POSIX system (os.pipe, fd passing).
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="fakes another OS on POSIX")
#: Start methods that pickle the child's target and arguments (all but fork).
PICKLING_METHODS = [method for method in START_METHODS if method != "fork"]


def faking(tmp_path: Path, source: str) -> dict[str, str]:
    """An environment whose python processes (children too) run ``source`` at start-up."""
    site = write(tmp_path / "site" / "sitecustomize.py", source)
    return {"PYTHONPATH": str(site.parent)}


# -- no select.poll: the join watch --------------------------------------------------------

NO_POLL = """
import select
del select.poll
"""

JOINS = """
import multiprocessing, sys, threading, time
import processing


def produce(results):
    results.put(b"x" * (4 << 20))


def nap(seconds):
    time.sleep(seconds)


if __name__ == "__main__":
    import select
    assert not hasattr(select, "poll")
    multiprocessing.set_start_method(sys.argv[1])
    # ordinary joins of running children: without a timeout, and with one past the grace
    for timeout in (None, 10):
        sleeper = processing.Process(target=nap, args=(0.3,))
        sleeper.start()
        sleeper.join(timeout)
        print("sleeper", sleeper.exitcode)
    sleeper = processing.Process(target=nap, args=(3,))
    sleeper.start()
    sleeper.join(1.5)  # times out while the child runs: no warning, it holds no queue
    print("still running", sleeper.exitcode)
    sleeper.join()
    # the guidelines' deadlock: join() before get(); a thread gets later to end it
    results = processing.Queue()
    child = processing.Process(target=produce, args=(results,), name="producer")
    child.start()
    got = []
    getter = threading.Timer(2.0, lambda: got.append(results.get(timeout=30)))
    getter.start()
    child.join(30)
    getter.join(30)
    print("joined", child.exitcode, "after a get of", len(got[0]), "bytes")
"""


@posix_only
def test_join_watch_warns_and_joins_work_where_select_has_no_poll(
    tmp_path: Path, start_method: str
) -> None:
    script = write(tmp_path / "joins.py", JOINS)
    result = run_python(script, start_method, env=faking(tmp_path, NO_POLL))
    assert_ok(result)
    assert out(result) == (
        f"sleeper 0\nsleeper 0\nstill running None\njoined 0 after a get of {4 << 20} bytes\n"
    )
    assert err(result).count("RuntimeWarning") == 1, err(result)
    assert "producer (pid " in err(result) and "get() the items before join()" in err(result)
