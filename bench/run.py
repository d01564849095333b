"""procrun's benchmark suite: procrun against its baseline, side by side, in one run.

Run from the repository root with the virtualenv's python (the one procrun is installed in):

    .venv/bin/python bench/run.py            # full run, a few minutes
    .venv/bin/python bench/run.py --quick    # smoke run, under two minutes
    .venv/bin/python bench/run.py --repeat 5 # 5 runs of each side of every benchmark

The two sides of each comparison run interleaved (procrun, baseline, procrun, baseline, ...)
so that machine noise falls on both alike. The table of medians, ratios (procrun/baseline) and
targets is printed and written to bench/RESULTS.md. It is a report, not a test: the exit
status is 0 whether targets are met or not. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import math
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SCRIPTS = BENCH / "scripts"
RESULTS = BENCH / "RESULTS.md"

PYTHON = sys.executable
WORKERS = 2
BIG_GLOBAL_TASKS = 200


@dataclass(frozen=True)
class Target:
    """What procrun must achieve: a ratio limit, or an overhead limit in milliseconds."""

    kind: str  # "ratio" (procrun/baseline), "overhead" (procrun - baseline, ms), or "info"
    limit: float
    strict: bool = False  # "<" rather than "<="

    def describe(self) -> str:
        if self.kind == "info":
            return "- (a floor, shown for reference)"
        sign = "<" if self.strict else "<="
        if self.kind == "overhead":
            return f"overhead {sign} {self.limit:g} ms"
        return f"ratio {sign} {self.limit:g}"

    def met(self, procrun: float, baseline: float) -> bool:
        value = (procrun - baseline) * 1000 if self.kind == "overhead" else procrun / baseline
        return value < self.limit if self.strict else value <= self.limit


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a label and the command that runs it."""

    label: str
    command: tuple[str, ...]
    #: Run once, untimed, before the measured runs (unless the same command already was).
    warm_up: bool = True


@dataclass(frozen=True)
class Benchmark:
    """One comparison of procrun (side A) against a baseline (side B)."""

    key: str
    title: str
    procrun: Side
    baseline: Side
    target: Target
    runs: int
    quick_runs: int
    timeout: float  # seconds, per run
    unit: str  # how to show the medians: "ms" or "s"
    #: Time the whole command from outside and check it prints this; else parse the
    #: number of seconds that the script prints on its last line.
    wall_stdout: str | None = None


@dataclass
class RunFailure:
    """A run that did not produce a number: what was run and what it said."""

    side: str
    command: str
    problem: str
    stdout: str
    stderr: str


@dataclass
class Outcome:
    """The samples (seconds) of one benchmark, per side, and what went wrong."""

    benchmark: Benchmark
    procrun: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    failures: list[RunFailure] = field(default_factory=list)
    stderr_notes: dict[str, set[str]] = field(default_factory=dict)
    skipped: str | None = None

    def medians(self) -> tuple[float, float] | None:
        if not self.procrun or not self.baseline:
            return None
        return statistics.median(self.procrun), statistics.median(self.baseline)


def pool_map_chunksize(tasks: int, workers: int) -> int:
    """The chunksize ``multiprocessing.Pool.map`` picks for ``tasks`` items and ``workers``."""
    return math.ceil(tasks / (workers * 4))


def procrun_command(python: str) -> str:
    """The procrun console script of the environment ``python`` belongs to."""
    beside = Path(python).parent / "procrun"
    if beside.exists():
        return str(beside)
    found = shutil.which("procrun")
    if found is None:
        sys.exit("bench: no procrun command found; run this with the virtualenv's python")
    return found


