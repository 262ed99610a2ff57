"""Exercise and lesson results: what `skillbook grade --json` prints and every report is made of."""

from dataclasses import asdict, dataclass, field


@dataclass
class ExerciseResult:
    id: str
    points: float
    max_points: float
    passed: bool
    message: str
    hint: str = ""  # the hint of the promise whose check failed first, else the exercise's level-1 hint
    promise: str = ""  # what that promise says (course.toml), shown as the behaviour not there yet
    checks: list[dict] = field(default_factory=list)


@dataclass
class LessonResult:
    lesson: str
    points: float
    max_points: float
    exercises: list[ExerciseResult]
    error: str | None = None  # set when the notebook as a whole could not be run
    ignored: list[str] = field(default_factory=list)  # results the graders do not hold, or sent twice (skillbook.engine.scoring.points)
    cacheable: bool = True  # False when a limit (time, memory) or a crash decided part of it: grade it again next time

    def exercise(self, exercise_id: str) -> ExerciseResult:
        for e in self.exercises:
            if e.id == exercise_id:
                return e
        raise KeyError(exercise_id)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "LessonResult":
        return cls(
            lesson=data["lesson"],
            points=data["points"],
            max_points=data["max_points"],
            exercises=[ExerciseResult(**e) for e in data["exercises"]],
            error=data.get("error"),
            ignored=list(data.get("ignored", [])),
            cacheable=bool(data.get("cacheable", True)),
        )
