"""TaskFlow's tables and schemas, each entity built in steps: Base -> Create/Update -> table -> Read."""

from datetime import UTC, datetime
from typing import Literal, get_args

from sqlalchemy import JSON, CheckConstraint, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import AutoString, Field, Relationship, SQLModel

# JSON on SQLite, JSONB on PostgreSQL.
PortableJSON = JSON().with_variant(JSONB(), "postgresql")

# The schemas refuse any other status (FastAPI answers 422); the CHECK below refuses it in the database.
# A Literal, not an Enum: the column stays a plain string, so the DDL and the migrations do not change.
TaskStatus = Literal["pending", "in_progress", "done", "failed"]
TASK_STATUSES: tuple[str, ...] = get_args(TaskStatus)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (never the deprecated datetime.utcnow)."""
    return datetime.now(UTC)


# Reading a relationship that would need SQL to load raises instead: async code must load it
# explicitly (selectinload/joinedload). "raise_on_sql" rather than "raise": a many-to-one whose
# target is already in the session (the identity map) is read without SQL.
NO_LAZY = {"lazy": "raise_on_sql"}

# Children that cannot live without their parent (their foreign key says ondelete="CASCADE"): the
# ORM deletes the ones the session holds and leaves the rest to the database instead of loading them
# first. A project delete is then one DELETE, not 1+2N SELECTs (tasks, their subtasks, their tags)
# and the DELETEs: without passive_deletes a delete loads every child, whatever lazy= says.
CASCADE = {"cascade_delete": True, "passive_deletes": True}

# The many-to-one side of such a cascade. Deleting a task the session holds, the ORM would load the
# task's parent and project to order the DELETEs, and raise_on_sql refuses when they are not in the
# session (SQLAlchemy 2.1.9, self-referential tables: "'Task.parent' is not available due to
# lazy='raise_on_sql'"). Every foreign key to a task has an ON DELETE action (CASCADE, or SET NULL
# for the ledger), so any order is safe: do not load them.
ONE_SIDE = {"passive_deletes": True}


class TaskTagLink(SQLModel, table=True):
    """The link table between tasks and tags."""

    task_id: int | None = Field(default=None, foreign_key="task.id", primary_key=True, ondelete="CASCADE")
    tag_id: int | None = Field(default=None, foreign_key="tag.id", primary_key=True, ondelete="CASCADE")


# Project: shared fields -> create/update schemas -> table -> read schema.
class ProjectBase(SQLModel):
    name: str = Field(min_length=1, max_length=100)


class ProjectCreate(ProjectBase):
    pass


class ProjectUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)


class Project(ProjectBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(min_length=1, max_length=100, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    tasks: list["Task"] = Relationship(back_populates="project", **CASCADE, sa_relationship_kwargs=NO_LAZY)


class ProjectRead(ProjectBase):
    id: int
    created_at: datetime


# Task: shared fields -> create/update schemas -> table -> read schema.
class TaskBase(SQLModel):
    title: str = Field(min_length=1, max_length=200)
    status: TaskStatus = Field(default="pending", index=True, sa_type=AutoString)
    priority: int = Field(default=3, ge=1, le=5)
    context: dict = Field(default_factory=dict, sa_type=PortableJSON)
    project_id: int | None = Field(default=None, foreign_key="project.id", ondelete="CASCADE")
    parent_id: int | None = Field(default=None, foreign_key="task.id", ondelete="CASCADE")


class TaskCreate(TaskBase):
    pass


class TaskUpdate(SQLModel):
    # Every field optional: only the ones the client sent are applied (exclude_unset).
    title: str | None = Field(default=None, min_length=1, max_length=200)
    status: TaskStatus | None = None
    priority: int | None = Field(default=None, ge=1, le=5)
    context: dict | None = None
    project_id: int | None = None
    parent_id: int | None = None


class Task(TaskBase, table=True):
    # The database may already have cascaded away a subtask that the ORM deletes too (see ONE_SIDE);
    # a DELETE that then matches no row is expected, not a stale session.
    __mapper_args__ = {"confirm_deleted_rows": False}
    __table_args__ = (
        UniqueConstraint("project_id", "title", name="uq_task_project_title"),
        CheckConstraint(f"status IN ({', '.join(map(repr, TASK_STATUSES))})", name="ck_task_status"),
        CheckConstraint("priority BETWEEN 1 AND 5", name="ck_task_priority"),
        CheckConstraint("length(title) BETWEEN 1 AND 200", name="ck_task_title_length"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    project: Project | None = Relationship(back_populates="tasks", **ONE_SIDE, sa_relationship_kwargs=NO_LAZY)
    # Self-reference: annotate Optional-style with a string, remote_side on the parent.
    parent: "Task" = Relationship(
        back_populates="subtasks", **ONE_SIDE, sa_relationship_kwargs={"remote_side": "Task.id", **NO_LAZY}
    )
    subtasks: list["Task"] = Relationship(back_populates="parent", **CASCADE, sa_relationship_kwargs=NO_LAZY)
    # The link rows go with the task or the tag: ON DELETE CASCADE, and the ORM does not load them.
    tags: list["Tag"] = Relationship(
        back_populates="tasks", link_model=TaskTagLink, passive_deletes=True, sa_relationship_kwargs=NO_LAZY
    )


class TaskRead(TaskBase):
    id: int
    created_at: datetime


class Tag(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(min_length=1, max_length=50, unique=True)
    tasks: list[Task] = Relationship(
        back_populates="tags", link_model=TaskTagLink, passive_deletes=True, sa_relationship_kwargs=NO_LAZY
    )


class Agent(SQLModel, table=True):
    __table_args__ = (CheckConstraint("credits >= 0", name="ck_agent_credits_non_negative"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(min_length=1, max_length=100, unique=True)
    credits: int = Field(default=0, ge=0)


class UsageEntry(SQLModel, table=True):
    """One line of the credit ledger: which agent paid how much for which task."""

    id: int | None = Field(default=None, primary_key=True)
    agent_id: int = Field(foreign_key="agent.id", index=True)
    task_id: int | None = Field(default=None, foreign_key="task.id", ondelete="SET NULL")
    cost: int = Field(gt=0)
    at: datetime = Field(default_factory=utcnow)
