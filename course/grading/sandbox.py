"""The sandbox that student kernels run in: bubblewrap, resource limits, a kernel over IPC.

nbgrader runs outside the sandbox, in the grader's worker process; only the student's
kernel runs inside, through :class:`SandboxedKernelManager`, which nbclient starts in
place of jupyter_client's own manager. Inside the sandbox the kernel sees:

* the system (``/usr`` and a few files of ``/etc``), the Python environment and the
  ``course`` package, all read-only; nothing else of the host: no ``solutions/``, no
  gradebook, no other submission, no output folder, no home;
* a private, size-limited ``/tmp``, home (its working folder) and ``/ipc``, where the kernel's
  sockets live (loopback TCP would not cross the network namespace): no folder of the host is
  writable, so everything it writes is capped. The grader reaches the sockets through the
  sandbox's root, ``/proc/<pid>/root/ipc``, and reads the connection file it wrote, bound
  read-only; the kernel's stdout and stderr go to a pipe of which the grader keeps 1 MB;
* no network, its own PID, IPC and UTS namespaces, a new session, and, when the grader
  runs as root, an unprivileged uid of its own (so that RLIMIT_NPROC counts its processes);
* nothing of the grader's environment: bubblewrap itself starts with an empty one (its
  ``/proc/1/environ`` shows nothing), the kernel with :func:`kernel_environment`.

Limits (see :class:`Limits`) are set by :mod:`course.grading.limits` before the kernel starts.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import zmq
import zmq.asyncio
from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer, Unicode

from ..arguments import check_int
from ..checks import SEED_ENV
from ..config import FAST_ENV
from ..environment import FIGURES_ENV

HOME = "/home/student"
IPC = "/ipc"                 # in the sandbox: its sockets and (read-only) connection file
IPC_BYTES = 1 << 20          # the size of that tmpfs: sockets take no room
LOG_BYTES = 1 << 20          # of the kernel's stdout and stderr, what the grader keeps
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "fonts", "localtime",
             "mime.types", "ssl/openssl.cnf")
SANDBOX_UID_BASE = 61000  # a root grader's job slots run as uids from here on (see sandbox_uids)
SANDBOX_UIDS = 256        # how many: enough for every job of every run at once on one machine
UID_LEASES = Path("/tmp/course-grade-uids")  # a lock file per uid in use (not $TMPDIR: one place per machine)


class SandboxUnavailable(RuntimeError):
    """Student code cannot be sandboxed: bubblewrap is missing (and the instructor did not pass
    --no-sandbox), or every sandbox uid is held by other grading runs."""


@contextlib.contextmanager
def sandbox_uids(n: int):
    """``n`` sandbox uids that no other grading run on this machine holds while this one runs.

    Two runs at once (two lessons in two terminals) must not share a uid: RLIMIT_NPROC counts
    every process of a uid, so one run's kernels would use up the other's, and a kernel may
    signal any process of its own uid. Each uid is held by an exclusive flock on
    ``UID_LEASES/<uid>.lock``, which also names the holder's pid; the kernel drops a lock
    with its process, so a killed run holds none."""
    UID_LEASES.mkdir(mode=0o700, exist_ok=True)
    held: list[tuple[int, int]] = []
    try:
        for uid in range(SANDBOX_UID_BASE, SANDBOX_UID_BASE + SANDBOX_UIDS):
            if len(held) == n:
                break
            fd = os.open(UID_LEASES / f"{uid}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            held.append((uid, fd))
        if len(held) < n:
            raise SandboxUnavailable(f"expected {n} free sandbox uids among {SANDBOX_UID_BASE}-"
                               f"{SANDBOX_UID_BASE + SANDBOX_UIDS - 1}, got {len(held)}: other grading runs "
                               f"hold the rest (see {UID_LEASES}); wait for them or use fewer --jobs")
        yield [uid for uid, _ in held]
    finally:
        for _, fd in held:
            os.close(fd)


@dataclass(frozen=True)
class Limits:
    """Resource limits of one student's kernel.

    memory_mb: address space (RLIMIT_AS); cpu_seconds: CPU time (RLIMIT_CPU); processes:
    processes and threads of the sandbox's uid (RLIMIT_NPROC); file_size_mb: largest file
    it may write (RLIMIT_FSIZE); scratch_mb: size of its /tmp and of its home (tmpfs);
    output_mb: output the grader keeps per notebook (the rest is dropped, not stored).
    """

    memory_mb: int = 3072
    cpu_seconds: int = 600
    processes: int = 64
    file_size_mb: int = 64
    scratch_mb: int = 256
    output_mb: int = 8

    def __post_init__(self):
        for name in ("memory_mb", "cpu_seconds", "processes", "file_size_mb", "scratch_mb", "output_mb"):
            check_int(name, getattr(self, name), 1)


def bwrap_path() -> str | None:
    """Path of the ``bwrap`` executable, or None where bubblewrap is not installed."""
    return shutil.which("bwrap")


def package_root() -> str:
    """The folder holding the ``course`` package this grader runs: every kernel it starts gets it
    first on PYTHONPATH, so that students' and the solution's kernels import that same package
    (not another checkout's, which an editable install or the working folder may point to)."""
    import course

    return str(Path(course.__file__).resolve().parent.parent)


def python_paths() -> list[Path]:
    """Folders the kernel's Python needs: its prefixes and the ``course`` package (read-only)."""
    paths = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    paths.add(Path(sys.executable).resolve().parent.parent)
    paths.add(Path(package_root()) / "course")
    return _outermost(sorted(p for p in paths if p.exists()))


def bwrap_command(command: list[str], *, connection_file: Path, env: dict[str, str], limits: Limits,
                  files: list[Path] = (), bwrap: str = "bwrap", privileged: bool | None = None) -> list[str]:
    """The bubblewrap command line that runs ``command`` in the sandbox.

    ``connection_file`` (the kernel's, written by the grader) is bound read-only at
    ``/ipc/kernel.json``, in the sandbox's own tmpfs where the sockets go; ``files`` are bound
    read-only into the home folder; ``env`` is the whole environment inside. ``privileged``:
    whether bwrap runs as root (default: we are root), in which case no user namespace is made,
    so that the command can drop to its own uid.
    """
    privileged = os.geteuid() == 0 if privileged is None else privileged
    args = [bwrap, "--die-with-parent", "--new-session"]
    if privileged:
        args += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
                 "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        args += ["--unshare-all"]
    args += _system_binds() + ["--proc", "/proc", "--dev", "/dev"]
    scratch = str(limits.scratch_mb * 1024 * 1024)
    args += ["--perms", "1777", "--size", scratch, "--tmpfs", "/tmp"]
    args += ["--perms", "1777", "--size", str(IPC_BYTES), "--tmpfs", IPC,
             "--ro-bind", str(connection_file), f"{IPC}/kernel.json"]
    for path in python_paths():
        args += _parents(path) + ["--ro-bind", str(path), str(path)]
    args += _parents(Path(HOME)) + ["--perms", "1777", "--size", scratch, "--tmpfs", HOME]
    for f in files:
        args += ["--ro-bind", str(f), f"{HOME}/{Path(f).name}"]
    args += ["--clearenv"]
    for key, value in sorted(env.items()):
        args += ["--setenv", key, value]
    return args + ["--chdir", HOME, "--", *command]


def grading_environment() -> dict[str, str]:
    """What every kernel the grader starts (the student's, the solution's) runs with: nbgrader's
    autograde mode, fast mode, no figures, and this grader's own course package first."""
    return {"NBGRADER_EXECUTION": "autograde", FAST_ENV: "1", FIGURES_ENV: "off", "MPLBACKEND": "Agg",
            "PYTHONPATH": package_root()}


def kernel_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The whole environment of a sandboxed kernel: nothing inherited from the grader's."""
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": HOME, "TMPDIR": "/tmp", "LANG": "C.UTF-8", "MPLCONFIGDIR": f"{HOME}/.matplotlib",
        "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        **grading_environment(), **(extra or {}),
    }


