"""The loaded notebook as graders see it: attribute access with failures a learner can act on."""

from skillbook.engine.loading.state import Load


class NotDefined(AssertionError):
    """The notebook does not define a name a check needs."""


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
