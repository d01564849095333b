"""procrun --cluster: the same unguarded scripts on a real local Ray and a real Dask cluster.

Ray and Dask are the extras procrun[ray] and procrun[dask]. Without them these tests skip,
unless PROCRUN_REQUIRE_ENGINES is set (as .ci/run sets it): then a missing engine fails.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from conftest import assert_ok, err, out, run_procrun, run_python, write

pytestmark = pytest.mark.timeout(300)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
MODULES = {"ray": "ray", "dask": "distributed"}


def engine_installed(engine: str) -> bool:
    try:
        return importlib.util.find_spec(MODULES[engine]) is not None
    except (ImportError, ValueError):
        return False


def needs(engine: str) -> None:
    """Skip without ``engine`` (fail under PROCRUN_REQUIRE_ENGINES)."""
    if engine_installed(engine):
        return
    message = f"{engine} is not installed: pip install -e '.[test,ray,dask]'"
    if os.environ.get("PROCRUN_REQUIRE_ENGINES"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(params=["ray", "dask"])
def engine(request: pytest.FixtureRequest) -> str:
    needs(request.param)
    return str(request.param)


# Every API the issue names, unguarded, with a global computed by the main block.
SCRIPT = """
import multiprocessing
import multiprocessing.pool
import threading
from concurrent.futures import ProcessPoolExecutor

import processing

SCALE = sum(range(4))  # computed by the main block: workers must see 6
OFFSET = 0


def work(x):
    return x * SCALE


def boom(x):
    raise KeyError(x)


def setup(offset):
    global OFFSET
    OFFSET = offset


def shifted(x):
    return x + OFFSET


def apply_pair(pair):
    return pair[0](pair[1])


def chatty(x):
    print("worker prints", x)
    return x


def keywords(key, pure=False):
    return f"key={key} pure={pure}"


with multiprocessing.Pool(2) as pool:
    print("map", pool.map(work, range(5)))
    print("imap", list(pool.imap(work, range(3))), list(pool.imap(work, range(5), chunksize=2)))
    print("chunks", pool.map(work, range(7), chunksize=3), pool.map(work, []))
    print("imap_unordered", sorted(pool.imap_unordered(work, range(3))))
    print("starmap", pool.starmap(pow, [(2, 3), (3, 2)]))
    print("lambda", pool.map(lambda x: -x, [1, 2]), "builtin", pool.map(abs, [-3]))
    done = threading.Event()
    result = pool.apply_async(work, (7,), callback=lambda v: print("callback", v))
    result.wait()
    failed = pool.apply_async(boom, (8,), error_callback=lambda e: print("error_callback", repr(e)))
    failed.wait()
    print("successful", result.successful(), failed.successful())
    try:
        pool.map(boom, [1])
    except Exception as error:
        print("raised", type(error).__name__, error)
    print("map_async", pool.map_async(work, [1, 2]).get(timeout=60))
    print("chatty", pool.apply(chatty, (5,)))
    pairs = pool.map(apply_pair, [(abs, -2), (len, "ab")])
    print("pairs", pairs, pool.apply(keywords, (), {"key": (abs, -1)}))
with multiprocessing.Pool(1, initializer=setup, initargs=(100,)) as pool:
    print("initializer", pool.map(shifted, [1, 2]))
with multiprocessing.pool.Pool(2) as pool:
    print("pool.Pool", pool.apply(work, (1,)))
with multiprocessing.pool.ThreadPool(2) as threads:
    print("ThreadPool", threads.map(work, [1]))
with processing.Pool(2) as pool:
    print("processing.Pool", pool.mapAsync(work, [3]).get(), next(pool.imapUnordered(work, [4])))
with ProcessPoolExecutor(2) as executor:
    print("submit", executor.submit(work, 2).result(), "map", list(executor.map(work, [1, 2])))
    print("keywords", executor.submit(keywords, key=1, pure=True).result())
    try:
        executor.submit(boom, 9).result()
    except KeyError as error:
        print("executor raised", type(error).__name__, error)
