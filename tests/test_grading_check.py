"""`course check`: a student's view of the visible tests and of what would break grading."""

import json
import os

import nbformat
import pytest

from course import cli, validate
from course.grading import check
from tests.adversarial import corpus
from tests.conftest import ROOT


def test_checksums_are_nbgraders():
    from nbgrader.utils import compute_checksum

    cells = [c for lesson in sorted((ROOT / "lessons").glob("*/*.ipynb"))
             for c in nbformat.read(lesson, as_version=4).cells if validate.nbgrader_meta(c).get("grade_id")]
    assert len(cells) > 20
    for cell in cells:
        assert check.cell_checksum(cell) == compute_checksum(cell) == validate.nbgrader_meta(cell)["checksum"]
        edited = nbformat.from_dict(json.loads(json.dumps(cell)))
        edited.source += " "
        validate.nbgrader_meta(edited)["points"] = 7
        assert check.cell_checksum(edited) == compute_checksum(edited) != validate.nbgrader_meta(cell)["checksum"]


def test_an_untouched_lesson_has_no_warnings():
    assert check.grading_warnings(corpus.student_version()) == []


def test_edited_deleted_and_duplicated_cells_are_warned_about():
    nb = corpus.solved()
    corpus.by_id(nb, "iou-per-class-visible-tests").source += "\nprint('edited')"
    nb.cells.remove(corpus.by_id(nb, "mean-iou-hidden-tests"))
    copy = nbformat.from_dict(json.loads(json.dumps(corpus.by_id(nb, "mean-iou"))))
    nb.cells.insert(5, copy)
    warnings = "\n".join(check.grading_warnings(nb))
    assert "test cell iou-per-class-visible-tests was edited" in warnings
    assert "test cells deleted: mean-iou-hidden-tests" in warnings
    assert f"duplicated cell ids {copy.id}" in warnings
    assert "cells mean-iou appear twice" in warnings


def test_cells_run_out_of_order_are_warned_about():
    nb = corpus.student_version()
    code = [c for c in nb.cells if c.cell_type == "code"]
    for count, cell in enumerate(code, start=1):
        cell.execution_count = count
    assert check.grading_warnings(nb) == []
    code[2].execution_count = 40
    assert "cells were run out of order" in check.grading_warnings(nb)[0]


def test_outcomes_from_stored_outputs():
    nb = corpus.solved(["confusion-matrix"])
    err = nbformat.v4.new_output("error", ename="AssertionError", evalue="iou is not right:\n  expected 1", traceback=[])
    stub = nbformat.v4.new_output("error", ename="NotImplementedError", evalue="", traceback=[])
    assert {e.state for e in check.outcomes(nb)} == {"not attempted"}, "nothing has run yet"
    for cell in nb.cells:
        cell.execution_count = 1 if cell.cell_type == "code" else None
    corpus.by_id(nb, "iou-per-class").source = "def iou_per_class(cm):\n    return cm"
    corpus.by_id(nb, "iou-per-class-visible-tests").outputs = [err]
    corpus.by_id(nb, "mean-iou-visible-tests").outputs = [stub]
    states = {e.name: (e.state, e.detail) for e in check.outcomes(nb)}
    assert states == {"confusion-matrix": ("passed", ""),
                      "iou-per-class": ("failed", "AssertionError: iou is not right:\n  expected 1"),
                      "mean-iou": ("not attempted", "")}


@pytest.mark.notebook
def test_course_check_runs_the_visible_tests_in_a_fresh_kernel_and_never_writes(tmp_path, capfd):
    nb = corpus.solved(["confusion-matrix"])
    wrong = corpus.by_id(nb, "iou-per-class")
    wrong.source = "def iou_per_class(cm):\n    return np.zeros(len(cm))"
    nb.cells.append(nbformat.v4.new_code_cell("open('after-the-last-test.txt', 'w').close()  # not run by a check"))
    nb.cells.append(nbformat.v4.new_code_cell("from course.grading.check import check_current_notebook\n"
                                              "check_current_notebook()"))
    path = tmp_path / corpus.NOTEBOOK
    corpus.write(nb, path)
    before = path.read_bytes()
    assert cli.main(["check", str(path)]) == 1
    out, err = capfd.readouterr()
    assert "✔ confusion-matrix: passed" in out
    assert "✘ iou-per-class: failed\n    iou_per_class([[1, 1, 0], [0, 1, 0], [1, 0, 1]]) is not right:\n" in out
    assert "(all the values that came back are 0)" in out and "    Hint: class 0: TP = 1" in out  # the whole message
    assert "· mean-iou: not attempted" in out
    assert "1 of 3 exercises pass their visible tests" in out
    assert "Parent appears to have exited" not in err, "the check's kernel must be shut down, not orphaned"
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == [corpus.NOTEBOOK]


def test_a_torch_error_in_a_written_answer_is_a_failure_not_not_attempted():
    nb = corpus.solved()
    answer = corpus.by_id(nb, "mean-iou")
    answer.source = "def mean_iou(cm):\n    raise NotImplementedError('max_unpooling2d not implemented for Long')"
    visible = corpus.by_id(nb, "mean-iou-visible-tests")
    visible.execution_count = 1
    visible.outputs = [nbformat.v4.new_output("error", ename="NotImplementedError", evalue="for 'Long'", traceback=[])]
    states = {e.name: e.state for e in check.outcomes(nb)}
    assert states["mean-iou"] == "failed"


def test_check_current_notebook_finds_the_notebook_through_jupyter_and_skips_itself(tmp_path, monkeypatch, capsys):
    path = tmp_path / "lesson.ipynb"
    corpus.write(corpus.solved(), path)
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))
    nb, folder = check.current_notebook()
    assert folder == tmp_path and len(nb.cells) == len(corpus.solved().cells)
    for env in (check.RUNNING_ENV, "NBGRADER_EXECUTION"):
        monkeypatch.setenv(env, "1")
        check.check_current_notebook()
        assert "the check cell skips itself" in capsys.readouterr().out
        monkeypatch.delenv(env)
    monkeypatch.delenv("JPY_SESSION_NAME")
    with pytest.raises(RuntimeError, match="course check path/to/notebook.ipynb"):
        check.current_notebook()
    check.check_current_notebook()  # in a plain kernel (nbval, CI) it says so, never raises
    assert "run `course check path/to/notebook.ipynb` in a terminal" in capsys.readouterr().out


def test_check_current_notebook_asks_colab_for_the_live_notebook(monkeypatch):
    import sys
    import types

    live = json.loads(json.dumps(corpus.solved()))
    for cell in live["cells"]:  # Colab sends sources as lists of lines
        cell["source"] = cell["source"].splitlines(keepends=True)
    calls = []

    def blocking_request(kind, request="", timeout_sec=None):
        calls.append(kind)
        return {"ipynb": live}

    message = types.SimpleNamespace(blocking_request=blocking_request)
    colab = types.ModuleType("google.colab")
    colab._message = message
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab._message", message)
    nb, _ = check.current_notebook()
    assert calls == ["get_ipynb"]
    assert corpus.by_id(nb, "mean-iou").source == corpus.solution_code()["mean-iou"]


def test_a_missing_or_broken_notebook_is_a_clear_error(tmp_path, capsys):
    assert cli.main(["check", str(tmp_path / "nope.ipynb")]) == 2
    assert "expected a notebook file" in capsys.readouterr().err
    (tmp_path / "bad.ipynb").write_text("{not json")
    assert cli.main(["check", str(tmp_path / "bad.ipynb")]) == 2
    assert "expected a notebook (JSON)" in capsys.readouterr().err
