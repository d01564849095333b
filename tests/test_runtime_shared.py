"""processing.sharedmem: SharedValue, SharedStruct, SharedArray and LocalManager.

Shared memory described by struct formats, shared with real child processes under spawn,
forkserver and fork; shared by inheritance only; bad values never reach the shared bytes.
"""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Callable
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

import pytest
from conftest import assert_ok, out, run_procrun
from processing.sharedmem import LocalManager, SharedArray, SharedStruct, SharedValue

pytestmark = pytest.mark.smoke

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "shared.py"
#: Seconds a child process may take before the test fails instead of hanging.
JOIN_TIMEOUT = 60


def run_children(ctx: BaseContext, target: Callable[..., None], *args: Any, count: int = 1) -> None:
    """Run ``count`` children of ``target(*args)`` to the end; each must exit with 0."""
    processes = [ctx.Process(target=target, args=args) for _ in range(count)]  # type: ignore[attr-defined]
    for process in processes:
        process.start()
    try:
        for process in processes:
            process.join(JOIN_TIMEOUT)
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join(5)
    assert [process.exitcode for process in processes] == [0] * count


# -- children (module level: spawn and forkserver import them by name) ---------------------


def increment(counter: SharedValue, pair: SharedStruct, cells: SharedArray, times: int) -> None:
    for _ in range(times):
        with counter.get_lock():
            counter.value += 1
        with pair.get_lock():
            count, total = pair.value
            pair.value = (count + 1, total + 0.5)
        with cells.get_lock():
            cells[0] += 1
            cells[1] += 2


def update_struct(record: SharedStruct) -> None:
    number, ratio, name = record.value
    record.value = (number + 1, ratio * 2, name.rstrip(b"\0") + b"!")


def update_value(name: SharedValue) -> None:
    name.value = name.value.rstrip(b"\0").upper()


def update_arrays(*arrays: SharedArray) -> None:
    for array in arrays:
        array[::2] = [item * 10 for item in array[::2]]
        array[-1] = len(array)


def use_manager_objects(number: SharedValue, cells: SharedArray, lock: Any) -> None:
    with lock:
        number.value += 1
        cells[:] = [cell + number.value for cell in cells]


def remember(cells: SharedArray) -> None:
    global WORKER_CELLS
    WORKER_CELLS = cells


def store_square(index: int) -> int:
    WORKER_CELLS[index] = index * index
    return index


WORKER_CELLS: SharedArray


# -- sharing with children -----------------------------------------------------------------


def test_increments_under_the_lock_from_four_processes_are_all_counted(start_method: str) -> None:
    ctx = multiprocessing.get_context(start_method)
    counter = SharedValue("i", 0, ctx=ctx)
    pair = SharedStruct("qd", (0, 0.0), ctx=ctx)
    cells = SharedArray("q", [0, 0], ctx=ctx)
    run_children(ctx, increment, counter, pair, cells, 1000, count=4)
    assert counter.value == 4000
    assert pair.value == (4000, 2000.0)
    assert cells.tolist() == [4000, 8000]


def test_shared_struct_written_by_a_child_is_seen_by_the_parent(start_method: str) -> None:
    ctx = multiprocessing.get_context(start_method)
    record = SharedStruct("id10s", (41, 1.25, b"name"), ctx=ctx)
    run_children(ctx, update_struct, record)
    assert record.value == (42, 2.5, b"name!".ljust(10, b"\0"))


def test_shared_value_written_by_a_child_is_seen_by_the_parent(start_method: str) -> None:
    ctx = multiprocessing.get_context(start_method)
    name = SharedValue("10s", b"child", lock=False, ctx=ctx)
    run_children(ctx, update_value, name)
    assert name.value == b"CHILD".ljust(10, b"\0")


def test_shared_arrays_written_by_a_child_are_seen_by_the_parent(start_method: str) -> None:
    ctx = multiprocessing.get_context(start_method)
    arrays = [
        SharedArray("d", [1.5, 2.5, 3.5, 4.5, 5.5], lock=False, ctx=ctx),  # ctypes items
        SharedArray("d", [1.5, 2.5, 3.5, 4.5, 5.5], ctx=ctx),  # ctypes items, locked
        SharedArray("B", [1, 2, 3, 4, 5], lock=False, ctx=ctx),  # range-checked items
        SharedArray("<h", [1, 2, 3, 4, 5], ctx=ctx),  # struct items
    ]
    run_children(ctx, update_arrays, *arrays)
    assert [array.tolist() for array in arrays] == [
        [15.0, 2.5, 35.0, 4.5, 5.0],
        [15.0, 2.5, 35.0, 4.5, 5.0],
        [10, 2, 30, 4, 5],
        [10, 2, 30, 4, 5],
    ]


def test_pool_workers_share_an_array_passed_as_initargs(start_method: str) -> None:
    ctx = multiprocessing.get_context(start_method)
    cells = SharedArray("i", 6, lock=False, ctx=ctx)
    with ctx.Pool(2, initializer=remember, initargs=(cells,)) as pool:
        assert pool.map_async(store_square, range(6)).get(JOIN_TIMEOUT) == list(range(6))
    assert cells.tolist() == [0, 1, 4, 9, 16, 25]


