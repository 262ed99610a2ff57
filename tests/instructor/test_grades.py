"""Does `make grades` write a row per student and lesson, every exercise's points, and a chart?"""

import csv
import subprocess

import pytest

from skillbook.instructor import coursedir, safe

from skillbook.course import manifest, paths
from skillbook.instructor.grades import pass_rates

pytestmark = pytest.mark.xdist_group("graded-class")


@pytest.fixture(scope="module")
def written(graded_class):
    done = subprocess.run(["make", "--no-print-directory", "grades", f"COURSE_DIR={graded_class.course}"],
                          cwd=paths.repo_root(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    with (graded_class.course / "grades" / "grades.csv").open(newline="") as rows:
        return list(csv.DictReader(rows))


def test_a_row_per_student_and_lesson_with_every_exercise(graded_class, written):
    # As grades.csv shows a student: as text, never a formula (safe.csv_cell).
    stored = {(safe.csv_cell(s.student), s.lesson.id): s for s in coursedir.stored_results(graded_class.course)[0]}
    students = {student for student, _ in stored}
    lessons = {lesson_id for _, lesson_id in stored}
    assert {(row["student"], row["lesson"]) for row in written} == {(s, l) for s in students for l in lessons}
    for row in written:
        found = stored.get((row["student"], row["lesson"]))
        if found is None:  # submitted another lesson but not this one
            assert row["status"] == "missing" and float(row["points"]) == 0
            continue
        assert float(row["points"]) == found.result.points
        assert float(row["max_points"]) == found.result.max_points
        assert row["status"] == ("graded" if found.problem is None else safe.csv_cell(f"broken: {found.problem}"))
        for exercise in found.result.exercises:
            assert float(row[exercise.id]) == exercise.points


def test_chart_and_pass_rates(graded_class, written):
    """Is the chart a PNG, and does each exercise's pass rate match the share of full marks in grades.csv?"""
    png = graded_class.course / "grades" / "grades.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    rates = pass_rates(coursedir.stored_results(graded_class.course)[0])
    assert set(rates) == {column for column in written[0] if "." in column}
    for exercise_id, rate in rates.items():
        mine = [row for row in written if row["lesson"] == exercise_id.split(".")[0] and row["status"] != "missing"]
        best = manifest.exercise(exercise_id).points
        assert rate == sum(float(row[exercise_id]) == best for row in mine) / len(mine)
