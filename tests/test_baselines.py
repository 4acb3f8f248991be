"""The nearest-colour segmenter: exact on separable colours, blind to what it never saw."""

import numpy as np
import pytest

from course.baselines import NearestColorClassifier


def test_separable_colours_are_segmented_exactly_and_ignore_pixels_do_not_train():
    rng = np.random.default_rng(0)
    masks = rng.integers(0, 3, size=(4, 8, 8)).astype(np.uint8)
    palette = np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]])
    images = palette[masks] + rng.normal(0, 0.05, size=(4, 8, 8, 3))
    noisy = masks.copy()
    noisy[0, 0, 0] = 255  # an ignored pixel with a colour that belongs to no class
    images[0, 0, 0] = [5.0, 5.0, 5.0]
    model = NearestColorClassifier(3).fit(images, noisy)
    np.testing.assert_allclose(model.means, palette, atol=0.05)
    np.testing.assert_array_equal(model.predict(images[1:]), masks[1:])


def test_a_class_never_seen_is_never_predicted():
    images = np.zeros((1, 2, 2, 3))
    model = NearestColorClassifier(4).fit(images, np.zeros((1, 2, 2), np.uint8))
    assert set(np.unique(model.predict(np.random.default_rng(1).random((3, 3, 3))))) == {0}


def test_predict_before_fit_and_mismatched_shapes_are_errors():
    with pytest.raises(RuntimeError, match="call fit"):
        NearestColorClassifier(2).predict(np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match=r"images \(1, 2, 2, 3\) and masks \(1, 3, 3\)"):
        NearestColorClassifier(2).fit(np.zeros((1, 2, 2, 3)), np.zeros((1, 3, 3)))
