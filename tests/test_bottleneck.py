"""course.bottleneck: what a label map keeps after a smaller map, checked by direct computation."""

import numpy as np
import pytest

from course import bottleneck


def test_factor_one_keeps_the_labels_and_ignored_pixels_take_their_neighbours_class():
    mask = np.random.default_rng(0).integers(0, 4, (8, 12)).astype(np.uint8)
    mask[2:6, 2:6] = 3
    mask[3:5, 3:5] = 255                        # an ignored hole inside class 3 (an outline in the real maps)
    labelled = mask != 255
    for factor in (1, 2):
        out = bottleneck.through_bottleneck(mask, 4, factor)
        assert not (out == 255).any(), "no ignore outline may be drawn over the squeezed map"
        if factor == 1:
            assert np.array_equal(out[labelled], mask[labelled])
    assert (bottleneck.through_bottleneck(mask, 4, 2)[3:5, 3:5] == 3).all()


def test_a_block_becomes_its_majority_class_in_its_interior():
    """With factor 4, each 4x4 block holds class proportions; far from other blocks the majority wins."""
    mask = np.zeros((16, 16), np.uint8)
    mask[4:8, 4:8] = 1                          # one whole block of class 1
    mask[8:12, 8:11] = 2                        # 12 of 16 pixels of the next block are class 2
    out = bottleneck.through_bottleneck(mask, 3, 4)
    assert out[5, 5] == 1 and out[6, 6] == 1, "the centre of a pure block keeps its class"
    assert out[9, 9] == 2, "the centre of a 75% block takes its majority class"
    assert out[0, 0] == 0 and out[15, 15] == 0


def test_thin_structures_vanish_and_scores_fall_with_the_factor():
    mask = np.zeros((32, 32), np.uint8)
    mask[:, 15] = 1                             # a one-pixel pole
    scores = bottleneck.bottleneck_scores(mask, 2, factors=(1, 2, 8))
    assert scores[1][1] == 1.0
    assert scores[8][1] == 0.0, "a 1-pixel pole cannot survive a 1/8 map"
    assert scores[1][0] >= scores[2][0] >= scores[8][0]


def test_bad_input_is_explained():
    with pytest.raises(ValueError, match=r"multiples of factor=4, got shape \(10, 8\)"):
        bottleneck.through_bottleneck(np.zeros((10, 8)), 2, 4)


def test_figure_titles_give_the_miou_of_each_factor():
    rng = np.random.default_rng(1)
    mask = np.repeat(np.repeat(rng.integers(0, 3, (4, 4)), 8, 0), 8, 1).astype(np.uint8)
    figure = bottleneck.bottleneck_figure(rng.random((32, 32, 3)), mask, ("a", "b", "c"), factors=(2, 8))
    titles = [ax.get_title() for ax in figure.axes]
    assert titles[:2] == ["image", "true labels"]
    assert titles[2] == "through a 1/2 map\nmIoU 100%", titles[2]      # 8x8 blocks survive a 1/2 map exactly
    assert titles[3].startswith("through a 1/8 map\nmIoU") and titles[3] != "through a 1/8 map\nmIoU 100%"
