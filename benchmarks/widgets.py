"""Time every widget's interactions: ``python benchmarks/widgets.py [--repeat N]``.

Replays the cases of ``benchmarks/widget_cases.py`` (one entry per widget module), applies each
interaction (a dict of control name -> value, assigned one at a time; each assignment
redraws) and times it together with rendering the figure to PNG, as the notebook does.
Prints one line per widget (median and max ms) and the overall median; exits with 1 if
any widget's median is 100 ms or more.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import io
import pkgutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Callable

import matplotlib

matplotlib.use("Agg")

import course.widgets  # noqa: E402  (after choosing the backend)
from course.widgets.core import Explorer, render_png  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from widget_cases import CASES  # noqa: E402

LIMIT_MS = 100.0


@dataclass
class CaseResult:
    """Timings of one widget: ms per interaction (all repeats), and per interaction of the
    last pass how many redraws it caused and whether the PNG changed."""

    name: str
    module: str
    times_ms: list[float] = field(default_factory=list)
    redraws: list[int] = field(default_factory=list)
    changed: list[bool] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def max_ms(self) -> float:
        return max(self.times_ms)


def module_names(package: ModuleType = course.widgets) -> list[str]:
    """Full names of the modules of ``package`` (without importing them)."""
    return sorted(info.name for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."))


def discover(only: list[str] | None = None) -> dict[str, Callable]:
    """The cases of each widget module (short name -> function), ``only`` those named if given."""
    if only is not None:
        unknown = set(only) - set(CASES)
        if unknown:
            raise ValueError(f"expected modules of course.widgets with cases in widget_cases.py, got unknown "
                             f"{sorted(unknown)}")
    return {name: cases for name, cases in CASES.items() if only is None or name in only}


def explorer_modules(package: ModuleType = course.widgets) -> list[str]:
    """Short names of the modules of ``package`` that build explorers (they import ``Explorer``)."""
    modules = [importlib.import_module(name) for name in module_names(package)]
    return [m.__name__.rsplit(".", 1)[1] for m in modules if getattr(m, "Explorer", None) is Explorer
            and not m.__name__.endswith(".core")]


def apply(explorer: Explorer, interaction: dict) -> None:
    """Assign each control value of ``interaction`` (each assignment redraws)."""
    for name, value in interaction.items():
        if name not in explorer.controls:
            raise ValueError(f"expected a control of {sorted(explorer.controls)}, got {name!r}")
        explorer.controls[name].value = value


def run_case(name: str, module: str, explorer: Explorer, interactions: list[dict],
             repeat: int = 1) -> CaseResult:
    """Time ``interactions`` ``repeat`` times, resetting the controls to their first values between passes."""
    result = CaseResult(name, module)
    start_values = explorer.values()
    with contextlib.redirect_stdout(io.StringIO()):  # Output.clear_output writes escapes outside IPython
        previous = _digest(explorer)  # also warms up the renderer
        for attempt in range(repeat):
            if attempt:
                apply(explorer, start_values)
                previous = _digest(explorer)
            result.redraws, result.changed = [], []
            for interaction in interactions:
                redraws = explorer.redraws
                start = time.perf_counter()
                apply(explorer, interaction)
                png = render_png(explorer.figure)
                result.times_ms.append(1000 * (time.perf_counter() - start))
                digest = hashlib.sha1(png).hexdigest()
                result.redraws.append(explorer.redraws - redraws)
                result.changed.append(digest != previous)
                previous = digest
    return result


def run(only: list[str] | None = None, repeat: int = 1) -> list[CaseResult]:
    """Run every benchmark case of every discovered widget module."""
    results = []
    for module, build in discover(only).items():
        with contextlib.redirect_stdout(io.StringIO()):  # see run_case
            cases = build()
        for name, explorer, interactions in cases:
            results.append(run_case(name, f"course.widgets.{module}", explorer, interactions, repeat))
    return results


def _digest(explorer: Explorer) -> str:
    return hashlib.sha1(render_png(explorer.figure)).hexdigest()


def report(results: list[CaseResult], repeat: int) -> str:
    """One line per widget and a final line with the overall median."""
    lines = []
    for r in results:
        flags = " SLOW" if r.median_ms >= LIMIT_MS else ""
        idle = sum(count == 0 for count in r.redraws)
        if idle:
            flags += f"  ({idle} interactions did not redraw)"
        lines.append(f"{r.name:<44} {len(r.redraws):>3} interactions x {repeat}   median {r.median_ms:6.1f} ms"
                     f"   max {r.max_ms:6.1f} ms{flags}")
    every = [t for r in results for t in r.times_ms]
    if every:
        lines.append(f"{'overall':<44} {len(every):>3} timings          median {statistics.median(every):6.1f} ms")
    else:
        lines.append("no cases")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="passes over each widget's interactions")
    parser.add_argument("--only", nargs="+", metavar="MODULE", help="short module names, e.g. pooling")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"expected --repeat >= 1, got {args.repeat}")
    results = run(args.only, args.repeat)
    print(report(results, args.repeat))
    slow = [r.name for r in results if r.median_ms >= LIMIT_MS]
    if slow:
        print(f"median redraw >= {LIMIT_MS:.0f} ms: {', '.join(slow)}", file=sys.stderr)
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