queue = multiprocessing.Queue()
queue.put(1)
print("queue", queue.get(), multiprocessing.SimpleQueue().empty())
value = multiprocessing.Value("i", 5)
print("value", value.value, processing.SharedValue("i", 6).value)
manager = multiprocessing.Manager()
print("manager", manager.list([1])[0])
manager.shutdown()
child = multiprocessing.Process(target=work, args=(1,))
child.start()
child.join()
print("child", child.exitcode)
"""

EXPECTED = """map [0, 6, 12, 18, 24]
imap [0, 6, 12] [0, 6, 12, 18, 24]
chunks [0, 6, 12, 18, 24, 30, 36] []
imap_unordered [0, 6, 12]
starmap [8, 9]
lambda [-1, -2] builtin [3]
callback 42
error_callback KeyError(8)
successful True False
raised KeyError 1
map_async [6, 12]
worker prints 5
chatty 5
pairs [2, 2] key=(<built-in function abs>, -1) pure=False
initializer [101, 102]
pool.Pool 6
ThreadPool [6]
processing.Pool [18] 24
submit 12 map [6, 12]
keywords key=1 pure=True
executor raised KeyError 9
queue 1 True
value 5 6
manager 1
child 0
"""

LOCAL_KINDS = ("Queue", "shared memory", "Manager", "Process")


def marked_processes(mark: str) -> dict[int, str]:
    """pid -> command line of each process whose environment holds ``mark``."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if mark.encode() in (entry / "environ").read_bytes():
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
    return {pid: line.decode(errors="replace")[:200] for pid, line in found.items()}


def assert_none_left(mark: str, grace: float = 15.0) -> None:
    """No process started by the run (they all inherit ``mark``) outlives it by ``grace``."""
    deadline = time.monotonic() + grace
    while (left := marked_processes(mark)) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    assert not left, f"processes left behind: {left}"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_pools_and_executors_run_on_the_cluster_as_locally(tmp_path: Path, engine: str) -> None:
    script = write(tmp_path / "job.py", SCRIPT)
    local = run_procrun("-s", "spawn", script, timeout=120)
    assert_ok(local)
    assert out(local) == EXPECTED
    assert "runs locally" not in err(local)

    mark = f"procrun-test-{uuid.uuid4()}"
    clustered = run_procrun(
        "--cluster", engine, script, timeout=240, env={"PROCRUN_TEST_MARK": mark}
    )
    assert_ok(clustered)
    assert out(clustered) == EXPECTED
    notices = [line for line in err(clustered).splitlines() if "runs locally" in line]
    assert sorted(notices) == sorted(
        f"procrun: --cluster {engine}: {kind} runs locally "
        "(only pools and process executors run on the cluster)"
        for kind in LOCAL_KINDS
    )
    assert_none_left(mark)


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_examples_give_the_same_results_on_the_cluster(engine: str, example: Path) -> None:
    local = run_procrun("-s", "spawn", example, cwd=ROOT, timeout=120)
    assert_ok(local)
    clustered = run_procrun("--cluster", engine, example, cwd=ROOT, timeout=240)
    assert_ok(clustered)
    assert out(clustered) == out(local)


def test_an_uncaught_worker_error_ends_the_script_as_locally(tmp_path: Path, engine: str) -> None:
    script = write(
        tmp_path / "fails.py",
        "from multiprocessing import Pool\n\n"
        "def parse(text):\n    return int(text)\n\n"
        "with Pool(2) as pool:\n    print(pool.map(parse, ['1', 'x']))\n",
    )
    local = run_procrun("-s", "spawn", script, timeout=120)
    clustered = run_procrun("--cluster", engine, script, timeout=240)
    assert (local.returncode, clustered.returncode) == (1, 1)
    last = "ValueError: invalid literal for int() with base 10: 'x'"
    assert err(local).splitlines()[-1] == err(clustered).splitlines()[-1] == last
    # The worker's traceback as the error's cause, as a local Pool gives it; no procrun frames.
    assert err(clustered).startswith('multiprocessing.pool.RemoteTraceback: \n"""\n')
    assert ", line 4, in parse\n    return int(text)\n" in err(clustered)
    assert "procrun" not in err(clustered).replace(str(tmp_path), "")


