"""Where TaskFlow finds its database: DATABASE_URL, or a local SQLite file."""

import os
from collections.abc import Mapping

DEFAULT_URL = "sqlite+aiosqlite:///taskflow.db"


def database_url(env: Mapping[str, str] | None = None) -> str:
    """The async database URL from the environment, with the driver spelled out."""
    env = os.environ if env is None else env
    url = env.get("DATABASE_URL") or DEFAULT_URL
    for bare in ("postgres://", "postgresql://"):
        if url.startswith(bare):
            # A bare postgresql:// now means psycopg 3; the course uses asyncpg.
            url = "postgresql+asyncpg://" + url[len(bare):]
    return url
