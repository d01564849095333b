"""Faults a shell user meets, each compared with what ``python`` does in the same situation.

A SIGTERM to the whole process group (``timeout``, ``kill -TERM -PGID``, a service stop);
a file named like one of procrun's own modules in the current directory; a damaged cache
entry; a FIFO or a pipe as the script; a zip whose ``__main__.py`` does not compile; a large
script under fork; and the join warning for children that never put anything.
"""

from __future__ import annotations

import marshal
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest
from conftest import (
    START_METHODS,
    assert_no_leaks,
    assert_ok,
    clean_env,
    err,
    out,
    process_table,
    procrun_command,
    run,
    run_procrun,
    run_python,
    write,
)

pytestmark = [
    pytest.mark.smoke,
    pytest.mark.skipif(
        sys.platform == "win32", reason="faults of POSIX shells: group SIGTERM, FIFOs, /proc"
    ),
]

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def console_script() -> Path:
    """The installed ``procrun`` command (``python -m procrun`` would import a
    ``procrun.py`` in the current directory, as ``python -m`` does)."""
    console = Path(sys.executable).with_name("procrun")
    if not console.exists():
        pytest.skip("procrun is not installed as a console script next to this python")
    return console


# -- SIGTERM to the whole process group ------------------------------------------------------

MID_MAP = """
import time
from multiprocessing import Pool

def nap(x):
    time.sleep(60)
    return x

print("started", flush=True)
with Pool(4) as pool:
    print(pool.map(nap, range({tasks})))
"""


def living_members(group: int) -> list[int]:
    """The processes of process group ``group`` that are not zombies."""
    return [pid for pid, state, _, pgrp in process_table() if pgrp == group and state != "Z"]


