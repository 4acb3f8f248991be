"""benchmarks/widgets.py: finds every widget module with benchmark cases and replays them.

No timing is asserted (tests must not depend on the machine's speed): only that discovery
works, that every interaction redraws and changes the figure, and how results are reported.
"""

import importlib.util
import sys

import pytest

from tests.conftest import ROOT

MINE = ["pooling", "strided_conv"]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("widget_benchmark", ROOT / "benchmarks" / "widgets.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_lists_the_widget_modules_without_importing_them(bench):
    names = bench.module_names()
    assert {"course.widgets.core", "course.widgets.pooling", "course.widgets.strided_conv"} <= set(names)


def test_every_widget_module_that_builds_explorers_has_cases(bench):
    """A widget someone adds without cases would never be timed: its module must get an entry."""
    assert sorted(bench.explorer_modules()) == sorted(bench.CASES)
    assert bench.explorer_modules() and "core" not in bench.explorer_modules()


def test_discover_keeps_the_named_modules_and_refuses_unknown_ones(bench):
    assert list(bench.discover(MINE)) == MINE
    with pytest.raises(ValueError, match=r"got unknown \['nope'\]"):
        bench.discover(["nope"])


def test_every_case_sets_controls_its_explorer_has(bench):
    for module, build in bench.discover().items():
        cases = build()
        assert cases, module
        for name, explorer, steps in cases:
            assert len(steps) >= 6, name
            for step in steps:
                assert set(step) <= set(explorer.controls), (name, step, sorted(explorer.controls))


def test_every_interaction_of_every_widget_redraws_and_changes_the_figure(bench):
    results = bench.run(repeat=1)
    assert {r.module for r in results} == {f"course.widgets.{m}" for m in bench.CASES}
    for r in results:
        assert len(r.times_ms) == len(r.redraws) == len(r.changed) >= 6
        assert all(count >= 1 for count in r.redraws), (r.name, r.redraws)
        assert all(r.changed), (r.name, r.changed)
        assert all(t > 0 for t in r.times_ms)


def test_repeats_start_again_from_the_first_values(bench):
    [(name, explorer, steps)] = bench.CASES["strided_conv"]()
    start = explorer.values()
    result = bench.run_case(name, "course.widgets.strided_conv", explorer, steps, repeat=2)
    assert len(result.times_ms) == 2 * len(steps)
    assert all(count >= 1 for count in result.redraws) and all(result.changed)  # the second pass redrew too
    assert explorer.values() != start


def test_apply_refuses_unknown_controls(bench):
    [(_, explorer, _)] = bench.CASES["strided_conv"]()
    with pytest.raises(ValueError, match=r"expected a control of \[.*'stride'.*\], got 'strides'"):
        bench.apply(explorer, {"strides": 2})


def test_report_and_exit_status(bench, monkeypatch, capsys):
    fast = bench.CaseResult("fast", "m", [10.0, 20.0, 30.0], [1, 1, 1], [True] * 3)
    idle = bench.CaseResult("idle", "m", [5.0, 7.0], [1, 0], [True, False])
    lines = bench.report([fast, idle], repeat=1).splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("fast") and "median   20.0 ms" in lines[0] and "max   30.0 ms" in lines[0]
    assert "(1 interactions did not redraw)" in lines[1]
    assert lines[2].startswith("overall") and "median   10.0 ms" in lines[2]

    monkeypatch.setattr(bench, "run", lambda only, repeat: [fast])
    assert bench.main(["--repeat", "2"]) == 0
    monkeypatch.setattr(bench, "LIMIT_MS", 20.0)
    assert bench.main([]) == 1
    assert "median redraw >= 20 ms: fast" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        bench.main(["--repeat", "0"])
