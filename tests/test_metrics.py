"""course.metrics against independent computations: set operations on masks, published definitions."""

import numpy as np
import pytest

from course import metrics

K = 5


def random_pair(seed, shape=(4, 17, 23), k=K, ignore_fraction=0.1):
    rng = np.random.default_rng(seed)
    target = rng.integers(0, k, size=shape)
    target[rng.random(shape) < ignore_fraction] = 255
    pred = np.where(rng.random(shape) < 0.6, np.where(target == 255, 0, target), rng.integers(0, k, size=shape))
    return pred, target


@pytest.mark.parametrize("seed", range(5))
def test_confusion_matrix_counts_every_pair_of_true_and_predicted_class(seed):
    """Each cell counted on its own, as the pixels that are class i in the target and j in the prediction
    (ignored pixels are no class i), not with the implementation's flattened bincount."""
    pred, target = random_pair(seed)
    expected = np.array([[np.sum((target == i) & (pred == j)) for j in range(K)] for i in range(K)])
    cm = metrics.confusion_matrix(pred, target, K)
    np.testing.assert_array_equal(cm, expected)
    assert cm.sum() == (target != 255).sum()


@pytest.mark.parametrize("seed", range(5))
def test_iou_dice_and_accuracy_equal_their_set_definitions(seed):
    pred, target = random_pair(seed)
    valid = target != 255
    cm = metrics.confusion_matrix(pred, target, K)
    for c in range(K):
        a, b = (pred == c) & valid, (target == c) & valid
        assert metrics.iou_per_class(cm)[c] == pytest.approx((a & b).sum() / (a | b).sum())
        assert metrics.dice_per_class(cm)[c] == pytest.approx(2 * (a & b).sum() / (a.sum() + b.sum()))
    assert metrics.pixel_accuracy(cm) == pytest.approx((pred == target)[valid].mean())


def test_absent_classes_are_nan_and_left_out_of_the_means():
    target = np.array([[0, 0], [1, 1]])
    pred = np.array([[0, 1], [1, 1]])
    cm = metrics.confusion_matrix(pred, target, 4)
    iou = metrics.iou_per_class(cm)
    np.testing.assert_allclose(iou[:2], [1 / 2, 2 / 3])
    assert np.isnan(iou[2:]).all()
    assert metrics.mean_iou(cm) == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert metrics.mean_dice(cm) == pytest.approx((2 / 3 + 4 / 5) / 2)
    assert np.isnan(metrics.mean_iou(np.zeros((3, 3))))
    assert np.isnan(metrics.pixel_accuracy(np.zeros((3, 3))))


def test_a_present_but_never_predicted_class_scores_zero_not_nan():
    cm = metrics.confusion_matrix(np.zeros(4, int), np.array([0, 0, 1, 1]), 2)
    np.testing.assert_array_equal(metrics.iou_per_class(cm), [0.5, 0.0])


def test_iou_and_dice_are_related_by_dice_equals_2iou_over_1_plus_iou():
    pred, target = random_pair(7)
    cm = metrics.confusion_matrix(pred, target, K)
    iou = metrics.iou_per_class(cm)
    np.testing.assert_allclose(metrics.dice_per_class(cm), 2 * iou / (1 + iou))


def test_median_frequency_weights_follow_eigen_and_fergus():
    # image 1: four pixels of class 0; image 2: two of class 0, two of class 1; class 2 absent
    masks = np.array([[[0, 0], [0, 0]], [[0, 0], [1, 1]]])
    # freq0 = 6 / 8 (class 0 is in both images), freq1 = 2 / 4 (only in image 2)
    freq = np.array([6 / 8, 2 / 4])
    np.testing.assert_allclose(metrics.median_frequency_weights(masks, 3),
                               [np.median(freq) / freq[0], np.median(freq) / freq[1], 0.0])


def test_median_frequency_weights_skip_ignored_pixels():
    masks = np.array([[[0, 255], [1, 1]]])
    w = metrics.median_frequency_weights(masks, 2)
    # freq0 = 1/3, freq1 = 2/3 of the three labelled pixels; median 1/2
    np.testing.assert_allclose(w, [1.5, 0.75])


def test_class_pixel_counts_exclude_the_ignore_index():
    np.testing.assert_array_equal(metrics.class_pixel_counts(np.array([0, 2, 2, 255]), 3), [1, 0, 2])


@pytest.mark.parametrize("pred, target, message", [
    (np.zeros((2, 3)), np.zeros((3, 2)), r"same shape, got \(2, 3\) and \(3, 2\)"),
    (np.array([0, 3]), np.array([0, 1]), r"pred must hold class ids in \[0, 3\).*got 3"),
    (np.array([0, 1]), np.array([0, -1]), r"target must hold class ids in \[0, 3\).*got -1"),
])
def test_bad_input_gets_a_specific_error(pred, target, message):
    with pytest.raises(ValueError, match=message):
        metrics.confusion_matrix(pred, target, 3)


def test_non_square_matrix_is_refused():
    with pytest.raises(ValueError, match=r"square confusion matrix \(K, K\), got shape \(2, 3\)"):
        metrics.iou_per_class(np.zeros((2, 3)))


def test_median_frequency_weights_want_a_stack_of_masks():
    with pytest.raises(ValueError, match=r"\(N, H, W\), got shape \(4, 4\)"):
        metrics.median_frequency_weights(np.zeros((4, 4), int), 2)


def test_report_lists_every_class_with_its_scores():
    cm = np.array([[3, 1], [0, 0]])
    text = metrics.report(cm, ["background", "tumour"])
    assert "background   75.0%   85.7%" in text
    assert "tumour        0.0%    0.0%" in text
    assert "pixel accuracy  75.0%, mean IoU  37.5%" in text
