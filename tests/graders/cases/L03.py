"""L03: realistic wrong answers and correct alternatives, as data (see __init__.py)."""

HEADER = """from datetime import UTC, datetime, timezone
from typing import Optional
from sqlalchemy import JSON, CheckConstraint, Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlmodel import Field, Relationship, SQLModel

class Base(SQLModel, registry=registry()):
    pass

PortableJSON = JSON().with_variant(JSONB(), "postgresql")

def utcnow():
    return datetime.now(UTC)
"""

PROJECT = """
class Project(Base, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
"""

TASK_BASE = """
class TaskBase(Base):
    title: str = Field(min_length=1, max_length=200)
    status: str = Field(default="pending", index=True)
    priority: int = Field(default=3, ge=1, le=5)
    context: dict = Field(default_factory=dict, sa_type=PortableJSON)
    project_id: int | None = Field(default=None, foreign_key="project.id", ondelete="CASCADE")
    parent_id: int | None = Field(default=None, foreign_key="task.id", ondelete="CASCADE")
"""

TASK_ARGS = """
class Task(TaskBase, table=True):
    __table_args__ = (
        UniqueConstraint("project_id", "title", name="uq_task_project_title"),
        CheckConstraint("length(title) BETWEEN 1 AND 200", name="ck_task_title_length"),
        CheckConstraint("status IN ('pending', 'in_progress', 'done', 'failed')", name="ck_task_status"),
        CheckConstraint("priority BETWEEN 1 AND 5", name="ck_task_priority"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
"""

GOOD_MODELS = HEADER + PROJECT + TASK_BASE + TASK_ARGS


def models(*edits: tuple[str, str]) -> str:
    """The solution's models with some text replaced (each replacement must apply)."""
    code = GOOD_MODELS
    for old, new in edits:
        assert old in code, old
        code = code.replace(old, new)
    return code


SCHEMAS_HEADER = """from datetime import datetime
from typing import Literal, Optional
from sqlmodel import Field, SQLModel
"""

# Schemas that do not lean on TaskBase, for submissions whose models cell has none.
STANDALONE_SCHEMAS = SCHEMAS_HEADER + """
Status = Literal["pending", "in_progress", "done", "failed"]

class TaskCreate(SQLModel):
    title: str = Field(min_length=1, max_length=200)
    status: Status = "pending"
    priority: int = Field(default=3, ge=1, le=5)
    context: dict = Field(default_factory=dict)
    project_id: Optional[int] = None
    parent_id: Optional[int] = None

class TaskUpdate(SQLModel):
    title: Optional[str] = Field(default=None, min_length=1, max_length=200)
    status: Optional[Status] = None
    priority: Optional[int] = Field(default=None, ge=1, le=5)
    context: Optional[dict] = None
    project_id: Optional[int] = None
    parent_id: Optional[int] = None

class TaskRead(TaskCreate):
    id: int
    created_at: datetime
"""

STANDALONE_TASK = """
class TaskBase(Base):  # kept for the rest of the notebook; Task below declares its own columns
    title: str

class Task(Base, table=True):
    __table_args__ = (
        UniqueConstraint("project_id", "title"),
        CheckConstraint("length(title) BETWEEN 1 AND 200"),
        CheckConstraint("status IN ('pending', 'in_progress', 'done', 'failed')"),
        CheckConstraint("priority BETWEEN 1 AND 5"),
    )
    id: int | None = Field(default=None, primary_key=True)
    title: str
    status: str = Field(default="pending", index=True)
    priority: int = 3
    context: dict = Field(default_factory=dict, sa_type=PortableJSON)
    created_at: datetime = Field(default_factory=utcnow)
    project_id: int | None = Field(default=None, foreign_key="project.id", ondelete="CASCADE")
    parent_id: int | None = Field(default=None, foreign_key="task.id", ondelete="CASCADE")
"""


def standalone_task(old: str, new: str) -> str:
    assert old in STANDALONE_TASK, old
    return HEADER + PROJECT + STANDALONE_TASK.replace(old, new)


