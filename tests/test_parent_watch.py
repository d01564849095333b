"""Every process of a tree is tied to its root, the process procrun runs the script in.

Terminating a child leaves its children to Python's semantics (they live on and see
``parent_process().is_alive()`` turn False); ending the root, however it ends, ends them all.
Real processes under every start method; the Windows handle, the macOS kqueue and the
old-kernel fallback are each shown by faking one fact in a real child process.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import (
    START_METHODS,
    assert_ok,
    err,
    out,
    process_table,
    run_procrun,
    run_python,
    write,
)

pytestmark = pytest.mark.smoke

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="exit codes of POSIX signals")
linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="pidfds, and /proc for the process table"
)

#: Seconds a run may take: every script here ends in well under a second when all is well.
TIMEOUT = 60
#: Seconds the descendants of a killed root may take to end (the watch's SIGKILL grace is 3).
WITHIN = 5.0


def guarded(definitions: str, actions: str) -> str:
    """A script python runs: ``definitions``, then ``actions`` under the ``__main__`` guard and
    the start method named in ``sys.argv[1]``."""
    return (
        definitions
        + "\nif __name__ == '__main__':\n"
        + "    multiprocessing.set_start_method(sys.argv[1])\n"
        + textwrap.indent(actions, "    ")
    )


def running(pids: list[int]) -> list[int]:
    """Those of ``pids`` that still run (a zombie waiting to be reaped runs nothing)."""
    states = {pid: state for pid, state, _, _ in process_table()}
    return [pid for pid in pids if states.get(pid, "Z") != "Z"]


def wait_until_gone(pids: list[int], within: float = WITHIN) -> list[int]:
    """Wait up to ``within`` seconds for ``pids`` to end; those still running are killed
    (so that no test leaves them to the next) and returned."""
    deadline = time.monotonic() + within
    while running(pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    survivors = running(pids)
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    return survivors


def pids_in(folder: Path) -> list[int]:
    return [int(path.read_text()) for path in sorted(folder.glob("*.pid"))]


# -- a terminated child's children carry on, as under python ----------------------------------

#: CPython's test_parent_process, as a script: the grandchild notices its parent's end.
ORPHANED_DEFINITIONS = """
import multiprocessing
import multiprocessing as mp
import sys
import time

def report(conn):
    parent = mp.parent_process()
    conn.send(f"grandchild sees its parent alive: {parent.is_alive()}")
    parent.join(30)
    conn.send(f"grandchild sees its parent alive: {parent.is_alive()}")
    time.sleep(0.2)  # work that goes on after the parent's end
    conn.send("grandchild finished its work")

def middle(conn):
    grandchild = mp.Process(target=report, args=(conn,))
    grandchild.start()
    time.sleep(60)
"""
ORPHANED_ACTIONS = """
reader, writer = mp.Pipe(duplex=False)
child = mp.Process(target=middle, args=(writer,))
child.start()
writer.close()
print(reader.recv())
child.terminate()
child.join()
print("child exit code", child.exitcode)
print(reader.recv())
print(reader.recv())
"""


@posix_only
def test_a_terminated_childs_child_lives_on_and_sees_its_parent_gone_as_under_python(
    tmp_path: Path, start_method: str
) -> None:
    unguarded = write(tmp_path / "orphaned.py", ORPHANED_DEFINITIONS + ORPHANED_ACTIONS)
    python_script = guarded(ORPHANED_DEFINITIONS, ORPHANED_ACTIONS)
    expected = run_python(
        write(tmp_path / "guarded.py", python_script), start_method, timeout=TIMEOUT
    )
    actual = run_procrun(unguarded, start_method=start_method, timeout=TIMEOUT)
    assert_ok(expected)
    assert_ok(actual)
    assert (
        out(actual)
        == out(expected)
        == (
            "grandchild sees its parent alive: True\n"
            "child exit code -15\n"
            "grandchild sees its parent alive: False\n"
            "grandchild finished its work\n"
        )
    )
    assert err(actual) == err(expected) == ""


# -- the root's end ends every descendant --------------------------------------------------

TREE = """
import multiprocessing as mp
import os
import signal
import sys
import time
from pathlib import Path

FOLDER = Path(sys.argv[1])

def note(name):
    (FOLDER / f"{name}.tmp").write_text(str(os.getpid()))
    (FOLDER / f"{name}.tmp").rename(FOLDER / f"{name}.pid")

def leaf(name):
    note(name)
    time.sleep(60)

