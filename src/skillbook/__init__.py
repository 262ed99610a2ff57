"""skillbook: the course kit's tooling — load and grade notebooks, capture the skill, export it.

In a lesson notebook:

    from skillbook import create_skill, check, reflect
"""

__all__ = ["check", "create_skill", "reflect"]


def __getattr__(name):
    # Imported on first use, so the grading worker does not pay for what it does not need.
    if name == "check":
        from skillbook.learner.check import check

        return check
    if name == "reflect":
        from skillbook.skill.reflect import reflect

        return reflect
    if name == "create_skill":
        from skillbook.skill.folder import create_skill

        return create_skill
    raise AttributeError(f"module 'skillbook' has no attribute {name!r}")
