"""course.train.losses against direct computations: Dice in NumPy, weighted cross entropy by hand."""

import numpy as np
import pytest
import torch

from course.metrics import median_frequency_weights
from course.train.losses import class_weights, combined_loss, cross_entropy, dice_loss, make_loss


def _case(seed=0, n=3, k=4, size=6):
    g = torch.Generator().manual_seed(seed)
    scores = torch.randn(n, k, size, size, generator=g) * 2
    target = torch.randint(0, k, (n, size, size), generator=g)
    target[torch.rand(n, size, size, generator=g) < 0.2] = 255
    return scores, target


def _numpy_dice(scores, target, smooth=1.0):
    s = scores.numpy().astype(np.float64)
    p = np.exp(s - s.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    t = target.numpy()
    losses = []
    for c in range(s.shape[1]):
        inter = card = 0.0
        for idx in np.ndindex(t.shape):
            if t[idx] == 255:
                continue
            n, i, j = idx
            y = float(t[idx] == c)
            inter += p[n, c, i, j] * y
            card += p[n, c, i, j] + y
        losses.append((2 * inter + smooth) / (card + smooth))
    return 1 - np.mean(losses)


def test_dice_loss_equals_a_direct_numpy_computation():
    for seed in range(3):
        scores, target = _case(seed)
        for smooth in (1.0, 1e-3):
            assert dice_loss(scores, target, smooth=smooth).item() == pytest.approx(
                _numpy_dice(scores, target, smooth), rel=1e-5)


def test_perfect_predictions_give_almost_no_dice_loss_and_wrong_ones_almost_one():
    _, target = _case()
    onehot = torch.nn.functional.one_hot(torch.where(target == 255, 0, target), 4).permute(0, 3, 1, 2).float()
    assert dice_loss(onehot * 50, target).item() < 1e-3
    assert dice_loss(-onehot * 50, target, smooth=1e-6).item() > 0.99  # every pixel wrong


def test_ignored_pixels_change_no_loss():
    scores, target = _case()
    changed = scores.clone()
    changed[(target == 255).unsqueeze(1).expand_as(scores)] = 1e3 * torch.randn(int((target == 255).sum()) * 4)
    for loss in (cross_entropy, dice_loss, combined_loss):
        assert loss(changed, target).item() == pytest.approx(loss(scores, target).item(), rel=1e-6), loss.__name__
    # and a label (rather than 255) there does change them
    labelled = torch.where(target == 255, 0, target)
    assert cross_entropy(changed, labelled).item() > 10 * cross_entropy(scores, target).item()


def test_weighted_cross_entropy_is_the_weighted_mean_by_hand():
    scores, target = _case()
    weight = torch.tensor([0.5, 2.0, 1.0, 4.0])
    logp = torch.log_softmax(scores.double(), 1).numpy()
    num = den = 0.0
    for n, i, j in np.ndindex(target.shape):
        t = int(target[n, i, j])
        if t != 255:
            num += weight[t].item() * -logp[n, t, i, j]
            den += weight[t].item()
    weighted, plain = cross_entropy(scores, target, weight).item(), cross_entropy(scores, target).item()
    assert weighted == pytest.approx(num / den, rel=1e-5)
    assert abs(weighted - plain) > 0.01  # the weights matter here


def test_combined_is_the_sum_and_make_loss_names_them():
    scores, target = _case()
    w = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert combined_loss(scores, target, w).item() == pytest.approx(
        cross_entropy(scores, target, w).item() + dice_loss(scores, target).item(), rel=1e-6)
    assert make_loss("ce+dice", w)(scores, target).item() == pytest.approx(combined_loss(scores, target, w).item())
    assert make_loss("ce", w)(scores, target).item() == pytest.approx(cross_entropy(scores, target, w).item())
    assert make_loss("dice")(scores, target).item() == pytest.approx(dice_loss(scores, target).item())
    with pytest.raises(ValueError, match=r"expected loss to be one of \['ce', 'dice', 'ce\+dice'\], got 'focal'"):
        make_loss("focal")
    with pytest.raises(ValueError, match="expected no class weights for the Dice loss"):
        make_loss("dice", w)


def test_class_weights_are_median_frequency_balancing():
    masks = np.zeros((2, 2, 2), np.int64)
    masks[1, 1, 1] = 1
    masks[0, 0, 0] = 255
    # class 0: 6 px in images of 3 + 4 labelled px -> 6/7; class 1: 1 px in an image of 4 -> 1/4
    freq = np.array([6 / 7, 1 / 4])
    expected = np.median(freq) / freq
    w = class_weights(torch.from_numpy(masks), 2)
    assert w.dtype == torch.float32 and np.allclose(w.numpy(), expected)
    assert np.allclose(w.numpy(), median_frequency_weights(masks, 2))


def test_losses_explain_mismatched_shapes():
    scores, target = _case()
    with pytest.raises(ValueError, match=r"expected scores \(N, K, H, W\) and target \(N, H, W\) of the same "
                                         r"N, H, W, got \(3, 4, 6, 6\) and \(3, 5, 6\)"):
        dice_loss(scores, target[:, :5])
