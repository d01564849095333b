"""procrun freeze: real PyInstaller builds, run under spawn, forkserver and fork.

Builds are slow, so each is made once per test session (module-scoped fixtures) and shared:
a onefile and a onedir build of one unguarded Pool app, and one build per launcher
acceptance script. Every frozen run gets a clean environment whose PATH and PYTHONPATH do not
reach the building Python: the executables must not need procrun or Python installed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import (
    START_METHODS,
    assert_ok,
    clean_env,
    err,
    out,
    process_table,
    run_procrun,
    write,
)

pytestmark = pytest.mark.timeout(600)

BUILD_TIMEOUT = 400
#: Frozen runs see only this environment (plus the start method): no Python, no procrun.
BARE_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}

POOL_APP = """
import argparse
import importlib.util
import multiprocessing
import os
import sys
import time

from helpers import scale

parser = argparse.ArgumentParser(description="an unguarded app")
parser.add_argument("--count", type=int, default=20)
options = parser.parse_args()

with open(os.path.join(os.path.dirname(__file__), "data", "factor.txt")) as handle:
    FACTOR = int(handle.read())


def work(item):
    time.sleep(0.05)
    return scale(item, FACTOR)


with multiprocessing.Pool(2) as pool:
    total = sum(pool.map(work, range(options.count), chunksize=1))
