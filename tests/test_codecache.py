"""The main process's code cache: a large script is compiled once, never run stale.

python recompiles its main script at every run; procrun keeps the compiled code of a script
of ``codecache.MAIN_CACHE_MIN_BYTES`` or more in its private cache. These tests tell a
loaded entry from a fresh compile by planting an entry whose code prints something else: a
run that prints it used the entry, a run that prints the script's own line did not.
"""

from __future__ import annotations

import glob
import marshal
import os
import shutil
import sys
from pathlib import Path

import pytest
from conftest import assert_ok, out, run, run_procrun

from procrun import codecache

pytestmark = pytest.mark.smoke

#: Padding that makes a script large enough for its main code to be cached.
PADDING = "".join(f"CONSTANT_{i} = {i}\n" for i in range(codecache.MAIN_CACHE_MIN_BYTES // 12))


def large_script(path: Path, last_line: str = 'print("compiled from the source")') -> Path:
    path.write_text(PADDING + last_line + "\n")
    assert path.stat().st_size >= codecache.MAIN_CACHE_MIN_BYTES
    return path


def main_entries(cache: Path) -> list[str]:
    return sorted(glob.glob(str(cache / "*.main")))


def plant(entry: str, script: Path, source: str = 'print("loaded from the cache")') -> None:
    """Replace the code in ``entry`` by ``source``'s (as from ``script``), under a valid
    header."""
    payload = marshal.dumps(compile(source, str(script), "exec"))
    Path(entry).write_bytes(codecache._TAG + codecache._hash(payload) + payload)


def cache_env(cache: Path) -> dict[str, str]:
    return {"PROCRUN_CACHE_DIR": str(cache)}


def run_once_then_plant(tmp_path: Path) -> tuple[Path, Path]:
    """A large script run once, which made its entry, and that entry's code then replaced
    (:func:`plant`): (the script, the cache directory)."""
    script = large_script(tmp_path / "big.py")
    cache = tmp_path / "cache"
    assert_ok(run_procrun(script, env=cache_env(cache)))
    [entry] = main_entries(cache)
    plant(entry, script)
    return script, cache


def test_a_large_script_runs_from_its_cached_code_the_second_time(tmp_path: Path) -> None:
    script = large_script(tmp_path / "big.py")
    cache = tmp_path / "cache"
    first = run_procrun(script, env=cache_env(cache))
    assert_ok(first)
    assert out(first) == "compiled from the source\n"
    [entry] = main_entries(cache)
    plant(entry, script)
    second = run_procrun(script, env=cache_env(cache))
    assert_ok(second)
    assert out(second) == "loaded from the cache\n"


def test_a_small_script_is_compiled_and_nothing_is_kept(tmp_path: Path) -> None:
    script = tmp_path / "small.py"
    script.write_text('print("small")\n')
    cache = tmp_path / "cache"
    result = run_procrun(script, env=cache_env(cache))
    assert_ok(result)
    assert out(result) == "small\n"
    assert not cache.exists() or main_entries(cache) == []


def test_an_edited_script_never_meets_its_old_code_and_the_old_entry_goes(
    tmp_path: Path,
) -> None:
    script = large_script(tmp_path / "big.py")
    cache = tmp_path / "cache"
    assert_ok(run_procrun(script, env=cache_env(cache)))
    [old] = main_entries(cache)
    plant(old, script)
    large_script(script, 'print("edited")')
    result = run_procrun(script, env=cache_env(cache))
    assert_ok(result)
    assert out(result) == "edited\n"
    [new] = main_entries(cache)
    assert new != old  # replaced: an edited script leaves one entry, not one per version


def test_a_damaged_entry_is_compiled_anew(tmp_path: Path) -> None:
    script = large_script(tmp_path / "big.py")
    cache = tmp_path / "cache"
    assert_ok(run_procrun(script, env=cache_env(cache)))
    [entry] = main_entries(cache)
    data = bytearray(Path(entry).read_bytes())
    data[-5] ^= 0xFF  # one flipped bit pattern inside the marshalled code
    Path(entry).write_bytes(bytes(data))
    result = run_procrun(script, env=cache_env(cache))
    assert_ok(result)
    assert out(result) == "compiled from the source\n"


def other_pythons() -> list[str]:
    """Interpreters of other minor versions on this machine (pyenv's), for the magic number."""
    mine = f"{sys.version_info[0]}.{sys.version_info[1]}."
    found = []
    root = Path.home() / ".pyenv" / "versions"
    for version in ("3.10", "3.11", "3.12", "3.13"):
        for python in sorted(root.glob(f"{version}.*/bin/python3")):
            if not python.parent.parent.name.startswith(mine):
                found.append(str(python))
                break
    return found


def test_another_python_never_meets_this_ones_code(tmp_path: Path) -> None:
    others = other_pythons()
    if not others:
        pytest.skip("no other Python minor version on this machine")
    script, cache = run_once_then_plant(tmp_path)
    root = str(Path(codecache.__file__).parent.parent)
    # The launcher needs only the standard library: procrun's checkout on the path will do.
    env = {**cache_env(cache), "PYTHONPATH": root}
    result = run([others[0], "-m", "procrun", str(script)], cwd=tmp_path, env=env)
    assert_ok(result)
    assert out(result) == "compiled from the source\n"
    assert len(main_entries(cache)) == 2  # its own entry, beside this Python's


def test_the_optimization_level_is_part_of_the_key(tmp_path: Path) -> None:
    script = large_script(tmp_path / "big.py", "assert False, 'asserts are on'\nprint('-O')")
    cache = tmp_path / "cache"
    plain = run_procrun(script, env=cache_env(cache))
    assert plain.returncode == 1 and b"asserts are on" in plain.stderr
    optimized = run([sys.executable, "-O", "-m", "procrun", str(script)], env=cache_env(cache))
    assert_ok(optimized)
    assert out(optimized) == "-O\n"
    again = run_procrun(script, env=cache_env(cache))
    assert again.returncode == 1 and b"asserts are on" in again.stderr


def test_another_procrun_version_never_meets_this_ones_code(tmp_path: Path) -> None:
    import procrun

    copy = tmp_path / "copy" / "procrun"
    shutil.copytree(Path(procrun.__file__).parent, copy)
    init = copy / "__init__.py"
    init.write_text(init.read_text().replace(procrun.__version__, "999.0"))
    script, cache = run_once_then_plant(tmp_path)
    env = {**cache_env(cache), "PYTHONPATH": str(copy.parent)}
    # -S and another directory: the copy, not the installed procrun nor the checkout's.
    result = run([sys.executable, "-S", "-m", "procrun", str(script)], cwd=copy.parent, env=env)
    assert_ok(result)
    assert out(result) == "compiled from the source\n"


def test_a_cache_directory_others_can_write_to_is_ignored(tmp_path: Path) -> None:
    script, cache = run_once_then_plant(tmp_path)
    cache.chmod(0o777)  # another user could have put that code there
    result = run_procrun(script, env=cache_env(cache))
    assert_ok(result)
    assert out(result) == "compiled from the source\n"


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving a directory away needs root"
)
def test_a_cache_directory_owned_by_another_user_is_ignored(tmp_path: Path) -> None:
    script, cache = run_once_then_plant(tmp_path)
    os.chown(cache, 4321, 4321)
    result = run_procrun(script, env=cache_env(cache))
    assert_ok(result)
    assert out(result) == "compiled from the source\n"
