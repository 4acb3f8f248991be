"""Find the submissions in a folder: nbgrader's layout or a learning-management-system download.

Accepted layouts (documented, with examples, in autograder/README.md):

* nbgrader's: ``SUBMISSIONS/<student_id>/<lesson>/<notebook>.ipynb``;
* a Moodle download: ``<full name>_<participant id>_assignsubmission_file/`` folders holding
  the student's own files, or the same prefix and ``_<file name>`` as flat files;
* a flat folder of ``.ipynb`` or ``.zip`` files whose names carry the student id and the
  lesson, in one of the :data:`PATTERNS` (Canvas, Moodle, ``<student_id>_<lesson>``).

The lesson part of a name is the lesson's folder name (``01-segmentation``) or its notebook's
(``segmentation``), as students' tools change it: ``Copy of …`` (Colab's "Save a copy"),
`` (1)`` (a browser's second download), ``-1`` (Canvas's resubmission), any case, spaces or
underscores. A notebook whose name says no lesson is matched by its nbgrader cells; a zip by
the notebooks inside.

Every file that matches nothing is returned as :class:`Unmatched`, with what to rename it
to, never silently skipped. Zips are read with limits (:class:`ZipLimits`) against zip bombs
and path tricks.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..arguments import check_int

STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
PATTERNS = {
    "canvas": re.compile(r"(?P<name>[A-Za-z0-9-]+?)(?:_LATE)?_(?P<student>\d+)_(?P<submission>\d+)_(?P<rest>.+)"),
    "moodle": re.compile(r"(?P<name>.+?)_(?P<student>\d+)_assignsubmission_[a-z]+(?:_(?P<rest>.*))?"),
    "": re.compile(r"(?P<student>[A-Za-z0-9][A-Za-z0-9.@-]{0,63})_(?P<rest>.+)"),
}
EXAMPLES = {
    "canvas": "doejane_12345_678901_segmentation-1.ipynb (student 12345)",
    "moodle": "Jane Doe_12345_assignsubmission_file_Copy of segmentation.ipynb (student 12345)",
    "": "s1234_01-segmentation.ipynb, s1234_segmentation.ipynb or s1234_01-segmentation.zip",
}
BLIND = "Participant"  # Moodle's name for every student when identities are hidden
# what students' tools add to a file name: Colab's "Copy of ", a browser's " (1)", Canvas's "-1"
_COPY = re.compile(r"^(?:copy[ _]of[ _]+)+", re.IGNORECASE)
_NUMBERED = re.compile(r"(?:[ _]*\(\d+\)|-\d+)$")
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
    name: str = ""  # the student's name, where the LMS's file name carries it
    lms: str = ""  # "canvas" or "moodle" when the id is that system's, else ""


@dataclass(frozen=True)
class Owner:
    """Whose a file is, read from its name: id, name and LMS, and the rest of the name."""

    student: str
    rest: str
    name: str = ""
    lms: str = ""


@dataclass(frozen=True)
class Unmatched:
    """A file or folder that is not a submission, and why; ``student`` when its name says whose."""

    path: str
    reason: str
    student: str = ""


class ZipProblem(ValueError):
    """A zip that is not read: corrupt, too big, or with too many members."""


def discover(folder: Path, notebooks: dict[str, list[str]], scratch: Path, zip_limits: ZipLimits = ZipLimits(),
             cells: dict[tuple[str, str], set[str]] | None = None) -> tuple[list[Submission], list[Unmatched]]:
    """Submissions and unmatched entries of ``folder``.

    ``notebooks`` maps each lesson to its notebook names (``{"01-segmentation":
    ["segmentation.ipynb"]}``), ``cells`` each (lesson, notebook) to its grade ids (to match a
    notebook by content); zips are extracted under ``scratch``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"expected SUBMISSIONS to be a folder, got {str(folder)!r} (no such folder)")
    lessons = _Lessons(notebooks, cells or {})
    found: list[Submission] = []
    unmatched: list[Unmatched] = []
    for entry in sorted(folder.iterdir()):
        rel = entry.relative_to(folder).as_posix()
        moodle = PATTERNS["moodle"].fullmatch(entry.name)
        if entry.name.startswith(".") or entry.is_symlink():
            unmatched.append(Unmatched(rel, "hidden file or symbolic link"))
        elif entry.is_dir() and moodle and not moodle["rest"]:
            subs, bad = _moodle_folder(entry, folder, _owner("moodle", moodle), lessons, scratch, zip_limits)
            found += subs
            unmatched += bad
        elif entry.is_dir():
            subs, bad = _student_folder(entry, folder, lessons)
            found += subs
            unmatched += bad
        else:
            try:
                if entry.suffix.lower() not in (".ipynb", ".zip"):
                    raise _NoMatch("not a .ipynb or .zip file")
                if lessons.of_name(entry.stem) is not None:  # "Copy of segmentation.ipynb", "segmentation (1).zip"
                    raise _NoMatch("the name carries no student id; " + lessons.rename_hint(""))
                owner = _parse_name(entry.stem)
                found += _owned_file(entry, rel, owner, owner.rest, lessons, scratch, zip_limits)
            except _NoMatch as error:
                unmatched.append(Unmatched(rel, str(error), error.student))
    return _latest_only(found), unmatched


