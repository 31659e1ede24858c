"""aiosqlite with one hop to its thread per statement instead of four.

SQLAlchemy's aiosqlite adapter makes a cursor, executes, fetches and closes the cursor
as four separate calls into aiosqlite's thread, each a queue put, a thread wake-up and
a future. Here one function does all four in the thread, so a statement costs one
round trip. Everything else (SQLite itself, the connection, its thread, the error
classes, the pool, transactions) is aiosqlite's and SQLAlchemy's own.
Server-side cursors (streaming results) keep SQLAlchemy's adapter as it is.

A turn's statements are small, and even one hop is most of what they cost: within
`on_loop()` (bot/handler.py runs each turn's unit of work in it) a statement, commit or
rollback runs right on the event loop's thread, with SQLite's busy timeout at 0 so the
loop never waits for a lock: a statement that finds the database locked (another
process writing) is run again in aiosqlite's thread, which waits as it always did.
Jobs and everything else keep the thread, so a big query never holds up the loop.

Used through `create_async_engine(url, module=lean_dbapi())` for sqlite+aiosqlite URLs.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

Outcome = tuple[Any, list[Any], int, int | None]
_ON_LOOP: ContextVar[bool] = ContextVar("mentorbot_sqlite_on_loop", default=False)
NOT_HERE = object()  # LeanConnection.here did not run it
DEFAULT_BUSY_MS = 5000  # sqlite3.connect's own default timeout (5 s)


@contextmanager
def on_loop() -> Iterator[None]:
    """Within (this task and what it awaits): statements run on the loop's thread."""
    token = _ON_LOOP.set(True)
    try:
        yield
    finally:
        _ON_LOOP.reset(token)


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> Outcome:
    """In aiosqlite's thread: the whole statement, results in hand."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _is_locked(error: BaseException) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(error, sqlite3.OperationalError) and (code or 0) & 0xFF == sqlite3.SQLITE_BUSY


async def _ready(outcome: Any) -> Any:
    """SQLAlchemy checks that an async driver awaited something; this is that await."""
    return outcome


class LeanCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_description", "_lastrowid", "_rowcount")
    _awaitable_cursor_close = False  # nothing stays open between calls

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        return self._call(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        return self._call(operation, seq_of_parameters, many=True)

    def _call(self, operation: Any, parameters: Any, many: bool) -> None:
        adapted: LeanConnection = self._adapt_connection  # type: ignore[assignment]
        try:
            outcome = adapted.here(_run, operation, parameters, many)
            if outcome is NOT_HERE:
                outcome = await_(self._in_thread(operation, parameters, many))
            else:
                outcome = await_(_ready(outcome))
        except Exception as error:
            adapted._handle_exception(error)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    async def _in_thread(self, operation: Any, parameters: Any, many: bool) -> Outcome:
        adapted: LeanConnection = self._adapt_connection  # type: ignore[assignment]
        async with adapted._execute_mutex:
            outcome: Outcome = await adapted.in_thread(_run, operation, parameters, many)
            return outcome

    async def _async_soft_close(self) -> None:
        return None

    def close(self) -> None:
        self._rows.clear()


class LeanConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_busy_ms", "_in_flight")
    _cursor_cls = LeanCursor  # type: ignore[assignment]  # a subclass of it

    def __init__(self, dbapi: Any, connection: Any, busy_ms: int = DEFAULT_BUSY_MS) -> None:
        super().__init__(dbapi, connection)
        self._busy_ms = busy_ms
        # One item per call queued to aiosqlite's thread and not finished there (a
        # cancelled await leaves it running): then nothing may run beside it.
        self._in_flight: collections.deque[None] = collections.deque()

    def here(self, fn: Callable[..., Any], *args: Any) -> Any:
        """fn(sqlite3 connection, *args) on the loop's thread, without waiting for a
        lock; NOT_HERE when not within on_loop(), when the thread is busy with this
        connection, or when the database is locked (then: in_thread)."""
        raw = self._connection._connection
        if not _ON_LOOP.get() or self._in_flight or raw is None:
            return NOT_HERE
        raw.execute("PRAGMA busy_timeout = 0")
        try:
            outcome = fn(raw, *args)
        except sqlite3.OperationalError as error:
            if not _is_locked(error):
                raise
            return NOT_HERE
        finally:
            raw.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
        return outcome

    async def in_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        """fn(sqlite3 connection, *args) in aiosqlite's thread, as aiosqlite runs it."""
        in_flight = self._in_flight
        in_flight.append(None)

        def counted(raw: sqlite3.Connection) -> Any:
            try:
                return fn(raw, *args)
            finally:
                in_flight.pop()

        connection = self._connection
        return await connection._execute(counted, connection._conn)

    def commit(self) -> None:
        self._end(_commit)

    def rollback(self) -> None:
        self._end(_rollback)

    def _end(self, fn: Callable[[sqlite3.Connection], None]) -> None:
        if self._connection._connection is None:
            return  # closed already, as SQLAlchemy's adapter has it
        try:
            if self.here(fn) is NOT_HERE:
                await_(self.in_thread(fn))
            else:
                await_(_ready(None))
        except Exception as error:
            self._handle_exception(error)


def _commit(raw: sqlite3.Connection) -> None:
    raw.commit()


def _rollback(raw: sqlite3.Connection) -> None:
    raw.rollback()


class LeanDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> LeanConnection:
        # Used from the loop's thread too (one caller at a time: see LeanConnection).
        kw["check_same_thread"] = False
        timeout = kw.get("timeout")
        busy_ms = DEFAULT_BUSY_MS if timeout is None else max(0, int(float(timeout) * 1000))
        adapted = super().connect(*arg, **kw)
        return LeanConnection(self, adapted._connection, busy_ms)


def lean_dbapi() -> LeanDBAPI:
    return LeanDBAPI(aiosqlite, sqlite3)