print("total", total, multiprocessing.get_start_method())
heavy = ("typer", "rich", "click", "libcst", "PyInstaller")
print("heavy loaded", sorted(name for name in sys.modules if name.split(".")[0] in heavy))
print("heavy bundled", [name for name in heavy if importlib.util.find_spec(name)])
"""

ACCEPTANCE = {
    # The guidelines' safe-importing example, unguarded: the child prints once.
    "guidelines.py": """
        from multiprocessing import Process

        def foo():
            print("hello")

        p = Process(target=foo)
        p.start()
        p.join()
        print("exit", p.exitcode)
    """,
    # Queue, Lock and Value as globals, a lambda and a closure as targets.
    "shared_globals.py": """
        import multiprocessing

        queue = multiprocessing.Queue()
        lock = multiprocessing.Lock()
        counter = multiprocessing.Value("i", 0)

        def add(amount):
            with lock:
                counter.value += amount
            queue.put(amount)

        def make_adder(amount):
            def adder():
                add(amount)
            return adder

        workers = [multiprocessing.Process(target=make_adder(n)) for n in range(1, 4)]
        workers.append(multiprocessing.Process(target=lambda: add(10)))
        for worker in workers:
            worker.start()
        received = sorted(queue.get(timeout=30) for _ in workers)
        for worker in workers:
            worker.join()
        print("received", received, "counter", counter.value)
    """,
    # Ctrl-C: PyInstaller's runtime hook imported multiprocessing before procrun, yet the app
    # must join its child and flush its files before it dies of SIGINT.
    "interrupted.py": """
        import multiprocessing
        import sys
        import time

        def finish(path):
            time.sleep(1.0)
            with open(path, "w") as done:
                done.write("child finished")

        child = multiprocessing.Process(target=finish, args=(sys.argv[1],))
        child.start()
        log = open(sys.argv[2], "w")
        log.write("never closed")
        raise KeyboardInterrupt
    """,
    # The join watch: join() before the child's 4 MiB item is read (a thread reads it 2 s
    # later), which procrun app.py warns about on stderr; the frozen app must as well.
    "join_watch.py": """
        import multiprocessing
        import threading
        import time

        def produce(queue):
            queue.put(b"x" * (4 << 20))

        queue = multiprocessing.Queue()
        producer = multiprocessing.Process(target=produce, args=(queue,), name="producer")
        producer.start()

        def read_later():
            time.sleep(2)
            print("read", len(queue.get(timeout=30)))

        reader = threading.Thread(target=read_later)
        reader.start()
        producer.join()
        reader.join()
        print("joined", producer.exitcode)
    """,
    # An exit status, and an uncaught error whose traceback names this file and line.
    "failing.py": """
        import multiprocessing
        import sys

        def square(x):
            return x * x

        with multiprocessing.Pool(1) as pool:
            print("squares", pool.map(square, [1, 2, 3]))
        if sys.argv[1:] == ["exit"]:
            sys.exit(3)
        raise ValueError("the app failed here")
    """,
}


def freeze(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return run_procrun("freeze", *args, cwd=cwd, timeout=BUILD_TIMEOUT)


def run_frozen(
    executable: Path, *args: str, start_method: str, cwd: Path
) -> subprocess.CompletedProcess[bytes]:
    env = dict(BARE_ENV, PROCRUN_START_METHOD=start_method, HOME=str(cwd))
    return subprocess.run(
        [str(executable), *args], cwd=cwd, env=env, capture_output=True, timeout=120
    )


@pytest.fixture(scope="module")
def pool_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pool_app")
    write(folder / "app.py", POOL_APP)
    write(folder / "helpers.py", "def scale(item, factor):\n    return item * factor\n")
    write(folder / "data" / "factor.txt", "3\n")
    return folder


@pytest.fixture(scope="module")
def onefile(pool_app: Path) -> Path:
    result = freeze("app.py", "--add-data", "data:data", "--verify", cwd=pool_app)
    assert_ok(result)
    assert "verified under" in out(result)
    return pool_app / "dist" / "app"


@pytest.fixture(scope="module")
def onedir(pool_app: Path) -> tuple[Path, dict[str, object]]:
    result = freeze(
        "app.py", "--onedir", "--name", "app_dir", "--add-data", "data:data", "--json",
        cwd=pool_app,
    )  # fmt: skip
    assert_ok(result)
    summary = json.loads(out(result))
    return pool_app / "dist" / "app_dir" / "app_dir", summary


def descendants(pid: int) -> set[int]:
    """The processes below ``pid`` now, from /proc."""
    children: dict[int, list[int]] = {}
    for child, _, parent, _ in process_table():
        children.setdefault(parent, []).append(child)
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def run_counting(executable: Path, start_method: str, cwd: Path) -> tuple[int, str, int]:
    """Run ``executable``; its exit status, stdout and the most processes below it at once."""
    env = dict(BARE_ENV, PROCRUN_START_METHOD=start_method, HOME=str(cwd))
    process = subprocess.Popen(
        [str(executable)], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    most = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal most
        while not done.is_set():
            most = max(most, len(descendants(process.pid)))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        stdout, stderr = process.communicate(timeout=120)
    finally:
        done.set()
        sampler.join()
    assert process.returncode == 0, stderr.decode(errors="replace")
    return process.returncode, stdout.decode(), most


@pytest.mark.parametrize("method", START_METHODS)
def test_frozen_unguarded_pool_prints_once_without_respawning(
    onefile: Path, pool_app: Path, method: str
) -> None:
    _, stdout, most = run_counting(onefile, method, pool_app)
    lines = stdout.splitlines()
    assert [line for line in lines if line.startswith("total")] == [f"total 570 {method}"]
    # 2 workers + the onefile bootloader's Python + the resource tracker + the fork server
    assert 0 < most <= 2 + 3, f"{most} processes at once below the app"


def test_frozen_app_carries_and_imports_no_heavy_module(onefile: Path, pool_app: Path) -> None:
    result = run_frozen(onefile, start_method="spawn", cwd=pool_app)
    assert_ok(result)
    assert "heavy loaded []" in out(result)
    assert "heavy bundled []" in out(result)


@pytest.mark.parametrize("method", START_METHODS)
def test_frozen_argparse_app_never_sees_multiprocessing_arguments(
    onefile: Path, pool_app: Path, method: str
) -> None:
    result = run_frozen(onefile, "--count", "4", start_method=method, cwd=pool_app)
    assert_ok(result)
    assert f"total 18 {method}" in out(result)
    assert "usage:" not in err(result)
    bad = run_frozen(onefile, "--bogus", start_method=method, cwd=pool_app)
    assert bad.returncode == 2
    assert "usage: app [-h] [--count COUNT]" in err(bad)


def test_frozen_app_refuses_a_bad_start_method_in_one_line(onefile: Path, pool_app: Path) -> None:
    result = run_frozen(onefile, start_method="thread", cwd=pool_app)
    assert result.returncode == 2
    assert err(result) == (
        "app: error: invalid start method 'thread' for PROCRUN_START_METHOD "
        "(choose from spawn, forkserver, fork)\n"
    )
    assert out(result) == ""


@pytest.mark.parametrize("method", START_METHODS)
def test_onedir_build_finds_its_added_data(
    onedir: tuple[Path, dict[str, object]], pool_app: Path, method: str, tmp_path: Path
) -> None:
    executable, summary = onedir
    assert summary["mode"] == "onedir"
    assert summary["executable"] == str(executable)
    assert isinstance(summary["size"], int) and summary["size"] > 1_000_000
    result = run_frozen(executable, start_method=method, cwd=tmp_path)
    assert_ok(result)
    assert f"total 570 {method}" in out(result)


def test_rebuild_with_nothing_changed_reuses_pyinstallers_cache(
    onefile: Path, pool_app: Path
) -> None:
    before = onefile.stat().st_mtime_ns
    result = freeze("app.py", "--add-data", "data:data", "--json", cwd=pool_app)
    assert_ok(result)
    log = Path(json.loads(out(result))["log"]).read_text()
    assert "Building because" not in log, log
    assert onefile.stat().st_mtime_ns == before


@pytest.fixture(scope="module")
def acceptance_apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Each acceptance script, frozen onedir (one through a spec that pyinstaller builds)."""
    folder = tmp_path_factory.mktemp("acceptance")
    apps = {}
    for name, source in ACCEPTANCE.items():
        write(folder / name, source)
        stem = name.removesuffix(".py")
        if name == "failing.py":
            assert_ok(freeze(name, "--onedir", "--spec", cwd=folder))
            built = subprocess.run(
                [sys.executable, "-m", "PyInstaller", f"{stem}.spec", "--noconfirm"],
                cwd=folder,
                capture_output=True,
                timeout=BUILD_TIMEOUT,
            )
            assert built.returncode == 0, built.stderr.decode(errors="replace")[-3000:]
        else:
            assert_ok(freeze(name, "--onedir", "--quiet", cwd=folder))
        apps[name] = folder / "dist" / stem / stem
    yield apps


