"""The MongoDB adapter says at start-up whether what belongs together is written atomically (unit level: the servers
are in-process fakes, tests/support/mongo_fake.py; no MongoDB server runs on these machines)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from pymongo_async_mock import AsyncMongoMockClient

from reference_hub.store.mongo import MongoStore
from tests.contract.test_object_store_contract import obj
from tests.contract.test_outbox_contract import delivery
from tests.support.mongo_fake import FakeReplicaSet, WriteOutsideTransaction


def _open(client: Any) -> MongoStore:
    store = MongoStore("mongodb://fake.invalid/ocpi", client=client)
    asyncio.run(store.open())
    return store


def test_a_standalone_server_is_used_without_transactions_and_the_operator_is_told(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="reference_hub.store.mongo"):
        store = _open(AsyncMongoMockClient())
    assert store.transactions is False
    [warning] = [r.getMessage() for r in caplog.records if "transactions" in r.getMessage()]
    assert "two writes" in warning and "replica set" in warning


def test_a_replica_set_gets_transactions_and_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    client = FakeReplicaSet()
    with caplog.at_level(logging.WARNING, logger="reference_hub.store.mongo"):
        store = _open(client)
    assert store.transactions is True
    assert not [r for r in caplog.records if "transactions" in r.getMessage()]

    async def write() -> None:
        await store.write_object(obj("L1"), expected_version=None, deliveries=[delivery("d1")])

    asyncio.run(write())
    assert client.transactions == 1 and client.aborted == 0


def test_the_fake_catches_a_write_that_would_escape_the_transaction() -> None:
    """The check the contract suites rely on: a write without the session inside a transaction is refused."""
    client = FakeReplicaSet()
    store = _open(client)

    async def escape() -> None:
        async def work(_session: object) -> None:
            await store.db["objects"].insert_one({"_id": "x"})  # no session=

        await store._atomic(work)

    with pytest.raises(WriteOutsideTransaction):
        asyncio.run(escape())
    assert client.aborted == 1
