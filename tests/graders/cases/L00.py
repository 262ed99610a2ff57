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
    "description-trailing-comma-makes-a-tuple": (
        {"L00-skill_description": """skill_description = (
    "Use when writing or debugging async SQLModel and SQLAlchemy database code: engines, sessions, "
    "models, transactions, migrations and FastAPI.",
)"""},
        "L00.skill_description",
    ),
    "task-status-nullable-with-a-default": (
        {"L00-task_model": TASK_HEADER + """
class Task(Base, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    status: str | None = "pending"
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
"""},
        "L00.task_model",
    ),
    "task-title-nullable-column": (
        {"L00-task_model": TASK_HEADER + """
class Task(Base, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(nullable=True)
    status: str = "pending"
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
"""},
        "L00.task_model",
    ),
    "task-title-with-an-empty-default": (
        {"L00-task_model": TASK_HEADER + """
class Task(Base, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = ""
    status: str = "pending"
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
"""},
        "L00.task_model",
    ),
    "task-naive-local-time": (
        {"L00-task_model": TASK_HEADER + """
class Task(Base, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    status: str = "pending"
    created_at: datetime = Field(default_factory=datetime.now)
"""},
        "L00.task_model",
    ),
    "task-created-at-plain-datetime-column": (
        {"L00-task_model": TASK_HEADER + """from sqlalchemy import DateTime

class Task(Base, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    status: str = "pending"
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC), sa_type=DateTime)
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
    "description-joined-from-parts": {
        "L00-skill_description": """TOPICS = ["async engines and pools", "AsyncSession lifecycles", "table models and constraints",
          "relationships without N+1", "transactions", "Alembic migrations", "FastAPI dependencies"]
skill_description = "Use when an agent writes Python database code with SQLModel or SQLAlchemy asyncio: " + ", ".join(TOPICS) + "."
"""
    },
    "task-status-with-a-server-default": {
        "L00-task_model": TASK_HEADER + """
class Task(Base, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(min_length=1)
    status: str = Field(default="pending", sa_column_kwargs={"server_default": "pending"})
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
"""
    },
}
