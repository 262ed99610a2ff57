"""The class: grade every submission into nbgrader's gradebook (grade_class, coursedir, gradebook),
then feedback pages and grade reports (feedback, grades).

Imports only course/, engine/ and files.py."""
