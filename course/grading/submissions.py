"""Find the submissions in a folder: nbgrader's layout or a learning-management-system download.

Accepted layouts (documented in autograder/README.md):

* nbgrader's: ``SUBMISSIONS/<student_id>/<lesson>/<notebook>.ipynb``;
* a flat folder of ``.ipynb`` or ``.zip`` files whose names carry the student id and the
  lesson, in one of the :data:`PATTERNS`. The lesson part is the lesson's folder name
  (``01-segmentation``) or the name of its notebook (``segmentation``), optionally with a
  ``-N`` resubmission suffix (Canvas); a zip whose name carries no lesson is matched by
  the notebooks inside.

Every file that matches nothing is returned as :class:`Unmatched`, never silently skipped.
Zips are read with limits (:class:`ZipLimits`) against zip bombs and path tricks.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..arguments import check_int

STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
PATTERNS = {
    "canvas": re.compile(r"(?P<name>[A-Za-z0-9-]+?)(?:_LATE)?_(?P<student>\d+)_(?P<submission>\d+)_(?P<rest>.+)"),
    "moodle": re.compile(r"(?P<name>.+?)_(?P<student>\d+)_assignsubmission_[a-z]+_?(?P<rest>.*)"),
    "student_lesson": re.compile(r"(?P<student>[A-Za-z0-9][A-Za-z0-9.@-]{0,63})_(?P<rest>.+)"),
}
EXAMPLES = {
    "canvas": "doejane_12345_678901_segmentation-1.ipynb (student 12345)",
    "moodle": "Jane Doe_12345_assignsubmission_file_segmentation.ipynb (student 12345)",
    "student_lesson": "s1234_01-segmentation.ipynb, s1234_segmentation.ipynb or s1234_01-segmentation.zip",
}
ARCHIVE_JUNK = ("__MACOSX/", ".ipynb_checkpoints/")


@dataclass(frozen=True)
class ZipLimits:
    """Limits on one zip: members, bytes of one extracted file, bytes extracted in all."""

    max_members: int = 200
    max_file_mb: int = 50
    max_total_mb: int = 100

    def __post_init__(self):
        for name in ("max_members", "max_file_mb", "max_total_mb"):
            check_int(name, getattr(self, name), 1)


@dataclass
class Submission:
    """One student's work for one lesson: ``files`` maps notebook names to files on disk."""

    student: str
    lesson: str
    files: dict[str, Path]
    source: str  # where it came from, relative to the submissions folder
    problem: str = ""  # why it cannot be graded (a bad zip), else ""
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Unmatched:
    """A file or folder that is not a submission, and why."""

    path: str
    reason: str


class ZipProblem(ValueError):
    """A zip that is not read: corrupt, too big, or with too many members."""


