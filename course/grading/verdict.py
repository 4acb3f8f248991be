"""A test cell's verdict, decided outside the student's process from two lists of observations.

The reference run (the course's solution, in the grader's kernel) gives, for every check of a
test cell, its kind, settings and expected value; the student's run gives the value each check
saw. :func:`judge` compares them one by one with :func:`course.compare.compare`, the same code
that checks a notebook interactively, and returns a :class:`Verdict`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..compare import compare, describe_error, message
from ..observations import MIME, Malformed, Raised, decode

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
NOT_ATTEMPTED = "not attempted yet: the answer still raises NotImplementedError"


@dataclass(frozen=True)
class Observation:
    """What one check saw: its index in the cell, its kind, the value; and, from a reference
    run (or ``course check``), the expected value and the check's settings."""

    index: int
    kind: str
    got: object
    expected: object = None
    spec: dict | None = None


@dataclass(frozen=True)
class Verdict:
    """``passed``, or the ``message`` a student reads; ``not_implemented``: the first failure was a
    ``NotImplementedError`` (nbgrader's stub, if the answer cell still holds it)."""

    passed: bool
    message: str = ""
    checks: int = 0
    not_implemented: bool = False


def split_outputs(outputs: list) -> tuple[list[Observation], list, str]:
    """A cell's outputs as (its observations, the other outputs, a problem reading them or '')."""
    observations, rest, problem = [], [], ""
    for out in outputs:
        data = out.get("data", {}) if out.get("output_type") == "display_data" else {}
        if MIME not in data:
            rest.append(out)
            continue
        try:
            observations.append(read(data[MIME]))
        except (Malformed, KeyError, TypeError, ValueError) as error:
            problem = problem or f"a test result could not be read ({error})"
    return observations, rest, problem


def read(record: dict) -> Observation:
    """One published observation (see ``course.checks._observe``), checked field by field."""
    if not isinstance(record, dict) or not isinstance(record.get("index"), int) or \
            not isinstance(record.get("kind"), str):
        raise Malformed("expected an observation with an index and a kind")
    spec = record.get("spec")
    if spec is not None and not (isinstance(spec, dict) and all(
            isinstance(k, str) and isinstance(v, (str, int, float, bool)) for k, v in spec.items())):
        raise Malformed("expected the check's settings as a dict of plain values")
    expected = decode(record["expected"]) if "expected" in record else None
    return Observation(record["index"], record["kind"], decode(record.get("got")), expected, spec)


def error_of(outputs: list) -> Raised | None:
    """The error a cell's outputs end with, as :class:`Raised` (or None)."""
    errors = [o for o in outputs if o.get("output_type") == "error"]
    if not errors:
        return None
    e = errors[-1]
    trace = ANSI.sub("", "\n".join(e.get("traceback", [])))
    return Raised((str(e.get("ename", "Exception")),), str(e.get("evalue", ""))[:4000], trace[-4000:])


def judge(reference: list[Observation], student: list[Observation], error: Raised | None = None,
          problem: str = "") -> Verdict:
    """The verdict on a test cell whose checks, run against the course's solution, gave
    ``reference`` and, run against the student's code, ``student`` (``error``: the student's
    cell ended with it; ``problem``: its results could not all be read)."""
    if problem:
        return Verdict(False, f"The test's results could not be read: {problem}.")
    for k, ref in enumerate(reference):
        spec = ref.spec or {}
        if k >= len(student):
            return _stopped(spec, error, k)
        obs = student[k]
        if (obs.index, obs.kind) != (ref.index, ref.kind):
            return Verdict(False, "The test's results came out of order (check "
                                  f"{obs.index} where check {ref.index} was due): did code in the notebook publish "
                                  "test results itself?", k)
        problem = compare(ref.kind, spec, ref.expected, obs.got)
        if problem is not None:
            stub = isinstance(obs.got, Raised) and obs.got.name == "NotImplementedError" and not obs.got.message
            return Verdict(False, _not_attempted(spec) if stub else message(spec, problem), k, stub)
    if len(student) > len(reference):
        return Verdict(False, f"The test made {len(reference)} checks but {len(student)} results arrived: did code "
                              "in the notebook publish test results itself?", len(reference))
    if error is not None:
        return Verdict(False, "Every check passed, but then the cell " + describe_error(error), len(reference))
    return Verdict(True, "", len(reference))


def _stopped(spec: dict, error: Raised | None, done: int) -> Verdict:
    call = spec.get("call") or "the next check"
    if error is None:
        return Verdict(False, f"The test stopped before checking {call}.", done)
    stub = error.name == "NotImplementedError" and not error.message
    if stub:
        return Verdict(False, _not_attempted(spec), done, True)
    text = describe_error(error)
    hint = f"\nHint: {spec['hint']}" if spec.get("hint") else ""
    return Verdict(False, f"The test stopped before checking {call}: the cell {text}{hint}", done)


def _not_attempted(spec: dict) -> str:
    hint = f"\n  Hint: {spec['hint']}" if spec.get("hint") else ""
    return f"{spec.get('call') or 'the tested call'}: {NOT_ATTEMPTED}{hint}"


def judge_own(observations: list[Observation], error: Raised | None = None, problem: str = "") -> Verdict:
    """The verdict on a test cell whose checks reported their expected values themselves
    (``course check``, which runs a student's visible tests): every check passes, and nothing
    raised."""
    if problem:
        return Verdict(False, f"The test's results could not be read: {problem}.")
    for k, obs in enumerate(observations):
        spec = obs.spec or {}
        wrong = compare(obs.kind, spec, obs.expected, obs.got)
        if wrong is not None:
            stub = isinstance(obs.got, Raised) and obs.got.name == "NotImplementedError" and not obs.got.message
            return Verdict(False, _not_attempted(spec) if stub else message(spec, wrong), k, stub)
    if error is not None:
        stub = error.name == "NotImplementedError" and not error.message
        return Verdict(False, NOT_ATTEMPTED if stub else "the test cell " + describe_error(error),
                       len(observations), stub)
    if not observations:
        return Verdict(False, "the test cell made no check", 0)
    return Verdict(True, "", len(observations))
