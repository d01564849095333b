"""processing's documented reprs and behaviours of its synchronization objects and SharedArray.

The processing package (0.3x-0.52) documents how its objects print and behave; code written
for it (and its examples, which print them) relies on that. Each test pins one of them.
"""

from __future__ import annotations

import array
import threading
from pathlib import Path

import processing
import pytest
from conftest import assert_ok, err, out, run_procrun, run_python, write
from processing.sharedmem import SharedArray

pytestmark = pytest.mark.smoke

#: Seconds a thread or child may take before the test fails instead of hanging.
WAIT = 30


# -- synchronization objects ---------------------------------------------------------------


def test_condition_repr_names_condition_its_lock_and_its_waiters() -> None:
    condition = processing.Condition()
    assert repr(condition) == "<Condition(<RLock(None, 0)>, 0)>"
    waiting = threading.Event()

    def wait() -> None:
        with condition:
            waiting.set()
            condition.wait(WAIT)

    waiter = threading.Thread(target=wait)
    waiter.start()
    assert waiting.wait(WAIT)
    with condition:  # the waiter released the lock in wait(): one waiter, lock ours twice
        with condition:
            assert repr(condition) == "<Condition(<RLock(MainProcess, 2)>, 1)>"
        condition.notify()
    waiter.join(WAIT)
    assert repr(condition) == "<Condition(<RLock(None, 0)>, 0)>"
    held = processing.Condition(processing.Lock())
    with held:
        assert repr(held) == "<Condition(<Lock(owner=MainProcess)>, 0)>"


def test_event_repr_names_event() -> None:
    event = processing.Event()
    assert repr(event).startswith("<Event at ") and repr(event).endswith(" unset>")
    event.set()
    assert repr(event).endswith(" set>")


def test_condition_and_event_are_the_classes_of_what_they_make() -> None:
    assert isinstance(processing.Condition(), processing.Condition)
    assert isinstance(processing.Event(), processing.Event)


def test_have_native_semaphore_is_true_where_multiprocessing_has_semaphores() -> None:
    assert processing.HAVE_NATIVE_SEMAPHORE is True


def test_without_native_semaphores_the_flag_is_false_and_a_lock_says_why() -> None:
    script = (
        "import _multiprocessing\n"
        "del _multiprocessing.SemLock  # as on a platform without sem_open\n"
        "import processing\n"
        "print(processing.HAVE_NATIVE_SEMAPHORE)\n"
        "processing.Lock()\n"
    )
    result = run_python("-c", script)
    assert result.returncode == 1
    assert out(result) == "False\n"
    assert "ImportError: processing.Lock needs native semaphores (sem_open)" in err(result)


# -- SharedArray ---------------------------------------------------------------------------


@pytest.mark.parametrize("format", ["B", "d", "<h"])
@pytest.mark.parametrize("lock", [True, False])
def test_shared_array_repr_shows_every_item(format: str, lock: bool) -> None:
    items = [float(n) for n in range(12)] if format == "d" else list(range(12))
    assert repr(SharedArray(format, items, lock=lock)) == f"SharedArray({format!r}, {items!r})"


def test_shared_array_repr_of_format_c_shows_its_bytes() -> None:
    assert repr(SharedArray("c", [b"h", b"i", b"\0"])) == "SharedArray('c', b'hi\\x00')"


@pytest.mark.parametrize(("format", "typecode"), [("i", "i"), ("d", "d"), ("B", "B"), ("@q", "q")])
def test_a_slice_is_an_array_array_that_equals_the_list_of_its_items(
    format: str, typecode: str
) -> None:
    shared = SharedArray(format, [5, 6, 7, 8])
    whole = shared[:]
    assert isinstance(whole, array.array)
    assert whole.typecode == typecode
    assert whole.tobytes() == shared.tobytes()
    assert whole == [5, 6, 7, 8] and shared[1:3] == [6, 7] and shared[::-2] == (8, 6)
    assert (
        whole != [5, 6, 7]
        and whole != "5678"
        and repr(shared[:2]) == f"array({typecode!r}, {whole[:2].tolist()!r})"
    )
    shared[1:3] = shared[2:0:-1]  # an array slice assigned back, reversed
    assert shared.tolist() == [5, 7, 6, 8]


CHILD_SCRIPT = """
    import array
    import processing

    def child(shared):
        try:
            shared[0] = 2**40
        except ValueError as error:
            print("child:", type(error).__name__, "cannot hold" in str(error))
        shared[1:3] = [-n for n in shared[1:3]]
        print("child:", isinstance(shared[:], array.array), repr(shared))

    shared = processing.SharedArray("i", range(10))
    worker = processing.Process(target=child, args=(shared,))
    worker.start()
    worker.join()
    print("parent:", repr(shared), shared[:].typecode, len(shared), list(shared)[-1])
"""


def test_a_child_sees_documented_slices_and_reprs_and_bad_writes_change_nothing(
    start_method: str, tmp_path: Path
) -> None:
    script = write(tmp_path / "shared_child.py", CHILD_SCRIPT)
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    after = "[0, -1, -2, 3, 4, 5, 6, 7, 8, 9]"
    assert out(result) == (
        "child: ValueError True\n"
        f"child: True SharedArray('i', {after})\n"
        f"parent: SharedArray('i', {after}) i 10 9\n"
    )
