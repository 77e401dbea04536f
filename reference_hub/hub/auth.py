"""Who is calling: turns an Authorization header into a Caller, or nothing (HTTP 401)."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from enum import StrEnum

import msgspec

from reference_hub.hub.bounded import put_newest
from reference_hub.hub.changes import ChangeWatcher
from reference_hub.hub.token_index import TokenIndex
from reference_hub.hub.tokens import candidate_tokens, hash_token, same_hash
from reference_hub.ocpi.datetime import DateTime, now
from reference_hub.store import PartnerStatus, Store, TokenHolder

_KNOWN_LIMIT = 500_000
"""Cached callers per process (a few hundred bytes each: the token, its hash and a 16-byte key)."""
_UNKNOWN_LIMIT = 50_000
"""Cached unknown headers per process (a 16-byte key each)."""


class CallerKind(StrEnum):
    """What the presented token is."""

    REGISTRATION = "REGISTRATION"
    """Token A of an unused invitation, or the token we gave a party during a hub-initiated registration still under
    way: versions, version details and credentials only."""
    PARTNER = "PARTNER"
    """The token of a registered partner."""
    SUSPENDED = "SUSPENDED"
    """The token of a partner an operator suspended: it opens nothing, and the answer says why."""


class Caller(msgspec.Struct, frozen=True, gc=False):
    """The authenticated caller of one request.

    Only scalars, so that ``gc=False`` keeps the many cached callers out of the garbage collector's scans (with a
    hundred thousand partners, tracked objects made full collections take a quarter of a second).
    """

    kind: CallerKind
    token: str
    """The token as presented (needed to echo it in GET /credentials); never logged."""
    token_hash: str
    raw_token: bool
    """The caller sent the token without base64."""
    partner_id: str | None = None
    """The partner holding the token (None for an invitation)."""
    expires: DateTime | None = None
    """When an invitation's token A stops working (None: never, or not an invitation)."""

    def expired(self) -> bool:
        return self.expires is not None and self.expires <= now()


MAX_AUTHORIZATION = 512
"""Longest Authorization header looked at. A credentials token is at most 64 characters, ``Token `` plus its base64
is under 100; anything much longer is refused before it is hashed, looked up or cached."""


RAW_KEY = 128
"""Longest Authorization header kept as its own cache key. ``Token`` and the base64 of a 64-character token is 94
bytes; a longer header that authenticates (padded with spaces) is keyed by a digest, so that a platform varying its
padding cannot make each of its cache entries hold up to ``MAX_AUTHORIZATION`` bytes."""


def header_key(header: bytes | str | None) -> bytes:
    """The key of an Authorization header in the caches of callers: the header's bytes as sent, or a fixed-size
    digest of a header longer than ``RAW_KEY``. Only a header that authenticated is kept under it (and each entry
    holds the token in its :class:`Caller` anyway); a digest of every request's header cost more than the rest of a
    cached look-up."""
    raw = header.encode("latin-1") if isinstance(header, str) else (header or b"")
    return raw if len(raw) <= RAW_KEY else hashlib.blake2b(raw, digest_size=16).digest()


def unknown_key(key: bytes) -> bytes:
    """The key of a header in the cache of unknown headers: a fixed-size digest, so what that cache holds per entry
    does not depend on what a client chose to send (any made-up header lands there)."""
    return hashlib.blake2b(key, digest_size=16).digest()


