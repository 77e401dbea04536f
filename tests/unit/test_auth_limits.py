"""Bounded authentication caches (unknown headers kept as digests), the Authorization length cap, and the
failed-auth limiter.

The store is a real in-memory SQLite store; the limiter runs on a fake clock (named ``FakeClock``) so that windows
can be crossed without sleeping.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import pytest

from reference_hub.hub.auth import MAX_AUTHORIZATION, RAW_KEY, Authenticator, CallerKind, header_key, unknown_key
from reference_hub.hub.ratelimit import ADMIN_WEIGHT, MAX_ADDRESSES, FailedAuthLimiter
from reference_hub.hub.tokens import authorization_header, hash_token, secret_matches
from reference_hub.ocpi.datetime import now
from reference_hub.store import Invitation, TokenHolder
from reference_hub.store.sqlite import SqliteStore
from tests.support.clock import FakeClock


def test_unknown_headers_are_keyed_by_fixed_size_digests() -> None:
    assert len(unknown_key(header_key("Token abc"))) == 16
    assert len(unknown_key(header_key("Token " + "x" * 100_000))) == 16
    assert unknown_key(header_key("Token abc")) != unknown_key(header_key("Token abd"))
    # the callers' cache is keyed by the header as sent, whichever form the caller hands it in...
    assert header_key(b"Token abc") == header_key("Token abc") == b"Token abc"
    assert header_key(None) == header_key(b"") == b""
    # ...up to RAW_KEY bytes: a padded header that still authenticates is kept under a digest, so a platform varying
    # its padding cannot make each of its entries hold hundreds of bytes
    padded = "Token abc" + " " * (RAW_KEY + 1)
    assert len(header_key(padded)) == 16 and header_key(padded) != header_key(padded + " ")


def test_caches_hold_bounded_entries_and_unknown_headers_only_as_digests() -> None:
    async def main() -> None:
        store = SqliteStore(":memory:")
        await store.open()
        token = "valid-token-for-the-cache-test"
        await store.add_invitation(Invitation(token_hash=hash_token(token), created=now()))
        auth = Authenticator(store, known_limit=3, unknown_limit=5)
        for i in range(50):
            assert await auth.authenticate(f"Token unknown-{i}") is None
        assert len(auth._unknown) == 5
        assert all(isinstance(k, bytes) and len(k) == 16 for k in auth._unknown)
        # the newest unknown headers are the ones kept
        assert unknown_key(b"Token unknown-49") in auth._unknown
        assert unknown_key(b"Token unknown-0") not in auth._unknown
        caller = await auth.authenticate(authorization_header(token))
        assert caller is not None and caller.kind is CallerKind.REGISTRATION
        assert auth.cached(header_key(authorization_header(token))) == caller
        await store.close()

    asyncio.run(main())


def test_an_overlong_authorization_header_is_never_looked_up_or_cached() -> None:
    async def main() -> None:
        store = SqliteStore(":memory:")
        await store.open()
        # a token that exists, presented raw with padding that makes the header too long: refused all the same
        token = "t" * 40
        await store.add_invitation(Invitation(token_hash=hash_token(token), created=now()))
        auth = Authenticator(store)
        lookups = 0
        real_lookup = store.token_holders

        async def counting_lookup(token_hashes: Sequence[str]) -> dict[str, TokenHolder]:
            nonlocal lookups
            lookups += 1
            return await real_lookup(token_hashes)

        store.token_holders = counting_lookup  # type: ignore[method-assign]
        long_header = "Token " + token + " " * (MAX_AUTHORIZATION + 1)
        assert await auth.authenticate(long_header) is None
        assert lookups == 0
        assert await auth.authenticate("Token " + token) is not None
        assert lookups == 1
        await store.close()

    asyncio.run(main())


def test_limiter_locks_an_address_out_past_its_limit_and_logs_it_once(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    limiter = FailedAuthLimiter(3, 10.0, 30.0, clock=clock)
    with caplog.at_level(logging.WARNING, logger="reference_hub.auth"):
        for _ in range(3):
            assert limiter.locked("192.0.2.1") == 0
            assert limiter.failed("192.0.2.1") == 0  # three failures are allowed
        assert limiter.failed("192.0.2.1", "admin key") == 30  # the fourth locks the address out
        assert limiter.locked("192.0.2.1") == 30
        assert limiter.locked("192.0.2.2") == 0  # other addresses are unaffected
        assert limiter.failed("192.0.2.1") == 30  # failing again while locked does not lock again
    locks = [r.getMessage() for r in caplog.records]
    assert len(locks) == 1 and "locked out 192.0.2.1 for 30 s" in locks[0] and "admin key" in locks[0]
    clock.now += 26.5
    assert limiter.locked("192.0.2.1") == 4  # rounded up to whole seconds, across the window's end
    clock.now += 4
    assert limiter.locked("192.0.2.1") == 0
    summary = [r.getMessage() for r in caplog.records if "failed authentications from" in r.getMessage()]
    assert summary and "5 failed authentications from 1 addresses" in summary[0]


def test_each_further_lock_out_lasts_twice_as_long_up_to_an_hour() -> None:
    clock = FakeClock()
    limiter = FailedAuthLimiter(1, 10.0, 60.0, clock=clock)
    lengths = []
    for _ in range(8):
        limiter.failed("198.51.100.7")
        lengths.append(limiter.failed("198.51.100.7"))
        clock.now += lengths[-1] + 0.001
    assert lengths == [60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_an_admin_key_failure_weighs_ten() -> None:
    limiter = FailedAuthLimiter(100, 10.0, clock=FakeClock())
    assert [limiter.failed("192.0.2.5", "admin key", ADMIN_WEIGHT) > 0 for _ in range(11)] == [False] * 10 + [True]


def test_limiter_off_still_counts_and_memory_is_bounded() -> None:
    clock = FakeClock()
    off = FailedAuthLimiter(0, 10.0, clock=clock)
    for _ in range(1000):
        off.failed("192.0.2.9")
    assert off.locked("192.0.2.9") == 0
    bounded = FailedAuthLimiter(5, 10.0, clock=clock)
    for i in range(MAX_ADDRESSES + 500):
        bounded.failed(f"2001:db8::{i:x}")
    assert len(bounded._failures) == MAX_ADDRESSES + 1  # the rest share one entry


def test_secrets_are_compared_by_digest() -> None:
    assert secret_matches("admin-key", "admin-key")
    assert not secret_matches("admin-key", "admin-keyx") and not secret_matches("", "admin-key")
    assert not secret_matches("caf\u00e9", "cafe")


def test_a_token_that_authenticated_before_stays_proven_when_the_caches_are_dropped() -> None:
    async def main() -> None:
        store = SqliteStore(":memory:")
        await store.open()
        token = "a-token-that-worked-before"
        await store.add_invitation(Invitation(token_hash=hash_token(token), created=now()))
        auth = Authenticator(store)
        header = authorization_header(token)
        assert not auth.proven(header_key(header))
        assert await auth.authenticate(header) is not None
        auth.forget()
        assert auth.proven(header_key(header)) and not auth.proven(header_key("Token never-seen"))
        await store.close()

    asyncio.run(main())


def test_bounded_maps_drop_the_oldest_and_a_key_set_again_becomes_the_newest() -> None:
    from collections import OrderedDict

    from reference_hub.hub.bounded import put_newest

    entries: OrderedDict[str, int] = OrderedDict()
    for n in range(5):
        put_newest(entries, f"k{n}", n, 3)
    assert list(entries) == ["k2", "k3", "k4"]
    put_newest(entries, "k2", 20, 3)  # set again: now the newest, so k3 goes first
    put_newest(entries, "k5", 5, 3)
    assert list(entries.items()) == [("k4", 4), ("k2", 20), ("k5", 5)]
