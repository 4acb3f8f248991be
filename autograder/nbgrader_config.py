"""nbgrader configuration of the course.

``solutions/`` is nbgrader's source folder and ``lessons/`` its release folder, so
``solutions/<lesson>/<notebook>.ipynb`` becomes ``lessons/<lesson>/<notebook>.ipynb``.
Submissions, grades and feedback live under ``autograder/`` (git ignores them).
Run nbgrader from this folder (``cd autograder``) so that it finds this file.
"""

from pathlib import Path

from nbgrader.converters import GenerateAssignment

from course.grading.overwrite import use_course_preprocessors

c = get_config()  # noqa: F821 (provided by nbgrader)
ROOT = Path(__file__).resolve().parent.parent

c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "lessons"
c.CourseDirectory.submitted_directory = "autograder/submitted"
c.CourseDirectory.autograded_directory = "autograder/autograded"
c.CourseDirectory.feedback_directory = "autograder/feedback"
c.CourseDirectory.db_url = f"sqlite:///{ROOT / 'autograder' / 'gradebook.db'}"
# runs/: what a lesson's training cells write next to the notebook (lesson 07's checkpoint) is never released
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*.egg-info", "runs"]

# Students get a clear stub to replace.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Lessons' Colab badges open the lesson, not the instructor's solution; no timing metadata.
c.GenerateAssignment.preprocessors = (
    list(GenerateAssignment.class_traits()["preprocessors"].make_dynamic_default()) + ["course.release.StudentVersion"]
)

# nbgrader's default of 30 s per cell is too short for the training lessons; heavy cells
# also shrink themselves while grading (NBGRADER_EXECUTION, see course.config.fast_mode).
c.Execute.timeout = 600

# A student who deletes a test cell still gets it run: nbgrader restores it from the gradebook.
c.OverwriteCells.add_missing_cells = True

# Verdicts are decided outside the student's kernel: test cells run there as probes that only
# report values, and the course's solution runs the same tests in a kernel of the grader's own
# for the expected values (see course/grading/execute.py and autograder/README.md). This also
# scores a test on what it checks: stderr (warnings) is advice, a value left as a test cell's
# last expression is no partial credit.
# Test cells released without their hidden tests are no "changed checksum" (overwrite.py).
use_course_preprocessors(c, "course.grading.execute.TrustedExecute")

# Feedback pages go to students: what a student's notebook holds (HTML, JavaScript, SVG in
# markdown or outputs) must not run when the page is opened, and hidden tests show their
# results, not their code (see course/grading/feedback.py).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades", "course.grading.feedback.StudentContentInert",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.GenerateFeedback.exporter_class = "course.grading.feedback.SafeFeedbackExporter"
c.HTMLExporter.sanitize_html = True
