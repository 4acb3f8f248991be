"""Apply resource limits, drop to an unprivileged uid, then exec a command.

Runs inside the sandbox as ``python -I .../course/grading/limits.py [options] -- COMMAND ...``
(as a file, so that the ``course`` package and matplotlib are not imported before the uid
changes); it imports nothing but the standard library and starts in milliseconds.
Limits are hard (the student's code cannot raise them again).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys

MB = 1024 * 1024


def apply(memory_mb: int, cpu_seconds: int, processes: int, file_size_mb: int, uid: int) -> None:
    """Set RLIMIT_AS / CPU / NPROC / FSIZE / CORE and, if ``uid`` >= 0, become that user.

    ``processes`` < 0 leaves RLIMIT_NPROC alone: it counts every process of the uid, so it
    only makes sense for a uid (or user namespace) of the sandbox's own."""
    limits = [(resource.RLIMIT_AS, memory_mb * MB), (resource.RLIMIT_CPU, cpu_seconds),
              (resource.RLIMIT_FSIZE, file_size_mb * MB), (resource.RLIMIT_CORE, 0)]
    if processes >= 0:
        limits.append((resource.RLIMIT_NPROC, processes))
    for limit, value in limits:
        resource.setrlimit(limit, (value, value))
    if uid >= 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    die_with_parent()


def die_with_parent() -> None:
    """Be killed when the process that started us dies (PR_SET_PDEATHSIG; Linux only)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="limits.py")
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    parser.add_argument("--processes", type=int, required=True)
    parser.add_argument("--file-size-mb", type=int, required=True)
    parser.add_argument("--uid", type=int, default=-1)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("expected a command after --")
    apply(args.memory_mb, args.cpu_seconds, args.processes, args.file_size_mb, args.uid)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
