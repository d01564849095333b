"""processing's queues and pipes: the old names, BufferedQueue's guarantee, inherit-only
objects refused where they are sent, and the warning of a join() that waits for a get().

Children run functions of this module, so they are defined at module level. Tests that start
processes run under spawn, forkserver and fork, with explicit contexts.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.synchronize
import queue
import sys
import threading
import time
import warnings
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import processing.synchronize
import pytest
from conftest import assert_ok, err, out, run_procrun, run_python, write
from processing.connection import InheritanceOnlyError, OldConnectionNames, Pipe
from processing.queues import (
    BufferedQueue,
    Queue,
    install_join_watch,
    watch_join,
    watch_start,
)
from processing.sharedmem import LocalManager

WAIT = 30  # seconds any blocking call in these tests may take
MB = 1 << 20
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def context(start_method: str) -> Any:
    return multiprocessing.get_context(start_method)


def assert_qsize(items: Any, expected: int) -> None:
    """qsize() is ``expected``, or, on macOS (no sem_getvalue), cannot be known."""
    try:
        size = items.qsize()
    except NotImplementedError:
        assert sys.platform == "darwin"
        return
    assert size == expected


# -- Queue: the old names ----------------------------------------------------------------


def relay(inbox: Any, outbox: Any) -> None:
    """Take items until 'STOP', then put them all back at once, flushed before exiting."""
    items = list(iter(lambda: inbox.get(timeout=WAIT), "STOP"))
    outbox.putMany(items)
    outbox.close()
    outbox.joinThread()


def test_queue_old_names_carry_items_between_processes(start_method: str) -> None:
    ctx = context(start_method)
    inbox, outbox = Queue(ctx=ctx), Queue(ctx=ctx)
    inbox.putMany([1, "two", (3,)])
    inbox.putNoWait({"four": 4})
    inbox.put("STOP")
    child = ctx.Process(target=relay, args=(inbox, outbox))
    child.start()
    assert [outbox.get(timeout=WAIT) for _ in range(4)] == [1, "two", (3,), {"four": 4}]
    child.join(WAIT)
    assert child.exitcode == 0
    with pytest.raises(queue.Empty):
        outbox.getNoWait()


def test_queue_with_maxsize_does_not_guarantee_put_without_blocking() -> None:
    bounded = Queue(2)
    bounded.put(1)
    bounded.putNoWait(2)
    with pytest.raises(queue.Full):
        bounded.putNoWait(3)
    started = time.monotonic()
    with pytest.raises(queue.Full):
        bounded.put(3, timeout=0.2)
    assert time.monotonic() - started >= 0.2  # put() waited for room


def put_and_cancel_join(items: Any, cancel: bool) -> None:
    items.put(bytes(4 * MB))  # more than the pipe holds: it stays in this process's buffer
    if cancel:
        items.cancelJoin()


def test_cancel_join_lets_a_child_exit_with_unread_items(start_method: str) -> None:
    ctx = context(start_method)
    items = Queue(ctx=ctx)
    child = ctx.Process(target=put_and_cancel_join, args=(items, True))
    child.start()
    child.join(WAIT)
    assert child.exitcode == 0  # without cancelJoin() it would wait for a get() forever


def test_without_cancel_join_the_child_waits_for_its_items_to_be_read(
    start_method: str,
) -> None:
    ctx = context(start_method)
    items = Queue(ctx=ctx)
    child = ctx.Process(target=put_and_cancel_join, args=(items, False))
    child.start()
    child.join(1.0)
    assert child.is_alive()  # the deadlock that watch_join warns about
    assert len(items.get(timeout=WAIT)) == 4 * MB
    child.join(WAIT)
    assert child.exitcode == 0


# -- BufferedQueue: put() never blocks -----------------------------------------------------

SMALL_ITEMS = 100_000
BIG_EVERY = 10_000  # one 1 MiB item after each such run of small ones


def expected_items() -> list[Any]:
    items: list[Any] = []
    for i in range(SMALL_ITEMS):
        items.append((i, f"task {i}"))
        if i % BIG_EVERY == BIG_EVERY - 1:
            items.append(bytes([i // BIG_EVERY]) * MB)
    return items


def consume_and_report(items: Any, count: int, report: Any) -> None:
    """Get ``count`` items and send back a summary: what a faithful queue must deliver."""
    small, big, in_order = 0, [], True
    for _ in range(count):
        item = items.get(timeout=WAIT)
        if isinstance(item, bytes):
            big.append((len(item), item[0], item[-1]))
        else:
            in_order = in_order and item == (small, f"task {small}")
            small += 1
    report.send((small, big, in_order))
    report.close()


def test_buffered_queue_put_never_blocks_before_any_consumer(start_method: str) -> None:
    ctx = context(start_method)
    items = BufferedQueue(ctx)
    expected = expected_items()
    put_seconds: list[float] = []

    def produce() -> None:
        for item in expected:
            started = time.perf_counter()
            items.put(item)
            put_seconds.append(time.perf_counter() - started)

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    producer.join(WAIT)
    assert not producer.is_alive(), f"put() blocked after {len(put_seconds)} items"
    # Every put returned with no consumer started (a blocked one never would): that is the
    # behaviour; how fast each returned is the bench's to measure, not a test's.
    assert len(put_seconds) == len(expected)
    assert_qsize(items, len(expected))
    assert not items.full()

    receiver, sender = Pipe(duplex=False)
    consumer = ctx.Process(target=consume_and_report, args=(items, len(expected), sender))
    consumer.start()
    sender.close()
    assert receiver.poll(WAIT)
    small, big, in_order = receiver.recv()
    consumer.join(WAIT)
    assert (small, in_order) == (SMALL_ITEMS, True)
    assert big == [(MB, n, n) for n in range(SMALL_ITEMS // BIG_EVERY)]
    assert_qsize(items, 0)
    assert consumer.exitcode == 0


def test_buffered_queue_put_many_never_blocks_and_keeps_order(start_method: str) -> None:
    ctx = context(start_method)
    items = BufferedQueue(ctx)
    big = [bytes([n]) * MB for n in range(32)]  # 32 MiB: far more than a pipe holds
    started = time.monotonic()
    items.putMany(big)
    items.putMany(range(1000))
    items.put("STOP", block=False)
    assert time.monotonic() - started < 5
    outbox = Queue(ctx=ctx)
    child = ctx.Process(target=relay, args=(items, outbox))
    child.start()
    received = [outbox.get(timeout=WAIT) for _ in range(len(big) + 1000)]
    child.join(WAIT)
    assert received[: len(big)] == big and received[len(big) :] == list(range(1000))
    assert child.exitcode == 0


def test_buffered_queue_has_no_bound_where_a_queue_stops_at_the_semaphore_maximum(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # On macOS SEM_VALUE_MAX is 32,767: a Queue without maxsize blocks past that many unread
    # items. Lowered here to reproduce it on any platform.
    monkeypatch.setattr(multiprocessing.synchronize, "SEM_VALUE_MAX", 100)
    ctx = context("spawn")
    unbuffered, buffered = Queue(ctx=ctx), BufferedQueue(ctx)
    unbuffered.putMany(range(100))
    with pytest.raises(queue.Full):
        unbuffered.put(100, timeout=0.1)
    producer = threading.Thread(target=buffered.putMany, args=(range(1001),), daemon=True)
    producer.start()
    producer.join(10)
    assert not producer.is_alive(), "BufferedQueue.putMany() blocked"
    assert not buffered.full()  # (and qsize() counts no further than the semaphore can)
    assert [buffered.get(timeout=WAIT) for _ in range(1001)] == list(range(1001))
    assert [unbuffered.get(timeout=WAIT) for _ in range(100)] == list(range(100))


def test_buffered_queue_takes_no_maxsize() -> None:
    with pytest.raises(TypeError, match=r"has no maxsize .* use Queue\(maxsize\)"):
        BufferedQueue(100)  # type: ignore[arg-type]


def test_a_wrong_context_is_named() -> None:
    with pytest.raises(TypeError, match=r"ctx must be a multiprocessing context .* not 'spawn'"):
        Queue(10, "spawn")  # type: ignore[arg-type]


# -- Pipe: the old names, and connections as arguments -------------------------------------


def echo(conn: Any) -> None:
    """Answer with the old names: upper-cased bytes, the bytes into a buffer, an object."""
    conn.sendBytes(conn.recvBytes().upper())
    buffer = bytearray(8)
    size = conn.recvBytesInto(buffer, 2)
    conn.send((type(conn).__name__, size, bytes(buffer)))
    conn.close()


def test_pipe_old_names_work_across_processes(start_method: str) -> None:
    ctx = context(start_method)
    ours, theirs = Pipe()
    child = ctx.Process(target=echo, args=(theirs,))
    child.start()
    ours.sendBytes(b"xxhello worldxx", 2, 11)
    assert ours.recvBytes() == b"HELLO WORLD"
    ours.sendBytes(b"abc")
    assert ours.poll(WAIT)
    # the class multiprocessing made (Windows: PipeConnection), with the old names
    assert ours.recv() == (type(ours).__name__, 3, b"\0\0abc\0\0\0")
    child.join(WAIT)
    assert child.exitcode == 0
    ours.close()
    assert ours.closed


def test_one_way_pipe_has_a_reading_and_a_writing_end() -> None:
    reader, writer = Pipe(duplex=False)
    assert (reader.readable, reader.writable, writer.readable, writer.writable) == (
        True,
        False,
        False,
        True,
    )
    writer.send([1, 2])
    assert reader.recv() == [1, 2]
    assert isinstance(reader.fileno(), int)


def send_connection_end(ends: Any) -> None:
    near, far = Pipe()
    ends.put(far)  # a connection may travel through a queue (multiprocessing shares its fd)
    near.send("through the passed connection")
    near.recv()  # wait until the parent has read, so that the fd stays valid


def test_a_connection_put_on_a_queue_arrives_as_a_processing_connection(
    start_method: str,
) -> None:
    ctx = context(start_method)
    ends = Queue(ctx=ctx)
    child = ctx.Process(target=send_connection_end, args=(ends,))
    child.start()
    far = ends.get(timeout=WAIT)
    assert isinstance(far, OldConnectionNames) and type(far) is type(Pipe()[0])  # as made here
    assert far.poll(WAIT) and far.recv() == "through the passed connection"
    far.send("done")
    child.join(WAIT)
    assert child.exitcode == 0


# -- inherit-only objects: refused where they are sent, with the fix -----------------------


class SharedThing:
    """Stands in for processing.sharedmem's types: declares itself inherit-only."""

    _processing_inherit_only = True


