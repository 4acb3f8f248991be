"""nbgrader's Execute, with verdicts decided outside the student's kernel.

:class:`TrustedExecute` replaces nbgrader's ``Execute`` preprocessor, in ``course grade`` and
in plain ``nbgrader autograde`` (``autograder/nbgrader_config.py``). For each test cell it sends
the student's kernel the cell's *probe* (:func:`course.grading.probe.probe_source`), collects the
values its checks report, compares them with the expected ones from the trusted run of the
course's solution (:mod:`course.grading.reference`), and rewrites the cell's outputs so that
nbgrader scores the verdict and nothing else:

* passed: one line saying so; failed: one error output whose message says why;
* what the student's code wrote to stderr (warnings) is kept as advice, on stdout: it never
  changes a score; a value the cell ends with (``execute_result``, which nbgrader would read as
  partial credit) and rich outputs are dropped.

Cells after the last test cell are not run: they cannot change a score, and lesson 07 trains
there.
Output is capped per notebook. What happened (verdicts, time-outs, dropped output) goes to
``report_file`` when one is set: the state of this run, read by ``course grade``'s worker.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from queue import Empty
from pathlib import Path

import nbformat
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, Unicode

from ..checks import SEED_ENV
from ..observations import MIME
from ..validate import is_test_cell, nbgrader_meta
from . import reference
from .probe import probe_source
from .verdict import error_of, judge, split_outputs

ADVICE = "Your code wrote this to stderr (shown as advice; it never changes a score):\n"
_REFERENCES: dict[tuple, dict] = {}  # plain nbgrader: one trusted run per notebook, tests and seed per process
_RUN_SEED = secrets.token_hex(8)     # plain nbgrader: one seed per process (course grade sets one per run)


class TrustedExecute(Execute):
    """See the module's docs."""

    reference_file = Unicode("", help="JSON of expected observations by notebook and grade id (course grade "
                                      "writes it); empty: run the solution from source_root").tag(config=True)
    source_root = Unicode("", help="folder of the lessons' solution notebooks (nbgrader's source folder)"
                          ).tag(config=True)
    seed = Unicode("", help="this grading run's seed for hidden tests' inputs (default: drawn per process)"
                   ).tag(config=True)
    report_file = Unicode("", help="where to append what happened, as JSON lines ('' for nowhere)").tag(config=True)
    max_output_bytes = Integer(8 * 2**20, help="output kept per notebook").tag(config=True)
    max_observation_bytes = Integer(64 * 2**20, help="test results (observations) kept per notebook").tag(config=True)
    # a kernel that floods its output may have its last message of a cell (the 'idle' status) dropped
    # on the way (see SandboxedKernelManager.client): wait iopub_timeout for it, then go on
    raise_on_iopub_timeout = Bool(False).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._last_test = max((i for i, c in enumerate(nb.cells) if is_test_cell(c)), default=len(nb.cells))
        info = (resources or {}).get("nbgrader", {})
        self._notebook = info.get("notebook", "")
        self._expected = reference.load(self._references(info))
        self._output_bytes, self._observed_bytes, self._dropped, self._flooded = 0, 0, False, set()
        self._verdicts: dict[str, dict] = {}
        self._timeouts: list[str] = []
        saved = os.environ.get(SEED_ENV)
        os.environ[SEED_ENV] = self._seed()  # the kernel starts with it: the reference run's inputs
        try:
            return super().preprocess(nb, resources, km)
        finally:
            os.environ.pop(SEED_ENV) if saved is None else os.environ.__setitem__(SEED_ENV, saved)
            self._report()

    def _seed(self) -> str:
        return self.seed or _RUN_SEED

    def _references(self, info: dict) -> dict:
        if self.reference_file:
            data = json.loads(Path(self.reference_file).read_text())
            if self._notebook not in data:
                raise reference.ReferenceFailure(f"no expected values for notebook {self._notebook!r} in "
                                                 f"{self.reference_file}")
            return data[self._notebook]
        source = self._source_root() / info["assignment"] / f"{self._notebook}.ipynb"
        tests = _gradebook_tests(info["db_url"], info["assignment"], self._notebook)
        key = (str(source), json.dumps(tests, sort_keys=True), self._seed())
        if key not in _REFERENCES:
            _REFERENCES[key] = reference.references(source, tests, self._seed(), timeout=self.timeout or 600)
        return _REFERENCES[key]

    def _source_root(self) -> Path:
        """``source_root``, else nbgrader's source folder (``CourseDirectory``)."""
        if self.source_root:
            return Path(self.source_root)
        course = self.config.get("CourseDirectory", {})
        return Path(course.get("root", os.getcwd())) / course.get("source_directory", "source")

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if cell_index > self._last_test:  # runs after every test: it cannot change a score (lesson 07 trains here)
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
            return cell
        if not is_test_cell(cell):
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        gid = nbgrader_meta(cell).get("grade_id", "")
        original = cell.source
        try:
            cell.source = probe_source(original)
        except SyntaxError:
            cell.source = "raise SyntaxError('this test cell does not parse')"
        try:
            cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        finally:
            cell.source = original
        self._judge(gid, cell, cell_index)
        return cell

    execute_cell = run_sync(async_execute_cell)

    def _judge(self, gid: str, cell, index: int) -> None:
        observations, rest, problem = split_outputs(cell.outputs)
        if index in self._flooded:
            problem = f"more than {self.max_observation_bytes // 2**20} MB of test results in this notebook"
        expected = self._expected.get(gid)
        if expected is None:
            verdict = judge([], [], None, f"the grader has no expected values for test {gid}")
        else:
            verdict = judge(expected, observations, error_of(rest), problem)
        stderr = "".join(o.get("text", "") for o in rest if o.get("output_type") == "stream" and o.get("name") == "stderr")
        outputs = []
        if stderr.strip():
            outputs.append(nbformat.v4.new_output("stream", name="stdout", text=ADVICE + _cut(stderr, 4000)))
        if verdict.passed:
            outputs.append(nbformat.v4.new_output("stream", name="stdout",
                                                  text=f"✔ {gid}: passed ({verdict.checks} checks)\n"))
        else:
            lines = verdict.message.splitlines() or ["failed"]
            outputs.append(nbformat.v4.new_output("error", ename="AssertionError", evalue=verdict.message,
                                                  traceback=["AssertionError: " + lines[0], *lines[1:]]))
        cell.outputs = outputs
        self._verdicts[gid] = {"passed": verdict.passed, "message": verdict.message,
                               "not_implemented": verdict.not_implemented, "checks": verdict.checks}

    def on_cell_executed(self, **kwargs):
        """nbgrader adds the reply's error when no error output came: capped like any output."""
        cell, before = kwargs["cell"], len(kwargs["cell"].outputs)
        super().on_cell_executed(**kwargs)
        for out in cell.outputs[before:]:
            small = self._output_bytes > self.max_output_bytes and not is_test_cell(cell)
            out["evalue"] = str(out.get("evalue", ""))[:200 if small else 2000]
            out["traceback"] = [] if small else [str(line)[:2000] for line in out.get("traceback", [])[-20:]]

    async def _async_poll_for_reply(self, msg_id, cell, *args, **kwargs):
        self._waiting_for = msg_id
        return await super()._async_poll_for_reply(msg_id, cell, *args, **kwargs)

    async def _async_handle_timeout(self, timeout, cell=None):
        """Interrupt a cell that ran past ``timeout`` and give the kernel as long again to answer;
        a kernel that ignores the interrupt would time out every later cell: CellTimeoutError."""
        name = (nbgrader_meta(cell).get("grade_id") or f"cell {cell.get('id', '?')}") if cell is not None else "a cell"
        self._timeouts.append(name)
        reply = await super()._async_handle_timeout(timeout, cell)
        if cell is None:
            return reply
        answer = await self._reply_to(self._waiting_for, timeout)
        if answer is None:
            raise CellTimeoutError.error_from_timeout_and_cell("The kernel ignored its interrupt", timeout, cell)
        return reply or answer

    async def _reply_to(self, msg_id: str, seconds: float):
        """The kernel's reply to ``msg_id`` if it comes within ``seconds``, else None."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=left))
            except Empty:
                return None
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg
        return None

    def output(self, outs, msg, display_id, cell_index):
        """Keep output up to the cap; beyond it keep only what decides a test (a test cell's error,
        and the checks' observations, which have their own limit) and a note that the rest was dropped."""
        content = msg.get("content", {})
        size = len(json.dumps(content, default=str))
        if msg["msg_type"] == "display_data" and MIME in content.get("data", {}) and is_test_cell(self.nb.cells[cell_index]):
            self._observed_bytes += size
            if self._observed_bytes <= self.max_observation_bytes:
                return super().output(outs, msg, display_id, cell_index)
            self._flooded.add(cell_index)
            return None
        self._output_bytes += size
        if self._output_bytes <= self.max_output_bytes:
            return super().output(outs, msg, display_id, cell_index)
        if msg["msg_type"] == "error" and is_test_cell(self.nb.cells[cell_index]):  # it says why a test failed
            content["evalue"] = str(content.get("evalue", ""))[:2000]
            content["traceback"] = [str(line)[:2000] for line in content.get("traceback", [])[-20:]]
            return super().output(outs, msg, display_id, cell_index)
        self._dropped = True
        note = f"[course grade: output beyond {self.max_output_bytes // 2**20} MB per notebook dropped]\n"
        if not any(o.get("text", "").endswith(note) for o in outs):
            outs.append(nbformat.v4.new_output("stream", name="stdout", text=note))
        return None

    def _report(self) -> None:
        if not self.report_file:
            return
        line = {"notebook": self._notebook, "verdicts": self._verdicts, "timeouts": self._timeouts,
                "output_dropped": self._dropped}
        with open(self.report_file, "a") as f:
            f.write(json.dumps(line) + "\n")


class SandboxedExecute(TrustedExecute):
    """:class:`TrustedExecute` with the student's kernel in the sandbox (``course grade``)."""

    def __init__(self, **kwargs):
        from .sandbox import SandboxedKernelManager

        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(**kwargs)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n[... {len(text) - limit} more characters]\n"


def _gradebook_tests(db_url: str, assignment: str, notebook: str) -> dict[str, str]:
    """The test cells' sources that nbgrader restores into submissions, by grade id."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        nb = gb.find_notebook(notebook, assignment)
        graded = {g.name for g in nb.grade_cells}
        return {c.name: c.source for c in nb.source_cells if c.name in graded}
