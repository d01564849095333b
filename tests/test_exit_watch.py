"""An exit that waits forever on a queue nobody reads gets named (``processing.exit_watch``).

A main process that put more on a queue than its pipe holds, and that nobody reads, hangs
at exit: multiprocessing's exit joins the queue's feeder thread, which waits for room in the
pipe. python hangs without a word; procrun names the queue once, after ``EXIT_GRACE``
seconds, and goes on waiting. Each hanging program runs in a session of its own and is ended
by the test with SIGTERM, after which nothing of it may be left.

The runs that must stay silent print whether the watch is in place in their process (it
is, and it says nothing), so that they pin the watch's silence, not its absence.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest
from conftest import (
    START_METHODS,
    assert_no_leaks,
    assert_ok,
    clean_env,
    err,
    out,
    process_table,
    procrun_command,
    run_procrun,
    write,
)
from processing.exit_watch import EXIT_GRACE

pytestmark = [
    pytest.mark.smoke,
    pytest.mark.timeout(120),
    pytest.mark.skipif(sys.platform == "win32", reason="ended by SIGTERM, in sessions"),
]

WAIT = 30  # seconds any one step may take before the test fails instead of hanging

#: 1 MiB in 8 items on a queue nobody reads: far more than a pipe holds (64 KiB).
UNREAD = """
    import multiprocessing
    import processing

    multiprocessing.set_start_method("{method}")
    items = {make}
    for n in range(8):
        items.put(bytes([n]) * (128 << 10))
    print("put", flush=True)
"""

#: Printed by the programs that must stay silent: the watch is in place in their process.
WATCHED = """
    import multiprocessing.queues
    print("watched:", hasattr(multiprocessing.queues.Queue._finalize_join, "__wrapped__"))
