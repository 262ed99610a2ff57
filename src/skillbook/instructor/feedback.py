"""`skillbook feedback` (`make feedback`): one HTML page per student and lesson, from grade-class's results.

Each exercise shows its points, what was wrong and the hint, and the questions its checks asked —
never the graders' source (nbgrader's own feedback shows hidden tests: upstream #917, #1363). Pages
are written where nbgrader's feedback goes, feedback/<student>/<lesson dir>/<lesson dir>.html, beside
timestamp.txt and submission_secret.txt, so `nbgrader release_feedback` can send them.
"""

import html
from pathlib import Path

from skillbook.instructor import coursedir, safe
from skillbook.instructor.coursedir import Stored
from skillbook.files import atomic_copy, atomic_write
from skillbook.engine.scoring.results import ExerciseResult

STYLE = """body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}.total{font-size:1.2rem}.note{background:#fff3e0;padding:.5rem 1rem;border-radius:4px}
.exercise{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
.pass{border-left:6px solid #2e7d32}.fail{border-left:6px solid #c62828}.points{float:right;font-weight:bold}
.hint{background:#e3f2fd;padding:.4rem .8rem;border-radius:4px}ul.checks{font-size:.9rem;color:#444}"""


def clean(message: str) -> str:
    """A grader's message without any line of its source (a bare `assert x == y` reports its expression)
    nor control characters."""
    lines = [line for line in safe.text(message).splitlines() if not line.lstrip().startswith(("assert ", "def test_", "E   "))]
    return " ".join(lines).strip() or "a check failed"


def _waiting(check: dict) -> str:
    """For an edge check that passed but earns nothing yet: why (it waits for the main behaviour)."""
    if check["passed"] and check.get("counts") is False:
        return f" <em>({html.escape(check.get('message', ''))})</em>"
    return ""


def _exercise(ex: ExerciseResult) -> str:
    def e(value) -> str:
        return html.escape(safe.text(value))

    parts = [f'<section class="exercise {"pass" if ex.passed else "fail"}">',
             f'<span class="points">{ex.points:g} / {ex.max_points:g}</span>',
             f"<h2>{'✓' if ex.passed else '✗'} {e(ex.id)}</h2>"]
    if ex.passed:
        parts.append(f"<p>{e(clean(ex.message))}</p>")
    else:
        if ex.promise:
            parts.append(f"<p><strong>Not yet:</strong> {e(ex.promise)}</p>")
        parts.append(f"<p><strong>What was wrong:</strong> {e(clean(ex.message))}</p>")
        if ex.hint:
            parts.append(f'<p class="hint"><strong>Hint:</strong> {e(ex.hint)}</p>')
    questions = [c for c in ex.checks if c.get("question")]
    if questions:
        parts.append('<ul class="checks">')
        parts += [f"<li>{'✓' if c['passed'] else '✗'} {e(c['question'])}{_waiting(c)}</li>" for c in questions]
        parts.append("</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def page(stored: Stored) -> str:
    def e(value) -> str:
        return html.escape(safe.text(value))

    result, lesson = safe.result(stored.result, stored.lesson), stored.lesson
    title = f"{lesson.id} {lesson.title}: feedback for {stored.student}"
    body = [f"<h1>{e(title)}</h1>", f'<p class="total">{result.points:g} of {result.max_points:g} points</p>']
    if stored.problem:
        body.append(f'<p class="note"><strong>Your notebook could not be graded normally:</strong> {e(clean(stored.problem))}</p>')
    body += [_exercise(ex) for ex in result.exercises]
    passed = sum(ex.passed for ex in result.exercises)
    body.append(f"<p>{passed} of {len(result.exercises)} exercises pass. Graded {e(stored.graded_at)}.</p>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>'
            f"<style>{STYLE}</style></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n")


def write_all(course: Path, results: list[Stored]) -> list[Path]:
    """A page for every stored result."""
    written = []
    for stored in results:
        target = coursedir.feedback_file(course, stored.student, stored.lesson)
        atomic_write(target, page(stored))  # also over nbgrader's own read-only page
        source = coursedir.autograded(course, stored.student, stored.lesson)
        for name in coursedir.KEPT:
            if (source / name).is_file():
                atomic_copy(source / name, target.parent / name)
        written.append(target)
    return written
