"""`course grade` on the adversarial corpus (tests/adversarial): one sandboxed run with
--jobs 2 grades every entry; each test then checks one row of grades.csv, and that nothing
outside the sandbox was read or changed."""

import hashlib
import html
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from course import cli
from course.grading.report import read_csv
from course.grading.sandbox import UID_LEASES, bwrap_path
from tests import lms_names
from tests.adversarial import corpus
from tests.conftest import ROOT

pytestmark = [pytest.mark.notebook,
              pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap is not installed")]
CELL_TIMEOUT, NOTEBOOK_TIMEOUT = 8, 40
SECRET, CANARY_VALUE = "COURSE_INSTRUCTOR_SECRET", "instructor-secret-4f1c"


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def grade(*args, root=ROOT):
    return cli.main(["--root", str(root), "grade", "--jobs", "2", "--timeout", str(CELL_TIMEOUT),
                     "--notebook-timeout", str(NOTEBOOK_TIMEOUT), *map(str, args)])  # later options win


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("grading")
    root, subs, out = instructor_copy(base / "course"), base / "submissions", base / "out"
    for student, (build, _) in corpus.ATTACKS.items():
        corpus.write(build(), subs / student / corpus.LESSON / corpus.NOTEBOOK)
    canary = base / "canary.txt"
    canary.write_text(corpus.CANARY)
    gradebook = root / "autograder" / "gradebook.db"
    targets = {
        "read": {"solutions": root / "solutions" / corpus.LESSON / corpus.NOTEBOOK, "canary": canary,
                 "repository's solutions": ROOT / "solutions" / corpus.LESSON / corpus.NOTEBOOK,
                 "other student": subs / "full" / corpus.LESSON / corpus.NOTEBOOK, "gradebook": gradebook,
                 "grades": out / "grades.csv", "results": out / "results" / "full" / f"{corpus.LESSON}.json",
                 "system secrets": "/etc/shadow"},
        "write": {"course package": ROOT / "course" / "HACKED", "out": out / "HACKED", "submissions": subs / "HACKED",
                  "solutions": root / "solutions" / "HACKED"},
    }
    targets = {kind: {k: str(v) for k, v in paths.items()} for kind, paths in targets.items()}
    corpus.write(corpus.snoop(targets), subs / "snoop" / corpus.LESSON / corpus.NOTEBOOK)
    broken = corpus.write_broken_files(subs)
    # LMS names: the victim's own file, and one whose name also carries the victim's id
    corpus.write(corpus.solved(), subs / "Victim Person_222_assignsubmission_file_segmentation.ipynb")
    corpus.write(corpus.cheat("guardkiller"),
                 subs / "Mallory Evil_111_assignsubmission_file_Victim Person_222_assignsubmission_file_segmentation.ipynb")
    for path in lms_names.MATCHED:  # a class's worth of real download names, every one solved
        if path.endswith(".zip"):
            (subs / path).parent.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(subs / path, "w") as archive:
                archive.writestr(lms_names.ZIP_MEMBER, json.dumps(corpus.solved()))
        else:
            corpus.write(corpus.solved(), subs / path)
    for path in lms_names.UNMATCHED:
        (subs / path).parent.mkdir(parents=True, exist_ok=True)
        (subs / path).write_text("{}")
    instructor = subs / "instructor" / corpus.LESSON  # the instructor grades their own solution, to try the grader
    instructor.mkdir(parents=True)
    shutil.copy(root / "solutions" / corpus.LESSON / corpus.NOTEBOOK, instructor / corpus.NOTEBOOK)
    (subs / "symlinker").mkdir()
    (subs / "symlinker" / corpus.LESSON).symlink_to(subs / "full" / corpus.LESSON, target_is_directory=True)
    before = {"solutions": tree_digest(root / "solutions"), "lessons": tree_digest(root / "lessons"),
              "gradebook": hashlib.sha256(gradebook.read_bytes()).hexdigest()}
    os.environ[SECRET] = CANARY_VALUE  # the instructor's environment, which the sandbox must not show
    try:
        code = grade(subs, "--output", out, root=root)
    finally:
        del os.environ[SECRET]
    rows = read_csv(out / "grades.csv")
    yield {"base": base, "root": root, "subs": subs, "out": out, "code": code, "rows": rows, "targets": targets,
           "before": before, "broken": broken}


def instructor_copy(root: Path) -> Path:
    """A copy of the course whose instructor recorded lesson 01 in autograder/gradebook.db."""
    from nbgrader.apps import NbGraderAPI

    from course.workspace import _put_python_scripts_on_path, load_config

    _put_python_scripts_on_path()  # nbgrader runs alembic from PATH
    for folder in ("solutions", "lessons", "autograder"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns(
            ".ipynb_checkpoints", "gradebook.db", "submitted", "autograded", "feedback"))
    api = NbGraderAPI(config=load_config(root))
    assert api.generate_assignment(corpus.LESSON, force=True, create=True)["success"]
    return root


def row(graded, student):
    matches = [r for r in graded["rows"] if r["student_id"] == student]
    assert len(matches) == 1, f"expected one row for {student}, got {matches}"
    return matches[0]


def test_the_batch_exits_0_and_has_one_row_per_submission_and_unmatched_file(graded):
    assert graded["code"] == 0
    students = {r["student_id"] for r in graded["rows"] if r["status"] != "unmatched"}
    lms_class = {student for student, _, _ in lms_names.MATCHED.values()}
    assert students == set(corpus.ATTACKS) | {"snoop", "222", "instructor"} | set(graded["broken"]) | lms_class
    unmatched = {r["source"]: r["message"] for r in graded["rows"] if r["status"] == "unmatched"}
    ambiguous = "Mallory Evil_111_assignsubmission_file_Victim Person_222_assignsubmission_file_segmentation.ipynb"
    assert sorted(unmatched) == sorted(["notes.txt", ambiguous, f"symlinker/{corpus.LESSON}", *lms_names.UNMATCHED])
    assert "not a .ipynb or .zip file" in unmatched["notes.txt"]
    assert "ambiguous: the name carries the participant ids 111 and 222" in unmatched[ambiguous]
    assert "a symbolic link, refused" in unmatched[f"symlinker/{corpus.LESSON}"]


def test_every_name_a_real_download_gives_is_graded_under_its_students_id_and_name(graded):
    rows = {r["student_id"]: r for r in graded["rows"] if r["status"] != "unmatched"}
    for path, (student, name, lms) in lms_names.MATCHED.items():
        r = rows[student]
        assert (r["status"], float(r["score"]), r["student_name"], r["lms"]) == ("graded", 9.0, name, lms), (path, r)
    unmatched = {r["source"]: r for r in graded["rows"] if r["status"] == "unmatched"}
    for path, (student, says) in lms_names.UNMATCHED.items():
        assert (unmatched[path]["student_id"], says in unmatched[path]["message"]) == (student, True), unmatched[path]
    ids = [r["student_id"] for r in graded["rows"]]
    assert ids == sorted(ids, key=lambda i: (not i, i)), "rows come by student id, rows without one last"


def test_the_instructors_own_solution_gets_full_marks_and_a_calm_note(graded):
    r = row(graded, "instructor")
    assert (r["status"], float(r["score"]), r["message"]) == ("graded", 9.0, ""), r
    assert r["notes"] == "the notebook holds the hidden tests (an instructor's copy?): graded with the gradebook's " \
                         "tests as usual", r


def test_a_name_with_another_students_id_never_takes_over_that_students_row(graded):
    r = row(graded, "222")
    assert (r["status"], float(r["score"])) == ("graded", 9.0), r
    assert r["source"] == "Victim Person_222_assignsubmission_file_segmentation.ipynb"


@pytest.mark.parametrize("student", list(corpus.ATTACKS))
def test_each_attack_gets_the_status_and_score_it_deserves(graded, student):
    expected = corpus.ATTACKS[student][1]
    r = row(graded, student)
    assert (r["status"], float(r["score"]), float(r["max_score"])) == (expected["status"], expected["score"], 9.0), r


def test_rows_say_what_happened(graded):
    assert "calls course.metrics.confusion_matrix, the course's own version of confusion_matrix" in row(graded, "copier")["notes"]
    assert "calls course.metrics.iou_per_class, the course's own version of iou_per_class" in row(graded, "copier")["notes"]
    assert "rebinds course.checks._observe" in row(graded, "silencer")["notes"]
    assert "converted from nbformat 2" in row(graded, "olderformat")["notes"]
    assert "edited nbgrader metadata restored" in row(graded, "badmetadata")["notes"]
    assert "confusion-matrix-visible-tests" in row(graded, "deleter")["message"]
    assert "iou-per-class-hidden-tests" in row(graded, "deleter")["message"]
    assert "confusion-matrix-hidden-tests" in row(graded, "editor")["message"]
    assert "free-points" in row(graded, "metadata")["notes"]
    assert "mean-iou-visible-tests is out of place" in row(graded, "reorderer")["message"]
    assert "appear twice, the last copy is graded: mean-iou" in row(graded, "duplicates")["notes"]
    assert "converted from nbformat 3" in row(graded, "oldformat")["notes"]
    assert f"longer than {CELL_TIMEOUT} s" in row(graded, "loop")["message"]
    assert f"stopped answering for more than {CELL_TIMEOUT} s" in row(graded, "sleeper")["message"]
    assert "kernel died" in row(graded, "killer")["message"]
    forks = nbformat.read(graded["out"] / "autograded" / "forkbomb" / corpus.LESSON / corpus.NOTEBOOK, as_version=4)
    assert any(o.get("ename") == "BlockingIOError" for c in forks.cells if "os.fork()" in c.source
               for o in c.get("outputs", [])), "the fork bomb never reached the process limit"
    assert "out of memory" in row(graded, "memorybomb")["message"]
    assert "MB of output" in row(graded, "flood")["message"]
    assert row(graded, "partial")["exercises"] == "confusion-matrix=3/3; iou-per-class=0/3; mean-iou=0/3"


@pytest.mark.parametrize("student", ["corrupt", "blank", "bomber"])
def test_broken_files_are_rows_not_crashes(graded, student):
    r = row(graded, student)
    assert (r["status"], r["lesson"], float(r["score"])) == (graded["broken"][student]["status"], corpus.LESSON, 0.0)
    assert graded["broken"][student].get("message", "") in r["message"]


def test_the_sandbox_denied_every_read_write_and_connection(graded):
    r = row(graded, "snoop")
    assert (r["status"], float(r["score"])) == ("graded", 9.0), r
    nb = nbformat.read(graded["out"] / "autograded" / "snoop" / corpus.LESSON / corpus.NOTEBOOK, as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "LEAKED" not in text, text
    attempts = {*graded["targets"]["read"], *graded["targets"]["write"], "network 1.1.1.1", "network pypi.org"}
    assert {a for a in attempts if f"DENIED {a}" not in text} == set(), text
    for path in graded["targets"]["write"].values():
        assert not Path(path).exists(), f"the sandbox let a student create {path}"


def test_the_tests_came_from_the_instructors_gradebook_and_nothing_outside_was_altered(graded):
    root = graded["root"]
    assert tree_digest(root / "solutions") == graded["before"]["solutions"]
    assert tree_digest(root / "lessons") == graded["before"]["lessons"]
    gradebook = root / "autograder" / "gradebook.db"
    assert hashlib.sha256(gradebook.read_bytes()).hexdigest() == graded["before"]["gradebook"]
    record = json.loads((graded["out"] / "results" / "full" / f"{corpus.LESSON}.json").read_text())
    assert record["tests_from"] == f"gradebook {gradebook}"
    assert (graded["base"] / "canary.txt").read_text() == corpus.CANARY
    assert not list(graded["out"].glob(".staging/*")), "staging folders left behind"


def test_no_student_process_survives_the_batch(graded):
    assert _sandbox_processes() == [], "processes of the sandbox users still run"


def _sandbox_processes(grader: int | None = None) -> list[Path]:
    """Live processes of the sandbox uids last leased by the grading process ``grader`` (default:
    this one), whose pid their lease file names; other runs (other pytest workers) hold others."""
    grader = os.getpid() if grader is None else grader
    uids = {int(f.stem) for f in UID_LEASES.glob("*.lock") if f.read_text().split() == [str(grader)]}
    assert uids or os.geteuid() != 0, f"no sandbox uid lease in {UID_LEASES} names the grader {grader}"
    return [p for p in Path("/proc").iterdir() if p.name.isdigit() and _uid(p) in uids]


def _uid(proc: Path):
    try:
        return proc.stat().st_uid
    except OSError:
        return None


def test_feedback_for_every_row_inert_and_without_hidden_code(graded):
    solution = nbformat.read(graded["root"] / "solutions" / corpus.LESSON / corpus.NOTEBOOK, as_version=4)
    hidden = [line.strip() for c in solution.cells if "BEGIN HIDDEN TESTS" in c.source
              for line in c.source.split("BEGIN HIDDEN TESTS")[1].split("END HIDDEN TESTS")[0].splitlines()
              if len(line.strip()) > 30]
    assert hidden, "found no hidden test code to look for"
    for r in graded["rows"]:
        if r["status"] == "unmatched":
            continue
        feedback = list((graded["out"] / "feedback" / r["student_id"] / corpus.LESSON).glob("*.html"))
        assert len(feedback) == 1, f"no feedback for {r['student_id']}"
        page = feedback[0].read_text()
        assert "Content-Security-Policy" in page and "default-src 'none'" in page, r["student_id"]
        assert "<script" not in page.lower(), r["student_id"]
        assert not [h for h in hidden if html.escape(h) in page or h in page], f"hidden code in {r['student_id']}'s feedback"
        assert f"Score: <strong>{float(r['score']):g} / {float(r['max_score']):g}</strong>" in page, r["student_id"]
        assert len(page) < 1_000_000, f"{r['student_id']}'s feedback page is {len(page)} bytes"
        if r["exercises"]:
            assert (graded["out"] / "autograded" / r["student_id"] / corpus.LESSON / corpus.NOTEBOOK).is_file()


def test_what_the_sandbox_writes_stays_small_and_shows_nothing_of_the_instructor(graded):
    out = graded["out"]
    sizes = {p: p.stat().st_size for p in out.rglob("*") if p.is_file()}
    assert max(sizes.values()) < 24 * 2**20, max(sizes.items(), key=lambda kv: kv[1])
    assert sum(sizes.values()) < 200 * 2**20
    log = (out / "logs" / "stderrflood" / corpus.LESSON / "kernel.log").read_text()
    assert len(log) < 1.1 * 2**20 and "more bytes of the kernel's output dropped" in log
    environ = nbformat.read(out / "autograded" / "environ" / corpus.LESSON / corpus.NOTEBOOK, as_version=4)
    shown = json.dumps([c.get("outputs", []) for c in environ.cells])
    assert "COURSE_FAST" in shown, "the environ entry printed nothing"
    assert CANARY_VALUE not in shown and SECRET not in shown
    nb = nbformat.read(out / "autograded" / "filler" / corpus.LESSON / corpus.NOTEBOOK, as_version=4)
    printed = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "/ipc full: OSError" in printed and "/tmp full: OSError" in printed, printed[:2000]
    assert not [p for p in Path(tempfile.gettempdir()).rglob("filler") if p.is_file()], "the filler reached the host's disk"


def test_the_grader_stays_small_while_a_kernel_floods_its_output(graded):
    flood, normal = (json.loads((graded["out"] / "results" / student / f"{corpus.LESSON}.json").read_text())
                     ["worker_max_rss_mb"] for student in ("iopubflood", "full"))
    assert flood < normal + corpus.FLOOD_MB / 2, (flood, normal)  # keeping the flood would take FLOOD_MB more


def test_a_rerun_grades_nothing_and_a_changed_submission_is_regraded_with_history(graded, capsys):
    out, subs, root = graded["out"], graded["subs"], graded["root"]
    records = {p: p.read_text() for p in (out / "results").glob("*/*.json")}
    assert grade(subs, "--output", out, root=root) == 0
    assert "graded 0, unchanged" in capsys.readouterr().out
    assert {p: p.read_text() for p in (out / "results").glob("*/*.json")} == records

    old = json.loads((out / "results" / "partial" / f"{corpus.LESSON}.json").read_text())
    corpus.write(corpus.solved(["confusion-matrix", "iou-per-class"]), subs / "partial" / corpus.LESSON / corpus.NOTEBOOK)
    for student in [s for s in os.listdir(subs) if s not in ("partial", "full")]:
        shutil.rmtree(subs / student) if (subs / student).is_dir() else (subs / student).unlink()
    assert grade(subs, "--output", out, root=root) == 0
    assert "graded 1, unchanged 1" in capsys.readouterr().out
    rows = {r["student_id"]: r for r in read_csv(out / "grades.csv")}
    assert float(rows["partial"]["score"]) == 6.0
    assert float(rows["empty"]["score"]) == 0.0, "results of students no longer in the folder are kept"
    history = list((out / "history" / "partial" / corpus.LESSON).glob("*/record.json"))
    assert [json.loads(h.read_text())["score"] for h in history] == [old["score"]]
    assert (history[0].parent / "autograded" / corpus.NOTEBOOK).is_file()


def test_instructor_mistakes_exit_2_with_a_message(graded, tmp_path, capsys):
    assert grade(tmp_path / "missing", "--output", tmp_path / "out") == 2
    assert "expected SUBMISSIONS to be a folder" in capsys.readouterr().err
    assert grade(graded["subs"], "--output", tmp_path / "out", "--lesson", "99-nope") == 2
    assert "unknown 99-nope" in capsys.readouterr().err


def test_without_bubblewrap_grading_refuses_unless_told(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("course.grading.runner.bwrap_path", lambda: None)
    (tmp_path / "subs").mkdir()
    assert grade(tmp_path / "subs", "--output", tmp_path / "out") == 2
    assert "--no-sandbox" in capsys.readouterr().err
    assert grade(tmp_path / "subs", "--output", tmp_path / "out", "--no-sandbox") == 0
    assert "WARNING: --no-sandbox" in capsys.readouterr().err


def test_a_killed_run_loses_nothing_and_the_rerun_stops_a_slow_submission(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    for student in ("a-first", "b-second"):
        corpus.write(corpus.solved(), subs / student / corpus.LESSON / corpus.NOTEBOOK)
    command = [sys.executable, "-m", "course.cli", "--root", str(ROOT), "grade", str(subs), "--output", str(out)]
    run = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = out / "results" / "a-first" / f"{corpus.LESSON}.json"
    deadline = time.monotonic() + 300
    while not first.exists() and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    record = first.read_text()
    assert json.loads(record)["score"] == 9.0
    time.sleep(1)
    workers = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _cwd(p).startswith(str(out))]
    assert workers == [], "a worker outlived the killed run"
    assert _sandbox_processes(run.pid) == [], "a sandboxed kernel outlived the killed run"
    rows = read_csv(out / "grades.csv")
    assert [r["student_id"] for r in rows] == ["a-first"]

    assert grade(subs, "--output", out, "--notebook-timeout", "2") == 0
    rows = {r["student_id"]: r for r in read_csv(out / "grades.csv")}
    assert first.read_text() == record, "the committed result was graded again"
    assert (rows["b-second"]["status"], rows["b-second"]["score"]) == ("timeout", "0")
    assert "longer than 2 s" in rows["b-second"]["message"]
    assert not list((out / ".staging").glob("*"))


def test_ctrl_c_stops_at_once_with_one_line_and_keeps_what_was_graded(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    corpus.write(corpus.solved(), subs / "a-first" / corpus.LESSON / corpus.NOTEBOOK)
    corpus.write(corpus.ATTACKS["loop"][0](), subs / "b-endless" / corpus.LESSON / corpus.NOTEBOOK)
    command = [sys.executable, "-m", "course.cli", "--root", str(ROOT), "grade", str(subs), "--output", str(out)]
    run = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True)
    deadline = time.monotonic() + 300
    while not (out / "results" / "a-first").exists() and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2)  # b-endless is in its endless cell now
    os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    try:
        stderr = run.communicate(timeout=20)[1]
    finally:
        os.killpg(run.pid, signal.SIGKILL) if run.poll() is None else None
    assert run.returncode == 130, stderr
    assert stderr.strip() == f"course grade: interrupted: 1 graded and saved in {out}, 1 not graded; run the " \
                             "same command again to grade those", stderr
    time.sleep(1)
    assert _sandbox_processes(run.pid) == [], "a sandboxed kernel outlived Ctrl-C"
    assert [r["student_id"] for r in read_csv(out / "grades.csv")] == ["a-first"]
    assert not list((out / ".staging").glob("*")) and not (out / "results" / "b-endless").exists()


def _cwd(proc: Path) -> str:
    try:
        return os.readlink(proc / "cwd")
    except OSError:
        return ""
