"""The shell-scripting contract: exit statuses, signals, streams, and no orphan processes.

``procrun script.py`` must be a drop-in for ``python script.py`` in every way a shell can see,
and leave no process behind. Scripts here are unguarded, so ``python`` runs them under
``fork`` (Linux's default before 3.14) and ``procrun`` under each start method.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import (
    assert_no_leaks,
    assert_ok,
    clean_env,
    err,
    out,
    procrun_command,
    run,
    run_procrun,
    run_python,
    without_permission_override,
    write,
)

pytestmark = [
    pytest.mark.smoke,
    pytest.mark.skipif(
        sys.platform == "win32",
        reason="the shell contract: POSIX signals, statuses and bash pipelines",
    ),
]

# -- exit statuses ----------------------------------------------------------------------

ENDINGS = {
    "normal": "print('done')",
    "exit_status": "import sys\nsys.exit(7)",
    "exit_message": "import sys\nsys.exit('giving up: ' + str(sum(results)))",
    "exception": "raise RuntimeError('failed after ' + str(results))",
}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_exit_status_output_and_traceback_as_python(
    tmp_path: Path, start_method: str, ending: str
) -> None:
    script = write(
        tmp_path / f"{ending}.py",
        """
        from multiprocessing import Pool

        def square(x):
            return x * x

        with Pool(2) as pool:
            results = pool.map(square, range(4))
        print(results)
        """
        + ENDINGS[ending]
        + "\n",
    )
    expected = run_python(script)
    actual = run_procrun(script, start_method=start_method)
    assert (actual.returncode, actual.stdout, actual.stderr) == (
        expected.returncode,
        expected.stdout,
        expected.stderr,
    )


# -- signals and orphans ------------------------------------------------------------------

TREE = """
import multiprocessing as mp
import os
import sys
import time

from multiprocessing import resource_tracker

def sleep(seconds):
    time.sleep(seconds)

def parent_of(seconds, queue):
    grandchild = mp.Process(target=sleep, args=(seconds,))
    grandchild.start()
    queue.put(grandchild.pid)
    grandchild.join()

FOREVER = sys.argv[2] == "forever"
pids = sys.argv[1]
queue = mp.Queue()
pool = mp.Pool(2)
pool.map(sleep, [0, 0])
manager = mp.Manager()
shared = manager.list()
daemon = mp.Process(target=sleep, args=(600,), daemon=True)
daemon.start()
child = mp.Process(target=parent_of, args=(600 if FOREVER else 0.5, queue))
child.start()
grandchild = queue.get(timeout=30)
descendants = [p.pid for p in mp.active_children()] + [grandchild]
tracker = getattr(resource_tracker._resource_tracker, "_pid", None)
if tracker:
    descendants.append(tracker)
with open(pids, "w") as f:
    f.write(" ".join(map(str, descendants)))
print("ready", flush=True)
if FOREVER:
    time.sleep(600)
