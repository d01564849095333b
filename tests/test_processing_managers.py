"""``processing.managers``: the processing package's managers and proxies (0.34-0.52).

Each behaviour the 0.52 docs (manager-objects, proxy-objects) and 0.3x's ``Manager()`` show is
pinned here, under spawn, forkserver and fork: children run functions of this module, so they
are defined at module level. Key behaviours also run as programs: guarded under ``python``,
unguarded under ``procrun``.
"""

from __future__ import annotations

import collections
import multiprocessing
import multiprocessing.managers
import re
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import processing
import processing.dummy
import processing.managers
import pytest
from conftest import assert_ok, out, run_procrun, run_python, write

WAIT = 30  # seconds any blocking call in these tests may take


@pytest.fixture
def manager(method: str) -> Iterator[Any]:
    """A started ``processing.Manager()`` under the test's start method."""
    with processing.Manager() as started:
        yield started


def run_child(target: Any, *args: Any) -> None:
    child = processing.Process(target=target, args=args)
    child.start()
    child.join(WAIT)
    assert child.exitcode == 0


# -- proxies -------------------------------------------------------------------------------


def check_squares(squares: Any, results: Any) -> None:
    results.append(squares == [i * i for i in range(10)])
    results.append(str(squares))


def test_list_proxy_compares_by_value_and_str_shows_the_referent(manager: Any) -> None:
    squares = manager.list([i * i for i in range(10)])
    assert str(squares) == "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]"
    assert re.fullmatch(r"<Proxy\[list\] object at 0x[0-9a-f]+>", repr(squares))
    assert (squares[4], squares[2:5]) == (16, [4, 9, 16])
    assert squares == [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]
    assert squares != [0] and squares < [1] and squares >= [0]
    with pytest.raises(TypeError, match="unhashable"):
        hash(squares)
    results = manager.list()
    run_child(check_squares, squares, results)
    assert results == [True, str(squares)]


def test_a_proxy_stored_in_a_shared_list_is_its_referent(manager: Any) -> None:
    a, b = manager.list(), manager.list()
    a.append(b)
    assert (str(a), str(b)) == ("[[]]", "[]")
    b.append("hello")
    assert (str(a), str(b)) == ("[['hello']]", "['hello']")
    assert a[0] == ["hello"] and type(a[0]) is list


def keys_seen_by_child(squares: Any, out: Any) -> None:
    out.extend([f"<{key!r},{squares[key]!r}>" for key in squares])
    out.append(squares.has_key(81))


def test_dict_proxy_iterates_in_parent_and_child(manager: Any) -> None:
    squares = manager.dict([(i * i, i) for i in range(10)])
    expected = [f"<{i * i!r},{i!r}>" for i in range(10)]
    assert [f"<{key!r},{squares[key]!r}>" for key in squares] == expected
    assert sorted(squares.iteritems()) == [(i * i, i) for i in range(10)]
    seen = manager.list()
    run_child(keys_seen_by_child, squares, seen)
    assert seen == [*expected, True]


def test_namespace_attributes_starting_with_underscore_belong_to_the_proxy(manager: Any) -> None:
    namespace = manager.Namespace()
    namespace.x = 10
    namespace.y = "hello"
    namespace._z = 12.3
    assert str(namespace) == "Namespace(x=10, y='hello')"
    assert (namespace.x, namespace._z) == (10, 12.3)


def test_call_method_and_get_value_under_their_old_names(manager: Any) -> None:
    numbers = manager.list(range(10))
    assert numbers._callMethod("__getslice__", (2, 7)) == [2, 3, 4, 5, 6]
    assert list(numbers._callMethod("__iter__")) == list(range(10))
    with pytest.raises(IndexError):
        numbers._callMethod("__getitem__", (20,))
    with pytest.raises(processing.managers.RemoteError, match="not in exposed"):
        numbers._callMethod("no_such_method")
    assert numbers._getValue() == list(range(10)) and type(numbers._getValue()) is list
    assert numbers._callmethod("__len__") == 10