class _NoMatch(Exception):
    def __init__(self, reason: str, student: str = ""):
        super().__init__(reason)
        self.student = student


class _Lessons:
    """Which lesson and notebook a file is, by its name as students' tools change it, or by its cells."""

    def __init__(self, notebooks: dict[str, list[str]], cells: dict[tuple[str, str], set[str]]):
        self.notebooks, self.cells = notebooks, cells

    def of_name(self, name: str) -> tuple[str, str] | None:
        plain = _plain(name)
        for lesson, names in self.notebooks.items():
            stems = {_plain(n): n for n in names}
            if plain in stems:
                return lesson, stems[plain]
            if plain == lesson or plain.startswith(lesson + "_"):
                tail = plain[len(lesson) + 1:]
                return lesson, stems.get(tail, names[0])
        return None

    def of_content(self, path: Path) -> tuple[str, str] | None:
        """The (lesson, notebook) that shares the most grade ids with notebook ``path``, if one does."""
        try:
            if path.stat().st_size > 64 * 2**20:
                return None
            nb = json.loads(path.read_bytes())
            ids = {c["metadata"]["nbgrader"]["grade_id"] for c in nb["cells"]
                   if isinstance(c.get("metadata", {}).get("nbgrader"), dict)
                   and isinstance(c["metadata"]["nbgrader"].get("grade_id"), str)}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None
        shared = sorted(((len(ids & known), key) for key, known in self.cells.items()), reverse=True)
        if not shared or shared[0][0] == 0 or (len(shared) > 1 and shared[1][0] == shared[0][0]):
            return None
        return shared[0][1]

    def rename_hint(self, student: str) -> str:
        lesson, names = next(iter(self.notebooks.items()))
        return (f"rename it to {student or '<student_id>'}_<notebook>.ipynb, e.g. "
                f"{student or 's1234'}_{names[0]} for {lesson}")


def _plain(name: str) -> str:
    """``name`` without ``.ipynb`` and what students' tools add, lower case, spaces as ``_``."""
    name = re.sub(r"\.ipynb$", "", name.strip(), flags=re.IGNORECASE)
    while True:
        shorter = _NUMBERED.sub("", _COPY.sub("", name)).strip()
        if shorter == name:
            return re.sub(r"\s+", "_", name.lower())
        name = shorter


def _student_folder(folder: Path, root: Path, lessons: _Lessons):
    found, unmatched = [], []
    student, notebooks = folder.name, lessons.notebooks
    dirs = [p for p in sorted(folder.iterdir()) if p.is_dir() and not p.is_symlink() and p.name in notebooks]
    for entry in sorted(folder.iterdir()):
        rel = entry.relative_to(root).as_posix()
        if entry.is_symlink():
            unmatched.append(Unmatched(rel, "a symbolic link, refused (copy the files themselves)", student))
        elif entry not in dirs:
            unmatched.append(Unmatched(rel, f"not a lesson folder (expected one of {', '.join(notebooks)})"
                                       if entry.is_dir() else "a file directly in a student's folder "
                                       "(expected <student_id>/<lesson>/<notebook>.ipynb)", student))
    if not STUDENT_ID.fullmatch(student):
        return [], unmatched + [Unmatched(folder.relative_to(root).as_posix(),
                                          f"not a valid student id (expected {STUDENT_ID.pattern})")]
    for lesson_dir in dirs:
        here = sorted(lesson_dir.glob("*.ipynb"))
        rel = lesson_dir.relative_to(root).as_posix()
        links = [p for p in here if p.is_symlink()]
        unmatched += [Unmatched(f"{rel}/{p.name}", "a symbolic link, refused (copy the file itself)", student)
                      for p in links]
        candidates = [p for p in here if p.is_file() and not p.is_symlink()]
        if not candidates:
            if not links:
                unmatched.append(Unmatched(rel, "no .ipynb file in this lesson folder", student))
            continue
        files: dict[str, Path] = {p.name: p for p in candidates if p.name in notebooks[lesson_dir.name]}
        for path in candidates:  # "Copy of segmentation (1).ipynb" stands for a missing segmentation.ipynb
            match = lessons.of_name(path.name)
            if path not in files.values() and match and match[0] == lesson_dir.name and match[1] not in files:
                files[match[1]] = path
        sub = Submission(student, lesson_dir.name, files, rel)
        extra = sorted(p.name for p in candidates if p not in files.values())
        if extra:
            sub.notes.append(f"not part of the lesson, ignored: {', '.join(extra)}")
            if not files:
                sub.problem = f"none of the lesson's notebooks ({', '.join(notebooks[lesson_dir.name])}) was submitted"
        found.append(sub)
    return found, unmatched


