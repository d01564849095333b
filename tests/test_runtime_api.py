"""``processing``: processes, synchronization, pools, managers and processing.dummy.

Children run functions of this module, so they are defined at module level; each test runs
under spawn, forkserver and fork (the ``method`` fixture sets the default start method).
"""

from __future__ import annotations

import copy
import multiprocessing
import pickle
import threading
import time
from pathlib import Path
from typing import Any

import processing
import processing.dummy
import pytest
from conftest import assert_ok, err, out, run_procrun, run_python, write

WAIT = 30  # seconds any blocking call in these tests may take


def report_name(queue: Any, go: Any) -> None:
    queue.put(processing.currentProcess().getName())
    go.wait(WAIT)


def test_process_old_accessors(method: str) -> None:
    queue, go = multiprocessing.Queue(), processing.Event()
    p = processing.Process(target=report_name, args=(queue, go))
    p.setName("worker-x")
    p.setDaemon(True)
    p.setAuthKey(b"secret")
    assert (p.getName(), p.isDaemon(), p.getAuthKey()) == ("worker-x", True, b"secret")
    p.start()
    assert queue.get(timeout=WAIT) == "worker-x"
    assert p.isAlive() and p.getPid() == p.pid and p.getExitCode() is None
    assert p in processing.activeChildren()
    go.set()
    p.join(WAIT)
    assert (p.isAlive(), p.getExitCode()) == (False, 0)
    assert processing.cpuCount() == multiprocessing.cpu_count()


def sleep_until(event: Any) -> None:
    event.wait(WAIT)


def test_wait_for_any_child_returns_the_first_to_end(method: str) -> None:
    go = processing.Event()
    slow = processing.Process(target=sleep_until, args=(go,))
    quick = processing.Process(target=time.sleep, args=(0,))
    slow.start()
    quick.start()
    try:
        assert processing.waitForAnyChild(timeout=WAIT) is quick
        assert processing.waitForAnyChild(timeout=0.1) is None
    finally:
        go.set()
        slow.join(WAIT)


def count_under_lock(lock: Any, counter: Any, n: int) -> None:
    for _ in range(n):
        with lock:
            counter.value += 1


def wait_on_condition(condition: Any, ready: Any, woken: Any) -> None:
    with condition:
        ready.release()  # the parent gets the lock only once this waits (wait releases it)
        condition.wait(WAIT)
        woken.release()


def test_synchronization_primitives_across_processes(method: str) -> None:
    counter = multiprocessing.Value("i", 0, lock=False)
    for lock in (processing.Lock(), processing.RLock()):
        counter.value = 0
        ps = [processing.Process(target=count_under_lock, args=(lock, counter, 500)) for _ in "ab"]
        for p in ps:
            p.start()
        for p in ps:
            p.join(WAIT)
        assert counter.value == 1000
    condition, ready, woken = (
        processing.Condition(),
        processing.Semaphore(0),
        processing.Semaphore(0),
    )
    waiters = [
        processing.Process(target=wait_on_condition, args=(condition, ready, woken)) for _ in "ab"
    ]
    for p in waiters:
        p.start()
    assert ready.acquire(timeout=WAIT) and ready.acquire(timeout=WAIT)
    with condition:
        condition.notifyAll()
    assert woken.acquire(timeout=WAIT) and woken.acquire(timeout=WAIT)
    for p in waiters:
        p.join(WAIT)
    bounded = processing.BoundedSemaphore(1)
    bounded.acquire()
    bounded.release()
    with pytest.raises(ValueError):
        bounded.release()
    event = processing.Event()
    assert not event.isSet()
    event.set()
    assert event.isSet()


def double(x: int) -> int:
    return 2 * x


def test_pool_old_and_new_names(method: str) -> None:
    with processing.Pool(2) as pool:
        assert pool.applyAsync(double, (21,)).get(WAIT) == 42
        assert pool.mapAsync(double, range(5)).get(WAIT) == [0, 2, 4, 6, 8]
        assert sorted(pool.imapUnordered(double, range(5))) == [0, 2, 4, 6, 8]
        assert pool.map(double, range(3)) == [0, 2, 4]
        with pytest.raises(processing.TimeoutError):
            pool.applyAsync(time.sleep, (2,)).get(0.01)


def append_from_child(items: Any, n: int) -> None:
    for i in range(n):
        items.append(("child", i))


