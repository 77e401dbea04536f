"""The outbox: deliveries the hub promised (acknowledged to a sender) and still has to make.

A delivery is written together with the object write that caused it, in the same transaction (on a standalone MongoDB
server, which has none, right after it: see ``mongo.py``), so a crash after the hub answered loses nothing. Delivery
workers in every hub process take due deliveries under a *lease* (an owner and an expiry): two processes never send
one delivery at once, and a killed process's deliveries are taken over once its lease expires. Within one *stream* (one
receiver and one object) only the oldest pending delivery is handed out, so a receiver sees an object's changes in
order.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from enum import StrEnum
from functools import cached_property
from typing import Any, Protocol, TypeVar

import msgspec

from reference_hub.ocpi.datetime import DateTime
from reference_hub.store.page import Page

ANNOUNCEMENTS = "*announcements"
"""The receiver of announcement rows: not a partner but the hub's own delivery worker, which plans each such row into
deliveries a slice at a time (``hub/outbox.py``). No partner id starts with ``*``. An ordinary claim never takes these
rows (:meth:`Outbox.claim_deliveries`); :meth:`Outbox.claim_announcements` does, when the worker has room for more."""


stored_headers = msgspec.json.Decoder(list[tuple[str, str]]).decode
"""A delivery's headers from the JSON text a SQL store keeps them in, as the ``(name, value)`` pairs of
:attr:`Delivery.headers`."""


class Moments(dict[str, DateTime]):
    """The moments of rows read together, each text parsed once: ``moments[text]``. A push's rows (one per receiver)
    and an announcement's share their ``created`` and ``due``, and parsing both for every row was about a third of
    a SQLite claim's CPU per row (``python tools/outbox_claims.py fanout --batch 64 --pool 512``: 18 to 21 µs per
    row before, 11 after). A DateTime is immutable, so the rows may share one."""

    def __missing__(self, text: str) -> DateTime:
        moment = self[text] = DateTime.parse(text)
        return moment


class DeliveryState(StrEnum):
    PENDING = "PENDING"
    """Waiting for its due time or being sent."""
    FAILED = "FAILED"
    """Given up (policy ``spec`` after its retries, or the receiver refused the content); kept for the operator."""


class Delivery(msgspec.Struct, kw_only=True):
    """One request the hub will send to one receiver."""

    delivery_id: str
    """Unique; also the ``X-Request-ID`` of every attempt, so a receiver can recognise a repeat."""
    receiver: str
    """Partner id of the receiving platform."""
    stream: str
    """Ordering key: receiver, module, owner and object."""
    method: str
    url: str
    headers: list[tuple[str, str]]
    """Routing and correlation headers (the token is added when sending)."""
    body: bytes | None = None
    created: DateTime
    due: DateTime
    attempts: int = 0
    state: DeliveryState = DeliveryState.PENDING
    last_error: str | None = None
    parked: bool = False
    """Set aside while its receiver is out of rotation (``Outbox.park_deliveries``). Read for the operator's views
    (``list_deliveries``, ``find_deliveries``); a claim never returns a parked row, and a new row is never parked."""


class OutboxStats(msgspec.Struct, kw_only=True):
    """The backlog of one receiver."""

    receiver: str
    pending: int
    failed: int
    oldest_pending: DateTime | None = None
    last_error: str | None = None
    parked: int = 0
    """Of ``pending``, the rows set aside while the receiver is out of rotation (``Outbox.park_deliveries``): they
    wait for it to come back, and no claim takes them meanwhile."""


class DeliveryQuery(msgspec.Struct, kw_only=True, frozen=True):
    """Which deliveries an operator looks at (every filter optional), oldest first."""

    receiver: str | None = None
    state: DeliveryState | None = None
    module: str | None = None
    """The module a delivery carries (the second part of its stream)."""
    correlation_id: str | None = None
    created_from: DateTime | None = None
    created_to: DateTime | None = None
    stream: str | None = None
    """Deliveries of one object to anyone: streams ending with ``|`` + this (``module|OWNER|ID``)."""
    offset: int = 0
    limit: int = 50


def like_literal(text: str) -> str:
    """``text`` for a LIKE pattern with ``\\`` as the escape character: its own ``%`` and ``_`` match only
    themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def correlation_pattern(correlation_id: str) -> str:
    """The LIKE pattern finding a correlation header in the stored headers' JSON text."""
    return "%" + like_literal(msgspec.json.encode(["X-Correlation-ID", correlation_id]).decode()) + "%"


