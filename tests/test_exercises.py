"""course.exercises.use: the course's version stands in for a stub, never for a written function."""

import numpy as np
import pytest
import torch

from course.exercises import use
from course.train import class_weights


def median_frequency_weights(masks, num_classes, ignore_index=255):
    raise NotImplementedError()


def test_a_stub_is_answered_by_the_course_with_one_note(capsys):
    masks = torch.tensor([[[0, 0], [1, 2]]])
    weights = use(median_frequency_weights)
    assert torch.equal(weights(masks, 3), class_weights(masks, 3))
    assert torch.equal(weights(masks, 4), class_weights(masks, 4))
    out = capsys.readouterr().out
    assert out.count("Your median_frequency_weights is not written yet") == 1
    assert "course.train.losses.class_weights" in out


def test_a_written_function_runs_with_its_mistakes_and_without_a_note(capsys):
    def median_frequency_weights(masks, num_classes, ignore_index=255):
        return torch.ones(num_classes)          # wrong, but written: it must be used

    assert torch.equal(use(median_frequency_weights)(torch.zeros(1, 2, 2, dtype=torch.long), 3), torch.ones(3))

    def evaluate(model, images, masks, num_classes, batch_size=64):
        raise ValueError("a real bug")

    with pytest.raises(ValueError, match="a real bug"):
        use(evaluate)(None, None, None, 2)
    assert capsys.readouterr().out == ""


def test_the_reference_of_evaluate_has_the_exercise_signature():
    def evaluate(model, images, masks, num_classes, batch_size=64):
        raise NotImplementedError()

    model = torch.nn.Conv2d(3, 2, 1)
    images, masks = torch.rand(5, 3, 4, 4), torch.randint(0, 2, (5, 4, 4))
    cm = use(evaluate)(model, images, masks, 2, batch_size=2)
    with torch.no_grad():
        pred = model(images).argmax(1)
    assert cm.sum() == 80 and np.trace(cm) == int((pred == masks).sum())


def test_only_exercise_functions_can_be_used():
    def train(model):
        return model

    with pytest.raises(ValueError, match=r"expected one of the exercise functions \[.*'evaluate', .*"
                                         r"'median_frequency_weights', .*'train_step'\], got 'train'"):
        use(train)
    with pytest.raises(ValueError, match="got 'int'"):
        use(3)
