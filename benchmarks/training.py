"""Training speed of the course on this machine: ``python benchmarks/training.py [--quick]``.

Prints
(a) the time ``course train`` with its defaults takes to reach validation mIoU 0.90 on the
    embedded dataset (skipped with ``--quick``);
(b) training throughput (images/s) of ``course.models.UNet`` with the course's training step
    and settings, against a classic U-Net written below (double convolution, down and up
    blocks, NCHW, fp32, a plain loop) of the same widths, measured side by side in this run
    (interleaved repetitions, median), and their ratio (target >= 1.0);
(c) how far that is from the machine's convolution throughput: large 3x3 convolutions'
    GFLOP/s against the U-Net's training FLOP/s (3x the forward FLOPs of its convolutions:
    the forward pass, the gradient of the inputs and the gradient of the weights).
Exits with 1 if the ratio in (b) is below 1.0 or (a) misses 0.90 within 180 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from course.models import UNet  # noqa: E402
from course.train import command  # noqa: E402
from course.train.engine import TrainConfig, train_step  # noqa: E402
from course.train.losses import make_loss  # noqa: E402
from course.train.settings import Settings, choose_settings  # noqa: E402

BASE, DEPTH = command.MODEL_DEFAULTS["embedded"]
BATCH, SIZE, CLASSES = TrainConfig().batch_size, 64, 5  # course train's defaults on the embedded dataset
TARGET_SECONDS, TARGET_MIOU = 180.0, 0.90


# --- the reference: a U-Net as a tutorial writes it --------------------------------------------
class RefDoubleConv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                                 nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())

    def forward(self, x):
        return self.net(x)


class RefDown(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = RefDoubleConv(cin, cout)

    def forward(self, x):
        return self.conv(F.max_pool2d(x, 2))


class RefUp(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.up = nn.ConvTranspose2d(cin, cin // 2, 2, stride=2)
        self.conv = RefDoubleConv(cin, cout)

    def forward(self, x, skip):
        return self.conv(torch.cat([skip, self.up(x)], dim=1))


class RefUNet(nn.Module):
    def __init__(self, cin=3, classes=CLASSES, base=BASE, depth=DEPTH):
        super().__init__()
        widths = [base * 2 ** i for i in range(depth + 1)]
        self.inc = RefDoubleConv(cin, widths[0])
        self.downs = nn.ModuleList([RefDown(widths[i], widths[i + 1]) for i in range(depth)])
        self.ups = nn.ModuleList([RefUp(widths[i + 1], widths[i]) for i in reversed(range(depth))])
        self.outc = nn.Conv2d(widths[0], classes, 1)

    def forward(self, x):
        skips = [self.inc(x)]
        for down in self.downs:
            skips.append(down(skips[-1]))
        x = skips.pop()
        for up in self.ups:
            x = up(x, skips.pop())
        return self.outc(x)


def reference_step(model, optimizer, x, y):
    loss = F.cross_entropy(model(x), y, ignore_index=255)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


# --- (b) throughput -----------------------------------------------------------------------------
class Variant:
    """One way to train: a model, its step, and the thread count it runs with."""

    def __init__(self, name, model, step, threads, settings=None):
        self.name, self.model, self.step, self.threads, self.settings = name, model, step, threads, settings
        self.rates: list[float] = []

    def measure(self, x, y, steps):
        before = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            if self.settings is not None:
                x = x.contiguous(memory_format=self.settings.memory_format)
            self.step(x, y)  # warm-up (oneDNN picks its kernels)
            start = time.perf_counter()
            for _ in range(steps):
                self.step(x, y)
            self.rates.append(steps * len(x) / (time.perf_counter() - start))
        finally:
            torch.set_num_threads(before)


def variants(settings: Settings) -> list[Variant]:
    default_threads = torch.get_num_threads()
    out = []
    for threads in sorted({default_threads, settings.threads or default_threads}):
        torch.manual_seed(0)
        ref = RefUNet()
        opt = torch.optim.Adam(ref.parameters(), 2e-3)
        out.append(Variant(f"reference U-Net (NCHW, fp32, {threads} thread{'s' * (threads > 1)})", ref,
                           lambda x, y, m=ref, o=opt: reference_step(m, o, x, y), threads))
    torch.manual_seed(0)
    model = UNet(3, CLASSES, base_channels=BASE, depth=DEPTH).to(memory_format=settings.memory_format)
    opt = torch.optim.AdamW(model.parameters(), 2e-3)
    scaler, loss = settings.grad_scaler_for_run(), make_loss("ce")  # the reference's loss, for a fair race
    out.append(Variant(f"course UNet + train_step ({settings.describe()})", model,
                       lambda x, y: train_step(model, x, y, loss, opt, scaler, settings.torch_amp_dtype),
                       settings.threads or default_threads, settings))
    return out


def throughput(settings: Settings, repeats: int, steps: int) -> list[Variant]:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(BATCH, 3, SIZE, SIZE, generator=g)
    y = torch.randint(0, CLASSES, (BATCH, SIZE, SIZE), generator=g)
    runs = variants(settings)
    for _ in range(repeats):  # interleaved, so a busy moment hurts every variant alike
        for v in runs:
            v.measure(x, y, steps)
    return runs


# --- (c) FLOPs ----------------------------------------------------------------------------------
def forward_flops(model: nn.Module, x: torch.Tensor) -> int:
    """Multiply-adds x 2 of every convolution and transposed convolution in one forward pass."""
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        taps = module.kernel_size[0] * module.kernel_size[1]
        if isinstance(module, nn.ConvTranspose2d):  # each input value spreads over out_channels x taps
            total += 2 * inputs[0].numel() * module.out_channels // module.groups * taps
        else:  # each output value sums in_channels x taps products
            total += 2 * output.numel() * module.in_channels // module.groups * taps
    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    with torch.no_grad():
        model.eval()(x)
    for h in handles:
        h.remove()
    model.train()
    return total // len(x)


def conv_peak(settings: Settings, repeats: int) -> float:
    """GFLOP/s of large 3x3 convolutions (forward, weights and input already in the settings'
    precision and memory format, on their thread count): the best of a few shapes, as a
    practical peak of this machine's convolution kernels."""
    dtype = {"bfloat16": torch.bfloat16, "float16": torch.float16}.get(settings.amp_dtype, torch.float32)
    before = torch.get_num_threads()
    if settings.threads:
        torch.set_num_threads(settings.threads)
    best = 0.0
    try:
        for channels, n, size in ((64, 32, 64), (128, 16, 64), (256, 8, 32)):
            conv = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
            conv = conv.to(dtype=dtype, memory_format=settings.memory_format)
            x = torch.rand(n, channels, size, size).to(dtype=dtype, memory_format=settings.memory_format)
            times = []
            with torch.no_grad():
                for _ in range(repeats + 1):
                    start = time.perf_counter()
                    conv(x)
                    times.append(time.perf_counter() - start)
            best = max(best, 2 * n * channels * channels * 9 * size * size / statistics.median(times[1:]) / 1e9)
    finally:
        torch.set_num_threads(before)
    return best