def delivery_filters(query: DeliveryQuery) -> tuple[list[str], list[object]]:
    """The WHERE terms of a delivery query but its time range, with ``?`` placeholders."""
    where: list[str] = []
    params: list[object] = []

    def add(term: str, value: object) -> None:
        params.append(value)
        where.append(term)

    if query.receiver is not None:
        add("receiver = ?", query.receiver)
    if query.state is not None:
        add("state = ?", query.state.value)
    if query.module is not None:
        add("stream LIKE ? ESCAPE '\\'", "%|" + like_literal(query.module) + "|%")
    if query.stream is not None:
        add("stream LIKE ? ESCAPE '\\'", "%|" + like_literal(query.stream))
    if query.correlation_id is not None:
        add("headers LIKE ? ESCAPE '\\'", correlation_pattern(query.correlation_id))
    return where, params


_Row = TypeVar("_Row")

CLAIM_WALK = 2
"""A claim bounded per receiver first walks at most this many times its size of the oldest claimable rows
(:func:`within_room`): it stops once it took as many rows as the claim wants, or passed over that many."""


def within_room(
    rows: Iterable[_Row],
    receiver_of: Callable[[_Row], str],
    limit: int,
    room: Mapping[str, int],
    per_receiver: int | None,
    *,
    patience: int | None = None,
) -> tuple[list[_Row], bool]:
    """The rows a bounded claim takes from ``rows`` (oldest first): each receiver's within its room (``room``, else
    ``per_receiver``; None: unbounded), at most ``limit``; and whether the walk was *blocked*: it passed over
    ``patience`` rows of receivers without room before the claim was full, and stopped (None: it never stops for that).
    ``rows`` is read only as far as needed, so a database cursor is stepped no further.

    Walking the oldest claimable rows in one statement finds what asking every receiver for its own finds, unless it
    was blocked. Asking every receiver costs a statement (or an index seek) per receiver with a row: on a hub of 1,000
    platforms each announcement leaves a row for every one of them, and asking them all for each claim of a few rows
    cost about a millisecond per ClientInfo sent (``python tools/clientinfo_fanout.py``, 1,000 receivers: 1,094 and
    1,258 µs per ClientInfo before, 246 after; ``python tools/outbox_claims.py``, the claims alone: 2.2 ms per row
    before, 17 µs after). A blocked walk (a receiver back from an outage holds the oldest rows) asks
    receiver by receiver; stopping it after as many rows passed over as the claim wants keeps what it wasted to the
    claim's own size."""
    left = dict(room)
    taken: list[_Row] = []
    passed = 0
    for row in rows:
        receiver = receiver_of(row)
        free = left.get(receiver, per_receiver)
        if free is not None:
            if free <= 0:
                passed += 1
                if patience is not None and passed >= patience:
                    return taken, True
                continue
            left[receiver] = free - 1
        taken.append(row)
        if len(taken) >= limit:
            break
    return taken, False


CLAIM_WALK_REST = 16
"""Claims that ask receiver by receiver straight away after a walk was blocked (:class:`ClaimWalk`)."""


