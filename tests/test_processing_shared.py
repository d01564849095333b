"""processing's documented reprs and behaviours of its synchronization objects and SharedArray.

The processing package (0.3x-0.52) documents how its objects print and behave; code written
for it (and its examples, which print them) relies on that. Each test pins one of them.
"""

from __future__ import annotations

import array
import os
import sys
import threading
from pathlib import Path
from typing import Any

import processing
import pytest
from conftest import assert_ok, err, out, run_procrun, run_python, write
from processing.sharedmem import SharedArray

pytestmark = pytest.mark.smoke

#: Seconds a thread or child may take before the test fails instead of hanging.
WAIT = 30


# -- synchronization objects ---------------------------------------------------------------


def start_waiting_on(condition: Any) -> threading.Thread:
    """A thread that waits on ``condition`` (for at most WAIT seconds), once it waits."""
    waiting = threading.Event()

    def wait() -> None:
        with condition:
            waiting.set()
            condition.wait(WAIT)

    waiter = threading.Thread(target=wait)
    waiter.start()
    assert waiting.wait(WAIT)
    return waiter


def test_condition_repr_names_condition_its_lock_and_its_waiters() -> None:
    condition = processing.Condition()
    assert repr(condition) == "<Condition(<RLock(None, 0)>, 0)>"
    waiter = start_waiting_on(condition)
    with condition:  # the waiter released the lock in wait(): one waiter, lock ours twice
        with condition:
            assert repr(condition) == "<Condition(<RLock(MainProcess, 2)>, 1)>"
        condition.notify()
    waiter.join(WAIT)
    assert repr(condition) == "<Condition(<RLock(None, 0)>, 0)>"
    held = processing.Condition(processing.Lock())
    with held:
        assert repr(held) == "<Condition(<Lock(owner=MainProcess)>, 0)>"


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS semaphores have no value to read")
def test_condition_counts_its_sleepers_in_semaphores_with_get_value() -> None:
    # The original test suite checks that nobody still sleeps on a condition by reading its
    # three counting semaphores with getValue(); they are processing's semaphores here too.
    condition = processing.Condition()
    counters = (condition._sleeping_count, condition._woken_count, condition._wait_semaphore)
    assert all(isinstance(counter, processing.Semaphore) for counter in counters)
    waiter = start_waiting_on(condition)
    with condition:  # the waiter is asleep once it released the lock
        assert condition._sleeping_count.getValue() - condition._woken_count.getValue() == 1
        condition.notify()
    waiter.join(WAIT)
    assert condition._sleeping_count.getValue() == condition._woken_count.getValue()
    assert condition._wait_semaphore.getValue() == 0


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


# -- unlocked integer writes in C (processing._speedups) -------------------------------------

#: Every integer format ctypes stores natively, with writes at and beyond each edge of its
#: range, of the wrong type, and at bad indexes; printed as what each write did.
WRITE_OUTCOMES = r"""
import ctypes, struct, sys
from processing.sharedmem import SharedArray
import processing.sharedmem as sharedmem

def bounds(code):
    bits = 8 * struct.calcsize(code)
    if code.isupper():
        return 0, 2 ** bits - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1

class Small(int):
    pass

class Indexable:
    def __index__(self):
        return 5

    def __repr__(self):
        return "Indexable()"

for code in "bBhHiIlLqQnN":
    low, high = bounds(code)
    array = SharedArray(code, 4, lock=False)
    writes = [
        (0, low), (1, high), (2, low - 1), (3, high + 1), (0, 2 ** 70), (1, -(2 ** 70)),
        (-1, 7), (-4, 6), (4, 1), (-5, 1), (2 ** 70, 1), ("1", 1), (1.0, 1), (None, 1),
        (0, 1.5), (0, "7"), (0, None), (0, True), (1, Small(3)), (2, Indexable()),
        (slice(0, 2), [9, 8]), (slice(0, 2), [9]), (slice(None), [high + 1] * 4),
        (slice(0, 2), (5, 4)), (slice(0, 4, 2), [1, 2]),
    ]
    for index, value in writes:
        try:
            array[index] = value
            outcome = "ok"
        except Exception as error:
            outcome = f"{type(error).__name__}: {error}"
        print(code, repr(index), repr(value), outcome, array[:])
    try:
        del array[0]
    except Exception as error:
        print(code, "del", type(error).__name__, error)
print("C writer:", sharedmem._speedups not in (None, False))
"""


