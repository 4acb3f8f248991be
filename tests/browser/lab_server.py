"""A real JupyterLab server and a real Chromium for the browser tests.

:class:`LabServer` starts ``python -m jupyterlab`` on 127.0.0.1 with a random token over a
temporary copy of the notebooks (fast mode on, settings and runtime files kept in the copy, so
the user's own JupyterLab setup is neither read nor written). :class:`NotebookPage` opens one
notebook in a Chromium tab driven by Playwright, runs its cells the way the Run menu does and
reads what went wrong: cell errors, browser console errors.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser")
# JupyterLab settings for a deterministic, offline run: every cell attached to the page (the
# default windowing leaves cells outside the viewport out of the DOM), no news or update checks.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
}
# Console errors that provably come from outside the course: the lessons' "Open in Colab" badge is
# an image on colab.research.google.com, which cannot load on an offline machine (CI, this test).
OFFLINE_ORIGINS = ("https://colab.research.google.com/",)
STARTUP_SECONDS = 90


BROWSER_FAST_ENV = "COURSE_BROWSER_FAST"  # COURSE_FAST of the server's kernels (default: smoke)


def find_chromium() -> str | None:
    """The system's Chromium (``$COURSE_CHROMIUM`` if set), or None if there is none."""
    names = [os.environ["COURSE_CHROMIUM"]] if os.environ.get("COURSE_CHROMIUM") else CHROMIUM_CANDIDATES
    return next((path for name in names if (path := shutil.which(name))), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabServer:
    """JupyterLab serving ``root`` (a folder of notebooks) on 127.0.0.1:``port`` with a random token.

    ``root`` gets ``.lab/`` for settings, workspaces and runtime files; the server's log is
    ``.lab/server.log`` (its tail is in every startup error).
    """

    def __init__(self, root: Path, env: dict[str, str] | None = None):
        self.root = Path(root)
        self.port, self.token = free_port(), secrets.token_hex(16)
        state = self.root / ".lab"
        for name, values in LAB_SETTINGS.items():
            path = state / "settings" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        self.log_path = state / "server.log"
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                   f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                   f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
                   f"--LabApp.user_settings_dir={state / 'settings'}", f"--LabApp.workspaces_dir={state / 'workspaces'}",
                   "--LabApp.expose_app_in_browser=True"]
        if os.getuid() == 0:
            command.append("--allow-root")  # containers and CI run as root
        # Kernels train their demonstrations for one epoch (COURSE_FAST=smoke): these tests prove that
        # cells run and widgets work, not what training learns (nbval runs the full fast mode). The
        # README pictures are taken with COURSE_BROWSER_FAST=1 (tools/readme_pictures.py).
        fast = os.environ.get(BROWSER_FAST_ENV, "smoke")
        environment = dict(os.environ, COURSE_FAST=fast, JUPYTER_RUNTIME_DIR=str(state / "runtime"),
                           JUPYTER_CONFIG_DIR=str(state / "config"), **(env or {}))
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment,
                                            cwd=self.root)
        self._wait_until_up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, path: str, method: str = "GET"):
        """JSON from the server's REST API (``path`` like ``/api/kernels``)."""
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Stop every kernel (a notebook's kernel is not needed once its test is done)."""
        for kernel in self.api("/api/kernels"):
            self.api(f"/api/kernels/{kernel['id']}", method="DELETE")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with status {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("/api/status")
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer within {STARTUP_SECONDS} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Terminate the server (and with it its kernels); kill it if it does not exit in 20 s."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class CellError:
    index: int
    text: str


@dataclass
class NotebookPage:
    """One notebook open in JupyterLab in a browser tab (a Playwright ``Page``)."""

    page: object
    server: LabServer
    path: str
    console: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, browser, server: LabServer, path: str, timeout_s: float = 120) -> "NotebookPage":
        """Open ``path`` (relative to the server's root) in a new tab and wait for its idle kernel."""
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        notebook = cls(page, server, path)
        page.on("console", notebook._on_console)
        page.on("pageerror", lambda error: notebook.console.append(f"uncaught exception: {error}"))
        page.set_default_timeout(30_000)
        page.goto(f"{server.url}/lab/tree/{path}?reset&token={server.token}")
        page.wait_for_function(f"() => window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'"
                               f" && {_PANEL}.context.path === {json.dumps(path)}", timeout=timeout_s * 1000)
        return notebook

    def _on_console(self, message) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        if not url.startswith(OFFLINE_ORIGINS):
            self.console.append(f"{message.text} ({url})" if url else message.text)

    def run_all(self, timeout_s: float = 300) -> None:
        """Run > Run All Cells; returns when every cell ran (or one failed) and the kernel is idle."""
        self._command("notebook:run-all-cells", timeout_s)

    def run_above(self, index: int, timeout_s: float = 300) -> None:
        """Select cell ``index`` and run every cell above it (Run > Run All Above Selected Cell)."""
        self.page.evaluate(f"() => {{ {_PANEL}.content.activeCellIndex = {index}; }}")
        self._command("notebook:run-all-above", timeout_s)

    def _command(self, command: str, timeout_s: float) -> None:
        self.page.evaluate(f"""async () => {{
            await Promise.race([jupyterapp.commands.execute({json.dumps(command)}),
                                new Promise((_, no) => setTimeout(() => no(new Error('timed out')), {timeout_s * 1000}))]);
        }}""")
        self.wait_idle(timeout_s)

    def wait_idle(self, timeout_s: float = 60) -> None:
        self.page.wait_for_function(f"() => {_PANEL}.sessionContext.session.kernel.status === 'idle'",
                                    timeout=timeout_s * 1000)

    def kernel_value(self, expression: str) -> str:
        """``repr`` of a Python expression evaluated silently in the notebook's kernel (no cell, no history)."""
        reply = self.page.evaluate(f"""async (expression) => {{
            const future = {_PANEL}.sessionContext.session.kernel.requestExecute(
                {{code: '', silent: true, store_history: false, user_expressions: {{value: expression}}}});
            const reply = await future.done;
            return reply.content.user_expressions.value;
        }}""", expression)
        if reply.get("status") != "ok":
            raise RuntimeError(f"{expression!r} failed in the kernel: {reply.get('ename')}: {reply.get('evalue')}")
        return reply["data"]["text/plain"]

    def cell_errors(self, stop: int | None = None) -> list[CellError]:
        """Errors shown by code cells ``[0, stop)``: error outputs, and stderr that reports an error."""
        found = self.page.evaluate(f"""(stop) => {{
            const cells = {_PANEL}.content.model.cells, errors = [];
            for (let i = 0; i < Math.min(cells.length, stop ?? cells.length); i++) {{
                const cell = cells.get(i);
                if (cell.type !== 'code') continue;
                for (const out of cell.toJSON().outputs) {{
                    if (out.output_type === 'error')
                        errors.push([i, `${{out.ename}}: ${{out.evalue}}`]);
                    else if (out.output_type === 'stream' && out.name === 'stderr' && /Error|Traceback/.test(out.text))
                        errors.push([i, String(out.text).slice(0, 500)]);
                }}
            }}
            return errors;
        }}""", stop)
        return [CellError(index, text) for index, text in found]

    def outputs_text(self) -> list[str]:
        """The stream and plain-text outputs of every cell, joined (markdown cells: '')."""
        return self.page.evaluate(f"""() => {{
            const cells = {_PANEL}.content.model.cells, texts = [];
            for (let i = 0; i < cells.length; i++) {{
                const cell = cells.get(i);
                texts.push(cell.type !== 'code' ? '' : cell.toJSON().outputs.map(
                    o => [].concat(o.text ?? (o.data || {{}})['text/plain'] ?? '').join('')).join(''));
            }}
            return texts;
        }}""")

    def unexecuted(self, stop: int | None = None) -> list[int]:
        """Indices of code cells ``[0, stop)`` without an execution count (not run)."""
        return self.page.evaluate(f"""(stop) => {{
            const cells = {_PANEL}.content.model.cells, missing = [];
            for (let i = 0; i < Math.min(cells.length, stop ?? cells.length); i++)
                if (cells.get(i).type === 'code' && cells.get(i).sharedModel.getSource().trim()
                    && cells.get(i).executionCount == null) missing.push(i);
            return missing;
        }}""", stop)

    def close(self) -> None:
        self.page.close()


_PANEL = "jupyterapp.shell.currentWidget"
