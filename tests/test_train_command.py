"""``course train`` (course.train.command): the files it writes, their content, resume, bad options."""

import argparse
import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from course.train import command
from course.train.checkpoint import load_checkpoint
from course.train.engine import TrainConfig

TINY = ["--size", "32", "--limit", "32", "--batch-size", "16", "--device", "cpu", "--quiet"]


def _run(argv):
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return command.run(parser.parse_args(argv))


def test_course_train_writes_checkpoint_metrics_and_figures_and_resumes(tmp_path, capsys):
    out = tmp_path / "run"
    assert _run(TINY + ["--epochs", "1", "--out", str(out), "--target-miou", "0.99"]) == 0
    printed = capsys.readouterr().out
    assert "settings: cpu:" in printed and "best validation mIoU" in printed
    assert "time to mIoU 0.99: not reached" in printed
    assert sorted(p.name for p in out.iterdir()) == sorted(command.FILES)
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"history", "settings", "config", "time_to_target", "best_miou", "final", "class_names"} <= set(metrics)
    (epoch,) = metrics["history"]
    assert epoch["epoch"] == 1 and epoch["steps"] == 2                    # 32 images // batch 16
    assert 0 <= epoch["miou"] <= 1 and epoch["miou"] == metrics["final"]["miou"] == metrics["best_miou"]
    cm = np.array(metrics["final"]["confusion"])
    assert cm.shape == (5, 5) and cm.sum() == 32 * 32 * 32                  # every validation pixel counted once
    assert np.isclose(np.trace(cm) / cm.sum(), epoch["pixel_accuracy"])
    assert metrics["settings"]["device"] == "cpu" and metrics["config"]["epochs"] == 1
    assert metrics["config"]["loss"] == "ce+dice" and len(metrics["class_weights"]) == 5
    assert metrics["class_names"][0] == "background" and metrics["time_to_target"] is None
    for name in ("curves.png", "predictions.png", "confusion_matrix.png"):
        with Image.open(out / name) as picture:
            assert picture.format == "PNG" and picture.width > 300 and picture.height > 200, name
        assert (out / name).stat().st_size > 5000, name
    assert load_checkpoint(out / "checkpoint.pt")["epoch"] == 1

    assert _run(TINY + ["--epochs", "2", "--out", str(out), "--resume"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["resumed_from"] == 1 and [e["epoch"] for e in metrics["history"]] == [1, 2]
    assert metrics["history"][0] == epoch | {"lr": metrics["history"][0]["lr"]}  # epoch 1 kept as it was


@pytest.mark.parametrize("argv, message", [
    (["--epochs", "0"], "expected --epochs to be an int >= 1, got 0"),
    (["--size", "20"], "expected --size to be an int >= 32, got 20"),
    (["--target-miou", "1.5"], r"expected --target-miou to be a number in \(0, 1\], got 1.5"),
    (["--lr", "0"], r"expected --lr to be a number in \(0, inf\), got 0.0"),
    (["--time-budget", "-3"], r"expected --time-budget to be a number in \(0, inf\), got -3.0"),
    (["--seed", "-1"], "expected --seed to be an int >= 0, got -1"),
    (["--batch-size", "0"], "expected --batch-size to be an int >= 1, got 0"),
    (["--resume"], "expected --out DIR with --resume"),
    (["--threads", "0"], "expected --threads to be an int >= 1, got 0"),
    (["--no-download"], "expected --data-root and --no-download only with --dataset oxford-pet, got them "
                        "with 'embedded'"),
    (["--dataset", "oxford-pet", "--no-download", "--data-root", "/nonexistent/pets"],
     "expected the Oxford-IIIT Pet files in /nonexistent/pets.* leave out --no-download"),
    (["--precision", "int8"], None),  # argparse's own message and exit
    # a 32 x 32 image cannot go down 6 times: the model says why
    (["--depth", "6"], r"expected a multiple of 2\*\*depth = 64"),
])
def test_bad_options_are_explained(argv, message, capsys):
    if message is None:
        with pytest.raises(SystemExit):
            _run(TINY + argv)
        assert "invalid choice: 'int8'" in capsys.readouterr().err
        return
    assert _run(TINY + argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("course train: ") and __import__("re").search(message, err), err


def _truncated(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _pickled(path):
    import pickle

    path.write_bytes(pickle.dumps(argparse.Namespace(evil=True)))


def _foreign(path):
    torch.save({"model": torch.nn.Linear(2, 2).state_dict()}, path)


def _other_model(path):
    assert _run(TINY + ["--epochs", "1", "--out", str(path.parent), "--base-channels", "4"]) == 0


@pytest.mark.parametrize("spoil, says", [
    (None, "expected a checkpoint to resume from at {path}, got none: leave out --resume to start a new run in "),
    (_truncated, "{path} is cut off or corrupt ("),
    (_pickled, "{path} holds more than tensors and numbers, so it is no checkpoint of course train"),
    (_foreign, "{path} is no checkpoint of this course train: expected format"),
    (_other_model, "{path} holds another model's weights ("),
])
def test_a_missing_or_bad_checkpoint_is_one_line_that_says_what_to_do(tmp_path, capsys, spoil, says):
    out = tmp_path / "run"
    path = out / "checkpoint.pt"
    if spoil is not None:
        assert _run(TINY + ["--epochs", "1", "--out", str(out)]) == 0
        spoil(path)
    capsys.readouterr()
    assert _run(TINY + ["--epochs", "2", "--out", str(out), "--resume"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("course train: " + says.format(path=path)), err
    assert len(err.strip().splitlines()) == 1 and "weights_only" not in err and "Traceback" not in err, err


def test_the_command_line_defaults_are_the_librarys():
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    args = parser.parse_args([])
    config, library = command._config(args), TrainConfig()
    for name in ("epochs", "lr", "loss", "class_weights", "seed", "stop_at_target", "time_budget"):
        assert getattr(config, name) == getattr(library, name), name
    assert parser.parse_args(["--no-stop-at-target"]).stop_at_target is False


def test_python_dash_m_runs_the_command(tmp_path):
    done = subprocess.run([sys.executable, "-m", "course.train.command", *TINY, "--epochs", "1",
                           "--out", str(tmp_path / "cli")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "best validation mIoU" in done.stdout
    assert (tmp_path / "cli" / "metrics.json").is_file()
    bad = subprocess.run([sys.executable, "-m", "course.train.command", "--dataset", "mnist"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "invalid choice: 'mnist'" in bad.stderr