def test_manager_proxy_from_threads_and_copies(method: str) -> None:
    with processing.Manager() as manager:
        items = manager.list()

        def use(proxy: Any, tag: str) -> None:
            for i in range(100):
                proxy.append((tag, i))

        threads = [
            threading.Thread(target=use, args=(items, "shared-1")),
            threading.Thread(target=use, args=(items, "shared-2")),
            threading.Thread(target=use, args=(copy.copy(items), "copy")),
        ]
        child = processing.Process(target=append_from_child, args=(items, 100))
        child.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join(WAIT)
        child.join(WAIT)
        tags = sorted({tag for tag, _ in items})
        assert (len(items), tags) == (400, ["child", "copy", "shared-1", "shared-2"])


def test_dummy_is_the_same_api_on_threads() -> None:
    queue = processing.dummy.BufferedQueue()
    lock = processing.dummy.Lock()
    p = processing.dummy.Process(target=lambda: queue.put(processing.dummy.currentProcess().name))
    p.setName("thread-y")
    p.start()
    p.join(WAIT)
    assert (queue.get(timeout=WAIT), p.isAlive(), p.getName()) == ("thread-y", False, "thread-y")
    with lock, processing.dummy.Pool(2) as pool:
        assert pool.applyAsync(double, (4,)).get(WAIT) == 8
        assert sorted(pool.imapUnordered(double, range(3))) == [0, 2, 4]
    assert processing.dummy.cpuCount() >= 1
    counter = processing.dummy.SharedValue("i", 0)

    def bump() -> None:
        for _ in range(100):
            with counter.get_lock():
                counter.value += 1

    threads = [processing.dummy.Process(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert counter.value == 400


def test_every_public_name_of_ours_is_documented() -> None:
    for module in (processing, processing.dummy):
        for name in module.__all__:
            value = getattr(module, name)
            if not getattr(value, "__module__", "").startswith("processing"):
                continue  # multiprocessing's own, re-exported (documented in the README)
            assert value.__doc__ and value.__doc__.strip(), f"{module.__name__}.{name}"


# -- guidelines as behaviour ------------------------------------------------------------


def outer() -> Any:
    def nested() -> None:
        pass

    return nested


@pytest.mark.parametrize("method_", ["spawn", "forkserver"])
def test_unpicklable_target_or_argument_is_named_with_the_fix(method_: str) -> None:
    multiprocessing.set_start_method(method_, force=True)
    try:
        with pytest.raises(pickle.PicklingError) as caught:
            processing.Process(target=lambda: None).start()
        message = str(caught.value)
        assert ".<locals>.<lambda> (function)" in message and "its target test_" in message
        assert "module level" in message and "procrun" in message
        with pytest.raises(pickle.PicklingError) as caught:
            processing.Process(target=print, args=(1, outer())).start()
        assert "argument 1 outer.<locals>.nested (function)" in str(caught.value)
    finally:
        multiprocessing.set_start_method(None, force=True)


def test_lambda_target_works_under_procrun(tmp_path: Path) -> None:
    script = write(
        tmp_path / "lam.py",
        """
        import multiprocessing
        import processing

        results = multiprocessing.Queue()
        p = processing.Process(target=lambda: results.put("lambda ran"))
        p.start()
        print(results.get(timeout=30))
        p.join()
        """,
    )
    result = run_procrun(script, start_method="spawn")
    assert_ok(result)
    assert out(result) == "lambda ran\n"


def test_unpicklable_argument_under_procrun_is_not_told_to_use_procrun(tmp_path: Path) -> None:
    script = write(
        tmp_path / "socket_arg.py",
        """
        import threading
        import processing

        def hold(lock):
            pass

        try:
            processing.Process(target=hold, args=(threading.Lock(),)).start()
        except Exception as error:
            print(type(error).__name__, error)
        """,
    )
    result = run_procrun(script, start_method="spawn")
    assert_ok(result)
    message = out(result)
    assert message.startswith("PicklingError cannot start Process-1: argument 0 ")
    assert "procrun pickles functions" in message and "processing.Lock" in message
    assert "run the script with procrun" not in message


def test_large_arguments_warn_once_with_the_largest(tmp_path: Path) -> None:
    script = write(
        tmp_path / "large.py",
        """
        import multiprocessing
        import processing

        def size(data, small):
            pass

        if __name__ == "__main__":
            multiprocessing.set_start_method("spawn")
            data = b"x" * (70 * 2**20)
            for _ in range(2):
                p = processing.Process(target=size, args=(data, 1))
                p.start()
                p.join()
            print(p.exitcode)
        """,
    )
    result = run_python(script)
    assert_ok(result)
    warnings = [line for line in err(result).splitlines() if "processing: warning" in line]
    assert len(warnings) == 1
    assert "argument 0 (bytes, 70 MiB)" in warnings[0]
    assert "processing.SharedArray" in warnings[0]
