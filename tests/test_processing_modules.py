"""``processing``'s connection, queue, sharedctypes, reduction and heap modules (0.3x-0.52).

Each documented behaviour is pinned with real child processes under spawn, forkserver and
fork (the ``method`` fixture sets the default start method); children run functions of this
module, so they are defined at module level. Two whole programs written as the old
documentation shows run under ``python`` (guarded) and under ``procrun`` (unguarded).
"""

from __future__ import annotations

import array
import ctypes
import itertools
import multiprocessing
import os
import queue
import socket
import sys
import threading
from pathlib import Path
from typing import Any

import processing
import processing.connection
import processing.heap
import processing.queue
import processing.queues
import processing.reduction
import processing.sharedctypes
import pytest
from conftest import assert_ok, out, run_procrun, run_python, write

WAIT = 30  # seconds any blocking call in these tests may take


def run_child(target: Any, *args: Any) -> None:
    child = processing.Process(target=target, args=args)
    child.start()
    child.join(WAIT)
    assert child.exitcode == 0, f"child exit code {child.exitcode}"


# -- sharedctypes ---------------------------------------------------------------------------


class Point(ctypes.Structure):
    _fields_ = [("x", ctypes.c_double), ("y", ctypes.c_double)]


def modify(n: Any, x: Any, s: Any, points: Any) -> None:
    n.value **= 2
    x.value **= 2
    s.value = s.value.upper()
    for p in points:
        p.x **= 2
        p.y **= 2


def test_sharedctypes_example_is_modified_by_a_child(method: str) -> None:
    lock = processing.Lock()
    n = processing.sharedctypes.Value("i", 7)
    x = processing.sharedctypes.Value(ctypes.c_double, 1.0 / 3.0, lock=False)
    s = processing.sharedctypes.Array("c", "hello world", lock=lock)  # a Python 2 str
    points = processing.sharedctypes.Array(
        Point, [(1.875, -6.25), (-5.75, 2.0), (2.375, 9.5)], lock=lock
    )
    run_child(modify, n, x, s, points)
    assert n.value == 49
    assert x.value == pytest.approx(1 / 9)
    assert s.value == b"HELLO WORLD"
    assert [(p.x, p.y) for p in points] == [(3.515625, 39.0625), (33.0625, 4.0), (5.640625, 90.25)]


def report_accessors(value: Any, results: Any) -> None:
    results.put(
        (
            value.getobj().value,
            value.get_obj().value,
            value.getlock() is value.get_lock(),
            type(value).__name__,
        )
    )


def test_synchronized_wrappers_have_both_eras_accessors_in_the_child(method: str) -> None:
    lock = processing.RLock()
    value = processing.Value("d", 2.5, lock=lock)
    assert value.getlock() is value.get_lock() is lock
    assert value.getobj() is value.get_obj()
    results = processing.Queue()
    run_child(report_accessors, value, results)
    assert results.get(timeout=WAIT) == (2.5, 2.5, True, "Synchronized")


def double_all(values: Any) -> None:
    for index in range(len(values)):
        values[index] *= 2


def test_new_value_and_new_array_of_0_39_are_raw_shared_objects(method: str) -> None:
    number = processing.sharedctypes.new_value("d", 2.5)
    numbers = processing.sharedctypes.new_array(ctypes.c_int, (9, 2, 8))
    zeros = processing.sharedctypes.new_array("h", 3)
    run_child(double_all, numbers)
    assert (number.value, numbers[:], zeros[:]) == (2.5, [18, 4, 16], [0, 0, 0])
    assert not hasattr(numbers, "get_lock")  # raw: no lock, as the 0.39 documentation says


def test_top_level_value_and_array_are_sharedctypes() -> None:
    assert processing.Value is processing.sharedctypes.Value
    assert processing.Array is processing.sharedctypes.Array
    assert processing.RawValue is processing.sharedctypes.RawValue
    assert processing.RawArray is processing.sharedctypes.RawArray