def test_local_manager_makes_objects_shared_with_a_child(start_method: str) -> None:
    ctx = multiprocessing.get_context(start_method)
    with LocalManager(ctx) as manager:
        number = manager.SharedValue("i", 1)
        cells = manager.SharedArray("d", [0.5, 1.5])
        lock = manager.Lock()
        run_children(ctx, use_manager_objects, number, cells, lock)
    assert number.value == 2
    assert cells.get() == [2.5, 3.5]


def test_example_prints_the_same_final_values_under_every_start_method(start_method: str) -> None:
    result = run_procrun(EXAMPLE, start_method=start_method)
    assert_ok(result)
    assert out(result) == (
        "SharedValue('i', 4000)\n"
        "SharedStruct('qi', (4000, 4))\n"
        "SharedArray('d', [0.0, 1.0, 4.0, 9.0, 6.0])\n"
    )


# -- inheritance only ----------------------------------------------------------------------

MAKERS: dict[str, Callable[[], Any]] = {
    "SharedValue": lambda: SharedValue("i", 1),
    "SharedStruct": lambda: SharedStruct("ii", (1, 2)),
    "SharedArray": lambda: SharedArray("d", [1.0]),
    "SharedArray-unlocked": lambda: SharedArray("d", [1.0], lock=False),
    "SharedArray-struct": lambda: SharedArray("10s", [b"a"]),
}


@pytest.mark.parametrize("kind", MAKERS)
def test_sending_through_a_pipe_says_to_pass_it_as_a_process_argument(kind: str) -> None:
    shared = MAKERS[kind]()
    sender, receiver = multiprocessing.Pipe()
    with sender, receiver:
        with pytest.raises(RuntimeError, match="as a Process argument"):
            sender.send(shared)
        assert not receiver.poll(0.1)  # nothing was sent


def test_putting_on_a_queue_reports_pass_it_as_a_process_argument(
    capsys: pytest.CaptureFixture[str],
) -> None:
    queue = multiprocessing.get_context("spawn").Queue()
    queue.put(SharedValue("i", 1))  # the queue's feeder thread pickles it, and fails
    queue.put("next")
    assert queue.get(timeout=JOIN_TIMEOUT) == "next"  # the shared value was never sent
    queue.close()
    queue.join_thread()
    assert "SharedValue objects live in shared memory" in capsys.readouterr().err


def test_pickling_outside_a_child_start_is_refused() -> None:
    with pytest.raises(RuntimeError, match=r"Pool\(initializer=f, initargs=\(shared,\)\)"):
        pickle.dumps(SharedArray("i", [1, 2]))


# -- items and slices ----------------------------------------------------------------------

ARRAY_KINDS = [("d", True), ("d", False), ("i", True), ("i", False), ("<i", True), ("<i", False)]
SLICES = [
    slice(None),
    slice(1, 4),
    slice(-3, None),
    slice(None, -2),
    slice(None, None, 2),
    slice(1, None, 3),
    slice(None, None, -1),
    slice(5, 0, -2),
    slice(4, 2),
    slice(-100, 100),
]


@pytest.mark.parametrize(("format", "lock"), ARRAY_KINDS)
def test_items_and_slices_read_as_a_list_would(format: str, lock: bool) -> None:
    model = [3, 1, 4, 1, 5, 9, 2]
    array = SharedArray(format, model, lock=lock)
    assert len(array) == len(model)
    assert [array[i] for i in range(-len(model), len(model))] == model + model
    assert list(array) == array.get() == array.tolist() == model
    for index in SLICES:
        assert array[index] == model[index], index
    with pytest.raises(IndexError):
        array[len(model)]


@pytest.mark.parametrize(("format", "lock"), ARRAY_KINDS)
def test_slice_assignment_of_equal_length_writes_as_a_list_would(format: str, lock: bool) -> None:
    model = [3, 1, 4, 1, 5, 9, 2]
    array = SharedArray(format, model, lock=lock)
    for number, index in enumerate(SLICES):
        values = [number * 10 + k for k in range(len(model[index]))]
        model[index] = values
        array[index] = values
        assert array.get() == model, index
    array[-1] = 77
    model[-1] = 77
    array.set(range(7))
    assert array.get() == list(range(7))


def test_an_int_makes_that_many_zero_items() -> None:
    assert SharedArray("d", 3).get() == [0.0, 0.0, 0.0]
    assert SharedArray("2s", 2, lock=False).get() == [b"\0\0", b"\0\0"]
    assert len(SharedArray("i", 0)) == 0


def test_repr_shows_format_and_values() -> None:
    assert repr(SharedValue("i", 42)) == "SharedValue('i', 42)"
    assert repr(SharedStruct("ib", (1, -1))) == "SharedStruct('ib', (1, -1))"
    assert repr(SharedArray("B", [1, 2])) == "SharedArray('B', [1, 2])"
    # The whole array, as processing 0.3x documents it.
    assert repr(SharedArray("B", range(10))) == ("SharedArray('B', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])")


