"""The one way the SQLite adapter writes several statements as one: :func:`immediate`."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def immediate(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One transaction that takes the write lock at once (``BEGIN IMMEDIATE``: before its first read, so two processes
    that read then write the same rows queue up instead of deadlocking); committed when the block ends, rolled back
    when it raises, whatever it raises (a cancelled task included)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


__all__ = ("immediate",)
