"""`make progress`: where a learner stands, derived from their notebooks and their skill (so it cannot drift).

For each lesson: the points of the saved lessons/ notebook (the same grading as `make check`),
how many exercises pass, whether its Reflect block is in the skill, and how complete the skill is.
Whether a lesson is reflected is the skill wing's to say: the caller passes `reflected` in.
A lesson at 0 points says why: its notebook is missing or broken (and how to get it back), no
exercise is answered yet, or every answer fails its checks.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from skillbook.course import cells, manifest, paths
from skillbook.course.manifest import Lesson
from skillbook.learner.notebooks import load


@dataclass
class LessonProgress:
    lesson: Lesson
    points: float
    max_points: float
    passed: int
    exercises: int
    reflected: bool
    started: bool
    why_zero: str = ""  # for a lesson at 0 points: why, in a few words
    problem: str = ""  # the notebook cannot be read: what is wrong and how to get it back


def _unanswered(raw: dict, lesson: Lesson) -> bool:
    """Every exercise cell still raises NotImplementedError, as the lesson was handed out."""
    wanted = {e.grade_id for e in lesson.exercises}
    sources = ["".join(c.get("source", "")) for c in raw["cells"] if cells.grade_id(c) in wanted]
    return bool(sources) and all("raise NotImplementedError" in source for source in sources)


def _one(lesson: Lesson, reflected: Callable[[Lesson], bool], lessons_dir: Path, database_url: str | None) -> LessonProgress:
    from skillbook.engine.cache import cached_grade

    notebook = lessons_dir / lesson.dir / lesson.notebook_name
    raw, problem = load(notebook, lesson)
    result = cached_grade(notebook, lesson, database_url=database_url) if raw is not None else None
    points = result.points if result else 0
    why = ""
    if problem:
        why = "notebook missing" if not notebook.exists() else "notebook unreadable"
    elif not points:
        why = "not started" if _unanswered(raw, lesson) else f"no check passes yet: make check L={lesson.id}"
    return LessonProgress(
        lesson=lesson,
        points=points,
        max_points=lesson.max_points,
        passed=sum(e.passed for e in result.exercises) if result else 0,
        exercises=len(lesson.exercises),
        reflected=reflected(lesson),
        started=bool(points),
        why_zero=why,
        problem=problem or "",
    )


def collect(reflected: Callable[[Lesson], bool], lessons_dir: Path | None = None, jobs: int = 2,
            database_url: str | None = None) -> list[LessonProgress]:
    """Every lesson's progress; `reflected(lesson)` says whether its Reflect block is in the skill."""
    lessons_dir = lessons_dir or paths.lessons_dir()
    lessons = list(manifest.lessons().values())
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lambda lesson: _one(lesson, reflected, lessons_dir, database_url), lessons))


def problems(rows: list[LessonProgress]) -> list[str]:
    """One line for every lesson whose notebook cannot be read: what is wrong, how to get it back."""
    return [f"{row.lesson.id}: {row.problem}" for row in rows if row.problem]


def skill_completeness(rows: list[LessonProgress]) -> float:
    """The share of lessons whose Reflect block is in the skill."""
    return sum(r.reflected for r in rows) / len(rows) if rows else 0.0


def table(rows: list[LessonProgress]):
    from rich.table import Table

    out = Table(title="Your progress", title_justify="left")
    for name, justify in (("lesson", "left"), ("title", "left"), ("points", "right"), ("exercises passed", "right"),
                          ("reflected", "center"), ("why 0", "left")):
        out.add_column(name, justify=justify)
    for row in rows:
        out.add_row(row.lesson.id, row.lesson.title, f"{row.points:g}/{row.max_points:g}",
                    f"{row.passed}/{row.exercises}", "✓" if row.reflected else "·", row.why_zero)
    total = sum(r.points for r in rows)
    best = sum(r.max_points for r in rows)
    out.caption = f"{total:g}/{best:g} points; your skill holds {skill_completeness(rows):.0%} of the lessons"
    return out


def chart(rows: list[LessonProgress], target: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [r.lesson.id for r in rows]
    shares = [100 * r.points / r.max_points if r.max_points else 0 for r in rows]
    colours = ["#2e7d32" if r.reflected else "#90a4ae" for r in rows]
    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=120)
    bars = ax.bar(labels, shares, color=colours)
    for bar, row in zip(bars, rows):
        ax.annotate(f"{row.points:g}/{row.max_points:g}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=8)
    ax.set_ylim(0, 110)
    ax.set_ylabel("points (%)")
    ax.set_title(f"Points per lesson; green = reflected into your skill ({skill_completeness(rows):.0%})")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target)
    plt.close(fig)
    return target
