"""course.train's loop: it learns, it is reproducible, and it explains bad input."""

import numpy as np
import pytest
import torch
from torch import nn

from course.train import fit, predict, to_tensors


def _toy(n=32, size=8, seed=0):
    """Images whose class is their (noisy) red channel's side of 0.5: learnable by a 1x1 convolution."""
    g = torch.Generator().manual_seed(seed)
    images = torch.rand(n, 3, size, size, generator=g)
    masks = (images[:, 0] > 0.5).long()
    masks[:, 0, 0] = 255                      # ignored pixels must not matter
    return images, masks


def test_fit_learns_a_pixelwise_rule_and_predict_gives_label_maps():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 1), nn.ReLU(), nn.Conv2d(8, 2, 1))
    images, masks = _toy()
    history = fit(model, images, masks, steps=150, batch_size=8, lr=1e-2, progress=False, device="cpu")
    assert len(history.losses) == 150 and history.seconds > 0
    assert history.smoothed(20)[-1] < 0.5 * history.smoothed(20)[19]
    pred = predict(model, images)
    assert pred.dtype == torch.int64 and pred.shape == masks.shape
    valid = masks != 255
    assert (pred[valid] == masks[valid]).float().mean() > 0.95


def test_fit_is_reproducible_from_its_seed():
    images, masks = _toy()
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = nn.Conv2d(3, 2, 1)
        runs.append(fit(model, images, masks, steps=5, batch_size=4, seed=3, progress=False, device="cpu").losses)
    assert runs[0] == runs[1]


def test_smoothed_is_a_running_mean():
    from course.train import History

    h = History(losses=[1.0, 3.0, 5.0, 7.0])
    assert np.allclose(h.smoothed(2), [1.0, 2.0, 4.0, 6.0])


def test_fit_explains_mismatched_models_and_data():
    images, masks = _toy()
    masks[0, 1, 1] = 4
    with pytest.raises(ValueError, match=r"scores of shape \(4, 2, 8, 8\) for masks \(8, 8\) with labels up to 4"):
        fit(nn.Conv2d(3, 2, 1), images, masks, steps=1, batch_size=4, progress=False, device="cpu")
    with pytest.raises(ValueError, match="expected images \\(N, C, H, W\\) and masks \\(N, H, W\\) that match"):
        fit(nn.Conv2d(3, 2, 1), images, masks[:3], steps=1, progress=False, device="cpu")


def test_to_tensors_moves_channels_first():
    images = np.random.default_rng(0).random((2, 4, 5, 3)).astype(np.float32)
    masks = np.ones((2, 4, 5), np.uint8)
    x, y = to_tensors(images, masks)
    assert x.shape == (2, 3, 4, 5) and torch.equal(x[1, 2], torch.from_numpy(images[1, :, :, 2]))
    assert y.dtype == torch.int64
    with pytest.raises(ValueError, match="same N, H, W"):
        to_tensors(images, masks[:, :3])
