"""L00: realistic wrong answers and correct alternatives, as data (see __init__.py)."""


TASK_HEADER = """from datetime import UTC, datetime, timezone
from typing import Optional
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

class Base(SQLModel, registry=registry()):
    pass
"""

# id -> (cell replacements, the exercise that must lose points)
WRONG = {
    "description-not-use-when": (
        {"L00-skill_description": 'skill_description = "This skill writes async SQLModel database code for FastAPI apps and agents."'},
        "L00.skill_description",
    ),
    "description-angle-brackets": (
        {"L00-skill_description": 'skill_description = "Use when writing async SQLModel database code for <any> FastAPI service."'},
        "L00.skill_description",
    ),
    "description-too-long": (
        {"L00-skill_description": 'skill_description = "Use when writing async SQLModel database code. " * 40'},
        "L00.skill_description",
    ),
    "description-too-vague": (
        {"L00-skill_description": 'skill_description = "Use when needed."'},
        "L00.skill_description",
    ),
    "task-not-a-table": (
        {"L00-task_model": TASK_HEADER + """
class Task(Base):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    status: str = "pending"
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
"""},
        "L00.task_model",
    ),
    "task-utcnow": (
        {"L00-task_model": TASK_HEADER + """
class Task(Base, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    status: str = "pending"
    created_at: datetime = Field(default_factory=datetime.utcnow)
"""},
        "L00.task_model",
    ),
    "task-created-at-computed-once": (
        {"L00-task_model": TASK_HEADER + """
class Task(Base, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    status: str = "pending"
    created_at: datetime = datetime.now(UTC)
"""},
        "L00.task_model",
    ),
    "task-no-status-default": (
        {"L00-task_model": TASK_HEADER + """
class Task(Base, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    status: str | None = None
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
"""},
        "L00.task_model",
    ),
    "task-optional-title": (
        {"L00-task_model": TASK_HEADER + """
class Task(Base, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str | None = None
    status: str = "pending"
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
"""},
        "L00.task_model",
    ),
}

ALTERNATIVES = {
    "description-single-quoted-with-colon": {
        "L00-skill_description": "skill_description = 'Use when an agent must write async Python database code: SQLModel models, "
        "SQLAlchemy 2 async engines and sessions, relationships, transactions, Alembic migrations, FastAPI.'"
    },
    "task-optional-and-timezone-utc": {
        "L00-task_model": TASK_HEADER + """
def now_utc() -> datetime:
    return datetime.now(timezone.utc)

class Task(Base, table=True):
    __tablename__ = "tasks"
    id: Optional[int] = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    status: str = Field(default="pending", index=True)
    created_at: datetime = Field(default_factory=now_utc, nullable=False)
"""
    },
    "task-plain-sqlmodel-base": {
        # Without the fresh registry: correct, only not re-runnable in a kernel.
        "L00-task_model": """from datetime import UTC, datetime
from sqlmodel import Field, SQLModel

class Task(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    status: str = "pending"
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
"""
    },
}
