"""Lesson 07's tests catch the usual mistakes: each wrong version of an exercise fails its
visible or hidden tests, with the message that names the mistake; the solution passes both.

The test cells are read from the solution notebook and run in-process (hidden-test markers
stripped), so this checks the tests that students and the grader really get.
"""

import re

import nbformat
import pytest
import torch

from course import validate
from tests.conftest import ROOT

NOTEBOOK = ROOT / "solutions" / "07-training" / "training.ipynb"


def _cells():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    by_id = {validate.nbgrader_meta(c).get("grade_id"): c.source for c in nb.cells if validate.nbgrader_meta(c)}
    imports = next(c.source for c in nb.cells if c.cell_type == "code" and c.source.startswith("from pathlib import"))
    return imports, by_id


IMPORTS, CELLS = _cells()


def _run_tests(exercise, source):
    """Run ``source`` (a definition of the exercise's function), then its visible and hidden tests;
    the first failure as ``(which, message)``, or None if all pass."""
    namespace = {}
    exec(IMPORTS, namespace)
    exec(source, namespace)
    for which in ("visible", "hidden"):
        tests = re.sub(r"(?m)^### (BEGIN|END) HIDDEN TESTS\n?", "", CELLS[f"{exercise}-{which}-tests"])
        try:
            exec(tests, namespace)
        except Exception as error:  # noqa: BLE001 - any failure of the tests counts
            return which, f"{type(error).__name__}: {error}"
    return None


def _solution(exercise):
    return re.sub(r"(?m)^\s*### (BEGIN|END) SOLUTION\n", "", CELLS[exercise])


def _mistake(exercise, old, new):
    source = _solution(exercise)
    assert old in source, f"the solution of {exercise} no longer contains {old!r}: update this test"
    return source.replace(old, new)


@pytest.mark.parametrize("exercise", ["class-weights", "train-step", "evaluate"])
def test_the_solution_passes_its_tests(exercise):
    assert _run_tests(exercise, _solution(exercise)) is None


MISTAKES = [
    ("class-weights", "torch.quantile(freq, 0.5)", "freq.median()", "visible", "mean of the two middle values"),
    ("class-weights", "pixels_with += (c > 0) * c.sum()", "pixels_with += c.sum()", "visible",
     "labelled pixels of the images that contain c"),
    ("class-weights", "return weights.float()", "return weights", "visible", "expected a float32 tensor"),
    ("class-weights", "weights[present] = torch.quantile(freq, 0.5) / freq",
     "weights[present] = torch.quantile(freq, 0.5) / freq\n    weights[~present] = 1.0", "visible",
     "absent classes get 0"),
    ("train-step", "scaler.step(optimizer)", "optimizer.step()", "hidden", "scaler.step(optimizer) and scaler.update()"),
    ("train-step", "    optimizer.zero_grad(set_to_none=True)\n", "", "hidden", "are the gradients cleared every step"),
    ("train-step", "    scaler.update()\n", "", "hidden", "once each, in this order"),
    ("train-step", "enabled=amp_dtype is not None", "enabled=False", "visible", "under bf16 autocast"),
    ("train-step", "return loss.detach()", "return loss", "visible", "return loss.detach()"),
    ("train-step", "return loss.detach()", "return loss.item()", "visible", "as a 0-dim tensor"),
    ("train-step", "loss_fn(scores.float(), masks)", "loss_fn(scores, masks)", "visible", "float32 scores"),
    ("evaluate", "    model.eval()\n", "", "hidden", "switch the model to eval mode"),
    ("evaluate", "with torch.no_grad():", "if True:", "hidden", "must not compute gradients"),
    ("evaluate", "range(0, len(images), batch_size)", "range(0, len(images) - batch_size + 1, batch_size)",
     "visible", "including the last, smaller one"),
    ("evaluate", "    model.eval()\n", "    model.eval()\n    batch_size = len(images)\n", "hidden",
     "batches of at most 5"),
]


@pytest.mark.parametrize("exercise, old, new, which, message", MISTAKES,
                         ids=[f"{m[0]}: {m[2].strip()[:40]}" for m in MISTAKES])
def test_a_usual_mistake_fails_with_a_message_that_names_it(exercise, old, new, which, message):
    failure = _run_tests(exercise, _mistake(exercise, old, new))
    assert failure is not None, "the tests accepted a wrong solution"
    assert failure[0] == which and message in failure[1], failure


def test_the_tests_leave_torch_as_they_found_it():
    state = torch.is_grad_enabled(), torch.is_autocast_enabled("cpu")
    _run_tests("train-step", _solution("train-step"))
    assert (torch.is_grad_enabled(), torch.is_autocast_enabled("cpu")) == state
