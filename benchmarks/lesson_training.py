"""Lesson 05's training cell on a busy machine: ``python benchmarks/lesson_training.py [--steps N] [--load K]``.

Lessons 05 and 06 used to train with a plain loop (``course.train.loop.fit``, removed): Adam,
fp32, NCHW, and PyTorch's default of one OpenMP thread per core. Now they train with
``course.train.train``, whose settings (``choose_settings``) take one thread on a small machine,
bf16 where the CPU computes it natively, and channels-last. Under load, OpenMP threads that
spin-wait for each other cost far more than the work.

For lesson 05's fast-mode work (SimpleFCN, width 16, 96 street scenes of 64x96, batch 8) this
prints the milliseconds per training step of both, measured in one run side by side, quiet and
with ``--load`` busy processes beside them (the suite runs kernels, JupyterLab and a browser at
once), and their ratio. The target under load is >= 5x.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys

CHILD = r"""
import sys, time
import torch
from torch.nn import functional as F
from course import data
from course.models.fcn import SimpleFCN
from course.train import TrainConfig, train

mode, steps = sys.argv[1], int(sys.argv[2])
train_set = data.load("streets", "train", n=96)
val_set = data.load("streets", "val", n=16)
torch.manual_seed(0)
net = SimpleFCN(3, train_set.num_classes, width=16)
if mode == "before":  # the removed loop.fit: PyTorch's default threads, fp32, NCHW, Adam
    torch.set_num_threads(int(sys.argv[3]))
    images, masks = train_set.images.float() / (255 if train_set.images.dtype == torch.uint8 else 1), train_set.masks.long()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    generator = torch.Generator().manual_seed(0)
    net.train()
    def step():
        batch = torch.randint(0, len(images), (8,), generator=generator)
        loss = F.cross_entropy(net(images[batch]), masks[batch], ignore_index=255)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    print((time.perf_counter() - start) / steps)
else:  # the engine the lessons use now, with this machine's settings
    epochs = max(2, steps // 12 + 1)  # 96 scenes in batches of 8: 12 steps an epoch; the first is warm-up
    result = train(net, train_set, val_set, TrainConfig(epochs=epochs, batch_size=8, lr=1e-2, loss="ce",
                   class_weights=False), progress=False)
    # training images per second of each epoch after the first (warm-up), as seconds per batch of 8
    print(sum(8 / r.images_per_second for r in result.history[1:]) / len(result.history[1:]))
"""


def burn(stop):
    while not stop.is_set():
        pass


def per_step(mode: str, steps: int, threads: int) -> float:
    env = dict(os.environ, COURSE_FAST="1")
    env.pop("OMP_NUM_THREADS", None)  # what a student's kernel gets: the default
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(steps), str(threads)], env=env, check=True,
                         capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=48)
    parser.add_argument("--load", type=int, default=os.cpu_count() or 2, help="busy processes beside the run")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    threads = os.cpu_count() or 2
    print(f"lesson 05's training step (SimpleFCN width 16, batch 8, 64x96), {os.cpu_count()} cores; "
          f"before: plain loop, {threads} threads, fp32; after: course.train.train, its settings")
    for load in (0, args.load):
        stop = multiprocessing.Event()
        burners = [multiprocessing.Process(target=burn, args=(stop,), daemon=True) for _ in range(load)]
        for b in burners:
            b.start()
        try:
            before, after = [], []
            for _ in range(args.repeat):  # interleaved, so both see the same machine
                before.append(per_step("before", args.steps, threads))
                after.append(per_step("after", args.steps, threads))
        finally:
            stop.set()
            for b in burners:
                b.join()
        b, a = statistics.median(before), statistics.median(after)
        print(f"  {load} busy processes: before {b * 1e3:7.1f} ms/step, after {a * 1e3:6.1f} ms/step, "
              f"{b / a:5.1f}x faster (median of {args.repeat})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