def limited(command: list[str], limits: Limits, uid: int = -1, processes: int | None = None) -> list[str]:
    """``command`` prefixed by :mod:`course.grading.limits` (rlimits, then drop to ``uid``);
    ``processes`` overrides ``limits.processes`` (-1: no process limit)."""
    processes = limits.processes if processes is None else processes
    # the file, not ``-m course.grading.limits``: importing the course package here (as root)
    # would import matplotlib and leave a cache the kernel's uid cannot write
    return [sys.executable, "-I", str(Path(__file__).with_name("limits.py")), "--memory-mb", str(limits.memory_mb),
            "--cpu-seconds", str(limits.cpu_seconds), "--processes", str(processes),
            "--file-size-mb", str(limits.file_size_mb), "--uid", str(uid), "--", *command]


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs in bubblewrap (or, with ``sandboxed=False``, only
    under the resource limits), talks over IPC sockets and is interrupted by message (a signal
    would not reach it through bwrap). Sandboxed, its sockets live in the sandbox's own
    ``/ipc`` and the grader connects through ``/proc/<pid>/root/ipc``; ``ipc_dir`` on the host
    then holds only the connection file, which the sandbox sees read-only."""

    ipc_dir = Unicode(help="host folder for the connection file (and, unsandboxed, the sockets)").tag(config=True)
    sandboxed = Bool(True, help="run the kernel in bubblewrap").tag(config=True)
    uid = Integer(-1, help="uid the kernel drops to (-1: keep the grader's)").tag(config=True)
    memory_mb = Integer(Limits.memory_mb).tag(config=True)
    cpu_seconds = Integer(Limits.cpu_seconds).tag(config=True)
    processes = Integer(Limits.processes).tag(config=True)
    file_size_mb = Integer(Limits.file_size_mb).tag(config=True)
    scratch_mb = Integer(Limits.scratch_mb).tag(config=True)
    files = Unicode("", help="os.pathsep-separated files to show read-only in the kernel's home").tag(config=True)
    log_file = Unicode("", help="where to keep the first MB of the kernel's stdout and stderr").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not self.ipc_dir:
            raise ValueError("expected SandboxedKernelManager.ipc_dir to be a folder, got ''")
        self.transport = "ipc"
        self.ip = f"{IPC}/k" if self.sandboxed else str(Path(self.ipc_dir) / "k")
        self.connection_file = str(Path(self.ipc_dir) / "kernel.json")
        _own(Path(self.ipc_dir), self.uid, 0o700)

    def write_connection_file(self, **kwargs) -> None:
        super().write_connection_file(**kwargs)
        _own(Path(self.connection_file), self.uid, 0o600)

    @property
    def limits(self) -> Limits:
        return Limits(self.memory_mb, self.cpu_seconds, self.processes, self.file_size_mb, self.scratch_mb)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        extra = list(extra_arguments or [])
        if not any(a.startswith("--HistoryManager.hist_file") for a in extra):
            extra.append("--HistoryManager.hist_file=:memory:")
        inside = f"{IPC}/kernel.json" if self.sandboxed else self.connection_file
        kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", inside, *extra]
        env = kernel_environment({SEED_ENV: os.environ[SEED_ENV]} if SEED_ENV in os.environ else None)
        if not self.sandboxed:  # limits only (no process limit: it would count all of our processes)
            env |= {"HOME": self.ipc_dir, "MPLCONFIGDIR": f"{self.ipc_dir}/.matplotlib"}
            command = limited(kernel, self.limits, self.uid, processes=-1)
            return ["env", "-i", *(f"{k}={v}" for k, v in sorted(env.items())), *command]
        command = limited(kernel, self.limits, self.uid)
        files = [Path(f) for f in self.files.split(os.pathsep) if f]
        return bwrap_command(command, connection_file=Path(self.connection_file), env=env, limits=self.limits,
                             files=files, bwrap=bwrap_path() or "bwrap")

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        kw["env"] = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}  # bwrap itself inherits nothing of ours
        if self.log_file:
            read, write = os.pipe()
            kw["stdout"] = kw["stderr"] = write
            threading.Thread(target=_keep_head, args=(read, self.log_file, LOG_BYTES), daemon=True).start()
        try:
            await super()._async_launch_kernel(kernel_cmd, **kw)
        finally:
            if self.log_file:
                os.close(write)
        if self.sandboxed:  # from now on, reach the sockets through the sandbox's root
            self.ip = f"/proc/{await _sandboxed_child(self.provisioner.process.pid)}/root{IPC}/k"

    async def _async_interrupt_kernel(self) -> None:
        if self.has_kernel:
            msg = self.session.msg("interrupt_request", content={})
            self._connect_control_socket()
            self.session.send(self._control_socket, msg)

    interrupt_kernel = _async_interrupt_kernel

    def client(self, **kwargs):
        """A client whose sockets buffer at most 16 messages: a kernel that floods its output
        faster than the grader reads it cannot make the grader's memory grow with the flood (the
        kernel's side drops what comes beyond). A size limit per message is not set: ipykernel
        sends a print loop's output as messages of 100 MB and more, and ZMQ answers an oversized
        message by dropping the connection, which stalls the cell; a message is at most what the
        kernel itself can hold under its memory limit."""
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.RCVHWM, 16)
        return super().client(context=context, **kwargs)


async def _sandboxed_child(pid: int, timeout: float = 10.0) -> int:
    """The first process below bwrap (``pid``) that lives in the sandbox's mount namespace."""
    import asyncio

    ours = os.readlink("/proc/self/ns/mnt")
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        todo = [pid]
        while todo:
            current = todo.pop(0)
            try:
                if current != pid and os.readlink(f"/proc/{current}/ns/mnt") != ours:
                    return current
                with open(f"/proc/{current}/task/{current}/children") as f:
                    todo += [int(c) for c in f.read().split()]
            except OSError:
                continue
        if asyncio.get_running_loop().time() > deadline:
            raise RuntimeError(f"the sandbox (bwrap, pid {pid}) started no process within {timeout:.0f} s")
        await asyncio.sleep(0.02)


