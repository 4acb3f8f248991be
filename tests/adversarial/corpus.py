"""Generators of lesson-01 submissions: honest ones and attacks on the grader.

Every submission starts from the student version in ``lessons/`` with exercises filled in
from ``solutions/`` (without the solution markers), then gets its attack: cells inserted
after the imports, test cells deleted or edited, metadata edited, or a broken file.
``ATTACKS`` maps each student id to (builder, what the test expects).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import nbformat

from course import validate

ROOT = Path(__file__).resolve().parents[2]
LESSON = "01-segmentation"
NOTEBOOK = "segmentation.ipynb"
CANARY = "canary: the grader let a student read this"


def student_version():
    return nbformat.read(ROOT / "lessons" / LESSON / NOTEBOOK, as_version=4)


def solution_code() -> dict[str, str]:
    """The solution of every exercise, without nbgrader's solution markers."""
    sol = nbformat.read(ROOT / "solutions" / LESSON / NOTEBOOK, as_version=4)
    return {validate.nbgrader_meta(c)["grade_id"]: "\n".join(
        line for line in c.source.splitlines() if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
        for c in sol.cells if validate.is_solution_cell(c)}


def by_id(nb, grade_id):
    return next(c for c in nb.cells if validate.nbgrader_meta(c).get("grade_id") == grade_id)


def solved(exercises=None):
    """The student version with ``exercises`` (default: all) solved."""
    nb = student_version()
    for gid, code in solution_code().items():
        if exercises is None or gid in exercises:
            by_id(nb, gid).source = code
    return nb


def with_cells(nb, *sources):
    """``nb`` with code cells inserted after the imports (before the first exercise)."""
    at = next(i for i, c in enumerate(nb.cells) if "import numpy as np" in c.source) + 1
    for offset, source in enumerate(sources):
        nb.cells.insert(at + offset, nbformat.v4.new_code_cell(source))
    return nb


def snoop(paths: dict[str, str]):
    """Full marks, plus cells that try to read, write and connect out; each prints DENIED or LEAKED."""
    reads = "\n".join(f"try_read({name!r}, {path!r})" for name, path in paths["read"].items())
    writes = "\n".join(f"try_write({name!r}, {path!r})" for name, path in paths["write"].items())
    return with_cells(solved(), f'''
import os, socket
def try_read(name, path):
    try:
        with open(path, "rb") as f:
            f.read(100)
        print("LEAKED", name)
    except OSError as error:
        print("DENIED", name, type(error).__name__)
def try_write(name, path):
    try:
        with open(path, "w") as f:
            f.write("pwned")
        print("LEAKED", name)
    except OSError as error:
        print("DENIED", name, type(error).__name__)
{reads}
{writes}
for host, port in [("1.1.1.1", 53), ("pypi.org", 443)]:
    try:
        socket.create_connection((host, port), timeout=3).close()
        print("LEAKED network", host)
    except OSError as error:
        print("DENIED network", host, type(error).__name__)
''')


# Lesson 01's three exercises, answered wrongly.
WRONG_ANSWERS = '''
def confusion_matrix(pred, target, num_classes, ignore_index=255):
    return np.zeros((num_classes, num_classes), dtype=np.int64)
def iou_per_class(cm):
    return np.zeros(len(cm))
def mean_iou(cm):
    return 0.0
'''

MONKEYPATCHES = '''
import builtins, numpy
import course.checks
''' + WRONG_ANSWERS + '''# and everything that could make the tests accept these wrong answers
course.checks.check_array = lambda *args, **kwargs: None
course.checks.check_scalar = lambda *args, **kwargs: None
course.checks._fail = lambda *args, **kwargs: None
numpy.isclose = lambda a, b, **kwargs: numpy.ones(numpy.shape(b), dtype=bool)
builtins.abs = lambda x: 0  # check_scalar compares abs(got - expected) <= atol
get_ipython().showtraceback = lambda *args, **kwargs: None
get_ipython().input_transformers_cleanup.append(
    lambda lines: ["pass\\n"] if lines and lines[0].startswith('"""') else lines)
'''

GUARD_KILLER = '''
kernel = get_ipython().kernel
_original = type(kernel).do_execute
async def _skip(self, code, *args, **kwargs):
    if code.startswith("# course-guard"):
        return {"status": "ok", "execution_count": 0, "payload": [], "user_expressions": {}}
    return await _original(self, code, *args, **kwargs)
type(kernel).do_execute = _skip
import course.checks
course.checks.check_array = lambda *args, **kwargs: None
course.checks.check_scalar = lambda *args, **kwargs: None
''' + WRONG_ANSWERS


def monkeypatched():
    nb = student_version()
    for gid in solution_code():  # the exercises' cells define nothing that works
        by_id(nb, gid).source = "pass"
    return with_cells(nb, MONKEYPATCHES)


def guard_killer():
    nb = student_version()
    for gid in solution_code():
        by_id(nb, gid).source = "pass"
    return with_cells(nb, GUARD_KILLER)


def deleted_tests():
    nb = solved()
    nb.cells.remove(by_id(nb, "confusion-matrix-visible-tests"))
    nb.cells.remove(by_id(nb, "iou-per-class-hidden-tests"))
    return nb


def edited_tests():
    nb = solved(["iou-per-class", "mean-iou"])  # confusion_matrix left undone...
    by_id(nb, "confusion-matrix-visible-tests").source = '"""Visible tests."""\nprint("Visible tests passed.")'
    by_id(nb, "confusion-matrix-hidden-tests").source = '"""Hidden tests."""'  # ...and its tests emptied
    return nb


def reordered_tests():
    nb = solved()
    cell = by_id(nb, "mean-iou-visible-tests")
    nb.cells.remove(cell)
    nb.cells.insert(nb.cells.index(by_id(nb, "mean-iou")), cell)  # runs before mean_iou exists
    return nb


def edited_metadata():
    nb = solved(["confusion-matrix"])
    meta = validate.nbgrader_meta(by_id(nb, "confusion-matrix-visible-tests"))
    meta["points"], meta["checksum"] = 100, "0" * 32
    sol = validate.nbgrader_meta(by_id(nb, "iou-per-class"))
    sol.update(grade=True, points=50)  # a solution cell claiming points
    fake = nbformat.v4.new_code_cell('"""Free points."""\nprint("ok")')
    fake.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 1000,
                                 "grade_id": "free-points", "schema_version": 3}
    nb.cells.append(fake)
    return nb


