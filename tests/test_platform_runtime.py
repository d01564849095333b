"""processing's paths for Windows, macOS and windowed apps, proved on Linux.

Windows and macOS cannot run here, so each test fakes one platform fact in a real python
process (and in the children it starts: the fact is set by a ``sitecustomize`` module on
``PYTHONPATH``, or at the top of the script) and runs the real code with real processes:

- no ``select.poll`` (Windows; some macOS builds): the join watch must look at a child's
  sentinel another way;
- ``multiprocessing.Pipe()`` returns another class than the socket-based ``Connection``
  (Windows: ``PipeConnection``, named pipes): ``processing.Pipe()`` must keep its transport,
  and procrun's globals transfer must send such an end once, like a ``Connection``;
- the child's data is pickled into a file that cannot tell() its position (Windows: the
  pipe to the spawned child): the transfer-size warning must still measure it;
- semaphores without ``sem_getvalue`` (macOS): ``qsize()`` raises a clear NotImplementedError;
- ``sys.stderr`` None (``pythonw``, PyInstaller ``--windowed``): warnings are dropped, as
  python drops them, and nothing else changes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import START_METHODS, assert_ok, err, out, run_procrun, run_python, write

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


# -- Pipe() of another connection class ----------------------------------------------------

FRAMED_PIPE = '''
"""A connection class of its own, as Windows' PipeConnection is: Pipe() returns it."""
import io, os, socket, struct
from multiprocessing import connection, reduction


