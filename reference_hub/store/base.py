"""The Store protocol and the records it keeps.

A *partner* is one connected platform (the OCPI credentials module authenticates platforms, not parties); it serves
one or more parties (its ``roles``). Its id is the first role's ``CC-PID`` (e.g. ``DE-ABC``) and is unique, as is every
``CC/PID`` party key among PENDING, ACTIVE and SUSPENDED partners, and every token hash. Tokens are never stored in
clear: ``token_hash`` is the SHA-256 of the token the partner presents to us; ``outgoing_token`` is the token we
present to the partner, encrypted, because we must be able to send it.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from enum import StrEnum
from typing import Any, Protocol, TypeVar

import msgspec

from reference_hub.ocpi.datetime import DateTime, sortable
from reference_hub.ocpi.models import CredentialsRole, Endpoint
from reference_hub.store.callbacks import CallbackStore
from reference_hub.store.coordination import Coordination
from reference_hub.store.desk import Desk
from reference_hub.store.objects import ObjectStore
from reference_hub.store.outbox import Outbox
from reference_hub.store.page import Page


class PartnerStatus(StrEnum):
    """Lifecycle of a connection."""

    PENDING = "PENDING"
    """Hub-initiated registration under way: the party may call our versions endpoints with the token we gave it."""
    ACTIVE = "ACTIVE"
    """Registered."""
    INACTIVE = "INACTIVE"
    """Unregistered (credentials DELETE); its tokens no longer work and its party ids are free again."""
    SUSPENDED = "SUSPENDED"
    """Blocked by an operator: its token is still recognised (so the hub can say why it refuses it) but opens nothing,
    nothing is sent to it, and its party ids stay reserved for it until it is reactivated or unregistered."""


class Partner(msgspec.Struct, kw_only=True):
    """One connected platform."""

    partner_id: str
    """``CC-PID`` of its first role, upper case, e.g. ``DE-ABC``."""
    status: PartnerStatus
    token_hash: str | None
    """SHA-256 (hex) of the credentials token this partner presents to the hub (token C, or B when we initiated)."""
    outgoing_token: str | None = None
    """The token the hub presents to this partner, encrypted at rest."""
    versions_url: str
    """The partner's versions endpoint."""
    version: str | None = None
    """Negotiated OCPI version."""
    endpoints: list[Endpoint] = []
    """The partner's endpoints for that version."""
    roles: list[CredentialsRole] = []
    """The parties the partner serves."""
    raw_token_auth: bool = False
    """The partner authenticated with a raw (not base64) token at least once."""
    initiated_by: str = "PARTY"
    """``PARTY`` when the partner registered with us, ``HUB`` when we registered with it."""
    offline: bool = False
    """The hub's still-alive check found the partner unreachable (HubClientInfo ``OFFLINE``); nothing is sent to it
    until a later check reaches it again."""
    token_confirmed: bool = True
    """False from the moment the hub hands the partner a new token (party-initiated registration, rotation) until the
    partner first authenticates with it. A crash between storing the token and delivering the answer leaves a partner
    that never confirms: see :attr:`half_registered`."""
    created: DateTime
    updated: DateTime

    @property
    def half_registered(self) -> bool:
        """A hub-initiated registration still PENDING: the handshake never finished (the hub died or the party never
        answered). An operator may remove it (the party's ids are then free for a new registration)."""
        return self.status is PartnerStatus.PENDING

    @property
    def awaiting_first_call(self) -> bool:
        """An ACTIVE partner that has not yet called the hub with the token the hub last gave it. Informational only:
        a party that only receives (pushes, ClientInfo) may never call, and is healthy all the same."""
        return self.status is PartnerStatus.ACTIVE and not self.token_confirmed

    @property
    def party_keys(self) -> list[str]:
        """``CC/PID`` of every party the partner serves, upper case."""
        return sorted({f"{r.country_code.upper()}/{r.party_id.upper()}" for r in self.roles})


class Invitation(msgspec.Struct, kw_only=True):
    """A registration token A, by hash."""

    token_hash: str
    created: DateTime
    used_by: str | None = None
    """Partner id that consumed it; a used invitation no longer authenticates."""
    label: str = ""
    """Who or what it is for, as the operator wrote it."""
    expires: DateTime | None = None
    """After this it opens nothing (the refusal says it expired); None: never (invitations made before expiries)."""