def trailing_loop():
    """Full marks, its last test cell deleted, and an endless loop after the last test: the loop is
    never run, the deleted test is restored and graded."""
    nb = solved()
    nb.cells.remove(by_id(nb, "mean-iou-hidden-tests"))
    nb.cells.append(nbformat.v4.new_code_cell("while True:\n    pass"))
    return nb


def duplicated_ids():
    nb = solved()
    cell = by_id(nb, "mean-iou")
    copy = nbformat.from_dict(json.loads(json.dumps(cell)))  # Colab's copy: same id, same metadata
    copy.source = "def mean_iou(cm):\n    return -1.0"
    nb.cells.insert(nb.cells.index(cell), copy)
    return nb


def old_format():
    return nbformat.convert(solved(), 3)


ATTACKS = {
    "full": (lambda: solved(), {"status": "graded", "score": 9}),
    "partial": (lambda: solved(["confusion-matrix"]), {"status": "graded", "score": 3}),
    "empty": (student_version, {"status": "graded", "score": 0}),
    "loop": (lambda: with_cells(solved(), "while True:\n    pass"), {"status": "timeout", "score": 9}),
    "sleeper": (lambda: with_cells(solved(), "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                              "while True:  # deaf to interrupts, and never silent\n"
                                              "    print('still here', flush=True)\n    time.sleep(0.5)"),
                {"status": "timeout", "score": 0}),
    "forkbomb": (lambda: with_cells(solved(), "import os, time\nfor _ in range(100000):\n    if os.fork() == 0:\n"
                                              "        time.sleep(600)\n        os._exit(0)"),
                 {"status": "crashed kernel", "score": 0}),
    "memorybomb": (lambda: with_cells(solved(), "hoard = []\nwhile True:\n    hoard.append(np.empty(2**28, np.uint8))",
                                      "del hoard"), {"status": "memory", "score": 9}),
    "flood": (lambda: with_cells(solved(), "for _ in range(100):\n    print('x' * 2**20)"),
              {"status": "output truncated", "score": 9}),
    "deleter": (deleted_tests, {"status": "missing cells restored", "score": 9}),
    "editor": (edited_tests, {"status": "tampered tests restored", "score": 6}),
    "reorderer": (reordered_tests, {"status": "cells reordered", "score": 8}),
    "metadata": (edited_metadata, {"status": "edited nbgrader metadata restored", "score": 3}),
    "duplicates": (duplicated_ids, {"status": "graded", "score": 9}),
    "trailer": (trailing_loop, {"status": "missing cells restored", "score": 9}),
    "exiter": (lambda: with_cells(solved(), "import sys\nsys.exit(0)"), {"status": "graded", "score": 9}),
    "killer": (lambda: with_cells(solved(), "import os\nos._exit(0)"), {"status": "crashed kernel", "score": 0}),
    "segfault": (lambda: with_cells(solved(), "import ctypes\nctypes.string_at(0)"),
                 {"status": "crashed kernel", "score": 0}),
    "oldformat": (old_format, {"status": "graded", "score": 9}),
    "patcher": (monkeypatched, {"status": "graded", "score": 0}),
    "guardkiller": (guard_killer, {"status": "tampered kernel", "score": 0}),
}


def write(nb, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1))  # not nbformat.write: it would repair duplicated ids


def write_broken_files(folder: Path) -> dict[str, dict]:
    """LMS-style files that are not notebooks; returns what each row should say."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "corrupt_01-segmentation.ipynb").write_text('{"cells": [{"cell_type": "code", ')
    (folder / "blank_segmentation.ipynb").write_bytes(b"")
    with zipfile.ZipFile(folder / "bomber_01-segmentation.zip", "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("segmentation.ipynb", "w") as member:
            block = b"\0" * 2**20
            for _ in range(80):  # 80 MB of zeros, about 80 kB compressed
                member.write(block)
    (folder / "notes.txt").write_text("not a submission")
    return {"corrupt": {"status": "not a notebook"}, "blank": {"status": "not a notebook"},
            "bomber": {"status": "bad zip", "message": "zip bomb"}}


