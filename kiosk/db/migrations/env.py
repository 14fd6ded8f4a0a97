"""Alembic environment for the kiosk database (SQLite, batch mode for ALTERs)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from kiosk.db.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url is not None
connectable = create_engine(url)
try:
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
finally:
    connectable.dispose()  # also after a failure: an open file keeps a full or unplugged disk busy