def fresh_install(scratch: Path) -> str:
    """Install procrun as users get it (a wheel, bytecode compiled, the console script of a
    current pip) into a new virtual environment; its python.

    An editable install would distort start-up times: its import finder loads pathlib and re
    into every interpreter, for python and procrun alike, hiding what procrun imports.
    """
    pip = subprocess.run(
        [PYTHON, "-m", "pip", "--version"], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    if int(pip.split(".")[0]) < 25:
        # Found by a run whose start-up row read +18.7 ms instead of +7.3 ms.
        sys.exit(
            f"bench: pip {pip} writes console scripts that import re (about 10 ms of every "
            f"procrun start-up); upgrade it first: {PYTHON} -m pip install -U pip"
        )
    venv = scratch / "venv"
    subprocess.run([PYTHON, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run(
        [PYTHON, "-m", "pip", "--python", python, "install", "-q", "--no-deps", str(ROOT)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return python


#: Size of the generated script of benchmark 5 (the issue that found the cost used 10 MB).
LARGE_SCRIPT_BYTES = 10 * 2**20


def write_large_scripts(directory: Path) -> tuple[Path, Path]:
    """A large script with a Pool at its end: (unguarded, guarded and forcing fork)."""
    parts = ["import multiprocessing\nfrom multiprocessing import Pool\n\n"]
    size, index = len(parts[0]), 0
    while size < LARGE_SCRIPT_BYTES:
        part = (
            f"def f{index}(x):\n    y = x + {index}\n    return y * 2\n\n\n"
            f"V{index} = [{index}, 'v']\n\n"
        )
        parts.append(part)
        size += len(part)
        index += 1
    parts.append("def work(x):\n    return x + 1\n\n\n")
    body = "".join(parts)
    run_pool = "with Pool(2) as pool:\n    print(sum(pool.map(work, range(100))))\n"
    unguarded = directory / "large_unguarded.py"
    unguarded.write_text(body + run_pool)
    guarded = directory / "large_guarded.py"
    guarded.write_text(
        body
        + 'if __name__ == "__main__":\n    multiprocessing.set_start_method("fork")\n'
        + "".join("    " + line + "\n" for line in run_pool.splitlines())
    )
    return unguarded, guarded


#: Lines of the generated script of benchmark 6 (the issue that asked for the cache used 9,000).
MANY_LINES = 9000


def write_many_lines_script(directory: Path) -> Path:
    """A script of MANY_LINES lines of definitions and constants that prints one line."""
    lines = ["import math", ""]
    index = 0
    while len(lines) < MANY_LINES - 1:
        lines += [
            f"def f{index}(x, y=2):",
            f"    z = x * {index} + y",
            "    return math.sqrt(abs(z)) + len(str(z))",
            "",
            f"C{index} = {{'name': 'c{index}', 'values': [{index}, {index + 1}], 'ok': True}}",
            "",
        ]
        index += 1
    lines.append(f"print(len(C0) + f{index - 1}(1) > 0)")
    path = directory / "many_lines.py"
    path.write_text("\n".join(lines) + "\n")
    return path


def benchmarks(python: str, scratch: Path) -> list[Benchmark]:
    """The comparisons; ``python`` (with procrun installed) runs both sides of 1-3 and 5."""
    procrun = procrun_command(python)

    def script(name: str) -> str:
        return str((SCRIPTS / name).relative_to(ROOT))

    large_unguarded, large_guarded = write_large_scripts(scratch)
    many_lines = str(write_many_lines_script(scratch))
    twenty_lines = script("twenty_lines.py")

    spawn = (procrun, "-s", "spawn")
    chunks = pool_map_chunksize(BIG_GLOBAL_TASKS, WORKERS)
    big_global = Side("procrun -s spawn", (*spawn, script("big_global_unguarded.py")))
    return [
        Benchmark(
            key="startup",
            title='1. Start-up: `print("hello")`, wall time of the command',
            procrun=Side("procrun", (procrun, script("hello.py"))),
            baseline=Side("python", (python, script("hello.py"))),
            target=Target("overhead", 15),
            runs=40,
            quick_runs=10,
            timeout=30,
            unit="ms",
            wall_stdout="hello\n",
        ),
        Benchmark(
            key="startup",
            title="1b. Start-up: a 20-line script (functions, a constant, a loop), wall time",
            procrun=Side("procrun", (procrun, twenty_lines)),
            baseline=Side("python", (python, twenty_lines)),
            target=Target("overhead", 5),
            runs=40,
            quick_runs=10,
            timeout=30,
            unit="ms",
            wall_stdout="the: 3\ndog: 2\nquick: 1\n",
        ),
        Benchmark(
            key="child",
            title="2. Child start (spawn): `Process.start()` to first Queue message",
            procrun=Side("procrun -s spawn", (*spawn, script("child_start_unguarded.py"))),
            baseline=Side("python (guarded)", (python, script("child_start_guarded.py"))),
            target=Target("ratio", 1.10),
            runs=15,
            quick_runs=3,
            timeout=120,
            unit="ms",
        ),
        Benchmark(
            key="pool",
            title="3. `Pool(2).map` of 200,000 tiny tasks (spawn)",
            procrun=Side("procrun -s spawn", (*spawn, script("pool_map_unguarded.py"))),
            baseline=Side("python (guarded)", (python, script("pool_map_guarded.py"))),
            target=Target("ratio", 1.05),
            runs=15,
            quick_runs=3,
            timeout=120,
            unit="ms",
        ),
        Benchmark(
            key="global",
            title=f"4a. 50 MiB global, {BIG_GLOBAL_TASKS} tasks, 2 workers: "
            f"loky with Pool.map's chunking ({chunks} per chunk)",
            procrun=big_global,
            baseline=Side(
                f"loky chunksize={chunks}",
                (PYTHON, script("big_global_loky.py"), str(chunks)),
            ),
            target=Target("ratio", 1.0, strict=True),
            runs=8,
            quick_runs=2,
            timeout=180,
            unit="s",
        ),
        Benchmark(
            key="global",
            title=f"4b. 50 MiB global, {BIG_GLOBAL_TASKS} tasks, 2 workers: "
            "loky default (chunksize=1, data sent per task)",
            procrun=big_global,
            # Not warmed up: a run takes tens of seconds, and 4a has warmed up the script.
            baseline=Side(
                "loky chunksize=1", (PYTHON, script("big_global_loky.py"), "1"), warm_up=False
            ),
            target=Target("ratio", 1.0, strict=True),
            runs=3,
            quick_runs=1,
            timeout=600,
            unit="s",
        ),
        Benchmark(
            key="large",
            title=f"5. A {LARGE_SCRIPT_BYTES // 2**20} MB script whose Pool maps 100 tasks "
            "(fork), wall time of the command",
            procrun=Side("procrun -s fork", (procrun, "-s", "fork", str(large_unguarded))),
            baseline=Side("python (guarded)", (python, str(large_guarded))),
            target=Target("ratio", 1.2),
            runs=5,
            quick_runs=1,
            timeout=300,
            unit="s",
            wall_stdout="5050\n",
        ),
        Benchmark(
            key="manylines",
            title=f"6. A {MANY_LINES:,}-line script of definitions and constants, run again "
            "(procrun's code cache filled by the warm-up run), wall time",
            procrun=Side("procrun", (procrun, many_lines)),
            baseline=Side("python", (python, many_lines)),
            target=Target("ratio", 0.5),
            runs=15,
            quick_runs=3,
            timeout=60,
            unit="ms",
            wall_stdout="True\n",
        ),
        # numpy and pandas are in this python's environment (the bench extra), not in the
        # fresh one: its procrun runs both sides (an editable install costs both alike).
        *heavy_import_benchmarks(PYTHON, procrun_command(PYTHON), script),
    ]


def heavy_import_benchmarks(
    python: str, procrun: str, script: Callable[[str], str]
) -> list[Benchmark]:
    """7: a script importing numpy and pandas under forkserver, where procrun's fork server,
    started at launch, replays the imports while the script runs its own; fork as a floor."""
    unguarded, guarded = script("heavy_imports_unguarded.py"), script("heavy_imports_guarded.py")
    results = "45 180\n"

    def sides(what: str, method: str) -> tuple[Side, Side]:
        return (
            Side("procrun -s forkserver", (procrun, "-s", "forkserver", unguarded, what)),
            Side(f"python (guarded) {method}", (python, guarded, what, method)),
        )

    # The whole run's floor is python under fork, whose children need no imports at all:
    # procrun's script imports numpy and pandas itself, as python's does, so only the time
    # after Pool(2) can shrink; the whole run must still beat python's forkserver run.
    targets = {
        "forkserver": (Target("ratio", 0.5), Target("ratio", 1.0, strict=True)),
        "fork": (Target("info", 0), Target("info", 0)),
    }
    rows = []
    for method, (first_target, wall_target) in targets.items():
        first_procrun, first_python = sides("first", method)
        wall_procrun, wall_python = sides("wall", method)
        letter = "a" if method == "forkserver" else "c"
        rows.append(
            Benchmark(
                key="heavy",
                title=f"7{letter}. numpy + pandas script: `Pool(2)` to its first result, "
                f"against python under {method}",
                procrun=first_procrun,
                baseline=first_python,
                target=first_target,
                runs=10,
                quick_runs=2,
                timeout=120,
                unit="ms",
            )
        )
        rows.append(
            Benchmark(
                key="heavy",
                title=f"7{chr(ord(letter) + 1)}. numpy + pandas script: the whole run, "
                f"against python under {method}, wall time",
                procrun=wall_procrun,
                baseline=wall_python,
                target=wall_target,
                runs=10,
                quick_runs=2,
                timeout=120,
                unit="ms",
                wall_stdout=results,
            )
        )
    return rows


def child_environment(scratch: Path, bytecode_cache: bool) -> dict[str, str]:
    """The environment of every run: no start method forced, procrun's code cache and (unless
    ``bytecode_cache`` is false) Python's bytecode cache fresh in ``scratch``, for both sides."""
    env = dict(os.environ)
    env.pop("PROCRUN_START_METHOD", None)
    env["PROCRUN_CACHE_DIR"] = str(scratch / "procrun-cache")
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    else:
        env.pop("PYTHONPYCACHEPREFIX", None)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


class RunError(Exception):
    def __init__(self, failure: RunFailure) -> None:
        super().__init__(failure.problem)
        self.failure = failure


def run_once(benchmark: Benchmark, side: Side, env: dict[str, str]) -> tuple[float, str]:
    """Run ``side`` once: (seconds, its stderr). Raises RunError when it yields no number."""
    command = shlex.join(side.command)

    def fail(problem: str, stdout: str = "", stderr: str = "") -> RunError:
        return RunError(RunFailure(side.label, command, problem, stdout, stderr))

    start = time.perf_counter()
    # A session of its own, so that a run that times out is killed with all its children.
    with subprocess.Popen(
        side.command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=benchmark.timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                if sys.platform == "win32":
                    process.kill()  # no process groups there: the run itself
                else:
                    os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            raise fail(f"timed out after {benchmark.timeout:g} s", stdout, stderr) from None
    wall = time.perf_counter() - start
    if process.returncode != 0:
        raise fail(f"exit status {process.returncode}", stdout, stderr)
    if benchmark.wall_stdout is not None:
        if stdout != benchmark.wall_stdout:
            raise fail(f"expected stdout {benchmark.wall_stdout!r}", stdout, stderr)
        return wall, stderr
    lines = stdout.strip().splitlines()
    try:
        return float(lines[-1]), stderr
    except (IndexError, ValueError):
        raise fail("no number on the last line of stdout", stdout, stderr) from None


def measure(
    benchmark: Benchmark, runs: int, env: dict[str, str], warmed: set[tuple[str, ...]]
) -> Outcome:
    """Warm each side up once (untimed), then ``runs`` interleaved runs of each side."""
    outcome = Outcome(benchmark)
    sides = ((benchmark.procrun, outcome.procrun), (benchmark.baseline, outcome.baseline))
    for side, _ in sides:
        if not side.warm_up or side.command in warmed:
            continue
        try:
            run_once(benchmark, side, env)
        except RunError as error:
            outcome.failures.append(error.failure)
            outcome.skipped = f"{side.label} failed its warm-up run"
            return outcome
        warmed.add(side.command)
    for index in range(runs):
        shown = []
        for side, samples in sides:
            try:
                seconds, stderr = run_once(benchmark, side, env)
            except RunError as error:
                outcome.failures.append(error.failure)
                shown.append(f"{side.label} FAILED")
                continue
            samples.append(seconds)
            if stderr.strip():
                outcome.stderr_notes.setdefault(side.label, set()).add(stderr.strip())
            shown.append(f"{side.label} {_show(seconds, benchmark.unit)}")
        print(f"  run {index + 1}/{runs}: " + ", ".join(shown), flush=True)
    return outcome


def _show(seconds: float, unit: str) -> str:
    return f"{seconds * 1000:.1f} ms" if unit == "ms" else f"{seconds:.3f} s"


def results_table(outcomes: Sequence[Outcome]) -> str:
    header = (
        "| Benchmark | procrun side | baseline side | procrun median | baseline median "
        "| procrun - baseline | ratio | target | result |"
    )
    lines = [header, "|---|---|---|--:|--:|--:|--:|---|---|"]
    for outcome in outcomes:
        benchmark = outcome.benchmark
        cells = [benchmark.title, benchmark.procrun.label, benchmark.baseline.label]
        medians = outcome.medians()
        if medians is None:
            reason = outcome.skipped or "no successful runs"
            cells += ["-", "-", "-", "-", benchmark.target.describe(), f"ERROR ({reason})"]
        else:
            procrun, baseline = medians
            unit = benchmark.unit
            difference = procrun - baseline
            sign = "+" if difference >= 0 else "-"
            cells += [
                _show(procrun, unit),
                _show(baseline, unit),
                sign + _show(abs(difference), unit),
                f"{procrun / baseline:.3f}",
                benchmark.target.describe(),
                _verdict(benchmark.target, procrun, baseline),
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _verdict(target: Target, procrun: float, baseline: float) -> str:
    if target.kind == "info":
        return "info"
    return "PASS" if target.met(procrun, baseline) else "FAIL"


def details_table(outcomes: Sequence[Outcome]) -> str:
    lines = [
        "| Benchmark | side | runs | failed | min | median | max | command |",
        "|---|---|--:|--:|--:|--:|--:|---|",
    ]
    for outcome in outcomes:
        benchmark = outcome.benchmark
        number = benchmark.title.partition(" ")[0]
        for side, samples in (
            (benchmark.procrun, outcome.procrun),
            (benchmark.baseline, outcome.baseline),
        ):
            failed = sum(1 for f in outcome.failures if f.side == side.label)
            if samples:
                low, middle, high = min(samples), statistics.median(samples), max(samples)
                values = [_show(v, benchmark.unit) for v in (low, middle, high)]
            else:
                values = ["-", "-", "-"]
            command = shlex.join(_relative(part) for part in side.command)
            lines.append(
                f"| {number} | {side.label} | {len(samples)} | {failed} | "
                + " | ".join(values)
                + f" | `{command}` |"
            )
    return "\n".join(lines)


def _relative(part: str) -> str:
    """A command word as the reader would type it (the venv's programs by their names)."""
    if part == PYTHON or (os.path.isabs(part) and Path(part).name == "python"):
        return "python"
    if os.path.isabs(part) and Path(part).name == "procrun":
        return "procrun"
    return part


def problems_section(outcomes: Sequence[Outcome]) -> str:
    parts = []
    for outcome in outcomes:
        number = outcome.benchmark.title.partition(" ")[0]
        for failure in outcome.failures:
            parts.append(
                f"- {number} {failure.side}: `{failure.command}` (cwd: repository root): "
                f"{failure.problem}\n\n"
                + _block("stdout", failure.stdout)
                + _block("stderr", failure.stderr)
            )
        for label, notes in sorted(outcome.stderr_notes.items()):
            for note in sorted(notes):
                parts.append(
                    f"- {number} {label}: a successful run wrote to stderr\n\n"
                    + _block("stderr", note)
                )
    return "\n".join(parts)


def _block(name: str, text: str, limit: int = 3000) -> str:
    if not text.strip():
        return f"  {name}: (empty)\n\n"
    if len(text) > limit:
        text = "[...]\n" + text[-limit:]
    indented = "\n".join("  " + line for line in text.rstrip().splitlines())
    return f"  {name}:\n\n  ```\n{indented}\n  ```\n\n"


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def procrun_version() -> str:
    """The commit measured, and whether procrun's code differs from it."""
    commit = _git("rev-parse", "--short", "HEAD")
    if not commit:
        return "unknown"
    changed = _git(
        "status", "--porcelain", "--untracked-files=no", "--", "procrun", "runtime", "templates"
    )
    return f"{commit} with uncommitted changes to procrun" if changed else commit


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as text."""
    if not hasattr(os, "getloadavg"):
        return "unknown"
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def environment_summary(args: argparse.Namespace, elapsed: float, load_before: str) -> str:
    command = " ".join(["python bench/run.py", *sys.argv[1:]])
    bytecode = (
        "compiled from source on every start (--no-bytecode-cache)"
        if args.no_bytecode_cache
        else "cached (a fresh PYTHONPYCACHEPREFIX, filled by the warm-up runs); "
        "procrun's code cache also fresh (PROCRUN_CACHE_DIR)"
    )
    return "\n".join(
        [
            f"- Command: `{command}`; took {elapsed:.0f} s",
            f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
            f"- procrun commit: {procrun_version()}",
            f"- Python {platform.python_version()} ({platform.python_implementation()}), "
            f"{platform.system()} {platform.release()} {platform.machine()}, "
            f"{os.cpu_count()} CPUs; load average before the run {load_before}, "
            f"after {load_average()}",
            "- procrun under test: "
            + (
                "the install beside this python (--in-place)"
                if args.in_place
                else "a fresh wheel install in a temporary virtual environment (python there "
                "runs the baseline sides of 1-3; loky runs in the invoking environment)"
            ),
            f"- Bytecode: {bytecode}",
            "- Medians over interleaved runs (procrun, baseline, procrun, ...); "
            "ratio = procrun median / baseline median. See bench/README.md.",
        ]
    )


#: Benchmarks that are scripts printing their own markdown table, by --only key: the
#: runtime library's micro-benchmarks, the freezer against plain PyInstaller, the checker
#: against pyflakes, and the cluster engines against the local Pool. Those need procrun's
#: dependencies (typer, PyInstaller, pyflakes, Ray, Dask), so they run with this python's procrun.
SCRIPT_BENCHMARKS = {
    "runtime": (
        "Runtime library (`processing`) against `multiprocessing`",
        ("runtime_queues.py", "runtime_shared.py"),
    ),
    "freeze": ("`procrun freeze` against plain PyInstaller", ("freeze.py",)),
    "check": ("`procrun check` against ruff and pyflakes", ("check_speed.py",)),
    "cluster": ("`procrun --cluster ray|dask` against the local Pool", ("cluster.py",)),
}
NEEDS_DEPENDENCIES = frozenset({"freeze", "check", "cluster"})


def script_tables(python: str, key: str, quick: bool, env: dict[str, str]) -> list[str]:
    """Run each of ``key``'s benchmark scripts with ``python``; its table, or what went wrong."""
    sections = []
    for name in SCRIPT_BENCHMARKS[key][1]:
        print(f"{key}: bench/{name}", flush=True)
        interpreter = PYTHON if key in NEEDS_DEPENDENCIES else python
        command = [interpreter, str(BENCH / name), *(["--quick"] if quick else [])]
        try:
            result = subprocess.run(
                command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800
            )
            table = result.stdout.strip() if result.returncode == 0 else ""
            problem = "" if table else f"exit {result.returncode}: {result.stderr.strip()[-2000:]}"
        except subprocess.TimeoutExpired:
            table, problem = "", "timed out after 1800 s"
        sections.append(f"### `bench/{name}`\n\n{table or 'FAILED: ' + problem}")
    return sections


def report(
    outcomes: Sequence[Outcome],
    args: argparse.Namespace,
    elapsed: float,
    load_before: str,
    scripts: Sequence[tuple[str, Sequence[str]]] = (),
) -> str:
    sections = [
        "# procrun benchmark results",
        environment_summary(args, elapsed, load_before),
        "## Results",
        results_table(outcomes),
    ]
    for heading, tables in scripts:
        sections += [f"## {heading}", *tables]
    sections += ["## Per side", details_table(outcomes)]
    problems = problems_section(outcomes)
    if problems:
        sections += ["## Failures and stderr output", problems.rstrip()]
    return "\n\n".join(sections) + "\n"


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/run.py",
        description="Benchmark procrun against plain python and loky; write bench/RESULTS.md.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="few runs of each side: a smoke run (< 2 minutes)"
    )
    parser.add_argument(
        "--repeat", type=int, metavar="N", help="N runs of each side of every benchmark"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=[
            "startup",
            "child",
            "pool",
            "global",
            "large",
            "manylines",
            "heavy",
            *SCRIPT_BENCHMARKS,
        ],
        help="run only this benchmark (may be given more than once)",
    )
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="measure the procrun installed beside this python (perhaps editable) instead of "
        "a fresh wheel install in a temporary virtual environment",
    )
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="run everything with PYTHONDONTWRITEBYTECODE=1 (every module compiled from "
        "source at every start) instead of with a fresh bytecode cache",
    )
    args = parser.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(argv)
    missing_loky = find_spec("loky") is None
    missing_heavy = find_spec("numpy") is None or find_spec("pandas") is None
    began = time.perf_counter()
    outcomes: list[Outcome] = []
    warmed: set[tuple[str, ...]] = set()
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="procrun-bench-") as scratch:
        python = PYTHON if args.in_place else fresh_install(Path(scratch))
        print(f"procrun and python under test: {python}", flush=True)
        selected = [
            b for b in benchmarks(python, Path(scratch)) if args.only is None or b.key in args.only
        ]
        env = child_environment(Path(scratch), bytecode_cache=not args.no_bytecode_cache)
        for benchmark in selected:
            if args.repeat is not None:
                runs = args.repeat
            else:
                runs = benchmark.quick_runs if args.quick else benchmark.runs
            times = "1 run" if runs == 1 else f"{runs} runs"
            print(f"{benchmark.title} ({times} of each side)", flush=True)
            if missing_loky and "loky" in benchmark.baseline.label:
                outcome = Outcome(benchmark, skipped="loky is not installed")
            elif missing_heavy and benchmark.key == "heavy":
                outcome = Outcome(benchmark, skipped="numpy or pandas is not installed")
            else:
                outcome = measure(benchmark, runs, env, warmed)
            for failure in outcome.failures:
                print(f"  FAILED: {failure.side}: {failure.command}: {failure.problem}")
                if failure.stderr.strip():
                    print("    " + "\n    ".join(failure.stderr.strip().splitlines()[-15:]))
            outcomes.append(outcome)
        scripts = [
            (heading, script_tables(python, key, args.quick, env))
            for key, (heading, _) in SCRIPT_BENCHMARKS.items()
            if args.only is None or key in args.only
        ]
    text = report(outcomes, args, time.perf_counter() - began, load_before, scripts)
    RESULTS.write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"(written to {RESULTS.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