INHERIT_ONLY: dict[str, Callable[[Any], object]] = {
    "Lock": lambda ctx: ctx.Lock(),
    "RLock": lambda ctx: ctx.RLock(),
    "Semaphore": lambda ctx: ctx.Semaphore(),
    "BoundedSemaphore": lambda ctx: ctx.BoundedSemaphore(),
    "Condition": lambda ctx: ctx.Condition(),
    "Event": lambda ctx: ctx.Event(),
    "Barrier": lambda ctx: ctx.Barrier(2),
    "Queue": lambda ctx: ctx.Queue(),
    "JoinableQueue": lambda ctx: ctx.JoinableQueue(),
    "SimpleQueue": lambda ctx: ctx.SimpleQueue(),
    "BufferedQueue": lambda ctx: BufferedQueue(ctx),
    "Value": lambda ctx: ctx.Value("i", 1),
    "Array": lambda ctx: ctx.Array("d", 3),
    "RawValue": lambda ctx: ctx.RawValue("i", 1),
    "RawArray": lambda ctx: ctx.RawArray("d", 3),
    "SharedThing": lambda ctx: SharedThing(),
    "SharedValue": lambda ctx: LocalManager(ctx).SharedValue("i", 1),
    "SharedStruct": lambda ctx: LocalManager(ctx).SharedStruct("id", (1, 2.0)),
    "SharedArray": lambda ctx: LocalManager(ctx).SharedArray("d", [0.0] * 3),
}