def discover(folder: Path, notebooks: dict[str, list[str]], scratch: Path,
             zip_limits: ZipLimits = ZipLimits()) -> tuple[list[Submission], list[Unmatched]]:
    """Submissions and unmatched entries of ``folder``.

    ``notebooks`` maps each lesson to its notebook names (``{"01-segmentation":
    ["segmentation.ipynb"]}``); zips are extracted under ``scratch``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"expected SUBMISSIONS to be a folder, got {str(folder)!r} (no such folder)")
    found: list[Submission] = []
    unmatched: list[Unmatched] = []
    for entry in sorted(folder.iterdir()):
        rel = entry.relative_to(folder).as_posix()
        if entry.name.startswith(".") or entry.is_symlink():
            unmatched.append(Unmatched(rel, "hidden file or symbolic link"))
        elif entry.is_dir():
            subs, bad = _student_folder(entry, folder, notebooks)
            found += subs
            unmatched += bad
        else:
            try:
                found += _flat_file(entry, rel, notebooks, scratch, zip_limits)
            except _NoMatch as error:
                unmatched.append(Unmatched(rel, str(error)))
    return _latest_only(found), unmatched


class _NoMatch(Exception):
    pass


def _student_folder(folder: Path, root: Path, notebooks: dict[str, list[str]]):
    found, unmatched = [], []
    student = folder.name
    lessons = [p for p in sorted(folder.iterdir()) if p.is_dir() and not p.is_symlink() and p.name in notebooks]
    for entry in sorted(folder.iterdir()):
        rel = entry.relative_to(root).as_posix()
        if entry.is_symlink():
            unmatched.append(Unmatched(rel, "a symbolic link, refused (copy the files themselves)"))
        elif entry not in lessons:
            unmatched.append(Unmatched(rel, f"not a lesson folder (expected one of {', '.join(notebooks)})"
                                       if entry.is_dir() else "a file directly in a student's folder "
                                       "(expected <student_id>/<lesson>/<notebook>.ipynb)"))
    if not STUDENT_ID.fullmatch(student):
        return [], unmatched + [Unmatched(folder.relative_to(root).as_posix(),
                                          f"not a valid student id (expected {STUDENT_ID.pattern})")]
    for lesson_dir in lessons:
        notebooks_here = sorted(lesson_dir.glob("*.ipynb"))
        files = {p.name: p for p in notebooks_here if p.is_file() and not p.is_symlink()}
        rel = lesson_dir.relative_to(root).as_posix()
        links = [p.name for p in notebooks_here if p.is_symlink()]
        if links:
            unmatched += [Unmatched(f"{rel}/{name}", "a symbolic link, refused (copy the file itself)") for name in links]
        if not files:
            if not links:
                unmatched.append(Unmatched(rel, "no .ipynb file in this lesson folder"))
            continue
        sub = Submission(student, lesson_dir.name, files, rel)
        extra = sorted(set(files) - set(notebooks[lesson_dir.name]))
        if extra:
            sub.notes.append(f"not part of the lesson, ignored: {', '.join(extra)}")
            for name in extra:
                del files[name]
            if not files:
                sub.problem = f"none of the lesson's notebooks ({', '.join(notebooks[lesson_dir.name])}) was submitted"
        found.append(sub)
    return found, unmatched


def _flat_file(path: Path, rel: str, notebooks: dict[str, list[str]], scratch: Path,
               zip_limits: ZipLimits) -> list[Submission]:
    suffix = path.suffix.lower()
    if suffix not in (".ipynb", ".zip"):
        raise _NoMatch("not a .ipynb or .zip file")
    student, rest = _parse_name(path.stem)
    lesson = _lesson_of(rest, notebooks)
    if suffix == ".ipynb":
        if lesson is None:
            raise _NoMatch(f"the name carries no lesson ({_expected(notebooks)})")
        return [Submission(student, lesson, {notebooks[lesson][0] if len(notebooks[lesson]) == 1
                                             else _notebook_name(rest, notebooks[lesson]): path}, rel)]
    target = scratch / f"zip-{len(list(scratch.glob('zip-*')))}"
    try:
        members = extract_zip(path, target, zip_limits)
    except ZipProblem as error:
        if lesson is None:
            raise _NoMatch(f"{error}, and the name carries no lesson") from None
        return [Submission(student, lesson, {}, rel, problem=str(error))]
    by_lesson: dict[str, dict[str, Path]] = {}
    for name, file in members.items():
        owner = lesson if lesson is not None and name in notebooks[lesson] else \
            next((les for les, names in notebooks.items() if name in names), None)
        if owner is not None:
            by_lesson.setdefault(owner, {})[name] = file
    if not by_lesson:
        if lesson is None:
            raise _NoMatch(f"no notebook of any lesson in the zip and no lesson in its name ({_expected(notebooks)})")
        return [Submission(student, lesson, {}, rel, problem="the zip holds none of the lesson's notebooks "
                                                            f"({', '.join(notebooks[lesson])})")]
    return [Submission(student, les, files, rel) for les, files in sorted(by_lesson.items())]


def extract_zip(path: Path, target: Path, limits: ZipLimits = ZipLimits()) -> dict[str, Path]:
    """Extract the ``.ipynb`` members of zip ``path`` into ``target``, by base name.

    Sizes are counted while decompressing (a zip's headers can lie); raises ZipProblem
    beyond ``limits``, for a corrupt zip, or for two members with the same base name.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise ZipProblem(f"not a readable zip file ({error})") from None
    target.mkdir(parents=True, exist_ok=True)
    max_file, budget = limits.max_file_mb * 2**20, limits.max_total_mb * 2**20
    extracted: dict[str, Path] = {}
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_members:
            raise ZipProblem(f"zip has {len(infos)} members, more than the limit of {limits.max_members}")
        for info in infos:
            name = PurePosixPath(info.filename.replace("\\", "/"))
            if info.is_dir() or any(j in info.filename for j in ARCHIVE_JUNK) or name.suffix != ".ipynb" \
                    or name.name.startswith("."):
                continue
            if name.name in extracted:
                raise ZipProblem(f"zip holds two notebooks named {name.name}")
            out = target / name.name
            try:
                with archive.open(info) as src, open(out, "wb") as dst:
                    size = 0
                    while chunk := src.read(1 << 20):
                        size += len(chunk)
                        budget -= len(chunk)
                        if size > max_file:
                            raise ZipProblem(f"zip bomb? {name.name} is larger than {limits.max_file_mb} MB "
                                             "uncompressed")
                        if budget < 0:
                            raise ZipProblem(f"zip bomb? more than {limits.max_total_mb} MB uncompressed")
                        dst.write(chunk)
            except ZipProblem:
                shutil.rmtree(target, ignore_errors=True)
                raise
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as error:
                shutil.rmtree(target, ignore_errors=True)
                raise ZipProblem(f"corrupt zip member {name.name} ({error})") from None
            extracted[name.name] = out
    return extracted


def _parse_name(stem: str) -> tuple[str, str]:
    ids = set(re.findall(r"_(\d+)_assignsubmission_", stem))
    if len(ids) > 1:  # Moodle's prefix is the uploader's; a second one can only come from the student
        raise _NoMatch(f"ambiguous: the name carries the participant ids {' and '.join(sorted(ids))}, so it is "
                       "given to no one; check in the LMS whose file it is and rename it to "
                       "<student_id>_<lesson>.ipynb")
    for pattern in PATTERNS.values():
        match = pattern.fullmatch(stem)
        if match and STUDENT_ID.fullmatch(match["student"]):
            return match["student"], match["rest"]
    raise _NoMatch("the name matches none of the accepted patterns: " + "; ".join(EXAMPLES.values()))


def _lesson_of(rest: str, notebooks: dict[str, list[str]]) -> str | None:
    rest = re.sub(r"-\d+$", "", rest.removesuffix(".ipynb"))
    for lesson, names in notebooks.items():
        stems = {Path(n).stem for n in names}
        if rest == lesson or rest.startswith(lesson + "_") or rest in stems \
                or any(rest == f"{lesson}_{s}" for s in stems):
            return lesson
    return None


def _notebook_name(rest: str, names: list[str]) -> str:
    rest = re.sub(r"-\d+$", "", rest)
    return next((n for n in names if rest.endswith(Path(n).stem)), names[0])


def _expected(notebooks: dict[str, list[str]]) -> str:
    examples = [f"{lesson} or {Path(names[0]).stem}" for lesson, names in notebooks.items()]
    return "expected a lesson such as " + "; ".join(examples[:2])


def _latest_only(found: list[Submission]) -> list[Submission]:
    """One submission per (student, lesson): the newest file wins, the others are noted."""
    groups: dict[tuple[str, str], list[Submission]] = {}
    for sub in found:
        groups.setdefault((sub.student, sub.lesson), []).append(sub)
    kept = []
    for subs in groups.values():
        subs.sort(key=lambda s: max((p.stat().st_mtime for p in s.files.values()), default=0))
        best = subs[-1]
        if len(subs) > 1:
            best.notes.append(f"{len(subs)} submissions for this lesson: graded {best.source}, ignored "
                              + ", ".join(s.source for s in subs[:-1]))
        kept.append(best)
    return sorted(kept, key=lambda s: (s.student, s.lesson))
