"""The release as users get it: an sdist and a wheel that ``twine check`` accepts, whose
wheel installs into a fresh environment and runs an example with no build step.

Slow (a build, then an install with the dependencies): about a minute.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import assert_ok, out, run

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("build") is None or importlib.util.find_spec("twine") is None,
    reason="build and twine (the test extra) are not installed",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """(the sdist, the wheel, what the build printed)."""
    dist = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
        capture_output=True,
        timeout=600,
    )
    printed = (result.stdout + result.stderr).decode(errors="replace")
    assert result.returncode == 0, printed[-3000:]
    [sdist] = dist.glob("*.tar.gz")
    [wheel] = dist.glob("*.whl")
    return sdist, wheel, printed


def test_the_build_prints_no_warning_about_our_metadata(built: tuple[Path, Path, str]) -> None:
    printed = built[2]
    assert "deprecated" not in printed.lower(), printed[-3000:]
    assert "SetuptoolsDeprecationWarning" not in printed


def test_twine_accepts_both(built: tuple[Path, Path, str]) -> None:
    sdist, wheel, _ = built
    result = run([sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel)])
    assert_ok(result)
    assert out(result).count("PASSED") == 2


def test_the_wheel_carries_the_license_urls_and_type_markers(
    built: tuple[Path, Path, str],
) -> None:
    sdist, wheel, _ = built
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        [metadata] = [n for n in names if n.endswith(".dist-info/METADATA")]
        text = archive.read(metadata).decode()
    assert "procrun/py.typed" in names and "processing/py.typed" in names
    assert any(n.endswith("/licenses/LICENSE") for n in names)
    assert "License-Expression: MIT" in text
    for label in ("Homepage", "Documentation", "Issues"):
        assert f"Project-URL: {label}, https://" in text
    assert "Keywords: multiprocessing" in text
    with tarfile.open(sdist) as archive:
        members = {Path(m).name for m in archive.getnames()}
    assert {"LICENSE", "_speedups.c", "setup.py", "pyproject.toml"} <= members


def test_the_wheel_installs_into_a_fresh_environment_and_runs_an_example(
    built: tuple[Path, Path, str], tmp_path: Path
) -> None:
    _, wheel, _ = built
    venv = tmp_path / "venv"
    assert_ok(run([sys.executable, "-m", "venv", str(venv)], timeout=300))
    python = venv / ("Scripts" if sys.platform == "win32" else "bin") / "python"
    install = run(
        [str(python), "-m", "pip", "install", "--quiet", "--only-binary", ":all:", str(wheel)],
        timeout=600,
    )
    assert_ok(install)
    procrun = python.with_name("procrun")
    result = run([str(procrun), "-s", "spawn", str(ROOT / "examples" / "hello.py")], cwd=tmp_path)
    assert_ok(result)
    expected = run([str(python), str(ROOT / "examples" / "hello.py")], cwd=tmp_path)
    assert_ok(expected)
    assert out(result) == out(expected)
