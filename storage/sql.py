"""The SQL that differs between SQLite and PostgreSQL, in one place."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Text, cast, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


def dialect_name(session: AsyncSession | AsyncConnection) -> str:
    bind = session.bind if isinstance(session, AsyncSession) else session
    assert bind is not None, "units of work are bound to the database's engine"
    return bind.dialect.name


def is_postgres(session: AsyncSession | AsyncConnection) -> bool:
    return dialect_name(session) == "postgresql"


def insert(session: AsyncSession, model: Any) -> Any:
    """An INSERT that knows ON CONFLICT in the session's dialect."""
    return insert_for(dialect_name(session), model)


def insert_for(dialect_name: str, model: Any) -> Any:
    """The same for a dialect by name (for statements built once and cached). Each
    dialect's module loads when first used: a SQLite app never loads PostgreSQL's."""
    if dialect_name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(model)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(model)


def cast_text(column: Any) -> Any:
    """A JSON column read as its text (both dialects store the serialized JSON)."""
    return cast(column, Text)


def json_escaped(text: str) -> str:
    """How a string reads inside stored JSON (quotes, backslashes, non-ASCII escaped, as
    SQLAlchemy's JSON type writes it on both dialects)."""
    return json.dumps(text)[1:-1]


def utc_day(session: AsyncSession, column: Any) -> Any:
    """The UTC calendar day of a stored time, as SQL (for counting distinct days)."""
    if is_postgres(session):
        return func.date(func.timezone("UTC", column))
    return func.date(column)  # SQLite keeps UTC times as ISO text


async def reserve_ids(session: AsyncSession, table: Any, count: int) -> list[int]:
    """`count` new primary keys of a table with an integer `id`, for a bulk insert that
    needs its rows' ids without a RETURNING per row. PostgreSQL: from the column's
    sequence (nobody else ever gets them). SQLite: above the largest id; call it after the
    unit's first write, when this transaction holds the database's one write lock, so no
    other writer can take them before the insert (SQLite is for one process)."""
    if count <= 0:
        return []
    name = table.name
    if is_postgres(session):
        rows = await session.execute(
            text(
                f"SELECT nextval(pg_get_serial_sequence('{name}', 'id')) "
                "FROM generate_series(1, :n)"
            ),
            {"n": count},
        )
        return sorted(int(i) for (i,) in rows)
    top = await session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
    return list(range(int(top or 0) + 1, int(top or 0) + 1 + count))