def middle(name):
    for i in range(2):
        mp.Process(target=leaf, args=(f"{name}-leaf{i}",)).start()
    note(name)
    time.sleep(60)

for i in range(2):
    mp.Process(target=middle, args=(f"child{i}",)).start()
deadline = time.monotonic() + 30
while len(list(FOLDER.glob("*.pid"))) < 6 and time.monotonic() < deadline:
    time.sleep(0.01)
(FOLDER / "killed").write_text(repr(time.time()))
os.kill(os.getpid(), signal.SIGKILL)
"""


@linux_only
def test_killing_the_root_ends_children_and_grandchildren_within_seconds(
    tmp_path: Path, start_method: str
) -> None:
    script = write(tmp_path / "tree.py", TREE)
    folder = tmp_path / "pids"
    folder.mkdir()
    result = run_procrun(script, folder, start_method=start_method, timeout=TIMEOUT)
    # The run is over once every process holding its output has ended.
    ended_after = time.time() - float((folder / "killed").read_text())
    assert result.returncode == -signal.SIGKILL, err(result)
    pids = pids_in(folder)
    assert len(pids) == 6
    assert wait_until_gone(pids) == []
    assert ended_after < WITHIN, ended_after


#: The root terminates a child, sees the grandchild carry on, then dies of ``sys.argv[2]``.
ORPHAN_THEN_ROOT_DIES = """
import multiprocessing as mp
import os
import signal
import sys
import time
from pathlib import Path

FOLDER = Path(sys.argv[1])

def leaf(conn):
    (FOLDER / "leaf.pid").write_text(str(os.getpid()))
    parent = mp.parent_process()
    parent.join(30)
    conn.send(f"orphan sees its parent alive: {parent.is_alive()}")
    time.sleep(0.5)  # longer than a watch of the parent would have let it live
    conn.send("orphan still running")
    time.sleep(60)

def middle(conn):
    mp.Process(target=leaf, args=(conn,)).start()
    time.sleep(60)

reader, writer = mp.Pipe(duplex=False)
child = mp.Process(target=middle, args=(writer,))
child.start()
writer.close()
deadline = time.monotonic() + 30
while not (FOLDER / "leaf.pid").exists() and time.monotonic() < deadline:
    time.sleep(0.01)
child.terminate()
child.join()
print(reader.recv())
print(reader.recv(), flush=True)
(FOLDER / "killed").write_text(repr(time.time()))
os.kill(os.getpid(), getattr(signal, sys.argv[2]))
time.sleep(60)
"""


@linux_only
@pytest.mark.parametrize("name", ["SIGKILL", "SIGTERM"])
def test_a_grandchild_whose_parent_was_terminated_ends_when_the_root_is_killed(
    tmp_path: Path, start_method: str, name: str
) -> None:
    # SIGTERM takes procrun's orderly end (procrun.termination), which terminates only the
    # root's own children: the orphan ends by its watch of the root.
    script = write(tmp_path / "orphan.py", ORPHAN_THEN_ROOT_DIES)
    folder = tmp_path / "pids"
    folder.mkdir()
    result = run_procrun(script, folder, name, start_method=start_method, timeout=TIMEOUT)
    ended_after = time.time() - float((folder / "killed").read_text())
    assert out(result) == "orphan sees its parent alive: False\norphan still running\n", err(result)
    assert result.returncode == -getattr(signal, name), err(result)
    assert wait_until_gone(pids_in(folder)) == []
    assert ended_after < WITHIN, ended_after


# -- whose root: a nested procrun is one, a plain python is no part of the tree ---------------

#: Starts ``sys.argv[2]`` (a procrun or a python command, then a script) detached from this
#: run's output, waits for the child it starts, then dies of SIGKILL.
OUTER = """
import json, os, signal, subprocess, sys, time
from pathlib import Path

FOLDER = Path(sys.argv[1])
inner = subprocess.Popen(
    [*json.loads(sys.argv[2]), str(FOLDER)],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
)
(FOLDER / "inner.pid").write_text(str(inner.pid))
deadline = time.monotonic() + 30
while not (FOLDER / "child.pid").exists() and time.monotonic() < deadline:
    time.sleep(0.01)
os.kill(os.getpid(), signal.SIGKILL)
"""

INNER_DEFINITIONS = """
import multiprocessing
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

