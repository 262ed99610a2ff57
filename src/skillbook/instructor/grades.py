"""`skillbook grades` (`make grades`): the class's grades from grade-class's results, as a CSV and a chart.

grades/grades.csv has a row per student and lesson (a lesson a student did not submit is a row with
status "missing" and 0 points), the points of every exercise, and the totals. grades/grades.png shows
the score distribution per lesson and the pass rate per exercise. (The folder keeps them apart from
the grades.csv that `nbgrader export` writes in the current folder.)
"""

import csv
from pathlib import Path

from skillbook.course import manifest
from skillbook.instructor import safe
from skillbook.instructor.coursedir import Stored
from skillbook.files import replacing

FIXED = ("student", "lesson", "status", "points", "max_points", "percent")


def rows(results: list[Stored]) -> tuple[list[str], list[dict]]:
    """(columns, rows): every student × every lesson that anyone submitted, in course order."""
    lessons = sorted({s.lesson for s in results}, key=lambda lesson: lesson.id)
    students = sorted({s.student for s in results})
    by_key = {(s.student, s.lesson.id): s for s in results}
    columns = [*FIXED, *(ex.id for lesson in lessons for ex in lesson.exercises)]
    table = []
    for student in students:
        for lesson in lessons:
            stored = by_key.get((student, lesson.id))
            row = {"student": student, "lesson": lesson.id, "max_points": f"{lesson.max_points:g}"}
            if stored is None:
                row.update(status="missing", points="0", percent="0")
                row.update({ex.id: "0" for ex in lesson.exercises})
            else:
                result = safe.result(stored.result, stored.lesson)
                row.update(status=f"broken: {stored.problem}" if stored.problem else "graded",
                           points=f"{result.points:g}", percent=f"{100 * result.points / result.max_points:.1f}")
                row.update({ex.id: f"{ex.points:g}" for ex in result.exercises})
            table.append(row)
    return columns, table


def write_csv(results: list[Stored], target: Path) -> Path:
    """grades.csv; every cell is text a spreadsheet shows as text (no control characters, no formula)."""
    columns, table = rows(results)
    table = [{column: safe.csv_cell(value) for column, value in row.items()} for row in table]
    with replacing(target) as partial, partial.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(table)
    return target


def pass_rates(results: list[Stored]) -> dict[str, float]:
    """The share of submissions that passed each exercise, in course order."""
    rates = {}
    for lesson in manifest.lessons().values():
        mine = [s for s in results if s.lesson == lesson]
        for ex in lesson.exercises if mine else ():
            rates[ex.id] = sum(s.result.exercise(ex.id).passed for s in mine) / len(mine)
    return rates


def chart(results: list[Stored], target: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lessons = sorted({s.lesson for s in results}, key=lambda lesson: lesson.id)
    scores = [[100 * s.result.points / s.result.max_points for s in results if s.lesson == lesson] for lesson in lessons]
    rates = pass_rates(results)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, max(4, 0.28 * len(rates) + 1.5)), dpi=110,
                                      gridspec_kw={"width_ratios": [1, 1.3]})
    left.boxplot(scores, tick_labels=[lesson.id for lesson in lessons], showmeans=True)
    for number, values in enumerate(scores, start=1):
        spread = [number + 0.18 * ((i % 7) - 3) / 3 for i in range(len(values))]
        left.scatter(spread, values, s=10, alpha=0.5, color="#1565c0")
    left.set_ylim(-5, 105)
    left.set_ylabel("points (%)")
    left.set_title("Score distribution per lesson")
    names = list(rates)[::-1]
    right.barh(names, [100 * rates[n] for n in names], color=["#2e7d32" if rates[n] >= 0.5 else "#c62828" for n in names])
    right.set_xlim(0, 100)
    right.set_xlabel("submissions that passed (%)")
    right.set_title("Pass rate per exercise")
    right.tick_params(axis="y", labelsize=8)
    for axis in (left, right):
        axis.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    with replacing(target) as partial:
        fig.savefig(partial, format="png")
    plt.close(fig)
    return target
