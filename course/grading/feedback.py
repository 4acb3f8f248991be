"""The feedback page a student gets back from ``course grade``: by exercise, safe to open.

One page per student and lesson, organised by exercise: its points, each test cell's result
and message (expected against got, and the hint), and the student's own code. Hidden tests
show their name, points, result and message, never their source. Everything that comes from
the student (code, messages quoting values, file names) is escaped, and the page forbids every
script, frame and remote resource with a Content-Security-Policy: opening it runs nothing.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor

from ..validate import HIDDEN, VISIBLE, is_solution_cell, nbgrader_meta
from .execute import ADVICE

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
MAX_CODE, MAX_MESSAGE = 20_000, 4_000
STYLE = """body{font:15px/1.45 system-ui,sans-serif;max-width:58em;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin:1.6em 0 .4em}table{border-collapse:collapse}
td{padding:.15em .8em .15em 0}.pass{color:#1a7f37}.fail{color:#b42318}.note{color:#555}
pre{background:#f6f8fa;padding:.6em .8em;overflow:auto;white-space:pre-wrap;word-break:break-word}
.summary{font-size:1.1em}summary{cursor:pointer}"""


def page(record: dict, notebooks: list = ()) -> str:
    """The feedback page of ``record`` (a ``course grade`` result) with its autograded notebooks."""
    e = html.escape
    parts = [f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
             f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
             f"<title>{e(record['lesson'])}: {e(record['student_id'])}</title><style>{STYLE}</style></head><body>",
             f"<h1>{e(record['lesson'])}</h1>",
             f"<p class='summary'>Student: <strong>{e(record['student_id'])}</strong> &middot; "
             f"Score: <strong>{record['score']:g} / {record['max_score']:g}</strong></p>"]
    status, message = record.get("status", ""), record.get("message", "")
    if status and status != "graded" or message:
        parts.append(f"<p>Status: <strong>{e(status)}</strong>. {e(message)}</p>")
    notes = [n for n in record.get("notes", []) if n]
    if notes:
        parts.append("<ul class='note'>" + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>")
    for nb in notebooks:
        parts += _exercises(record, nb)
    parts.append(f"<p class='note'>Graded {e(record.get('graded_at', ''))}. Visible tests are the ones in your "
                 "notebook; hidden tests check more cases and are shown here by name only.</p></body></html>\n")
    return "\n".join(parts)


def write(folder: Path, record: dict, autograded: Path | None) -> None:
    """Write the feedback page of ``record`` into ``folder`` (``<lesson>.html``), from the
    autograded notebooks in ``autograded`` when there are any."""
    from ..files import atomic_write

    notebooks = [nbformat.read(p, as_version=4) for p in sorted(autograded.glob("*.ipynb"))] \
        if autograded is not None and autograded.is_dir() else []
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / f"{record['lesson']}.html", page(record, notebooks))


def _exercises(record: dict, nb) -> list[str]:
    e = html.escape
    cells = {nbgrader_meta(c).get("grade_id"): c for c in nb.cells if nbgrader_meta(c).get("grade_id")}
    scores, verdicts = record.get("cells", {}), record.get("verdicts", {})
    parts = []
    for cell in nb.cells:
        if not is_solution_cell(cell):
            continue
        name = nbgrader_meta(cell)["grade_id"]
        tests = [(label, name + suffix) for label, suffix in (("visible tests", VISIBLE), ("hidden tests", HIDDEN))
                 if name + suffix in scores]
        if not tests:
            continue
        got = sum(scores[g][0] for _, g in tests)
        out_of = sum(scores[g][1] for _, g in tests)
        parts.append(f"<section><h2>{e(name)}: {got:g} / {out_of:g} points</h2><table>")
        details = []
        for label, gid in tests:
            score, points = scores[gid]
            verdict = verdicts.get(gid)
            if verdict is None:
                mark, text = "fail", "not run (grading stopped before this test)"
            elif verdict["passed"]:
                mark, text = "pass", "passed"
            else:
                mark, text = "fail", "not attempted yet" if verdict.get("not_implemented") else "failed"
                details.append(f"<p>{e(label.capitalize())}:</p><pre>{e(_cut(verdict['message'], MAX_MESSAGE))}</pre>")
            advice = _advice(cells.get(gid))
            if advice:
                details.append(f"<p class='note'>Warnings your code printed during the {e(label)} (they do not "
                               f"change the score):</p><pre>{e(_cut(advice, MAX_MESSAGE))}</pre>")
            parts.append(f"<tr><td>{e(label)}</td><td>{score:g} / {points:g}</td>"
                         f"<td class='{mark}'>{'&#10004;' if mark == 'pass' else '&#10008;'} {e(text)}</td></tr>")
        parts.append("</table>")
        parts += details
        parts.append(f"<details><summary>Your code</summary><pre>{e(_cut(cell.source, MAX_CODE))}</pre></details>"
                     "</section>")
    return parts


def _advice(cell) -> str:
    if cell is None:
        return ""
    return "".join(o.get("text", "").removeprefix(ADVICE) for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("text", "").startswith(ADVICE))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n[... {len(text) - limit} more characters]"


# -- plain nbgrader's feedback (autograder/nbgrader_config.py) ------------------------------------------------

SAFE_MIME = ("text/plain", "image/png", "image/jpeg")


class StudentContentInert(Preprocessor):
    """nbgrader feedback preprocessor: hidden tests' sources replaced by a line that says so, every
    output reduced to text and images (no HTML, JavaScript, SVG or markdown output), markdown
    shown as its text. With :class:`SafeFeedbackExporter` nothing a student wrote can run."""

    def preprocess_cell(self, cell, resources, index):
        if "BEGIN HIDDEN TESTS" in cell.source:
            first = cell.source.split("### BEGIN HIDDEN TESTS")[0].rstrip()
            cell.source = (first + "\n" if first else "") + "# hidden tests: their results are shown, their code is not"
        if cell.cell_type == "markdown":
            fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", cell.source)), default=0))
            cell.source = f"{fence}text\n{cell.source}\n{fence}"
            cell.pop("attachments", None)
        for out in cell.get("outputs", []):
            if "data" in out:
                out["data"] = {k: v for k, v in out["data"].items() if k in SAFE_MIME} or {"text/plain": ""}
        return cell, resources


class SafeFeedbackExporter(HTMLExporter):
    """nbgrader's feedback page with a Content-Security-Policy that forbids every script, frame,
    form and remote resource, so that the page runs nothing, whatever it contains."""

    def from_notebook_node(self, nb, resources=None, **kw):
        output, resources = super().from_notebook_node(nb, resources, **kw)
        meta = f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
        head = output.find("<head>")
        return (output[:head + 6] + meta + output[head + 6:] if head >= 0 else meta + output), resources
