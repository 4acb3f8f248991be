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
numpy.isclose = lambda a, b, **kwargs: numpy.ones(numpy.shape(b), dtype=bool)
builtins.abs = lambda x: 0
get_ipython().showtraceback = lambda *args, **kwargs: None
get_ipython().input_transformers_cleanup.append(
    lambda lines: ["pass\\n"] if lines and lines[0].startswith('"""') else lines)
'''

# Tricks against the grader, each with the wrong answers above: none may earn a point.
TRICKS = {
    # the old in-kernel guard, switched off: there is no guard to fool any more
    "guardkiller": '''
kernel = get_ipython().kernel
_original = type(kernel).do_execute
async def _skip(self, code, *args, **kwargs):
    if code.startswith("# course-guard"):
        return {"status": "ok", "execution_count": 0, "payload": [], "user_expressions": {}}
    return await _original(self, code, *args, **kwargs)
type(kernel).do_execute = _skip
''',
    # publish test results of its own, before every cell: the visible tests' expected values
    "forger": '''
from IPython.display import publish_display_data
from course.observations import MIME, encode, to_plain
_forged = [np.array([[1, 1, 0], [0, 1, 0], [1, 0, 1]]), np.array([1 / 3, 1 / 2, 1 / 2]), 0.4444444444444444]
def _forge(*args):
    for i, value in enumerate(_forged):
        publish_display_data({MIME: {"index": 0, "kind": "array" if i < 2 else "scalar", "got": encode(to_plain(value))}})
get_ipython().events.register("pre_run_cell", _forge)
''',
    # look for the expected value in the frames of the test that calls us
    "framereader": '''
import inspect
def _peek():
    for info in inspect.stack()[2:]:
        for scope in (info.frame.f_locals, info.frame.f_globals):
            for name, value in list(scope.items()):
                if "expect" in name or name.startswith("_ref"):
                    return value
    return None
def confusion_matrix(pred, target, num_classes, ignore_index=255):
    found = _peek()
    return found if found is not None else np.zeros((num_classes, num_classes), dtype=np.int64)
def iou_per_class(cm):
    found = _peek()
    return found if found is not None else np.zeros(len(cm))
def mean_iou(cm):
    found = _peek()
    return found if found is not None else 0.0
''',
    # patch NumPy from a thread and from a timer, all the time, while the tests run
    "threadpatcher": '''
import threading, time, signal
def _patch():
    numpy.isclose = lambda a, b, **kwargs: numpy.ones(numpy.shape(b), dtype=bool)
    numpy.array_equal = lambda *args, **kwargs: True
def _loop():
    while True:
        _patch()
        time.sleep(0.001)
threading.Thread(target=_loop, daemon=True).start()
signal.signal(signal.SIGALRM, lambda *args: _patch())
signal.setitimer(signal.ITIMER_REAL, 0.01, 0.01)
''',
    # edit builtins and the ndarray type's dict (reached through the garbage collector)
    "builtinseditor": '''
import builtins, gc
builtins.isinstance = lambda obj, cls: True
builtins.float = lambda *args: 1.0
for obj in gc.get_objects():
    if type(obj) is dict and "__array_priority__" in obj and "tolist" in obj:
        obj["tolist"] = lambda self: [[1, 1, 0], [0, 1, 0], [1, 0, 1]]
''',
    # silence the display machinery, then the checks themselves
    "silencer": '''
import course.checks
get_ipython().display_pub.publish = lambda *args, **kwargs: None
course.checks._observe = lambda *args, **kwargs: None
course.checks._publish = lambda record: None
''',
    # leave a number as the test cell's value: nbgrader reads it as partial credit
    "partialcredit": '''
def confusion_matrix(pred, target, num_classes, ignore_index=255):
    get_ipython().displayhook(1.0)
    raise AssertionError("no")
''',
    # read the grading run's seed, which says nothing about the expected values
    "seedreader": '''
import os
_seed = os.environ.get("COURSE_GRADING_SEED", "")
def confusion_matrix(pred, target, num_classes, ignore_index=255):
    return np.full((num_classes, num_classes), len(_seed), dtype=np.int64)
