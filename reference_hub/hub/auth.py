"""Who is calling: turns an Authorization header into a Caller, or nothing (HTTP 401)."""

from __future__ import annotations

from enum import StrEnum

import msgspec

from reference_hub.hub.tokens import TokenCache, candidate_tokens, hash_token, same_hash
from reference_hub.store import Partner, PartnerStatus, Store


class CallerKind(StrEnum):
    """What the presented token is."""

    REGISTRATION = "REGISTRATION"
    """Token A of an unused invitation, or the token we gave a party during a hub-initiated registration still under
    way: versions, version details and credentials only."""
    PARTNER = "PARTNER"
    """The token of a registered partner."""


class Caller(msgspec.Struct, frozen=True):
    """The authenticated caller of one request."""

    kind: CallerKind
    token: str
    """The token as presented (needed to echo it in GET /credentials); never logged."""
    token_hash: str
    raw_token: bool
    """The caller sent the token without base64."""
    partner: Partner | None = None


class Authenticator:
    """Resolves tokens through the cache; the hot path of every request."""

    def __init__(self, store: Store, *, accept_any_token: bool = False) -> None:
        self.cache = TokenCache(store)
        self._accept_any = accept_any_token

    async def authenticate(self, header: str | None) -> Caller | None:
        for token, was_raw in candidate_tokens(header):
            token_hash = hash_token(token)
            owner = await self.cache.lookup(token_hash)
            if owner is None:
                continue
            if owner.partner is not None:
                partner = owner.partner
                if partner.token_hash is None or not same_hash(partner.token_hash, token_hash):
                    continue
                kind = CallerKind.PARTNER if partner.status is PartnerStatus.ACTIVE else CallerKind.REGISTRATION
                return Caller(kind, token, token_hash, was_raw, partner)
            return Caller(CallerKind.REGISTRATION, token, token_hash, was_raw)
        if self._accept_any:
            token = (header or "").partition(" ")[2] or "anonymous"
            return Caller(CallerKind.REGISTRATION, token, hash_token(token), True)
        return None


__all__ = ("Authenticator", "Caller", "CallerKind")