class FramedConnection(connection._ConnectionBase):
    """Messages framed as b"FRAMED" + 4-byte length: not the socket Connection's format."""

    def _close(self, _close=os.close):
        _close(self._handle)

    def _send_bytes(self, buf):
        data = b"FRAMED" + struct.pack("!i", len(buf)) + bytes(buf)
        while data:
            data = data[os.write(self._handle, data):]

    def _recv_bytes(self, maxsize=None):
        header = self._read(10)
        assert header[:6] == b"FRAMED", header
        message = io.BytesIO()
        message.write(self._read(struct.unpack("!i", header[6:])[0]))
        return message  # positioned at its end, as _ConnectionBase expects

    def _read(self, size):
        data = b""
        while len(data) < size:
            chunk = os.read(self._handle, size - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def _poll(self, timeout):
        return bool(connection.wait([self], timeout))


def Pipe(duplex=True):
    if duplex:
        first, second = socket.socketpair()
        return FramedConnection(first.detach()), FramedConnection(second.detach())
    reader, writer = os.pipe()
    return FramedConnection(reader, writable=False), FramedConnection(writer, readable=False)


def reduce_framed(conn):
    return rebuild_framed, (reduction.DupFd(conn.fileno()), conn.readable, conn.writable)


def rebuild_framed(dup, readable, writable):
    return FramedConnection(dup.detach(), readable, writable)


reduction.register(FramedConnection, reduce_framed)
connection.Pipe = Pipe
'''

PIPES = """
import multiprocessing, os, sys
import processing
from framed import FramedConnection


def echo(conn):
    conn.sendBytes(conn.recvBytes().upper())
    buffer = bytearray(8)
    size = conn.recvBytesInto(buffer, 2)
    conn.send((type(conn).__name__, isinstance(conn, FramedConnection), size, bytes(buffer)))
    conn.close()


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    ours, theirs = processing.Pipe()
    print(type(ours).__name__, isinstance(ours, FramedConnection), hasattr(ours, "recvBytes"))
    child = ctx.Process(target=echo, args=(theirs,))
    child.start()
    ours.sendBytes(b"xxhello worldxx", 2, 11)
    assert ours.poll(30)
    print(os.read(ours.fileno(), 100))  # the child's own framing: its class sent it
    ours.sendBytes(b"abc")
    print(ours.recv())
    child.join(30)
    print("child", child.exitcode)
    reader, writer = processing.Pipe(duplex=False)
    writer.send([1, 2])
    print(os.read(reader.fileno(), 100)[:6], reader.readable, writer.writable)
    try:
        writer.send(ctx.Lock())
    except processing.InheritanceOnlyError:
        print("a Lock is refused")
"""


@posix_only
def test_pipe_keeps_the_class_multiprocessing_returns_and_adds_the_old_names(
    tmp_path: Path, start_method: str
) -> None:
    env = faking(tmp_path, "import framed\n")
    write(tmp_path / "site" / "framed.py", FRAMED_PIPE)
    script = write(tmp_path / "pipes.py", PIPES)
    result = run_python(script, start_method, env=env)
    assert_ok(result)
    assert out(result) == (
        "FramedConnection True True\n"
        "b'FRAMED\\x00\\x00\\x00\\x0bHELLO WORLD'\n"
        "('FramedConnection', True, 3, b'\\x00\\x00abc\\x00\\x00\\x00')\n"
        "child 0\n"
        "b'FRAMED' True True\n"
        "a Lock is refused\n"
    )


# -- semaphores without sem_getvalue: qsize() ----------------------------------------------

NO_SEM_GETVALUE = """
import _multiprocessing


class SemLockWithoutValue(_multiprocessing.SemLock):
    def _get_value(self):
        raise NotImplementedError  # what macOS's _multiprocessing raises: no sem_getvalue()


_multiprocessing.SemLock = SemLockWithoutValue
"""

QSIZES = """
import multiprocessing, sys
import processing


def double(inbox, outbox):
    for _ in range(3):
        outbox.put(2 * inbox.get(timeout=30))


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    for make in (processing.Queue, processing.BufferedQueue):
        inbox, outbox = make(), make()
        inbox.putMany([1, 2, 3])
        try:
            inbox.qsize()
        except NotImplementedError as error:
            print(type(inbox).__name__, "qsize:", error)
        child = processing.Process(target=double, args=(inbox, outbox))
        child.start()
        print(sorted(outbox.get(timeout=30) for _ in range(3)), inbox.empty(), outbox.full())
        child.join(30)
        print("child", child.exitcode)
"""


def test_qsize_says_why_it_fails_where_semaphores_have_no_value(
    tmp_path: Path, start_method: str
) -> None:
    script = write(tmp_path / "qsizes.py", QSIZES)
    result = run_python(script, start_method, env=faking(tmp_path, NO_SEM_GETVALUE))
    assert_ok(result)
    assert err(result) == ""
    reason = (
        "qsize() is not available on this platform: its semaphores cannot tell their value "
        "(macOS has no sem_getvalue()). Use empty() to learn whether items are waiting, or "
        "count the items you put and get."
    )
    assert out(result) == (
        f"Queue qsize: {reason}\n[2, 4, 6] True False\nchild 0\n"
        f"BufferedQueue qsize: {reason}\n[2, 4, 6] True False\nchild 0\n"
    )


# -- sys.stderr None: warnings are dropped, nothing fails ----------------------------------

DROPPED_ITEM = """
import sys
import multiprocessing, processing

sys.stderr = None  # a windowed app's
for make in (processing.Queue, processing.BufferedQueue):
    items = make()
    items.put(("reply to", multiprocessing.Lock()))  # dropped by the feeder thread, with a message
    items.put("next")
    print(items.get(timeout=10))
"""


def test_a_dropped_item_leaves_the_queue_working_without_stderr(tmp_path: Path) -> None:
    script = write(tmp_path / "dropped.py", DROPPED_ITEM)
    result = run_python(script)
    assert_ok(result)
    assert (out(result), err(result)) == ("next\nnext\n", "")


JOIN_WITHOUT_STDERR = """
import multiprocessing, sys, threading
import processing


def produce(results):
    results.put(b"x" * (4 << 20))


if __name__ == "__main__":
    sys.stderr = None  # a windowed app's
    multiprocessing.set_start_method(sys.argv[1])
    results = processing.Queue()
    child = processing.Process(target=produce, args=(results,), name="producer")
    child.start()
    got = []
    getter = threading.Timer(2.0, lambda: got.append(results.get(timeout=30)))
    getter.start()
    child.join(30)  # warns after a second: dropped
    getter.join(30)
    print("joined", child.exitcode, "after a get of", len(got[0]), "bytes")
"""


def test_the_join_watch_warning_is_dropped_without_stderr(
    tmp_path: Path, start_method: str
) -> None:
    script = write(tmp_path / "join.py", JOIN_WITHOUT_STDERR)
    result = run_python(script, start_method)
    assert_ok(result)
    assert (out(result), err(result)) == (f"joined 0 after a get of {4 << 20} bytes\n", "")


LARGE_ARGUMENTS = """
import multiprocessing, sys
import processing, processing.transfer


def size(data):
    print("child got", len(data), "bytes", flush=True)


if __name__ == "__main__":
    sys.stderr = None  # a windowed app's
    processing.transfer.LARGE = 1 << 20  # warn from 1 MiB: the path without 64 MiB copies
    ctx = multiprocessing.get_context(sys.argv[1])
    child = ctx.Process(target=size, args=(b"x" * (2 << 20),))
    child.start()
    child.join(30)
    print("child", child.exitcode)
"""


@pytest.mark.parametrize("start_method", PICKLING_METHODS)
def test_the_large_arguments_warning_is_dropped_without_stderr(
    tmp_path: Path, start_method: str
) -> None:
    script = write(tmp_path / "large.py", LARGE_ARGUMENTS)
    result = run_python(script, start_method)
    assert_ok(result)
    assert out(result) == f"child got {2 << 20} bytes\nchild 0\n"
    assert err(result) == ""


UNCOPIED_GLOBALS = """
import multiprocessing, sys
import procrun.globals_transfer

sys.stderr = None  # a windowed app's
procrun.globals_transfer.LARGE_TRANSFER = 1 << 20  # warn from 1 MiB
log = open(__file__)  # a file cannot be pickled: not copied, with a warning
table = b"x" * (2 << 20)  # copied, with a warning: large


def work(n):
    return len(table) + n if n else log.name


with multiprocessing.Pool(1) as pool:
    print(pool.apply(work, (1,)))
"""


@pytest.mark.parametrize("start_method", PICKLING_METHODS)
def test_procrun_warnings_on_copied_globals_are_dropped_without_stderr(
    tmp_path: Path, start_method: str
) -> None:
    script = write(tmp_path / "globals.py", UNCOPIED_GLOBALS)
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert (out(result), err(result)) == (f"{(2 << 20) + 1}\n", "")


# -- Pipe() of another connection class: a global end travels with the child ---------------

PIPE_END_GLOBAL = """
import multiprocessing

near, far = multiprocessing.Pipe()  # Windows: PipeConnection ends


def answer(end):
    far.send_bytes(b"the global end is the argument: %r" % (end is far))


child = multiprocessing.Process(target=answer, args=(far,))
child.start()
print(near.recv_bytes().decode())
child.join()
print("child", child.exitcode)
"""


@posix_only
@pytest.mark.parametrize("start_method", PICKLING_METHODS)
def test_a_pipe_connection_global_is_shared_with_the_child_as_its_argument_is(
    tmp_path: Path, start_method: str
) -> None:
    # Pickled twice, once with the globals and once as the argument, its descriptor would
    # be handed to the child twice (spawn: "bad value(s) in fds_to_keep").
    env = faking(
        tmp_path, "import framed\nframed.connection.PipeConnection = framed.FramedConnection\n"
    )
    write(tmp_path / "site" / "framed.py", FRAMED_PIPE)
    script = write(tmp_path / "pipe_global.py", PIPE_END_GLOBAL)
    result = run_procrun(script, start_method=start_method, env=env)
    assert_ok(result)
    assert out(result) == "the global end is the argument: True\nchild 0\n"


# -- a child's data pickled into a pipe: the transfer size ---------------------------------

NO_TELL = """
import io, types
from multiprocessing import popen_forkserver, popen_spawn_posix


class PipeLikeBuffer(io.BytesIO):
    \"\"\"Takes the child's data as the pipe to the child does on Windows: no position.\"\"\"

    def seekable(self):
        return False

    def tell(self):
        raise OSError(29, "Illegal seek")


for popen in (popen_spawn_posix, popen_forkserver):
    popen.io = types.SimpleNamespace(BytesIO=PipeLikeBuffer)
"""

LARGE_ARGUMENTS_WARN = """
import multiprocessing, sys
import processing, processing.transfer


def size(data):
    print("child got", len(data), "bytes", flush=True)


if __name__ == "__main__":
    processing.transfer.LARGE = 1 << 20  # warn from 1 MiB: the path without 64 MiB copies
    ctx = multiprocessing.get_context(sys.argv[1])
    for _ in range(2):
        child = ctx.Process(target=size, args=(b"x" * (2 << 20),), name="sizer")
        child.start()
        child.join(30)
        print("child", child.exitcode)
"""


@posix_only
@pytest.mark.parametrize("start_method", PICKLING_METHODS)
def test_large_arguments_are_measured_where_the_child_data_file_cannot_tell(
    tmp_path: Path, start_method: str
) -> None:
    script = write(tmp_path / "large.py", LARGE_ARGUMENTS_WARN)
    result = run_python(script, start_method, env=faking(tmp_path, NO_TELL))
    assert_ok(result)
    assert out(result) == f"child got {2 << 20} bytes\nchild 0\n" * 2
    assert err(result).count("processing: warning: starting sizer sends 2 MiB") == 1, err(result)