def notify_old_style(condition: Any, event: Any) -> None:
    with condition:
        condition.notifyAll()
    event.set()


def test_condition_and_event_proxies_answer_to_old_names(manager: Any) -> None:
    condition, event = manager.Condition(manager.Lock()), manager.Event()
    child = processing.Process(target=notify_old_style, args=(condition, event))
    with condition:
        child.start()
        assert condition.wait(WAIT)  # woken by the child's notifyAll()
    child.join(WAIT)
    assert child.exitcode == 0 and event.isSet() and event.is_set()


def test_list_proxy_methods_are_multiprocessings_own() -> None:
    """No layer per call: ``append`` and ``l[i]`` are the very functions of multiprocessing."""
    mine, theirs = processing.managers.ListProxy, multiprocessing.managers.ListProxy
    assert mine.append is theirs.append and mine.__getitem__ is theirs.__getitem__


# -- 0.3x: struct-formatted data held by the manager ----------------------------------------


def bump_shared(value: Any, struct: Any, array: Any) -> None:
    value.value += 1
    struct.value = (struct.value[0] * 2, b"child")
    array[1] = 2.5


def test_manager_shared_value_struct_and_array_are_seen_by_a_child(manager: Any) -> None:
    value = manager.SharedValue("i", 41)
    struct = manager.SharedStruct("i5s", (21, b"main"))
    array = manager.SharedArray("d", [0.0, 0.0, 0.0])
    run_child(bump_shared, value, struct, array)
    assert value.value == 42 and value.get() == 42
    assert struct.value == (42, b"child")
    assert (array[:], len(array), array.tolist()) == ([0.0, 2.5, 0.0], 3, [0.0, 2.5, 0.0])


def test_manager_shared_objects_refuse_bad_formats_and_values(manager: Any) -> None:
    with pytest.raises(ValueError, match="'i' cannot hold 'x'"):
        manager.SharedValue("i", "x")
    with pytest.raises(ValueError, match="not a struct format"):
        manager.SharedArray("zz", [1])
    with pytest.raises(ValueError, match="holds 2 values"):
        manager.SharedStruct("ii", (1,))
    value = manager.SharedValue("B", 1)
    with pytest.raises(ValueError, match="cannot hold 300"):
        value.value = 300
    assert value.value == 1


# -- customized and remote managers ---------------------------------------------------------


class Foo:
    def f(self) -> str:
        return "Foo.f"

    def g(self) -> str:
        return "Foo.g"

    def _h(self) -> str:
        return "Foo._h"


def squares_generator() -> Iterator[int]:
    yield from (i * i for i in range(10))


class GeneratorProxy(processing.managers.BaseProxy):
    """A Python 2 proxy class: it defines ``next``, not ``__next__``."""

    def __iter__(self) -> GeneratorProxy:
        return self

    def next(self) -> Any:
        return self._callMethod("next")


class MyManager(processing.managers.BaseManager):
    Foo1 = processing.managers.CreatorMethod(Foo)
    Foo2 = processing.managers.CreatorMethod(Foo, exposed=("g", "_h"))
    baz = processing.managers.CreatorMethod(squares_generator, proxytype=GeneratorProxy)


def test_creator_methods_expose_public_or_listed_methods(method: str) -> None:
    with MyManager() as manager:
        f1, f2 = manager.Foo1(), manager.Foo2()
        assert (f1.f(), f1.g(), hasattr(f1, "_h")) == ("Foo.f", "Foo.g", False)
        assert (f2.g(), f2._h(), hasattr(f2, "f")) == ("Foo.g", "Foo._h", False)
        assert list(manager.baz()) == [i * i for i in range(10)]
        del f1, f2
        # None, as 0.3x said and its programs test (`is not None`); multiprocessing says ''
        assert manager._debugInfo() is None and manager._debug_info() is None


def test_debug_info_is_empty_once_proxies_are_gone_even_after_errors(manager: Any) -> None:
    queue = manager.Queue()
    with pytest.raises(Exception) as raised:
        queue.get(timeout=0.01)
    assert type(raised.value).__name__ == "Empty"
    del raised
    held = manager.list()
    assert "refcount=1" in manager._debugInfo()  # a live object is listed
    del queue, held
    assert manager._debugInfo() is None