def test_value_is_multiprocessing_own_wrapper() -> None:
    # no layer of its own: the speed of multiprocessing's .value, and its isinstance checks
    value = processing.Value("i", 1)
    assert isinstance(value, multiprocessing.sharedctypes.Synchronized)
    array_ = processing.Array("i", 3)
    assert isinstance(array_, multiprocessing.sharedctypes.SynchronizedArray)
    assert type(value).value is multiprocessing.sharedctypes.Synchronized.value


def test_lock_argument_follows_the_old_documentation() -> None:
    assert isinstance(processing.Value("i", 1, lock=False), ctypes.c_int)
    assert isinstance(processing.Value("i", 1, lock=None), ctypes.c_int)  # false: no lock
    assert isinstance(processing.Array("i", 2, lock=0), ctypes.Array)
    made = processing.Value("i", 1, lock=1)  # any true value: a new lock
    assert hasattr(made.getlock(), "acquire")
    given = processing.Lock()
    assert processing.Array("i", 2, lock=given).getlock() is given


def test_a_threading_lock_is_refused() -> None:
    with pytest.raises(TypeError, match="threading lock"):
        processing.Value("i", 1, lock=threading.Lock())


@pytest.mark.parametrize(
    ("typecode", "ctype"),
    [
        ("c", ctypes.c_char),
        ("u", ctypes.c_wchar),
        ("b", ctypes.c_byte),
        ("B", ctypes.c_ubyte),
        ("h", ctypes.c_short),
        ("H", ctypes.c_ushort),
        ("i", ctypes.c_int),
        ("I", ctypes.c_uint),
        ("l", ctypes.c_long),
        ("L", ctypes.c_ulong),
        ("f", ctypes.c_float),
        ("d", ctypes.c_double),
    ],
)
def test_documented_typecodes(typecode: str, ctype: type) -> None:
    assert processing.sharedctypes.typecode_to_type[typecode] is ctype
    assert type(processing.RawValue(typecode)) is ctype
    assert processing.RawArray(typecode, 3)._type_ is ctype


def test_raw_objects_follow_the_equivalence_table() -> None:
    assert processing.RawValue("d", 2.4).value == 2.4
    point = processing.RawValue(Point, 4, 6)
    assert (point.x, point.y) == (4, 6)
    assert processing.RawArray("h", 7)[:] == [0] * 7
    assert processing.RawArray(ctypes.c_int, (9, 2, 8))[:] == [9, 2, 8]