@pytest.mark.parametrize(
    "value, where",
    [
        ("dask://127.0.0.1:9", "dask cluster at tcp://127.0.0.1:9"),
        ("ray://127.0.0.1:9", "ray cluster at ray://127.0.0.1:9"),
    ],
)
def test_an_unreachable_address_is_one_line_and_exit_2(
    tmp_path: Path, value: str, where: str
) -> None:
    needs(value.partition(":")[0])
    script = write(tmp_path / "job.py", "print('never')\n")
    started = time.monotonic()
    result = run_procrun("--cluster", value, script, timeout=60)
    assert time.monotonic() - started < 30
    assert result.returncode == 2
    assert err(result).startswith(f"procrun: error: cannot reach the {where}: ")
    assert len(err(result).splitlines()) == 1
    assert out(result) == ""


@pytest.mark.smoke
@pytest.mark.parametrize("engine, extra", [("ray", "Ray"), ("dask", "Dask")])
def test_a_missing_engine_names_the_extra_to_install(
    tmp_path: Path, engine: str, extra: str
) -> None:
    # A package of the engine's name that fails to import stands in for a missing engine.
    package = tmp_path / "site" / MODULES[engine]
    write(package / "__init__.py", "raise ImportError('not installed')\n")
    script = write(tmp_path / "job.py", "print('never')\n")
    result = run_procrun(
        "--cluster", engine, script, env={"PYTHONPATH": str(tmp_path / "site")}, timeout=60
    )
    as_module = run_procrun(
        "--cluster", engine, "-m", "json.tool", env={"PYTHONPATH": str(tmp_path / "site")}
    )
    message = (
        f"procrun: error: --cluster {engine} needs {extra}: "
        f"{sys.executable} -m pip install 'procrun[{engine}]'\n"
    )
    assert (result.returncode, err(result), out(result)) == (2, message, "")
    assert (as_module.returncode, err(as_module), out(as_module)) == (2, message, "")


@pytest.mark.smoke
@pytest.mark.parametrize("value", ["spark", "ray://", "dask://host", "dask://:80"])
def test_a_bad_cluster_value_is_one_line_and_exit_2(tmp_path: Path, value: str) -> None:
    script = write(tmp_path / "job.py", "print('never')\n")
    result = run_procrun(f"--cluster={value}", script, timeout=60)
    assert result.returncode == 2
    assert err(result) == (
        f"procrun: error: invalid --cluster {value!r}: "
        "use ray, ray://HOST:PORT, dask or dask://HOST:PORT\n"
    )