def assert_says_pass_it_to_process(error: BaseException, kind: str, action: str) -> None:
    message = str(error)
    assert f"{kind} cannot be {action}" in message, message
    assert "Pass it to the child as a Process argument" in message, message
    assert isinstance(error, RuntimeError)  # what multiprocessing raises, for old handlers


@pytest.mark.parametrize("kind", INHERIT_ONLY)
def test_putting_an_inherit_only_object_on_a_queue_raises_in_the_caller(kind: str) -> None:
    ctx = context("spawn")
    obj = INHERIT_ONLY[kind](ctx)
    for items in (Queue(ctx=ctx), BufferedQueue(ctx)):
        with pytest.raises(InheritanceOnlyError) as raised:
            items.put(obj)
        assert_says_pass_it_to_process(raised.value, kind, "put on a queue")
        with pytest.raises(InheritanceOnlyError):
            items.putMany([1, obj, 2])
        assert items.get(timeout=WAIT) == 1  # the queue goes on working
        assert_qsize(items, 0)


#: multiprocessing's own types, whose pickling refuses at any depth
MULTIPROCESSING_KINDS = [kind for kind in INHERIT_ONLY if not kind.startswith("Shared")]


@pytest.mark.parametrize("kind", MULTIPROCESSING_KINDS)
def test_an_inherit_only_object_inside_an_item_is_dropped_with_the_fix_on_stderr(
    kind: str, capfd: pytest.CaptureFixture[str]
) -> None:
    ctx = context("spawn")
    items = BufferedQueue(ctx)
    items.put(("reply to", INHERIT_ONLY[kind](ctx)))  # put() looks at the tuple only
    items.put("next")
    assert items.get(timeout=WAIT) == "next"  # the feeder dropped the first item
    assert_qsize(items, 0)
    _, stderr = capfd.readouterr()
    assert "processing: a tuple put on a queue was dropped." in stderr, stderr
    assert f"{kind} cannot be put on a queue, even inside another object" in stderr, stderr
    assert "Pass it to the child as a Process argument" in stderr
    assert "Traceback" not in stderr


