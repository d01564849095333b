"""Logging set up at a script's top level, run by ``procrun`` in real processes.

Under fork a child inherits the parent's loggers with their levels, handlers and formatters.
A spawned child replays the definitions instead, and procrun counts logging's handlers,
formatters and their set-up calls among them: each child must log as it would under fork.
The reference is ``python`` itself, whose default start method on Linux (through Python
3.13) is fork.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import START_METHODS, assert_ok, err, out, run_procrun, run_python, write

pytestmark = pytest.mark.smoke

FORK_IS_PYTHONS_DEFAULT = pytest.mark.skipif(
    "fork" not in START_METHODS, reason="the reference output is python's under fork"
)

#: A tutorial's logger: level, handler and formatter set by top-level statements.
TUTORIAL = """
    import logging, multiprocessing
    log = logging.getLogger("app")
    log.setLevel(logging.INFO)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(processName)s %(message)s"))
    log.addHandler(handler)
    def work(): log.info("from child")
    log.info("from parent")
    p = multiprocessing.Process(target=work); p.start(); p.join()
"""


@FORK_IS_PYTHONS_DEFAULT
def test_logger_set_up_at_top_level_logs_from_a_child_as_under_fork(
    tmp_path: Path, start_method: str
) -> None:
    script = write(tmp_path / "tutorial.py", TUTORIAL)
    expected = run_python(script)
    assert_ok(expected)
    assert err(expected) == "MainProcess from parent\nProcess-1 from child\n"
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert err(result) == err(expected)


POOL = """
    import logging
    import sys
    from multiprocessing import Pool

    logging.getLogger().setLevel(logging.INFO)
    console = logging.StreamHandler(sys.stdout)
    console.setFormatter(logging.Formatter("%(processName)s %(levelname)s %(message)s"))
    logging.getLogger().addHandler(console)


    def square(n):
        logging.info("square of %d", n)
        return n * n


    with Pool(2) as pool:
        print(pool.map(square, range(4)))
"""


def _pool_lines(text: str) -> list[str]:
    """The pool's log lines without the worker's number and start method, sorted."""
    worker = re.compile(r"^(Fork|Spawn|ForkServer)PoolWorker-\d+ ")
    lines = text.splitlines()
    assert all(worker.match(line) for line in lines[:-1]), text
    return sorted(worker.sub("PoolWorker ", line) for line in lines[:-1]) + lines[-1:]


@FORK_IS_PYTHONS_DEFAULT
def test_pool_workers_log_through_the_root_handler_and_its_formatter(
    tmp_path: Path, start_method: str
) -> None:
    script = write(tmp_path / "pool_logging.py", POOL)
    expected = run_python(script)
    assert_ok(expected)
    assert _pool_lines(out(expected)) == [
        *(f"PoolWorker INFO square of {n}" for n in range(4)),
        "[0, 1, 4, 9]",
    ]
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert _pool_lines(out(result)) == _pool_lines(out(expected))


FILE_HANDLER = """
    import logging
    import multiprocessing
    import os

    LOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "app.log")
    log = logging.getLogger("app")
    log.setLevel(logging.INFO)
    log.addHandler(logging.FileHandler(LOG))


    def work():
        log.info("child")


    log.info("parent before")
    child = multiprocessing.Process(target=work)
    child.start()
    child.join()
    log.info("parent after")