@pytest.mark.smoke
def test_a_task_needs_no_procrun_on_the_worker(tmp_path: Path) -> None:
    # A remote cluster's workers have the script's packages, not procrun: what procrun wraps
    # around a task (the call, a chunk's loop, an initializer) travels by value.
    import subprocess

    import cloudpickle

    from procrun.cluster import _calling, _each, _with_initializer

    shutil.copytree(Path(cloudpickle.__file__).parent, tmp_path / "cloudpickle")
    task = _calling(_with_initializer(print, ("initialized",), _each(abs, star=False)))
    worker = (
        "import pickle, sys\n"
        "task = pickle.loads(sys.stdin.buffer.read())\n"
        "print(task(([-1, 2],), {}))\n"
        "try:\n"
        "    task((['x'],), {})\n"
        "except TypeError as error:\n"
        "    print(vars(error)['_procrun_remote_traceback'].splitlines()[-1])\n"
        "    print(vars(error)['_procrun_output'])\n"
        "print(sorted(name for name in sys.modules if name.startswith('procrun')))\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-S",
            "-c",
            f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n{worker}",
        ],
        input=cloudpickle.dumps(task),
        capture_output=True,
        timeout=60,
    )
    assert result.stderr.decode() == ""
    # (value, stdout, stderr): what the task printed travels with its result
    assert result.stdout.decode().splitlines() == [
        "([1, 2], 'initialized\\n', '')",
        "TypeError: bad operand type for abs(): 'str'",
        "('initialized\\n', '')",
        "[]",
    ]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigterm_ends_the_script_as_python_with_no_cluster_processes_left(
    tmp_path: Path, engine: str
) -> None:
    import subprocess

    from conftest import clean_env, procrun_command

    script = write(
        tmp_path / "long.py",
        "import time\nfrom multiprocessing import Pool\n\n"
        "def nap(x):\n    time.sleep(60)\n    return x\n\n"
        "with Pool(2) as pool:\n    result = pool.map_async(nap, range(4))\n"
        "    print('started', flush=True)\n    result.get()\n",
    )
    mark = f"procrun-test-{uuid.uuid4()}"
    command = [*procrun_command(), "--cluster", engine, str(script)]
    with subprocess.Popen(
        command,
        env=clean_env({"PROCRUN_TEST_MARK": mark}),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        try:
            assert process.stdout is not None
            assert process.stdout.readline() == b"started\n"
            time.sleep(1)  # the tasks are running
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=60)
        finally:
            process.kill()
    assert process.returncode == -signal.SIGTERM, stderr.decode()
    assert b"SIGTERM received" not in stderr  # Ray's own handler's C stack
    assert_none_left(mark)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_joining_a_dask_scheduler_runs_the_script_as_locally(tmp_path: Path) -> None:
    # A scheduler and workers that procrun did not start (nor are they under procrun): the
    # script joins them with dask://HOST:PORT, and leaves them running.
    import socket
    import subprocess

    from conftest import clean_env

    needs("dask")
    dask = str(Path(sys.executable).parent / "dask")
    port = free_port()
    address = f"127.0.0.1:{port}"
    mark = f"procrun-test-{uuid.uuid4()}"
    env = clean_env({"PROCRUN_TEST_MARK": mark})

    def start(*args: str) -> subprocess.Popen[bytes]:
        quiet = subprocess.DEVNULL
        return subprocess.Popen(
            [dask, *args, "--no-dashboard"], stdout=quiet, stderr=quiet, env=env
        )

    scheduler = start("scheduler", "--host", "127.0.0.1", "--port", str(port))
    workers = None
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the scheduler did not start"
                time.sleep(0.2)
        workers = start("worker", f"tcp://{address}", "--nworkers", "2", "--nthreads", "1")
        script = write(tmp_path / "job.py", SCRIPT)
        joined = run_procrun("--cluster", f"dask://{address}", script, timeout=240)
        assert_ok(joined)
        assert out(joined) == EXPECTED
        # The tasks ran in those workers: a task's parent is the `dask worker` command (its
        # nannies are in that process), not procrun's.
        where = write(
            tmp_path / "where.py",
            "import os\nfrom multiprocessing import Pool\n\n"
            "def parent(_):\n    return os.getppid()\n\n"
            "print(Pool().apply(parent, (0,)))\n",
        )
        located = run_procrun("--cluster", f"dask://{address}", where, timeout=120)
        assert_ok(located)
        assert out(located) == f"{workers.pid}\n"
        assert scheduler.poll() is None and workers.poll() is None  # still running
    finally:
        for process in (workers, scheduler):
            if process is not None:
                process.terminate()
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
        assert_none_left(mark)


