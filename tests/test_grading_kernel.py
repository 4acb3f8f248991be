"""The guarded kernel: monkeypatches that fool the lesson's tests are undone by a restore
request, and a kernel whose guard was removed is detected (tests/adversarial's patches)."""

import asyncio
import concurrent.futures
import os
import secrets

import nbformat
import pytest

from course.grading.sandbox import SANDBOX_UID_BASE, SandboxedKernelManager, bwrap_path
from tests.adversarial import corpus
from tests.conftest import ROOT

pytestmark = [pytest.mark.notebook, pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap is not installed")]


def visible_tests() -> list[str]:
    nb = nbformat.read(ROOT / "lessons" / corpus.LESSON / corpus.NOTEBOOK, as_version=4)
    return [c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").endswith("-visible-tests")]


async def session(tmp_path):
    uid = SANDBOX_UID_BASE + 9 if os.geteuid() == 0 else -1
    ipc = tmp_path / "ipc"
    ipc.mkdir()
    token = "# course-guard " + secrets.token_hex(8)
    (ipc / "token").write_text(token)
    if uid >= 0:
        os.chown(ipc / "token", uid, uid)
    km = SandboxedKernelManager(ipc_dir=str(ipc), uid=uid, token_file=str(ipc / "token"))
    await km.start_kernel()
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=120)

    async def run(code):
        reply = await kc.execute_interactive(code, timeout=60, output_hook=lambda msg: None)
        return reply["content"]

    async def close():
        kc.stop_channels()
        await km.shutdown_kernel(now=True)

    return token, run, close


def test_patches_that_fool_the_tests_are_undone_before_each_test(tmp_path):
    async def scenario():
        token, run, close = await session(tmp_path)
        try:
            assert (await run("import numpy as np"))["status"] == "ok"
            assert (await run(corpus.MONKEYPATCHES))["status"] == "ok"
            fooled = [(await run(test))["status"] for test in visible_tests()]
            restored = await run(token)
            after = [(await run(test))["status"] for test in visible_tests()]
            assert (await run("np = None"))["status"] == "ok"
            await run(token)
            np_back = await run("assert np.__name__ == 'numpy', 'np was not restored'")
            await run(corpus.GUARD_KILLER)
            killed = await run(token)
            return fooled, restored, after, np_back, killed
        finally:
            await close()

    # In a thread of its own: the browser tests' Playwright keeps an event loop running in the
    # main thread for the whole session, and asyncio.run refuses to start a second one there.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        fooled, restored, after, np_back, killed = pool.submit(asyncio.run, scenario()).result()
    assert fooled == ["ok", "ok", "ok"], "without the guard, the patches make the wrong answers pass"
    assert restored["user_expressions"]["guard"]["data"]["text/plain"].startswith("# course-guard")
    assert after == ["error", "error", "error"], "after a restore, the same tests fail the wrong answers"
    assert np_back["status"] == "ok", np_back
    assert "guard" not in killed.get("user_expressions", {}), "a removed guard must not answer"