@pytest.mark.parametrize("method", START_METHODS)
@pytest.mark.parametrize(
    ("script", "args"),
    [("guidelines.py", ()), ("shared_globals.py", ()), ("failing.py", ("exit",))],
)
def test_acceptance_scripts_frozen_as_under_procrun(
    acceptance_apps: dict[str, Path], script: str, args: tuple[str, ...], method: str
) -> None:
    executable = acceptance_apps[script]
    folder = executable.parent.parent.parent
    expected = run_procrun(folder / script, *args, start_method=method, cwd=folder)
    frozen = run_frozen(executable, *args, start_method=method, cwd=folder)
    assert (frozen.returncode, out(frozen)) == (expected.returncode, out(expected))
    assert frozen.returncode == (3 if args else 0)


@pytest.mark.parametrize("method", START_METHODS)
def test_frozen_traceback_names_the_users_file_and_line(
    acceptance_apps: dict[str, Path], method: str
) -> None:
    executable = acceptance_apps["failing.py"]
    frozen = run_frozen(executable, start_method=method, cwd=executable.parent)
    assert frozen.returncode == 1
    assert out(frozen) == "squares [1, 4, 9]\n"
    stderr = err(frozen)
    assert 'failing.py", line 11, in <module>' in stderr, stderr
    assert 'raise ValueError("the app failed here")' in stderr
    assert stderr.rstrip().endswith("ValueError: the app failed here")
    assert "procrun/" not in stderr


def _warnings_shown(stderr: str) -> list[str]:
    """stderr's lines with pids and the folder before the script's name taken out."""
    lines = re.sub(r"pid \d+", "pid N", stderr).splitlines()
    return [re.sub(r"^\S*join_watch\.py:", "join_watch.py:", line) for line in lines]


@pytest.mark.parametrize("method", START_METHODS)
def test_frozen_join_watch_warns_as_procrun_does(
    acceptance_apps: dict[str, Path], method: str
) -> None:
    executable = acceptance_apps["join_watch.py"]
    folder = executable.parent.parent.parent
    expected = run_procrun(folder / "join_watch.py", start_method=method, cwd=folder)
    assert_ok(expected)
    assert "get() the items before join()" in err(expected)
    frozen = run_frozen(executable, start_method=method, cwd=folder)
    assert (frozen.returncode, out(frozen)) == (0, out(expected))
    assert _warnings_shown(err(frozen)) == _warnings_shown(err(expected))


