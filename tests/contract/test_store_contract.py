"""The Store contract: one suite, every adapter.

Adapters (test ids):

- ``sqlite-memory``: ``SqliteStore(":memory:")``;
- ``sqlite-file``: a WAL file under ``tmp_path`` (a second store opens the same file, as another process would);
- ``postgresql``: ``PostgresStore`` on a database of its own in the session's throwaway PostgreSQL cluster (a real
  server the tests start themselves, see tests/conftest.py); calls really run concurrently there;
- ``mongodb-fake(pymongo-async-mock)``: ``MongoStore`` on an in-process fake (pymongo-async-mock over mongomock) of a
  standalone server (no transactions). It is a fake: where it cannot do what the adapter relies on, the case is
  skipped and says why (``FAKE_GAPS``);
- ``mongodb-fake-replica-set``: the same fake dressed as a replica set (tests/support/mongo_fake.py): it reports one,
  so the adapter writes what belongs together in transactions, which the fake undoes on an error and in which it
  refuses any write without the session;
- ``mongodb-real``: ``MongoStore`` on the server named by ``OCPI_TEST_MONGODB_URI``, in a throw-away database.

pytest-asyncio is not used: each test is a sync function that runs its async body with ``asyncio.run``. Note that
on the two in-process adapters "concurrent" calls (``asyncio.gather``) never interleave, because no call
suspends; ``postgresql`` and ``mongodb-real`` really race them, and there the database's locks decide.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import pytest

from reference_hub.ocpi.datetime import DateTime
from reference_hub.ocpi.models import BusinessDetails, CredentialsRole, Endpoint, InterfaceRole, Role
from reference_hub.store.base import (
    Conflict,
    DuplicateParty,
    Invitation,
    Partner,
    PartnerStatus,
    Store,
    TokenHolder,
    TokenOwner,
)
from reference_hub.store.mongo import MongoStore
from reference_hub.store.postgres import CHANGE_POLL, PostgresStore
from reference_hub.store.sqlite import SqliteStore

MONGODB_URI_ENV = "OCPI_TEST_MONGODB_URI"

MULTIKEY = "multikey-unique"
REINDEX = "reindex-existing"
TRANSACTIONS = "transactions"
"""Several writes undone together on an error (an object and its outbox rows, a result and its delivery)."""
STANDALONE_GAPS = {
    TRANSACTIONS: (
        "a standalone MongoDB has no multi-document transactions: an object and its outbox rows are two writes "
        "there (the adapter warns at start-up); mongodb-fake-replica-set and a replica set run this case"
    )
}
FAKE_GAPS = {
    MULTIKEY: (
        "mongomock (under pymongo-async-mock) checks a unique index on an array field by comparing whole "
        "arrays, not elements, so a party key shared by two different key sets is not rejected; "
        "run against a real MongoDB (OCPI_TEST_MONGODB_URI) for this case"
    ),
    REINDEX: (
        "mongomock's create_index re-checks existing documents for uniqueness ignoring partialFilterExpression, "
        "so re-creating the partial unique indexes over two token-less (e.g. INACTIVE) partners fails; "
        "a real MongoDB treats an identical createIndexes as a no-op"
    ),
}


# --- adapters -------------------------------------------------------------------------------------------------


@dataclass
class Harness:
    """An open store under test, and a way to open more stores on the same data (other processes)."""

    store: Store
    _make: Callable[[], Store] | None
    no_second_reason: str
    _stack: AsyncExitStack

    async def another_store(self) -> Store:
        if self._make is None:
            pytest.skip(self.no_second_reason)
        other = self._make()
        await other.open()
        self._stack.push_async_callback(other.close)
        return other


@dataclass
class Backend:
    """How to set one adapter up and tear it down; ``gaps`` names what a fake cannot do (and why)."""

    id: str
    setup: Callable[[AsyncExitStack], Awaitable[Callable[[], Store]]]
    shared: bool = True
    no_second_reason: str = ""
    gaps: dict[str, str] = field(default_factory=dict)

    def needs_second_store(self) -> None:
        """Skip (with the reason printed) when no second store can see this backend's data."""
        if not self.shared:
            pytest.skip(self.no_second_reason)

    def needs(self, *capabilities: str) -> None:
        """Skip (with the reason printed) when this backend is a fake that lacks one of ``capabilities``."""
        for capability in capabilities:
            if capability in self.gaps:
                pytest.skip(f"{self.id}: {self.gaps[capability]}")

    @asynccontextmanager
    async def harness(self) -> AsyncIterator[Harness]:
        async with AsyncExitStack() as stack:
            make = await self.setup(stack)
            store = make()
            await store.open()
            stack.push_async_callback(store.close)
            yield Harness(store, make if self.shared else None, self.no_second_reason, stack)


def sqlite_memory() -> Backend:
    async def setup(_stack: AsyncExitStack) -> Callable[[], Store]:
        return lambda: SqliteStore(":memory:")

    return Backend(
        "sqlite-memory",
        setup,
        shared=False,
        no_second_reason="sqlite-memory: a ':memory:' database lives and dies with its one connection",
    )


def sqlite_file(path: Path) -> Backend:
    async def setup(_stack: AsyncExitStack) -> Callable[[], Store]:
        return lambda: SqliteStore(str(path))

    return Backend("sqlite-file", setup)