"""


class Running:
    """A program started in a session of its own, its output gathered as it comes."""

    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=clean_env(),
            start_new_session=True,
        )
        self.stdout = bytearray()
        self.stderr = bytearray()
        self._readers = [
            threading.Thread(target=_gather, args=(stream, into), daemon=True)
            for stream, into in (
                (self.process.stdout, self.stdout),
                (self.process.stderr, self.stderr),
            )
        ]
        for reader in self._readers:
            reader.start()

    @property
    def out(self) -> str:
        return self.stdout.decode()

    @property
    def err(self) -> str:
        return self.stderr.decode()

    def wait_for(self, gathered: bytearray, text: str, seconds: float = WAIT) -> bool:
        """Whether ``text`` arrives in ``gathered`` (self.stdout or self.stderr) in time."""
        deadline = time.monotonic() + seconds
        while text.encode() not in gathered:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def alive(self) -> bool:
        return self.process.poll() is None

    def end(self) -> int:
        """SIGTERM the program (its main process only); its exit status once it has ended."""
        self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(WAIT)
        for reader in self._readers:
            reader.join(WAIT)
        return status

    def leftovers(self) -> list[int]:
        """The processes of its session still running a moment after it ended."""
        deadline = time.monotonic() + 3
        while (left := _living_members(self.process.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        return left


def _gather(stream: IO[bytes], into: bytearray) -> None:
    descriptor = stream.fileno()
    for chunk in iter(lambda: os.read(descriptor, 1 << 16), b""):
        into.extend(chunk)


def _living_members(group: int) -> list[int]:
    if sys.platform.startswith("linux"):  # zombies (reparented, never reaped here) do not count
        return [pid for pid, state, _, pgrp in process_table() if pgrp == group and state != "Z"]
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return []
    return [group]


@contextmanager
def running(command: list[str]) -> Iterator[Running]:
    program = Running(command)
    try:
        yield program
    finally:
        try:
            os.killpg(program.process.pid, signal.SIGKILL)  # whatever a failed test left
        except ProcessLookupError:
            pass
        program.process.wait(WAIT)
        for reader in program._readers:
            reader.join(5)  # the pipes' end: every process that held them is gone
        for stream in (program.process.stdout, program.process.stderr):
            if stream is not None:
                stream.close()


def line_of(script: Path, text: str) -> int:
    return next(n for n, line in enumerate(script.read_text().splitlines(), 1) if text in line)


# -- named: the exit waits on a queue nobody reads -----------------------------------------


def test_an_exit_stuck_on_an_unread_queue_is_named_once_and_still_waits(
    tmp_path: Path, start_method: str
) -> None:
    script = write(
        tmp_path / "unread.py", UNREAD.format(method=start_method, make="multiprocessing.Queue()")
    )
    created = line_of(script, "items = ")
    with (
        running([*procrun_command(), "-s", start_method, str(script)]) as procrun,
        running([sys.executable, str(script)]) as python,
    ):
        assert procrun.wait_for(procrun.stdout, "put\n"), procrun.err
        assert python.wait_for(python.stdout, "put\n"), python.err
        assert procrun.wait_for(procrun.stderr, "  items = multiprocessing.Queue()\n"), procrun.err
        time.sleep(EXIT_GRACE + 0.5)  # time for a second message, and python has waited longer
        assert procrun.alive() and python.alive()
        message = procrun.err
        assert message.count("RuntimeWarning") == 1, message
        assert message.startswith(
            f"{script}:{created}: RuntimeWarning: MainProcess (pid {procrun.process.pid}) "
            f"has waited {EXIT_GRACE:g} s at exit for the Queue created here: "
            f"8 items put on it are not in the queue's pipe yet, and nobody reads them."
        ), message
        assert "get() the items before the program ends" in message, message
        assert "call cancel_join_thread() on the queue" in message, message
        assert python.err == ""  # python hangs without a word
        # SIGTERM ends the named wait as it ends python's
        assert procrun.end() == python.end() == -signal.SIGTERM
        assert procrun.leftovers() == [] and python.leftovers() == []
        assert_no_leaks(bytes(procrun.stderr))
        assert_no_leaks(bytes(python.stderr))


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        ("multiprocessing.JoinableQueue()", "JoinableQueue"),
        ("processing.Queue()", "Queue"),
        ("processing.BufferedQueue()", "BufferedQueue"),
    ],
)
def test_each_kind_of_queue_is_named_where_the_script_made_it(
    tmp_path: Path, make: str, kind: str
) -> None:
    method = START_METHODS[0]
    script = write(tmp_path / "unread.py", UNREAD.format(method=method, make=make))
    with running([*procrun_command(), "-s", method, str(script)]) as procrun:
        assert procrun.wait_for(procrun.stderr, f"  items = {make}\n"), procrun.err
        assert procrun.alive()
        assert procrun.err.startswith(
            f"{script}:{line_of(script, 'items = ')}: RuntimeWarning: MainProcess"
        ), procrun.err
        assert f"at exit for the {kind} created here: 8 items" in procrun.err, procrun.err
        assert procrun.end() == -signal.SIGTERM
        assert procrun.leftovers() == []


# -- silent: the exit does not wait, or waits on a reader ----------------------------------


@pytest.mark.parametrize(
    "ending",
    [
        "for _ in range(8):\n        items.get(timeout=30)",
        "items.cancel_join_thread()",
    ],
    ids=["drained", "cancel_join_thread"],
)
def test_a_drained_or_cancelled_queue_exits_silently(
    tmp_path: Path, start_method: str, ending: str
) -> None:
    source = UNREAD.format(method=start_method, make="multiprocessing.Queue()")
    script = write(tmp_path / "ends.py", source + f"    {ending}\n" + WATCHED)
    result = run_procrun(script, start_method=start_method, timeout=WAIT)
    assert_ok(result)
    assert out(result) == "put\nwatched: True\n"
    assert err(result) == ""


SLOW_CHILD_READER = """
    import multiprocessing
    import time

    def read_late(items):
        time.sleep({late})  # longer than EXIT_GRACE: the parent's feeder waits that long
        for _ in range(8):
            items.get(timeout=30)
        print("read 8", flush=True)

    items = multiprocessing.Queue()
    reader = multiprocessing.Process(target=read_late, args=(items,))
    reader.start()
    for n in range(8):
        items.put(bytes([n]) * (128 << 10))
