"""The embedded dataset: API, determinism across processes, class balance, and that context matters."""

import hashlib
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course import data, viz
from course.data import embedded
from course.metrics import IGNORE_INDEX, confusion_matrix, iou_per_class


@pytest.fixture(scope="module")
def train():
    return data.load("embedded", "train", n=128)


def _digest(images: np.ndarray, masks: np.ndarray) -> str:
    return hashlib.sha256(images.tobytes() + masks.tobytes()).hexdigest()


def test_load_returns_a_dataset_of_image_mask_pairs(train):
    assert isinstance(train, torch.utils.data.Dataset)
    assert len(train) == 128
    assert train.images.shape == (128, 3, 64, 64) and train.images.dtype == torch.float32
    assert train.masks.shape == (128, 64, 64) and train.masks.dtype == torch.int64
    assert 0.0 <= float(train.images.min()) and float(train.images.max()) <= 1.0
    image, mask = train[5]
    assert torch.equal(image, train.images[5]) and torch.equal(mask, train.masks[5])
    assert train.class_names == ("background", "disc", "square", "triangle", "cross")
    assert train.num_classes == 5 and train.ignore_index == IGNORE_INDEX
    assert set(torch.unique(train.masks).tolist()) == {0, 1, 2, 3, 4}
    np.testing.assert_array_equal(train.colors, viz.class_colors(5))
    batch = next(iter(torch.utils.data.DataLoader(train, batch_size=16)))
    assert batch[0].shape == (16, 3, 64, 64) and batch[1].shape == (16, 64, 64)


def test_default_sizes_and_other_image_size():
    assert embedded.DEFAULT_SIZES == {"train": 512, "val": 128}
    small = data.load("embedded", "val", n=3, size=48)
    assert small.images.shape == (3, 3, 48, 48) and small.masks.shape == (3, 48, 48)


def test_same_seed_same_tensors_and_prefixes_agree(train):
    again = data.load("embedded", "train", n=16)
    assert torch.equal(again.images, train.images[:16]) and torch.equal(again.masks, train.masks[:16])
    other = data.load("embedded", "train", n=16, seed=1)
    assert not torch.equal(other.images, again.images)


def test_identical_in_another_process():
    images, masks = embedded.generate(6, seed=3, split="val")
    code = ("import hashlib; from course.data.embedded import generate; i, m = generate(6, seed=3, split='val'); "
            "print(hashlib.sha256(i.tobytes() + m.tobytes()).hexdigest())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == _digest(images, masks)


def test_validation_images_are_not_training_images(train):
    val = data.load("embedded", "val", n=64)
    train_hashes = {_digest(i.numpy(), m.numpy()) for i, m in zip(train.images, train.masks)}
    assert not any(_digest(i.numpy(), m.numpy()) in train_hashes for i, m in zip(val.images, val.masks))


def test_background_dominates_and_the_cross_is_rare(train):
    share = train.class_pixel_counts() / train.masks.numel()
    np.testing.assert_allclose(share.sum(), 1.0)  # no ignored pixels
    assert 0.7 < share[0] < 0.92, share
    assert all(0.02 < s < 0.1 for s in share[1:4]), share
    assert 0.003 < share[4] < share[1:4].min() / 2, share
    images_with_cross = (train.masks == 4).flatten(1).any(1).float().mean()
    assert 0.1 < images_with_cross < 0.6, images_with_cross


def test_every_class_has_the_same_colours():
    """Mean and spread of the colour of each object class agree: colour tells no class."""
    train = data.load("embedded", "train")  # all 512 images: ~400 objects of each common class
    stats = []
    for k in range(1, 5):
        pixels = train.images.permute(0, 2, 3, 1)[train.masks == k]
        stats.append(torch.cat([pixels.mean(0), pixels.std(0)]))
    stats = torch.stack(stats)
    assert float((stats - stats.mean(0)).abs().max()) < 0.06, stats


def _patches(images: torch.Tensor, k: int) -> torch.Tensor:
    """Every k x k neighbourhood as a row (N * L, 3 k^2)."""
    p = F.unfold(images, k)
    return p.permute(0, 2, 1).reshape(-1, p.shape[1])


def _centres(masks: torch.Tensor, k: int) -> torch.Tensor:
    r = k // 2
    return masks[:, r:masks.shape[1] - r, r:masks.shape[2] - r].reshape(-1)


def test_a_classifier_of_5x5_neighbourhoods_finds_objects_but_cannot_name_them(train):
    """A two-layer perceptron on each pixel's 5 x 5 neighbourhood (fitted here) separates
    objects from background, but names the shape no better than guessing, while the labels
    would allow an IoU of 1: the class of a pixel needs context beyond its neighbourhood."""
    torch.manual_seed(0)
    k = 5
    x, y = _patches(train.images, k), _centres(train.masks, k)
    net = torch.nn.Sequential(torch.nn.Linear(3 * k * k, 64), torch.nn.ReLU(), torch.nn.Linear(64, 5))
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # matrices this small run faster on one thread, much faster on a busy CPU
    try:
        for _ in range(250):
            rows = torch.randint(0, len(x), (4096,), generator=generator)
            loss = F.cross_entropy(net(x[rows]), y[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    finally:
        torch.set_num_threads(threads)
    val = data.load("embedded", "val", n=48)
    with torch.no_grad():
        pred = net(_patches(val.images, k)).argmax(1).numpy()
    target = _centres(val.masks, k).numpy()
    objects_iou = iou_per_class(confusion_matrix(pred > 0, target > 0, 2))[1]
    shape_iou = np.nanmean(iou_per_class(confusion_matrix(pred, target, 5))[1:])
    found = (pred > 0) & (target > 0)
    shape_accuracy = (pred[found] == target[found]).mean()
    assert objects_iou > 0.65, f"expected objects to be found from their neighbourhood, got IoU {objects_iou:.2f}"
    assert shape_iou < 0.3, f"expected shapes not to be named from a 5x5 neighbourhood, got mIoU {shape_iou:.2f}"
    assert shape_accuracy < 0.45, f"expected about chance (0.33) among found pixels, got {shape_accuracy:.2f}"


@pytest.mark.parametrize("options, message", [
    ({"n": 0}, "expected n to be an int >= 1, got 0"),
    ({"size": 16}, "expected size to be an int >= 32, got 16"),
    ({"seed": -1}, "expected seed to be an int >= 0, got -1"),
    ({"n": 2.5}, "expected n to be an int >= 1, got 2.5"),
    ({"colour": "red"}, "expected options of 'embedded' among ['n', 'size', 'seed'], got ['colour']"),
])
def test_bad_options_say_what_was_expected(options, message):
    with pytest.raises(ValueError) as error:
        data.load("embedded", "train", **options)
    assert str(error.value) == message


def test_unknown_names_and_splits_list_the_valid_ones():
    with pytest.raises(ValueError, match=r"expected name to be one of \['embedded', 'streets', 'oxford-pet'\], got 'voc'"):
        data.load("voc")
    with pytest.raises(ValueError, match=r"expected split of 'embedded' to be one of \['train', 'val'\], got 'test'"):
        data.load("embedded", "test")
