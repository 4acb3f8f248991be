"""Compact data on the device: 8-bit images as uint8 and masks as uint8, turned back per batch
bit for bit, so that a run gives the same numbers either way."""

import pytest
import torch
from torch import nn

from course.data import SegmentationDataset
from course.train import engine
from course.data.compact import (compact_dataset, compact_images, compact_masks, expand_images, expand_masks,
                                 megabytes)
from course.train.engine import TrainConfig, train
from course.train.settings import Settings


def eight_bit(n=40, size=8, seed=0):
    """A dataset as the Pet loader makes it: uint8 pixels divided by 255 in float32, ignored pixels."""
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 3, size, size), generator=g, dtype=torch.uint8).float().div_(255)
    masks = (images[:, 0] > 0.5).long()
    masks[:, 0, 0] = 255
    return SegmentationDataset(images, masks, ("low", "high"), name="toy", split="train")


def test_images_and_masks_come_back_bit_for_bit_and_other_data_stay_as_they_are():
    data = eight_bit()
    images, masks = compact_images(data.images), compact_masks(data.masks)
    assert (images.dtype, masks.dtype) == (torch.uint8, torch.uint8)
    assert torch.equal(expand_images(images), data.images) and torch.equal(expand_masks(masks), data.masks)
    assert all(torch.equal(a, b) for a, b in zip(compact_dataset(data), (images, masks)))
    assert expand_images(images).dtype == torch.float32 and expand_masks(masks).dtype == torch.int64
    noisy = data.images + 1e-4  # not 8-bit: stored as it is
    assert compact_images(noisy) is noisy
    assert compact_images(data.images * 2) .dtype == torch.float32  # beyond 1.0
    many = torch.tensor([[[0, 300]]])  # a label beyond uint8
    assert compact_masks(many) is many


def test_a_run_on_compact_data_gives_the_same_numbers(monkeypatch):
    data, config = eight_bit(), TrainConfig(epochs=2, batch_size=8, lr=2e-2, padding=1, rot90=True)

    def run():
        torch.manual_seed(0)
        net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 2, 1))
        return train(net, data, data, config, settings=Settings("cpu"), progress=False).history

    compact = run()
    monkeypatch.setattr(engine, "compact_dataset", lambda d: (d.images, d.masks))
    assert [(r.train_loss, r.val_loss, r.miou) for r in compact] == [(r.train_loss, r.val_loss, r.miou) for r in run()]


def test_the_pet_data_at_128_px_fit_in_300_mb_on_the_device():
    images = torch.empty(3680, 3, 128, 128, dtype=torch.uint8, device="meta")  # trainval: train + val splits
    masks = torch.empty(3680, 128, 128, dtype=torch.uint8, device="meta")
    assert megabytes(images, masks) == pytest.approx(230, abs=1)
    full = torch.empty(3680, 3, 128, 128, device="meta"), torch.empty(3680, 128, 128, dtype=torch.int64, device="meta")
    assert megabytes(*full) == pytest.approx(1150, abs=1)


def test_the_run_says_what_its_data_take(capsys):
    data = eight_bit()
    train(nn.Conv2d(3, 2, 1), data, data, TrainConfig(epochs=1, batch_size=8), settings=Settings("cpu"))
    assert "data on cpu: 0 MB (images uint8, masks uint8)" in capsys.readouterr().out
