"""Colab badges and the setup cell: one slug, restamped everywhere, torch never reinstalled."""

import sys
import tomllib
import types

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course import cli, colab
from tests.conftest import ROOT

PATH = "solutions/01-segmentation/segmentation.ipynb"


def notebook():
    return new_notebook(cells=[new_markdown_cell("old badge", metadata={"tags": ["colab-badge"]}),
                               new_code_cell("old setup", metadata={"tags": ["setup"]}),
                               new_code_cell("x = 1")])


def test_stamp_writes_the_badge_for_this_notebook_and_the_setup_cell():
    nb = notebook()
    assert colab.stamp(nb, PATH, repository="someone/course", branch="fall-2027") is True
    assert ('href="https://colab.research.google.com/github/someone/course/blob/fall-2027/'
            'solutions/01-segmentation/segmentation.ipynb"') in nb.cells[0].source
    assert "git+https://github.com/someone/course@fall-2027" in nb.cells[1].source
    assert nb.cells[2].source == "x = 1"
    assert nb.cells[1].metadata["tags"] == ["setup", "nbval-ignore-output"]
    assert colab.stamp(nb, PATH, repository="someone/course", branch="fall-2027") is False
    assert colab.badge_path(nb.cells[0].source) == PATH


def test_a_notebook_without_a_badge_first_is_refused_with_the_reason():
    nb = notebook()
    nb.cells.reverse()
    with pytest.raises(ValueError, match="the first cell must be the Colab badge"):
        colab.stamp(nb, PATH)
    with pytest.raises(ValueError, match="no cell tagged 'setup'"):
        colab.stamp(new_notebook(cells=[new_markdown_cell("", metadata={"tags": ["colab-badge"]})]), PATH)


def run_setup_cell(monkeypatch, colab_runtime: bool):
    calls = []
    monkeypatch.setattr("subprocess.run", lambda cmd, check: calls.append(cmd))
    if colab_runtime:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    exec(colab.setup_source(), {})
    return calls


def test_setup_cell_on_colab_installs_the_course_but_never_torch(monkeypatch, capsys):
    calls = run_setup_cell(monkeypatch, colab_runtime=True)
    assert len(calls) == 1
    command = calls[0]
    assert command[1:4] == ["-m", "pip", "install"]
    assert f"{colab.PACKAGE} @ git+https://github.com/{colab.REPOSITORY}@{colab.BRANCH}" in command
    assert not any("torch" in part for part in command)
    out = capsys.readouterr().out
    assert "Running on Google Colab" in out
    assert "Runtime > Change runtime type > T4 GPU" in out  # no GPU here


def test_setup_cell_locally_installs_nothing(monkeypatch, capsys):
    assert run_setup_cell(monkeypatch, colab_runtime=False) == []
    out = capsys.readouterr().out
    assert out.startswith("Running on your own machine")
    assert "Change runtime type" not in out


def test_torch_is_only_a_lower_bound_so_colab_keeps_its_own():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    torch = [d for d in deps if d.startswith("torch")]
    # 2.4: torch.amp.GradScaler("cpu") and torch.is_autocast_enabled(device), used by lesson 07's tests
    assert torch == ["torch>=2.4"], f"torch must stay a plain lower bound, got {torch}"
    widgets = [d for d in deps if d.startswith("ipywidgets")]
    assert widgets == ["ipywidgets>=7.7.1,<9"], "Colab ships ipywidgets 7.7.1: keep it allowed"


def test_every_notebook_opens_with_its_own_badge():
    for folder in ("solutions", "lessons"):
        for path in sorted((ROOT / folder).glob("*/*.ipynb")):
            first = nbformat.read(path, as_version=4).cells[0]
            assert colab.badge_path(first.source) == path.relative_to(ROOT).as_posix(), \
                f"{path}: badge points to {colab.badge_path(first.source)}"


def test_badges_command_restamps_and_check_fails_when_stale(course_copy, monkeypatch, capsys):
    monkeypatch.setattr(colab, "REPOSITORY", "another/fork")
    assert cli.main(["--root", str(course_copy), "badges", "--check"]) == 1
    assert "Restamp them with `course badges`" in capsys.readouterr().err
    assert cli.main(["--root", str(course_copy), "badges"]) == 0
    nb = nbformat.read(course_copy / PATH, as_version=4)
    assert "github/another/fork/blob/" in nb.cells[0].source
    assert cli.main(["--root", str(course_copy), "badges", "--check"]) == 0