def child(folder):
    (Path(folder) / "child.tmp").write_text(str(os.getpid()))
    (Path(folder) / "child.tmp").rename(Path(folder) / "child.pid")
    time.sleep(60)
"""
INNER_ACTIONS = """
mp.Process(target=child, args=(sys.argv[-1],)).start()
time.sleep(60)
"""


def start_inside_a_killed_procrun(
    tmp_path: Path, command: list[str], start_method: str
) -> tuple[int, int]:
    """Run OUTER under procrun with ``command`` as its subprocess, until OUTER dies; the pids
    of that subprocess and of the child it started."""
    outer = write(tmp_path / "outer.py", OUTER)
    folder = tmp_path / "pids"
    folder.mkdir()
    result = run_procrun(
        outer, folder, json.dumps(command), start_method=start_method, timeout=TIMEOUT
    )
    assert result.returncode == -signal.SIGKILL, err(result)
    return int((folder / "inner.pid").read_text()), int((folder / "child.pid").read_text())


@linux_only
def test_a_procrun_that_the_script_runs_is_the_root_of_its_own_tree(
    tmp_path: Path, start_method: str
) -> None:
    inner = write(tmp_path / "inner.py", INNER_DEFINITIONS + INNER_ACTIONS)
    command = [sys.executable, "-m", "procrun", "-s", start_method, str(inner)]
    inner_root, child = start_inside_a_killed_procrun(tmp_path, command, start_method)
    try:
        time.sleep(0.5)  # a watch of the outer root would have ended the child by now
        assert running([inner_root, child]) == [inner_root, child]
    finally:
        os.kill(inner_root, signal.SIGKILL)
    assert wait_until_gone([child]) == []  # it watches the inner root


@linux_only
def test_a_plain_python_that_the_script_runs_is_no_part_of_the_tree(tmp_path: Path) -> None:
    inner = write(tmp_path / "inner.py", guarded(INNER_DEFINITIONS, INNER_ACTIONS))
    command = [sys.executable, str(inner), "spawn"]
    plain, child = start_inside_a_killed_procrun(tmp_path, command, "spawn")
    try:
        os.kill(plain, signal.SIGKILL)
        time.sleep(0.5)
        assert running([child]) == [child]  # as python leaves it: nothing watches
    finally:
        wait_until_gone([plain, child], within=0)


# -- what each process holds: one pidfd, of the root ----------------------------------------

PIDFDS = """
import multiprocessing as mp
import os

def pidfds():
    held = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}") == "anon_inode:[pidfd]":
                with open(f"/proc/self/fdinfo/{name}") as info:
                    held += [int(line.split()[1]) for line in info if line.startswith("Pid:")]
        except OSError:
            pass
    return ["root" if pid == ROOT else pid for pid in held]

def report(conn, depth):
    if depth < 3:
        child = mp.Process(target=report, args=(conn, depth + 1))
        child.start()
        child.join()
    conn.send((depth, pidfds()))

ROOT = os.getpid() if __name__ == "__main__" else int(os.environ["PROCRUN_ROOT"].split(":")[0])
reader, writer = mp.Pipe(duplex=False)
child = mp.Process(target=report, args=(writer, 1))
child.start()
child.join()
print(sorted(reader.recv() for _ in range(3)))
"""


@linux_only
def test_every_descendant_holds_one_pidfd_and_it_is_the_roots(
    tmp_path: Path, start_method: str
) -> None:
    # Under fork a child inherits its parent's pidfd and closes it before opening its own.
    script = write(tmp_path / "pidfds.py", PIDFDS)
    result = run_procrun(script, start_method=start_method, timeout=TIMEOUT)
    assert_ok(result)
    assert out(result) == "[(1, ['root']), (2, ['root']), (3, ['root'])]\n"


@linux_only
def test_a_pid_whose_start_time_is_not_the_roots_names_a_root_that_has_ended(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Linux gives a dead root's pid out again: the mark's start time tells the two apart.
    from procrun import parent_watch

    monkeypatch.delenv(parent_watch.ENV_ROOT, raising=False)
    parent_watch.mark_root()
    pid, start = parent_watch._root_from_environment() or (0, None)
    assert pid == os.getpid()
    assert start is not None and start == parent_watch._start_time(pid)
    descriptor = parent_watch._open_root(pid, start)
    assert isinstance(descriptor, int)
    os.close(descriptor)
    assert parent_watch._open_root(pid, str(int(start) + 1)) is parent_watch.GONE


# -- other systems, each by one fact faked in a real child ----------------------------------

#: Plain python (no procrun hooks, so only the faked path watches): the root marks itself, its
#: child starts a leaf that watches as on another system (FAKE makes ``record`` the call that
#: opens the root and installs it), the root terminates the child, the leaf carries on, and
#: the root dies of SIGKILL.
FAKED_DEFINITIONS = """
import multiprocessing
import multiprocessing.connection  # before sys.platform is faked
import os
import select
import signal
import sys
import time
import types
from pathlib import Path

