"""The sandbox itself, without nbgrader: what a process inside bubblewrap can see and use."""

import json
import os
import subprocess
import sys
from contextlib import nullcontext

import pytest

from course.grading.sandbox import (HOME, SANDBOX_UID_BASE, Limits, SandboxUnavailable, bwrap_command,
                                    bwrap_path, limited, sandbox_uids)
from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap is not installed")
UID = 0 if os.geteuid() == 0 else -1  # >= 0: the sandbox runs as a uid of its own


def sandboxed(tmp_path, code: str, limits: Limits | None = None, env=None):
    """Run ``code`` in the sandbox as a leased sandbox uid (when root), as a grading job does."""
    limits = limits or Limits()
    connection = tmp_path / "kernel.json"
    connection.write_text("{}")
    with sandbox_uids(1) if UID >= 0 else nullcontext([-1]) as (uid,):
        command = bwrap_command(limited([sys.executable, "-c", code], limits, uid), connection_file=connection,
                                env={"PATH": "/usr/bin:/bin", "HOME": HOME, **(env or {})}, limits=limits,
                                bwrap=bwrap_path())
        done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                              env={"PATH": "/usr/bin:/bin"})  # as SandboxedKernelManager starts bwrap
    done.uid = uid
    return done


def test_only_the_python_environment_and_course_package_are_visible(tmp_path, monkeypatch):
    canary = tmp_path / "canary.txt"
    canary.write_text("secret")
    monkeypatch.setenv("INSTRUCTOR_SECRET", "hunter2")
    code = f"""
import json, os
def readable(p):
    try:
        open(p).read(1); return True
    except OSError:
        return False
print(json.dumps({{"canary": readable({str(canary)!r}), "solutions": os.path.exists({str(ROOT / 'solutions')!r}),
    "root": sorted(os.listdir({str(ROOT)!r})) if os.path.isdir({str(ROOT)!r}) else [],
    "env": sorted(os.environ), "uid": os.getuid(), "cwd": os.getcwd(), "shadow": readable("/etc/shadow"),
    "course": __import__("course").__file__}}))
"""
    run = sandboxed(tmp_path, code)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert seen["canary"] is False and seen["solutions"] is False and seen["shadow"] is False
    assert "solutions" not in seen["root"] and "autograder" not in seen["root"]
    assert "INSTRUCTOR_SECRET" not in seen["env"]
    assert seen["cwd"] == HOME
    assert seen["course"].startswith(str(ROOT / "course")) or "site-packages" in seen["course"]
    if UID >= 0:
        assert seen["uid"] == run.uid and run.uid >= SANDBOX_UID_BASE


def test_no_network_and_no_writes_outside_the_scratch(tmp_path):
    code = f"""
import socket
for path in ({str(ROOT / 'course' / 'x')!r}, "/usr/x", {str(tmp_path / 'x')!r}, "/ipc/kernel.json"):
    try:
        open(path, "w"); print("WROTE", path)
    except OSError as e:
        print("denied", type(e).__name__)
try:
    socket.create_connection(("1.1.1.1", 53), timeout=3); print("CONNECTED")
except OSError as e:
    print("offline", e.errno)
open("/tmp/ok", "w").write("scratch is writable")
"""
    run = sandboxed(tmp_path, code)
    assert run.returncode == 0, run.stderr
    assert "WROTE" not in run.stdout and "CONNECTED" not in run.stdout
    assert run.stdout.count("denied") == 4 and "offline" in run.stdout
    assert not (tmp_path / "x").exists()


def test_memory_limit(tmp_path):
    run = sandboxed(tmp_path, "x = bytearray(600 * 2**20)", Limits(memory_mb=400))
    assert "MemoryError" in run.stderr


def test_cpu_time_limit_kills(tmp_path):
    run = sandboxed(tmp_path, "while True: pass", Limits(cpu_seconds=1))
    assert run.returncode in (-24, 128 + 24, -9, 137), (run.returncode, run.stderr)  # SIGXCPU (or SIGKILL)