def test_copy_and_synchronized() -> None:
    original = processing.RawArray("i", [1, 2, 3])
    duplicate = processing.sharedctypes.copy(original)
    duplicate[0] = 7
    assert (original[:], duplicate[:]) == ([1, 2, 3], [7, 2, 3])
    wrapper = processing.sharedctypes.synchronized(duplicate)
    assert wrapper.getobj() is duplicate and wrapper[:] == [7, 2, 3]
    assert hasattr(wrapper.getlock(), "acquire")
    point = processing.sharedctypes.synchronized(processing.RawValue(Point, 1, 2))
    assert (point.x, point.y, type(point.getobj())) == (1, 2, Point)
    with pytest.raises(ValueError, match="synchronized already"):
        processing.sharedctypes.synchronized(wrapper)


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda: processing.Value("z", 1), ValueError, "typecode_or_type 'z'"),
        (lambda: processing.Value(3, 1), TypeError, "typecode_or_type"),
        (lambda: processing.Array("i", 2.5), TypeError, "size_or_initializer"),
        (lambda: processing.Array("i", -1), ValueError, "size_or_initializer"),
        (lambda: processing.Value("i", 1, lokc=True), TypeError, "lokc"),
        (lambda: processing.sharedctypes.copy(5), TypeError, "ctypes object"),
        (lambda: processing.Array("c", "\u20ac"), ValueError, "'u' typecode"),
    ],
)
def test_bad_arguments_are_named(make: Any, error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        make()


def test_a_wrong_value_leaves_shared_data_unchanged() -> None:
    value, numbers = processing.Value("i", 5), processing.Array("i", [1, 2])
    with pytest.raises(TypeError):
        value.value = "six"
    with pytest.raises(TypeError):
        numbers[0] = "one"
    assert (value.value, numbers[:]) == (5, [1, 2])
    assert value.getlock().acquire(False)  # and the lock was released
    value.getlock().release()


def write_text(letter: Any, word: Any, raw: Any = None) -> None:
    letter.value = "z"
    word.value = "from the child"
    if raw is not None:
        raw.value = "raw child"


def test_char_value_and_array_take_a_str_assigned_as_python_2_did(method: str) -> None:
    letter, word = processing.Value("c", "a"), processing.Array("c", 20)
    letter.value, word.value = "b", "hello"
    assert (letter.value, word.value) == (b"b", b"hello")
    run_child(write_text, letter, word)
    assert (letter.value, word.value) == (b"z", b"from the child")
    with pytest.raises(ValueError, match="c_wchar"):
        word.value = "caf\u00e9 \u20ac"
    assert word.value == b"from the child"
    number = processing.Value("i", 1)
    assert type(number).value is multiprocessing.sharedctypes.Synchronized.value


def test_raw_char_array_takes_a_str_here_in_a_child_and_in_a_copy(method: str) -> None:
    raw = processing.Array("c", 12, lock=False)
    raw.value = "raw"
    twin = processing.sharedctypes.copy(raw)
    twin.value = "twin"
    assert (raw.value, twin.value, len(twin)) == (b"raw", b"twin", 12)
    run_child(write_text, processing.Value("c"), processing.Array("c", 20), twin)
    assert (raw.value, twin.value) == (b"raw", b"raw child")
    with pytest.raises(ValueError, match="c_wchar"):
        raw.value = "\u20ac"
    assert raw.value == b"raw"


# -- connection -----------------------------------------------------------------------------


def serve_once(address: Any, authkey: Any, sent: Any) -> None:
    conn = processing.connection.Client(address, authkey=authkey)
    conn.send([2.25, None, "junk", float])
    conn.sendBytes(b"hello")
    conn.sendbytes(array.array("i", [42, 1729]))
    sent.set()
    conn.close()


def test_listener_and_client_between_processes(method: str) -> None:
    listener = processing.connection.Listener(authkey="secret password")  # a str key
    sent = processing.Event()
    child = processing.Process(target=serve_once, args=(listener.address, "secret password", sent))
    child.start()
    try:
        conn = listener.accept()
        assert conn.recv() == [2.25, None, "junk", float]
        assert conn.recvBytes() == b"hello"
        arr = array.array("i", [0, 0, 0, 0, 0])
        assert conn.recvbytes_into(arr) == 8
        assert arr.tolist() == [42, 1729, 0, 0, 0]
        assert listener.last_accepted is not None
        assert isinstance(conn, processing.connection.OldConnectionNames)
    finally:
        child.join(WAIT)
        listener.close()
    assert child.exitcode == 0


def connect_with(address: Any, authkey: Any, outcome: Any) -> None:
    try:
        processing.connection.Client(address, authkey=authkey)
    except processing.connection.AuthenticationError:
        outcome.put("refused")
    else:
        outcome.put("accepted")


def test_a_wrong_authkey_raises_authentication_error_at_both_ends(method: str) -> None:
    listener = processing.connection.Listener(("localhost", 0), authkey=b"right")
    outcome = processing.Queue()
    child = processing.Process(target=connect_with, args=(listener.address, b"wrong", outcome))
    child.start()
    try:
        with pytest.raises(processing.connection.AuthenticationError):
            listener.accept()
        assert outcome.get(timeout=WAIT) == "refused"
    finally:
        child.join(WAIT)
        listener.close()


def connect_authenticated(address: Any, outcome: Any) -> None:
    conn = processing.connection.Client(address, authenticate=True)
    outcome.put(conn.recv())


def test_authenticate_uses_the_inherited_process_authkey(method: str) -> None:
    listener = processing.connection.Listener(authenticate=True)
    outcome = processing.Queue()
    child = processing.Process(target=connect_authenticated, args=(listener.address, outcome))
    child.start()
    try:
        listener.accept().send("welcome")
        assert outcome.get(timeout=WAIT) == "welcome"
    finally:
        child.join(WAIT)
        listener.close()


def test_challenges_by_hand_over_a_pipe() -> None:
    a, b = processing.Pipe()
    answer = threading.Thread(target=processing.connection.answerChallenge, args=(b, "key"))
    answer.start()
    processing.connection.deliverChallenge(a, "key")
    answer.join(WAIT)
    assert processing.connection.deliver_challenge is processing.connection.deliverChallenge


def test_families_and_picklable_connections() -> None:
    families = processing.connection.families
    assert "AF_INET" in families
    assert ("AF_UNIX" in families) == hasattr(socket, "AF_UNIX")
    assert processing.connection.connections_are_picklable is True
    assert processing.reduction.connections_are_picklable is True
    assert processing.connection.BufferTooShort is processing.BufferTooShort


def test_bad_authkey_and_address_are_named() -> None:
    with pytest.raises(TypeError, match="authkey"):
        processing.connection.Listener(authkey=42)
    with pytest.raises(TypeError, match="authkey"):
        processing.connection.Client(("localhost", 1), authkey=3.5)
    with pytest.raises(TypeError, match="address must be"):
        processing.connection.Client(42)
    with pytest.raises(ValueError):
        processing.connection.Listener(family="AF_NOPE")


def echo_lower_case(conn: Any) -> None:
    conn.sendbytes(conn.recvbytes().upper())


def test_pipe_ends_have_the_0_3x_lower_case_names(method: str) -> None:
    parent, child_end = processing.Pipe()
    child = processing.Process(target=echo_lower_case, args=(child_end,))
    child.start()
    parent.sendbytes(b"abc")
    assert parent.poll(WAIT) and parent.recvbytes() == b"ABC"
    child.join(WAIT)
    buf = bytearray(2)
    parent.sendBytes(b"too long")
    with pytest.raises(processing.BufferTooShort) as caught:
        child_end.recvbytes_into(buf)
    assert caught.value.args[0] == b"too long"


# -- queues ---------------------------------------------------------------------------------


def drain(source: Any, sink: Any, count: int) -> None:
    sink.putmany([source.get(timeout=WAIT) * 2 for _ in range(count)])


def test_pipe_queues_of_0_3x_between_processes(method: str) -> None:
    tasks, results = processing.PipeQueue(), processing.BufferedPipeQueue()
    tasks.putmany(range(5))
    run_child(drain, tasks, results, 5)
    assert [results.get(timeout=WAIT) for _ in range(5)] == [0, 2, 4, 6, 8]
    assert isinstance(tasks, processing.Queue) and isinstance(results, processing.BufferedQueue)


def test_posix_queues_of_0_3x_between_processes_with_the_message_size_bound(
    method: str,
) -> None:
    tasks = processing.PosixQueue(maxsize=10, msgsize=64)
    results = processing.BufferedPosixQueue()
    tasks.putmany(range(3))
    with pytest.raises(ValueError, match="msgsize of 64"):
        tasks.put("x" * 100)  # longer than a message may be: refused, nothing put
    run_child(drain, tasks, results, 3)  # the bound travels with the queue
    assert [results.get(timeout=WAIT) for _ in range(3)] == [0, 2, 4]
    assert tasks.empty() and isinstance(tasks, processing.Queue)
    with pytest.raises(TypeError, match="msgsize"):
        processing.PosixQueue(msgsize=-1)


def check_bound_in_child(queue: Any) -> None:
    try:
        queue.put(b"y" * 1000)
    except ValueError:
        queue.put("refused")


def test_a_posix_queue_keeps_its_bound_in_a_child(method: str) -> None:
    queue = processing.PosixQueue(msgsize=100)
    run_child(check_bound_in_child, queue)
    assert queue.get(timeout=WAIT) == "refused"


def test_queue_methods_and_exceptions() -> None:
    assert processing.queues.Empty is queue.Empty and processing.queues.Full is queue.Full
    bounded = processing.PipeQueue(1)
    bounded.put_nowait(1)
    assert bounded.full()
    with pytest.raises(processing.queues.Full):
        bounded.putNoWait(2)
    with pytest.raises(processing.queues.Full):
        bounded.put(2, timeout=0.05)
    assert bounded.get(timeout=WAIT) == 1
    with pytest.raises(processing.queues.Empty):
        bounded.getNoWait()
    with pytest.raises(processing.queues.Empty):
        bounded.get(timeout=0.05)
    buffered = processing.BufferedQueue()
    buffered.putmany(["a", "b"])
    assert [buffered.get(timeout=WAIT), buffered.get(timeout=WAIT)] == ["a", "b"]
    with pytest.raises(processing.queues.Empty):
        buffered.get_nowait()
    buffered.close()
    buffered.jointhread()
    processing.PipeQueue().canceljoin()


def test_a_queue_maxsize_that_is_not_an_int_is_named() -> None:
    with pytest.raises(TypeError, match="maxsize"):
        processing.PipeQueue("10")


# -- reduction and heap ---------------------------------------------------------------------


def rebuild_and_answer(reduced: Any) -> None:
    rebuild, args = reduced.get(timeout=WAIT)
    conn = rebuild(*args)
    conn.sendBytes(conn.recvBytes() + b" back")


def test_a_reduced_connection_is_rebuilt_in_another_process(method: str) -> None:
    mine, theirs = processing.Pipe()
    reduced = processing.Queue()
    reduced.put(processing.reduction.reduceConnection(theirs))
    child = processing.Process(target=rebuild_and_answer, args=(reduced,))
    child.start()
    mine.sendBytes(b"there and")
    assert mine.poll(WAIT) and mine.recvBytes() == b"there and back"
    child.join(WAIT)
    assert child.exitcode == 0
    assert processing.reduction.rebuild_connection is processing.reduction.rebuildConnection


def receive_handle(conn: Any, outcome: Any) -> None:
    fd = processing.reduction.recvHandle(conn)
    with os.fdopen(fd, "rb") as received:
        outcome.put(received.read())


@pytest.mark.skipif(sys.platform == "win32", reason="a file descriptor")
def test_send_handle_and_recv_handle(method: str, tmp_path: Path) -> None:
    path = tmp_path / "data"
    path.write_bytes(b"through a handle")
    mine, theirs = processing.Pipe()
    outcome = processing.Queue()
    child = processing.Process(target=receive_handle, args=(theirs, outcome))
    child.start()
    with open(path, "rb") as f:
        processing.reduction.sendHandle(mine, f.fileno(), child.pid)
        assert outcome.get(timeout=WAIT) == b"through a handle"
    child.join(WAIT)


def test_reduce_handle_and_socket_in_process() -> None:
    first, second = socket.socketpair()
    with first, second:
        rebuild, args = processing.reduction.reduceSocket(first)
        with rebuild(*args) as again:
            again.sendall(b"x")
            assert second.recv(1) == b"x"
    with pytest.raises(TypeError, match="connection"):
        processing.reduction.reduce_connection("not a connection")


def write_block(block: Any) -> None:
    ctypes.c_int.from_address(block.getAddress()).value = 1729


def test_heap_buffer_wrapper_is_shared_with_a_child(method: str) -> None:
    block = processing.heap.BufferWrapper(16)
    assert block.getSize() == 16 and len(block.getView()) == 16
    run_child(write_block, block)
    assert bytes(block.getView()[:4]) == (1729).to_bytes(4, sys.byteorder)


def test_heap_bad_sizes_are_named() -> None:
    with pytest.raises(ValueError, match="size"):
        processing.heap.BufferWrapper(-1)
    with pytest.raises(TypeError, match="size"):
        processing.heap.BufferWrapper("8")


def test_heap_bookkeeping_tiles_every_arena_with_free_and_allocated_blocks() -> None:
    # Programs check the heap as the original suite did: every arena is covered, without
    # gap or overlap, by the free blocks (by length) and the allocated (arena, start, stop)
    # blocks. Allocate blocks of many sizes, free every third, and walk the bookkeeping.
    import random

    generator = random.Random(1729)
    blocks = [processing.heap.BufferWrapper(generator.randrange(1, 5000)) for _ in range(300)]
    del blocks[::3]
    heap = processing.heap.BufferWrapper._heap
    assert isinstance(heap, processing.heap.Heap)
    with heap._lock:
        spans = [
            (arena, start, stop, "free")
            for seq in heap._len_to_seq.values()
            for arena, start, stop in seq
        ]
        spans += [(arena, start, stop, "used") for arena, start, stop in heap._allocated_blocks]
        arenas = list(heap._arenas)
    assert any(kind == "used" for *_, kind in spans)
    order = {id(arena): index for index, arena in enumerate(arenas)}
    spans.sort(key=lambda span: (order[id(span[0])], span[1]))
    for arena in arenas:
        mine = [(start, stop) for owner, start, stop, _ in spans if owner is arena]
        assert mine[0][0] == 0 and mine[-1][1] == arena.size
        assert all(stop == start for (_, stop), (start, _) in itertools.pairwise(mine))
    del blocks


# -- _processing (the original C extension's names) -----------------------------------------


def test_processing_reads_its_c_extension_module_without_importing_it() -> None:
    extension = processing._processing
    assert extension.BufferTooShort is processing.BufferTooShort
    assert extension.Connection is multiprocessing.connection.Connection
    assert issubclass(extension.ProcessError, Exception)
    if sys.platform != "win32":
        assert extension.HAVE_FD_TRANSFER and extension.HAVE_SEM_OPEN
        assert bool(getattr(extension, "HAVE_BROKEN_SEM_GETVALUE", False)) == (
            sys.platform == "darwin"
        )


@pytest.mark.skipif(sys.platform == "win32", reason="file descriptors over a Unix socket")
def test_send_fd_and_recv_fd_pass_a_working_descriptor(tmp_path: Path) -> None:
    extension = processing._processing
    sender, receiver = socket.socketpair()
    path = tmp_path / "passed.txt"
    with sender, receiver, open(path, "w") as original:
        extension.sendFd(sender.fileno(), original.fileno())
        passed = extension.recvFd(receiver.fileno())
        assert passed != original.fileno()
        with open(passed, "w") as again:
            again.write("through the passed descriptor")
        assert sender.fileno() >= 0 and receiver.fileno() >= 0  # the sockets stay open
        with pytest.raises(TypeError, match="fd"):
            extension.sendFd(sender.fileno(), "3")
    assert path.read_text() == "through the passed descriptor"


def test_buffer_helpers_give_a_writable_view_and_its_address() -> None:
    extension = processing._processing
    data = bytearray(b"abcdef")
    view = extension.readWriteBuffer(data, 2, 3)
    view[:] = b"XYZ"
    assert data == bytearray(b"abXYZf")
    address, length = extension.addressOfBuffer(data)
    assert length == 6 and ctypes.string_at(address, 6) == b"abXYZf"
    with pytest.raises(TypeError, match="read-only"):
        extension.readWriteBuffer(b"bytes")
    with pytest.raises(ValueError, match="offset"):
        extension.readWriteBuffer(data, 7)
    assert data == bytearray(b"abXYZf")


# -- whole programs -------------------------------------------------------------------------

OLD_PROGRAM = """
    from ctypes import Structure, c_double
    from processing import Process, Lock, PipeQueue, BufferedPipeQueue
    from processing.sharedctypes import Value, Array
    from processing.connection import Listener, Client

    class Point(Structure):
        _fields_ = [('x', c_double), ('y', c_double)]

    def modify(n, s, A, address, q):
        n.value **= 2
        s.value = s.value.upper()
        for p in A:
            p.x **= 2
        c = Client(address, authkey='secret password')
        c.sendBytes(b'hello')
        q.putmany([1, 2])

    {guard}
    lock = Lock()
    n = Value('i', 7)
    s = Array('c', 'hello world', lock=lock)
    A = Array(Point, [(1.5, 0), (2.5, 0)], lock=lock)
    listener = Listener(authkey='secret password')
    q = BufferedPipeQueue()
    p = Process(target=modify, args=(n, s, A, listener.address, q))
    p.start()
    conn = listener.accept()
    print(conn.recvBytes(), q.get(), q.get())
    p.join()
    print(n.value, s.value, [p.x for p in A], n.getlock() is not None)
"""

OLD_OUTPUT = "b'hello' 1 2\n49 b'HELLO WORLD' [2.25, 6.25] True\n"


def indent_under_guard(source: str) -> str:
    head, _, body = source.partition("{guard}\n")
    lines = body.splitlines(keepends=True)
    return head + "if __name__ == '__main__':\n" + "".join("    " + line for line in lines)


def test_old_program_runs_guarded_under_python(start_method: str, tmp_path: Path) -> None:
    source = indent_under_guard(OLD_PROGRAM.replace("\n    ", "\n").lstrip("\n"))
    source = source.replace(
        "if __name__ == '__main__':\n",
        f"if __name__ == '__main__':\n    import multiprocessing\n"
        f"    multiprocessing.set_start_method({start_method!r})\n",
    )
    script = tmp_path / "old_guarded.py"
    script.write_text(source)
    result = run_python(script)
    assert_ok(result)
    assert out(result) == OLD_OUTPUT


def test_old_program_runs_unguarded_under_procrun(start_method: str, tmp_path: Path) -> None:
    script = write(tmp_path / "old_unguarded.py", OLD_PROGRAM.replace("\n    {guard}\n", "\n"))
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert out(result) == OLD_OUTPUT


# -- names the original test suites use (0.39's SimpleQueue, 0.52's getValue, _exitFunction) --


def echo_through(inbox: Any, outbox: Any) -> None:
    outbox.put(inbox.get() * 2)


def test_simple_queue_carries_items_to_a_child_and_back(method: str) -> None:
    inbox, outbox = processing.SimpleQueue(), processing.queue.SimpleQueue()
    assert inbox.empty()
    inbox.put(21)
    run_child(echo_through, inbox, outbox)
    assert outbox.get() == 42 and outbox.empty()


def test_star_import_gives_0_52_value_and_array_and_0_39_simple_queue() -> None:
    assert {"Value", "Array", "SimpleQueue"} <= set(processing.__all__)
    namespace: dict[str, Any] = {}
    exec("from processing import *", namespace)
    assert namespace["SimpleQueue"] is processing.SimpleQueue


def take_one(semaphore: Any) -> None:
    semaphore.acquire()


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS semaphores have no value to read")
def test_semaphore_get_value_sees_what_a_child_took(method: str) -> None:
    semaphore = processing.Semaphore(3)
    bounded = processing.BoundedSemaphore(2)
    run_child(take_one, semaphore)
    run_child(take_one, bounded)
    assert (semaphore.getValue(), bounded.getValue()) == (2, 1)
    assert repr(semaphore) == "<Semaphore(value=2)>"
    assert repr(bounded) == "<BoundedSemaphore(value=1, maxvalue=2)>"


def test_exit_function_runs_the_finalizers_as_a_process_ends(tmp_path: Path) -> None:
    script = write(
        tmp_path / "finalizers.py",
        """
import processing
from processing.process import _exitFunction

class Resource:
    pass

resource = Resource()
processing.Finalize(resource, print, args=("finalized",), exitpriority=1)
_exitFunction()
print("after")
""",
    )
    result = run_python(script)
    assert_ok(result)
    assert out(result).splitlines() == ["finalized", "after"]
