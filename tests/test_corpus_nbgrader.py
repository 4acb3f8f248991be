"""The correct submissions of the corpus of student answers (tests/corpus) through plain ``nbgrader
autograde`` with autograder/nbgrader_config.py, as an instructor who does not use ``course grade``
grades them: every correct style gets full marks (a file of its own, so that pytest-xdist runs it
beside tests/test_corpus_grading.py)."""

import nbformat
import pytest

from course.workspace import Workspace
from tests import corpus
from tests.conftest import ROOT

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def nbgrader_scores(tmp_path_factory):
    """Plain nbgrader autograde (autograder/nbgrader_config.py, no sandbox) of the correct submissions."""
    scores = {}
    for lesson in corpus.LESSONS:
        with Workspace(ROOT, [lesson]) as ws:
            ws.generate(lesson)
            for name, answers in corpus.submissions(lesson).items():
                if not name.startswith("correct-"):
                    continue
                folder = tmp_path_factory.mktemp(f"{lesson}-{name}")
                nbformat.write(corpus.as_notebook(lesson, answers), folder / corpus.notebook_file(lesson))
                scores[lesson, name] = ws.autograde(lesson, name, folder)
    return scores


def test_plain_nbgrader_gives_every_correct_style_full_marks(nbgrader_scores, record_property):
    lost = {key: {gid: s for nb in result.values() for gid, s in nb.items() if s[0] != s[1]}
            for key, result in nbgrader_scores.items()}
    for lesson in corpus.LESSONS:
        full = sum(1 for (les, _), gids in lost.items() if les == lesson and not gids)
        total = sum(1 for les, _ in lost if les == lesson)
        record_property(corpus.SUMMARY, f"{lesson}: plain nbgrader, correct submissions at full marks {full}/{total}")
    assert {k: v for k, v in lost.items() if v} == {}
