"""skillbook: the course kit's tooling — load and grade notebooks, capture the skill, export it.

In a lesson notebook:

    from skillbook import create_skill, check, reflect

Imported in a Jupyter kernel, it starts recording the cells the learner runs and a warm grading
server for the check cells (skillbook.learner.kernel).
"""

import sys

__all__ = ["check", "create_skill", "reflect"]


def _in_one_line(reflect):
    """The notebook's reflect(): bad input (an unknown lesson, a missing, broken or foreign notebook)
    is answered in one line, and nothing is written."""
    import functools

    from skillbook.course.locate import is_grading
    from skillbook.learner.notebooks import lesson_problem, one_line

    @functools.wraps(reflect)
    def reflect_in_one_line(*args, **kwargs):
        lesson_id = args[0] if args else kwargs.get("lesson_id", "")
        try:
            problem = None if is_grading() else lesson_problem(str(lesson_id), kwargs.get("notebook"))
            if problem is None:
                return reflect(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a notebook cell prints one line, never a traceback
            problem = one_line(exc)
        print(f"✗ reflect({lesson_id!r}) wrote nothing: {problem}")
        return []

    return reflect_in_one_line


def __getattr__(name):
    # Imported on first use, so the grading worker does not pay for what it does not need.
    if name == "check":
        from skillbook.learner.check import check

        return check
    if name == "reflect":
        from skillbook.skill.reflect import reflect

        return _in_one_line(reflect)
    if name == "create_skill":
        from skillbook.skill.folder import create_skill

        return create_skill
    raise AttributeError(f"module 'skillbook' has no attribute {name!r}")


if "ipykernel" in sys.modules:  # a Jupyter kernel (not the grading worker, not a script)
    from skillbook.learner import kernel as _kernel

    _kernel.start()
