"""Student answers for every exercise of lessons 01-07: correct ones in many styles, and classic mistakes.

Each lesson's module (``lesson01`` ... ``lesson07``) has ``CORRECT`` (exercise -> {style: answer})
and ``MISTAKES`` (exercise -> [Mistake]). Every correct answer must earn the exercise's full
marks; every mistake must fail the exercise's *visible* test with a message that names it, and
cost no other exercise anything. This module builds submissions from them and grades them the
grader's way, in-process (:func:`grade`): the probes run against the answers, the reference run
against the course's solution, and :func:`course.grading.verdict.judge` decides.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course import checks, validate
from course.checks import SEED_ENV
from course.grading.probe import probe_source, reference_source
from course.grading.verdict import Observation, Verdict, judge, read
from course.observations import raised

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ("01-segmentation", "02-downsampling", "03-unpooling", "04-transposed-convolution",
           "05-encoder-decoder", "06-unet", "07-training")


@dataclass(frozen=True)
class Mistake:
    """A wrong answer to an exercise, and the words the visible test's message must contain."""

    name: str
    answer: str
    says: str


SUMMARY = "summary: grading corpus"  # a test property whose lines conftest.py prints at the end of the run


def module(lesson: str):
    return importlib.import_module(f"tests.corpus.lesson{lesson[:2]}")


def notebook(lesson: str, folder: str = "solutions"):
    return nbformat.read(next((ROOT / folder / lesson).glob("*.ipynb")), as_version=4)


def notebook_file(lesson: str) -> str:
    """The file name of the lesson's notebook."""
    return next((ROOT / "lessons" / lesson).glob("*.ipynb")).name


def solution(lesson: str, exercise: str) -> str:
    """The course's answer to ``exercise``, without nbgrader's markers."""
    cell = next(c for c in notebook(lesson).cells if validate.nbgrader_meta(c).get("grade_id") == exercise)
    return re.sub(r"(?m)^\s*### (BEGIN|END) SOLUTION\n", "", cell.source)


def edit(lesson: str, exercise: str, old: str, new: str) -> str:
    """The course's answer to ``exercise`` with ``old`` replaced by ``new`` (which must be there)."""
    source = solution(lesson, exercise)
    if old not in source:
        raise AssertionError(f"the solution of {exercise} no longer contains {old!r}: update the corpus")
    return source.replace(old, new)


def exercises(lesson: str) -> list[str]:
    return [validate.nbgrader_meta(c)["grade_id"] for c in notebook(lesson).cells if validate.is_solution_cell(c)]


def submissions(lesson: str) -> dict[str, dict[str, str]]:
    """Whole submissions made of the corpus, by name: ``correct-k`` answers every exercise with its
    k-th correct style (the first when it has fewer), ``mistakes-k`` with its k-th mistake (its
    first correct style when it has fewer). Each maps exercises to answers; ``mistaken`` (below)
    says which mistake is where."""
    corpus = module(lesson)
    subs = {}
    for k in range(max(len(v) for v in corpus.CORRECT.values())):
        subs[f"correct-{k}"] = {ex: list(styles.values())[min(k, len(styles) - 1)] for ex, styles in corpus.CORRECT.items()}
    for k in range(max(len(v) for v in corpus.MISTAKES.values())):
        subs[f"mistakes-{k}"] = {ex: ms[k].answer if k < len(ms) else list(corpus.CORRECT[ex].values())[0]
                                 for ex, ms in corpus.MISTAKES.items()}
    return subs


def mistaken(lesson: str, name: str) -> dict[str, Mistake]:
    """Which mistake submission ``name`` makes in which exercise."""
    if not name.startswith("mistakes-"):
        return {}
    k = int(name.split("-")[1])
    return {ex: ms[k] for ex, ms in module(lesson).MISTAKES.items() if k < len(ms)}


def as_notebook(lesson: str, answers: dict[str, str]):
    """The student version of ``lesson`` with ``answers`` in their cells."""
    nb = notebook(lesson, "lessons")
    for cell in nb.cells:
        gid = validate.nbgrader_meta(cell).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    return nb


def grade(lesson: str, answers: dict[str, str], seed: str = "corpus") -> dict[str, Verdict]:
    """The verdict on every test cell of ``lesson`` for ``answers`` (missing ones keep nbgrader's
    stub), decided as the grader decides, without a kernel."""
    imports, tests, stubs = _lesson(lesson)
    expected = _expected(lesson, seed)
    with _seed(seed):
        got = _run(imports, {e: answers.get(e, stubs[e]) for e in stubs}, tests, probe_source)
    return {gid: judge(expected[gid], *got[gid]) for gid, _ in tests}


@functools.lru_cache(maxsize=None)
def _lesson(lesson: str):
    """The lesson's imports cell, its test cells (grade id, source) and its answer cells' stubs."""
    sol = notebook(lesson)
    imports = next(c.source for c in sol.cells[3:] if c.cell_type == "code")
    tests = [(validate.nbgrader_meta(c)["grade_id"], c.source) for c in sol.cells if validate.is_test_cell(c)]
    stubs = {validate.nbgrader_meta(c)["grade_id"]: c.source for c in notebook(lesson, "lessons").cells
             if validate.is_solution_cell(c)}
    return imports, tests, stubs


@functools.lru_cache(maxsize=None)
def _expected(lesson: str, seed: str) -> dict[str, list[Observation]]:
    """The reference run: the course's solution through the same tests (once per lesson and seed)."""
    imports, tests, stubs = _lesson(lesson)
    with _seed(seed):
        results = _run(imports, {e: solution(lesson, e) for e in stubs}, tests, reference_source)
    for gid, (_, error) in results.items():
        if error is not None:
            raise AssertionError(f"the course's solution fails {gid}: {error.name}: {error.message}")
    return {gid: observations for gid, (observations, _) in results.items()}


@contextlib.contextmanager
def _seed(seed: str):
    saved, os.environ[SEED_ENV] = os.environ.get(SEED_ENV), seed
    try:
        yield
    finally:
        os.environ.pop(SEED_ENV) if saved is None else os.environ.__setitem__(SEED_ENV, saved)


def _run(imports: str, answers: dict[str, str], tests, rewrite) -> dict[str, tuple[list[Observation], object]]:
    with contextlib.redirect_stdout(io.StringIO()):  # the lessons' prints are not the point here
        return _run_quietly(imports, answers, tests, rewrite)


def _run_quietly(imports: str, answers: dict[str, str], tests, rewrite):
    namespace: dict = {"__name__": "__main__"}
    exec(imports, namespace)
    for source in answers.values():
        try:
            exec(source, namespace)
        except Exception:  # noqa: BLE001 (an answer cell that fails is the student's problem)
            pass
    results = {}
    for gid, source in tests:
        sink: list[dict] = []
        checks._sink, error = sink, None
        try:
            exec(rewrite(re.sub(r"(?m)^### (BEGIN|END) HIDDEN TESTS\n?", "", source)), namespace)
        except Exception as e:  # noqa: BLE001 (what the cell ended with)
            error = raised(e)
        finally:
            checks._sink = None
        results[gid] = ([read(r) for r in sink], error)
    return results
