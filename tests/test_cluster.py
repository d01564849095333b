"""procrun --cluster: pools and process executors on a real local Ray and Dask (WIP)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from conftest import assert_ok, err, out, run_procrun, write

pytestmark = pytest.mark.timeout(300)

SCRIPT = """
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

SCALE = sum(range(4))  # computed by the main block: workers must see 6


def work(x):
    return x * SCALE


def boom(x):
    raise KeyError(x)


with multiprocessing.Pool(2) as pool:
    print("map", pool.map(work, range(5)))
    print("unordered", sorted(pool.imap_unordered(work, range(3))))
    print("starmap", pool.starmap(pow, [(2, 3), (3, 2)]))
    result = pool.apply_async(work, (7,), callback=lambda v: print("callback", v))
    result.wait()
    try:
        pool.map(boom, [1])
    except KeyError:
        print("raised KeyError")
with ProcessPoolExecutor(2) as executor:
    print("submit", executor.submit(work, 2).result(), "map", list(executor.map(work, [1, 2])))
queue = multiprocessing.Queue()
queue.put(1)
print("queue", queue.get())
"""

EXPECTED = """map [0, 6, 12, 18, 24]
unordered [0, 6, 12]
starmap [8, 9]
callback 42
raised KeyError
submit 12 map [6, 12]
queue 1
"""


def installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


@pytest.mark.parametrize(
    "engine",
    [
        pytest.param("dask", marks=pytest.mark.skipif(not installed("distributed"), reason="no dask")),
        pytest.param("ray", marks=pytest.mark.skipif(not installed("ray"), reason="no ray")),
    ],
)
def test_pools_and_executors_run_on_the_cluster_as_locally(tmp_path: Path, engine: str) -> None:
    script = write(tmp_path / "job.py", SCRIPT)
    local = run_procrun(script, timeout=120)
    assert_ok(local)
    assert out(local) == EXPECTED
    clustered = run_procrun("--cluster", engine, script, timeout=240)
    assert_ok(clustered)
    assert out(clustered) == EXPECTED
    assert err(clustered).count("Queue runs locally") == 1


def test_unreachable_address_is_one_line_and_exit_2(tmp_path: Path) -> None:
    if not installed("distributed"):
        pytest.skip("no dask")
    script = write(tmp_path / "job.py", "print('never')\n")
    result = run_procrun("--cluster", "dask://127.0.0.1:9", script, timeout=60)
    assert result.returncode == 2
    assert err(result).startswith("procrun: error: cannot reach the dask cluster at tcp://127.0.0.1:9")
    assert len(err(result).splitlines()) == 1
    assert out(result) == ""
