"""Shared helpers: run scripts under ``procrun`` and under ``python`` in real processes."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

# A shell without job control starts background commands with SIGINT ignored (`.ci/run &`),
# and an ignored signal stays ignored across exec: every procrun the tests start would then
# sleep through the Ctrl-C the tests send. Python's own handler is reset at exec instead.
if getattr(signal, "SIGINT", None) and signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

#: Every start method this platform has (spawn only on Windows).
START_METHODS = tuple(
    method
    for method in ("spawn", "forkserver", "fork")
    if method in multiprocessing.get_all_start_methods()
)
#: Seconds any one program run may take before the test fails instead of hanging.
RUN_TIMEOUT = 60


def procrun_command() -> list[str]:
    return [sys.executable, "-m", "procrun"]


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCRUN_")}
    env.pop("PYTHONPATH", None)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if extra:
        env.update(extra)
    return env


#: What the resource tracker prints about semaphores or shared memory nobody released.
LEAK_WARNINGS = (b"leaked semaphore", b"leaked shared_memory")


def run(
    command: list[str],
    cwd: Path | str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = RUN_TIMEOUT,
    input: bytes | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``command`` to the end; no run of any test may leak semaphores or shared memory."""
    result = subprocess.run(
        command,
        cwd=cwd,
        env=clean_env(env),
        input=input,
        capture_output=True,
        timeout=timeout,
    )
    assert_no_leaks(result.stderr)
    return result


def assert_no_leaks(stderr: bytes) -> None:
    for warning in LEAK_WARNINGS:
        assert warning not in stderr, stderr.decode(errors="replace")


def run_procrun(
    *args: str | Path,
    start_method: str | None = None,
    cwd: Path | str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = RUN_TIMEOUT,
) -> subprocess.CompletedProcess[bytes]:
    options = ["--start-method", start_method] if start_method else []
    return run([*procrun_command(), *options, *map(str, args)], cwd, env, timeout)


def run_python(
    *args: str | Path,
    cwd: Path | str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = RUN_TIMEOUT,
) -> subprocess.CompletedProcess[bytes]:
    return run([sys.executable, *map(str, args)], cwd, env, timeout)


def process_table() -> list[tuple[int, str, int, int]]:
    """(pid, state, parent pid, process group) of every process now, from /proc (Linux)."""
    table = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            continue
        table.append((int(entry), fields[0], int(fields[1]), int(fields[2])))
    return table


def without_permission_override() -> list[str]:
    """A command prefix under which even root obeys file permissions (skips if impossible)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: every file is readable and writable")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}"]


def write(path: Path, source: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source).lstrip("\n"))
    return path


def out(result: subprocess.CompletedProcess[bytes]) -> str:
    return result.stdout.decode()


def err(result: subprocess.CompletedProcess[bytes]) -> str:
    return result.stderr.decode()


def assert_ok(result: subprocess.CompletedProcess[bytes]) -> None:
    assert result.returncode == 0, (
        f"exit {result.returncode}\n--- stdout\n{out(result)}\n--- stderr\n{err(result)}"
    )


@pytest.fixture(params=START_METHODS)
def start_method(request: pytest.FixtureRequest) -> str:
    """Each test using this runs once per start method."""
    return str(request.param)


@pytest.fixture
def method(start_method: str) -> Iterator[str]:
    """The default start method for this test (restored after)."""
    previous = multiprocessing.get_start_method(allow_none=True)
    multiprocessing.set_start_method(start_method, force=True)
    yield start_method
    multiprocessing.set_start_method(previous, force=True)
