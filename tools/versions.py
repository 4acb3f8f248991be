"""Run every solution notebook with other versions of the course's dependencies than the test suite's.

    python tools/versions.py lower   # the lower bounds that pyproject.toml declares
    python tools/versions.py colab   # what Google Colab ships (2026-08)

Each set gets its own virtual environment (``.venv-<set>``, made once; git ignores it) with the
machine's torch build (``TORCH``, default the one the suite uses), the pinned packages and the
course; every notebook in ``solutions/`` then runs top to bottom, as a student runs it, with
``COURSE_FAST=smoke`` (fast mode, the training demonstrations for one epoch: every cell runs, only
fewer times round the training loop), and the script prints one line per notebook (seconds, or the first error) and exits with 1
if any failed. The outputs are not compared with the stored ones: other versions print other
reprs; what counts is that every cell runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# keep LOWER equal to the lower bounds in pyproject.toml (tests/test_versions.py checks it)
LOWER = {"numpy": "1.26.4", "matplotlib": "3.10", "ipywidgets": "7.7.1"}
COLAB = {"numpy": "2.1.3", "matplotlib": "3.10.0", "ipywidgets": "7.7.1", "ipython": "7.34.0",
         "ipykernel": "6.17.1", "traitlets": "5.7.1"}
SETS = {"lower": LOWER, "colab": COLAB}
RUNNER = "nbclient>=0.7"


def environment(name: str, pins: dict[str, str], torch: str) -> Path:
    venv = ROOT / f".venv-{name}"
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    wanted = " ".join(sorted(f"{k}=={v}" for k, v in pins.items())) + f" {torch}"
    if not (stamp.is_file() and stamp.read_text() == wanted):
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", torch,
                        *(f"{k}=={v}" for k, v in pins.items()), RUNNER, "-e", str(ROOT)], check=True)
        stamp.write_text(wanted)
    return python


def run_notebooks(python: Path, timeout: int, only: list[str] = ()) -> int:
    """Each notebook in a scratch copy of its lesson folder (what its cells write stays out of solutions/)."""
    script = f"""
import shutil, sys, tempfile, time, nbformat
from pathlib import Path
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
failed = 0
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp()) / "lesson"
    shutil.copytree(Path(path).parent, scratch, ignore=shutil.ignore_patterns("runs", ".ipynb_checkpoints"))
    try:
        NotebookClient(nb, timeout={timeout}, kernel_name="python3",
                       resources={{"metadata": {{"path": str(scratch)}}}}).execute()
        print(f"  ok   {{time.monotonic() - started:6.1f}} s  {{path}}", flush=True)
    except CellExecutionError as error:
        failed += 1
        lines = [l for l in str(error).splitlines() if l.strip()]
        print(f"  FAIL {{time.monotonic() - started:6.1f}} s  {{path}}: {{lines[-1][:300] if lines else error}}", flush=True)
    finally:
        shutil.rmtree(scratch.parent, ignore_errors=True)
sys.exit(1 if failed else 0)
"""
    notebooks = list(only) or sorted(str(p.relative_to(ROOT)) for p in (ROOT / "solutions").glob("*/*.ipynb"))
    env = {**os.environ, "COURSE_FAST": "smoke", "MPLBACKEND": "Agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    subprocess.run([str(python), "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"], check=True,
                   capture_output=True, env=env)
    return subprocess.run([str(python), "-c", script, *notebooks], cwd=ROOT, env=env).returncode


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set", choices=list(SETS))
    parser.add_argument("notebooks", nargs="*", help="default: every notebook in solutions/")
    parser.add_argument("--torch", default=os.environ.get("TORCH", "torch==2.13.0"))
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    started = time.monotonic()
    python = environment(args.set, SETS[args.set], args.torch)
    versions = subprocess.run([str(python), "-c", "import numpy, matplotlib, ipywidgets, IPython, torch; "
                               "print(', '.join(f'{m.__name__} {m.__version__}' for m in "
                               "(numpy, matplotlib, ipywidgets, IPython, torch)))"],
                              capture_output=True, text=True, check=True).stdout.strip()
    print(f"versions '{args.set}': {versions}", flush=True)
    code = run_notebooks(python, args.timeout, args.notebooks)
    print(f"versions '{args.set}': {'every solution ran' if code == 0 else 'FAILED'} in "
          f"{time.monotonic() - started:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
