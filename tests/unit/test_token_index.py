"""The in-memory token index (``hub/token_index.py``) on a real SQLite file, with a second store on the same file
standing for another hub process.

The attacks: a token rotated out or a partner removed through the other process must be refused here at once (not
after the header cache's 50 ms), even by a process whose index still held it, and a token issued there must work
here at once; a read of the index during which something was written must not be kept.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import msgspec
import pytest

from reference_hub.hub import token_index
from reference_hub.hub.auth import Authenticator, CallerKind
from reference_hub.hub.token_index import TokenIndex
from reference_hub.hub.tokens import authorization_header, hash_token
from reference_hub.ocpi.datetime import now
from reference_hub.ocpi.models import BusinessDetails, CredentialsRole, Role
from reference_hub.store import Invitation, Partner, PartnerStatus, TokenHolder
from reference_hub.store.sqlite import SqliteStore


def _partner(number: int, *, status: PartnerStatus = PartnerStatus.ACTIVE, confirmed: bool = True) -> Partner:
    party = f"{number:03d}"
    return Partner(
        partner_id=f"AA-{party}",
        status=status,
        token_hash=hash_token(f"token-{party}"),
        token_confirmed=confirmed,
        outgoing_token=f"sealed-{party}",
        versions_url=f"https://{party}.example.com/ocpi/versions",
        version="2.3.0",
        roles=[
            CredentialsRole(
                role=Role.CPO, business_details=BusinessDetails(name=party), party_id=party, country_code="AA"
            )
        ],
        created=now(),
        updated=now(),
    )


@asynccontextmanager
async def _two_processes(
    tmp_path: Path, here_kind: type[SqliteStore] = SqliteStore
) -> AsyncIterator[tuple[SqliteStore, SqliteStore]]:
    """Two stores on one SQLite file, as two hub processes have (``here_kind``: this process's store class)."""
    here, there = here_kind(str(tmp_path / "hub.db")), SqliteStore(str(tmp_path / "hub.db"))
    await here.open()
    await there.open()
    try:
        yield here, there
    finally:
        await here.close()
        await there.close()


def _after_page(store: SqliteStore, number: int, then: Callable[[], Awaitable[object]]) -> None:
    """Make ``store`` run ``then`` right after it has read page ``number`` of the live token holders (the only
    thing changed), so that something happens in the middle of an index read."""
    real_page = store.live_token_holders
    pages = 0

    async def page_then(after: str | None, limit: int) -> list[TokenHolder]:
        nonlocal pages
        pages += 1
        found = await real_page(after, limit)
        if pages == number:
            await then()
        return found

    store.live_token_holders = page_then  # type: ignore[method-assign]


def _held(index: TokenIndex, token: str) -> TokenHolder | None:
    """The index's holder of one token (None: not held, or the index is not current)."""
    found = index.holders([hash_token(token)])
    return None if found is None else found.get(hash_token(token))


class _Counting(SqliteStore):
    """The SQLite store, counting the token lookups that reach it (the only thing changed)."""

    lookups = 0

    async def token_holders(self, token_hashes: Sequence[str]) -> dict[str, TokenHolder]:
        self.lookups += 1
        return await super().token_holders(token_hashes)


def test_the_index_holds_what_the_store_would_answer(tmp_path: Path) -> None:
    async def main() -> None:
        async with _two_processes(tmp_path) as (store, _):
            await store.insert_partner(_partner(1), consume_invitation=None)
            await store.insert_partner(_partner(2, status=PartnerStatus.SUSPENDED), consume_invitation=None)
            await store.insert_partner(_partner(3, status=PartnerStatus.PENDING), consume_invitation=None)
            await store.insert_partner(_partner(4, confirmed=False), consume_invitation=None)
            await store.insert_partner(_partner(5, status=PartnerStatus.INACTIVE), consume_invitation=None)
            expires = now()
            await store.add_invitation(Invitation(token_hash=hash_token("token-A"), created=now(), expires=expires))
            await store.add_invitation(Invitation(token_hash=hash_token("token-B"), created=now(), used_by="AA-001"))
            index = TokenIndex(store, page=2)  # three pages for the four live partners
            assert not index.ready and index.holders([hash_token("token-001")]) is None
            assert await index.read() is True
            asked = [hash_token(t) for t in ("token-001", "token-002", "token-003", "token-004", "token-005")]
            asked += [hash_token(t) for t in ("token-A", "token-B", "made-up")]
            assert index.holders(asked) == await store.token_holders(asked)
            assert {h.partner_id for h in (index.holders(asked) or {}).values()} == {
                "AA-001",
                "AA-002",
                "AA-003",
                "AA-004",
                None,
            }
            invited = _held(index, "token-A")
            assert invited is not None and invited.partner_id is None and invited.expires == expires

    asyncio.run(main())


def test_a_token_rotated_or_removed_in_another_process_is_refused_here_at_once(tmp_path: Path) -> None:
    async def main() -> None:
        async with _two_processes(tmp_path) as (here, there):
            for n in (1, 2):
                await here.insert_partner(_partner(n), consume_invitation=None)
            index = TokenIndex(here)
            auth = Authenticator(here, index=index)
            assert await index.read() is True
            for n in (1, 2):  # both are answered by the index: fresh headers, not in the header cache
                caller = await auth.authenticate(authorization_header(f"token-{n:03d}"))
                assert caller is not None and caller.kind is CallerKind.PARTNER
            auth.forget()  # the header cache empty again: only the index stands between a header and the store
            assert await index.read() is True
            # the other process rotates AA-001's token and removes AA-002
            one = await there.get_partner("AA-001")
            assert one is not None
            rotated = msgspec.structs.replace(one, token_hash=hash_token("token-001-new"), token_confirmed=True)
            await there.replace_partner(rotated, expected_token_hash=one.token_hash)
            assert await there.delete_partner("AA-002")
            # no wait for the 50 ms marker interval: the index looks at the marker before each answer
            assert await auth.authenticate(authorization_header("token-001")) is None
            assert await auth.authenticate(authorization_header("token-002")) is None
            assert not index.ready
            fresh = await auth.authenticate(authorization_header("token-001-new"))
            assert fresh is not None and fresh.partner_id == "AA-001"

    asyncio.run(main())


def test_a_read_during_which_another_process_wrote_is_not_kept(tmp_path: Path) -> None:
    async def main() -> None:
        async with _two_processes(tmp_path) as (here, there):
            for n in range(1, 6):
                await here.insert_partner(_partner(n), consume_invitation=None)
            index = TokenIndex(here, page=2)
            # between two pages, the other process removes a partner already read
            _after_page(here, 2, lambda: there.delete_partner("AA-001"))
            assert await index.read() is False
            assert await there.get_partner("AA-001") is None  # the removal did happen mid-read
            assert not index.ready and _held(index, "token-001") is None
            assert await index.read() is True  # nothing written this time
            assert _held(index, "token-001") is None and _held(index, "token-002") is not None

    asyncio.run(main())


def test_a_change_in_this_process_drops_the_index_and_any_read_under_way(tmp_path: Path) -> None:
    async def main() -> None:
        async with _two_processes(tmp_path) as (store, _):
            for n in range(1, 6):
                await store.insert_partner(_partner(n), consume_invitation=None)
            index = TokenIndex(store, page=2)
            auth = Authenticator(store, index=index)
            assert await index.read() is True
            auth.forget()  # what the registrar calls after this process changed a partner or a token
            assert not index.ready and _held(index, "token-001") is None

            async def forget() -> None:
                auth.forget()  # told of a change while reading, though the store's marker did not move

            _after_page(store, 1, forget)
            assert await index.read() is False
            assert not index.ready

    asyncio.run(main())


def test_a_header_not_cached_costs_no_store_lookup_while_the_index_is_current(tmp_path: Path) -> None:
    async def main() -> None:
        async with _two_processes(tmp_path, _Counting) as (store, there):
            assert isinstance(store, _Counting)
            for n in range(1, 4):
                await store.insert_partner(_partner(n), consume_invitation=None)
            await store.insert_partner(_partner(9, confirmed=False), consume_invitation=None)
            await store.add_invitation(Invitation(token_hash=hash_token("token-A"), created=now()))
            index = TokenIndex(store)
            auth = Authenticator(store, index=index)
            assert await index.read() is True
            for n in range(1, 4):
                assert await auth.authenticate(authorization_header(f"token-{n:03d}")) is not None
            raw = await auth.authenticate("Token token-001")  # sent raw, as some 2.1.1-era peers do
            assert raw is not None and raw.raw_token
            registration = await auth.authenticate(authorization_header("token-A"))
            assert registration is not None and registration.kind is CallerKind.REGISTRATION
            for n in range(50):  # a flood of made-up tokens: not one statement
                assert await auth.authenticate(authorization_header(f"made-up-{n}")) is None
            assert store.lookups == 0
            first_use = await auth.authenticate(authorization_header("token-009"))
            assert first_use is not None and first_use.kind is CallerKind.PARTNER
            confirmed = await store.get_partner("AA-009")
            assert confirmed is not None and confirmed.token_confirmed  # the first use was recorded, which moved the
            assert not index.ready or index.holders([]) is None  # marker: this process's own write drops the index
            assert await index.read() is True
            # a token issued a moment ago by another process: the index misses it, sees the marker moved, and the
            # store finds it
            await there.insert_partner(_partner(7), consume_invitation=None)
            before = store.lookups
            issued = await auth.authenticate(authorization_header("token-007"))
            assert issued is not None and issued.partner_id == "AA-007" and store.lookups == before + 1

    asyncio.run(main())


def test_beyond_the_limit_no_index_is_kept_and_reading_stops(tmp_path: Path) -> None:
    async def main() -> None:
        async with _two_processes(tmp_path) as (store, _):
            for n in range(1, 6):
                await store.insert_partner(_partner(n), consume_invitation=None)
            index = TokenIndex(store, page=2, limit=3)
            assert not index.given_up
            await asyncio.wait_for(index.run(), timeout=5)  # returns by itself: nothing to keep reading
            assert not index.ready and _held(index, "token-001") is None
            assert index.given_up  # what a caller waiting for the index reads to stop waiting

    asyncio.run(main())


def test_the_running_index_reads_again_after_a_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(token_index, "MIN_GAP", 0.01)

    async def main() -> None:
        async with _two_processes(tmp_path) as (here, there):
            await here.insert_partner(_partner(1), consume_invitation=None)
            index = TokenIndex(here)
            task = asyncio.create_task(index.run())
            try:
                for _ in range(200):
                    if index.ready:
                        break
                    await asyncio.sleep(0.01)
                assert index.reads == 1 and _held(index, "token-001") is not None
                await there.insert_partner(_partner(2), consume_invitation=None)
                assert index.holders([]) is None  # the marker moved: dropped on sight
                for _ in range(200):
                    if index.ready:
                        break
                    await asyncio.sleep(0.01)
                assert index.reads == 2 and _held(index, "token-002") is not None
            finally:
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task

    asyncio.run(main())


def test_looking_at_the_marker_costs_no_statement_until_another_process_commits(tmp_path: Path) -> None:
    """The index looks at SQLite's change marker before every answer. Under load a ``PRAGMA data_version`` per look
    cost each of two workers 17 µs (the WAL index's locks), so the marker reads the WAL-index header and asks
    SQLite only once that header moved: a commit anywhere, or a write here."""

    async def body() -> None:
        async with _two_processes(tmp_path) as (here, there):
            statements: list[str] = []
            here.db.set_trace_callback(statements.append)
            first = here.change_marker()
            for _ in range(100):
                assert here.change_marker() == first
            assert len(statements) <= 2, statements  # the first look may ask; the next hundred ask nothing
            statements.clear()
            await there.note_heard({"AA-001": now()})  # a commit elsewhere that leaves the generation still
            assert here.change_marker() == first
            assert any("data_version" in sql for sql in statements), "a commit elsewhere was not looked at"
            statements.clear()
            await there.insert_partner(_partner(7), consume_invitation=None)
            assert here.change_marker() != first  # a partner written elsewhere moves it at once
            moved = here.change_marker()
            await here.add_invitation(Invitation(token_hash=hash_token("new"), created=now()))
            assert here.change_marker() != moved  # a write here moves it at once, though no one else committed

    asyncio.run(body())


def test_a_leftover_wal_index_file_is_never_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The marker trusts the WAL-index header only if it is the one SQLite keeps for the database. A leftover
    ``-shm`` file under the name the store looks at (after a crash, beside a database reached through a link) would
    never move, and every other process's commits would go unseen: a token revoked there would still work here."""
    from reference_hub.store import sqlite as sqlite_module

    decoy = tmp_path / "elsewhere"
    decoy.mkdir()
    (decoy / "hub.db-shm").write_bytes(b"\x01" * 32768)  # what a leftover looks like to a reader: bytes, never moving
    real = os.path.realpath

    def realpath(path: str) -> str:
        return str(decoy / "hub.db") if path.endswith("hub.db") else real(path)

    monkeypatch.setattr(sqlite_module.os.path, "realpath", realpath)

    async def body() -> None:
        async with _two_processes(tmp_path) as (here, there):
            assert here._wal_index is None  # the decoy did not move on the store's own write: not mapped
            before = here.change_marker()
            await there.insert_partner(_partner(9), consume_invitation=None)
            assert here.change_marker() != before  # the other process's write is seen at once all the same

    asyncio.run(body())


def test_a_database_reached_through_a_link_maps_the_index_sqlite_keeps(tmp_path: Path) -> None:
    """SQLite names the WAL index after the database's real path: a store opened through a link to the file reads
    that one (and so needs no statement to see that nothing moved)."""
    (tmp_path / "data").mkdir()
    (tmp_path / "link.db").symlink_to(tmp_path / "data" / "hub.db")

    async def body() -> None:
        here = SqliteStore(str(tmp_path / "link.db"))
        there = SqliteStore(str(tmp_path / "data" / "hub.db"))
        await here.open()
        await there.open()
        try:
            assert here._wal_index is not None
            before = here.change_marker()
            await there.insert_partner(_partner(8), consume_invitation=None)
            assert here.change_marker() != before
        finally:
            await here.close()
            await there.close()

    asyncio.run(body())


_DMS_PROBE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 128)  # SQLite's "still in use" byte of the -shm file (unix VFS)
except OSError:
    print("held")
