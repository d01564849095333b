"""The launcher's paths for other platforms and for frozen apps, proved on Linux.

Windows and macOS cannot run here, so each test fakes one platform fact at a time in a
real child process (a frozen app's import order, ``sys.platform`` at the moment it is read,
a handle-like parent sentinel, ``sys.stderr`` None) and shows the path that fact selects
does what python does on that platform. Ctrl-C's data-loss and ordering defects are plain
Linux tests.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import START_METHODS, assert_ok, err, out, run, run_procrun, run_python, write

pytestmark = pytest.mark.smoke

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="ends by a POSIX signal")

# -- Ctrl-C: python finishes everything first, then dies of SIGINT --------------------------

UNCLOSED = """
import atexit, sys
log = open(sys.argv[1], "w")
log.write("written, never closed")
atexit.register(print, "atexit ran")
raise KeyboardInterrupt
"""


@posix_only
def test_uncaught_keyboard_interrupt_loses_no_buffered_data(tmp_path: Path) -> None:
    script = write(tmp_path / "unclosed.py", UNCLOSED)
    results = {}
    for name, runner in (("python", run_python), ("procrun", run_procrun)):
        target = tmp_path / f"{name}.txt"
        results[name] = runner(script, target)
        assert target.read_text() == "written, never closed", name
    python, procrun = results["python"], results["procrun"]
    assert python.returncode == procrun.returncode == -signal.SIGINT
    assert out(procrun) == out(python) == "atexit ran\n"
    assert err(procrun) == err(python)  # one traceback, the script's frames only


@posix_only
def test_a_subclass_of_keyboard_interrupt_ends_with_status_1_as_under_python(
    tmp_path: Path,
) -> None:
    script = write(tmp_path / "sub.py", "class Stop(KeyboardInterrupt):\n    pass\n\nraise Stop\n")
    python, procrun = run_python(script), run_procrun(script)
    assert python.returncode == procrun.returncode == 1
    assert err(procrun) == err(python)


# A frozen app: PyInstaller's runtime hook imports multiprocessing before the entry runs, so
# multiprocessing's exit handler (which joins the children) is registered before anything
# of procrun's; the bootloader, not Py_RunMain, shuts the interpreter down. (Not sys.frozen:
# that would make this unfrozen interpreter start its children as an executable.)
FROZEN_ENTRY = """
import multiprocessing, sys
sys._MEIPASS = {bundle!r}
from procrun.frozen import main
main("app.py", {method!r})
"""

INTERRUPTED_APP = """
import multiprocessing, sys, time

def finish(path):
    time.sleep(1.0)
    with open(path, "w") as done:
        done.write("child finished")

child = multiprocessing.Process(target=finish, args=(sys.argv[1],))
child.start()
log = open(sys.argv[2], "w")
log.write("parent's unclosed file")
{before}raise KeyboardInterrupt
"""


def run_as_frozen(
    tmp_path: Path,
    app: str,
    start_method: str,
    *args: str,
    bundle_name: str = "bundle",
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``app`` as a frozen app's entry runs it, from the folder ``bundle_name``."""
    bundle = tmp_path / bundle_name
    write(bundle / "app.py", app)
    entry = write(
        tmp_path / "entry.py", FROZEN_ENTRY.format(bundle=str(bundle), method=start_method)
    )
    return run([sys.executable, str(entry), *args], cwd=tmp_path, env=env)


@posix_only
@pytest.mark.parametrize("start_method", START_METHODS)
def test_frozen_app_on_ctrl_c_waits_for_its_children_then_dies_of_sigint(
    tmp_path: Path, start_method: str
) -> None:
    done, log = tmp_path / "done.txt", tmp_path / "log.txt"
    result = run_as_frozen(
        tmp_path, INTERRUPTED_APP.format(before=""), start_method, str(done), str(log)
    )
    assert result.returncode == -signal.SIGINT, err(result)
    assert done.read_text() == "child finished"  # joined before the end, as python does
    assert log.read_text() == "parent's unclosed file"
    assert err(result).count("Traceback") == 1
    assert "procrun" not in err(result)


def test_frozen_app_on_ctrl_c_exits_with_windows_status_there(tmp_path: Path) -> None:
    # sys.platform is read when the app ends: faking it there selects the Windows ending,
    # python's STATUS_CONTROL_C_EXIT (0xC000013A), of which a Linux parent sees the low byte.
    done, log = tmp_path / "done.txt", tmp_path / "log.txt"
    app = INTERRUPTED_APP.format(before="child.join()\nsys.platform = 'win32'\n")
    result = run_as_frozen(tmp_path, app, "spawn", str(done), str(log))
    assert result.returncode == 0xC000013A & 0xFF, err(result)
    assert log.read_text() == "parent's unclosed file"
    assert done.read_text() == "child finished"


