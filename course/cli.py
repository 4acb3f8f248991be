"""The ``course`` command: maintenance of the course's notebooks.

    course release            regenerate lessons/ from solutions/ with nbgrader
    course release --check    fail if lessons/ is stale (CI runs this)
    course badges [--check]   restamp the Colab badge and setup cell of every solution
    course validate           check the authoring rules of every solution notebook
    course execute [NOTEBOOK ...]  re-run solutions in fast mode and store their outputs
    course grade SUBMISSIONS --output OUT [--jobs N]  autograde submissions in a sandbox
    course export GRADES_CSV --lms canvas|moodle  grades in the LMS's import format
    course check NOTEBOOK     run a notebook's visible tests and warn about what breaks grading
    course train [OPTIONS]    train a U-Net (embedded dataset by default): checkpoint, metrics, figures
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=None,
                        help="the course checkout (default: the one around the current folder)")
    sub = parser.add_subparsers(dest="command", required=True)
    rel = sub.add_parser("release", help="regenerate the student notebooks in lessons/ from solutions/")
    rel.add_argument("--check", action="store_true", help="only check that lessons/ is up to date")
    bad = sub.add_parser("badges", help="restamp Colab badges and setup cells (slug in course/colab.py)")
    bad.add_argument("--check", action="store_true", help="only check that they are up to date")
    sub.add_parser("validate", help="check the authoring rules of every solution notebook")
    exe = sub.add_parser("execute", help="re-run solution notebooks in fast mode and store their outputs")
    exe.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in solutions/")
    _add_grade(sub)
    exp = sub.add_parser("export", help="write course grade's grades.csv in Canvas's or Moodle's import format",
                         description="Write GRADES_CSV (course grade's grades.csv) as Canvas's gradebook import "
                                     "(canvas.csv) or Moodle's grading worksheets (moodle-<lesson>.csv), for the "
                                     "rows whose ids came from that LMS's file names. See autograder/README.md.")
    exp.add_argument("grades", type=Path, help="the grades.csv that course grade wrote")
    exp.add_argument("--lms", required=True, choices=("canvas", "moodle"))
    exp.add_argument("--output", "-o", type=Path, default=None, help="folder (default: the one of GRADES_CSV)")
    chk = sub.add_parser("check", help="run a notebook's visible tests in a fresh kernel and warn about "
                                       "what would break grading (never writes the notebook)")
    chk.add_argument("notebook", type=Path)
    chk.add_argument("--no-run", action="store_true", help="read the outputs already in the notebook instead")
    chk.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    from .train import command as train_command

    train_command.add_arguments(sub.add_parser(
        "train", help="train a U-Net (embedded dataset by default); writes checkpoint, metrics.json and figures"))
    args = parser.parse_args(argv)
    if args.command == "check":  # students run it anywhere, without a checkout
        return _check(args)
    if args.command == "train":  # needs no checkout either
        return train_command.run(args)
    if args.command == "export":
        return _export(args)

    from .workspace import find_root

    try:
        root = find_root(args.root)
    except FileNotFoundError as error:
        print(f"course: {error}", file=sys.stderr)
        return 2
    return {"release": _release, "badges": _badges, "validate": _validate,
            "execute": _execute, "grade": _grade}[args.command](root, args)


def _release(root: Path, args) -> int:
    from . import release

    if args.check:
        problems = release.stale(root)
        if problems:
            print(release.stale_message(problems), file=sys.stderr)
            return 1
        print("lessons/ is up to date with solutions/.")
        return 0
    changed = release.release(root)
    print(f"regenerated: {', '.join(changed)}" if changed else "lessons/ was already up to date.")
    return 0


def _badges(root: Path, args) -> int:
    import nbformat

    from . import colab

    stale = []
    for path in sorted((root / "solutions").glob("*/*.ipynb")):
        rel = path.relative_to(root).as_posix()
        nb = nbformat.read(path, as_version=4)
        if colab.stamp(nb, rel):
            stale.append(rel)
            if not args.check:
                nbformat.write(nb, path)
    if args.check and stale:
        print("stale Colab badges or setup cells in:\n  " + "\n  ".join(stale) +
              "\nRestamp them with `course badges`, then `course release`.", file=sys.stderr)
        return 1
    verb = "restamped" if stale else "all up to date"
    print(f"{verb}: {', '.join(stale)}" if stale else f"Colab badges and setup cells {verb}.")
    if stale:
        print("Now run `course release` so that lessons/ follows.")
    return 0


def _validate(root: Path, args) -> int:
    from .validate import check_tree

    problems = check_tree(root)
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print("every solution notebook follows the authoring rules.")
    return 1 if problems else 0


def _execute(root: Path, args) -> int:
    from .execute import refresh_outputs

    for path in args.notebooks or sorted((root / "solutions").glob("*/*.ipynb")):
        print(f"executing {path} ...", flush=True)
        refresh_outputs(path)
    print("Now run `course validate` and `course release`.")
    return 0


def _add_grade(sub) -> None:
    from .grading.sandbox import Limits

    gra = sub.add_parser("grade", help="autograde a folder of submissions: sandboxed, parallel, resumable",
                         description="Autograde every submission in SUBMISSIONS (nbgrader's <student>/<lesson>/ "
                                     "layout or an LMS download of .ipynb/.zip files) into OUT: grades.csv, "
                                     "feedback/, autograded/, results/ (the journal), history/. Rerunning "
                                     "grades only what is new or changed. See autograder/README.md.")
    gra.add_argument("submissions", type=Path)
    gra.add_argument("--output", "-o", type=Path, required=True, help="folder for grades.csv, feedback and notebooks")
    gra.add_argument("--jobs", "-j", type=int, default=1, help="submissions graded at once (default 1)")
    gra.add_argument("--timeout", type=int, default=300,
                     help="seconds per cell before it is interrupted (default 300: the lessons' training cells, in fast mode, on a busy 2-core machine)")
    gra.add_argument("--notebook-timeout", type=int, default=600,
                     help="seconds per submission before it is stopped (default 600)")
    gra.add_argument("--memory", type=int, default=Limits.memory_mb, help=f"MB of memory per kernel "
                                                                             f"(default {Limits.memory_mb})")
    gra.add_argument("--lesson", action="append", default=None, help="grade only this lesson (repeatable)")
    gra.add_argument("--gradebook", type=Path, default=None,
                     help="take tests from this nbgrader gradebook (default: autograder/gradebook.db if it "
                          "holds the lesson, else solutions/)")
    gra.add_argument("--force", action="store_true", help="grade everything again (old results go to history/)")
    gra.add_argument("--no-sandbox", action="store_true",
                     help="run student code without bubblewrap (DANGEROUS: only where bwrap cannot run)")


def _grade(root: Path, args) -> int:
    from .grading.runner import Interrupted, SandboxUnavailable, Settings, grade
    from .grading.sandbox import Limits

    try:
        settings = Settings(jobs=args.jobs, cell_timeout=args.timeout, notebook_timeout=args.notebook_timeout,
                            limits=Limits(memory_mb=args.memory), sandboxed=not args.no_sandbox, force=args.force)
        if args.no_sandbox:
            print("course grade: WARNING: --no-sandbox: student code runs with YOUR rights and can read, change "
                  "or delete anything you can (solutions, gradebook, other submissions). Only resource limits "
                  "apply.", file=sys.stderr)
        summary = grade(root, args.submissions, args.output, settings, only=args.lesson, gradebook=args.gradebook,
                        progress=lambda message: print(message, flush=True))
    except (FileNotFoundError, ValueError, SandboxUnavailable) as error:
        print(f"course grade: {error}", file=sys.stderr)
        return 2
    except Interrupted as stop:
        print(f"course grade: interrupted: {len(stop.summary.graded)} graded and saved in {args.output}, "
              f"{stop.left} not graded; run the same command again to grade those", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("course grade: interrupted before any submission was graded; nothing was changed", file=sys.stderr)
        return 130
    print(f"graded {len(summary.graded)}, unchanged {summary.unchanged}, unmatched files {summary.unmatched} "
          f"in {summary.seconds:.0f} s; see {args.output / 'grades.csv'}")
    return 0


def _export(args) -> int:
    from .grading.export import export

    try:
        result = export(args.grades, args.lms, args.output or args.grades.parent)
    except (FileNotFoundError, ValueError) as error:
        print(f"course export: {error}", file=sys.stderr)
        return 2
    print(result.text(args.lms))
    return 0


def _check(args) -> int:
    from .grading.check import check_notebook

    try:
        report = check_notebook(args.notebook, execute=not args.no_run, timeout=args.timeout)
    except (FileNotFoundError, ValueError) as error:
        print(f"course check: {error}", file=sys.stderr)
        return 2
    print(report.text())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