class ClaimWalk:
    """Whether a bounded claim walks the oldest rows first (:func:`within_room`), per store object (so per process).

    A blocked walk is wasted work, and it stays blocked while a receiver without room holds the oldest rows (a backlog
    being drained): after one, the next ``CLAIM_WALK_REST`` claims ask receiver by receiver straight away, and then a
    walk is tried again. Measured with a full receiver holding the 3,000 oldest rows, a walk before every claim cost
    the claims about 15% more per row than asking receiver by receiver alone."""

    def __init__(self, rest: int = CLAIM_WALK_REST) -> None:
        self._rest = rest
        self._left = 0

    def worth_trying(self) -> bool:
        """False while resting after a blocked walk (each call counts one claim of the rest)."""
        if self._left:
            self._left -= 1
            return False
        return True

    def take(
        self,
        rows: Iterable[_Row],
        receiver_of: Callable[[_Row], str],
        limit: int,
        room: Mapping[str, int],
        per_receiver: int | None,
    ) -> list[_Row] | None:
        """What the claim takes from the walk ``rows`` (:func:`within_room`), or None when the walk was blocked (then
        ask receiver by receiver; the next claims rest)."""
        taken, blocked = within_room(rows, receiver_of, limit, room, per_receiver, patience=limit)
        if blocked:
            self._left = self._rest
            return None
        return taken


class WalkingClaims:
    """Mixed into each store's Outbox: its :class:`ClaimWalk`, made at its first claim, and how far it parked each
    receiver's rows (``Outbox.park_deliveries``)."""

    @cached_property
    def claim_walk(self) -> ClaimWalk:
        return ClaimWalk()

    @cached_property
    def _parked_upto(self) -> dict[str, Any]:
        """Receiver: how far this object parked that receiver's rows, as a ``seq`` of the store's own type (the rows
        after it are the ones a new call must look at)."""
        return {}

    def _forget_parked(self, receivers: Collection[str] | None, keep: Collection[str]) -> None:
        """After ``unpark_deliveries(receivers, keep=keep)``: a next park of those receivers looks at all their rows."""
        for receiver in set(self._parked_upto) - set(keep) if receivers is None else set(receivers):
            self._parked_upto.pop(receiver, None)


