"""The checks behind each chapter's exercises: ``from course_lib.checks.ch00 import q1, q2, q3, q4``."""