# id -> (cell replacements, the exercise id, or ids, it breaks)
WRONG = {
    "rules-only-in-field": (
        {"L03-models": models(
            ('        CheckConstraint("length(title) BETWEEN 1 AND 200", name="ck_task_title_length"),\n', ""),
            ("""        CheckConstraint("status IN ('pending', 'in_progress', 'done', 'failed')", name="ck_task_status"),\n""", ""),
            ('        CheckConstraint("priority BETWEEN 1 AND 5", name="ck_task_priority"),\n', ""),
        )},
        "L03.models",
    ),
    "title-unique-across-all-projects": (
        {"L03-models": models(('UniqueConstraint("project_id", "title", name="uq_task_project_title")', 'UniqueConstraint("title", name="uq_task_title")'))},
        "L03.models",
    ),
    "status-check-forgets-in-progress": (
        {"L03-models": models(("('pending', 'in_progress', 'done', 'failed')", "('pending', 'done', 'failed')"))},
        "L03.models",
    ),
    "plain-json-on-postgres": (
        {"L03-models": models(("sa_type=PortableJSON", "sa_type=JSON"))},
        "L03.models",
    ),
    "created-at-computed-once": (
        {"L03-models": models((PROJECT, PROJECT.replace("Field(default_factory=utcnow)", "utcnow()")))},
        "L03.models",
    ),
    "no-cascade-on-the-foreign-keys": (
        {"L03-models": models(('foreign_key="project.id", ondelete="CASCADE"', 'foreign_key="project.id"'),
                              ('foreign_key="task.id", ondelete="CASCADE"', 'foreign_key="task.id"'))},
        "L03.models",
    ),
    "status-not-indexed": (
        {"L03-models": models(('status: str = Field(default="pending", index=True)', 'status: str = Field(default="pending")'))},
        "L03.models",
    ),
    "relationship-without-cascade-delete": (
        {"L03-models": models(
            (PROJECT, PROJECT + '    tasks: list["Task"] = Relationship(back_populates="project")\n'),
        ) + '    project: Optional["Project"] = Relationship(back_populates="tasks")\n'},
        "L03.models",
    ),
    "update-requires-the-title": (
        {"L03-schemas": """
class TaskCreate(TaskBase):
    pass

class TaskUpdate(TaskBase):
    pass

class TaskRead(TaskBase):
    id: int
    created_at: datetime
"""},
        "L03.schemas",
    ),
    "create-derived-from-the-table": (
        {"L03-schemas": """
class TaskCreate(Task):
    pass

class TaskUpdate(SQLModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    status: str | None = None
    priority: int | None = Field(default=None, ge=1, le=5)
    context: dict | None = None
    project_id: int | None = None
    parent_id: int | None = None

class TaskRead(TaskBase):
    id: int
    created_at: datetime
"""},
        "L03.schemas",
    ),
    "create-without-validation": (
        {"L03-schemas": SCHEMAS_HEADER + """
class TaskCreate(SQLModel):
    title: str
    status: str = "pending"
    priority: int = 3
    context: dict = {}
    project_id: int | None = None
    parent_id: int | None = None

class TaskUpdate(SQLModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    status: str | None = None
    priority: int | None = Field(default=None, ge=1, le=5)
    context: dict | None = None
    project_id: int | None = None
    parent_id: int | None = None

class TaskRead(TaskBase):
    id: int
    created_at: datetime
"""},
        "L03.schemas",
    ),
    "update-without-validation": (
        {"L03-schemas": SCHEMAS_HEADER + """
class TaskCreate(TaskBase):
    pass

class TaskUpdate(SQLModel):
    title: str | None = None
    status: str | None = None
    priority: int | None = None
    context: dict | None = None
    project_id: int | None = None
    parent_id: int | None = None

class TaskRead(TaskBase):
    id: int
    created_at: datetime
"""},
        "L03.schemas",
    ),
    "read-without-id": (
        {"L03-schemas": SCHEMAS_HEADER + """
class TaskCreate(TaskBase):
    pass

class TaskUpdate(SQLModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    status: str | None = None
    priority: int | None = Field(default=None, ge=1, le=5)
    context: dict | None = None
    project_id: int | None = None
    parent_id: int | None = None

class TaskRead(TaskBase):
    id: int | None = None
    created_at: datetime
"""},
        "L03.schemas",
    ),
    "status-optional-in-the-base": (
        # "the CHECK keeps status valid" -- but a CHECK is true for NULL, and TaskCreate inherits the None too.
        {"L03-models": models(('status: str = Field(default="pending", index=True)',
                               'status: str | None = Field(default="pending", index=True)'))},
        ("L03.models", "L03.schemas"),
    ),
    "title-optional-with-a-length-check": (
        {"L03-models": standalone_task("    title: str\n    status", "    title: str | None = None\n    status"),
         "L03-schemas": STANDALONE_SCHEMAS},
        "L03.models",
    ),
    "priority-optional-in-the-table": (
        {"L03-models": standalone_task("priority: int = 3", "priority: int | None = 3"),
         "L03-schemas": STANDALONE_SCHEMAS},
        "L03.models",
    ),
    "project-name-without-a-length": (
        {"L03-models": models(("name: str = Field(max_length=100, unique=True)", "name: str = Field(unique=True)"))},
        "L03.models",
    ),
    "create-accepts-none": (
        {"L03-schemas": SCHEMAS_HEADER + """
class TaskCreate(SQLModel):
    title: str = Field(min_length=1, max_length=200)
    status: Optional[str] = "pending"
    priority: Optional[int] = Field(default=3, ge=1, le=5)
    context: dict = Field(default_factory=dict)
    project_id: Optional[int] = None
    parent_id: Optional[int] = None

class TaskUpdate(SQLModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    status: str | None = None
    priority: int | None = Field(default=None, ge=1, le=5)
    context: dict | None = None
    project_id: int | None = None
    parent_id: int | None = None

class TaskRead(TaskBase):
    id: int
    created_at: datetime
"""},
        "L03.schemas",
    ),
}