class TokenOwner(msgspec.Struct, frozen=True):
    """Who a token hash belongs to: exactly one of the two fields is set."""

    invitation: Invitation | None = None
    partner: Partner | None = None


class TokenHolder(msgspec.Struct, frozen=True, gc=False):
    """What authentication needs of a token hash's holder (a live partner or an unused invitation), and nothing more:
    it is read for every token a process has not cached yet (a hub's restart, a wave of unknown tokens), where
    decoding the partner's whole record (its endpoints, roles and timestamps) cost more than the lookup itself."""

    token_hash: str
    partner_id: str | None = None
    """The partner holding the token; None for an invitation."""
    status: PartnerStatus | None = None
    """The partner's status (PENDING, ACTIVE or SUSPENDED); None for an invitation."""
    token_confirmed: bool = True
    """As :attr:`Partner.token_confirmed`."""
    expires: DateTime | None = None
    """When an invitation stops working (None: never, or a partner)."""


class _Confirmation(msgspec.Struct):
    token_confirmed: bool = True


_confirmation = msgspec.json.Decoder(_Confirmation).decode


def holders_from_rows(rows: Iterable[Sequence[Any]], expiry: Callable[[Any], DateTime]) -> dict[str, TokenHolder]:
    """:meth:`PartnerStore.token_holders`' answer from rows of ``(token_hash, partner_id, status, doc, expires)``
    (a partner's row has a partner id and its stored JSON, an invitation's neither), for the adapters that keep
    partners as JSON documents. ``token_confirmed`` is read from the JSON without decoding the rest of it;
    ``expiry`` turns the adapter's stored expiry into a DateTime."""
    holders: dict[str, TokenHolder] = {}
    for token_hash, partner_id, status, doc, expires in rows:
        if partner_id is None:
            until = None if expires is None else expiry(expires)
            holders.setdefault(token_hash, TokenHolder(token_hash=token_hash, expires=until))
        else:  # a partner's hash is never also an unused invitation's; if it were, the partner wins
            holders[token_hash] = TokenHolder(
                token_hash=token_hash,
                partner_id=partner_id,
                status=PartnerStatus(status),
                token_confirmed=_confirmation(bytes(doc)).token_confirmed,
            )
    return holders


class DuplicateParty(Exception):
    """A party key, partner id or token hash is already held by another PENDING, ACTIVE or SUSPENDED partner."""


class Conflict(Exception):
    """The record changed under us (invitation already used, token already rotated)."""