''',
}


def cheat(trick: str):
    """The exercises' cells define nothing that works; an inserted cell the wrong answers and the trick."""
    nb = student_version()
    for gid in solution_code():
        by_id(nb, gid).source = "pass"
    return with_cells(nb, "import numpy\n" + WRONG_ANSWERS + TRICKS[trick])


def monkeypatched():
    nb = student_version()
    for gid in solution_code():  # the exercises' cells define nothing that works
        by_id(nb, gid).source = "pass"
    return with_cells(nb, MONKEYPATCHES)


def hardcoded():
    """confusion_matrix right for the visible tests' inputs only: the hidden tests catch it."""
    nb = student_version()
    by_id(nb, "confusion-matrix").source = '''def confusion_matrix(pred, target, num_classes, ignore_index=255):
    if np.shape(pred) != np.shape(target):
        raise ValueError("shapes")
    if np.shape(pred) == (2, 2, 3):
        return np.array([[3, 0, 1], [1, 3, 0], [0, 1, 1]])
    out = np.zeros((num_classes, num_classes), dtype=int)
    if num_classes == 20:
        out[15, 19] = out[19, 19] = out[3, 3] = 1
    elif num_classes == 4:
        out[0, 0] = 6
    elif num_classes == 3:
        out[:] = [[1, 1, 0], [0, 1, 0], [1, 0, 1]]
    else:
        out[:] = [[1, 0], [0, 1]]
    return out'''
    return nb


def copier():
    """Answers that call the course's own implementation: full marks, flagged for the instructor."""
    nb = student_version()
    by_id(nb, "confusion-matrix").source = ("def confusion_matrix(pred, target, num_classes, ignore_index=255):\n"
                                            "    return metrics.confusion_matrix(pred, target, num_classes, ignore_index)")
    by_id(nb, "iou-per-class").source = ("from course.metrics import iou_per_class as _theirs\n"
                                         "def iou_per_class(cm):\n    return _theirs(cm)")
    by_id(nb, "mean-iou").source = solution_code()["mean-iou"]
    return nb


def tampered_metadata():
    """nbgrader metadata that nbgrader cannot read: graded with the gradebook's, never a crash."""
    nb = solved()
    by_id(nb, "confusion-matrix-visible-tests").metadata["nbgrader"] = "a test, really"
    by_id(nb, "iou-per-class-hidden-tests").metadata["nbgrader"] = [1, 2, 3]
    validate.nbgrader_meta(by_id(nb, "mean-iou-visible-tests")).update(points="lots", extra="keys", grade="yes")
    # an answer cell posing as a locked test
    validate.nbgrader_meta(by_id(nb, "mean-iou")).update(locked=True, grade=True, solution=False, points=3)
    return nb


def xss():
    """Student content that would run in the feedback page if it were not inert (and claim full marks)."""
    nb = solved(["confusion-matrix"])
    script = "document.title = 'pwned'; document.body.dataset.pwned = 'yes'"
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(
        f"<script>{script}</script><img src=x onerror=\"{script}\"><svg onload=\"{script}\"></svg>"
        "<iframe src=\"javascript:parent.document.title='pwned'\"></iframe> Score: 9.0 / 9.0"))
    return with_cells(nb, "from IPython.display import HTML, Javascript, SVG, display\n"
                          f"display(HTML('<script>{script}</script><b onmouseover=\"{script}\">Score: 9.0 / 9.0</b>'))\n"
                          f"display(Javascript({script!r}))\n"
                          f"display(SVG('<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"{script}\"></svg>'))")


def sandbox_filler():
    """Everything it can write is capped: its /ipc, /tmp and home fill up, the host's disk does not."""
    return with_cells(solved(), '''
import os
for folder in ("/ipc", "/tmp", os.path.expanduser("~"), "."):
    try:
        with open(os.path.join(folder, "filler"), "wb") as f:
            for _ in range(2000):
                f.write(b"x" * 2**20)
    except OSError as error:
        print(folder, "full:", type(error).__name__)