"""


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its new parent to reap it does not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def assert_all_gone(pid_file: Path, within: float = 5.0) -> None:
    pids = [int(p) for p in pid_file.read_text().split()]
    assert len(pids) >= 6, pids  # 2 workers, manager, daemon, child, grandchild (+ tracker)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    survivors = [p for p in pids if alive(p)]
    for pid in survivors:  # do not leave them to the next test
        os.kill(pid, signal.SIGKILL)
    assert survivors == []


def start_tree(
    script: Path, pid_file: Path, how: str, start_method: str
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [*procrun_command(), "-s", start_method, str(script), str(pid_file), how],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env(),
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line == b"ready\n", process.stderr.read() if process.stderr else b""
    return process


def finish(process: subprocess.Popen[bytes], check_leaks: bool = True) -> tuple[int, bytes]:
    _, stderr = process.communicate(timeout=30)
    if check_leaks:
        assert_no_leaks(stderr)
    return process.returncode, stderr


@pytest.mark.parametrize(
    ("ending", "status"),
    [("", 0), ("raise SystemExit(3)", 3), ("raise ValueError('uncaught')", 1)],
)
def test_no_orphans_after_the_script_ends(
    tmp_path: Path, start_method: str, ending: str, status: int
) -> None:
    script = write(tmp_path / "tree.py", TREE + ending + "\n")
    pid_file = tmp_path / "pids"
    assert finish(start_tree(script, pid_file, "finite", start_method))[0] == status
    assert_all_gone(pid_file)


def test_keyboard_interrupt_from_sigint_ends_as_python_does(
    tmp_path: Path, start_method: str
) -> None:
    script = write(tmp_path / "tree.py", TREE + "time.sleep(600)\n")
    pid_file = tmp_path / "pids"
    process = start_tree(script, pid_file, "finite", start_method)
    process.send_signal(signal.SIGINT)
    status, stderr = finish(process)
    assert status == -signal.SIGINT  # killed by SIGINT, as python ends on KeyboardInterrupt
    assert b"KeyboardInterrupt" in stderr
    assert f'File "{script}"'.encode() in stderr
    assert_all_gone(pid_file)


@pytest.mark.parametrize("name", ["SIGTERM", "SIGKILL"])
def test_children_go_when_procrun_is_killed(tmp_path: Path, start_method: str, name: str) -> None:
    sig = getattr(signal, name)
    script = write(tmp_path / "tree.py", TREE)
    pid_file = tmp_path / "pids"
    process = start_tree(script, pid_file, "forever", start_method)
    process.send_signal(sig)
    # After SIGKILL nobody can release the semaphores but the resource tracker, which
    # does and says so; after SIGTERM procrun releases them itself.
    status, _ = finish(process, check_leaks=sig != signal.SIGKILL)
    assert status == -sig
    assert_all_gone(pid_file)


def test_sigint_status_matches_python(tmp_path: Path) -> None:
    script = write(
        tmp_path / "wait.py", "import time\nprint('ready', flush=True)\ntime.sleep(60)\n"
    )
    statuses = []
    for command in ([sys.executable, str(script)], [*procrun_command(), str(script)]):
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert process.stdout is not None and process.stdout.readline() == b"ready\n"
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
        statuses.append(process.returncode)
    assert statuses[0] == statuses[1] == -signal.SIGINT


# -- streams ------------------------------------------------------------------------------


def test_stdin_passes_through(tmp_path: Path) -> None:
    script = write(tmp_path / "cat.py", "import sys\nsys.stdout.write(sys.stdin.read().upper())\n")
    result = run([*procrun_command(), str(script)], input=b"a\nb\n")
    assert_ok(result)
    assert result.stdout == b"A\nB\n"


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_closed_pipe_behaves_as_under_python(tmp_path: Path, unbuffered: str) -> None:
    script = write(tmp_path / "gen.py", "for i in range(1_000_000):\n    print(i)\n")
    outcomes = []
    for command in ([sys.executable, str(script)], [*procrun_command(), str(script)]):
        pipeline = f"{shlex.join(command)} | head -1; echo status=${{PIPESTATUS[0]}} >&2"
        result = run(["bash", "-c", pipeline], env={"PYTHONUNBUFFERED": unbuffered})
        outcomes.append((result.stdout, result.stderr))
    assert outcomes[0] == outcomes[1]
    assert outcomes[1][0] == b"0\n"


def test_binary_and_large_output_arrive_whole(tmp_path: Path) -> None:
    script = write(
        tmp_path / "big.py",
        """
        import sys
        chunk = bytes(range(256)) * 4096  # 1 MiB of every byte value
        for _ in range(100):
            sys.stdout.buffer.write(chunk)
        """,
    )
    result = run([*procrun_command(), str(script)], timeout=120)
    assert_ok(result)
    expected = (bytes(range(256)) * 4096) * 100
    assert len(result.stdout) == len(expected) == 100 * 2**20
    assert hashlib.sha256(result.stdout).digest() == hashlib.sha256(expected).digest()


# -- crashes, leaks, many children ------------------------------------------------------


def test_crashing_children_report_as_under_python(tmp_path: Path, start_method: str) -> None:
    script = write(
        tmp_path / "crash.py",
        """
        import os
        import signal
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool
        from multiprocessing import Process

        def segfault():
            os.kill(os.getpid(), signal.SIGSEGV)

        def exit_three():
            os._exit(3)

        def die(x):
            os._exit(1)

        for target in (segfault, exit_three):
            p = Process(target=target)
            p.start()
            p.join()
            print(target.__name__, p.exitcode)
        with ProcessPoolExecutor(2) as executor:
            try:
                list(executor.map(die, range(4)))
            except BrokenProcessPool:
                print("BrokenProcessPool")
        """,
    )
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert out(result) == "segfault -11\nexit_three 3\nBrokenProcessPool\n"


@pytest.mark.parametrize("method", ["forkserver", "spawn"])
def test_no_descriptor_or_memory_growth_over_500_child_starts(tmp_path: Path, method: str) -> None:
    cycles = 500
    script = write(
        tmp_path / "cycles.py",
        f"""
        import os
        from multiprocessing import Process, Queue

        def load():
            return list(range(10_000))

        DATA = load()
        results = Queue()

        def work(i):
            results.put(len(DATA) + i)

        def descriptors():
            return len(os.listdir("/proc/self/fd"))

        def rss():
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

        for i in range({cycles}):
            p = Process(target=work, args=(i,))
            p.start()
            assert results.get(timeout=30) == 10_000 + i
            p.join()
            if i == 49:
                fds, memory = descriptors(), rss()
        print(descriptors() - fds, rss() - memory)
        """,
    )
    result = run_procrun(script, start_method=method, timeout=300)
    assert_ok(result)
    fd_growth, rss_growth = map(int, out(result).split())
    assert fd_growth <= 2
    assert rss_growth < 8 * 2**20


def test_64_children_at_once_with_copied_globals(tmp_path: Path, start_method: str) -> None:
    script = write(
        tmp_path / "many.py",
        """
        from multiprocessing import Process, Queue

        def table():
            return {i: i * i for i in range(100)}

        SQUARES = table()
        results = Queue()

        def work(i):
            results.put((i, SQUARES[i]))

        processes = [Process(target=work, args=(i,)) for i in range(64)]
        for p in processes:
            p.start()
        received = sorted(results.get(timeout=60) for _ in processes)
        for p in processes:
            p.join()
        print(received == [(i, i * i) for i in range(64)], {p.exitcode for p in processes})
        """,
    )
    result = run_procrun(script, start_method=start_method, timeout=180)
    assert_ok(result)
    assert out(result) == "True {0}\n"


# -- hostile environments -----------------------------------------------------------------

SHOW = """
import sys
from multiprocessing import Pool

