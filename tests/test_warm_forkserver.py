"""The fork server started at launch (procrun.warm_server): definitions replayed once, in the
server, while the script runs its own imports; python's behaviour otherwise unchanged.

Each script imports ``slowmod``, a module that logs the pid of every process importing it
and then sleeps: a child forked from a warm server never imports it itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import (
    assert_ok,
    clean_env,
    out,
    process_table,
    procrun_command,
    run_procrun,
    run_python,
    write,
)

pytestmark = [
    pytest.mark.smoke,
    pytest.mark.skipif(sys.platform == "win32", reason="no forkserver on Windows"),
]

SLOW_MODULE = """
import os, time
with open(os.environ["IMPORT_LOG"], "a") as log:
    log.write(f"{os.getpid()}\\n")
time.sleep(float(os.environ.get("SLOW", "0.3")))
"""


def importers(log: Path) -> list[int]:
    return [int(line) for line in log.read_text().split()] if log.exists() else []


def setup(tmp_path: Path, script: str, slow: float = 0.3) -> tuple[Path, dict[str, str], Path]:
    write(tmp_path / "slowmod.py", SLOW_MODULE)
    log = tmp_path / "imports.log"
    env = {"IMPORT_LOG": str(log), "SLOW": str(slow), "PROCRUN_CACHE_DIR": str(tmp_path / "c")}
    return write(tmp_path / "job.py", script), env, log


def test_children_find_the_definitions_replayed_in_the_server(tmp_path: Path) -> None:
    script, env, log = setup(
        tmp_path,
        """
        import os
        import slowmod
        from multiprocessing import Pool

        def work(x):
            return x * x, os.getppid(), "slowmod" in globals()

        with Pool(3) as pool:
            results = pool.map(work, range(6))
        print([r[0] for r in results], all(r[2] for r in results))
        print(os.getpid(), sorted({r[1] for r in results}))
        """,
    )
    result = run_procrun(script, start_method="forkserver", env=env)
    assert_ok(result)
    squares, pids = out(result).splitlines()
    assert squares == "[0, 1, 4, 9, 16, 25] True"
    parent, servers = pids.split(" ", 1)
    [server] = eval(servers)
    # Imported by the script's own process and once by the server: never by a worker.
    assert sorted(importers(log)) == sorted([int(parent), server])
    deadline = time.monotonic() + 5  # and the server ended with the program
    while alive(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(server)


def children_of_this_process_script(preamble: str) -> str:
    return (
        preamble
        + """
import os
mine = [p for p in os.listdir("/proc") if p.isdigit() and os.path.exists(f"/proc/{p}/stat")]
def parent_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rpartition(")")[2].split()[1])
    except OSError:
        return None