def _keep_head(fd: int, path: str, limit: int) -> None:
    """Copy what comes through ``fd`` into ``path`` up to ``limit`` bytes; count and drop the rest."""
    kept = dropped = 0
    with open(fd, "rb", buffering=0) as pipe, open(path, "ab") as out:
        while chunk := pipe.read(1 << 16):
            keep = chunk[:max(0, limit - kept)]
            out.write(keep)
            kept += len(keep)
            dropped += len(chunk) - len(keep)
        if dropped:
            out.write(f"\n[course grade: {dropped} more bytes of the kernel's output dropped]\n".encode())


def _own(path: Path, uid: int, mode: int) -> None:
    """Give ``path`` to the sandbox's ``uid`` (when it has one of its own) with ``mode``."""
    if uid >= 0:
        os.chown(path, uid, uid)
    os.chmod(path, mode)


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in ETC_FILES:
        path = Path("/etc") / name
        if path.exists():
            args += _parents(path) + ["--ro-bind", str(path), str(path)]
    return args


def _parents(path: Path) -> list[str]:
    """Create ``path``'s parent folders world-readable (bwrap would copy the host's modes)."""
    args = []
    for parent in reversed(path.parents[:-1]):
        args += ["--perms", "0755", "--dir", str(parent)]
    return args


def _outermost(paths: list[Path]) -> list[Path]:
    kept: list[Path] = []
    for p in paths:
        if not any(p == k or k in p.parents for k in kept):
            kept.append(p)
    return kept