class PartnerStore(Protocol):
    """Partners, invitations and tokens. Every adapter passes tests/contract/test_store_contract.py."""

    name: str
    """``sqlite``, ``postgresql`` or ``mongodb``."""

    async def open(self) -> None:
        """Connect and create tables/indexes; idempotent."""

    async def close(self) -> None:
        """Release connections."""

    async def health(self) -> dict[str, object]:
        """State for ``GET /health``; raises when the store is unusable."""

    exact_marker: bool
    """:meth:`change_marker` has moved by the time any process's partner or invitation write has committed (SQLite:
    it is read from the database file). Not so when the news comes later (PostgreSQL's notifications) or never
    (MongoDB's time bucket); only a store with an exact marker may answer tokens from memory
    (``hub/token_index.py``)."""

    def change_marker(self) -> int:
        """Changes whenever this or another process may have changed partners or tokens; cheap enough to call per
        request."""

    async def add_invitation(self, invitation: Invitation) -> None:
        """Store a new registration token A."""

    async def lookup_token(self, token_hash: str) -> TokenOwner | None:
        """The unused invitation or the PENDING, ACTIVE or SUSPENDED partner holding this token hash."""

    async def token_holders(self, token_hashes: Sequence[str]) -> dict[str, TokenHolder]:
        """The holders of these token hashes, by hash (absent: nobody holds it), in one round trip: the same partners
        and invitations as :meth:`lookup_token`, without decoding whole records. An Authorization header may carry
        its token two ways (base64 or raw), so authentication asks for both hashes at once."""

    async def live_token_holders(self, after: str | None, limit: int) -> list[TokenHolder]:
        """The PENDING, ACTIVE and SUSPENDED partners' token holders in token-hash order, those after ``after`` (None:
        from the first), at most ``limit``: the pages from which each process builds its in-memory token index
        (``hub/token_index.py``). Invitations are not among them."""

    async def insert_partner(self, partner: Partner, *, consume_invitation: str | None) -> None:
        """Create (or revive an INACTIVE) partner, atomically consuming the invitation with that hash.

        Raises Conflict when the invitation is already used, DuplicateParty when an id or party key is taken.
        """

    async def replace_partner(self, partner: Partner, *, expected_token_hash: str | None) -> None:
        """Replace the partner record if its stored token hash still equals ``expected_token_hash`` (else Conflict)."""

    async def get_partner(self, partner_id: str) -> Partner | None:
        """By id, whatever the status."""

    async def list_partners(
        self,
        *,
        statuses: tuple[PartnerStatus, ...],
        date_from: DateTime | None = None,
        date_to: DateTime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Page[Partner]:
        """Partners with these statuses and ``date_from <= updated < date_to``, oldest first by creation."""

    async def partners_changed(self, after: str | None) -> tuple[list[Partner], str]:
        """Partners written since the cursor ``after`` (None: every partner), whatever their status, and the cursor to
        ask from next time. A partner may come again (never one missed); a removed partner does not come at all.

        For the per-process caches of partners (reachable roles, broadcast receivers), which follow each change: a
        store that orders its writes (SQLite) returns exactly what was written since, others what was stamped since
        a margin before the latest stamp seen (:func:`changed_by_stamp`).
        """

    async def party_owner(self, party_key: str) -> str | None:
        """Partner id holding ``CC/PID`` (upper case), if any."""

    async def confirm_token(self, partner_id: str, token_hash: str) -> bool:
        """Mark the partner's token as used (``token_confirmed``) if ``token_hash`` is still its token; True if so.
        Leaves ``updated`` alone: nothing a party can see has changed."""

    async def set_offline(self, partner_id: str, offline: bool, updated: DateTime) -> Partner | None:
        """Mark the ACTIVE partner offline (or back online) with ``updated`` as its last change, unless it is so
        already: the changed partner, else None (another process changed it first, or it is no longer ACTIVE). One
        conditional write, so of several processes that find a party silent at once only one announces it."""

    async def delete_partner(self, partner_id: str) -> bool:
        """Remove the partner record whatever its status, with its token and party keys (an operator's clean-up of
        a half-registered or unwanted partner); True if there was one. The removal is noted for
        :meth:`partners_removed` in the same transaction (SQLite, PostgreSQL; on MongoDB just after the delete: a
        note lost in between is found by the views' count instead)."""

    async def partners_removed(self, after: str | None) -> tuple[list[str], str]:
        """Ids of the partners removed since the cursor ``after`` (None: none, and a cursor to follow removals from
        now), and the cursor to ask from next time. An id may come again; none is missed while the cursor is younger
        than ``REMOVALS_KEPT``.

        What :meth:`partners_changed` cannot show (a removed partner's row is gone), for the same per-process caches:
        without it, each cache read every partner again after a removal (1.5 s in which a worker of a 100,000-party
        hub answered nothing). An id removed and then registered anew comes here too; the caller asks the store
        whether it exists again."""

    async def list_invitations(self, *, limit: int = 1000) -> list[Invitation]:
        """Unused invitations, oldest first (for the operator; only hashes are stored)."""

    async def revoke_invitation(self, token_hash: str) -> bool:
        """Delete an unused invitation so its token A no longer authenticates; False when there was none."""


STAMP_MARGIN = timedelta(seconds=30)
"""How long before the latest ``updated`` stamp seen :func:`changed_by_stamp` looks again. A partner is stamped by
the process that writes it and committed a moment later, and hosts sharing a database server may disagree about the
time: a partner stamped within the margin but committed after the last look is still found."""


REMOVALS_KEPT = timedelta(days=1)
"""How long the stores keep a partner's removal for :meth:`PartnerStore.partners_removed` (pruned at the next
removal). A cache that has not looked for longer finds the removal by its count of ACTIVE partners instead
(``hub/changes.PartnerFeed``)."""


def stamp_since(after: str | None) -> DateTime | None:
    """Where a store whose writers do not agree on an order looks again, for partners changed or removed:
    ``STAMP_MARGIN`` before the latest stamp in the cursor ``after`` (None: no cursor)."""
    return None if not after else DateTime.from_datetime(DateTime.parse(after) - STAMP_MARGIN)


def removals_by_stamp(rows: Iterable[tuple[str, str]], after: str | None, now: DateTime) -> tuple[list[str], str]:
    """:meth:`PartnerStore.partners_removed` from ``(partner_id, sortable stamp)`` rows read since
    :func:`stamp_since`; with no cursor, none and a cursor at ``now`` less the margin (so a removal stamped just
    before, committed just after, is still found)."""
    if not after:
        return [], sortable(DateTime.from_datetime(now - STAMP_MARGIN), zulu=True)
    latest = after
    ids = []
    for partner_id, stamp in rows:
        ids.append(partner_id)
        if stamp > latest:
            latest = stamp
    return ids, latest


async def changed_by_stamp(store: PartnerStore, after: str | None) -> tuple[list[Partner], str]:
    """:meth:`PartnerStore.partners_changed` for a store whose writers do not agree on an order (a database server
    several hosts write to): the partners stamped since ``STAMP_MARGIN`` before the latest stamp in ``after``."""
    changed = (await store.list_partners(statuses=tuple(PartnerStatus), date_from=stamp_since(after))).items
    latest = after or ""
    for partner in changed:
        stamp = sortable(partner.updated, zulu=True)  # fixed width: text order is time order
        if stamp > latest:
            latest = stamp
    return changed, latest


KEPT_READ = 10_000
"""Records read at once from which :func:`decode_kept` treats them as kept for long."""

_T = TypeVar("_T")


def decode_kept(decode: Callable[[Any], _T], docs: Sequence[Any]) -> list[_T]:
    """Decode stored records; a large read (``KEPT_READ`` or more: every partner, which the deliveries and the
    credentials keep in memory, read at the start and again after a removal) with the garbage collector paused, and
    then moved out of its generations (``gc.freeze``), as the app does with everything built at startup.

    Decoding 200,000 partner records makes 1.2 million objects the collector tracks (each record, its two lists, its
    roles, its two DateTimes). Decoded as usual, the collector walked that growing set again and again: 1.1 of the
    2.1 s of CPU the decoding took, with pauses of up to 0.23 s in which the process answered nothing, and one more
    such pause at each later full collection. Paused and frozen, the read takes 1.0 s and leaves nothing to walk.
    Decoding makes no reference cycles, so pausing loses nothing. Freezing also keeps whatever cyclic garbage the
    process has not collected yet until it ends; that is why only large reads are frozen, a few times in a process's
    life. Records frozen and later dropped are still freed at once: they hold no cycles."""
    if len(docs) < KEPT_READ:
        return [decode(doc) for doc in docs]
    enabled = gc.isenabled()
    gc.disable()
    try:
        decoded = [decode(doc) for doc in docs]
        gc.freeze()  # before the collector runs again: the first collection would otherwise walk all of them
        return decoded
    finally:
        if enabled:
            gc.enable()


class Store(PartnerStore, ObjectStore, Outbox, CallbackStore, Coordination, Desk, Protocol):
    """Everything the hub persists: partners and tokens, client-owned objects, the deliveries it owes, the
    response URLs it handed out (pending callbacks), what its processes agree on (leases, last heard), and the
    operators' desk (accounts, audit log, kept exchanges, health marks)."""


__all__ = (
    "KEPT_READ",
    "REMOVALS_KEPT",
    "STAMP_MARGIN",
    "Conflict",
    "DuplicateParty",
    "Invitation",
    "ObjectStore",
    "Page",
    "Partner",
    "PartnerStatus",
    "PartnerStore",
    "Store",
    "TokenHolder",
    "TokenOwner",
    "changed_by_stamp",
    "decode_kept",
    "holders_from_rows",
    "removals_by_stamp",
    "stamp_since",
)