"""


def test_a_slow_child_reader_is_no_cause(tmp_path: Path, start_method: str) -> None:
    # The exit joins the children, then the feeders: by then this reader has read them all.
    source = SLOW_CHILD_READER.format(late=EXIT_GRACE + 1)
    script = write(tmp_path / "slow_child.py", source + WATCHED)
    result = run_procrun(script, start_method=start_method, timeout=WAIT)
    assert_ok(result)
    assert out(result) == "watched: True\nread 8\n"
    assert err(result) == ""


def test_the_programs_own_join_thread_is_no_cause(tmp_path: Path) -> None:
    # join_thread() before the end waits for the slow child as long: not the exit's wait.
    source = SLOW_CHILD_READER.format(late=EXIT_GRACE + 1)
    ending = "    items.close()\n    items.join_thread()\n"
    script = write(tmp_path / "join_thread.py", source + WATCHED + ending)
    result = run_procrun(script, start_method=START_METHODS[0], timeout=WAIT)
    assert_ok(result)
    assert out(result) == "watched: True\nread 8\n"
    assert err(result) == ""


SLOW_THREAD_READER = """
    import multiprocessing
    import threading
    import time

    items = multiprocessing.Queue()
    for n in range(8):
        items.put(bytes([n]) * (128 << 10))

    def read_slowly():
        for _ in range(8):
            time.sleep(0.6)  # still reading while the exit waits for the feeder
            try:
                items.get(timeout=30)
            except (OSError, ValueError):  # the feeder closes the reading end after its last item
                return

    threading.Thread(target=read_slowly, daemon=True).start()
"""


def test_a_reader_still_reading_during_the_exit_is_no_cause(tmp_path: Path) -> None:
    # The exit's wait lasts longer than EXIT_GRACE, but the items are going: no message.
    script = write(tmp_path / "slow_thread.py", SLOW_THREAD_READER + WATCHED)
    started = time.monotonic()
    result = run_procrun(script, timeout=WAIT)
    assert_ok(result)
    assert time.monotonic() - started > EXIT_GRACE  # the exit did wait past the grace
    assert out(result) == "watched: True\n"
    assert err(result) == ""


CHILD_STUCK_AT_EXIT = """
    import multiprocessing, sys

    def put_unread(items):
        for n in range(8):
            items.put(bytes([n]) * (128 << 10))
        sys.stdout.write("put\\n")  # one write: the parent prints at the same time
        sys.stdout.flush()

    items = multiprocessing.Queue()
    putter = multiprocessing.Process(target=put_unread, args=(items,), name="putter")
    putter.start()
"""


def test_a_child_stuck_at_its_exit_is_named_by_the_join_watch_only(
    tmp_path: Path, start_method: str
) -> None:
    # The child waits on its feeder at exit (forked, it has the exit watch too, silenced by
    # the pid), and the parent waits on the child: the join watch names the child.
    script = write(tmp_path / "child_stuck.py", CHILD_STUCK_AT_EXIT + WATCHED)
    with running([*procrun_command(), "-s", start_method, str(script)]) as procrun:
        assert procrun.wait_for(procrun.stdout, "put\n"), procrun.err
        assert procrun.wait_for(procrun.stderr, "get() the items before join()"), procrun.err
        time.sleep(EXIT_GRACE + 1.0)
        assert procrun.alive()
        assert "watched: True\n" in procrun.out
        assert "putter (pid " in procrun.err and " at exit for " not in procrun.err, procrun.err
        assert procrun.end() == -signal.SIGTERM
        assert procrun.leftovers() == []