# --- (a) time to target -------------------------------------------------------------------------
def time_to_target() -> tuple[float | None, dict]:
    with tempfile.TemporaryDirectory() as folder:
        parser = argparse.ArgumentParser()
        command.add_arguments(parser)
        args = parser.parse_args(["--out", folder, "--stop-at-target", "--device", "cpu", "--quiet",
                                  "--time-budget", str(TARGET_SECONDS * 2)])
        command.run(args)
        metrics = json.loads((Path(folder) / "metrics.json").read_text())
    return metrics["time_to_target"], metrics


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only (b) and (c), briefly (CI)")
    args = parser.parse_args(argv)
    settings = choose_settings("cpu")
    print(f"machine: {torch.get_num_threads()} threads by default, load average {os.getloadavg()[0]:.2f}; "
          f"torch {torch.__version__}")
    print(f"course settings: {settings.describe()}")
    ok = True
    if not args.quick:
        seconds, metrics = time_to_target()
        print(f"(a) course train (defaults, embedded): mIoU {TARGET_MIOU:.2f} after "
              f"{'not reached' if seconds is None else f'{seconds:.1f} s'} (limit {TARGET_SECONDS:.0f} s); "
              f"best {metrics['best_miou']:.3f} in {len(metrics['history'])} epochs")
        ok &= seconds is not None and seconds <= TARGET_SECONDS
    repeats, steps = (3, 2) if args.quick else (7, 4)
    runs = throughput(settings, repeats, steps)
    print(f"(b) training throughput, batch {BATCH} of {SIZE}x{SIZE}, widths {BASE}..{BASE * 2 ** DEPTH}, "
          f"median of {repeats} interleaved repetitions of {steps} steps:")
    for v in runs:
        print(f"    {statistics.median(v.rates):7.1f} img/s  {v.name}")
    course_rate = statistics.median(runs[-1].rates)
    best_reference = max(statistics.median(v.rates) for v in runs[:-1])
    ratio = course_rate / best_reference
    print(f"    ratio course / best reference: {ratio:.2f} (target >= 1.0)")
    ok &= ratio >= 1.0
    per_image = forward_flops(runs[-1].model, torch.rand(1, 3, SIZE, SIZE))
    achieved = 3 * per_image * course_rate / 1e9
    peak = conv_peak(settings, 3 if args.quick else 5)
    fp32_peak = conv_peak(Settings("cpu", threads=settings.threads), 3 if args.quick else 5)
    print(f"(c) U-Net: {per_image / 1e6:.1f} MFLOP per image forward, ~{3 * per_image / 1e6:.1f} training; "
          f"achieved {achieved:.1f} GFLOP/s")
    print(f"    large 3x3 convolutions: {peak:.1f} GFLOP/s in the course's precision, {fp32_peak:.1f} GFLOP/s fp32; "
          f"training the U-Net reaches {100 * achieved / peak:.0f} % of the first")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
