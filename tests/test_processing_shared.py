"""processing's documented reprs and behaviours of its synchronization objects and SharedArray.

The processing package (0.3x-0.52) documents how its objects print and behave; code written
for it (and its examples, which print them) relies on that. Each test pins one of them.
"""

from __future__ import annotations

import threading

import processing
import pytest
from conftest import err, out, run_python

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
