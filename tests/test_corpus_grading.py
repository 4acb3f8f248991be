"""The corpus of student answers (tests/corpus) through the real graders: one sandboxed ``course grade``
run over every lesson, and ``course check`` on every submission, whose verdicts on the visible tests
must be ``course grade``'s (plain nbgrader: tests/test_corpus_nbgrader.py). Prints, per lesson, how many correct styles got full marks, how many mistakes a
visible test caught, and how many exercises lost points for another's mistake."""

import json
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

from course import cli
from course.grading.check import PASSED, check_notebook
from course.grading.sandbox import bwrap_path
from course.validate import HIDDEN, VISIBLE
from tests import corpus
from tests.conftest import ROOT

pytestmark = [pytest.mark.notebook,
              pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap is not installed")]
SUBMISSIONS = [(lesson, name) for lesson in corpus.LESSONS for name in corpus.submissions(lesson)]
SUMMARY = corpus.SUMMARY


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("corpus")
    subs, out = base / "submissions", base / "out"
    paths = {}
    for lesson, name in SUBMISSIONS:
        path = subs / name / lesson / corpus.notebook_file(lesson)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(corpus.as_notebook(lesson, corpus.submissions(lesson)[name]), path)
        paths[lesson, name] = path
    assert cli.main(["--root", str(ROOT), "grade", str(subs), "--output", str(out), "--jobs", "2"]) == 0
    records = {(lesson, name): json.loads((out / "results" / name / f"{lesson}.json").read_text())
               for lesson, name in SUBMISSIONS}
    with ThreadPoolExecutor(2) as pool:  # course check, as a student runs it, on every submission
        checked = dict(zip(paths, pool.map(lambda p: check_notebook(p), paths.values())))
    yield {"records": records, "checked": checked, "paths": paths}


@pytest.mark.parametrize("lesson, name", SUBMISSIONS, ids=[f"{lesson}-{name}" for lesson, name in SUBMISSIONS])
def test_course_grade_gives_each_exercise_what_it_deserves(graded, lesson, name):
    record = graded["records"][lesson, name]
    assert record["status"] == "graded", record["message"]
    mistakes = corpus.mistaken(lesson, name)
    problems = []
    for exercise, (score, points) in record["exercises"].items():
        mistake = mistakes.get(exercise)
        verdict = record["verdicts"][exercise + VISIBLE]
        if mistake is None and score != points:
            problems.append(f"{exercise}: {score:g}/{points:g} for a correct answer: "
                            + " | ".join(record["verdicts"][g]["message"] for g in (exercise + VISIBLE, exercise + HIDDEN)))
        elif mistake is not None and (verdict["passed"] or mistake.says not in verdict["message"]):
            problems.append(f"{exercise}: the mistake {mistake.name!r} is not caught by a visible test that says "
                            f"{mistake.says!r}: {verdict}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lesson, name", SUBMISSIONS, ids=[f"{lesson}-{name}" for lesson, name in SUBMISSIONS])
def test_course_check_predicts_the_grade_of_the_visible_tests(graded, lesson, name):
    record, report = graded["records"][lesson, name], graded["checked"][lesson, name]
    check = {e.name: e.state == PASSED for e in report.exercises}
    grade = {exercise: record["verdicts"][exercise + VISIBLE]["passed"] for exercise in record["exercises"]}
    assert check == grade, report.text()
    assert report.warnings == []


def test_the_corpus_summary(graded, record_property):
    """The figures of course grade, per lesson (printed at the end of the run)."""
    problems = []
    for lesson in corpus.LESSONS:
        module = corpus.module(lesson)
        styles = caught = cascades = 0
        for name in corpus.submissions(lesson):
            record, mistakes = graded["records"][lesson, name], corpus.mistaken(lesson, name)
            for exercise, (score, points) in record["exercises"].items():
                mistake = mistakes.get(exercise)
                if mistake is not None:
                    verdict = record["verdicts"][exercise + VISIBLE]
                    caught += not verdict["passed"] and mistake.says in verdict["message"]
                elif score != points:
                    cascades += 1
            if name.startswith("correct-"):
                k = int(name.split("-")[1])
                styles += sum(1 for exercise, s in module.CORRECT.items() if k < len(s)
                              and record["exercises"][exercise][0] == record["exercises"][exercise][1])
        n_styles = sum(len(s) for s in module.CORRECT.values())
        n_mistakes = sum(len(m) for m in module.MISTAKES.values())
        line = (f"{lesson}: course grade, correct variants at full marks {styles}/{n_styles}; mistakes caught "
                f"by visible tests {caught}/{n_mistakes}; cascades {cascades}")
        record_property(SUMMARY, line)
        if (styles, caught, cascades) != (n_styles, n_mistakes, 0):
            problems.append(line)
    assert not problems, "\n".join(problems)
