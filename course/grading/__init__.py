"""Grading for instructors (``course grade``) and self-checks for students (``course check``).

Verdicts are decided outside the student's kernel: ``probe`` (test cells split into what runs in
the student's kernel and what runs in the grader's), ``reference`` (the trusted run of the course's
solution), ``verdict`` (observations compared, with ``course.compare``), ``execute`` (nbgrader's
Execute doing all that). Around it: ``submissions`` (finding submissions, zips), ``lessons``
(gradebooks of the lessons), ``analysis`` and ``outcome`` (what a submission did, typed),
``sandbox`` and ``limits`` (bubblewrap and resource limits), ``autograde`` (the per-submission
worker), ``runner`` (the parallel, resumable batch), ``report`` and ``feedback`` (grades.csv and
the students' pages), ``check`` (``course check``).
"""