def where(_):
    return __file__

with Pool(1) as pool:
    print(__file__, sys.argv, sys.path[0], pool.map(where, [0]))
"""


def test_paths_with_spaces_non_ascii_and_symlinks(tmp_path: Path, start_method: str) -> None:
    script = write(tmp_path / "dir with space" / "ünïcødé" / "show me.py", SHOW)
    link = tmp_path / "link to script.py"
    link.symlink_to(script)
    for target in (script, link):
        expected = run_python(target, "ärg", cwd=tmp_path)
        actual = run_procrun(target, "ärg", start_method=start_method, cwd=tmp_path)
        assert_ok(actual)
        assert out(actual) == out(expected)


@pytest.mark.parametrize("name", ["random.py", "queue.py", "processing.py"])
def test_script_named_like_a_module_behaves_as_under_python(tmp_path: Path, name: str) -> None:
    script = write(tmp_path / name, SHOW)
    expected = run_python(script)
    actual = run_procrun(script, start_method="fork")
    assert (actual.returncode, actual.stdout) == (expected.returncode, expected.stdout)


def test_neighbours_never_shadow_procruns_own_imports(tmp_path: Path, start_method: str) -> None:
    for module in ("ast", "symtable", "cloudpickle", "procrun"):
        write(tmp_path / f"{module}.py", f"raise ImportError('shadowed {module} was imported')\n")
    write(tmp_path / "processing.py", "NAME = 'the script\\'s own processing'\n")
    script = write(
        tmp_path / "app.py",
        """
        from multiprocessing import Pool
        import processing

        def load():
            return 10

        OFFSET = load()
        class Point:
            pass

        if True:
            class Local:  # made by an action: travels by value (cloudpickle)
                pass

        def work(x):
            return x + OFFSET, type(Local()).__name__

        with Pool(2) as pool:
            print(pool.map(work, range(2)), processing.NAME)
        """,
    )
    cache = tmp_path / "cache"  # empty: children parse the script themselves
    result = run_procrun(script, start_method=start_method, env={"PROCRUN_CACHE_DIR": str(cache)})
    assert_ok(result)
    assert out(result) == "[(10, 'Local'), (11, 'Local')] the script's own processing\n"


def test_read_only_directory_and_unwritable_home(tmp_path: Path, start_method: str) -> None:
    work = tmp_path / "ro"
    script = write(work / "app.py", SHOW)
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o555)
    work.chmod(0o555)
    try:
        env = {"HOME": str(home), "XDG_CACHE_HOME": str(home / "cache")}
        result = run(
            [*without_permission_override(), *procrun_command(), "-s", start_method, str(script)],
            cwd=work,
            env=env,
        )
        assert_ok(result)
        assert "Pool" not in err(result)
        assert sorted(p.name for p in work.iterdir()) == ["app.py"]
        assert list(home.iterdir()) == []
    finally:
        work.chmod(0o755)
        home.chmod(0o755)


def test_writes_nothing_into_the_users_directory(tmp_path: Path, start_method: str) -> None:
    script = write(tmp_path / "app.py", SHOW)
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    result = run_procrun(
        script, start_method=start_method, cwd=tmp_path, env={"PYTHONDONTWRITEBYTECODE": ""}
    )
    assert_ok(result)
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before
