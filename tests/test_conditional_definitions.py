"""Module-level ``if`` chains that choose definitions, run by ``procrun`` in real processes.

A child replays such an ``if`` and evaluates its test itself when the test reads only what
the replay reproduces; otherwise the ``if`` runs once, in the parent, and what it binds
travels by copy. Either way each child must see what ``python`` gives it under ``fork``:
``test_python_under_fork_prints_the_expected_output`` checks each expectation against that
reference, the other tests check procrun against the expectation under every start method.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import START_METHODS, assert_ok, err, out, run_procrun, run_python, write

pytestmark = pytest.mark.smoke

#: The program of issue 13: a configuration constant chooses processes or threads.
CHOOSES_PROCESSES = """
    import os
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    PARENT = os.getpid()

    config = "processes"
    if config == "processes":
        from processing import *
    else:
        from processing.dummy import *

    if sys.platform == "win32":
        import ntpath as paths
    else:
        import posixpath as paths

    if sys.version_info >= (3, 8):
        if os.environ.get("CODEC") == "json":
            import json as codec
        elif os.environ.get("CODEC") == "marshal":
            import marshal as codec
        else:
            import pickle as codec


    class Worker(Process):
        def __init__(self, queue):
            super().__init__()
            self.queue = queue

        def run(self):
            own_process = os.getpid() != PARENT
            native = paths.__name__ == os.path.__name__
            self.queue.put(f"{type(self).__name__}: {own_process} {native} {codec.__name__}")


    queue = Queue()
    worker = Worker(queue)
    worker.start()
    worker.join()  # a small item: the child can exit before it is taken
    print("exit", worker.exitcode)
    if worker.exitcode == 0:
        print(queue.get())
"""
CHOOSES_PROCESSES_OUTPUT = "exit 0\nWorker: True True json\n"

#: The test reads what a function the parent called changed: a child that evaluated it on
#: the replayed ``SETTINGS = {}`` would die of KeyError before its target runs.
CHOSEN_BY_A_FUNCTION = """
    SETTINGS = {}


    def configure():
        SETTINGS["backend"] = "processes"


    configure()

    if SETTINGS["backend"] == "processes":
        from multiprocessing import Process
    else:
        from threading import Thread as Process


    class Worker(Process):
        def run(self):
            print("worker of", SETTINGS["backend"], flush=True)


    worker = Worker()
    worker.start()
    worker.join()
    print("exit", worker.exitcode)
"""
CHOSEN_BY_A_FUNCTION_OUTPUT = "worker of processes\nexit 0\n"

#: A replayed ``if`` that gives a constant a new value after a child started: that child,
#: as under fork, still sees the old value.
REBOUND_IN_AN_IF = """
    import sys
    from multiprocessing import Process

    LIMIT = 3


    def work():
        print("limit", LIMIT, flush=True)


    first = Process(target=work)
    first.start()
    first.join()
    if sys.platform != "":
        LIMIT = 5
    second = Process(target=work)
    second.start()
    second.join()
"""
REBOUND_IN_AN_IF_OUTPUT = "limit 3\nlimit 5\n"

#: A star import in an ``if`` whose test only the parent can evaluate (it reads what a call
#: returned): the names it binds are known only once it ran, so what reads them (the class
#: statement) runs once too, and travels by copy.
STAR_IMPORT_CHOSEN_AT_RUN_TIME = """
    import sys


    def choose():
        return "processes" if len(sys.argv) < 2 else sys.argv[1]


    config = choose()
    if config == "processes":
        from multiprocessing import *
    elif config == "threads":
        from multiprocessing.dummy import *
    else:
        raise ValueError(f"no such configuration: {config}")


    class Worker(Process):
        def run(self):
            print("worker", type(self).__name__, current_process().name, flush=True)


    worker = Worker(name="one")
    worker.start()
    worker.join()
    print("exit", worker.exitcode)
