"""PATCH writes every field of the update schema, the ones the client did not send as None
(`data.model_dump()` without exclude_unset): a PATCH of the status alone fails or wipes the title."""

from .reference import ProjectService, TaskService, get_session, save
from .reference import create_app as _reference_app


class _Overwrite:
    async def update(self, id, data):
        obj = await self.get(id)
        if obj is None:
            return None
        obj.sqlmodel_update(data.model_dump())  # exclude_unset forgotten
        await save(self.session, obj)
        await self.session.refresh(obj)
        return obj


class Projects(_Overwrite, ProjectService):
    pass


class Tasks(_Overwrite, TaskService):
    pass


def create_app(database_url: str):
    return _reference_app(database_url, project_service=Projects, task_service=Tasks)


__all__ = ["create_app", "get_session"]
