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
    assert torch.equal(use(median_frequency_weights)(masks, 3), class_weights(masks, 3))   # another cell
    out = capsys.readouterr().out
    assert out.count("Your median_frequency_weights is not written yet") == 1, "one note per stub, not per use"
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


class _StubInit(torch.nn.Module):
    def __init__(self, in_channels, num_classes, width=16):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x):
        # YOUR CODE HERE
        raise NotImplementedError()


class _StubForward(torch.nn.Module):
    """nbgrader's stub in forward only: the constructor, given in the lesson, works."""

    def __init__(self, in_channels, num_classes, width=16):
        super().__init__()
        self.conv = torch.nn.Conv2d(in_channels, num_classes, 1)

    def forward(self, x):
        # YOUR CODE HERE
        raise NotImplementedError()


class _Written(torch.nn.Module):
    def __init__(self, in_channels, num_classes, width=16):
        super().__init__()
        self.conv = torch.nn.Conv2d(in_channels, num_classes, 1)

    def forward(self, x):
        return self.conv(x)             # not the lesson's network, but written: it must be trained


@pytest.mark.parametrize("stub", [_StubInit, _StubForward], ids=["constructor", "forward"])
def test_a_stub_network_is_built_by_the_course_with_one_note(stub, capsys):
    from course.models.fcn import SimpleFCN as course_fcn

    stub.__name__ = "SimpleFCN"
    build = use(stub)
    first, second = build(3, 7, width=8), build(3, 5)
    assert type(first) is course_fcn and type(second) is course_fcn
    assert first(torch.zeros(1, 3, 8, 8)).shape == (1, 7, 8, 8)
    assert sum(p.numel() for p in first.parameters()) == sum(p.numel() for p in course_fcn(3, 7, 8).parameters())
    out = capsys.readouterr().out
    assert out.count("Your SimpleFCN is not written yet") == 1 and "course.models.fcn.SimpleFCN" in out


def test_a_written_network_is_the_one_built(capsys):
    _Written.__name__ = "SegNetLite"
    model = use(_Written)(3, 4)
    assert type(model) is _Written and model.conv.out_channels == 4
    assert capsys.readouterr().out == ""


def test_a_unet_whose_blocks_are_stubs_is_the_course_unet(capsys):
    from course.models import UNet

    def double_conv(in_channels, out_channels, padding="same", batch_norm=True):
        raise NotImplementedError()

    class StudentUNet(torch.nn.Module):       # the lesson's given constructor calls the student's blocks
        def __init__(self, in_channels, num_classes, base_channels=64, depth=4, padding="same",
                     upsampling="transpose", batch_norm=True):
            super().__init__()
            self.inc = double_conv(in_channels, base_channels, padding, batch_norm)

        def forward(self, x):
            return self.inc(x)

    model = use(StudentUNet)(3, 7, base_channels=4, depth=2)
    assert type(model) is UNet and model(torch.zeros(1, 3, 16, 16)).shape == (1, 7, 16, 16)
    assert "Your StudentUNet is not written yet" in capsys.readouterr().out


def _raise_with_message(self, x):
    raise NotImplementedError("not yet")


def _raise_class(self, x):
    raise NotImplementedError


def _unfinished(self, x):
    y = self.conv(x)  # noqa: F841  a student's first line, then the stub's raise: not a stub
    raise NotImplementedError()


def _returns(self, x):
    return x


@pytest.mark.parametrize("function, expected", [(_StubForward.forward, True), (_raise_with_message, True),
                                                (_raise_class, True), (_unfinished, False), (_returns, False),
                                                (_Written.forward, False), (len, False)])
def test_only_a_function_that_just_raises_not_implemented_is_a_stub(function, expected):
    from course.exercises import is_stub

    assert is_stub(function) is expected