#: The kinds of multiprocessing use that PyInstaller's own functional tests check in frozen
#: apps (a process, a queue, a pool running from the same bundle, a semaphore, a nested
#: process, processes started from several threads, a child reading its main module's
#: code, a ProcessPoolExecutor), as one unguarded program of ours.
FROZEN_CHECKS = """
import concurrent.futures
import multiprocessing
import os
import sys
import threading
import time


def bundle_folder(_=None):
    return getattr(sys, "_MEIPASS", os.path.dirname(os.path.abspath(__file__)))


def report(queue, tag):
    queue.put(tag)


def grandparent(queue):
    queue.put("child")
    inner = multiprocessing.Process(target=report, args=(queue, "grandchild"))
    inner.start()
    inner.join()
    queue.put(f"grandchild exit {inner.exitcode}")


def hold(semaphore, inside, peak):
    with semaphore:
        with inside.get_lock():
            inside.value += 1
            peak.value = max(peak.value, inside.value)
        time.sleep(0.2)
        with inside.get_lock():
            inside.value -= 1


def main_code_name(queue):
    main = sys.modules["__main__"]
    code = main.__loader__.get_code("__main__")
    queue.put(os.path.basename(code.co_filename))


def start_in_thread(codes, index):
    child = multiprocessing.Process(target=abs, args=(-index,))
    child.start()
    child.join()
    codes[index] = child.exitcode


queue = multiprocessing.Queue()

# 1. a process, and its exit status
single = multiprocessing.Process(target=report, args=(queue, "one process"))
single.start()
print("process:", queue.get(timeout=60), "exit", single.join() or single.exitcode)

# 2. a queue fed by two processes
feeders = [multiprocessing.Process(target=report, args=(queue, n)) for n in (1, 2)]
for feeder in feeders:
    feeder.start()
print("queue:", sorted(queue.get(timeout=60) for _ in feeders))
for feeder in feeders:
    feeder.join()

# 3. a pool, whose workers run from the same bundle as the main process
with multiprocessing.Pool(2) as pool:
    folders = set(pool.map(bundle_folder, range(4)))
    print("pool:", pool.map(abs, [-1, -2, -3]), "same bundle", folders == {bundle_folder()})

# 4. a semaphore shared by four processes lets two in at a time
semaphore = multiprocessing.BoundedSemaphore(2)
inside, peak = multiprocessing.Value("i", 0), multiprocessing.Value("i", 0)
holders = [multiprocessing.Process(target=hold, args=(semaphore, inside, peak)) for _ in range(4)]
for holder in holders:
    holder.start()
for holder in holders:
    holder.join()
print("semaphore: at most", peak.value, "inside at once")

# 5. a process that starts a process
outer = multiprocessing.Process(target=grandparent, args=(queue,))
outer.start()
print("nested:", sorted(queue.get(timeout=60) for _ in range(3)))
outer.join()

# 6. processes started from four threads at once
codes = [None] * 4
threads = [threading.Thread(target=start_in_thread, args=(codes, i)) for i in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("threads:", codes)

# 7. a child can read its main module's code
reader = multiprocessing.Process(target=main_code_name, args=(queue,))
reader.start()
print("main code in a child:", queue.get(timeout=60))
reader.join()

# 8. a process pool executor
with concurrent.futures.ProcessPoolExecutor(2) as executor:
    print("executor:", list(executor.map(abs, [-4, -5])))
print("done with", multiprocessing.get_start_method())
"""


@pytest.fixture(scope="module")
def checks_apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("checks")
    write(folder / "frozen_checks.py", FROZEN_CHECKS)
    assert_ok(freeze("frozen_checks.py", "--quiet", cwd=folder))
    assert_ok(freeze("frozen_checks.py", "--onedir", "--name", "checks_dir", "--quiet", cwd=folder))
    return {
        "onefile": folder / "dist" / "frozen_checks",
        "onedir": folder / "dist" / "checks_dir" / "checks_dir",
    }


@pytest.mark.parametrize("method", START_METHODS)
@pytest.mark.parametrize("kind", ["onefile", "onedir"])
def test_frozen_app_passes_the_checks_pyinstaller_makes(
    checks_apps: dict[str, Path], kind: str, method: str
) -> None:
    executable = checks_apps[kind]
    folder = executable.parents[1] if kind == "onefile" else executable.parents[2]
    expected = run_procrun(folder / "frozen_checks.py", start_method=method, cwd=folder)
    assert_ok(expected)
    assert "semaphore: at most 2 inside at once" in out(expected)
    frozen = run_frozen(executable, start_method=method, cwd=folder)
    assert (frozen.returncode, out(frozen), err(frozen)) == (0, out(expected), "")