def test_a_shared_memory_object_inside_an_item_is_dropped_with_its_fix_on_stderr(
    capfd: pytest.CaptureFixture[str],
) -> None:
    ctx = context("spawn")
    items = Queue(ctx=ctx)
    items.put({"counter": LocalManager(ctx).SharedValue("i", 1)})
    items.put("next")
    assert items.get(timeout=WAIT) == "next"
    _, stderr = capfd.readouterr()
    assert "processing: a dict put on a queue was dropped. SharedValue" in stderr, stderr
    assert "inheritance" in stderr and "Traceback" not in stderr


@pytest.mark.parametrize("kind", INHERIT_ONLY)
def test_sending_an_inherit_only_object_through_a_pipe_raises(kind: str) -> None:
    obj = INHERIT_ONLY[kind](context("spawn"))
    ours, theirs = Pipe()
    with pytest.raises(InheritanceOnlyError) as raised:
        ours.send(obj)
    assert_says_pass_it_to_process(raised.value, kind, "sent through a pipe")
    with pytest.raises(InheritanceOnlyError):
        ours.send([obj, 1])
    ours.send("still works")
    assert theirs.recv() == "still works"


def test_an_event_is_named_event_not_condition() -> None:
    # multiprocessing's own refusal names the Condition inside the Event
    ours, _ = Pipe()
    for event in (context("spawn").Event(), processing.synchronize.Event()):
        with pytest.raises(InheritanceOnlyError, match=r"^an Event cannot be sent"):
            ours.send(event)


