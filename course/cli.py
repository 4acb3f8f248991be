"""The ``course`` command: maintenance of the course's notebooks.

    course release            regenerate lessons/ from solutions/ with nbgrader
    course release --check    fail if lessons/ is stale (CI runs this)
    course badges [--check]   restamp the Colab badge and setup cell of every solution
    course validate           check the authoring rules of every solution notebook
    course execute [NOTEBOOK ...]  re-run solutions in fast mode and store their outputs
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
    args = parser.parse_args(argv)

    from .workspace import find_root

    try:
        root = find_root(args.root)
    except FileNotFoundError as error:
        print(f"course: {error}", file=sys.stderr)
        return 2
    return {"release": _release, "badges": _badges, "validate": _validate,
            "execute": _execute}[args.command](root, args)


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


if __name__ == "__main__":
    sys.exit(main())