#: A one-file app that exits while the helpers it has just started are still importing.
HELPERS_AT_EXIT = """
import multiprocessing
from multiprocessing import forkserver

def square(x):
    return x * x

if multiprocessing.get_start_method() == "forkserver":
    forkserver.ensure_running()  # the resource tracker and the fork server, both starting
print("started the helpers")
"""


@pytest.fixture(scope="module")
def helpers_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("helpers_app")
    write(folder / "helpers_at_exit.py", HELPERS_AT_EXIT)
    assert_ok(freeze("helpers_at_exit.py", "--quiet", "-s", "forkserver", cwd=folder))
    return folder / "dist" / "helpers_at_exit"


@pytest.mark.skipif("forkserver" not in START_METHODS, reason="no forkserver here")
def test_one_file_app_outlives_its_starting_helpers_40_runs_in_a_row(helpers_app: Path) -> None:
    """A one-file app's folder is deleted as its main process exits: helpers still importing
    from it then failed (plain PyInstaller: 2 to 3 runs in 40). The app waits for them."""
    for run in range(40):
        result = run_frozen(helpers_app, start_method="forkserver", cwd=helpers_app.parent)
        assert (result.returncode, out(result)) == (0, "started the helpers\n"), run
        assert err(result) == "", f"run {run}: {err(result)}"


# -- bad input: each refused before PyInstaller builds anything -------------------------------


def test_missing_script_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = freeze("nothere.py", cwd=tmp_path)
    assert result.returncode == 2
    assert err(result).strip() == (
        "procrun freeze: error: can't open file 'nothere.py': No such file or directory"
    )
    assert not (tmp_path / "build").exists()


def test_syntax_error_is_reported_before_pyinstaller(tmp_path: Path) -> None:
    write(tmp_path / "bad.py", "x = 1\nprint 'hello'\n")
    result = freeze("bad.py", cwd=tmp_path)
    assert result.returncode == 2
    message = err(result).strip()
    assert message.startswith("procrun freeze: error: bad.py:2: SyntaxError:"), message
    assert "Python 2" in message
    assert len(message.splitlines()) == 1
    assert not (tmp_path / "build").exists()


