"""A conflict (a taken name, a title twice in a project) answers 500 instead of 409."""

from .reference import create_app as _reference_app
from .reference import get_session
from .rewrite import StatusRewrite


def create_app(database_url: str):
    app = _reference_app(database_url)
    app.add_middleware(StatusRewrite, old=409, new=500)
    return app


__all__ = ["create_app", "get_session"]