class Outbox(Protocol):
    """Durable deliveries. Every adapter passes tests/contract/test_outbox_contract.py."""

    async def enqueue(self, deliveries: list[Delivery]) -> None:
        """Store deliveries on their own (those not caused by an object write)."""

    async def enqueue_folded(self, delivery: Delivery, fold: Callable[[bytes, bytes], bytes]) -> DateTime:
        """Store ``delivery``, or fold it into the newest PENDING row of its stream when that row was never tried and
        is not leased: that row's body becomes ``fold(its body, delivery's body)``, it keeps its id and its place in
        the stream, and it is due at the earlier of the two due times. Returns when the row holding the delivery is
        due; one transaction either way.

        For announcements (``hub/outbox.py``): a platform changing its parties again before the last change was
        expanded adds nothing to the outbox and nothing to the worker's work; the one row says what to announce."""

    async def claim_deliveries(
        self,
        owner: str,
        now: DateTime,
        lease_until: DateTime,
        limit: int,
        *,
        room: Mapping[str, int] | None = None,
        per_receiver: int | None = None,
    ) -> list[Delivery]:
        """Lease up to ``limit`` due PENDING deliveries, each the oldest pending one of its stream, whose lease is free
        or expired, oldest first; at most ``room[r]`` of receiver ``r`` (0: none) and ``per_receiver`` of a receiver
        not in ``room`` (None: no bound), so that one receiver's backlog cannot fill a claim. Never a row of
        :data:`ANNOUNCEMENTS`, and those rows cost an ordinary claim nothing however many wait (each store keeps them
        out of the walk's index), so announcements waiting their turn never hold up a delivery."""

    async def park_deliveries(self, receivers: Collection[str]) -> None:
        """Park the PENDING rows of ``receivers`` (out of rotation, so no claim may take their rows): no claim takes a
        parked row, and on SQLite and PostgreSQL the claims' walk does not even pass over one (a partial index leaves
        them out). Without this a receiver out of rotation for long holds the oldest rows in the outbox, every walk
        stops on them, and every claim then asks each receiver for its own: on a hub of 1,000 platforms, about 5 ms of
        CPU per ClientInfo sent instead of about 20 µs (``python tools/outbox_claims.py offline``).

        Each call looks only at the rows enqueued since this object last named the receiver (all of them the first
        time), so the worker names the receivers out of rotation again every ``delivery_poll`` at the cost of an index
        seek each. A row another process enqueued unseen (PostgreSQL numbers rows before they commit, MongoDB by the
        time they were made) stays in the walk until the receiver is parked anew after an unpark: claims still skip
        it, at the cost this is meant to avoid."""

    async def unpark_deliveries(self, receivers: Collection[str] | None, *, keep: Collection[str] = ()) -> None:
        """Return the parked rows of ``receivers`` (back in rotation, or gone) to the claims; None: those of every
        receiver but ``keep`` (a process starting, which does not know what others parked before)."""

    async def claim_announcements(self, owner: str, now: DateTime, lease_until: DateTime, limit: int) -> list[Delivery]:
        """Lease up to ``limit`` due rows of :data:`ANNOUNCEMENTS`, oldest first, each the oldest pending row of its
        stream, whose lease is free or expired."""

    async def delivered(self, delivery_id: str, owner: str) -> None:
        """Remove a delivery that reached its receiver (only while ``owner`` holds its lease)."""

    async def delivered_many(self, delivery_ids: Sequence[str], owner: str) -> None:
        """Remove deliveries that reached their receivers, in one write (those ``owner`` still holds the lease of)."""

    async def replace_delivery(
        self, delivery_id: str, owner: str, deliveries: list[Delivery], *, rest: bytes | None = None
    ) -> bool:
        """Swap a leased delivery for ``deliveries`` in one transaction (an announcement the worker expands into one
        delivery per receiver): a crash leaves either the one or all the others. False, and nothing written, when
        ``owner`` no longer holds the lease.

        With ``rest``, the leased row stays for what is left of it: its body becomes ``rest``, one more attempt is
        counted (so nothing is folded into it any more: receivers already planned were told what it said) and its
        lease is released, in the same transaction as the new deliveries. An announcement to 1,000 platforms is so
        planned a slice of receivers at a time.

        A delivery of the same stream as a new one that was never tried (PENDING, no attempt, never leased) is
        dropped with the swap: for ClientInfo the stream is one party at one receiver, and only its latest status
        matters, so a party that changes again before the receiver was told costs one PUT per receiver, not two.
        Nothing that may have reached the receiver is dropped, so no X-Request-ID it saw is lost or reused."""

    async def reschedule(self, delivery: Delivery, owner: str) -> None:
        """Write back ``attempts``, ``due``, ``state`` and ``last_error`` and release the lease (only while ``owner``
        holds it)."""

    async def outbox_stats(self) -> list[OutboxStats]:
        """Backlog per receiver that has any."""

    async def list_deliveries(self, *, receiver: str | None, state: DeliveryState, limit: int) -> list[Delivery]:
        """Deliveries in a state, oldest first (for the admin API)."""

    async def find_deliveries(self, query: DeliveryQuery) -> Page[Delivery]:
        """A page of the deliveries the query matches, oldest first, and how many match."""

    async def retry_deliveries(self, receiver: str, due: DateTime) -> int:
        """Make every FAILED delivery to ``receiver`` PENDING again, due at ``due``; how many."""

    async def drop_deliveries(self, receiver: str, state: DeliveryState) -> int:
        """Remove every delivery to ``receiver`` in ``state``; how many."""

    async def drop_delivery(self, delivery_id: str) -> bool:
        """Remove a delivery (operator decision); False when there was none."""

    async def retry_delivery(self, delivery_id: str, due: DateTime) -> bool:
        """Make a FAILED delivery PENDING again, due at ``due``; False when there was no such delivery."""


__all__ = (
    "ANNOUNCEMENTS",
    "CLAIM_WALK",
    "ClaimWalk",
    "Delivery",
    "DeliveryQuery",
    "DeliveryState",
    "Outbox",
    "OutboxStats",
    "WalkingClaims",
    "delivery_filters",
    "like_literal",
    "within_room",
)
