"""``procrun script.py``: unguarded multiprocessing scripts run spawn-safely.

Every test here starts real processes under each start method (the ``start_method``
fixture) and compares with what ``fork`` semantics, or ``python`` itself, gives.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest
from conftest import assert_ok, err, out, run, run_procrun, run_python, write

pytestmark = pytest.mark.smoke


GUIDELINES_EXAMPLE = """
    from multiprocessing import Process

    def foo():
        print('hello')

    p = Process(target=foo)
    p.start()
"""


def test_guidelines_example_child_prints_once(tmp_path: Path, start_method: str) -> None:
    script = write(tmp_path / "guide.py", GUIDELINES_EXAMPLE)
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert out(result) == "hello\n"
    assert err(result) == ""


def test_guidelines_example_fails_under_plain_python_spawn(tmp_path: Path) -> None:
    # The control for the test above: without procrun the child dies while bootstrapping.
    source = GUIDELINES_EXAMPLE.replace(
        "from multiprocessing import Process",
        "from multiprocessing import get_context\n    Process = get_context('spawn').Process",
    )
    script = write(tmp_path / "guide.py", source)
    result = run_python(script)
    assert "bootstrapping phase" in err(result)
    assert "hello" not in out(result)


def test_unguarded_pool_map_reads_top_level_list(tmp_path: Path, start_method: str) -> None:
    script = write(
        tmp_path / "pool.py",
        """
        import multiprocessing as mp

        def load():
            return [x * x for x in range(1000)]

        DATA = load()
        OFFSET = len(DATA)
        print("top-level print")

        def work(i):
            return DATA[i] + OFFSET

        with mp.Pool(4) as pool:
            result = pool.map(work, range(10))
        print(result)
        """,
    )
    started = time.monotonic()
    result = run_procrun(script, start_method=start_method)
    elapsed = time.monotonic() - started
    assert_ok(result)
    expected = [x * x + 1000 for x in range(10)]
    assert out(result) == f"top-level print\n{expected}\n"
    assert elapsed < 30


def test_queue_lock_value_globals_are_shared(tmp_path: Path, start_method: str) -> None:
    script = write(
        tmp_path / "shared.py",
        """
        from multiprocessing import Lock, Process, Queue, Value

        results = Queue()
        lock = Lock()
        counter = Value("i", 0, lock=False)

        def worker(n, queue_argument):
            for _ in range(500):
                with lock:
                    counter.value += 1
            results.put(n)
            queue_argument.put(-n)

        processes = [Process(target=worker, args=(n, results)) for n in range(1, 5)]
        for p in processes:
            p.start()
        received = sorted(results.get(timeout=30) for _ in range(8))
        for p in processes:
            p.join()
        print(received, counter.value, [p.exitcode for p in processes])
        """,
    )
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert out(result) == "[-4, -3, -2, -1, 1, 2, 3, 4] 2000 [0, 0, 0, 0]\n"


def test_process_pool_executor_and_manager(tmp_path: Path, start_method: str) -> None:
    script = write(
        tmp_path / "executor.py",
        """
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import Manager, Process

        def compute_base():
            return 100

        BASE = compute_base()
        manager = Manager()
        shared = manager.dict()
        log = manager.list()

        def work(x):
            return BASE + x

        def record(key, items):
            shared[key] = key * 2
            items.append(key)

        with ProcessPoolExecutor(2) as executor:
            print(list(executor.map(work, range(4))))
        processes = [Process(target=record, args=(k, log)) for k in range(3)]
        for p in processes:
            p.start()
        for p in processes:
            p.join()
        print(sorted(shared.items()), sorted(log))
        """,
    )
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert out(result) == "[100, 101, 102, 103]\n[(0, 0), (1, 2), (2, 4)] [0, 1, 2]\n"


def test_child_starts_its_own_child(tmp_path: Path, start_method: str) -> None:
    script = write(
        tmp_path / "nested.py",
        """
        import os
        from multiprocessing import Process, Queue, parent_process

        def make_greeting():
            return "from grandchild"

        queue = Queue()
        GREETING = make_greeting()

        def grandchild():
            queue.put((GREETING, parent_process().pid))

        def child():
            p = Process(target=grandchild)
            p.start()
            p.join()
            queue.put(("child pid", os.getpid()))

        p = Process(target=child)
        p.start()
        first = queue.get(timeout=30)
        second = queue.get(timeout=30)
        p.join()
        print(first[0], first[1] == second[1], p.exitcode)
        """,
    )
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert out(result) == "from grandchild True 0\n"


SETS_ITS_OWN_METHOD = """
    import multiprocessing

    multiprocessing.set_start_method("{method}")

    def work(x):
        return (x, multiprocessing.get_start_method())

    with multiprocessing.Pool(2) as pool:
        print(pool.map(work, range(2)), multiprocessing.get_start_method())