import procrun.imports
import procrun.watcher
from procrun import parent_watch

FOLDER = Path(sys.argv[2])

def record(call):
    (FOLDER / "opened").write_text(call)

def on_sigterm(signum, frame):
    (FOLDER / "note").write_text("handler ran")
    sys.exit(0)
{fake}
def leaf(conn):
    signal.signal(signal.SIGTERM, on_sigterm)
    fake()
    platform, sys.platform = sys.platform, {platform!r}
    try:
        parent_watch.watch(multiprocessing.parent_process().sentinel)
    finally:
        sys.platform = platform
    (FOLDER / "leaf.pid").write_text(str(os.getpid()))
    parent = multiprocessing.parent_process()
    parent.join(30)
    conn.send(f"orphan sees its parent alive: {{parent.is_alive()}}")
    time.sleep(0.5)  # longer than a watch of the parent would have let it live
    conn.send("orphan still running")
    while True:
        time.sleep(0.05)  # Python code between sleeps: a handler can run without a signal

def middle(conn):
    multiprocessing.Process(target=leaf, args=(conn,)).start()
    time.sleep(60)
"""
FAKED_ACTIONS = """
parent_watch.mark_root()
(FOLDER / "root.pid").write_text(str(os.getpid()))
reader, writer = multiprocessing.Pipe(duplex=False)
child = multiprocessing.Process(target=middle, args=(writer,))
child.start()
writer.close()
deadline = time.monotonic() + 30
while not (FOLDER / "leaf.pid").exists() and time.monotonic() < deadline:
    time.sleep(0.01)
child.terminate()
child.join()
print(reader.recv())
print(reader.recv(), flush=True)
(FOLDER / "killed").write_text(repr(time.time()))
os.kill(os.getpid(), signal.SIGKILL)
"""

#: Windows: the root is opened with _winapi.OpenProcess (here a pidfd stands in for the
#: handle, which multiprocessing.connection.wait waits on as it would on a handle there).
WINDOWS_FAKE = """
def open_process(access, inherit, pid):
    record(f"OpenProcess({access == SYNCHRONIZE}, {inherit}, {pid})")
    return os.pidfd_open(pid)

SYNCHRONIZE = 0x00100000

def fake():
    winapi = types.ModuleType("_winapi")
    winapi.OpenProcess, winapi.SYNCHRONIZE = open_process, SYNCHRONIZE
    sys.modules["_winapi"] = winapi
"""

#: macOS: the root's NOTE_EXIT is registered in a kqueue, whose descriptor the watcher polls
#: (here a pidfd stands in for the kqueue's descriptor: readable once the root has exited).
MACOS_FAKE = """
class kevent:
    def __init__(self, ident, filter, flags, fflags):
        self.call = f"kevent({ident}, {filter}, {flags}, {fflags})"
        self.ident = ident

class kqueue:
    def control(self, changes, max_events, timeout=None):
        (change,) = changes
        record(f"{change.call}, {max_events}")
        self.descriptor = os.pidfd_open(change.ident)  # ESRCH for a pid nobody has, as kevent
        return []

    def fileno(self):
        return self.descriptor

    def close(self):
        pass

def fake():
    select.kqueue, select.kevent = kqueue, kevent
    select.KQ_FILTER_PROC, select.KQ_EV_ADD, select.KQ_NOTE_EXIT = -5, 1, 0x80000000
