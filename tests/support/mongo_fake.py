"""A FAKE MongoDB replica set for the contract suites: pymongo-async-mock (over mongomock) plus the two things it
lacks, a ``hello`` answer naming a replica set and sessions with ``with_transaction``.

No MongoDB server can run on these machines, and mongomock refuses every ``session=`` argument, so a transaction is
faked: ``with_transaction`` snapshots every collection of the databases opened through the fake, runs the callback,
and on an exception puts the snapshot back (what a server's abort does). While a transaction is open, any write
without its session is an error: that is how the tests catch an adapter write that would escape the transaction on a
real server. Calls never interleave in-process, so a snapshot is consistent. It shows that the adapter asks for a
transaction where it must and passes the session everywhere inside it; it says nothing about a real server's
isolation, which only ``OCPI_TEST_MONGODB_URI`` with a replica set can.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

from pymongo_async_mock import AsyncMongoMockClient

_WRITES = frozenset(
    {
        "insert_one",
        "insert_many",
        "replace_one",
        "update_one",
        "update_many",
        "delete_one",
        "delete_many",
        "find_one_and_update",
        "find_one_and_replace",
        "find_one_and_delete",
        "bulk_write",
    }
)


class WriteOutsideTransaction(AssertionError):
    """A write without the open transaction's session."""


class _Collection:
    def __init__(self, fake: FakeReplicaSet, inner: Any) -> None:
        self._fake, self._inner = fake, inner

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def call(*args: Any, session: Any = None, **kwargs: Any) -> Any:
            if name in _WRITES and self._fake.open_session is not None and session is not self._fake.open_session:
                raise WriteOutsideTransaction(f"{name} on {self._inner.name} without the transaction's session")
            return attr(*args, **kwargs)

        return call


class _Database:
    def __init__(self, fake: FakeReplicaSet, inner: Any) -> None:
        self._fake, self._inner = fake, inner

    def __getitem__(self, name: str) -> _Collection:
        return _Collection(self._fake, self._inner[name])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _Admin:
    async def command(self, name: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if name != "hello":
            raise NotImplementedError(name)
        return {"isWritablePrimary": True, "setName": "rs-fake", "logicalSessionTimeoutMinutes": 30, "ok": 1.0}


class _Session:
    def __init__(self, fake: FakeReplicaSet) -> None:
        self._fake = fake

    async def __aenter__(self) -> _Session:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def with_transaction(self, callback: Callable[[Any], Awaitable[Any]]) -> Any:
        if self._fake.open_session is not None:
            raise AssertionError("nested transaction")
        snapshot = self._fake.snapshot()
        self._fake.open_session = self
        self._fake.transactions += 1
        try:
            return await callback(self)
        except BaseException:
            self._fake.restore(snapshot)
            self._fake.aborted += 1
            raise
        finally:
            self._fake.open_session = None


class FakeReplicaSet:
    """Stands in for ``AsyncMongoClient`` on a replica set (see the module docstring)."""

    def __init__(self) -> None:
        self._client: Any = AsyncMongoMockClient()
        self._databases: dict[str, Any] = {}
        self.admin = _Admin()
        self.open_session: _Session | None = None
        self.transactions = 0
        """Transactions started."""
        self.aborted = 0
        """Transactions undone."""

    def get_database(self, name: str) -> _Database:
        database = self._client.get_database(name)
        self._databases[name] = database.delegate
        return _Database(self, database)

    def start_session(self) -> _Session:
        return _Session(self)

    async def close(self) -> None:
        return None

    def snapshot(self) -> dict[tuple[str, str], list[dict[str, Any]]]:
        return {
            (db_name, name): copy.deepcopy(list(db[name].find({})))
            for db_name, db in self._databases.items()
            for name in db.list_collection_names()
        }

    def restore(self, snapshot: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
        for db_name, db in self._databases.items():
            for name in db.list_collection_names():
                documents = snapshot.get((db_name, name), [])
                db[name].delete_many({})
                if documents:
                    db[name].insert_many(copy.deepcopy(documents))


__all__ = ("FakeReplicaSet", "WriteOutsideTransaction")
