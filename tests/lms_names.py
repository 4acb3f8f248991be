"""File names that real downloads give a notebook of lesson 01: from Moodle (flat or one folder
per participant, identities shown or hidden), Canvas (late, resubmitted), Colab's "Save a copy",
a browser's second download, a zip, nbgrader's own layout; and names that must stay unmatched.
The unit tests (test_grading_submissions) and the sandboxed run (test_grading_corpus) share them."""

# path in SUBMISSIONS -> (student_id, student_name, lms)
MATCHED = {
    "s1001/01-segmentation/segmentation.ipynb": ("s1001", "", ""),
    "s1002/01-segmentation/Copy of segmentation.ipynb": ("s1002", "", ""),
    "s1003_01-segmentation.ipynb": ("s1003", "", ""),
    "s1004_segmentation (1).ipynb": ("s1004", "", ""),
    "s1005_Copy of segmentation.ipynb": ("s1005", "", ""),
    "s1006_Copy_of_Segmentation(2).ipynb": ("s1006", "", ""),
    "doejane_12345_678901_segmentation.ipynb": ("12345", "doejane", "canvas"),
    "roejohn_LATE_12346_678902_segmentation-1.ipynb": ("12346", "roejohn", "canvas"),
    "smithann_12347_678903_Copy of segmentation.ipynb": ("12347", "smithann", "canvas"),
    "obrien-smithmary_12348_678904_segmentation-2 (1).ipynb": ("12348", "obrien-smithmary", "canvas"),
    "Jane Doe_22345_assignsubmission_file_segmentation.ipynb": ("22345", "Jane Doe", "moodle"),
    "John Roe_22346_assignsubmission_file_Copy of segmentation.ipynb": ("22346", "John Roe", "moodle"),
    "Ann Smith_22347_assignsubmission_file/segmentation (1).ipynb": ("22347", "Ann Smith", "moodle"),
    "Kim Lee_22348_assignsubmission_file/Copy of segmentation.ipynb": ("22348", "Kim Lee", "moodle"),
    "José Núñez_22349_assignsubmission_file/my homework.ipynb": ("22349", "José Núñez", "moodle"),
    "Participant_22350_assignsubmission_file_segmentation.ipynb": ("22350", "", "moodle"),
    "Mary O'Brien-Smith_22351_assignsubmission_file/week 1/segmentation.ipynb": ("22351", "Mary O'Brien-Smith", "moodle"),
    "s1007_01-segmentation.zip": ("s1007", "", ""),  # holds work/Copy of segmentation.ipynb
}
ZIP_MEMBER = "work/Copy of segmentation.ipynb"
BY_CONTENT = {"José Núñez_22349_assignsubmission_file/my homework.ipynb"}  # only its cells say the lesson

# path -> (student_id in its row, what its message says)
UNMATCHED = {
    "segmentation.ipynb": ("", "the name carries no student id; rename it to <student_id>_<notebook>.ipynb"),
    "Copy of segmentation (3).ipynb": ("", "the name carries no student id"),
    "s1008_notes.ipynb": ("s1008", "neither its name nor its cells say which lesson it is; rename it to "
                                   "s1008_<notebook>.ipynb, e.g. s1008_segmentation.ipynb for 01-segmentation"),
    "Jane Doe_22345_assignsubmission_onlinetext/onlinetext.html": ("22345", "not a .ipynb or .zip file"),
}