def _moodle_folder(folder: Path, root: Path, owner: Owner, lessons: _Lessons, scratch: Path, zip_limits: ZipLimits):
    """A participant's folder of a Moodle download: the student's own files, any names."""
    found, unmatched = [], []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(root).as_posix()
        junk = any(part.startswith(".") or part == "__MACOSX" for part in path.relative_to(folder).parts)
        if junk or (path.is_dir() and not path.is_symlink()):
            continue
        if path.is_symlink():
            unmatched.append(Unmatched(rel, "a symbolic link, refused (copy the file itself)", owner.student))
            continue
        try:
            found += _owned_file(path, rel, owner, path.stem, lessons, scratch, zip_limits)
        except _NoMatch as error:
            unmatched.append(Unmatched(rel, str(error), owner.student))
    if not found and not unmatched:
        unmatched.append(Unmatched(folder.relative_to(root).as_posix(), "an empty submission folder", owner.student))
    return found, unmatched


def _owned_file(path: Path, rel: str, owner: Owner, rest: str, lessons: _Lessons, scratch: Path,
                zip_limits: ZipLimits) -> list[Submission]:
    """The submissions in file ``path`` of ``owner``, whose lesson ``rest`` (the rest of its name) may say."""
    suffix = path.suffix.lower()
    if suffix not in (".ipynb", ".zip"):
        raise _NoMatch("not a .ipynb or .zip file", owner.student)
    match = lessons.of_name(rest)
    if suffix == ".ipynb":
        match = match or lessons.of_content(path)
        if match is None:
            raise _NoMatch("neither its name nor its cells say which lesson it is; "
                           + lessons.rename_hint(owner.student), owner.student)
        return [_submission(owner, match[0], {match[1]: path}, rel)]
    target = scratch / f"zip-{len(list(scratch.glob('zip-*')))}"
    try:
        members = extract_zip(path, target, zip_limits)
    except ZipProblem as error:
        if match is None:
            raise _NoMatch(f"{error}, and the name carries no lesson", owner.student) from None
        return [_submission(owner, match[0], {}, rel, problem=str(error))]
    by_lesson: dict[str, dict[str, Path]] = {}
    for name, file in members.items():
        found = lessons.of_name(name) or lessons.of_content(file)
        if found is not None and (match is None or found[0] == match[0]):
            by_lesson.setdefault(found[0], {}).setdefault(found[1], file)
    if not by_lesson:
        if match is None:
            raise _NoMatch("no notebook of any lesson in the zip and no lesson in its name; "
                           + lessons.rename_hint(owner.student), owner.student)
        return [_submission(owner, match[0], {}, rel, problem="the zip holds none of the lesson's notebooks "
                                                               f"({', '.join(lessons.notebooks[match[0]])})")]
    return [_submission(owner, lesson, files, rel) for lesson, files in sorted(by_lesson.items())]


def _submission(owner: Owner, lesson: str, files: dict[str, Path], rel: str, problem: str = "") -> Submission:
    return Submission(owner.student, lesson, files, rel, problem=problem, name=owner.name, lms=owner.lms)


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


def _parse_name(stem: str) -> Owner:
    ids = set(re.findall(r"_(\d+)_assignsubmission_", stem))
    if len(ids) > 1:  # Moodle's prefix is the uploader's; a second one can only come from the student
        raise _NoMatch(f"ambiguous: the name carries the participant ids {' and '.join(sorted(ids))}, so it is "
                       "given to no one; check in the LMS whose file it is and rename it to "
                       "<student_id>_<notebook>.ipynb")
    for lms, pattern in PATTERNS.items():
        match = pattern.fullmatch(stem)
        if match and STUDENT_ID.fullmatch(match["student"]):
            return _owner(lms, match)
    raise _NoMatch("the name matches none of the accepted patterns; rename it to <student_id>_<notebook>.ipynb "
                   "(accepted: " + "; ".join(EXAMPLES.values()) + ")")


def _owner(lms: str, match: re.Match) -> Owner:
    name = (match.groupdict().get("name") or "").strip()
    return Owner(match["student"], match["rest"] or "", "" if name == BLIND else name, lms)


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