QUEUE_AUTHKEY = "none"  # a str, as the 0.52 docs' remote manager example gives it


def serve_a_queue(port: int) -> None:
    import queue

    shared = queue.Queue()

    class QueueManager(processing.managers.BaseManager):
        get_proxy = processing.managers.CreatorMethod(callable=lambda: shared, typeid="get_proxy")

    QueueManager(address=("127.0.0.1", port), authkey=QUEUE_AUTHKEY).serveForever(verbose=False)


class QueueClient(processing.managers.BaseManager):
    get_proxy = processing.managers.CreatorMethod(typeid="get_proxy")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def connect_when_up(address: tuple[str, int], connect: Any) -> Any:
    import time

    deadline = time.monotonic() + WAIT
    while True:
        try:
            return connect(address=address, authkey=QUEUE_AUTHKEY)
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_remote_manager_serves_forever_and_clients_connect_from_address(method: str) -> None:
    port = free_port()
    server = processing.Process(target=serve_a_queue, args=(port,), daemon=True)
    server.start()
    try:
        address = ("127.0.0.1", port)
        putter = connect_when_up(address, QueueClient.fromAddress)
        putter.get_proxy().put("hello")
        getter = QueueClient.from_address(address, QUEUE_AUTHKEY)
        assert getter.get_proxy().get(timeout=WAIT) == "hello"
        with pytest.raises(multiprocessing.AuthenticationError):
            QueueClient.fromAddress(address, "wrong key")
    finally:
        server.terminate()
        server.join(WAIT)


# -- bad input ------------------------------------------------------------------------------


def test_bad_arguments_are_named_in_type_errors() -> None:
    BaseManager, CreatorMethod = processing.managers.BaseManager, processing.managers.CreatorMethod
    with pytest.raises(TypeError, match="authkey must be bytes or a str, not 5"):
        BaseManager(authkey=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="address must be None, a"):
        BaseManager(address=5)
    with pytest.raises(TypeError, match="needs a callable, or the typeid"):
        CreatorMethod()
    with pytest.raises(TypeError, match="callable must be callable, not 3"):
        CreatorMethod(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="exposed must be a list of method names"):
        CreatorMethod(list, exposed="append")


def test_a_refused_creation_is_a_remote_error_and_an_unknown_address_refuses(
    manager: Any,
) -> None:
    with pytest.raises(processing.managers.RemoteError, match="not iterable"):
        manager.list(5)
    with pytest.raises(ConnectionRefusedError):
        QueueClient.fromAddress(("127.0.0.1", free_port()), b"key")


# -- processing.dummy and processing.localmanager -------------------------------------------


def test_dummy_manager_is_the_module_with_shared_types() -> None:
    import processing.dummy.managers

    manager = processing.dummy.Manager()
    assert manager is processing.dummy is processing.dummy.managers.Manager()
    namespace = manager.Namespace()
    namespace.x, namespace._y = 1, 2
    assert repr(namespace) == "Namespace(x=1)"
    assert manager.dict(a=1) == {"a": 1} and manager.list("ab") == ["a", "b"]
    assert manager.Value("i", 3).value == 3 and manager.Array("i", [1, 2]).tolist() == [1, 2]
    manager.shutdown()


def test_dummy_connections_have_the_old_byte_method_names() -> None:
    import processing.dummy.connection as connection

    left, right = processing.dummy.Pipe()
    left.sendBytes(b"ab")
    assert right.poll() and right.recvBytes() == b"ab"
    listener = connection.Listener()
    client = threading.Thread(target=lambda: connection.Client(listener.address).send("hi"))
    client.start()
    assert listener.accept().recv() == "hi"
    client.join(WAIT)