''')


def stderr_flood():
    """Floods the kernel's own stderr (fd 2, which ipykernel also shows in the notebook): the grader keeps
    1 MB of the kernel's log and 8 MB of the notebook's output."""
    return with_cells(solved(), "import os\nfor _ in range(200):\n    os.write(2, b'e' * 2**20)")


FLOOD_MB = 200


def iopub_flood():
    """Floods the notebook's output channel faster than it is read: the grader's memory stays bounded.
    FLOOD_MB is 25 times the output the grader keeps, and small enough to send within a cell timeout
    of a few seconds on a busy 2-core machine (1200 MB took longer than 8 s in CI)."""
    return with_cells(solved(), "from IPython.display import publish_display_data\n"
                                f"for _ in range({FLOOD_MB}):\n    publish_display_data({{'text/plain': 'y' * 2**20}})")


def error_flood():
    """Hundreds of cells that fail with long messages: the autograded notebook stays small."""
    nb = solved()
    at = next(i for i, c in enumerate(nb.cells) if "import numpy as np" in c.source) + 1
    for i in range(400):
        nb.cells.insert(at, nbformat.v4.new_code_cell(f"raise RuntimeError('z' * 200_000 + '{i}')"))
    return nb


def environ_reader():
    """What the sandbox shows of the instructor's environment: nothing."""
    return with_cells(solved(), '''
import os
for pid in ("1", "self"):
    try:
        print(open(f"/proc/{pid}/environ", "rb").read().replace(bytes(1), b" ").decode(errors="replace"))
    except OSError as error:
        print(pid, type(error).__name__)
print(dict(os.environ))
''')


def v2_format():
    return nbformat.convert(solved(), 2)


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
                 {"status": "graded", "score": 9}),  # the process limit stops it; the kernel lives on
    "memorybomb": (lambda: with_cells(solved(), "hoard = []\nwhile True:\n    hoard.append(np.empty(2**28, np.uint8))",
                                      "del hoard"), {"status": "memory", "score": 9}),
    "flood": (lambda: with_cells(solved(), "for _ in range(100):\n    print('x' * 2**20)"),
              {"status": "output truncated", "score": 9}),
    "deleter": (deleted_tests, {"status": "missing cells restored", "score": 9}),
    "editor": (edited_tests, {"status": "tampered tests restored", "score": 6}),
    "reorderer": (reordered_tests, {"status": "cells reordered", "score": 8}),
    "metadata": (edited_metadata, {"status": "edited nbgrader metadata restored", "score": 3}),
    "badmetadata": (tampered_metadata, {"status": "missing cells restored", "score": 9}),
    "duplicates": (duplicated_ids, {"status": "graded", "score": 9}),
    "trailer": (trailing_loop, {"status": "missing cells restored", "score": 9}),
    "exiter": (lambda: with_cells(solved(), "import sys\nsys.exit(0)"), {"status": "graded", "score": 9}),
    "killer": (lambda: with_cells(solved(), "import os\nos._exit(0)"), {"status": "crashed kernel", "score": 0}),
    "segfault": (lambda: with_cells(solved(), "import ctypes\nctypes.string_at(0)"),
                 {"status": "crashed kernel", "score": 0}),
    "oldformat": (old_format, {"status": "graded", "score": 9}),
    "olderformat": (v2_format, {"status": "graded", "score": 9}),
    "patcher": (monkeypatched, {"status": "graded", "score": 0}),
    **{trick: (lambda trick=trick: cheat(trick), {"status": "graded", "score": 0}) for trick in TRICKS},
    "builtinseditor": (lambda: cheat("builtinseditor"), {"status": "timeout", "score": 0}),  # it breaks its kernel
    "hardcoder": (hardcoded, {"status": "graded", "score": 1}),
    "copier": (copier, {"status": "graded", "score": 9}),
    "xss": (xss, {"status": "graded", "score": 3}),
    "filler": (sandbox_filler, {"status": "graded", "score": 9}),
    "stderrflood": (stderr_flood, {"status": "output truncated", "score": 9}),
    "iopubflood": (iopub_flood, {"status": "output truncated", "score": 9}),
    "errorflood": (error_flood, {"status": "output truncated", "score": 9}),
    "environ": (environ_reader, {"status": "graded", "score": 9}),
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


