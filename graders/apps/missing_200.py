"""A missing project or task answers 200 (with its error body) instead of 404."""

from .reference import create_app as _reference_app
from .reference import get_session
from .rewrite import StatusRewrite


def create_app(database_url: str):
    app = _reference_app(database_url)
    app.add_middleware(StatusRewrite, old=404, new=200)
    return app


__all__ = ["create_app", "get_session"]
