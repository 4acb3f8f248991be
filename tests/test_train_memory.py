"""Batch sizes for a GPU's memory, with GPUs simulated as torch reports them (name, memory, capability)."""

import pytest
import torch

from course.models import UNet
from course.train.memory import activation_bytes, batch_for_device, largest_batch
from course.train.settings import Settings, choose_settings
from tests.test_train_settings import simulate_gpu

PET = (3, 128, 128)


def pet_unet():
    return UNet(3, 3, base_channels=32, depth=4)


def test_the_activation_estimate_is_what_autograd_really_saves():
    """Meta device against a real CPU forward at 64 px: the same bytes (autograd saves the same tensors)."""
    model, saved = UNet(3, 3, base_channels=8, depth=2), 0

    def pack(tensor):
        nonlocal saved
        saved += tensor.numel() * tensor.element_size()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(torch.rand(1, 3, 64, 64))
    assert activation_bytes(model, (3, 64, 64), torch.float32) == saved
    assert activation_bytes(model, (3, 64, 64), torch.float16) < 0.6 * saved  # half-size values


@pytest.mark.parametrize("gpu, batch", [("Tesla T4", 32), ("NVIDIA A100-SXM4-40GB", 32)])
def test_a_t4_and_an_a100_train_the_pet_unet_with_batches_of_32(monkeypatch, gpu, batch):
    simulate_gpu(monkeypatch, gpu)
    assert batch_for_device(pet_unet(), PET, choose_settings("cuda"), None, default=32) == batch


def test_a_small_gpu_gets_the_largest_power_of_two_that_fits(monkeypatch):
    simulate_gpu(monkeypatch, "Tesla T4")
    settings = choose_settings("cuda")
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda device=None: type(
        "P", (), {"name": "Small GPU", "total_memory": 3 * 2**30, "major": 7, "minor": 5})())
    most, per_image = largest_batch(pet_unet(), PET, settings, 3 * 2**30)
    chosen = batch_for_device(pet_unet(), PET, settings, None, default=32)
    assert 1 <= chosen <= most < 2 * chosen < 64 and chosen & (chosen - 1) == 0, (chosen, most)
    assert chosen * per_image <= 0.8 * 3 * 2**30


def test_a_batch_that_does_not_fit_is_refused_with_the_most_that_fits(monkeypatch):
    simulate_gpu(monkeypatch, "Tesla T4")
    settings = choose_settings("cuda")
    most, _ = largest_batch(pet_unet(), PET, settings, 15 * 2**30)
    assert batch_for_device(pet_unet(), PET, settings, most, default=32) == most
    with pytest.raises(ValueError, match=rf"expected --batch-size at most {most} on this GPU \(Tesla T4, 15.0 GB; "
                                         rf"about \d+ MB an image of 128x128 in fp16\), got {most + 1}"):
        batch_for_device(pet_unet(), PET, settings, most + 1, default=32)


def test_the_cpu_keeps_the_configured_batch():
    assert batch_for_device(pet_unet(), PET, Settings("cpu"), None, default=16) == 16
    assert batch_for_device(pet_unet(), PET, Settings("cpu"), 512, default=16) == 512