# -- a first import of multiprocessing in a thread -------------------------------------------


@pytest.mark.parametrize("start_method", START_METHODS)
def test_first_import_of_multiprocessing_in_a_thread(tmp_path: Path, start_method: str) -> None:
    script = write(
        tmp_path / "threaded.py",
        """
        import threading

        def work():
            import multiprocessing
            child = multiprocessing.Process(target=print, args=("from the child",))
            child.start()
            child.join()
            print("exit code", child.exitcode)

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        """,
    )
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert out(result) == "from the child\nexit code 0\n"
    assert "Error" not in err(result)


# -- helper threads are gone whenever a process forks --------------------------------------

NESTED_FORKS = """
import multiprocessing

def leaf():
    print("leaf")

def middle():
    child = multiprocessing.get_context("fork").Process(target=leaf)
    child.start()
    child.join()

for _ in range(3):
    child = multiprocessing.Process(target=middle)
    child.start()
    child.join()
with multiprocessing.get_context("fork").Pool(2) as pool:
    print(pool.map(abs, [-1, -2]))
"""


@pytest.mark.skipif(sys.version_info < (3, 12), reason="Python 3.12 started warning")
@pytest.mark.parametrize("start_method", START_METHODS)
def test_no_fork_with_threads_warning_from_procruns_threads(
    tmp_path: Path, start_method: str
) -> None:
    # procrun's SIGTERM relay (main process) and parent watch (children) are its only
    # threads here; python itself prints no warning for this script under fork.
    script = write(tmp_path / "nested.py", NESTED_FORKS)
    result = run_procrun(
        script, start_method=start_method, env={"PYTHONWARNINGS": "always::DeprecationWarning"}
    )
    assert_ok(result)
    assert out(result) == "leaf\n" * 3 + "[1, 2]\n"
    assert "multi-threaded" not in err(result), err(result)


FORKING_THREADS = """
import multiprocessing, threading

def leaf():
    pass

def forker(codes):
    for _ in range(10):
        child = multiprocessing.Process(target=leaf)
        child.start()
        child.join()
        codes.append(child.exitcode)

codes = []
threads = [threading.Thread(target=forker, args=(codes,)) for _ in range(6)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(len(codes), set(codes))
"""


@pytest.mark.skipif("fork" not in START_METHODS, reason="no fork here")
def test_threads_forking_at_the_same_moment_all_finish(tmp_path: Path) -> None:
    # The SIGTERM relay steps aside around every fork; two threads forking at once once
    # stopped and restarted it under each other and a fork never returned (about 9 runs
    # in 10 hung). Several runs, each with its own timeout, so a regression is caught.
    script = write(tmp_path / "forking.py", FORKING_THREADS)
    for _ in range(4):
        result = run_procrun(script, start_method="fork", timeout=30)
        assert_ok(result)
        assert out(result) == "60 {0}\n"


# On Windows the parent sentinel is a process handle and the watch waits on it with
# multiprocessing.connection.wait; here a descriptor stands in for the handle, under plain
# python (no procrun hooks), so that only the Windows path watches.
HANDLE_WATCH = """
import multiprocessing, os, signal, sys, time
from procrun import parent_watch

def on_sigterm(signum, frame):
    with open(sys.argv[2], "w") as note:
        note.write("handler ran")
    sys.exit(0)

def child(pid_file):
    signal.signal(signal.SIGTERM, on_sigterm)
    parent_watch._watch_handle(multiprocessing.parent_process().sentinel, signal)
    with open(pid_file, "w") as out:
        out.write(str(os.getpid()))
    time.sleep(60)

if __name__ == "__main__":
    multiprocessing.set_start_method("spawn")
    worker = multiprocessing.Process(target=child, args=(sys.argv[1],))
    worker.start()
    while not os.path.exists(sys.argv[1]) or not open(sys.argv[1]).read():
        time.sleep(0.01)
    os._exit(0)  # the parent dies without a word to the child
"""


@posix_only
def test_windows_handle_watch_ends_the_child_through_its_sigterm_handler(tmp_path: Path) -> None:
    script = write(tmp_path / "handle.py", HANDLE_WATCH)
    pid_file, note = tmp_path / "pid", tmp_path / "note"
    assert_ok(run_python(script, pid_file, note))
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)
    assert note.read_text() == "handler ran"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for this purpose: nothing of it runs.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


