"""Pending callbacks: the ``response_url`` the hub substituted in an asynchronous request, and what it stands for.

Commands and ChargingProfiles answer twice: at once (CommandResponse, ChargingProfileResponse) and later by a POST
to the ``response_url`` the requester put in its request. The hub cannot let the receiving CPO post to the
requester's URL (the CPO may not be able to reach it, and the hub would not see the result), so it hands the CPO a
URL of its own, unguessable and good for this one request, and keeps this record of what the URL stands for: the
requester's own URL, both parties, the X-Correlation-ID, and until when a result is accepted.

The record is written before the request is forwarded (a CPO may post its result before its synchronous answer
arrives) and survives restarts. A result is taken once: :meth:`CallbackStore.record_result` is conditional on the
record's state and stores the delivery of the result to the requester in the same step (one transaction),
so a result the hub acknowledged is never lost and never delivered twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol

import msgspec

from reference_hub.ocpi.datetime import DateTime
from reference_hub.store.outbox import Delivery


class CallbackState(StrEnum):
    PENDING = "PENDING"
    """A result may still arrive."""
    DONE = "DONE"
    """No (further) result is expected: it arrived, or the receiver did not accept the request."""


class PendingCallback(msgspec.Struct, kw_only=True):
    """One ``response_url`` the hub handed out."""

    callback_id: str
    """SHA-256 (hex) of the secret part of the hub's URL: a leaked database does not let anyone post results."""
    module: str
    """``commands`` or ``chargingprofiles``."""
    kind: str
    """The command (``START_SESSION``...) or the charging-profile method (``GET``, ``PUT``, ``DELETE``)."""
    requester: str
    """``CC/PID`` of the party that sent the request (where the result goes)."""
    requester_partner: str
    """Partner id of its platform (whose token the delivery uses)."""
    receiver: str
    """``CC/PID`` of the party the request was forwarded to (the only one that may post the result)."""
    receiver_partner: str
    response_url: str
    """The requester's own ``response_url``."""
    correlation_id: str
    """X-Correlation-ID of the original request, kept on the delivered result."""
    subject: str | None = None
    """What the request is about: the session id (charging profiles, STOP_SESSION), the reservation id
    (RESERVE_NOW, CANCEL_RESERVATION), the authorization reference (START_SESSION with one), else the location id."""
    created: DateTime
    expires: DateTime
    """After this, a result is refused (the requester was told by the timeout in the synchronous answer how long to
    wait)."""
    state: CallbackState = CallbackState.PENDING
    last_result: str | None = None
    """The ``result`` of the last result taken (``ACCEPTED``...); a repeat of the same result is refused."""
    reusable: bool = False
    """RESERVE_NOW: after an ACCEPTED result the URL stays open for a later CANCELED_RESERVATION from the CPO."""


def is_setter(callback: PendingCallback) -> bool:
    """An ACCEPTED SetChargingProfile: it names where the CPO's ActiveChargingProfile updates go, so it is kept
    longer than its ``expires``."""
    return callback.module == "chargingprofiles" and callback.kind == "PUT" and callback.last_result == "ACCEPTED"


class CallbackStore(Protocol):
    """Persistence of pending callbacks. Every adapter passes tests/contract/test_callback_store_contract.py."""

    async def add_callback(self, callback: PendingCallback) -> None:
        """Store a new record (its id is new: a random 256-bit secret's hash)."""

    async def get_callback(self, callback_id: str) -> PendingCallback | None:
        """By id, whatever its state."""

    async def set_callback_expiry(self, callback_id: str, expires: DateTime) -> None:
        """Move the deadline (once the receiver's synchronous answer says how long it will take)."""

    async def close_callback(self, callback_id: str) -> bool:
        """Mark DONE without a result (the receiver did not accept the request); False when it was not PENDING."""

    async def record_result(
        self, callback_id: str, result: str, *, finish: bool, deliveries: Sequence[Delivery] = ()
    ) -> bool:
        """Take a result: only when the record is PENDING and ``result`` differs from ``last_result``; sets
        ``last_result``, DONE when ``finish``, and stores ``deliveries`` with it. False (nothing written) otherwise."""

    async def purge_callbacks(self, *, expired_before: DateTime, setters_before: DateTime) -> int:
        """Remove records whose ``expires`` is before ``expired_before``; an ACCEPTED charging-profile PUT (it routes
        the CPO's ActiveChargingProfile updates) only once its ``expires`` is before ``setters_before``. Returns how
        many were removed."""

    async def find_callbacks(
        self,
        *,
        module: str,
        subject: str,
        kind: str | None = None,
        receiver: str | None = None,
        requester: str | None = None,
        last_result: str | None = None,
        limit: int = 10,
    ) -> list[PendingCallback]:
        """Records of ``module`` about ``subject`` (compared case-insensitively), newest first, filtered by the
        other arguments that are given."""

    async def list_callbacks(self, *, offset: int = 0, limit: int = 1000) -> list[PendingCallback]:
        """Every record, oldest first, a page at a time (for copying a store)."""


__all__ = ("CallbackState", "CallbackStore", "PendingCallback", "is_setter")