def sigterm_the_group_mid_map(script: Path, start_method: str) -> tuple[int, float, bytes]:
    """Start ``script`` in a session of its own, SIGTERM its whole group once its pool is
    busy; (exit status, seconds to exit, stderr). Fails if anything of it is left."""
    process = subprocess.Popen(
        [*procrun_command(), "-s", start_method, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env(),
        start_new_session=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline() == b"started\n"
        time.sleep(1.5)  # the workers are in their tasks, the idle ones wait in get()
        os.killpg(process.pid, signal.SIGTERM)
        signalled = time.monotonic()
        _, stderr = process.communicate(timeout=30)
        took = time.monotonic() - signalled
        deadline = time.monotonic() + 3
        while living_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert living_members(process.pid) == []
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
    return process.returncode, took, stderr


@linux_only
@pytest.mark.parametrize("tasks", [2, 8], ids=["idle-workers", "busy-workers"])
def test_group_sigterm_mid_map_ends_as_python_does(
    tmp_path: Path, start_method: str, tasks: int
) -> None:
    # With idle workers, one of them dies holding the pool's task-queue lock: the pool's own
    # shutdown would wait for it forever. python dies at once, status -SIGTERM.
    script = write(tmp_path / "mid_map.py", MID_MAP.format(tasks=tasks))
    status, took, stderr = sigterm_the_group_mid_map(script, start_method)
    assert status == -signal.SIGTERM, stderr.decode()
    assert took < 5.0, took
    assert stderr == b""  # no traceback from a pool thread that outlived its workers


SIGNALLED_IN_A_THREAD = """
import multiprocessing
import signal
import threading
import time

def signal_this_thread():
    time.sleep(0.3)
    # the kernel hands a process's SIGTERM to another thread when the main one already has
    # a signal pending; this does the same on purpose
    signal.pthread_kill(threading.get_ident(), signal.SIGTERM)
    time.sleep(60)

never = threading.Lock()
never.acquire()
threading.Thread(target=signal_this_thread, daemon=True).start()
print("waiting", flush=True)
never.acquire()  # the main thread is blocked here, and nothing will release it
"""


@linux_only
def test_sigterm_taken_by_another_thread_ends_a_main_thread_blocked_on_a_lock(
    tmp_path: Path,
) -> None:
    script = write(tmp_path / "blocked.py", SIGNALLED_IN_A_THREAD)
    expected = run_python(script, timeout=30)
    started = time.monotonic()
    actual = run_procrun(script, timeout=30)
    assert (actual.returncode, out(actual)) == (expected.returncode, out(expected))
    assert actual.returncode == -signal.SIGTERM
    assert time.monotonic() - started < 5.0


def test_terminate_at_once_after_a_fork_is_not_the_parents_sigterm(tmp_path: Path) -> None:
    # A forked child takes its SIGTERM before it has shed the parent's handler: it must
    # still die of it, and the parent must not take it for its own.
    script = write(
        tmp_path / "terminate.py",
        """
        import multiprocessing as mp
        import time

        def sleep():
            time.sleep(30)

        codes = set()
        for _ in range(40):
            child = mp.Process(target=sleep)
            child.start()
            child.terminate()
            child.join(10)
            codes.add(child.exitcode)
        print("parent alive", sorted(codes))
        """,
    )
    result = run_procrun(script, start_method="fork")
    assert_ok(result)
    assert out(result) == "parent alive [-15]\n"


def test_a_scripts_own_sigterm_handler_and_wakeup_fd_stay_its_own(tmp_path: Path) -> None:
    script = write(
        tmp_path / "own.py",
        """
        import os
        import signal

        read, write = os.pipe()
        os.set_blocking(write, False)
        signal.set_wakeup_fd(write)
        signal.signal(signal.SIGTERM, lambda *_: print("own handler"))
        import multiprocessing

        os.kill(os.getpid(), signal.SIGTERM)
        print("wakeup fd kept:", signal.set_wakeup_fd(-1) == write)
        """,
    )
    expected = run_python(script)
    actual = run_procrun(script)
    assert_ok(actual)
    assert out(actual) == out(expected) == "own handler\nwakeup fd kept: True\n"


def test_a_handler_the_script_sets_later_runs_once_per_signal(tmp_path: Path) -> None:
    script = write(
        tmp_path / "later.py",
        """
        import multiprocessing
        import os
        import signal
        import time

        calls = []
        signal.signal(signal.SIGTERM, lambda *_: calls.append(1))
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1.5)  # long enough for any relay to have signalled again
        print(len(calls))
        """,
    )
    expected = run_python(script)
    actual = run_procrun(script)
    assert_ok(actual)
    assert out(actual) == out(expected) == "1\n"


def test_a_childs_parent_watch_imports_nothing_behind_its_back(
    tmp_path: Path, start_method: str
) -> None:
    # A daemon thread still importing while a short-lived child exits can crash the child's
    # shutdown (a child of CI's died of SIGSEGV) or hang it: the watch imports up front.
    script = write(
        tmp_path / "quiet.py",
        """
        import multiprocessing as mp
        import sys
        import time

        def imports_meanwhile(results):
            before = set(sys.modules)
            time.sleep(0.5)
            results.put(sorted(set(sys.modules) - before))

        results = mp.SimpleQueue()
        child = mp.Process(target=imports_meanwhile, args=(results,))
        child.start()
        print(results.get())
        child.join()
        """,
    )
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert out(result) == "[]\n"


# -- procrun's own modules, never a file in the current directory or beside the script ------

RECORDING = """
import os
with open(os.environ["SHADOW_IMPORTS"], "a") as marks:
    marks.write(__file__ + "\\n")
"""


@linux_only
@pytest.mark.parametrize("start_method", ["forkserver", "spawn"])
def test_modules_named_procrun_or_cloudpickle_never_run_in_any_process(
    tmp_path: Path, start_method: str
) -> None:
    console = console_script()
    here, beside = tmp_path / "cwd", tmp_path / "scripts"
    for directory in (here, beside):
        for name in ("procrun", "cloudpickle"):
            write(directory / f"{name}.py", RECORDING)
    write(beside / "helper.py", "def make():\n    return lambda x: x + 1\n")
    script = write(
        beside / "app.py",
        """
        from multiprocessing import Pool
        from helper import make

        def work(x):
            return x * 2

        if True:
            Local = type("Local", (), {})  # made by an action: travels by value (cloudpickle)

        def kind(_):
            return type(Local()).__name__

        with Pool(2) as pool:
            print(pool.map(work, range(4)), pool.map(make(), range(2)), pool.map(kind, [0]))
        """,
    )
    marks = tmp_path / "imports"
    result = run(
        [str(console), "-s", start_method, str(script)],
        cwd=here,
        env={"SHADOW_IMPORTS": str(marks)},
        timeout=60,
    )
    assert_ok(result)
    assert out(result) == "[0, 2, 4, 6] [1, 2] ['Local']\n"
    assert not marks.exists(), marks.read_text()


@linux_only
@pytest.mark.parametrize("name", ["procrun", "cloudpickle", "signal", "queue"])
@pytest.mark.parametrize("where", ["cwd", "beside"])
def test_a_neighbour_named_like_a_module_does_to_procrun_what_it_does_to_python(
    tmp_path: Path, name: str, where: str
) -> None:
    # signal.py in the current directory breaks python's own fork server, and queue.py
    # beside the script its import of multiprocessing: procrun fails the same way, no
    # worse (no endless respawning); procrun.py and cloudpickle.py change nothing.
    console = console_script()
    here, beside = tmp_path / "cwd", tmp_path / "scripts"
    here.mkdir()
    write(
        (here if where == "cwd" else beside) / f"{name}.py",
        f"import sys\nsys.stderr.write('the user\\'s {name}.py\\n')\n",
    )
    body = "def work(x):\n    return x * 2\n\n"
    guarded = write(
        beside / "guarded.py",
        "import multiprocessing as mp\n\n" + body + 'if __name__ == "__main__":\n'
        '    mp.set_start_method("forkserver")\n'
        "    with mp.Pool(2) as pool:\n        print(pool.map(work, range(4)))\n",
    )
    unguarded = write(
        beside / "app.py",
        "import multiprocessing as mp\n\n"
        + body
        + "with mp.Pool(2) as pool:\n    print(pool.map(work, range(4)))\n",
    )
    expected = run([sys.executable, str(guarded)], cwd=here, timeout=60)
    actual = run([str(console), "-s", "forkserver", str(unguarded)], cwd=here, timeout=60)
    assert (actual.returncode, out(actual)) == (expected.returncode, out(expected))
    if name in ("procrun", "cloudpickle"):
        assert_ok(actual)
        assert out(actual) == "[0, 2, 4, 6]\n"
        assert f"the user's {name}.py" not in err(actual)


# -- a damaged cache entry -----------------------------------------------------------------

POOL = """
from multiprocessing import Pool

def triple(x):
    return x * 3

with Pool(2) as pool:
    print(pool.map(triple, range(4)))
"""


def flip_a_middle_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]


def bytecode_flipped_unchecked(data: bytes) -> bytes:
    # The old layout, marshalled code with nothing to check it by, and one opcode changed:
    # loaded as it was, it would crash every child.
    code = compile(POOL, "x.py", "exec")
    body = bytearray(code.co_code)
    body[2] ^= 0x55
    return marshal.dumps(code.replace(co_code=bytes(body)))


DAMAGES = {
    "flipped byte": flip_a_middle_byte,
    "random bytes": lambda data: os.urandom(len(data)),
    "marshalled None": lambda data: marshal.dumps(None),
    "truncated": lambda data: data[: len(data) // 3],
    "empty": lambda data: b"",
    "unchecked bytecode": bytecode_flipped_unchecked,
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
@pytest.mark.parametrize("start_method", ["spawn", "forkserver"])
def test_a_damaged_cache_entry_is_a_miss_and_is_replaced(
    tmp_path: Path, damage: str, start_method: str
) -> None:
    script = write(tmp_path / "pool.py", POOL)
    cache = tmp_path / "cache"
    env = {"PROCRUN_CACHE_DIR": str(cache)}
    first = run_procrun(script, start_method=start_method, env=env)
    assert_ok(first)
    (entry,) = cache.iterdir()
    good = entry.read_bytes()
    damaged = DAMAGES[damage](good)
    entry.write_bytes(damaged)
    for _ in range(2):  # the damaged entry, then its replacement
        result = run_procrun(script, start_method=start_method, env=env)
        assert_ok(result)
        assert out(result) == "[0, 3, 6, 9]\n"
        assert err(result) == ""
    assert entry.read_bytes() == good


# -- a FIFO or a pipe as the script --------------------------------------------------------


def run_from_fifo(
    command: list[str], fifo: Path, source: str
) -> subprocess.CompletedProcess[bytes]:
    """Run ``command`` while a writer sends ``source`` through ``fifo`` once and closes it,
    as ``cat script > fifo`` does: a reader that opens the FIFO a second time waits forever
    (the test's timeout)."""

    def write_once() -> None:
        try:
            descriptor = os.open(fifo, os.O_WRONLY)  # blocks until a reader opens it
        except OSError:
            return
        try:
            os.write(descriptor, source.encode())
        except BrokenPipeError:  # the reader has closed it already
            pass
        finally:
            os.close(descriptor)

    writer = threading.Thread(target=write_once, daemon=True)
    writer.start()
    try:
        return run(command, timeout=15)
    finally:
        writer.join(5)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_a_fifo_is_read_once_as_python_reads_it(tmp_path: Path) -> None:
    # Opening the FIFO twice (to look for a zip archive first) lost the writer's text in
    # about a third of the runs, and then waited forever: ten runs find that.
    source = "import sys\nprint('from the fifo', sys.argv[1:])\n"
    for run_number in range(10):
        fifo = tmp_path / f"script{run_number}"
        os.mkfifo(fifo)
        expected = run_from_fifo([sys.executable, str(fifo), "a"], fifo, source)
        actual = run_from_fifo([*procrun_command(), str(fifo), "a"], fifo, source)
        assert_ok(actual)
        assert out(actual) == out(expected) == "from the fifo ['a']\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_children_of_a_fifo_script_replay_it_without_reading_it_again(
    tmp_path: Path, start_method: str
) -> None:
    fifo = tmp_path / "script"
    os.mkfifo(fifo)
    result = run_from_fifo([*procrun_command(), "-s", start_method, str(fifo)], fifo, POOL)
    assert_ok(result)
    assert out(result) == "[0, 3, 6, 9]\n"


def test_a_script_piped_to_dev_stdin_runs_its_pool(tmp_path: Path, start_method: str) -> None:
    if not os.path.exists("/dev/stdin"):
        pytest.skip("no /dev/stdin")
    result = run(
        [*procrun_command(), "-s", start_method, "/dev/stdin"],
        input=POOL.encode(),
        env={"PROCRUN_CACHE_DIR": str(tmp_path / "cache")},
        timeout=30,
    )
    assert_ok(result)
    assert out(result) == "[0, 3, 6, 9]\n"


# -- a zip or directory whose __main__.py does not compile ------------------------------------


def syntax_error_lines(stderr: str) -> list[str]:
    """From the ``File "...", line N`` of the last frame on: what python shows of the error."""
    lines = stderr.splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith('  File "'))
    return lines[start:]


@pytest.mark.parametrize("kind", ["zip", "directory", "module in a zip"])
def test_a_main_that_does_not_compile_is_reported_as_python_does(tmp_path: Path, kind: str) -> None:
    source = "print('never')\nvalues = (1,\n"
    if kind == "directory":
        write(tmp_path / "app" / "__main__.py", source)
        command = [str(tmp_path / "app")]
    else:
        archive = tmp_path / "app.zip"
        with zipfile.ZipFile(archive, "w") as bundle:
            bundle.writestr("__main__.py" if kind == "zip" else "broken.py", source)
        command = [str(archive)] if kind == "zip" else ["-m", "broken"]
    env = {"PYTHONPATH": str(tmp_path / "app.zip")} if kind == "module in a zip" else None
    expected = run_python(*command, env=env)
    actual = run_procrun(*command, env=env)
    assert actual.returncode == expected.returncode == 1
    assert syntax_error_lines(err(actual)) == syntax_error_lines(err(expected))
    assert "SyntaxError" in err(actual)
    assert "procrun" not in err(actual)  # none of procrun's frames


# -- under fork, nothing needs the script's split ----------------------------------------------


@pytest.mark.parametrize(("start_method", "parsed"), [("fork", False), ("spawn", True)])
def test_the_parent_parses_the_script_only_when_children_replay_it(
    tmp_path: Path, start_method: str, parsed: bool
) -> None:
    # Under fork a Pool's tasks are pickled without asking which names a child replays:
    # parsing a 10 MB script for that answer took 29 s.
    script = write(
        tmp_path / "tasks.py",
        """
        import sys
        from multiprocessing import Pool

        def work(x):
            return x + 1

        class Point:
            pass

        with Pool(2) as pool:
            print(pool.map(work, range(3)), pool.map(type, [Point()]) != [], flush=True)
        print("procrun.guard" in sys.modules)
        """,
    )
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert out(result) == f"[1, 2, 3] True\n{parsed}\n"


# -- the join warning: only for a child that put items nobody read -------------------------------


@pytest.mark.parametrize("start_method", START_METHODS)
def test_join_does_not_warn_for_a_child_that_never_put_anything(
    tmp_path: Path, start_method: str
) -> None:
    # A consumer sleeps with the queue in hand while a producer's items wait in it: joining
    # the consumer first is no deadlock of the consumer's making.
    script = write(
        tmp_path / "consumer.py",
        """
        import multiprocessing as mp
        import time

        def produce(queue):
            for n in range(4):
                queue.put(bytes([n]) * 2**20)

        def sleep_with(queue):
            time.sleep(1.8)

        queue = mp.Queue()
        producer = mp.Process(target=produce, args=(queue,))
        sleeper = mp.Process(target=sleep_with, args=(queue,))
        producer.start()
        sleeper.start()
        time.sleep(0.3)
        sleeper.join()
        print(len([queue.get(timeout=30) for _ in range(4)]))
        producer.join()
        print(producer.exitcode, sleeper.exitcode)
        """,
    )
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert out(result) == "4\n0 0\n"
    assert "RuntimeWarning" not in err(result), err(result)
    assert_no_leaks(result.stderr)
