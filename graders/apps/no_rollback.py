"""Writes commit without a rollback on failure: after a 409 the request's session is broken, so the
next statement in it fails (PendingRollbackError, 500)."""

from .reference import ProjectService, TaskService, get_session
from .reference import create_app as _reference_app


class _NoRollback:
    async def create(self, data):
        obj = self.model.model_validate(data)
        self.session.add(obj)
        await self.session.commit()  # an IntegrityError leaves the session needing a rollback
        await self.session.refresh(obj)
        return obj

    async def update(self, id, data):
        obj = await self.get(id)
        if obj is None:
            return None
        obj.sqlmodel_update(data.model_dump(exclude_unset=True))
        await self.session.commit()
        await self.session.refresh(obj)
        return obj


class Projects(_NoRollback, ProjectService):
    pass


class Tasks(_NoRollback, TaskService):
    pass


def create_app(database_url: str):
    return _reference_app(database_url, project_service=Projects, task_service=Tasks)


__all__ = ["create_app", "get_session"]
