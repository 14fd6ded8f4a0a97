"""Alembic environment for the street centre.

``sync.centre.db.migrate`` passes an open connection in ``config.attributes["connection"]``; run from the
command line, the URL comes from ``CENTRE_DATABASE_URL`` (and ``CENTRE_DB_SCHEMA``).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from sync.centre.models import Base
from sync.centre.settings import CentreSettings

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from sync.centre.db import make_engine

    settings = CentreSettings.from_env()
    engine = make_engine(settings.database_url, settings.db_schema)
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run against a database")
run_migrations_online()