@pytest.mark.skipif(UID < 0, reason="RLIMIT_NPROC counts per uid: only a root grader gives the sandbox its own")
def test_process_limit(tmp_path):
    code = """
import os, time
n = 0
try:
    for _ in range(1000):
        if os.fork() == 0:
            time.sleep(30); os._exit(0)
        n += 1
except OSError as e:
    print("stopped after", n, type(e).__name__)
"""
    run = sandboxed(tmp_path, code, Limits(processes=20))
    assert "stopped after" in run.stdout, run.stderr
    assert int(run.stdout.split()[2]) < 20


def test_file_size_and_scratch_size_limits(tmp_path):
    code = """
for path, size in (("/tmp/big", 3 * 2**20), ("/tmp/a", 2**20 - 10), ("/tmp/b", 2**20 - 10), ("/tmp/c", 2**20 - 10)):
    try:
        with open(path, "wb") as f:
            f.write(b"x" * size)
        print("ok", path)
    except OSError as e:
        print("refused", path, e.errno)
        os.remove(path)
"""
    run = sandboxed(tmp_path, "import os\n" + code, Limits(file_size_mb=1, scratch_mb=2))
    lines = run.stdout.splitlines()
    assert lines[0] == "refused /tmp/big 27", run.stdout + run.stderr  # EFBIG: RLIMIT_FSIZE
    assert lines[1:3] == ["ok /tmp/a", "ok /tmp/b"]
    assert lines[3] == "refused /tmp/c 28", run.stdout  # ENOSPC: the 2 MB scratch is full


def test_limits_are_checked():
    with pytest.raises(ValueError, match="expected memory_mb to be an int >= 1, got 0"):
        Limits(memory_mb=0)


def test_its_ipc_folder_is_a_small_tmpfs_and_its_first_process_shows_no_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTRUCTOR_SECRET", "hunter2")
    code = """
import os
try:
    with open("/ipc/fill", "wb") as f:
        f.write(b"x" * 4 * 2**20)
    print("wrote 4 MB")
except OSError as e:
    print("ipc full", e.errno)
print(open("/proc/1/environ", "rb").read().decode(errors="replace"))
"""
    run = sandboxed(tmp_path, code)
    assert "ipc full 28" in run.stdout, run.stdout + run.stderr  # ENOSPC: a 1 MB tmpfs
    assert "hunter2" not in run.stdout and "INSTRUCTOR_SECRET" not in run.stdout


def test_runs_at_once_lease_different_uids_and_a_killed_holder_frees_its_own(tmp_path, monkeypatch):
    """Two grading runs at once never share a sandbox uid (RLIMIT_NPROC and signals are per uid);
    a lease names its holder's pid and ends with its process, even a killed one."""
    monkeypatch.setattr("course.grading.sandbox.UID_LEASES", tmp_path / "leases")
    monkeypatch.setattr("course.grading.sandbox.SANDBOX_UIDS", 4)
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom course.grading import sandbox\n"
                               f"sandbox.UID_LEASES = sandbox.Path({str(tmp_path / 'leases')!r})\n"
                               "with sandbox.sandbox_uids(2) as uids:\n print(*uids, flush=True); time.sleep(600)"],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        theirs = [int(u) for u in holder.stdout.readline().split()]
        assert theirs == [SANDBOX_UID_BASE, SANDBOX_UID_BASE + 1]
        assert (tmp_path / "leases" / f"{theirs[0]}.lock").read_text() == f"{holder.pid}\n"
        with sandbox_uids(2) as mine:
            assert mine == [SANDBOX_UID_BASE + 2, SANDBOX_UID_BASE + 3]
            with pytest.raises(SandboxUnavailable, match=r"expected 1 free sandbox uids among 61000-61003, got 0"):
                with sandbox_uids(1):
                    pass
    finally:
        holder.kill()
        holder.wait()
    with sandbox_uids(4) as again:
        assert again == [SANDBOX_UID_BASE + k for k in range(4)], "the killed holder's uids were not freed"