def test_foreign_dist_entry_is_not_overwritten(tmp_path: Path) -> None:
    write(tmp_path / "app.py", "print('hi')\n")
    mine = write(tmp_path / "dist" / "app", "my own file\n")
    result = freeze("app.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "procrun did not build it" in err(result)
    assert "--force" in err(result)
    assert mine.read_text() == "my own file\n"


def test_pyinstaller_failure_shows_its_log_tail_and_where_the_log_is(tmp_path: Path) -> None:
    write(tmp_path / "app.py", "print('hi')\n")
    result = freeze("app.py", "--", "--no-such-pyinstaller-option", cwd=tmp_path)
    assert result.returncode == 1
    stderr = err(result)
    assert "PyInstaller failed" in stderr
    log = tmp_path / "build" / "procrun" / "app" / "build.log"
    assert str(log) in stderr
    assert "--no-such-pyinstaller-option" in stderr  # the relevant line of its log
    assert "Traceback" not in stderr


def test_missing_pyinstaller_says_how_to_install_it(tmp_path: Path) -> None:
    write(tmp_path / "app.py", "print('hi')\n")
    code = (
        "import sys; sys.modules['PyInstaller'] = None; from procrun.entry import main; "
        "sys.exit(main(['freeze', 'app.py']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, timeout=60
    )
    assert result.returncode == 2
    assert "PyInstaller is not installed" in err(result)
    assert "pip install pyinstaller" in err(result)


def test_spec_option_writes_an_editable_spec_and_builds_nothing(tmp_path: Path) -> None:
    write(tmp_path / "app.py", "print('hi')\n")
    result = freeze("app.py", "--spec", "--hidden-import", "json", cwd=tmp_path)
    assert_ok(result)
    spec = (tmp_path / "app.spec").read_text()
    assert "from procrun.freezer.bundle import prepare" in spec
    assert "['json']" in spec
    compile(spec, "app.spec", "exec")
    assert not (tmp_path / "dist").exists()
    again = freeze("app.py", "--spec", cwd=tmp_path)
    assert_ok(again)  # procrun's own spec may be rewritten
    (tmp_path / "app.spec").write_text("# my spec\n")
    refused = freeze("app.py", "--spec", cwd=tmp_path)
    assert refused.returncode == 2
    assert (tmp_path / "app.spec").read_text() == "# my spec\n"


def test_frozen_runs_use_an_environment_without_procrun(tmp_path: Path) -> None:
    """What makes every frozen run above a run on a machine without procrun."""
    import shutil

    for name in ("python3", "python", "procrun"):
        found = shutil.which(name, path=BARE_ENV["PATH"])
        if found is None:
            continue
        assert not Path(found).resolve().is_relative_to(Path(sys.prefix).resolve())
        if name != "procrun":
            probe = subprocess.run(
                [found, "-c", "import procrun"],
                env=BARE_ENV,
                cwd=tmp_path,
                capture_output=True,
                timeout=60,
            )
            assert probe.returncode != 0, f"{found} imports procrun"
    assert shutil.which("procrun", path=BARE_ENV["PATH"]) is None


# -- Windows and macOS facts, faked on a real build ----------------------------------------------


def test_windowed_app_without_standard_streams_still_verifies(
    onefile: Path, tmp_path: Path
) -> None:
    """A windowed app (PyInstaller --windowed on Windows) has no stdout: sys.stdout is None.
    A program started with its descriptors 1 and 2 closed gets the same from Python."""
    from procrun.freezer.build import verify

    windowed = write(tmp_path / "windowed", f'#!/bin/sh\nexec "{onefile}" >&- 2>&-\n')
    windowed.chmod(0o755)
    checks = verify(str(windowed))
    assert sorted(check["method"] for check in checks) == sorted(START_METHODS)
    assert all(check["ok"] for check in checks), checks


#: Windows refuses to remove a program that runs (or that a virus scanner holds open):
#: PyInstaller's EXE step removes the old executable before it writes the new one.
LOCKED = """
import os, sys
locked = os.environ["LOCKED"]
real_remove = os.remove
def remove(path, *args, **kwargs):
    if os.path.abspath(path) == locked:
        raise PermissionError(13, "Access is denied", path)
    real_remove(path, *args, **kwargs)
os.remove = os.unlink = remove
from procrun.entry import main
sys.exit(main(["freeze", *sys.argv[1:]]))
"""


def test_rebuild_over_a_running_executable_says_what_to_do(onefile: Path, pool_app: Path) -> None:
    before = onefile.read_bytes()
    # --windowed changes only the EXE step (no effect on Linux): PyInstaller redoes that step
    result = subprocess.run(
        [sys.executable, "-c", LOCKED, "app.py", "--add-data", "data:data", "--windowed"],
        cwd=pool_app,
        env=dict(clean_env(), LOCKED=str(onefile)),
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"procrun freeze: error: cannot replace {onefile}: Access is denied; if the app is "
        "running or the file is open in another program, close it, then build again"
    ]
    assert onefile.read_bytes() == before


def test_verify_reads_an_app_that_writes_in_another_code_page(
    onefile: Path, tmp_path: Path
) -> None:
    """On Windows an app's redirected stderr is in the ANSI code page (here, cp1252's é)."""
    from procrun.freezer.build import verify

    app = write(tmp_path / "cp1252", f"#!/bin/sh\nprintf 'caf\\351\\n' >&2\nexec \"{onefile}\"\n")
    app.chmod(0o755)
    checks = verify(str(app))
    assert sorted(check["method"] for check in checks) == sorted(START_METHODS)


@pytest.mark.skipif(sys.platform == "win32", reason="ends by SIGINT")
@pytest.mark.parametrize("method", START_METHODS)
def test_frozen_ctrl_c_joins_children_and_flushes_files_before_dying_of_sigint(
    acceptance_apps: dict[str, Path], method: str, tmp_path: Path
) -> None:
    import signal

    executable = acceptance_apps["interrupted.py"]
    done, log = tmp_path / "done.txt", tmp_path / "log.txt"
    frozen = run_frozen(executable, str(done), str(log), start_method=method, cwd=tmp_path)
    assert frozen.returncode == -signal.SIGINT, err(frozen)
    assert done.read_text() == "child finished"
    assert log.read_text() == "never closed"
    assert err(frozen).count("Traceback") == 1