"""


@pytest.mark.parametrize("own", ["spawn", "fork"])
def test_script_sets_start_method_itself(tmp_path: Path, own: str) -> None:
    script = write(tmp_path / "own.py", SETS_ITS_OWN_METHOD.format(method=own))
    result = run_procrun(script)
    assert_ok(result)
    assert out(result) == f"[(0, '{own}'), (1, '{own}')] {own}\n"


def test_start_method_flag_overrides_the_scripts_choice(tmp_path: Path, start_method: str) -> None:
    script = write(tmp_path / "own.py", SETS_ITS_OWN_METHOD.format(method="spawn"))
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    m = start_method
    assert out(result) == f"[(0, '{m}'), (1, '{m}')] {m}\n"


def test_start_method_from_environment(tmp_path: Path) -> None:
    script = write(
        tmp_path / "which.py",
        "import multiprocessing\nprint(multiprocessing.get_start_method())\n",
    )
    result = run_procrun(script, env={"PROCRUN_START_METHOD": "forkserver"})
    assert_ok(result)
    assert out(result) == "forkserver\n"


GUARDED_SCRIPTS = {
    "pool_and_exit_code": """
        import multiprocessing as mp
        import os
        import sys

        def square(x):
            return x * x

        if __name__ == "__main__":
            mp.set_start_method(os.environ["METHOD"])
            with mp.Pool(2) as pool:
                print(pool.map(square, range(6)))
            print("to stderr", file=sys.stderr)
            sys.exit(3)
    """,
    "traceback": """
        import multiprocessing as mp
        import os

        def work(x):
            return x

        def fail():
            raise ValueError("broken on purpose")

        if __name__ == "__main__":
            mp.set_start_method(os.environ["METHOD"])
            p = mp.Process(target=work, args=(1,))
            p.start()
            p.join()
            print("exitcode", p.exitcode)
            fail()
    """,
    "exit_message": """
        import multiprocessing as mp
        import os
        import sys

        def child(queue):
            queue.put(sys.argv[1:])

        if __name__ == "__main__":
            mp.set_start_method(os.environ["METHOD"])
            queue = mp.Queue()
            p = mp.Process(target=child, args=(queue,))
            p.start()
            print(queue.get(timeout=30))
            p.join()
            sys.exit("done: " + ",".join(sys.argv[1:]))
    """,
}


@pytest.mark.parametrize("name", sorted(GUARDED_SCRIPTS))
def test_guarded_script_behaves_exactly_as_under_python(
    tmp_path: Path, start_method: str, name: str
) -> None:
    script = write(tmp_path / f"{name}.py", GUARDED_SCRIPTS[name])
    env = {"METHOD": start_method}
    expected = run_python(script, "a", "b c", env=env)
    actual = run_procrun(script, "a", "b c", env=env)
    assert (actual.stdout, actual.stderr, actual.returncode) == (
        expected.stdout,
        expected.stderr,
        expected.returncode,
    )


def test_main_module_attributes_are_as_python_gives_them(tmp_path: Path) -> None:
    write(
        tmp_path / "sub" / "attrs.py",
        """
        import sys
        print(__name__, __file__, sys.argv, sys.path[0], __package__, __spec__, __cached__)
        print(__doc__, type(__loader__).__name__, sorted(globals()))
        """,
    )
    for cwd, argument in ((tmp_path, "sub/attrs.py"), (tmp_path / "sub", "attrs.py")):
        expected = run_python(argument, "x", "--flag", cwd=cwd)
        actual = run_procrun(argument, "x", "--flag", cwd=cwd)
        assert_ok(actual)
        assert out(actual) == out(expected)


def test_traceback_names_the_users_file_and_line(tmp_path: Path, start_method: str) -> None:
    script = write(
        tmp_path / "boom.py",
        """
        from multiprocessing import Pool, Process

        def child_fails():
            raise KeyError("in child")

        def task_fails(x):
            raise ValueError("in task")

        p = Process(target=child_fails)
        p.start()
        p.join()
        with Pool(1) as pool:
            pool.map(task_fails, [1])
        """,
    )
    result = run_procrun(script, start_method=start_method)
    assert result.returncode == 1
    stderr = err(result)
    assert f'File "{script}", line 4, in child_fails' in stderr
    assert f'File "{script}", line 7, in task_fails' in stderr
    assert f'File "{script}", line 13, in <module>' in stderr
    assert "procrun" not in stderr
    assert stderr.startswith("Process ")


def test_lambda_closure_and_nested_function_as_targets(tmp_path: Path, start_method: str) -> None:
    script = write(
        tmp_path / "byvalue.py",
        """
        from multiprocessing import Pool, Process, Queue

        def make_multiplier(k):
            def multiply(x):
                return x * k
            return multiply

        def outer():
            def nested(x):
                return -x
            return nested

        queue = Queue()
        square = lambda x: x * x
        offset = 7
        with Pool(2) as pool:
            print(pool.map(square, range(4)))
            print(pool.map(make_multiplier(10), range(4)))
            print(pool.map(outer(), range(4)))
            print(pool.map(lambda x: x + offset, range(4)))
        for target in (lambda: queue.put("lambda"), make_multiplier("closure "), outer()):
            p = Process(target=target, args=() if target.__name__ == "<lambda>" else (2,))
            p.start()
            p.join()
            print(p.exitcode)
        print(queue.get(timeout=30))
        """,
    )
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert out(result) == (
        "[0, 1, 4, 9]\n[0, 10, 20, 30]\n[0, -1, -2, -3]\n[7, 8, 9, 10]\n0\n0\n0\nlambda\n"
    )


def test_class_made_by_a_call_travels_without_copying_what_the_child_replays(
    tmp_path: Path, start_method: str
) -> None:
    # The class made by make() travels by value, but its base and the ctypes structure the
    # base's method reads are the child's own (a Structure class cannot be pickled by value).
    script = write(
        tmp_path / "made_by_a_call.py",
        """
        import ctypes
        from multiprocessing import Process, Queue

        class Point(ctypes.Structure):
            _fields_ = [("x", ctypes.c_int)]

        class Base:
            def describe(self):
                return f"{type(self).__name__} over {Point.__name__}"

        def make():
            class Made(Base):
                def __init__(self, n):
                    super().__init__()
                    self.n = n

                def describe(self):
                    return super().describe() + f" n={self.n} twice={self.twice(self.n)}"

                @staticmethod
                def twice(n):
                    return 2 * n
            return Made

        def work(obj, queue):
            queue.put((obj.describe(), type(obj).__bases__[0] is Base))

        queue = Queue()
        p = Process(target=work, args=(make()(3), queue))
        p.start()
        print(queue.get(timeout=30))
        p.join()
        print(p.exitcode)
        """,
    )
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert out(result) == "('Made over Point n=3 twice=6', True)\n0\n"
    assert err(result) == ""


def test_thread_only_globals_reach_a_child_as_fork_copies_them(
    tmp_path: Path, start_method: str
) -> None:
    # A queue.Queue or a threading lock at module level cannot be pickled, yet fork copies
    # it and a guarded script's re-import makes it anew; a child's function (here also a
    # manager's registered lambda, as the processing docs write it) must find it, with the
    # parent's items, flag and count. A lock held in the parent comes unlocked under spawn
    # (its holder thread is not in the child) and held under fork, as python's own.
    script = write(
        tmp_path / "thread_only.py",
        """
        import queue, threading, multiprocessing
        from multiprocessing.managers import BaseManager

        jobs = queue.PriorityQueue()
        for job in (3, 1, 2):
            jobs.put(job)
        held = threading.Lock()
        held.acquire()
        free = threading.RLock()
        ready = threading.Event()
        ready.set()
        turn = threading.Condition(free)
        slots = threading.BoundedSemaphore(3)
        slots.acquire()

        def work():
            taken = [jobs.get_nowait() for _ in range(3)]
            print(taken, jobs.empty(), ready.is_set(), slots._value, turn._lock is free)
            print(free.acquire(timeout=5), held.acquire(timeout=0.1))

        class QueueManager(BaseManager):
            pass

        QueueManager.register("get_jobs", callable=lambda: jobs)

        p = multiprocessing.Process(target=work)
        p.start()
        p.join()
        print(p.exitcode, jobs.qsize())
        manager = QueueManager()
        manager.start()
        remote = manager.get_jobs()
        print(remote.get(), remote.qsize())
        manager.shutdown()
        """,
    )
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    held = "False" if start_method == "fork" else "True"
    assert out(result).splitlines() == [
        "[1, 2, 3] True True 2 True",
        f"True {held}",
        "0 3",
        "1 2",
    ]
    assert err(result) == ""


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_unpicklable_global_warns_once_and_notes_the_name_error(
    tmp_path: Path, method: str
) -> None:
    script = write(
        tmp_path / "unpicklable.py",
        """
        import multiprocessing as mp

        handle = open(__file__)

        def work(x):
            return handle.name

        with mp.Pool(2) as pool:
            try:
                pool.map(work, range(4))
            except NameError as error:
                print("NameError", "handle" in str(error))
                print("procrun" in str(getattr(error, "__notes__", error.args)))
        p = mp.Process(target=work, args=(1,))
        p.start()
        p.join()
        print("exitcode", p.exitcode)
        """,
    )
    result = run_procrun(script, start_method=method)
    assert_ok(result)
    assert out(result) == "NameError True\nTrue\nexitcode 1\n"
    stderr = err(result)
    assert stderr.count("procrun: warning: global 'handle'") == 1
    assert "TextIOWrapper" in stderr
    # The Process child's own traceback carries the note as well.
    assert "the global 'handle' was not copied into this child process" in stderr


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_a_class_made_at_run_time_travels_without_what_cannot_be_pickled(
    tmp_path: Path, method: str
) -> None:
    # CPython's own suite makes its test classes with a call (not a definition the replay
    # runs), and setUpClass then hangs the live threads on each: run alone, a test's class
    # could not be copied into its child (the whole suite only passed because an earlier
    # test had copied each class before its setUpClass ran). A thread-only attribute comes
    # as fork copies it (a held lock arrives unlocked); a generator is left out.
    script = write(
        tmp_path / "made.py",
        """
        import multiprocessing
        import threading

        def make_classes(namespace):
            class Job:
                factor = 3

                @classmethod
                def work(cls, queue):
                    got = cls.guard.acquire(timeout=5)
                    queue.put((cls.factor * 7, got, hasattr(cls, "pending")))

            namespace["Job"] = Job

        def set_up():  # as a setUpClass would, at run time
            Job.guard = threading.Lock()
            Job.guard.acquire()
            Job.pending = (n for n in range(3))

        make_classes(globals())
        set_up()
        queue = multiprocessing.Queue()
        child = multiprocessing.Process(target=Job.work, args=(queue,))
        child.start()
        print(queue.get(timeout=30))
        child.join()
        print("exitcode", child.exitcode, "parent:", Job.guard.locked(), next(Job.pending))
        """,
    )
    result = run_procrun(script, start_method=method)
    assert_ok(result)
    assert out(result) == "(21, True, False)\nexitcode 0 parent: True 0\n"
    warnings = [line for line in err(result).splitlines() if "procrun: warning" in line]
    assert len(warnings) == 1
    assert "class attribute make_classes.<locals>.Job.pending is not copied" in warnings[0]
    assert "AttributeError" in warnings[0]


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_a_class_copied_by_value_is_copied_as_it_is_at_each_start(
    tmp_path: Path, method: str
) -> None:
    # Under fork each child has the class as it is when that child starts; the copy made for
    # the first child must not be reused for the second once the parent has changed it.
    script = write(
        tmp_path / "stale.py",
        """
        import multiprocessing

        def make(namespace):
            class Settings:
                level = 1

                @classmethod
                def show(cls):
                    print("child sees level", cls.level, flush=True)

            namespace["Settings"] = Settings

        def raise_level():
            Settings.level = 2

        make(globals())
        for step in range(2):
            child = multiprocessing.Process(target=Settings.show)
            child.start()
            child.join()
            raise_level()
        """,
    )
    result = run_procrun(script, start_method=method)
    assert_ok(result)
    assert out(result) == "child sees level 1\nchild sees level 2\n"


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_a_replayed_name_rebound_to_something_unpicklable_is_no_warning(
    tmp_path: Path, method: str
) -> None:
    # The replay binds `codec` in the child (as a guarded script's import does under spawn);
    # the main process rebinds it to an open file, which cannot travel. The child reads the
    # replayed module: no NameError, so no warning that says there would be one.
    script = write(
        tmp_path / "rebound.py",
        """
        import multiprocessing
        import json as codec

        def work():
            print(codec.__name__)

        def reopen():
            global codec
            codec = open(__file__)

        reopen()
        p = multiprocessing.Process(target=work)
        p.start()
        p.join()
        print("exitcode", p.exitcode)
        """,
    )
    result = run_procrun(script, start_method=method)
    assert_ok(result)
    assert out(result) == "json\nexitcode 0\n"
    assert err(result) == ""


def test_top_level_side_effect_happens_once(tmp_path: Path, start_method: str) -> None:
    marker = tmp_path / "ran.txt"
    script = write(
        tmp_path / "effects.py",
        """
        import sys
        from multiprocessing import Pool

        with open(sys.argv[1], "a") as f:
            f.write("ran\\n")

        def work(x):
            return x + 1

        with Pool(4) as pool:
            print(sum(pool.map(work, range(100))))
        """,
    )
    result = run_procrun(script, marker, start_method=start_method)
    assert_ok(result)
    assert out(result) == "5050\n"
    assert marker.read_text() == "ran\n"


def test_constant_rebound_after_a_child_starts_is_seen_as_under_fork(
    tmp_path: Path, start_method: str
) -> None:
    script = write(
        tmp_path / "rebound.py",
        """
        from multiprocessing import Process

        LIMIT = 3

        def work():
            print("limit", LIMIT, flush=True)

        p = Process(target=work)
        p.start()
        p.join()
        LIMIT = 5
        q = Process(target=work)
        q.start()
        q.join()
        """,
    )
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert out(result) == "limit 3\nlimit 5\n"


def test_processes_started_from_several_threads_at_once(tmp_path: Path, start_method: str) -> None:
    # The first starts load procrun's late imports (symtable, ...) while other threads start
    # processes too: none may see a module half made.
    script = write(
        tmp_path / "threads.py",
        """
        import multiprocessing
        import threading

        LIMIT = 3

        def work():
            assert LIMIT == 3

        exit_codes = []

        def starter():
            process = multiprocessing.Process(target=work)
            process.start()
            process.join()
            exit_codes.append(process.exitcode)

        threads = [threading.Thread(target=starter) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(exit_codes)
        """,
    )
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert out(result) == "[0, 0, 0, 0, 0, 0, 0, 0]\n"
    assert "Traceback" not in err(result)


HEAVY = ("typer", "rich", "click", "pydantic", "libcst", "PyInstaller")


def test_children_import_only_the_light_part(tmp_path: Path, start_method: str) -> None:
    script = write(
        tmp_path / "weight.py",
        f"""
        import sys
        from multiprocessing import Pool

        HEAVY = {HEAVY!r}

        def heavy_modules(_):
            return sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)

        with Pool(2) as pool:
            print(pool.map(heavy_modules, range(2)), heavy_modules(0))
        """,
    )
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert out(result) == "[[], []] []\n"


def test_console_script_runs_a_script(tmp_path: Path) -> None:
    console = Path(sys.executable).with_name("procrun")
    if not console.exists():
        pytest.skip("procrun is not installed as a console script next to this python")
    script = write(tmp_path / "hello.py", 'print("hello")\n')
    from conftest import run

    result = run([str(console), str(script)])
    assert_ok(result)
    assert out(result) == "hello\n"


def test_children_load_the_guarded_code_instead_of_parsing(
    tmp_path: Path, start_method: str
) -> None:
    script = write(
        tmp_path / "parse.py",
        """
        import sys
        from multiprocessing import Pool

        def parsed(_):
            return [m for m in ("ast", "procrun.guard") if m in sys.modules]

        with Pool(2) as pool:
            print(pool.map(parsed, range(2)))
        """,
    )
    cache = tmp_path / "cache"
    result = run_procrun(script, start_method=start_method, env={"PROCRUN_CACHE_DIR": str(cache)})
    assert_ok(result)
    assert out(result) == "[[], []]\n"
    if start_method == "fork":  # forked workers are copies of the parent: nothing to load
        assert not cache.exists()
        return
    assert len(list(cache.iterdir())) == 1
    assert oct(cache.stat().st_mode & 0o777) == oct(0o700)


def test_runs_without_a_usable_cache_directory(tmp_path: Path) -> None:
    script = write(
        tmp_path / "nocache.py",
        """
        from multiprocessing import Pool

        def work(x):
            return x * 2

        with Pool(2) as pool:
            print(pool.map(work, range(3)))
        """,
    )
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    result = run_procrun(
        script, start_method="spawn", env={"PROCRUN_CACHE_DIR": str(blocker / "cache")}
    )
    assert_ok(result)
    assert out(result) == "[0, 2, 4]\n"


def test_a_changed_split_never_meets_an_entry_made_by_the_old_one(tmp_path: Path) -> None:
    # A checkout's procrun keeps its version while guard.py changes between commits; an entry
    # made by another split replays the wrong statements in every child.
    import procrun

    copy = tmp_path / "copy" / "procrun"
    shutil.copytree(Path(procrun.__file__).parent, copy)
    entry_name = (
        "from procrun import codecache; "
        "print(codecache._entry('/s/app.py', b'x = 1', codecache.GUARDED))"
    )
    env = {"PYTHONPATH": str(copy.parent), "PROCRUN_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-S", "-c", entry_name]  # -S: not the installed procrun
    before = run(command, cwd=tmp_path, env=env)
    os.utime(copy / "guard.py", ns=(1, 1))
    after = run(command, cwd=tmp_path, env=env)
    assert_ok(before)
    assert_ok(after)
    assert out(before) != out(after)


def test_large_copied_globals_warn_once_with_the_largest_names(tmp_path: Path) -> None:
    script = write(
        tmp_path / "large.py",
        """
        from multiprocessing import Pool

        def make(n):
            return b"x" * n

        BIG = make(70 * 2**20)
        SMALL = make(10)

        def work(i):
            return len(BIG) + len(SMALL) + i

        with Pool(2) as pool:
            print(pool.map(work, range(2)))
        """,
    )
    result = run_procrun(script, start_method="spawn")
    assert_ok(result)
    assert out(result) == f"[{70 * 2**20 + 10}, {70 * 2**20 + 11}]\n"
    warnings = [line for line in err(result).splitlines() if "MiB of globals" in line]
    assert len(warnings) == 1
    assert "'BIG' (70 MiB)" in warnings[0]
    assert "processing.SharedArray" in warnings[0]  # where to find it, named in full


def test_join_before_get_warns_for_plain_multiprocessing(tmp_path: Path, start_method: str) -> None:
    script = write(
        tmp_path / "deadlock.py",
        """
        import multiprocessing as mp
        import threading
        import time

        def produce(queue):
            queue.put(b"x" * (4 * 2**20))  # more than a pipe holds: the child waits for a get()

        queue = mp.Queue()
        p = mp.Process(target=produce, args=(queue,))
        p.start()

        def drain_later():
            time.sleep(3)
            print(len(queue.get(timeout=30)))

        drainer = threading.Thread(target=drain_later)
        drainer.start()
        p.join()  # would wait forever without the drainer
        drainer.join()
        print("joined", p.exitcode)
        """,
    )
    result = run_procrun(script, start_method=start_method)
    assert_ok(result)
    assert out(result) == f"{4 * 2**20}\njoined 0\n"
    warnings = [line for line in err(result).splitlines() if "RuntimeWarning" in line]
    assert len(warnings) == 1
    assert "Process-1" in warnings[0] and "get() the items before join()" in warnings[0]
