"""The street scenes as a dataset (course.data.streets): the very scenes of course.samples, split apart."""

import numpy as np
import pytest
import torch

from course import data, samples
from course.data.streets import load_streets


def test_image_i_of_a_split_is_the_street_scene_of_its_seed():
    train, val = load_streets("train", n=3, height=48, width=80, seed=5), load_streets("val", n=2, height=48, width=80)
    assert train.images.shape == (3, 3, 48, 80) and train.images.dtype == torch.float32
    assert train.masks.shape == (3, 48, 80) and train.masks.dtype == torch.int64
    for ds, seeds in ((train, [5, 6, 7]), (val, [10_000, 10_001])):
        for i, seed in enumerate(seeds):
            scene = samples.street_scene(seed, (48, 80))
            np.testing.assert_array_equal(ds.images[i].permute(1, 2, 0).numpy(), scene.image)
            np.testing.assert_array_equal(ds.masks[i].numpy(), scene.mask)
    assert train.class_names == samples.STREET_CLASSES and train.num_classes == 7


def test_the_first_images_do_not_depend_on_how_many_and_load_gives_the_same():
    few, more = load_streets("val", n=2), data.load("streets", "val", n=4)
    assert torch.equal(few.images, more.images[:2]) and torch.equal(few.masks, more.masks[:2])
    assert (more.name, more.split, len(data.load("streets", "train", n=1, height=48))) == ("streets", "val", 1)


def test_the_ignore_band_is_kept_and_arrays_are_channels_last():
    ds = load_streets("train", n=8)
    assert (ds.masks == 255).any() and set(ds.masks.unique().tolist()) <= set(range(7)) | {255}
    images, masks = ds.arrays()
    assert images.shape == (8, 64, 96, 3) and isinstance(images, np.ndarray)
    np.testing.assert_array_equal(images[2], ds.images[2].permute(1, 2, 0).numpy())
    np.testing.assert_array_equal(masks, ds.masks.numpy())


@pytest.mark.parametrize("options, message", [
    (dict(split="test"), r"expected split to be one of \['train', 'val'\], got 'test'"),
    (dict(n=0), r"expected n to be an int >= 1, got 0"),
    (dict(height=40), r"expected height to be an int >= 48, got 40"),
    (dict(width=47.0), r"expected width to be an int >= 48, got 47.0"),
    (dict(seed=-1), r"expected seed to be an int >= 0, got -1"),
])
def test_bad_options_say_what_was_expected(options, message):
    with pytest.raises(ValueError, match=message):
        load_streets(**options)