def test_deeply_nested_inherit_only_object_is_refused_by_the_pipe() -> None:
    ours, _ = Pipe()
    with pytest.raises(InheritanceOnlyError, match=r"^a Lock cannot be sent through a pipe"):
        ours.send({"workers": [{"lock": multiprocessing.get_context("spawn").Lock()}]})


def use_inherited(lock: Any, results: Any) -> None:
    with lock:
        results.put("inherited")


def test_passing_them_to_process_instead_works(start_method: str) -> None:
    ctx = context(start_method)
    lock, results = ctx.Lock(), Queue(ctx=ctx)
    child = ctx.Process(target=use_inherited, args=(lock, results))
    child.start()
    assert results.get(timeout=WAIT) == "inherited"
    child.join(WAIT)
    assert child.exitcode == 0


# -- get() before join(): the join watch ---------------------------------------------------

#: BaseProcess.start and BaseProcess.join as install_join_watch() makes them, for one call
#: (installing them here would change every other test's processes).
start_watched = watch_start(BaseProcess.start)
join_watched = watch_join(BaseProcess.join)


def put_megabytes(items: Any, count: int, put_done: Any) -> None:
    for n in range(count):
        items.put(bytes([n]) * MB)
    put_done.set()


def join_while_draining_after_warning(
    process: BaseProcess, items: Any, count: int
) -> tuple[list[warnings.WarningMessage], float | None, list[bytes]]:
    """Join with the watch; once it warns, a thread gets the items so that the join ends."""
    drained: list[bytes] = []
    warned_after: list[float] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        started = time.monotonic()

        def drain_after_warning() -> None:
            while not caught and time.monotonic() - started < WAIT:
                time.sleep(0.01)
            warned_after.append(time.monotonic() - started)
            drained.extend(items.get(timeout=WAIT) for _ in range(count))

        drainer = threading.Thread(target=drain_after_warning, daemon=True)
        drainer.start()
        join_watched(process, WAIT)
        drainer.join(WAIT)
    return caught, warned_after[0] if caught else None, drained


@pytest.mark.parametrize("make_queue", [lambda ctx: ctx.Queue(), lambda ctx: Queue(ctx=ctx)])
def test_join_warns_once_when_the_child_waits_for_a_get(
    start_method: str, make_queue: Callable[[Any], Any]
) -> None:
    ctx = context(start_method)
    items, put_done = make_queue(ctx), ctx.Event()
    child = ctx.Process(target=put_megabytes, args=(items, 4, put_done), name="feeder-7")
    start_watched(child)
    assert put_done.wait(WAIT)
    caught, warned_after, drained = join_while_draining_after_warning(child, items, 4)
    assert child.exitcode == 0
    assert [w.category for w in caught] == [RuntimeWarning]
    message = str(caught[0].message)
    assert f"feeder-7 (pid {child.pid})" in message and "get() the items before join()" in message
    assert warned_after is not None and warned_after < 3.0  # "after about a second"
    assert drained == [bytes([n]) * MB for n in range(4)]


def sleep_a_while(tasks: Any) -> None:
    time.sleep(1.5)


def test_join_does_not_warn_about_tasks_the_parent_put(start_method: str) -> None:
    ctx = context(start_method)
    tasks = Queue(ctx=ctx)
    tasks.putMany(range(10))  # unread, but the parent's own items: tasks for the child
    child = ctx.Process(target=sleep_a_while, args=(tasks,))
    start_watched(child)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        join_watched(child, WAIT)
    assert caught == [] and child.exitcode == 0


def put_small_items(items: Any) -> None:
    items.putMany(range(10))


def test_join_does_not_warn_when_the_child_has_ended(start_method: str) -> None:
    ctx = context(start_method)
    items = Queue(ctx=ctx)
    child = ctx.Process(target=put_small_items, args=(items,))
    start_watched(child)
    assert items.get(timeout=WAIT) == 0  # the child has flushed; it ends without a reader
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        join_watched(child, WAIT)
    assert caught == [] and child.exitcode == 0