else:
    print("free")
"""


def _shm_lock_seen_from_another_process(shm: Path) -> str:
    probe = subprocess.run([sys.executable, "-c", _DMS_PROBE, str(shm)], capture_output=True, text=True, timeout=30)
    assert probe.returncode == 0, probe.stderr
    return probe.stdout.strip()


def test_mapping_the_wal_index_keeps_sqlite_s_locks_on_it(tmp_path: Path) -> None:
    """Closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's own included. The
    store once closed the descriptor it mapped the ``-shm`` file through at once: the shared lock that tells other
    processes the file is in use was gone, so a hub worker opening the database next found it unused and reset it
    under the first one's mapping (which died of SIGBUS at start-up). Another process (a real one: the locks are
    per process) must find the lock held while the store is open."""
    path = tmp_path / "hub.db"

    async def body() -> None:
        store = SqliteStore(str(path))
        await store.open()
        try:
            assert store._wal_index is not None  # the header is mapped and used
            assert _shm_lock_seen_from_another_process(tmp_path / "hub.db-shm") == "held"
            await store.insert_partner(_partner(1), consume_invitation=None)
            store.change_marker()
            assert _shm_lock_seen_from_another_process(tmp_path / "hub.db-shm") == "held"
            os.close(os.open(tmp_path / "hub.db-shm", os.O_RDONLY))  # what the store once did
            assert _shm_lock_seen_from_another_process(tmp_path / "hub.db-shm") == "free"  # the probe can tell
        finally:
            await store.close()

    asyncio.run(body())
