"""The loaded notebook as graders see it: attribute access with failures a learner can act on."""

from skillbook.engine.loading.state import Load


class NotDefined(AssertionError):
    """The notebook does not define a name a check needs."""


_checking: str | None = None  # the exercise whose check runs now (set by skillbook.engine.pytest_plugin)


def checking(exercise_id: str | None) -> None:
    global _checking
    _checking = exercise_id


def _grade_id(exercise_id: str) -> str:
    """The nbgrader grade id of an exercise's answer cell: L00.task_model -> L00-task_model."""
    return exercise_id.replace(".", "-", 1)


class Learner:
    def __init__(self, load: Load) -> None:
        self._load = load

    @property
    def namespace(self) -> dict:
        return self._load.module.__dict__ if self._load.module else {}

    @property
    def errors(self):
        return list(self._load.errors)

    @property
    def fatal(self) -> str | None:
        return self._load.fatal

    def has(self, name: str) -> bool:
        return name in self.namespace

    def _why_missing(self, name: str) -> str:
        if self._load.fatal:
            return f"Your notebook could not be run: {self._load.fatal}"
        answer = next((c for c in self._load.cells if _checking and c.grade_id == _grade_id(_checking)), None)
        if answer is not None:  # the exercise being checked: its own cell says why, never a later teaching cell
            own = [e for e in self._load.errors if e.cell is answer]
            if own:
                return own[0].message if own[0].kind == "unanswered" else f"Your notebook does not define `{name}`: {own[0].message}."
            return (f"Your notebook does not define `{name}`: define it in the answer cell of {answer.exercise_name} "
                    f"(check the spelling of `{name}`).")
        message = f"Your notebook does not define `{name}`."
        defining = [e for e in self._load.errors if name in e.cell.source or name in (e.cell.grade_id or "")]
        broken = defining or self._load.errors
        if broken:
            message += " " + "; ".join(e.message for e in broken[:3]) + "."
        else:
            message += f" Define it in the exercise cell (check the spelling of `{name}`)."
        return message

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self.namespace:
            raise NotDefined(self._why_missing(name))
        return self.namespace[name]

    def __getitem__(self, name: str):
        return self.__getattr__(name)
