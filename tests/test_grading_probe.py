"""Test cells pulled apart for grading: the probe keeps no expected value, the reference keeps them all,
both number the checks the same way; and the rules that make the split sound."""

import ast

from course.grading.probe import probe_source, reference_source, rules

CELL = '''"""Hidden tests: random label maps against a direct count."""
from course.checks import check_array, check_raises, reference, seed
with reference():
    def _direct(pred, target, k):
        return np.zeros((k, k), dtype=int) + 42

_rng = np.random.default_rng(seed(2015))
for _k in (2, 3):
    _p = _rng.integers(0, _k, size=(3, 4))
    check_array(confusion_matrix(_p, _p, _k), _direct(_p, _p, _k), dtype="integer", call=f"cm {_k}",
                hint="the answer is 42 everywhere")
check_raises(lambda: confusion_matrix(np.zeros((2, 3)), np.zeros((3, 2)), 2), ValueError, call="bad shapes")
'''


def calls(source):
    found = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute) and node.func.attr == "_observe"]
    return sorted(found, key=lambda node: (node.lineno, node.col_offset))


def test_the_probe_has_no_expected_value_no_hint_and_no_reference_block():
    probe = probe_source(CELL)
    assert "_direct" not in probe and "42" not in probe and "hint" not in probe and "ValueError" not in probe
    assert [ast.literal_eval(c.args[0]) for c in calls(probe)] == [0, 1]
    assert all(len(c.args) == 3 and not c.keywords for c in calls(probe))
    assert "confusion_matrix(_p, _p, _k)" in probe and "seed(2015)" in probe  # the inputs stay


def test_the_reference_keeps_everything_and_numbers_the_checks_alike():
    ref = reference_source(CELL)
    assert "def _direct" in ref
    observed = calls(ref)
    assert [ast.literal_eval(c.args[0]) for c in observed] == [0, 1]
    assert [ast.literal_eval(c.args[1]) for c in observed] == ["array", "raises"]
    assert {k.arg for k in observed[0].keywords} == {"dtype", "call", "hint"}


def test_both_run_and_report_through_observe():
    import numpy as np

    from course import checks

    def confusion_matrix(pred, target, k):
        if pred.shape != target.shape:
            raise ValueError("shapes")
        return np.zeros((k, k), dtype=int) + 42

    sink = []
    checks._sink = sink
    try:
        for source in (probe_source(CELL), reference_source(CELL)):
            exec(source, {"np": np, "confusion_matrix": confusion_matrix})
    finally:
        checks._sink = None
    probe, ref = sink[:3], sink[3:]
    assert [r["index"] for r in probe] == [0, 0, 1] and all("expected" not in r for r in probe)
    assert all("expected" in r and "spec" in r for r in ref)
    assert ref[-1]["got"]["t"] == "raised" and ref[-1]["got"]["types"][0] == "ValueError"


def test_the_rules_catch_what_would_break_the_split():
    bad = '''"""Tests."""
with reference():
    expected = 3
    check_scalar(f(1), 3, call="inside a reference block")
check_scalar(f(expected), expected, call="f(expected)")
check_scalar(f(2), 4)
assert f(3) == 9, "a verdict in the student's kernel"
raise AssertionError("and another")
check_array(check_array(f(1), 1, call="a"), 2, call="nested")
'''
    found = "\n".join(rules(bad, visible=False))
    assert "expected comes from a `with reference():` block but is used outside expected values" in found
    assert "is inside a `with reference():` block" in found
    assert "has no call=" in found
    assert "a plain assert decides in the student's kernel" in found
    assert "raising AssertionError decides in the student's kernel" in found
    assert "holds another check in its arguments" in found
    assert "visible tests use fixed inputs" in "\n".join(rules('"""x"""\ncheck_scalar(f(seed(1)), 1, call="f")', True))
    assert "has no check" in "\n".join(rules('"""x"""\nprint(1)', False))
    assert rules(CELL, visible=False) == []


def test_a_name_bound_both_inside_and_outside_a_reference_block_is_fine():
    cell = '''"""Tests."""
with reference():
    for images, masks in batches:
        expected = images.sum()
images, masks = batches[0]
check_scalar(f(images, masks), expected, call="f")
'''
    assert rules(cell, visible=True) == []