def join_ray(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    """``procrun *args``, again (twice at most) when Ray Client's server fails to set up the
    session: a transient of Ray's own, seen in about 1 run of 6 here with plain ray.init too."""
    for _ in range(2):
        result = run_procrun(*args, env=env, timeout=240)
        if b"Initialization failure from server" not in result.stderr:
            break
    return result


@pytest.mark.timeout(600)  # Ray Client can take a minute and more to take its first client
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_joining_a_ray_cluster_runs_the_script_as_locally(tmp_path: Path) -> None:
    # A Ray head started by `ray start`, joined with ray://HOST:PORT (Ray Client) and with
    # RAY_ADDRESS; its processes (all carrying the marker) are ended by the test.
    import subprocess

    from conftest import clean_env

    needs("ray")
    ray = str(Path(sys.executable).parent / "ray")
    port, client_port = free_port(), free_port()
    mark = f"procrun-test-{uuid.uuid4()}"
    # Token authentication off: `ray start` and its clients would need a shared token file.
    base = {"RAY_AUTH_MODE": "disabled", "PROCRUN_TEST_MARK": mark}
    head = [ray, "start", "--head", f"--port={port}", f"--ray-client-server-port={client_port}"]
    # Ray's session folder holds sockets, whose paths must stay short: not under tmp_path.
    import tempfile

    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    head += ["--include-dashboard=false", "--num-cpus=2", f"--temp-dir={temp}"]
    try:
        started = subprocess.run(
            head, env=clean_env({**base, "JOINED": "yes"}), capture_output=True, timeout=120
        )
        assert started.returncode == 0, started.stderr.decode()[-2000:]
        # Ray Client takes a while after `ray start` to take clients: wait, with Ray itself.
        ready = "import ray, sys; ray.init(sys.argv[1]); print(ray.cluster_resources()['CPU'])"
        deadline = time.monotonic() + 90
        while True:
            probe = run_python("-c", ready, f"ray://127.0.0.1:{client_port}", env=base, timeout=120)
            if probe.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(2)
        assert out(probe) == "2.0\n", err(probe)[-2000:]
        script = write(tmp_path / "job.py", SCRIPT)
        joined = join_ray(f"--cluster=ray://127.0.0.1:{client_port}", script, env=base)
        assert_ok(joined)
        assert out(joined) == EXPECTED
        # The tasks ran in that cluster's workers: they have its environment, not procrun's.
        where = write(
            tmp_path / "where.py",
            "import os\nfrom multiprocessing import Pool\n\n"
            "def joined(_):\n    return os.environ.get('JOINED')\n\n"
            "print(Pool().apply(joined, (0,)))\n",
        )
        for options, env in (
            ([f"--cluster=ray://127.0.0.1:{client_port}"], base),
            (["--cluster=ray"], {**base, "RAY_ADDRESS": f"127.0.0.1:{port}"}),
        ):
            located = join_ray(*options, where, env=env)
            assert_ok(located)
            assert out(located) == "yes\n"
        # procrun left the cluster it joined running
        assert any("gcs_server" in line for line in marked_processes(mark).values())
    finally:
        for pid in marked_processes(mark):  # the head, which procrun must not have stopped
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        assert_none_left(mark)
        shutil.rmtree(temp, ignore_errors=True)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_ends_after_the_engine_has_shut_down(tmp_path: Path) -> None:
    # The engine (imported before the script runs) registers its shutdown first; the
    # death by SIGINT must still come after it, and after the script's own atexit handlers
    # and the files interpreter shutdown would flush.
    needs("dask")
    script = write(
        tmp_path / "interrupted.py",
        """
        import atexit, sys
        from multiprocessing import Pool

        def square(x):
            return x * x

        with Pool(2) as pool:
            print(pool.map(square, range(4)))
        atexit.register(print, "atexit ran")
        log = open(sys.argv[1], "w")
        log.write("kept")
        raise KeyboardInterrupt
        """,
    )
    mark = f"interrupted-{uuid.uuid4().hex}"
    log = tmp_path / "log.txt"
    result = run_procrun(
        "--cluster", "dask", script, log, timeout=240, env={"PROCRUN_TEST_MARK": mark}
    )
    assert result.returncode == -signal.SIGINT, err(result)
    assert out(result) == "[0, 1, 4, 9]\natexit ran\n"
    assert log.read_text() == "kept"
    assert_none_left(mark, grace=5.0)
