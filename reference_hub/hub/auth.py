"""Who is calling: turns an Authorization header into a Caller, or nothing (HTTP 401)."""

from __future__ import annotations

import time
from enum import StrEnum

import msgspec

from reference_hub.hub.tokens import candidate_tokens, hash_token, same_hash
from reference_hub.store import PartnerStatus, Store

MARKER_INTERVAL = 0.05
"""Seconds between two looks at the store's change marker."""
_KNOWN_LIMIT = 500_000
_UNKNOWN_LIMIT = 50_000


class CallerKind(StrEnum):
    """What the presented token is."""

    REGISTRATION = "REGISTRATION"
    """Token A of an unused invitation, or the token we gave a party during a hub-initiated registration still under
    way: versions, version details and credentials only."""
    PARTNER = "PARTNER"
    """The token of a registered partner."""


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


class Authenticator:
    """Resolves Authorization headers to callers; the hot path of every request.

    Results are cached per process by the exact header value, so a repeat caller costs one dictionary lookup: no
    base64, no hashing, no database. Unknown headers go to a separate, smaller cache, so a flood of made-up tokens
    cannot evict the real ones. Both empty when this process changes a partner or a token (:meth:`forget`) and when
    the store's ``change_marker`` says another process did; that is asked at most every ``MARKER_INTERVAL`` seconds,
    so a token revoked through another worker stops working here within 50 ms.
    """

    def __init__(self, store: Store, *, accept_any_token: bool = False) -> None:
        self._store = store
        self._accept_any = accept_any_token
        self._known: dict[str, Caller] = {}
        self._unknown: set[str] = set()
        self._marker = store.change_marker()
        self._checked = time.monotonic()

    async def authenticate(self, header: str | None) -> Caller | None:
        now = time.monotonic()
        if now - self._checked >= MARKER_INTERVAL:
            self._checked = now
            marker = self._store.change_marker()
            if marker != self._marker:
                self.forget()
                self._marker = marker
        key = header or ""
        caller = self._known.get(key)
        if caller is not None or key in self._unknown:
            return caller
        caller = await self._resolve(header)
        if caller is None:
            if len(self._unknown) >= _UNKNOWN_LIMIT:
                self._unknown.clear()
            self._unknown.add(key)
        else:
            if len(self._known) >= _KNOWN_LIMIT:
                self._known.clear()
            self._known[key] = caller
        return caller

    async def recheck(self, header: str | None) -> Caller | None:
        """Resolve ``header`` from the store, bypassing and then refreshing the cache.

        For refusals only: a cached registration caller may have finished a hub-initiated registration in another
        process less than ``MARKER_INTERVAL`` ago, and a refusal is rare enough to afford one store lookup.
        """
        key = header or ""
        self._known.pop(key, None)
        self._unknown.discard(key)
        caller = await self._resolve(header)
        if caller is not None:
            self._known[key] = caller
        return caller

    def forget(self) -> None:
        """Drop every cached answer (after this process changed a token or a partner)."""
        self._known.clear()
        self._unknown.clear()

    async def _resolve(self, header: str | None) -> Caller | None:
        for token, was_raw in candidate_tokens(header):
            token_hash = hash_token(token)
            owner = await self._store.lookup_token(token_hash)
            if owner is None:
                continue
            if owner.partner is not None:
                partner = owner.partner
                if partner.token_hash is None or not same_hash(partner.token_hash, token_hash):
                    continue
                kind = CallerKind.PARTNER if partner.status is PartnerStatus.ACTIVE else CallerKind.REGISTRATION
                return Caller(kind, token, token_hash, was_raw, partner.partner_id)
            return Caller(CallerKind.REGISTRATION, token, token_hash, was_raw)
        if self._accept_any:
            token = (header or "").partition(" ")[2] or "anonymous"
            return Caller(CallerKind.REGISTRATION, token, hash_token(token), True)
        return None


__all__ = ("Authenticator", "Caller", "CallerKind")