def test_value_get_set_and_format() -> None:
    value = SharedValue("d", 1.5)
    value.set(2.5)
    assert (value.get(), value.value, value.format) == (2.5, 2.5, "d")
    assert value.getLock() is value.get_lock()


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "format"),
    [
        (lambda: SharedValue("z", 1), "'z'"),
        (lambda: SharedStruct("i#", (1,)), "'i#'"),
        (lambda: SharedArray("k", [1]), "'k'"),
        (lambda: SharedValue("", 1), "''"),
    ],
)
def test_a_bad_format_is_refused_naming_it(make: Callable[[], Any], format: str) -> None:
    with pytest.raises(ValueError, match=format):
        make()


def test_a_format_of_several_items_is_refused_where_one_item_is_needed() -> None:
    with pytest.raises(ValueError, match="'ii' describes 2; use SharedStruct"):
        SharedValue("ii", 1)
    with pytest.raises(ValueError, match="'2d' describes 2"):
        SharedArray("2d", [1.0, 2.0])


def test_a_value_out_of_range_is_refused_at_creation() -> None:
    with pytest.raises(ValueError, match="format 'B' cannot hold 300"):
        SharedValue("B", 300)
    with pytest.raises(ValueError, match=r"format 'B' cannot hold 300 \(index 2\)"):
        SharedArray("B", [1, 2, 300])
    with pytest.raises(ValueError, match=r"'ii' holds 2 values.*\(1, 2, 3\)"):
        SharedStruct("ii", (1, 2, 3))


def set_value(target: Any, value: Any) -> None:
    target.value = value


def set_item(index: Any, value: Any) -> Callable[[Any], None]:
    def assign(target: Any) -> None:
        target[index] = value

    return assign


BAD_WRITES = {
    "value-out-of-range": (lambda: SharedValue("B", 7), lambda v: set_value(v, 300), "'B'.*300"),
    "value-wrong-type": (
        lambda: SharedValue("10s", b"abc"),
        lambda v: set_value(v, 3.5),  # (a str is taken as its Latin-1 bytes, as in 0.3x)
        "'10s'.*3.5",
    ),
    "struct-3-tuple-for-ii": (
        lambda: SharedStruct("ii", (1, 2)),
        lambda s: set_value(s, (1, 2, 3)),
        r"'ii'.*\(1, 2, 3\)",
    ),
    "struct-second-item-bad": (
        lambda: SharedStruct("id", (1, 2.0)),
        lambda s: s.set((5, "x")),
        r"'id'.*\(5, 'x'\)",
    ),
    "array-item-out-of-range": (
        lambda: SharedArray("B", [1, 2, 3]),
        set_item(1, 300),
        "'B'.*300",
    ),
    "array-item-out-of-range-unlocked": (
        lambda: SharedArray("B", [1, 2, 3], lock=False),
        set_item(1, 300),
        "'B'.*300",
    ),
    "array-slice-item-out-of-range": (
        lambda: SharedArray("B", [1, 2, 3], lock=False),
        set_item(slice(0, 2), [4, 300]),
        "'B'.*300",
    ),
    "array-slice-wrong-length": (
        lambda: SharedArray("i", [1, 2, 3], lock=False),
        set_item(slice(0, 2), [1]),
        "slice .0:2. has 2 items.* not 1",
    ),
    "array-set-wrong-length": (
        lambda: SharedArray("i", [1, 2, 3]),
        lambda a: a.set([1, 2]),
        "has 3 items.* not 2",
    ),
    "array-set-item-out-of-range": (
        lambda: SharedArray("h", [1, 2, 3]),
        lambda a: a.set([9, 9, 70000]),
        "'h'.*70000",
    ),
    "array-slice-item-not-a-number": (
        lambda: SharedArray("d", [1.0, 2.0, 3.0]),
        set_item(slice(0, 2), [4.0, "x"]),
        "'d'.*'x'",
    ),
    "unlocked-array-set-item-not-a-number": (
        lambda: SharedArray("d", [1.0, 2.0, 3.0], lock=False),
        lambda a: a.set([4.0, "x", 6.0]),
        "'d'.*'x'",
    ),
    "struct-array-item-out-of-range": (
        lambda: SharedArray("<h", [1, 2, 3], lock=False),
        set_item(-1, 70000),
        "'<h'.*70000",
    ),
}


@pytest.mark.parametrize("case", BAD_WRITES)
def test_a_bad_write_raises_naming_format_and_value_and_changes_nothing(case: str) -> None:
    make, write, message = BAD_WRITES[case]
    shared = make()
    before = shared.tobytes() if isinstance(shared, SharedArray) else shared.value
    with pytest.raises(ValueError, match=message):
        write(shared)
    after = shared.tobytes() if isinstance(shared, SharedArray) else shared.value
    assert after == before


def test_lock_must_be_a_bool_or_a_lock() -> None:
    with pytest.raises(TypeError, match="lock must be True"):
        SharedValue("i", 1, lock="yes")  # type: ignore[arg-type]


def test_get_lock_without_a_lock_says_how_to_get_one() -> None:
    with pytest.raises(RuntimeError, match="lock=False and has no lock"):
        SharedArray("d", 1, lock=False).get_lock()