# -- sys.path[0] --------------------------------------------------------------------------


@posix_only
def test_script_directory_follows_each_platforms_rule(tmp_path: Path) -> None:
    # python resolves a symlinked script to its target's folder on POSIX and does not on
    # Windows (GetFullPathNameW only); procrun's children get the same sys.path[0].
    real = write(tmp_path / "real" / "app.py", "import sys\nprint(sys.path[0])\n")
    (tmp_path / "links").mkdir()
    link = tmp_path / "links" / "app.py"
    link.symlink_to(real)
    assert out(run_procrun(link)) == out(run_python(link)) == f"{real.parent}\n"
    probe = (
        "import sys\nfrom procrun.target import script_directory\n"
        f"sys.platform = 'win32'\nprint(script_directory({str(link)!r}))\n"
    )
    result = run([sys.executable, "-c", probe], cwd=tmp_path)
    assert out(result) == f"{link.parent}\n"


# -- frozen one-file apps: a new extraction folder at every run -----------------------------

CHILD_FAILS = """
import multiprocessing

def fail():
    raise ValueError("from the child")

child = multiprocessing.Process(target=fail)
child.start()
child.join()
print("exit code", child.exitcode)
"""


def test_one_file_runs_share_one_code_cache_entry(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    # The bootloader sets sys._MEIPASS in every process of the app, children too.
    site = write(
        tmp_path / "site" / "sitecustomize.py",
        "import os, sys\nsys._MEIPASS = os.environ['FAKE_MEIPASS']\n",
    )
    for run_number in (1, 2, 3):
        bundle = f"_MEI{run_number}"  # as a one-file app extracts itself anew each run
        result = run_as_frozen(
            tmp_path,
            CHILD_FAILS,
            "spawn",
            bundle_name=bundle,
            env={
                "PROCRUN_CACHE_DIR": str(cache),
                "PYTHONPATH": str(site.parent),
                "FAKE_MEIPASS": str(tmp_path / bundle),
            },
        )
        assert out(result) == "exit code 1\n"
        # The child's traceback names this run's file, not the run that made the entry.
        assert f'File "{tmp_path / bundle / "app.py"}", line 4, in fail' in err(result)
        assert "_MEI1" not in err(result) or run_number == 1
    assert len(list(cache.glob("*.code"))) == 1


# -- frozen tracebacks: PyInstaller's code file names are relative to the bundle ------------

RELATIVE_NAMES_ENTRY = """
import sys
from procrun import codecache, hooks
# As PyInstaller compiles procrun into the bundle: file names without their folder.
install = hooks._install_multiprocessing
install.__code__ = codecache._renamed(install.__code__, "procrun/hooks.py")
sys.argv[1:1] = ["-s", "spawn"]
from procrun.entry import main
sys.exit(main())
"""


def test_tracebacks_leave_out_procruns_frames_by_module_not_path(tmp_path: Path) -> None:
    script = write(
        tmp_path / "lock_argument.py",
        """
        import multiprocessing, threading
        child = multiprocessing.Process(target=print, args=(threading.Lock(),))
        child.start()
        """,
    )
    entry = write(tmp_path / "entry.py", RELATIVE_NAMES_ENTRY)
    result = run([sys.executable, str(entry), str(script)], cwd=tmp_path)
    assert result.returncode == 1
    assert "cannot pickle '_thread.lock' object" in err(result)
    assert f'File "{script}", line 3, in <module>' in err(result)
    assert "procrun/hooks.py" not in err(result)


# -- the test suite itself on Windows ---------------------------------------------------------

WITHOUT_POSIX_NAMES = """
import os, select, signal

# What Windows' os, signal and select lack, taken away once pytest's own plugins are loaded.
MISSING = {
    os: ["geteuid", "getuid", "getegid", "getgid", "chown", "killpg", "getpgid", "setsid",
         "fork", "register_at_fork"],
    signal: ["SIGKILL", "SIGALRM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGCHLD",
             "SIGSTOP", "SIGCONT", "pthread_kill", "pthread_sigmask", "setitimer"],
    select: ["poll", "POLLIN"],
}

def pytest_sessionstart(session):
    for module, names in MISSING.items():
        for name in names:
            if hasattr(module, name):
                delattr(module, name)
"""


def test_the_test_suite_imports_without_posix_only_names(tmp_path: Path) -> None:
    write(tmp_path / "plugins" / "without_posix_names.py", WITHOUT_POSIX_NAMES)
    tests = Path(__file__).parent
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    command += ["-p", "without_posix_names", "--rootdir", str(tests.parent), str(tests)]
    result = run(command, cwd=tests.parent, env={"PYTHONPATH": str(tmp_path / "plugins")})
    assert result.returncode == 0, out(result)[-3000:]
    summary = out(result).strip().splitlines()[-1]
    assert " tests collected in " in summary and "error" not in summary, summary


# -- windowed apps: no standard streams -------------------------------------------------------

WINDOWED_ENTRY = """
import multiprocessing, sys
sys._MEIPASS = {bundle!r}
try:
    from procrun.frozen import main
    main("app.py", "spawn")
except SystemExit as end:
    outcome = f"exit {{end.code}}"
except BaseException as error:
    outcome = f"crashed: {{error!r}}"
with open({report!r}, "w") as report:
    report.write(outcome)
"""


@pytest.mark.parametrize(
    ("app", "outcome"),
    [
        ("raise ValueError('uncaught')\n", "exit 1"),  # reported to no stream, as by python
        ("print 'python 2'\n", "exit 1"),  # the syntax error and procrun's hint about it
        (CHILD_FAILS, "exit 0"),  # a child's traceback, and the child's own print
    ],
)
def test_windowed_app_without_standard_streams(tmp_path: Path, app: str, outcome: str) -> None:
    bundle, report = tmp_path / "bundle", tmp_path / "report"
    write(bundle / "app.py", app)
    entry = write(
        tmp_path / "entry.py", WINDOWED_ENTRY.format(bundle=str(bundle), report=str(report))
    )
    # pythonw, or a PyInstaller --windowed app: no streams in any process of the app.
    site = write(
        tmp_path / "site" / "sitecustomize.py", "import sys\nsys.stdout = sys.stderr = None\n"
    )
    result = run([sys.executable, str(entry)], cwd=tmp_path, env={"PYTHONPATH": str(site.parent)})
    assert result.returncode == 0, err(result)
    assert report.read_text() == outcome
    assert result.stdout == result.stderr == b""


# -- no select.poll ------------------------------------------------------------------------

ORPHANED = """
import multiprocessing, os, sys, time

def sleeper():
    time.sleep(60)

child = multiprocessing.Process(target=sleeper)
child.start()
with open(sys.argv[1], "w") as pid_file:
    pid_file.write(str(child.pid))
time.sleep(0.5)  # the child is up and watching
os._exit(0)  # gone without a word to the child
"""


@posix_only
@pytest.mark.parametrize("start_method", START_METHODS)
def test_children_end_with_their_parent_where_select_has_no_poll(
    tmp_path: Path, start_method: str
) -> None:
    script = write(tmp_path / "orphaned.py", ORPHANED)
    site = write(tmp_path / "site" / "sitecustomize.py", "import select\ndel select.poll\n")
    pid_file = tmp_path / "pid"
    result = run_procrun(
        script, pid_file, start_method=start_method, env={"PYTHONPATH": str(site.parent)}
    )
    assert_ok(result)
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


@pytest.mark.parametrize("start_method", [m for m in START_METHODS if m != "fork"])
def test_tracebacks_through_a_start_show_multiprocessings_frames_as_python_does(
    tmp_path: Path, start_method: str
) -> None:
    # processing's wrappers of Process.start and of the pickling dump are procrun's doing,
    # and python's traceback has no such frames. (Under fork nothing is pickled.)
    body = (
        "child = multiprocessing.Process(target=print, args=(threading.Lock(),))\nchild.start()\n"
    )
    unguarded = write(tmp_path / "unguarded.py", "import multiprocessing, threading\n" + body)
    guarded = write(
        tmp_path / "guarded.py",
        "import multiprocessing, sys, threading\nif __name__ == '__main__':\n"
        "    multiprocessing.set_start_method(sys.argv[1])\n"
        + "".join(f"    {line}\n" for line in body.splitlines()),
    )

    def frames(result: subprocess.CompletedProcess[bytes]) -> list[str]:
        return [line for line in err(result).splitlines() if line.startswith("  File ")][1:]

    python, procrun = (
        run_python(guarded, start_method),
        run_procrun(unguarded, start_method=start_method),
    )
    assert python.returncode == procrun.returncode == 1
    assert frames(procrun) == frames(python)
    assert err(procrun).splitlines()[-1] == err(python).splitlines()[-1]