def test_installing_the_join_watch_twice_wraps_once() -> None:
    class Watched(BaseProcess):
        pass

    install_join_watch(Watched)
    start, join = Watched.start, Watched.join
    install_join_watch(Watched)
    assert (Watched.start, Watched.join) == (start, join)
    assert join.__wrapped__ is BaseProcess.join  # type: ignore[attr-defined]
    assert start.__wrapped__ is BaseProcess.start  # type: ignore[attr-defined]


PLAIN_MULTIPROCESSING_DEADLOCK = """
    import multiprocessing
    import threading

    from processing.queues import install_join_watch


    def produce(results):
        results.put(b"x" * (4 << 20))


    if __name__ == "__main__":
        install_join_watch()
        multiprocessing.set_start_method("{start_method}")
        results = multiprocessing.Queue()
        child = multiprocessing.Process(target=produce, args=(results,), name="producer")
        child.start()
        # the guidelines' deadlock: join() before get(); a thread gets later to end it
        got = []
        getter = threading.Timer(2.0, lambda: got.append(results.get(timeout=30)))
        getter.start()
        child.join(30)
        getter.join(30)
        print("joined", child.exitcode, "after a get of", len(got[0]), "bytes")
"""


def test_install_join_watch_warns_for_plain_multiprocessing(
    tmp_path: Path, start_method: str
) -> None:
    script = write(
        tmp_path / "deadlock.py", PLAIN_MULTIPROCESSING_DEADLOCK.format(start_method=start_method)
    )
    result = run_python(script)
    assert_ok(result)
    assert out(result) == f"joined 0 after a get of {4 << 20} bytes\n"
    assert err(result).count("RuntimeWarning") == 1, err(result)
    assert "producer (pid " in err(result) and "get() the items before join()" in err(result)
    assert "deadlock.py" in err(result)  # the warning points at the script's join() line


EARLY_JOIN = """
    import multiprocessing as mp
    import os
    import threading
    import time

    def produce(q):
        q.put("one item, left unread")
        time.sleep(0.1)
        if os.fork() == 0:
            # A grandchild holds the child's end of the sentinel pipe a while after the
            # child has ended: the parent's join() wakes only once the reaper has reaped it.
            time.sleep(0.5)
            os._exit(0)

    if __name__ == "__main__":
        mp.set_start_method("{start_method}")
        q = mp.Queue()
        p = mp.Process(target=produce, args=(q,))
        p.start()
        # Another thread reaps the child, as a start() in another thread does when it cleans
        # up ended children: join(timeout) then returns early, with exitcode None (a race
        # CPython has, made certain here by the grandchild).
        reaper = threading.Thread(target=os.waitpid, args=(p.pid, 0))
        reaper.start()
        began = time.monotonic()
        p.join(5.0)
        waited = time.monotonic() - began
        reaper.join()
        print("early" if waited < 1.0 else "waited", p.exitcode, q.get())
"""


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_join_that_returns_early_gives_no_warning_and_no_extra_wait(
    tmp_path: Path, method: str
) -> None:
    """The join watch warns after ``JOIN_GRACE`` seconds of a real wait only: a join that
    multiprocessing ends early must return as early, and say nothing (also at exit, where
    multiprocessing joins the same child again)."""
    script = write(tmp_path / "early.py", EARLY_JOIN.format(start_method=method))
    expected = "early None one item, left unread\n"
    python = run_python(script)
    assert_ok(python)
    assert out(python) == expected
    unguarded = script.read_text().replace('if __name__ == "__main__":', "if True:")
    result = run_procrun(write(tmp_path / "unguarded.py", unguarded), timeout=30)
    assert_ok(result)
    assert out(result) == expected
    assert "RuntimeWarning" not in err(result), err(result)


# -- the example ---------------------------------------------------------------------------


def test_workers_example_runs_unguarded(start_method: str) -> None:
    result = run_procrun(EXAMPLES / "workers.py", start_method=start_method)
    assert_ok(result)
    assert out(result) == (
        "2000 tasks done by 4 workers\nsum of squares: 2664667000\nexit codes: [0, 0, 0, 0]\n"
    )
