"""GET /tasks and GET /projects ignore their filters: every row comes back."""

from .reference import ProjectService, TaskService, get_session
from .reference import create_app as _reference_app


class _Unfiltered:
    async def list(self, *, filters=None, **paging):
        return await super().list(**paging)


class Projects(_Unfiltered, ProjectService):
    pass


class Tasks(_Unfiltered, TaskService):
    pass


def create_app(database_url: str):
    return _reference_app(database_url, project_service=Projects, task_service=Tasks)


__all__ = ["create_app", "get_session"]
