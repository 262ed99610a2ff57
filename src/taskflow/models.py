"""TaskFlow's tables and schemas, each entity built in steps: Base -> Create/Update -> table -> Read."""

from datetime import UTC, datetime

from sqlalchemy import JSON, CheckConstraint, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, Relationship, SQLModel

# JSON on SQLite, JSONB on PostgreSQL.
PortableJSON = JSON().with_variant(JSONB(), "postgresql")

TASK_STATUSES = ("pending", "in_progress", "done", "failed")


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (never the deprecated datetime.utcnow)."""
    return datetime.now(UTC)


# A relationship that would need SQL to load raises instead: async code must load explicitly
# (selectinload/joinedload). "raise_on_sql" rather than "raise", so that what is already in the
# session (ORM cascades, the identity map) still works, and deleting a project with tasks works.
NO_LAZY = {"lazy": "raise_on_sql"}


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
    tasks: list["Task"] = Relationship(
        back_populates="project",
        cascade_delete=True,
        sa_relationship_kwargs=NO_LAZY,
    )


class ProjectRead(ProjectBase):
    id: int
    created_at: datetime


# Task: shared fields -> create/update schemas -> table -> read schema.
class TaskBase(SQLModel):
    title: str = Field(min_length=1, max_length=200)
    status: str = Field(default="pending", index=True)
    priority: int = Field(default=3, ge=1, le=5)
    context: dict = Field(default_factory=dict, sa_type=PortableJSON)
    project_id: int | None = Field(default=None, foreign_key="project.id", ondelete="CASCADE")
    parent_id: int | None = Field(default=None, foreign_key="task.id", ondelete="CASCADE")


class TaskCreate(TaskBase):
    pass


class TaskUpdate(SQLModel):
    # Every field optional: only the ones the client sent are applied (exclude_unset).
    title: str | None = Field(default=None, min_length=1, max_length=200)
    status: str | None = None
    priority: int | None = Field(default=None, ge=1, le=5)
    context: dict | None = None
    project_id: int | None = None
    parent_id: int | None = None


class Task(TaskBase, table=True):
    __table_args__ = (
        UniqueConstraint("project_id", "title", name="uq_task_project_title"),
        CheckConstraint("status IN ('pending', 'in_progress', 'done', 'failed')", name="ck_task_status"),
        CheckConstraint("priority BETWEEN 1 AND 5", name="ck_task_priority"),
        CheckConstraint("length(title) BETWEEN 1 AND 200", name="ck_task_title_length"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    project: Project | None = Relationship(back_populates="tasks", sa_relationship_kwargs=NO_LAZY)
    # Self-reference: annotate Optional-style with a string, remote_side on the parent.
    parent: "Task" = Relationship(
        back_populates="subtasks",
        sa_relationship_kwargs={"remote_side": "Task.id", **NO_LAZY},
    )
    subtasks: list["Task"] = Relationship(back_populates="parent", sa_relationship_kwargs=NO_LAZY)
    tags: list["Tag"] = Relationship(back_populates="tasks", link_model=TaskTagLink, sa_relationship_kwargs=NO_LAZY)


class TaskRead(TaskBase):
    id: int
    created_at: datetime


class Tag(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(min_length=1, max_length=50, unique=True)
    tasks: list[Task] = Relationship(back_populates="tags", link_model=TaskTagLink, sa_relationship_kwargs=NO_LAZY)


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
