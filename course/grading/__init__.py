"""Grading for instructors (``course grade``) and self-checks for students (``course check``).

Modules: ``submissions`` (finding submissions, zips), ``lessons`` (gradebooks of the
lessons), ``sandbox`` and ``limits`` (bubblewrap and resource limits), ``kernel`` (the
guarded kernel), ``autograde`` (the per-submission worker), ``runner`` (the parallel,
resumable batch), ``report`` (grades.csv, feedback), ``check`` (``course check``).
"""
