"""The corpus of student answers (tests/corpus), graded in-process the grader's way: every correct
style earns its exercise's full marks, every classic mistake fails its exercise's visible test with a
message that names it, and costs no other exercise anything (the others answered correctly)."""

import pytest

from course.validate import HIDDEN, VISIBLE
from tests import corpus

STYLES = [(lesson, exercise, style) for lesson in corpus.LESSONS
          for exercise, styles in corpus.module(lesson).CORRECT.items() for style in styles]
MISTAKES = [(lesson, exercise, k) for lesson in corpus.LESSONS
            for exercise, mistakes in corpus.module(lesson).MISTAKES.items() for k in range(len(mistakes))]


def test_every_exercise_has_three_correct_styles_and_five_classic_mistakes():
    for lesson in corpus.LESSONS:
        module = corpus.module(lesson)
        assert sorted(module.CORRECT) == sorted(corpus.exercises(lesson)) == sorted(module.MISTAKES), lesson
        for exercise in corpus.exercises(lesson):
            assert len(module.CORRECT[exercise]) >= 3, f"{lesson} {exercise}: fewer than 3 correct styles"
            assert len(module.MISTAKES[exercise]) >= 5, f"{lesson} {exercise}: fewer than 5 classic mistakes"


def _solved(lesson):
    return {exercise: corpus.solution(lesson, exercise) for exercise in corpus.exercises(lesson)}


@pytest.mark.parametrize("lesson, exercise, style", STYLES, ids=[f"{l}-{e}-{s}" for l, e, s in STYLES])
def test_a_correct_answer_earns_full_marks(lesson, exercise, style):
    verdicts = corpus.grade(lesson, _solved(lesson) | {exercise: corpus.module(lesson).CORRECT[exercise][style]})
    lost = {gid: v.message for gid, v in verdicts.items() if not v.passed}
    assert lost == {}, "\n\n".join(f"{gid}:\n{message}" for gid, message in lost.items())


@pytest.mark.parametrize("lesson, exercise, k", MISTAKES,
                         ids=[f"{l}-{e}-{corpus.module(l).MISTAKES[e][k].name}" for l, e, k in MISTAKES])
def test_a_classic_mistake_fails_its_visible_test_with_a_message_that_names_it(lesson, exercise, k):
    mistake = corpus.module(lesson).MISTAKES[exercise][k]
    verdicts = corpus.grade(lesson, _solved(lesson) | {exercise: mistake.answer})
    visible = verdicts[exercise + VISIBLE]
    assert not visible.passed, f"the visible tests of {exercise} accept the mistake {mistake.name!r}"
    assert mistake.says in visible.message, f"the message does not say {mistake.says!r}:\n{visible.message}"
    cascades = sorted(gid for gid, v in verdicts.items() if not v.passed and gid not in (exercise + VISIBLE,
                                                                                          exercise + HIDDEN))
    assert cascades == [], f"the mistake in {exercise} also costs {cascades}"