def postgresql(url: str) -> Backend:
    async def setup(_stack: AsyncExitStack) -> Callable[[], Store]:
        return lambda: PostgresStore(url)

    return Backend("postgresql", setup)


def mongodb_fake() -> Backend:
    from pymongo_async_mock import AsyncMongoMockClient

    async def setup(_stack: AsyncExitStack) -> Callable[[], Store]:
        client: Any = AsyncMongoMockClient()  # one in-process "server" shared by every store of the test
        return lambda: MongoStore("mongodb://fake.invalid/ocpi_contract", client=client)

    return Backend("mongodb-fake(pymongo-async-mock)", setup, gaps={**FAKE_GAPS, **STANDALONE_GAPS})


def mongodb_fake_replica_set() -> Backend:
    from tests.support.mongo_fake import FakeReplicaSet

    async def setup(_stack: AsyncExitStack) -> Callable[[], Store]:
        client: Any = FakeReplicaSet()
        return lambda: MongoStore("mongodb://fake.invalid/ocpi_contract", client=client)

    return Backend("mongodb-fake-replica-set", setup, gaps=dict(FAKE_GAPS))


def mongodb_real(uri: str) -> Backend:
    async def setup(stack: AsyncExitStack) -> Callable[[], Store]:
        from pymongo import AsyncMongoClient

        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, serverSelectionTimeoutMS=5000)
        stack.push_async_callback(client.close)
        database = f"ocpi_contract_{uuid.uuid4().hex[:12]}"
        stack.push_async_callback(client.drop_database, database)
        return lambda: MongoStore(uri, client=client, database=database)

    return Backend("mongodb-real", setup)


ADAPTERS = [
    "sqlite-memory",
    "sqlite-file",
    "postgresql",
    "mongodb-fake(pymongo-async-mock)",
    "mongodb-fake-replica-set",
    "mongodb-real",
]