def test_dummy_current_process_answers_is_alive_in_any_thread() -> None:
    # currentProcess() is the calling thread, however it was started; the original's
    # threads all had isAlive(), which Python 3.9 removed from threading.Thread.
    result = run_python(
        "-c",
        "import threading, processing.dummy as d\n"
        "print(d.currentProcess().isAlive(), d.currentProcess().getName())\n"
        "t = threading.Thread(target=lambda: print(d.currentProcess().isAlive()))\n"
        "t.start(); t.join(); print(t.isAlive())\n"
        "p = d.Process(target=lambda: print(d.currentProcess().getName()), name='Worker')\n"
        "p.start(); p.join(); print(p.isAlive(), p.getExitCode())\n"
        "print(d.Pool(1).apply(lambda: d.currentProcess().isAlive()))\n",
    )
    assert_ok(result)
    assert out(result).splitlines() == [
        "True MainThread",
        "True",
        "False",
        "Worker",
        "False 0",
        "True",
    ]


def test_dummy_managers_of_0_3x_make_objects_threads_share() -> None:
    import processing.dummy.managers as managers

    class Registry(managers.SyncManager):
        pass

    Registry.register("Counter", collections.Counter)
    with Registry() as manager:
        manager.start()
        seen, lock = manager.list(), manager.Lock()
        counts = manager.Counter()

        def record(word: str) -> None:
            with lock:
                seen.append(word)
                counts[word] += 1

        threads = [threading.Thread(target=record, args=(w,)) for w in ("a", "b", "a")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT)
        assert sorted(seen) == ["a", "a", "b"] and counts == {"a": 2, "b": 1}
        assert manager.SharedValue("i", 3).value == 3 and manager._debug_info() is None
    make = managers.CreatorMethod(dict, proxytype=managers.BaseProxy, typeid="dict")
    assert make(None, x=1) == {"x": 1}
    assert processing.dummy.Manager()._debug_info() is None  # the module, as 0.52 returned
    assert processing.LocalManager()._debug_info() is None


def test_localmanager_module_has_the_local_manager() -> None:
    from processing.localmanager import LocalManager

    assert LocalManager is processing.LocalManager


def test_import_processing_leaves_managers_unloaded() -> None:
    result = run_python(
        "-c",
        "import sys, processing; assert 'processing.managers' not in sys.modules; "
        "processing.Manager; assert 'processing.managers' in sys.modules",
    )
    assert_ok(result)


# -- programs: guarded under python, unguarded under procrun ---------------------------------

PROGRAM_BODY = """
import processing
from processing.managers import BaseManager, BaseProxy, CreatorMethod


class Counter(object):
    def __init__(self):
        self.n = 0
    def add(self, k):
        self.n += k
        return self.n


class CountManager(BaseManager):
    Counter = CreatorMethod(Counter)


def work(counter, squares, i):
    counter.add(i)
    squares.append(i * i)
"""

PROGRAM_MAIN = """
manager = processing.Manager()
squares = manager.list()
with CountManager() as counts:
    counter = counts.Counter()
    workers = [processing.Process(target=work, args=(counter, squares, i)) for i in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join()
    print(counter.add(0), sorted(squares), squares == sorted(squares) or 'unordered')
manager.shutdown()
"""


def test_guarded_manager_program_runs_under_python(start_method: str, tmp_path: Path) -> None:
    main = "\n".join("    " + line for line in PROGRAM_MAIN.strip().splitlines())
    script = write(
        tmp_path / "guarded.py",
        PROGRAM_BODY + f"\n\nif __name__ == '__main__':\n    import multiprocessing\n"
        f"    multiprocessing.set_start_method({start_method!r})\n{main}\n",
    )
    result = run_python(script)
    assert_ok(result)
    assert out(result).split("[")[0] == "6 "
    assert "[0, 1, 4, 9]" in out(result)


@pytest.mark.skipif(sys.platform == "win32", reason="spawn is covered by the guarded run")
def test_unguarded_manager_program_runs_under_procrun(start_method: str, tmp_path: Path) -> None:
    script = write(tmp_path / "unguarded.py", PROGRAM_BODY + PROGRAM_MAIN)
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert out(result).startswith("6 [0, 1, 4, 9]")