ALTERNATIVES = {
    "models-with-relationships-and-other-sql": {
        "L03-models": """from datetime import datetime, timezone
from typing import Optional
from sqlalchemy import JSON, CheckConstraint, Index, UniqueConstraint
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import registry
from sqlmodel import Field, Relationship, SQLModel

class Base(SQLModel, registry=registry()):
    pass

def now() -> datetime:
    return datetime.now(timezone.utc)

class Project(Base, table=True):
    __tablename__ = "project"
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=100, nullable=False)
    created_at: datetime = Field(default_factory=now)
    tasks: list["Task"] = Relationship(back_populates="project", cascade_delete=True)

class TaskBase(Base):
    title: str = Field(min_length=1, max_length=200)
    status: str = "pending"
    priority: int = Field(default=3, ge=1, le=5)
    context: dict = Field(default_factory=dict, sa_type=JSON().with_variant(postgresql.JSONB, "postgresql"))
    project_id: Optional[int] = Field(default=None, foreign_key="project.id", ondelete="CASCADE")
    parent_id: Optional[int] = Field(default=None, foreign_key="task.id", ondelete="CASCADE")

class Task(TaskBase, table=True):
    __tablename__ = "task"
    __table_args__ = (
        CheckConstraint("length(title) > 0 AND length(title) <= 200"),
        CheckConstraint("status = 'pending' OR status = 'in_progress' OR status = 'done' OR status = 'failed'"),
        CheckConstraint("priority >= 1 AND priority <= 5"),
        UniqueConstraint("project_id", "title"),
        Index("ix_task_status_project", "status", "project_id"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=now)
    project: Optional[Project] = Relationship(back_populates="tasks")
"""
    },
    "standalone-table-and-schemas": {
        "L03-models": HEADER + PROJECT + """
STATUSES = ("pending", "in_progress", "done", "failed")

class Task(Base, table=True):
    __table_args__ = (
        UniqueConstraint("project_id", "title"),
        CheckConstraint("length(title) BETWEEN 1 AND 200"),
        CheckConstraint(f"status IN {STATUSES}"),
        CheckConstraint("priority BETWEEN 1 AND 5"),
    )
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    status: str = Field(default="pending", max_length=20, index=True)
    priority: int = 3
    context: dict = Field(default_factory=dict, sa_type=PortableJSON)
    created_at: datetime = Field(default_factory=utcnow)
    project_id: int | None = Field(default=None, foreign_key="project.id", ondelete="CASCADE", index=True)
    parent_id: int | None = Field(default=None, foreign_key="task.id", ondelete="CASCADE")
""",
        "L03-schemas": STANDALONE_SCHEMAS,
    },
    "project-name-check-and-sa-columns": {
        "L03-models": """from datetime import UTC, datetime
from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

class Base(SQLModel, registry=registry()):
    pass

class Project(Base, table=True):
    __table_args__ = (CheckConstraint("length(name) <= 100", name="ck_project_name_length"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String, nullable=False, unique=True))
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

class TaskBase(Base):
    title: str = Field(min_length=1, max_length=200)
    status: str = Field(default="pending", index=True)
    priority: int = Field(default=3, ge=1, le=5)
    context: dict = Field(default_factory=dict, sa_type=JSON().with_variant(JSONB(), "postgresql"))
    project_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("project.id", ondelete="CASCADE"), nullable=True)
    )
    parent_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("task.id", ondelete="CASCADE"), nullable=True)
    )

class Task(TaskBase, table=True):
    __table_args__ = (
        UniqueConstraint("project_id", "title"),
        CheckConstraint("length(title) >= 1 AND length(title) <= 200"),
        CheckConstraint("status IN ('pending', 'in_progress', 'done', 'failed')"),
        CheckConstraint("priority IN (1, 2, 3, 4, 5)"),
    )
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
"""
    },
    "schemas-with-annotated-types": {
        "L03-schemas": """from datetime import datetime
from typing import Annotated
from annotated_types import Interval
from pydantic import StringConstraints
from sqlmodel import SQLModel

Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Priority = Annotated[int, Interval(ge=1, le=5)]

class TaskCreate(SQLModel):
    title: Title
    status: str = "pending"
    priority: Priority = 3
    context: dict = {}
    project_id: int | None = None
    parent_id: int | None = None

class TaskUpdate(SQLModel):
    title: Title | None = None
    status: str | None = None
    priority: Priority | None = None
    context: dict | None = None
    project_id: int | None = None
    parent_id: int | None = None

class TaskRead(TaskCreate):
    id: int
    created_at: datetime
"""
    },
}