"""
STAR_IMPORT_CHOSEN_AT_RUN_TIME_OUTPUT = "worker Worker one\nexit 0\n"

SCRIPTS = {
    "chooses_processes": (CHOOSES_PROCESSES, CHOOSES_PROCESSES_OUTPUT),
    "chosen_by_a_function": (CHOSEN_BY_A_FUNCTION, CHOSEN_BY_A_FUNCTION_OUTPUT),
    "rebound_in_an_if": (REBOUND_IN_AN_IF, REBOUND_IN_AN_IF_OUTPUT),
    "star_import_chosen_at_run_time": (
        STAR_IMPORT_CHOSEN_AT_RUN_TIME,
        STAR_IMPORT_CHOSEN_AT_RUN_TIME_OUTPUT,
    ),
}
#: The environment every script runs in (CHOOSES_PROCESSES reads CODEC).
ENV = {"CODEC": "json"}

#: Runs a script as ``python script.py`` does, with the fork start method.
UNDER_FORK = (
    "import multiprocessing, runpy, sys; multiprocessing.set_start_method('fork'); "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


@pytest.mark.skipif("fork" not in START_METHODS, reason="no fork start method here")
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_python_under_fork_prints_the_expected_output(tmp_path: Path, name: str) -> None:
    source, expected = SCRIPTS[name]
    script = write(tmp_path / f"{name}.py", source)
    result = run_python("-c", UNDER_FORK, script, env=ENV)
    assert_ok(result)
    assert out(result) == expected


def test_conditional_star_import_defines_the_base_class_in_every_child(
    tmp_path: Path, start_method: str
) -> None:
    script = write(tmp_path / "chooses_processes.py", CHOOSES_PROCESSES)
    result = run_procrun(script, start_method=start_method, env=ENV)
    assert_ok(result)
    assert out(result) == CHOOSES_PROCESSES_OUTPUT
    assert err(result) == ""


def test_if_testing_what_a_called_function_set_runs_once_and_its_names_travel(
    tmp_path: Path, start_method: str
) -> None:
    script = write(tmp_path / "chosen_by_a_function.py", CHOSEN_BY_A_FUNCTION)
    result = run_procrun(script, start_method=start_method, timeout=30)
    assert_ok(result)
    assert out(result) == CHOSEN_BY_A_FUNCTION_OUTPUT
    assert err(result) == ""


def test_constant_rebound_in_an_if_after_a_child_starts_is_seen_as_under_fork(
    tmp_path: Path, start_method: str
) -> None:
    script = write(tmp_path / "rebound_in_an_if.py", REBOUND_IN_AN_IF)
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert out(result) == REBOUND_IN_AN_IF_OUTPUT


def test_star_import_in_an_if_only_the_parent_can_evaluate_reaches_every_child(
    tmp_path: Path, start_method: str
) -> None:
    script = write(tmp_path / "chosen_at_run_time.py", STAR_IMPORT_CHOSEN_AT_RUN_TIME)
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert out(result) == STAR_IMPORT_CHOSEN_AT_RUN_TIME_OUTPUT
    assert err(result) == ""


def test_guarded_script_with_conditional_definitions_runs_as_under_python(
    tmp_path: Path, start_method: str
) -> None:
    # Under spawn and forkserver python re-runs the module in the child as __mp_main__,
    # which takes the else branch below; procrun's replay must do the same.
    script = write(
        tmp_path / "guarded.py",
        """
        import multiprocessing
        import os
        import sys

        if __name__ == "__main__":
            ROLE = "main"
        else:
            ROLE = "re-run"

        if sys.platform == "win32":
            import ntpath as paths
        else:
            import posixpath as paths


        def work(queue):
            queue.put(f"{ROLE} {paths.__name__ == os.path.__name__}")


        if __name__ == "__main__":
            multiprocessing.set_start_method(sys.argv[1])
            queue = multiprocessing.Queue()
            process = multiprocessing.Process(target=work, args=(queue,))
            process.start()
            print(queue.get())
            process.join()
            print("exit", process.exitcode)
        """,
    )
    expected = run_python(script, start_method)
    assert_ok(expected)
    result = run_procrun(script, start_method, start_method=start_method)
    assert_ok(result)
    assert out(result) == out(expected)
