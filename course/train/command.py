"""``course train``: train a U-Net from the command line and write what it learnt.

    course train                              # embedded dataset, defaults reach mIoU 0.90 on a CPU
    course train --dataset oxford-pet --size 128 --epochs 30 --time-budget 600
    course train --out runs/pet --resume      # continue after an interruption

Writes into ``--out`` (default ``runs/<timestamp>``): ``checkpoint.pt`` (after every epoch),
``metrics.json`` (per-epoch history, settings, configuration, time to the target mIoU) and
the figures ``curves.png``, ``predictions.png`` and ``confusion_matrix.png``.
Also runs as ``python -m course.train.command``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import fields, replace
from pathlib import Path

import torch

from ..data import DownloadError, SegmentationDataset, load
from ..models import UNet
from .checkpoint import CheckpointError
from .engine import TrainConfig, TrainResult, train
from .losses import LOSSES
from .memory import batch_for_device
from .settings import DEVICES, PRECISIONS, choose_settings

__all__ = ["add_arguments", "run", "main", "MODEL_DEFAULTS", "TARGETS", "FILES"]

# per dataset: base channels, depth (the embedded shapes need ~12 px of context at 64 x 64;
# the pets need a deeper network at 128 x 128)
MODEL_DEFAULTS = {"embedded": (16, 2), "oxford-pet": (32, 4)}
BATCH_DEFAULTS = {"embedded": TrainConfig.batch_size, "oxford-pet": 32}
TARGETS = {"embedded": 0.9, "oxford-pet": 0.7}
FILES = ("checkpoint.pt", "metrics.json", "curves.png", "predictions.png", "confusion_matrix.png")
_DEFAULTS = TrainConfig()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``course train``'s options to ``parser``."""
    parser.add_argument("--dataset", choices=list(MODEL_DEFAULTS), default="embedded",
                        help="embedded (default, no download) or oxford-pet (downloaded once, ~800 MB)")
    parser.add_argument("--epochs", type=int, default=_DEFAULTS.epochs, help=f"default {_DEFAULTS.epochs}")
    parser.add_argument("--size", type=int, default=None,
                        help="image side in pixels (default: the dataset's, 64 embedded, 128 oxford-pet)")
    parser.add_argument("--data-root", type=Path, default=None,
                        help="where oxford-pet is cached (default: the loader's, see course.data.oxford_pet)")
    parser.add_argument("--no-download", action="store_true", help="oxford-pet: fail instead of downloading")
    parser.add_argument("--limit", type=int, default=None,
                        help="use only the first LIMIT training and validation images (quick trials)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help=f"default {BATCH_DEFAULTS['embedded']} (oxford-pet: {BATCH_DEFAULTS['oxford-pet']}), on a GPU "
                             "lowered to what its memory holds; a larger choice than fits is refused")
    parser.add_argument("--base-channels", type=int, default=None,
                        help="channels of the U-Net's first level (default: 16 embedded, 32 oxford-pet)")
    parser.add_argument("--depth", type=int, default=None, help="down steps (default: 2 embedded, 4 oxford-pet)")
    parser.add_argument("--lr", type=float, default=_DEFAULTS.lr, help=f"peak learning rate (default {_DEFAULTS.lr})")
    parser.add_argument("--loss", choices=list(LOSSES), default=_DEFAULTS.loss, help=f"default {_DEFAULTS.loss}")
    parser.add_argument("--class-weights", action=argparse.BooleanOptionalAction, default=_DEFAULTS.class_weights,
                        help="weight the cross entropy by median frequency balancing (default: on)")
    parser.add_argument("--device", choices=list(DEVICES), default="auto", help="default auto (CUDA if present)")
    parser.add_argument("--precision", choices=list(PRECISIONS), default="auto",
                        help="default auto: bf16 on GPUs of compute capability 8.0 and later, fp16 with a gradient "
                             "scaler on 7.x (a T4), fp32 below; bf16 on CPUs that run it natively")
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads (default: 1 on a machine of <= 2 cores, where more measured slower)")
    parser.add_argument("--time-budget", type=float, default=None, metavar="SECONDS",
                        help="stop after this many seconds (then still evaluate and save)")
    parser.add_argument("--target-miou", type=float, default=None,
                        help="report the time to reach this validation mIoU (default: 0.9 embedded, 0.7 oxford-pet)")
    parser.add_argument("--stop-at-target", action=argparse.BooleanOptionalAction, default=_DEFAULTS.stop_at_target,
                        help="stop as soon as the target is reached (default: on, as in TrainConfig)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default runs/<timestamp>)")
    parser.add_argument("--resume", action="store_true",
                        help="continue from OUT/checkpoint.pt (it must exist: without --resume a new run starts)")
    parser.add_argument("--seed", type=int, default=0, help="seeds the network, shuffling and augmentation")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Run ``course train`` with parsed ``args``; 0 on success, 2 on bad options."""
    try:
        options = _check(args)
        config = _config(args)
        out = args.out if args.out is not None else Path("runs") / time.strftime("%Y%m%d-%H%M%S")
        if args.resume and args.out is None:
            raise ValueError("expected --out DIR with --resume (the folder of the run to continue), got none")
        if args.resume and not (out / "checkpoint.pt").is_file():
            raise ValueError(f"expected a checkpoint to resume from at {out / 'checkpoint.pt'}, got none: leave out "
                             f"--resume to start a new run in {out}")
        settings = choose_settings(args.device, args.precision)
        if args.threads is not None:
            settings = replace(settings, threads=args.threads)
        train_set, val_set = (_load(args, split, options) for split in ("train", "val"))
        base, depth = MODEL_DEFAULTS[args.dataset]
        torch.manual_seed(args.seed)
        model = UNet(train_set.images.shape[1], train_set.num_classes,
                     base_channels=args.base_channels or base, depth=args.depth if args.depth is not None else depth)
        model.check_input(train_set.images[:1])
        batch = batch_for_device(model, tuple(train_set.images.shape[1:]), settings, args.batch_size,
                                 BATCH_DEFAULTS[args.dataset])
        config = replace(config, batch_size=batch)
    except (ValueError, FileNotFoundError) as error:
        print(f"course train: {error}", file=sys.stderr)
        return 2
    except DownloadError as error:  # offline, or a corrupt download: not the options' fault
        print(f"course train: {error}", file=sys.stderr)
        return 1
    print(f"data: {train_set} / {len(val_set)} validation images")
    print(f"model: U-Net, base channels {model.base_channels}, depth {model.depth}, "
          f"{sum(p.numel() for p in model.parameters()):,} parameters; batches of {config.batch_size}")
    print(f"writing to {out}")
    if args.quiet:  # otherwise train() prints them
        print(f"settings: {settings.describe()}")
    try:
        result = train(model, train_set, val_set, config, settings=settings, checkpoint=out / "checkpoint.pt",
                       resume=args.resume, progress=not args.quiet)
    except CheckpointError as error:
        print(f"course train: {error}", file=sys.stderr)
        return 2
    except torch.OutOfMemoryError:
        print(f"course train: the GPU ran out of memory with batches of {config.batch_size}: try --batch-size "
              f"{max(1, config.batch_size // 2)}", file=sys.stderr)
        return 2
    write_outputs(out, result, model, val_set)
    print(summary(result))
    return 0


def write_outputs(out: Path, result: TrainResult, model: torch.nn.Module, val_set: SegmentationDataset) -> None:
    """``metrics.json`` and the three figures of a finished run into ``out``."""
    from .figures import confusion_figure, history_figure, predictions_figure

    out.mkdir(parents=True, exist_ok=True)
    metrics = result.to_dict() | {"dataset": val_set.name, "class_names": list(val_set.class_names),
                                  "target_miou": result.config.target_miou}
    (out / "metrics.json").write_text(json.dumps(_finite(metrics), indent=1) + "\n")
    history_figure(result.history, result.config.target_miou).savefig(out / "curves.png")
    confusion_figure(result.evaluation.confusion, val_set.class_names).savefig(out / "confusion_matrix.png")
    fig = predictions_figure(model, val_set, rows=4,
                             title=f"U-Net (val mIoU {result.evaluation.miou:.2f})")
    fig.savefig(out / "predictions.png")
    import matplotlib.pyplot as plt

    plt.close(fig)


def summary(result: TrainResult) -> str:
    """The closing lines: best validation mIoU and the time to the target."""
    lines = [f"stopped: {result.stopped} after {len(result.history)} epochs, "
             f"{result.history[-1].elapsed:.1f} s" if result.history else f"stopped: {result.stopped}",
             f"best validation mIoU {result.best_miou:.4f} (epoch {result.best_epoch})"]
    target = result.config.target_miou
    if target is not None:
        lines.append(f"time to mIoU {target:.2f}: " + (f"{result.time_to_target:.1f} s" if result.time_to_target
                                                         is not None else "not reached"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course train", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


def _config(args) -> TrainConfig:
    """The run's TrainConfig (its batch size settled later, for the device): TrainConfig checks the
    values, and its messages name the command-line options."""
    try:
        batch = _DEFAULTS.batch_size if args.batch_size is None else args.batch_size
        target = TARGETS[args.dataset] if args.target_miou is None else args.target_miou
        return TrainConfig(epochs=args.epochs, batch_size=batch, lr=args.lr, loss=args.loss,
                           class_weights=args.class_weights, seed=args.seed, time_budget=args.time_budget,
                           target_miou=target, stop_at_target=args.stop_at_target)
    except ValueError as error:
        message = str(error)
        for name in (f.name for f in fields(TrainConfig)):
            message = message.replace(f"expected {name} ", f"expected --{name.replace('_', '-')} ")
        raise ValueError(message) from None


def _check(args) -> dict:
    """Dataset options from ``args``; ValueError (expected vs got) for a bad value."""
    for name, minimum in (("size", 32), ("limit", 2), ("base_channels", 1), ("depth", 0), ("threads", 1)):
        if getattr(args, name) is not None:
            _at_least(name, getattr(args, name), minimum)
    options = {"size": args.size} if args.size is not None else {}
    if args.dataset == "oxford-pet":
        options |= {"download": not args.no_download, "progress": not args.quiet}
        if args.data_root is not None:
            options["root"] = args.data_root
    elif args.data_root is not None or args.no_download:
        raise ValueError(f"expected --data-root and --no-download only with --dataset oxford-pet, got them with "
                         f"{args.dataset!r}")
    return options


def _at_least(name: str, value: int, minimum: int) -> None:
    if value < minimum:
        raise ValueError(f"expected --{name.replace('_', '-')} to be an int >= {minimum}, got {value!r}")


def _load(args, split: str, options: dict) -> SegmentationDataset:
    if args.dataset == "embedded" and args.limit is not None:
        options = options | {"n": args.limit}
    ds = load(args.dataset, split, **options)
    if args.limit is not None and len(ds) > args.limit:
        ds = SegmentationDataset(ds.images[:args.limit], ds.masks[:args.limit], ds.class_names, name=ds.name,
                                 split=ds.split, info=ds.info)
    return ds


def _finite(value):
    """NaN and infinities as None, so that metrics.json is strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


if __name__ == "__main__":
    if "matplotlib.pyplot" not in sys.modules:
        import matplotlib

        matplotlib.use("Agg")
    sys.exit(main())
