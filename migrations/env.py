"""Alembic environment: our metadata, the configured URL, batch mode on SQLite."""

from __future__ import annotations

from alembic import context

from qa_app.db import models  # noqa: F401  (registers every table)
from qa_app.db.base import Base
from qa_app.db.models.transcript_segment import is_search_index_object
from qa_app.db.session import make_engine
from qa_app.settings import Settings

config = context.config


def include_name(name, type_, parent_names) -> bool:  # noqa: ANN001
    """Leave the dialect-specific search structures (FTS5 tables, pg_trgm index) to their migration."""
    return not is_search_index_object(name)


url = config.get_main_option("sqlalchemy.url") or Settings.from_env().database_url


def run_offline() -> None:
    context.configure(
        url=url,
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(conn) -> None:  # noqa: ANN001
    sqlite = conn.dialect.name == "sqlite" and not conn.in_transaction()
    if sqlite:
        # SQLite alters a table by copying it (batch mode) and dropping the old one; with foreign keys on,
        # that DROP deletes every row cascading from it (a call's transcript, evaluations...). The pragma
        # only takes effect outside a transaction, so it is set before the migrations begin one; the keys
        # are checked after the migrations and switched back on.
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()  # ends SQLAlchemy's autobegun transaction, so the migrations' own one commits
    context.configure(
        connection=conn,
        target_metadata=Base.metadata,
        render_as_batch=conn.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()
    if sqlite:
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        conn.commit()
        if broken:
            raise RuntimeError(f"foreign keys broken after the migrations: {broken[:5]}")


if context.is_offline_mode():
    run_offline()
else:
    run_online()