class Authenticator:
    """Resolves Authorization headers to callers; the hot path of every request.

    Results are cached per process by the header (:func:`header_key`), so a repeat caller costs one dictionary
    lookup: no base64, no token hashing, no database. Unknown headers go to a separate, smaller cache, by a digest of
    each (:func:`unknown_key`), so a flood of made-up tokens can neither evict the real ones nor choose what it
    holds. Both caches are bounded and drop their oldest entries first. Both empty when this process changes a
    partner or a token (:meth:`forget`) and when the store's ``change_marker`` says another process did; that is
    asked at most every ``MARKER_INTERVAL`` seconds, so a token revoked through another worker stops working here
    within 50 ms. A header not cached is answered by the token index (``hub/token_index.py``, SQLite) when it is
    current, which looks at the marker before every answer; else by the store.
    """

    def __init__(
        self,
        store: Store,
        *,
        accept_any_token: bool = False,
        known_limit: int = _KNOWN_LIMIT,
        unknown_limit: int = _UNKNOWN_LIMIT,
        index: TokenIndex | None = None,
    ) -> None:
        self._store = store
        self.index = index
        """Every token holder in memory, asked before the store (None: the store only); its reads are run by the
        app's lifespan (``TokenIndex.run``)."""
        self._accept_any = accept_any_token
        self._known: OrderedDict[bytes, Caller] = OrderedDict()
        self._unknown: OrderedDict[bytes, None] = OrderedDict()
        self._proven: OrderedDict[bytes, None] = OrderedDict()
        """Headers that authenticated here before; kept when the caches are dropped, so their callers are never
        locked out for the failures of others at their address."""
        self._known_limit = known_limit
        self._unknown_limit = unknown_limit
        self._changes = ChangeWatcher(store)

    def cached(self, key: bytes) -> Caller | None:
        """The caller cached under ``key``, if any (after the periodic look at the store's change marker)."""
        if self._changes.changed():
            self.forget()
        return self._known.get(key)

    async def resolve(self, key: bytes, header: str | None) -> Caller | None:
        """The caller for a header :meth:`cached` did not know: from the unknown cache, else from the store."""
        digest = unknown_key(key)
        if digest in self._unknown:
            return None
        if header is not None and len(header) > MAX_AUTHORIZATION:
            return None
        caller = await self._resolve(header)
        if caller is None:
            put_newest(self._unknown, digest, None, self._unknown_limit)
        else:
            put_newest(self._known, key, caller, self._known_limit)
            if key not in self._proven:
                put_newest(self._proven, key, None, self._known_limit)
        return caller

    def proven(self, key: bytes) -> bool:
        """The header under ``key`` authenticated in this process before (it may have been revoked since)."""
        return key in self._proven

    async def authenticate(self, header: str | None) -> Caller | None:
        """:meth:`cached`, then :meth:`resolve`, in one call (for callers that need no step in between)."""
        key = header_key(header)
        return self.cached(key) or await self.resolve(key, header)

    async def recheck(self, header: str | None) -> Caller | None:
        """Resolve ``header`` from the store, bypassing and then refreshing the cache.

        For refusals only: a cached registration caller may have finished a hub-initiated registration in another
        process less than ``MARKER_INTERVAL`` ago, and a refusal is rare enough to afford one store lookup.
        """
        key = header_key(header)
        self._known.pop(key, None)
        self._unknown.pop(unknown_key(key), None)
        return await self.resolve(key, header)

    def forget(self) -> None:
        """Drop every cached answer (after this process changed a token or a partner)."""
        self._known.clear()
        self._unknown.clear()
        if self.index is not None:
            self.index.drop()

    async def _resolve(self, header: str | None) -> Caller | None:
        if header is not None and len(header) > MAX_AUTHORIZATION:
            return None
        candidates = candidate_tokens(header)
        held = self.index.current() if candidates and self.index is not None else None
        if held is not None:
            # The index in memory (SQLite) answers one reading at a time, most likely first: a partner's first
            # request to this process (100,000 of them after each change of the party list on a large hub) hashes
            # only the reading that holds its token. Nothing is awaited between the look at the marker and the last
            # use of the mapping (``_caller`` awaits only for a caller it then returns), so the answer is as current
            # as that look.
            for token, was_raw in candidates:
                token_hash = hash_token(token)
                holder = held.get(token_hash)
                if holder is not None:
                    caller = await self._caller(holder, token, was_raw, token_hash)
                    if caller is not None:
                        return caller
            return self._anyone(header)
        hashes = [hash_token(token) for token, _ in candidates]
        # Without a current index, both readings of the header (base64, raw) at once, in one store round trip, so an
        # unknown token, a large share of the traffic under attack or misconfiguration, costs one statement instead
        # of one or two per reading.
        holders = await self._store.token_holders(hashes) if hashes else {}
        for (token, was_raw), token_hash in zip(candidates, hashes, strict=True):
            holder = holders.get(token_hash)
            if holder is None:
                continue
            caller = await self._caller(holder, token, was_raw, token_hash)
            if caller is not None:
                return caller
        return self._anyone(header)

    def _anyone(self, header: str | None) -> Caller | None:
        """No holder: nobody, unless the ``accept_any_token`` fault lets any header in as a registration."""
        if self._accept_any:
            token = (header or "").partition(" ")[2] or "anonymous"
            return Caller(CallerKind.REGISTRATION, token, hash_token(token), True)
        return None

    async def _caller(self, holder: TokenHolder, token: str, was_raw: bool, token_hash: str) -> Caller | None:
        """The caller a token's holder makes, or None when the holder does not hold this hash after all."""
        if holder.partner_id is None:
            return Caller(CallerKind.REGISTRATION, token, token_hash, was_raw, expires=holder.expires)
        if not same_hash(holder.token_hash, token_hash):
            return None
        if holder.status is PartnerStatus.SUSPENDED:
            return Caller(CallerKind.SUSPENDED, token, token_hash, was_raw, holder.partner_id)
        kind = CallerKind.PARTNER if holder.status is PartnerStatus.ACTIVE else CallerKind.REGISTRATION
        if kind is CallerKind.PARTNER and not holder.token_confirmed:
            # First use of the token the hub last gave this partner: the registration reached it.
            await self._store.confirm_token(holder.partner_id, token_hash)
        return Caller(kind, token, token_hash, was_raw, holder.partner_id)


__all__ = ("MAX_AUTHORIZATION", "RAW_KEY", "Authenticator", "Caller", "CallerKind", "header_key", "unknown_key")
