"""Bounded authentication caches keyed by a digest, the Authorization length cap, and the failed-auth limiter.

The store is a real in-memory SQLite store; the limiter runs on a fake clock (named ``FakeClock``) so that windows
can be crossed without sleeping.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from reference_hub.hub.auth import MAX_AUTHORIZATION, Authenticator, CallerKind, header_key
from reference_hub.hub.ratelimit import MAX_ADDRESSES, FailedAuthLimiter
from reference_hub.hub.tokens import authorization_header, hash_token
from reference_hub.ocpi.datetime import now
from reference_hub.store import Invitation
from reference_hub.store.sqlite import SqliteStore


def test_cache_keys_are_fixed_size_digests() -> None:
    assert len(header_key("Token abc")) == 16
    assert len(header_key("Token " + "x" * 100_000)) == 16
    assert header_key(b"Token abc") == header_key("Token abc")
    assert header_key("Token abc") != header_key("Token abd")
    assert header_key(None) == header_key(b"")


def test_caches_hold_bounded_entries_and_never_the_header() -> None:
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
        assert header_key("Token unknown-49") in auth._unknown and header_key("Token unknown-0") not in auth._unknown
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
        real_lookup = store.lookup_token

        async def counting_lookup(token_hash: str) -> object:
            nonlocal lookups
            lookups += 1
            return await real_lookup(token_hash)

        store.lookup_token = counting_lookup  # type: ignore[method-assign]
        long_header = "Token " + token + " " * (MAX_AUTHORIZATION + 1)
        assert await auth.authenticate(long_header) is None
        assert lookups == 0
        assert await auth.authenticate("Token " + token) is not None
        assert lookups == 1
        await store.close()

    asyncio.run(main())


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limiter_blocks_an_address_past_its_limit_until_the_window_ends(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    limiter = FailedAuthLimiter(3, 10.0, clock=clock)
    for _ in range(3):
        assert limiter.retry_after("192.0.2.1") == 0
        limiter.failed("192.0.2.1")
    assert limiter.retry_after("192.0.2.1") == 0  # three failures are allowed
    limiter.failed("192.0.2.1")
    assert limiter.retry_after("192.0.2.1") == 10  # the fourth crosses the limit
    assert limiter.retry_after("192.0.2.2") == 0  # other addresses are unaffected
    clock.now += 6.5
    assert limiter.retry_after("192.0.2.1") == 4  # rounded up to whole seconds
    clock.now += 4
    with caplog.at_level(logging.WARNING, logger="reference_hub.auth"):
        assert limiter.retry_after("192.0.2.1") == 0  # a new window
    summary = [r.getMessage() for r in caplog.records]
    assert len(summary) == 1
    assert "4 failed authentications from 1 addresses" in summary[0] and "192.0.2.1 (4)" in summary[0]


def test_limiter_off_still_counts_and_memory_is_bounded() -> None:
    clock = FakeClock()
    off = FailedAuthLimiter(0, 10.0, clock=clock)
    for _ in range(1000):
        off.failed("192.0.2.9")
    assert off.retry_after("192.0.2.9") == 0
    bounded = FailedAuthLimiter(5, 10.0, clock=clock)
    for i in range(MAX_ADDRESSES + 500):
        bounded.failed(f"2001:db8::{i:x}")
    assert len(bounded._failures) == MAX_ADDRESSES + 1  # the rest share one entry