print([p for p in mine if parent_of(p) == os.getpid()])
"""
    )


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
@pytest.mark.parametrize(
    "preamble",
    ["import json\n", "import multiprocessing\nprint(multiprocessing.cpu_count() > 0)\n"],
    ids=["no-process-api", "cpu-count-only"],
)
def test_a_script_that_starts_no_process_gets_no_server(tmp_path: Path, preamble: str) -> None:
    script = write(tmp_path / "plain.py", children_of_this_process_script(preamble))
    result = run_procrun(script, start_method="forkserver")
    assert_ok(result)
    assert out(result).splitlines()[-1] == "[]"


def test_the_scripts_own_preload_list_wins(tmp_path: Path) -> None:
    write(
        tmp_path / "helper.py",
        'import os\nopen(os.environ["HELPER_LOG"], "a").write(f"{os.getpid()}\\n")\n',
    )
    script, env, _ = setup(
        tmp_path,
        """
        import os
        import multiprocessing
        import slowmod

        def work(x):
            return os.getppid()

        multiprocessing.set_forkserver_preload(["helper"])
        with multiprocessing.Pool(2) as pool:
            print(sorted(set(pool.map(work, range(4)))))
        """,
    )
    helper_log = tmp_path / "helper.log"
    env["HELPER_LOG"] = str(helper_log)
    # From the script's folder: python's server (before 3.14) finds modules from its own
    # working directory, not from the script's sys.path.
    result = run_procrun(script, start_method="forkserver", env=env, cwd=tmp_path)
    assert_ok(result)
    [server] = eval(out(result))
    assert importers(helper_log) == [server]  # the server the workers came from had it


def test_an_environment_changed_before_the_first_process_reaches_the_children(
    tmp_path: Path,
) -> None:
    # python's server starts with the first process and takes the environment of then.
    source = """
        import os
        import multiprocessing
        import slowmod

        def work(x):
            return os.environ.get("GREETING")

        if __name__ == "__main__":
            os.environ["GREETING"] = "set by the script"
            multiprocessing.set_start_method("forkserver", force=True)
            with multiprocessing.Pool(2) as pool:
                print(pool.map(work, range(2)))
        """
    script, env, _ = setup(tmp_path, source)
    expected = "['set by the script', 'set by the script']\n"
    python = run_python(script, env=env)
    assert_ok(python)
    assert out(python) == expected
    unguarded = source.replace('if __name__ == "__main__":\n', "if True:\n")
    script = write(tmp_path / "unguarded.py", unguarded)
    result = run_procrun(script, start_method="forkserver", env=env)
    assert_ok(result)
    assert out(result) == expected


# -- the server ends with the program -----------------------------------------------------------

ENDINGS = """
import os, sys, time
from multiprocessing import forkserver
server = forkserver._forkserver._forkserver_pid
print(server, flush=True)
log = os.environ["IMPORT_LOG"]
waited = 0  # until the server is in its long import
while waited < 500 and not (os.path.exists(log) and str(server) in open(log).read().split()):
    time.sleep(0.02)
    waited += 1
how = sys.argv[1]
if how == "exception":
    raise RuntimeError("the script fails")
if how == "signal":
    time.sleep(60)
if how == "normal":
    sys.exit(0)
import slowmod  # not reached by the ways above: the server is replaying it meanwhile
from multiprocessing import Pool
"""


def alive(pid: int) -> bool:
    return any(entry[0] == pid and entry[1] != "Z" for entry in process_table())


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
@pytest.mark.parametrize(
    "how", ["normal", "exception", "SIGINT", "SIGTERM", "SIGKILL"], ids=str.lower
)
def test_the_warm_server_ends_with_the_program(tmp_path: Path, how: str) -> None:
    """Even while the server is still replaying a slow definition (a 120 s import): the
    server holds the root's stdout and stderr, so the root's output ends only with it."""
    script, env, log = setup(tmp_path, ENDINGS, slow=120)
    argument = how if how in ("normal", "exception") else "signal"
    command = [*procrun_command(), "-s", "forkserver", str(script), argument]
    with subprocess.Popen(
        command, env=clean_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as root:
        assert root.stdout is not None
        server = int(root.stdout.readline())
        assert alive(server)
        deadline = time.monotonic() + 10
        while server not in importers(log) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server in importers(log)  # the server is in its long import now
        if argument == "signal":
            root.send_signal(getattr(signal, how))
        root.communicate(timeout=20)
        assert root.returncode != 0 or how == "normal"
    deadline = time.monotonic() + 5
    while alive(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(server)


def test_a_child_of_the_warm_server_replays_nothing_again(tmp_path: Path) -> None:
    # A handler added by a replayed set-up call: a second replay in the child would add a
    # second one to the same logger, and every line would be logged twice.
    script, env, _ = setup(
        tmp_path,
        """
        import logging
        import multiprocessing
        import slowmod

        log = logging.getLogger("app")
        log.addHandler(logging.StreamHandler())

        def count():
            print(len(log.handlers))

        worker = multiprocessing.Process(target=count)
        worker.start()
        worker.join()
        """,
    )
    result = run_procrun(script, start_method="forkserver", env=env)
    assert_ok(result)
    assert out(result) == "1\n"
