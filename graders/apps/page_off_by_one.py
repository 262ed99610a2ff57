"""Pages skip a row: offset=0 starts at the second row (offset + 1 sent to the database)."""

from .reference import ProjectService, TaskService, get_session
from .reference import create_app as _reference_app


class _OffByOne:
    async def list(self, *, offset: int = 0, **rest):
        page = await super().list(offset=offset + 1, **rest)
        page.offset = offset
        return page


class Projects(_OffByOne, ProjectService):
    pass


class Tasks(_OffByOne, TaskService):
    pass


def create_app(database_url: str):
    return _reference_app(database_url, project_service=Projects, task_service=Tasks)


__all__ = ["create_app", "get_session"]