def c_writer_built() -> bool:
    try:
        import processing._speedups  # noqa: F401
    except ImportError:
        return False
    return True


requires_c_writer = pytest.mark.skipif(
    not c_writer_built() and not os.environ.get("PROCRUN_REQUIRE_SPEEDUPS"),
    reason="processing._speedups was not built here (no C compiler when installed)",
)


@requires_c_writer
def test_unlocked_integer_writes_do_the_same_in_c_as_in_python(tmp_path: Path) -> None:
    # The C writer is only a faster path to the same result: every write, good or bad,
    # stores the same items and raises the same error as the Python writer it stands for.
    script = write(tmp_path / "writes.py", WRITE_OUTCOMES)
    with_c = run_python(script)
    assert_ok(with_c)
    blocker = write(
        tmp_path / "blocked.py",
        "import sys\nsys.modules['processing._speedups'] = None\n"
        f"exec(compile(open({str(script)!r}).read(), {str(script)!r}, 'exec'))\n",
    )
    without_c = run_python(blocker)
    assert_ok(without_c)
    # Where a ctypes object's layout is not the one the C code expects (a probe whose
    # address does not read back), it stores through ctypes instead, with the same result.
    refused = write(
        tmp_path / "refused.py",
        "import ctypes, processing._speedups as speedups, processing.sharedmem as sharedmem\n"
        "probe = (ctypes.c_byte * 3)()\n"
        "known = speedups.setup(type(probe), sharedmem._checked_setitem, probe,\n"
        "                       ctypes.addressof(probe) + 1, 3)\n"
        "assert known is False, known\n"
        "sharedmem._speedups = speedups\n"
        f"exec(compile(open({str(script)!r}).read(), {str(script)!r}, 'exec'))\n",
    )
    through_ctypes = run_python(refused)
    assert_ok(through_ctypes)
    lines_c, lines_python = out(with_c).splitlines(), out(without_c).splitlines()
    assert lines_c[-1] == "C writer: True"
    assert lines_python[-1] == "C writer: False"
    assert lines_c[:-1] == lines_python[:-1]
    assert out(through_ctypes) == out(with_c)
    # and the outcomes are the checked ones: nothing out of range was stored, wrapped
    assert "B 3 256 ValueError: SharedArray format 'B' cannot hold 256" in out(with_c)
    assert "B 1 255 ok [0, 255, 0, 0]" in out(with_c)


@requires_c_writer
def test_unlocked_integer_arrays_use_the_c_writer_and_children_see_its_writes(
    tmp_path: Path, start_method: str
) -> None:
    # Under every start method the child's SharedArray class gets the C writer too, and what
    # it stores through it is in the parent's memory.
    script = write(
        tmp_path / "child_writes.py",
        """
import multiprocessing, sys
import processing.sharedmem as sharedmem
from processing.sharedmem import SharedArray

def fill(array):
    for index in range(len(array)):
        array[index] = 250 - index
    try:
        array[0] = 256
    except ValueError:
        pass
    print("child C writer:", sharedmem._speedups not in (None, False), flush=True)

array = SharedArray("B", 5, lock=False)
child = multiprocessing.Process(target=fill, args=(array,))
child.start()
child.join(30)
print(array[:], child.exitcode)
""",
    )
    result = run_procrun("-s", start_method, str(script))
    assert_ok(result)
    assert out(result).splitlines() == ["child C writer: True", "[250, 249, 248, 247, 246] 0"]


def test_byte_fields_of_shared_values_take_a_python_2_str() -> None:
    # 0.3x programs wrote str into 'c', 's' and 'p' fields (a str was bytes in Python 2):
    # stored as its Latin-1 bytes, read back as bytes; what Latin-1 cannot hold is refused.
    value = processing.SharedValue("16p", "hello")
    value.value = "bye"
    fields = processing.SharedStruct("ic5s", (1, "x", "ab"))
    assert (value.value, fields.value) == (b"bye", (1, b"x", b"ab\x00\x00\x00"))
    with pytest.raises(ValueError, match="cannot hold"):
        value.value = "\u20ac"
    with pytest.raises(ValueError, match="cannot hold"):
        fields.value = ("1", "x", "ab")  # a str is still no number
    assert (value.value, fields.value) == (b"bye", (1, b"x", b"ab\x00\x00\x00"))