@pytest.fixture(params=ADAPTERS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    name = request.param
    if name == "sqlite-memory":
        return sqlite_memory()
    if name == "sqlite-file":
        return sqlite_file(tmp_path / "store" / "hub.db")
    if name == "postgresql":
        return postgresql(request.getfixturevalue("postgres_url"))
    if name == "mongodb-fake-replica-set":
        return mongodb_fake_replica_set()
    if name.startswith("mongodb-fake"):
        return mongodb_fake()
    uri = os.environ.get(MONGODB_URI_ENV)
    if not uri:
        pytest.skip(f"set {MONGODB_URI_ENV} to run against a real MongoDB, e.g. docker compose up mongo")
    return mongodb_real(uri)


def run(backend: Backend, body: Callable[[Harness], Awaitable[None]]) -> None:
    """Run ``body`` against a freshly opened store of ``backend``, in a new event loop."""

    async def main() -> None:
        async with backend.harness() as harness:
            await body(harness)

    asyncio.run(main())


# --- records --------------------------------------------------------------------------------------------------

T0 = DateTime.parse("2024-03-01T10:00:00Z")
R = TypeVar("R", Partner, Invitation)


def at(seconds: float) -> DateTime:
    return DateTime.from_datetime(T0 + timedelta(seconds=seconds))


def token_hash(name: str) -> str:
    return hashlib.sha256(f"token {name}".encode()).hexdigest()


def role(key: str, kind: Role = Role.CPO) -> CredentialsRole:
    country, party = key.split("/")
    return CredentialsRole(
        role=kind, business_details=BusinessDetails(name=f"Party {key}"), party_id=party, country_code=country
    )


def partner(
    partner_id: str,
    *parties: str,
    status: PartnerStatus = PartnerStatus.ACTIVE,
    token: str | None = "",
    created: DateTime = T0,
    updated: DateTime | None = None,
) -> Partner:
    """A partner serving ``parties`` (``CC/PID``; default: the one its id names); ``token=""`` derives a token."""
    keys = parties or (partner_id.replace("-", "/", 1),)
    return Partner(
        partner_id=partner_id,
        status=status,
        token_hash=token_hash(f"{partner_id} {status}") if token == "" else token,
        outgoing_token=f"sealed-outgoing-{partner_id}",
        versions_url=f"https://{partner_id.lower()}.example.com/ocpi/versions",
        version="2.3.0",
        endpoints=[
            Endpoint(
                identifier="locations",
                role=InterfaceRole.SENDER,
                url=f"https://{partner_id.lower()}.example.com/ocpi/2.3.0/locations",
            )
        ],
        roles=[role(k) for k in keys],
        created=created,
        updated=updated or created,
    )


def invitation(name: str, created: DateTime = T0) -> Invitation:
    return Invitation(token_hash=token_hash(f"A {name}"), created=created)


def holders_of(partners: list[Partner]) -> dict[str, TokenHolder]:
    """The token holders these partners make, by hash, as the stores answer them."""
    return {
        p.token_hash or "": TokenHolder(
            token_hash=p.token_hash or "", partner_id=p.partner_id, status=p.status, token_confirmed=p.token_confirmed
        )
        for p in partners
    }


def change(record: R, **changes: Any) -> R:
    return msgspec.structs.replace(record, **changes)


async def ids(store: Store, *statuses: PartnerStatus, **kwargs: Any) -> tuple[int, list[str]]:
    page = await store.list_partners(statuses=statuses or tuple(PartnerStatus), **kwargs)
    return page.total, [p.partner_id for p in page.items]


# --- connection -----------------------------------------------------------------------------------------------


def test_open_is_idempotent_and_health_counts_active_partners(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store = h.store
        await store.open()
        health = await store.health()
        assert health["backend"] == store.name
        assert health["active_partners"] == 0
        await store.insert_partner(partner("DE-ACT"), consume_invitation=None)
        await store.insert_partner(partner("DE-PEN", status=PartnerStatus.PENDING), consume_invitation=None)
        await store.insert_partner(partner("DE-SUS", status=PartnerStatus.SUSPENDED), consume_invitation=None)
        assert (await store.health())["active_partners"] == 1
        assert isinstance(store.change_marker(), int)

    run(backend, body)


def test_partner_round_trips_whole(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        original = change(
            partner("DE-ABC", "DE/ABC", "DE/XYZ", created=at(0.25), updated=at(61.5)),
            raw_token_auth=True,
            initiated_by="HUB",
        )
        await h.store.insert_partner(original, consume_invitation=None)
        assert await h.store.get_partner("DE-ABC") == original
        assert await h.store.get_partner("NL-NOP") is None

    run(backend, body)


def test_data_survives_close_and_reopen(backend: Backend) -> None:
    backend.needs_second_store()
    backend.needs(REINDEX)

    async def body(h: Harness) -> None:
        active = partner("DE-ABC", "DE/ABC", "DE/XYZ")
        gone = [partner(f"NL-GO{i}", status=PartnerStatus.INACTIVE, token=None) for i in range(2)]
        for p in (active, *gone):
            await h.store.insert_partner(p, consume_invitation=None)
        await h.store.add_invitation(invitation("fresh", created=at(0.5)))
        await h.store.close()

        reopened = await h.another_store()  # opens (and creates its indexes) over the existing data
        await reopened.open()
        assert await reopened.get_partner("DE-ABC") == active
        assert await reopened.lookup_token(active.token_hash or "") == TokenOwner(partner=active)
        assert await reopened.lookup_token(invitation("fresh").token_hash) == TokenOwner(
            invitation=invitation("fresh", created=at(0.5))
        )
        assert await reopened.party_owner("DE/XYZ") == "DE-ABC"
        assert await ids(reopened) == (3, ["DE-ABC", "NL-GO0", "NL-GO1"])

    run(backend, body)


def test_change_marker_moves_after_another_process_writes(backend: Backend) -> None:
    backend.needs_second_store()

    async def body(h: Harness) -> None:
        other = await h.another_store()
        before = h.store.change_marker()
        await other.add_invitation(invitation("from elsewhere"))
        # SQLite notices at once, PostgreSQL on the notification (or its next poll of the change counter);
        # MongoDB's marker is a 2 s time bucket (see MongoStore.change_marker).
        deadline = time.monotonic() + 3
        while h.store.change_marker() == before:
            assert time.monotonic() < deadline, "change_marker did not move within 3 s of another writer"
            await asyncio.sleep(0.05)
        assert await h.store.lookup_token(invitation("from elsewhere").token_hash) is not None

    run(backend, body)


def test_change_marker_ignores_what_says_nothing_about_tokens(backend: Backend) -> None:
    """A running hub's processes write leases and last-heard times every few seconds; were the marker to move on
    those, every process would drop its token and partner caches that often. A change to a partner (by another
    process, or its removal) moves it."""
    backend.needs_second_store()
    if backend.id.startswith("mongodb"):
        pytest.skip("MongoDB's marker is a 2 s time bucket (MongoStore.change_marker): it moves whatever is written")

    async def body(h: Harness) -> None:
        other = await h.another_store()
        start = h.store.change_marker()
        await other.insert_partner(partner("DE-ABC"), consume_invitation=None)
        await _settled(h.store, start)
        before = h.store.change_marker()
        await other.take_lease("still-alive", "elsewhere", at(0), at(60))
        await other.note_heard({"DE-ABC": at(1)})
        await asyncio.sleep(CHANGE_POLL + 0.2)  # PostgreSQL: a notification or the next poll would have moved it
        assert h.store.change_marker() == before
        assert await other.delete_partner("DE-ABC")
        deadline = time.monotonic() + 3
        while h.store.change_marker() == before:
            assert time.monotonic() < deadline, "change_marker did not move within 3 s of a partner's removal"
            await asyncio.sleep(0.05)

    run(backend, body)


def test_an_exact_change_marker_has_moved_when_any_write_that_matters_returns(backend: Backend) -> None:
    """A store that says its marker is exact (``exact_marker``) lets each process answer tokens from memory
    (``hub/token_index.py``): by the time a write to partners or invitations returns, made here or through another
    connection, the marker must have moved, or a token issued, used or revoked a moment ago would be judged by what
    was true before. The lease and last-heard writes each process makes every few seconds must leave it still."""
    if not backend.id.startswith("sqlite"):
        pytest.skip(f"{backend.id}: its marker is not exact (exact_marker is False), so no index trusts it")

    async def body(h: Harness) -> None:
        store = h.store
        assert store.exact_marker is True
        stored = change(partner("DE-ABC"), token_confirmed=False)

        async def moves(write: Callable[[], Awaitable[object]], what: str) -> None:
            before = store.change_marker()
            await write()
            assert store.change_marker() != before, f"the marker did not move at once: {what}"

        await moves(lambda: store.add_invitation(invitation("new")), "an invitation added here")
        await moves(lambda: store.insert_partner(stored, consume_invitation=None), "a partner inserted here")
        await moves(lambda: store.confirm_token("DE-ABC", stored.token_hash or ""), "a token's first use here")
        await moves(lambda: store.revoke_invitation(invitation("new").token_hash), "an invitation revoked here")
        await moves(lambda: store.delete_partner("DE-ABC"), "a partner removed here")
        if backend.id != "sqlite-memory":  # a second connection to an in-memory database is another database
            other = await h.another_store()
            await moves(lambda: other.add_invitation(invitation("elsewhere")), "an invitation added elsewhere")
            there = partner("DE-XYZ")
            await moves(lambda: other.insert_partner(there, consume_invitation=None), "a partner inserted elsewhere")
            await moves(lambda: other.delete_partner("DE-XYZ"), "a partner removed elsewhere")
            still = store.change_marker()
            await other.take_lease("still-alive", "there", at(0), at(60))
            await other.note_heard({"DE-XYZ": at(1)})
            assert store.change_marker() == still, "a lease or last-heard write elsewhere moved the marker"
        still = store.change_marker()
        await store.take_lease("still-alive", "here", at(0), at(60))
        await store.note_heard({"DE-ABC": at(1)})
        assert store.change_marker() == still

    run(backend, body)


async def _settled(store: Store, start: int) -> None:
    """Wait until the marker has moved away from ``start`` (taken before a write that moves it) and then stops
    moving: PostgreSQL delivers the notifications of earlier writes a little later, later still on a busy machine,
    and its poll of the change counter (every ``CHANGE_POLL`` seconds) moves the marker once more for the same
    change, up to that long after the notification did. So "stopped" means still for longer than one poll."""
    deadline = time.monotonic() + 3
    while store.change_marker() == start:
        assert time.monotonic() < deadline, "change_marker did not move within 3 s of a partner's insertion"
        await asyncio.sleep(0.05)
    last, still_since = store.change_marker(), time.monotonic()
    while time.monotonic() - still_since < CHANGE_POLL + 0.2:
        assert time.monotonic() < deadline + 5, "change_marker kept moving for 5 s after one partner's insertion"
        await asyncio.sleep(0.05)
        now_ = store.change_marker()
        if now_ != last:
            last, still_since = now_, time.monotonic()


def test_live_token_holders_come_in_pages_in_token_hash_order(backend: Backend) -> None:
    """What each process's token index is read from: every PENDING, ACTIVE and SUSPENDED partner's holder, page by
    page from after the last hash of the previous page, never an inactive partner's or an invitation's."""

    async def body(h: Harness) -> None:
        store = h.store
        live = [partner(f"DE-L{n:02d}") for n in range(7)]
        live += [
            partner("DE-SUS", status=PartnerStatus.SUSPENDED),
            partner("DE-PEN", status=PartnerStatus.PENDING),
            change(partner("DE-NEW"), token_confirmed=False),
        ]
        for p in [*live, partner("DE-GON", status=PartnerStatus.INACTIVE)]:
            await store.insert_partner(p, consume_invitation=None)
        await store.add_invitation(invitation("unused"))
        assert await store.live_token_holders(None, 0) == []
        pages: list[list[TokenHolder]] = []
        after: str | None = None
        while True:
            page = await store.live_token_holders(after, 3)
            pages.append(page)
            if len(page) < 3:
                break
            after = page[-1].token_hash
        assert [len(page) for page in pages] == [3, 3, 3, 1]
        read = [holder for page in pages for holder in page]
        assert [holder.token_hash for holder in read] == sorted(p.token_hash or "" for p in live)
        assert {holder.token_hash: holder for holder in read} == holders_of(live)
        assert await store.live_token_holders(read[-1].token_hash, 3) == []

    run(backend, body)


# --- invitations ----------------------------------------------------------------------------------------------


def test_invitation_add_and_lookup(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        fresh = invitation("fresh", created=at(0.125))
        await h.store.add_invitation(fresh)
        await h.store.add_invitation(change(invitation("spent"), used_by="DE-OLD"))
        assert await h.store.lookup_token(fresh.token_hash) == TokenOwner(invitation=fresh)
        assert await h.store.lookup_token(invitation("spent").token_hash) is None
        assert await h.store.lookup_token(token_hash("nobody")) is None

    run(backend, body)


def test_token_holders_name_the_same_holders_as_lookup_token_in_one_call(backend: Backend) -> None:
    """What authentication reads for a token it has not cached: every hash asked for at once, the live partners and
    the unused invitations holding them, nothing for spent, removed or unknown ones."""

    async def body(h: Harness) -> None:
        store = h.store
        expiring = change(invitation("expiring"), expires=at(3600))
        await store.add_invitation(expiring)
        await store.add_invitation(invitation("forever"))
        await store.add_invitation(change(invitation("spent"), used_by="DE-OLD"))
        fresh = change(partner("DE-NEW"), token_confirmed=False)
        suspended = partner("DE-SUS", status=PartnerStatus.SUSPENDED)
        pending = partner("DE-PEN", status=PartnerStatus.PENDING)
        gone = partner("DE-GON", status=PartnerStatus.INACTIVE, token=token_hash("gone"))
        for p in (partner("DE-ABC"), fresh, suspended, pending, gone):
            await store.insert_partner(p, consume_invitation=None)
        assert await store.token_holders([]) == {}
        live = [partner("DE-ABC"), fresh, suspended, pending]
        asked = [
            *(p.token_hash or "" for p in live),
            expiring.token_hash,
            invitation("forever").token_hash,
            invitation("spent").token_hash,
            token_hash("gone"),
            token_hash("nobody"),
        ]
        holders = await store.token_holders(asked)
        assert holders == {
            **holders_of(live),
            expiring.token_hash: TokenHolder(token_hash=expiring.token_hash, expires=at(3600)),
            invitation("forever").token_hash: TokenHolder(token_hash=invitation("forever").token_hash),
        }
        assert holders[fresh.token_hash or ""].token_confirmed is False
        for token_hash_ in asked:  # the same answer, one hash at a time, as lookup_token gives it
            owner = await store.lookup_token(token_hash_)
            one = await store.token_holders([token_hash_])
            assert (owner is None) == (one == {}), token_hash_
            if owner is not None and owner.partner is not None:
                assert one[token_hash_].partner_id == owner.partner.partner_id
            elif owner is not None:
                assert one[token_hash_].partner_id is None

    run(backend, body)


def test_invitation_is_consumed_once(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store, inv = h.store, invitation("once")
        await store.add_invitation(inv)
        await store.insert_partner(partner("DE-ABC"), consume_invitation=inv.token_hash)
        assert await store.lookup_token(inv.token_hash) is None
        with pytest.raises(Conflict):
            await store.insert_partner(partner("NL-XYZ"), consume_invitation=inv.token_hash)
        with pytest.raises(Conflict):
            await store.insert_partner(partner("FR-QRS"), consume_invitation=token_hash("never issued"))
        assert await ids(store) == (1, ["DE-ABC"])

    run(backend, body)


def test_concurrent_registrations_with_one_invitation_let_exactly_one_win(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store, inv = h.store, invitation("race")
        await store.add_invitation(inv)
        contenders = [partner("DE-ONE"), partner("NL-TWO"), partner("DE-ONE", token=token_hash("other"))]
        results = await asyncio.gather(
            *(store.insert_partner(p, consume_invitation=inv.token_hash) for p in contenders),
            return_exceptions=True,
        )
        assert sum(r is None for r in results) == 1, results
        assert all(r is None or isinstance(r, Conflict) for r in results), results
        total, stored = await ids(store)
        assert total == 1
        assert stored[0] in {"DE-ONE", "NL-TWO"}
        assert await store.lookup_token(inv.token_hash) is None

    run(backend, body)


def test_failed_registration_gives_the_invitation_back(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store, inv = h.store, invitation("retry")
        await store.add_invitation(inv)
        await store.insert_partner(partner("DE-ABC"), consume_invitation=None)
        clash = partner("DE-ABC", token=token_hash("clash"))
        with pytest.raises(DuplicateParty):
            await store.insert_partner(clash, consume_invitation=inv.token_hash)
        assert await store.lookup_token(inv.token_hash) == TokenOwner(invitation=inv)
        await store.insert_partner(partner("NL-XYZ"), consume_invitation=inv.token_hash)
        assert await store.lookup_token(inv.token_hash) is None

    run(backend, body)


# --- uniqueness -----------------------------------------------------------------------------------------------


def test_duplicate_partner_id_is_rejected_unless_inactive(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store = h.store
        for status in (PartnerStatus.ACTIVE, PartnerStatus.PENDING, PartnerStatus.SUSPENDED):
            first = partner(f"DE-{status.value[:3]}", status=status)
            await store.insert_partner(first, consume_invitation=None)
            with pytest.raises(DuplicateParty, match=first.partner_id):
                await store.insert_partner(
                    change(first, status=PartnerStatus.ACTIVE, token_hash=token_hash("second")),
                    consume_invitation=None,
                )
            assert await store.get_partner(first.partner_id) == first
        assert (await ids(store))[0] == 3

    run(backend, body)


def test_same_party_keys_across_partners_are_rejected(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store = h.store
        await store.insert_partner(partner("DE-ABC", "DE/ABC", "DE/XYZ"), consume_invitation=None)
        # Another platform claiming the same two parties, listed the other way round (so another partner id).
        with pytest.raises(DuplicateParty, match=r"DE/(ABC|XYZ).*DE-ABC"):
            await store.insert_partner(partner("DE-XYZ", "de/xyz", "de/abc"), consume_invitation=None)
        assert await store.get_partner("DE-XYZ") is None
        assert await store.party_owner("DE/XYZ") == "DE-ABC"

    run(backend, body)


def test_overlapping_party_keys_are_rejected_on_insert_replace_and_revive(backend: Backend) -> None:
    backend.needs(MULTIKEY)

    async def body(h: Harness) -> None:
        store = h.store
        await store.insert_partner(partner("DE-ABC", "DE/ABC", "DE/XYZ"), consume_invitation=None)
        with pytest.raises(DuplicateParty, match=r"DE/XYZ.*DE-ABC"):
            await store.insert_partner(partner("NL-NEW", "NL/NEW", "DE/XYZ"), consume_invitation=None)
        assert await store.get_partner("NL-NEW") is None
        assert await store.party_owner("NL/NEW") is None

        other = partner("FR-CCC")
        await store.insert_partner(other, consume_invitation=None)
        grown = change(other, roles=[*other.roles, role("DE/ABC")], token_hash=token_hash("grown"))
        with pytest.raises(DuplicateParty, match=r"DE/ABC.*DE-ABC"):
            await store.replace_partner(grown, expected_token_hash=other.token_hash)
        assert await store.get_partner("FR-CCC") == other

        # An INACTIVE partner cannot come back while another partner holds one of its parties.
        sleeper = partner("BE-OLD", "BE/OLD", "BE/NEW")
        await store.insert_partner(sleeper, consume_invitation=None)
        await store.replace_partner(
            change(sleeper, status=PartnerStatus.INACTIVE, token_hash=None), expected_token_hash=sleeper.token_hash
        )
        await store.insert_partner(partner("BE-NEW"), consume_invitation=None)
        with pytest.raises(DuplicateParty, match=r"BE/NEW.*BE-NEW"):
            await store.insert_partner(change(sleeper, token_hash=token_hash("back")), consume_invitation=None)
        still = await store.get_partner("BE-OLD")
        assert still is not None
        assert still.status is PartnerStatus.INACTIVE

    run(backend, body)


def test_records_without_token_or_parties_do_not_collide(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store = h.store
        # Hub-initiated registrations start as PENDING records with a token but no roles yet ...
        for i in range(2):
            pending = change(partner(f"PENDING-{i}", status=PartnerStatus.PENDING), roles=[])
            await store.insert_partner(pending, consume_invitation=None)
        # ... and unregistered partners keep no token and no party keys.
        for i in range(2):
            await store.insert_partner(
                partner(f"NL-GO{i}", "NL/GON", status=PartnerStatus.INACTIVE, token=None), consume_invitation=None
            )
        assert (await ids(store))[0] == 4
        assert await store.party_owner("NL/GON") is None

    run(backend, body)


# --- lifecycle ------------------------------------------------------------------------------------------------


def test_inactive_partner_frees_its_parties_and_can_be_revived(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store = h.store
        first = partner("DE-ABC", "DE/ABC", "DE/XYZ")
        await store.insert_partner(first, consume_invitation=None)
        assert await store.party_owner("DE/ABC") == "DE-ABC"
        assert await store.party_owner("DE/XYZ") == "DE-ABC"

        gone = change(first, status=PartnerStatus.INACTIVE, token_hash=None, outgoing_token=None, updated=at(60))
        await store.replace_partner(gone, expected_token_hash=first.token_hash)
        assert await store.party_owner("DE/ABC") is None
        assert await store.party_owner("DE/XYZ") is None
        assert await store.get_partner("DE-ABC") == gone

        # Its parties are free for another platform ...
        taker = partner("DE-XYZ", "DE/XYZ")
        await store.insert_partner(taker, consume_invitation=None)
        assert await store.party_owner("DE/XYZ") == "DE-XYZ"

        # ... and it can register again (with an invitation) for the parties nobody holds.
        inv = invitation("comeback")
        await store.add_invitation(inv)
        back = change(
            partner("DE-ABC", "DE/ABC", token=token_hash("back"), created=at(120)),
            initiated_by="HUB",
        )
        await store.insert_partner(back, consume_invitation=inv.token_hash)
        assert await store.get_partner("DE-ABC") == back
        assert await store.party_owner("DE/ABC") == "DE-ABC"
        assert await store.lookup_token(token_hash("back")) == TokenOwner(partner=back)
        assert await store.lookup_token(inv.token_hash) is None
        assert await ids(store) == (2, ["DE-XYZ", "DE-ABC"])  # the revived record is not duplicated

    run(backend, body)


def test_token_lookup_finds_only_live_partners(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store = h.store
        by_status = {s: partner(f"DE-{s.value[:3]}", status=s) for s in PartnerStatus}
        for p in by_status.values():
            await store.insert_partner(p, consume_invitation=None)
        for status, p in by_status.items():
            found = await store.lookup_token(p.token_hash or "")
            if status is not PartnerStatus.INACTIVE:
                # A SUSPENDED partner's token is still found, so the hub can say why it refuses it.
                assert found == TokenOwner(partner=p), status
            else:
                assert found is None, status

    run(backend, body)


def test_suspended_partner_keeps_its_parties_and_token_until_reactivated(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store = h.store
        first = partner("DE-ABC", "DE/ABC", "DE/XYZ")
        await store.insert_partner(first, consume_invitation=None)
        suspended = change(first, status=PartnerStatus.SUSPENDED, updated=at(60))
        await store.replace_partner(suspended, expected_token_hash=first.token_hash)
        assert await store.get_partner("DE-ABC") == suspended
        assert await store.party_owner("DE/XYZ") == "DE-ABC"
        assert await store.lookup_token(first.token_hash or "") == TokenOwner(partner=suspended)
        with pytest.raises(DuplicateParty, match=r"DE/(ABC|XYZ).*DE-ABC"):
            await store.insert_partner(partner("DE-XYZ", "DE/XYZ", "DE/ABC"), consume_invitation=None)
        back = change(suspended, status=PartnerStatus.ACTIVE, updated=at(120))
        await store.replace_partner(back, expected_token_hash=first.token_hash)
        assert await store.get_partner("DE-ABC") == back
        assert await ids(store, PartnerStatus.SUSPENDED) == (0, [])

    run(backend, body)


def test_unused_invitations_are_listed_oldest_first_and_can_be_revoked(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store = h.store
        young, old, spent = invitation("young", at(120)), invitation("old", at(0)), invitation("spent", at(60))
        for inv in (young, old, spent):
            await store.add_invitation(inv)
        await store.insert_partner(partner("DE-ABC"), consume_invitation=spent.token_hash)
        assert await store.list_invitations() == [old, young]
        assert await store.list_invitations(limit=1) == [old]
        assert await store.revoke_invitation(old.token_hash) is True
        assert await store.revoke_invitation(old.token_hash) is False
        assert await store.revoke_invitation(spent.token_hash) is False  # a used one is the partner's history
        assert await store.lookup_token(old.token_hash) is None
        assert await store.list_invitations() == [young]

    run(backend, body)


def test_replace_partner_is_optimistic(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store = h.store
        first = partner("DE-ABC")
        await store.insert_partner(first, consume_invitation=None)

        rotated = change(first, token_hash=token_hash("rotated"), updated=at(10))
        await store.replace_partner(rotated, expected_token_hash=first.token_hash)
        assert await store.lookup_token(first.token_hash or "") is None
        assert await store.lookup_token(token_hash("rotated")) == TokenOwner(partner=rotated)

        stale = change(first, token_hash=token_hash("stale"), updated=at(20))
        with pytest.raises(Conflict):
            await store.replace_partner(stale, expected_token_hash=first.token_hash)
        assert await store.get_partner("DE-ABC") == rotated
        assert await store.lookup_token(token_hash("stale")) is None

        with pytest.raises(Conflict):
            await store.replace_partner(partner("NL-NOP"), expected_token_hash=None)
        assert await store.get_partner("NL-NOP") is None

        # Two concurrent rotations from the same state: exactly one wins.
        contenders = [change(rotated, token_hash=token_hash(f"c{i}")) for i in range(2)]
        results = await asyncio.gather(
            *(store.replace_partner(c, expected_token_hash=rotated.token_hash) for c in contenders),
            return_exceptions=True,
        )
        assert sorted(type(r).__name__ for r in results) == ["Conflict", "NoneType"], results
        winner = contenders[results.index(None)]
        assert await store.get_partner("DE-ABC") == winner

        # A record without a token is matched by expected_token_hash=None.
        gone = change(winner, status=PartnerStatus.INACTIVE, token_hash=None)
        await store.replace_partner(gone, expected_token_hash=winner.token_hash)
        suspended = change(gone, status=PartnerStatus.SUSPENDED)
        await store.replace_partner(suspended, expected_token_hash=None)
        assert await store.get_partner("DE-ABC") == suspended

    run(backend, body)


def test_replace_partner_cannot_take_another_partners_token(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store = h.store
        a, b = partner("DE-AAA"), partner("NL-BBB")
        for p in (a, b):
            await store.insert_partner(p, consume_invitation=None)
        with pytest.raises(DuplicateParty):
            await store.replace_partner(change(a, token_hash=b.token_hash), expected_token_hash=a.token_hash)
        assert await store.get_partner("DE-AAA") == a

    run(backend, body)


# --- queries --------------------------------------------------------------------------------------------------


def test_list_partners_filters_orders_and_pages(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store = h.store
        active, pending, inactive = PartnerStatus.ACTIVE, PartnerStatus.PENDING, PartnerStatus.INACTIVE
        rows = [
            partner("ES-FFF", created=at(3), updated=at(50)),
            partner("DE-AAA", created=at(0), updated=at(10)),
            partner("IT-EEE", created=at(2), updated=at(20), status=inactive, token=None),
            partner("BE-BBB", created=at(0), updated=at(20)),  # same creation time as DE-AAA: id breaks the tie
            partner("FR-DDD", created=at(1), updated=at(40), status=pending),
            partner("NL-CCC", created=at(-5), updated=at(30)),
        ]
        for p in rows:
            await store.insert_partner(p, consume_invitation=None)

        everything = ["NL-CCC", "BE-BBB", "DE-AAA", "FR-DDD", "IT-EEE", "ES-FFF"]
        assert await ids(store) == (6, everything)
        assert await ids(store, active) == (4, ["NL-CCC", "BE-BBB", "DE-AAA", "ES-FFF"])
        assert await ids(store, active, pending) == (5, ["NL-CCC", "BE-BBB", "DE-AAA", "FR-DDD", "ES-FFF"])
        assert (await store.list_partners(statuses=())).total == 0

        # date_from is inclusive, date_to exclusive, both on `updated`.
        assert await ids(store, active, date_from=at(20)) == (3, ["NL-CCC", "BE-BBB", "ES-FFF"])
        assert await ids(store, active, date_from=at(20.001)) == (2, ["NL-CCC", "ES-FFF"])
        assert await ids(store, active, date_to=at(30)) == (2, ["BE-BBB", "DE-AAA"])
        assert await ids(store, active, date_to=at(30.001)) == (3, ["NL-CCC", "BE-BBB", "DE-AAA"])
        assert await ids(store, date_from=at(20), date_to=at(30)) == (2, ["BE-BBB", "IT-EEE"])
        assert await ids(store, date_from=at(20), date_to=at(20)) == (0, [])

        # offset/limit page the ordered, filtered list; total counts the whole filtered list.
        assert await ids(store, active, offset=1, limit=2) == (4, ["BE-BBB", "DE-AAA"])
        assert await ids(store, active, offset=3, limit=10) == (4, ["ES-FFF"])
        assert await ids(store, active, offset=2) == (4, ["DE-AAA", "ES-FFF"])
        assert await ids(store, active, limit=1) == (4, ["NL-CCC"])
        assert await ids(store, active, limit=0) == (4, [])
        assert await ids(store, active, offset=4, limit=5) == (4, [])
        assert await ids(store, active, date_from=at(20), offset=1, limit=1) == (3, ["BE-BBB"])

        page = await store.list_partners(statuses=(pending,))
        assert page.items == [rows[4]]

    run(backend, body)


def test_partners_changed_brings_every_write_since_the_cursor(backend: Backend) -> None:
    """The per-process caches of partners follow the store through this: a write after the cursor always comes back
    (whoever made it), with what was written; SQLite, whose writes are ordered, brings exactly those."""

    async def body(h: Harness) -> None:
        store = h.store
        for p in (partner("DE-AAA"), partner("NL-BBB"), partner("IT-CCC", status=PartnerStatus.INACTIVE, token=None)):
            await store.insert_partner(p, consume_invitation=None)
        everything, cursor = await store.partners_changed(None)
        assert sorted(p.partner_id for p in everything) == ["DE-AAA", "IT-CCC", "NL-BBB"]

        moved = change(partner("DE-AAA"), roles=[role("DE/AAA"), role("DE/AAB")], updated=at(60))
        await store.replace_partner(moved, expected_token_hash=moved.token_hash)
        changed, cursor = await store.partners_changed(cursor)
        assert moved in changed
        if store.name == "sqlite":
            assert changed == [moved]

        offline = await store.set_offline("NL-BBB", True, at(70))
        assert offline is not None
        changed, cursor = await store.partners_changed(cursor)
        assert offline in changed
        if store.name == "sqlite":
            assert changed == [offline]
            assert await store.partners_changed(cursor) == ([], cursor)

        if backend.shared:
            other = await h.another_store()
            revived = partner("IT-CCC", updated=at(80))
            await other.insert_partner(revived, consume_invitation=None)
            changed, cursor = await store.partners_changed(cursor)
            assert revived in changed
            if store.name == "sqlite":
                assert changed == [revived]

    run(backend, body)


def test_partners_removed_names_each_removal_after_the_cursor(backend: Backend) -> None:
    """The per-process caches of partners learn of a removal from this (the row is gone, so partners_changed cannot
    show it): a removal after the cursor always comes back, whoever made it; a delete of nothing notes nothing;
    SQLite, whose writes are ordered, brings exactly the removals since the cursor."""

    async def body(h: Harness) -> None:
        store = h.store
        for p in (partner("DE-AAA"), partner("NL-BBB"), partner("IT-CCC")):
            await store.insert_partner(p, consume_invitation=None)
        assert await store.delete_partner("IT-CCC")  # before the first cursor
        none, cursor = await store.partners_removed(None)
        assert none == []
        assert await store.delete_partner("DE-AAA")
        assert not await store.delete_partner("XX-NOP")
        removed, cursor = await store.partners_removed(cursor)
        assert "DE-AAA" in removed and "XX-NOP" not in removed and "NL-BBB" not in removed
        if store.name == "sqlite":
            assert removed == ["DE-AAA"]
            assert await store.partners_removed(cursor) == ([], cursor)
        if backend.shared:
            other = await h.another_store()
            assert await other.delete_partner("NL-BBB")
            removed, cursor = await store.partners_removed(cursor)
            assert "NL-BBB" in removed
            if store.name == "sqlite":
                assert removed == ["NL-BBB"]

    run(backend, body)


def test_party_owner(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store = h.store
        await store.insert_partner(partner("DE-ABC", "de/abc", "De/Xyz"), consume_invitation=None)
        await store.insert_partner(partner("NL-PEN", status=PartnerStatus.PENDING), consume_invitation=None)
        assert await store.party_owner("DE/ABC") == "DE-ABC"
        assert await store.party_owner("DE/XYZ") == "DE-ABC"
        assert await store.party_owner("NL/PEN") == "NL-PEN"
        assert await store.party_owner("FR/NOP") is None

    run(backend, body)


def test_store_logs_no_token_hashes(backend: Backend, caplog: pytest.LogCaptureFixture) -> None:
    secrets = [token_hash("DE-ABC ACTIVE"), invitation("logged").token_hash]

    async def body(h: Harness) -> None:
        store = h.store
        await store.add_invitation(invitation("logged"))
        await store.insert_partner(partner("DE-ABC"), consume_invitation=None)
        with pytest.raises(DuplicateParty):
            await store.insert_partner(partner("DE-ABC"), consume_invitation=invitation("logged").token_hash)
        await store.lookup_token(secrets[0])
        await store.health()

    with caplog.at_level(logging.DEBUG, logger="reference_hub"):
        run(backend, body)
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records if r.name.startswith("reference_hub"))
    for secret in secrets:
        assert secret not in text
