"""Tokens: what the catalogue row cannot say. Keys with a type are the row's (``keyed_by_type``); this file is real-
time authorization (``POST {tokens}/{token_uid}/authorize[?type=]``, the Sender interface).

The request goes to the token's eMSP: the party in ``OCPI-to-*``, else the one whose token the hub's copy says it
is. When that eMSP cannot answer (timeout, not connected), the hub answers from its copy where the token's whitelist
lets a CPO decide without the eMSP (``ALWAYS``, ``ALLOWED``, ``ALLOWED_OFFLINE``), else passes the routing error on.
When the hub holds the only word on a token (no eMSP connected for it), it answers from its copy the same way. A
token the hub does not know is HTTP 404 with 2004.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from reference_hub.faults import Fault
from reference_hub.hub.catalogue import SPECS
from reference_hub.hub.frontdoor import Exchange, FrontDoor, Handler, Reply, decode_data, object_type, relay
from reference_hub.hub.objects import DEFAULT_TOKEN_TYPE, Requester, object_key
from reference_hub.ocpi.errors import ForwardTimeout, GenericClientError, OcpiError, ReceiverNotConnected, UnknownToken
from reference_hub.ocpi.models import AllowedType, AuthorizationInfo, LocationReferences, Token, WhitelistType

TOKENS = SPECS["tokens"]
_OFFLINE_DECIDES = (WhitelistType.ALWAYS, WhitelistType.ALLOWED, WhitelistType.ALLOWED_OFFLINE)


async def authorize(door: FrontDoor, ex: Exchange) -> Reply:
    who, to = await door.requester(ex)
    uid = ex.params["token_uid"]
    kind = object_type(ex)
    query = None
    if Fault.AUTHORIZE_TYPE_IGNORED in door.faults:
        kind, query = None, ""
    body = ex.body
    owner = to
    if owner is None:
        owners = await door.objects.owners_of(TOKENS, uid, kind)  # the owners only: no token row is decoded here
        if not owners:
            return _unknown(door, uid, kind, body)
        owner = owners[0] if len(owners) == 1 else None
    receiver = None if owner is None else await door.serving(owner)
    if owner is not None and receiver is not None:
        try:
            forwarded = None if Fault.AUTHORIZE_BODY_DROPPED in door.faults else body or None
            relayed = await door.forward(ex, who, owner, forwarded, query=query, receiver=receiver)
        except (ForwardTimeout, ReceiverNotConnected) as exc:
            info = await _from_copy_offline(door, who, uid, kind, body, owner, exc)
            return _answer(door, lambda: info.allowed, Reply(info))
        return _answer(door, lambda: _allowed_in(relayed.body), relay(relayed))
    info = await _from_copy(door, who, uid, kind, body, owner)
    return _answer(door, lambda: info.allowed, Reply(info))


async def _from_copy_offline(
    door: FrontDoor, who: Requester, uid: str, kind: str | None, raw: bytes, owner: str, cause: OcpiError
) -> AuthorizationInfo:
    """The eMSP could not answer (``cause``): decide from the hub's copy where the token's whitelist allows a
    decision without the eMSP, else re-raise ``cause``."""
    current = await door.store.get_object(TOKENS.module, owner, object_key(TOKENS, uid, kind))
    if current is None:
        raise cause
    token: Token = door.codec.decode(current.body, Token)
    if token.whitelist not in _OFFLINE_DECIDES:
        raise cause
    return await _from_copy(door, who, uid, kind, raw, owner)


async def _from_copy(
    door: FrontDoor, who: Requester, uid: str, kind: str | None, raw: bytes, owner: str | None
) -> AuthorizationInfo:
    """Answer for the token's eMSP where its whitelist lets the hub decide from its copy."""
    references = door.codec.decode(raw, LocationReferences) if raw.strip() else None
    key = object_key(TOKENS, uid, kind)
    if owner is not None:
        found = await door.store.get_object(TOKENS.module, owner, key)
        candidates = [] if found is None else [found]
    else:
        candidates = await door.store.find_objects(TOKENS.module, key, limit=10)
    if not candidates:
        raise _unknown_token(uid, kind)
    if len(candidates) > 1:
        owners = ", ".join(o.owner for o in candidates)
        raise GenericClientError(f"token {uid} is issued by several eMSPs ({owners}): name one in OCPI-to-*")
    token: Token = door.codec.decode(candidates[0].body, Token)
    if token.whitelist == WhitelistType.NEVER:
        raise ReceiverNotConnected(
            f"token {uid} has whitelist NEVER: only its eMSP {candidates[0].owner} may authorize it, "
            "and it cannot be reached through the hub"
        )
    allowed = AllowedType.ALLOWED if token.valid else AllowedType.BLOCKED
    return AuthorizationInfo(
        allowed=allowed,
        token=token,
        location=references,
        authorization_reference=secrets.token_hex(16) if allowed is AllowedType.ALLOWED else None,
    )


def _unknown_token(uid: str, kind: str | None) -> UnknownToken:
    return UnknownToken(f"unknown token {uid} of type {kind or DEFAULT_TOKEN_TYPE}", http_status=404)


def _unknown(door: FrontDoor, uid: str, kind: str | None, raw: bytes) -> Reply:
    """No party holds the token in the hub's copy: the 2004 answer :func:`_from_copy` would raise, returned instead
    of raised. Unknown uids are a routine share of real-time authorizations (the bench sends a tenth), and the web
    framework's exception path cost several times the hub's own work for one; the envelope is built the same way.
    The body is checked first, as there, so a malformed one is still refused with 2001."""
    if raw.strip():
        door.codec.decode(raw, LocationReferences)
    error = _unknown_token(uid, kind)
    return Reply(status_code=error.status_code, message=error.message, http_status=error.http_status)


def _allowed_in(body: bytes) -> str | None:
    """``data.allowed`` of a relayed AuthorizationInfo answer (None when there is none)."""
    data = decode_data(body)
    return data.get("allowed") if isinstance(data, dict) else None


def _answer(door: FrontDoor, allowed: Callable[[], str | None], reply: Reply) -> Reply:
    """The answer as it is, unless fault BLOCKED_TOKEN_AS_ERROR turns a refusal into an HTTP error (``allowed``, a
    callable, reads the decision only then: the real-time authorization path decodes nothing more without it)."""
    if Fault.BLOCKED_TOKEN_AS_ERROR in door.faults:
        decision = allowed()
        if decision is not None and decision != "ALLOWED":
            return Reply(status_code=2000, message=f"token not allowed: {decision}", http_status=403)
    return reply


HANDLERS: dict[str, Handler] = {"tokensSenderPostAuthorize": authorize}

__all__ = ("HANDLERS",)