"""


@FORK_IS_PYTHONS_DEFAULT
def test_file_handler_in_append_mode_receives_the_childs_line(
    tmp_path: Path, start_method: str
) -> None:
    under_python = write(tmp_path / "python" / "file_handler.py", FILE_HANDLER)
    assert_ok(run_python(under_python))
    expected = (under_python.parent / "app.log").read_text()
    assert expected == "parent before\nchild\nparent after\n"
    script = write(tmp_path / "procrun" / "file_handler.py", FILE_HANDLER)
    assert_ok(run_procrun(script, start_method=start_method))
    assert (script.parent / "app.log").read_text() == expected


#: A handler that empties its file when made stays in the main process: a child replaying
#: it would empty the parent's log. The console handler is replayed.
TRUNCATING_FILE_HANDLER = """
    import logging
    import multiprocessing
    import os

    LOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run.log")
    log = logging.getLogger("app")
    log.setLevel(logging.INFO)
    log.addHandler(logging.StreamHandler())
    log.addHandler(logging.FileHandler(LOG, mode="w"))


    def work():
        log.info("child")


    log.info("parent before")
    child = multiprocessing.Process(target=work)
    child.start()
    child.join()
    log.info("parent after")
"""


def test_file_handler_in_write_mode_is_not_emptied_by_a_child(
    tmp_path: Path, start_method: str
) -> None:
    script = write(tmp_path / "truncating.py", TRUNCATING_FILE_HANDLER)
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert err(result) == "parent before\nchild\nparent after\n"
    lines = (tmp_path / "run.log").read_text().splitlines()
    # Under fork the child writes to the parent's open file too; a spawned child has no
    # file handler at all, rather than one that empties the file.
    assert [line for line in lines if line != "child"] == ["parent before", "parent after"]


BASIC_CONFIG_TRUNCATING = """
    import logging
    import multiprocessing
    import os

    LOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run.log")
    logging.basicConfig(filename=LOG, filemode="w", level=logging.INFO, format="%(message)s")


    def work():
        logging.info("child")


    logging.info("parent before")
    child = multiprocessing.Process(target=work)
    child.start()
    child.join()
    logging.info("parent after")
"""


def test_basic_config_in_write_mode_is_not_emptied_by_a_child(
    tmp_path: Path, start_method: str
) -> None:
    script = write(tmp_path / "basic_config.py", BASIC_CONFIG_TRUNCATING)
    assert_ok(run_procrun(script, start_method=start_method))
    lines = (tmp_path / "run.log").read_text().splitlines()
    assert [line for line in lines if line != "child"] == ["parent before", "parent after"]


#: ``__name__`` is ``__mp_main__`` while a child replays the script; under fork a child's
#: loggers are the parent's, named ``__main__``.
NAMED_BY_MODULE = """
    import logging
    import multiprocessing

    log = logging.getLogger(__name__)
    log.setLevel(logging.INFO)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(name)s %(processName)s %(message)s"))
    log.addHandler(handler)


    def work():
        log.info("child, module logger")
        logging.getLogger(__name__).info("child, looked up again")


    log.info("parent")
    child = multiprocessing.Process(target=work)
    child.start()
    child.join()
"""


@FORK_IS_PYTHONS_DEFAULT
def test_logger_named_by___name___is_the_main_logger_in_a_child(
    tmp_path: Path, start_method: str
) -> None:
    script = write(tmp_path / "named.py", NAMED_BY_MODULE)
    expected = run_python(script)
    assert_ok(expected)
    assert err(expected) == (
        "__main__ MainProcess parent\n"
        "__main__ Process-1 child, module logger\n"
        "__main__ Process-1 child, looked up again\n"
    )
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert err(result) == err(expected)


#: A function may change ``log`` (it never runs), so ``log`` travels to each child by copy,
#: and a logger pickles by name: the copy must name the logger that the replay set up.
COPIED_LOGGER = """
    import logging
    import multiprocessing

    log = logging.getLogger(__name__)
    log.setLevel(logging.INFO)
    log.addHandler(logging.StreamHandler())


    def quieten():
        log.setLevel(logging.ERROR)


    def work():
        log.info("child")


    child = multiprocessing.Process(target=work)
    child.start()
    child.join()
"""


def test_copied_logger_named_by___name___has_the_replayed_handler(
    tmp_path: Path, start_method: str
) -> None:
    script = write(tmp_path / "copied.py", COPIED_LOGGER)
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert err(result) == "child\n"