"""


@linux_only
@pytest.mark.parametrize(
    ("platform", "fake", "opened", "within", "method"),
    [
        # the leaf's handler runs at once, from the watch thread (no SIGTERM there)
        ("win32", WINDOWS_FAKE, "OpenProcess(True, False, {root})", 2.0, "spawn"),
        *(
            ("darwin", MACOS_FAKE, "kevent({root}, -5, 1, 2147483648), 0", WITHIN, method)
            for method in START_METHODS
        ),
    ],
    ids=["windows-handle", *(f"macos-kqueue-{method}" for method in START_METHODS)],
)
def test_other_systems_watch_the_root_not_the_parent(
    tmp_path: Path, platform: str, fake: str, opened: str, within: float, method: str
) -> None:
    definitions = FAKED_DEFINITIONS.format(fake=fake, platform=platform)
    script = write(tmp_path / "faked.py", guarded(definitions, FAKED_ACTIONS))
    folder = tmp_path / "files"
    folder.mkdir()
    result = run_python(script, method, folder, timeout=TIMEOUT)
    ended_after = time.time() - float((folder / "killed").read_text())
    assert result.returncode == -signal.SIGKILL, err(result)
    assert out(result) == "orphan sees its parent alive: False\norphan still running\n"
    root = int((folder / "root.pid").read_text())
    assert (folder / "opened").read_text() == opened.format(root=root)
    assert (folder / "note").read_text() == "handler ran"
    assert wait_until_gone([int((folder / "leaf.pid").read_text())]) == []
    assert ended_after < within, ended_after


#: A kernel before 5.3: pidfd_open exists in Python but the system call does not.
OLD_KERNEL = """
import errno, os

def pidfd_open(pid, flags=0):
    raise OSError(errno.ENOSYS, os.strerror(errno.ENOSYS))

os.pidfd_open = pidfd_open
"""

FALLBACK = """
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

FOLDER = Path(sys.argv[1])

def leaf(conn):
    (FOLDER / "leaf.pid").write_text(str(os.getpid()))
    time.sleep(60)

def middle(conn):
    mp.Process(target=leaf, args=(conn,)).start()
    time.sleep(60)

reader, writer = mp.Pipe(duplex=False)
child = mp.Process(target=middle, args=(writer,))
child.start()
writer.close()
deadline = time.monotonic() + 30
while not (FOLDER / "leaf.pid").exists() and time.monotonic() < deadline:
    time.sleep(0.01)
child.terminate()
child.join()
try:
    reader.poll(10) and reader.recv()
except EOFError:  # the leaf, the last to hold the other end, has ended
    print("the grandchild ended with its parent")
"""


@linux_only
def test_without_pidfds_a_child_watches_its_parent(tmp_path: Path, start_method: str) -> None:
    site = write(tmp_path / "site" / "sitecustomize.py", OLD_KERNEL)
    script = write(tmp_path / "fallback.py", FALLBACK)
    folder = tmp_path / "files"
    folder.mkdir()
    result = run_procrun(
        script,
        folder,
        start_method=start_method,
        env={"PYTHONPATH": str(site.parent)},
        timeout=TIMEOUT,
    )
    assert_ok(result)
    assert out(result) == "the grandchild ended with its parent\n"
    assert wait_until_gone(pids_in(folder)) == []


#: A watched child forks plainly; the fork closes and reuses every number below 64 that the
#: watch held, then starts a multiprocessing child with fork, which must find them untouched.
REUSED_NUMBERS = """
import multiprocessing
import os
import sys

from procrun import parent_watch

def check(numbers, inode, results):
    results.put([os.fstat(n).st_ino == inode for n in numbers])

def child(results):
    numbers = list(parent_watch._watching[1])
    if os.fork() == 0:  # a plain fork, as a daemonising library makes
        try:
            own = os.open(__file__, os.O_RDONLY)
            spare = os.dup(own)  # so that closing `own` frees no number that is checked
            for number in numbers:
                os.dup2(spare, number)
            if own not in numbers:
                os.close(own)
            inode = os.fstat(spare).st_ino
            fork = multiprocessing.get_context("fork")
            inner = fork.Process(target=check, args=(numbers, inode, results))
            inner.start()
            inner.join()
        finally:
            os._exit(0)
    os.wait()

if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    results = multiprocessing.Queue()
    watched = multiprocessing.Process(target=child, args=(results,))
    watched.start()
    print(results.get(timeout=30))
    watched.join()
"""


@linux_only
@pytest.mark.parametrize("method", [m for m in START_METHODS if m != "fork"])
def test_a_plain_fork_childs_reused_descriptor_numbers_are_left_alone(
    tmp_path: Path, method: str
) -> None:
    # The watch's own descriptors are closed in the fork child at once, not later by number:
    # by then a plain fork child may have given those numbers to files of its own.
    script = write(tmp_path / "reused.py", REUSED_NUMBERS)
    result = run_procrun(script, method, timeout=TIMEOUT)
    assert_ok(result)
    assert out(result) == "[True]\n"
