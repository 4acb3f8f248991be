"""The U-Net's training on a GPU, offline: ``python benchmarks/gpu.py [--precision fp16] [--smoke]``.

With the Oxford-IIIT Pet configuration (U-Net of 32 base channels and depth 4, 128 x 128 RGB
images, 3 classes, batch 32) on random data shaped like the Pet set (uint8 images and masks
on the device, as ``course train`` keeps them), it prints

(a) training images per second with ``course.train.train_step`` and the device's settings,
    and the fraction of the GPU's dense fp16/bf16 tensor-core peak that is (3x the forward
    FLOPs of the convolutions per image: forward, input gradient, weight gradient);
(b) the time to held-out mIoU 0.90 on the embedded dataset at 128 px, with ``course.train``;
(c) the peak GPU memory of (a) and (b);
(d) the host syncs of 20 steady-state steps of (a), counted by ``torch.cuda.set_sync_debug_mode``.

``--precision fp16|bf16|fp32`` overrides the settings' choice, so that a lent GPU of another
kind measures a T4's fp16 path too. ``--smoke`` runs everything tiny, on the CPU if there is no
GPU (CI), so that the script is known to work when a GPU comes. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from training import forward_flops  # noqa: E402

from course.data import load  # noqa: E402
from course.models import UNet  # noqa: E402
from course.train import TrainConfig, choose_settings, train  # noqa: E402
from course.data.compact import expand_images, expand_masks  # noqa: E402
from course.train.engine import train_step  # noqa: E402
from course.train.losses import make_loss  # noqa: E402
from course.train.settings import PRECISIONS  # noqa: E402

# dense tensor-core peaks in TFLOP/s (vendor data sheets), by a piece of the name torch reports
PEAKS = {"T4": {"float16": 65}, "L4": {"float16": 121, "bfloat16": 121}, "A100": {"float16": 312, "bfloat16": 312},
         "H100": {"float16": 989, "bfloat16": 989}, "H200": {"float16": 989, "bfloat16": 989},
         "V100": {"float16": 125}}


def peak_tflops(settings) -> float | None:
    if settings.device != "cuda":
        return None
    name = torch.cuda.get_device_properties(torch.cuda.current_device()).name
    return next((p.get(settings.amp_dtype) for key, p in PEAKS.items() if key in name), None)


def pet_like(n: int, size: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Random uint8 images (n, 3, size, size) and masks in {0, 1, 2}, on ``device``."""
    g = torch.Generator(device=device).manual_seed(0)
    images = torch.randint(0, 256, (n, 3, size, size), generator=g, device=device, dtype=torch.uint8)
    return images, torch.randint(0, 3, (n, size, size), generator=g, device=device, dtype=torch.uint8)


def throughput(settings, size: int, batch: int, steps: int) -> tuple[float, float, int]:
    """(images/s, training TFLOP/s, host syncs in ``steps`` steady-state steps) of the Pet U-Net."""
    model = UNet(3, 3, base_channels=32, depth=4).to(settings.torch_device, memory_format=settings.memory_format)
    flops = 3 * forward_flops(model, torch.rand(1, 3, size, size, device=settings.torch_device))
    images, masks = pet_like(4 * batch, size, settings.torch_device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=settings.device == "cuda")
    scaler, loss_fn = settings.grad_scaler_for_run(), make_loss("ce+dice")

    def step(k: int):
        at = (k % 4) * batch
        x = expand_images(images[at:at + batch]).contiguous(memory_format=settings.memory_format)
        return train_step(model, x, expand_masks(masks[at:at + batch]), loss_fn, optimizer, scaler,
                          settings.torch_amp_dtype)

    with settings.active():
        for k in range(5):  # warm-up: cuDNN autotuning, lazy initialisation
            step(k)
        syncs = _syncs(lambda: [step(k) for k in range(steps)]) if settings.device == "cuda" else None
        times = []
        for _ in range(3):
            _wait(settings)
            start = time.perf_counter()
            for k in range(steps):
                step(k)
            _wait(settings)
            times.append(time.perf_counter() - start)
    rate = steps * batch / statistics.median(times)
    return rate, rate * flops / 1e12, syncs


def _syncs(run) -> int:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            run()
        finally:
            torch.cuda.set_sync_debug_mode("default")
    return sum("synchroniz" in str(w.message) for w in caught)


def _wait(settings) -> None:
    if settings.device == "cuda":
        torch.cuda.synchronize()


def time_to_target(settings, size: int, n: int, epochs: int) -> float | None:
    """Seconds to held-out mIoU 0.90 on the embedded dataset at ``size`` px (None: not reached)."""
    train_set, val_set = load("embedded", "train", size=size, n=n), load("embedded", "val", size=size, n=n // 4)
    torch.manual_seed(0)
    model = UNet(3, train_set.num_classes, base_channels=16, depth=2)
    result = train(model, train_set, val_set, TrainConfig(epochs=epochs, target_miou=0.9, stop_at_target=True),
                   settings=settings, progress=False)
    return result.time_to_target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--precision", choices=list(PRECISIONS), default="auto")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, the CPU when there is no GPU (CI)")
    args = parser.parse_args(argv)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu" and not args.smoke:
        print("benchmarks/gpu.py: expected a CUDA GPU, got none (use --smoke to try it on the CPU)", file=sys.stderr)
        return 2
    settings = choose_settings(device, args.precision)
    size, batch, steps, n, epochs = (32, 4, 3, 64, 1) if args.smoke else (128, 32, 20, 512, 60)
    gpu = torch.cuda.get_device_properties(torch.cuda.current_device()).name if device == "cuda" else "no GPU"
    print(f"{gpu}; settings: {settings.describe()}" + ("; SMOKE RUN (tiny sizes, figures mean nothing)"
                                                       if args.smoke else ""))
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    rate, tflops, syncs = throughput(settings, size, batch, steps)
    peak = peak_tflops(settings)
    share = f", {100 * tflops / peak:.0f} % of the {peak} TFLOP/s peak" if peak else " (peak unknown here)"
    print(f"(a) Pet U-Net (32 base channels, depth 4, {size} px, batch {batch}): {rate:.0f} images/s, "
          f"{tflops:.2f} TFLOP/s{share}")
    seconds = time_to_target(settings, size, n, epochs)
    print(f"(b) time to held-out mIoU 0.90, embedded dataset at {size} px: "
          + (f"{seconds:.1f} s" if seconds is not None else f"not reached in {epochs} epochs"))
    memory = f"{torch.cuda.max_memory_allocated() / 2**20:.0f} MB" if device == "cuda" else "n/a (CPU)"
    print(f"(c) peak GPU memory: {memory}")
    print(f"(d) host syncs in {steps} steady-state steps: " + (str(syncs) if syncs is not None else "n/a (CPU)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
