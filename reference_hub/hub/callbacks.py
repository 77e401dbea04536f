"""Asynchronous results through the hub: the ``response_url`` the hub hands out and the result it forwards.

Commands and ChargingProfiles requests carry a ``response_url`` where the receiver (a CPO) later POSTs the result.
The hub replaces it with a URL of its own before forwarding (:meth:`Callbacks.issue`): unguessable (256 random bits
in the path, only their SHA-256 kept), good for this one request, and refused to anyone but the platform the request
was forwarded to. When the result arrives (:meth:`Callbacks.take_result`) it is stored once, together with its
delivery through the outbox to the requester's own URL, with ``OCPI-to-*`` = the requester, ``OCPI-from-*`` = the
receiver and the original X-Correlation-ID; the delivery policy decides the retries (none beyond it: OCPI says the
requester handles a result that never comes).

How long a result is taken: ``result_grace`` seconds at first (the result may even arrive before the receiver's
synchronous answer), then the ``timeout`` of that answer plus ``result_grace``; a RESERVE_NOW's URL stays open until
the reservation's ``expiry_date`` plus ``result_grace``, for the CPO's CANCELED_RESERVATION. A request the receiver
did not accept (an answer other than ACCEPTED, or an OCPI error) expects no result: its URL is closed at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import uuid
from datetime import timedelta
from urllib.parse import quote

import msgspec

from reference_hub.faults import Fault
from reference_hub.hub.objects import Requester
from reference_hub.hub.outbox import Deliveries
from reference_hub.hub.routing import split_party
from reference_hub.ocpi.datetime import DateTime, now
from reference_hub.ocpi.errors import GenericClientError, NotFound
from reference_hub.ocpi.headers import reply_headers
from reference_hub.ocpi.operations import OPERATIONS
from reference_hub.settings import Settings
from reference_hub.store import Store
from reference_hub.store.callbacks import CallbackState, PendingCallback
from reference_hub.store.outbox import Delivery

log = logging.getLogger("reference_hub.callbacks")

_SENDER_BASE = {
    op.module: op.base
    for op in OPERATIONS
    if op.interface == "SENDER" and op.module in ("commands", "chargingprofiles")
}
FINAL_AFTER_ACCEPTED = frozenset({"RESERVE_NOW"})
"""Commands whose URL stays open after an ACCEPTED result (a later CANCELED_RESERVATION from the CPO)."""


_LONGEST = timedelta(days=366)
PURGE_EVERY = 600.0
"""Seconds between two clean-ups of old records (each process runs one; deleting twice is harmless)."""
KEEP_AFTER_EXPIRY = timedelta(days=1)
"""How long a record outlives its ``expires`` (so a late result still gets the precise error, not a 404)."""
KEEP_SETTERS = timedelta(days=7)
"""How long an ACCEPTED SetChargingProfile outlives its ``expires``: it routes the CPO's ActiveChargingProfile
updates for as long as the session may run."""


class _Answer(msgspec.Struct):
    status_code: int
    data: msgspec.Raw = msgspec.Raw(b"null")


class _Response(msgspec.Struct):
    result: str
    timeout: int = 0


_ANSWER = msgspec.json.Decoder(_Answer)
_RESPONSE = msgspec.json.Decoder(_Response)


def secret_id(secret: str) -> str:
    """The stored id of a URL secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


class Issued(msgspec.Struct, frozen=True):
    """A response URL handed out: what to put in the forwarded request, and the record behind it."""

    url: str
    callback: PendingCallback | None
    """None when the fault switch ``response_url_not_substituted`` left the requester's own URL in place."""


class Callbacks:
    """Issues the hub's response URLs and takes the results posted to them."""

    def __init__(self, settings: Settings, store: Store, deliveries: Deliveries) -> None:
        self.settings = settings
        self.store = store
        self.deliveries = deliveries
        self._faults = frozenset(settings.faults)

    def _url(self, module: str, kind: str, subject: str | None, secret: str) -> str:
        base = f"{self.settings.base_url}{_SENDER_BASE[module]}"
        if module == "commands":
            return f"{base}/{quote(kind, safe='')}/{secret}"
        return f"{base}/{quote(subject or '-', safe='')}/result/{secret}"

    async def issue(
        self,
        *,
        module: str,
        kind: str,
        who: Requester,
        receiver: str,
        receiver_partner: str,
        response_url: str,
        correlation_id: str,
        subject: str | None,
    ) -> Issued:
        """Store the record of a new response URL (before the request is forwarded) and return the URL."""
        if Fault.RESPONSE_URL_NOT_SUBSTITUTED in self._faults:
            return Issued(url=response_url, callback=None)
        secret = secrets.token_urlsafe(32)
        stamp = now()
        callback = PendingCallback(
            callback_id=secret_id(secret),
            module=module,
            kind=kind,
            requester=who.party,
            requester_partner=who.partner.partner_id,
            receiver=receiver,
            receiver_partner=receiver_partner,
            response_url=response_url,
            correlation_id=correlation_id,
            subject=subject,
            created=stamp,
            expires=self._after(stamp, 0),
            reusable=kind in FINAL_AFTER_ACCEPTED,
        )
        await self.store.add_callback(callback)
        return Issued(url=self._url(module, kind, subject, secret), callback=callback)

    def _after(self, start: DateTime, seconds: float) -> DateTime:
        """``seconds`` (at most a year: a receiver's ``timeout`` or a reservation's end is not trusted to be sane)
        plus ``result_grace`` after ``start``."""
        wait = min(max(seconds, 0), _LONGEST.total_seconds()) + self.settings.result_grace
        return DateTime.from_datetime(min(start, now() + _LONGEST) + timedelta(seconds=wait))

    async def answered(
        self, issued: Issued, status: int, body: bytes, *, open_until: DateTime | None = None
    ) -> bytes | None:
        """The receiver's synchronous answer arrived: ACCEPTED sets how long a result is taken, anything else closes
        the URL. Returns the answer's ``data`` (raw JSON) when it had one."""
        callback = issued.callback
        data: bytes | None = None
        try:
            answer = _ANSWER.decode(body)
            data = bytes(answer.data) if bytes(answer.data) != b"null" else None
            response = None if data is None else _RESPONSE.decode(data)
        except (msgspec.MsgspecError, UnicodeDecodeError, RecursionError):
            answer, response = None, None
        if callback is not None:
            if (
                status < 300
                and answer is not None
                and answer.status_code == 1000
                and response is not None
                and (response.result == "ACCEPTED")
            ):
                expires = self._after(now(), response.timeout)
                if open_until is not None:
                    expires = max(expires, self._after(open_until, 0))
                await self.store.set_callback_expiry(callback.callback_id, expires)
            else:
                await self.store.close_callback(callback.callback_id)
        if Fault.COMMAND_RESPONSE_AS_RESULT in self._faults and callback is not None and data is not None:
            await self.store.enqueue([self._delivery(callback, data)])
            self.deliveries.wake()
        return data

    async def closed(self, issued: Issued) -> None:
        """The request never reached its receiver: no result can come."""
        if issued.callback is not None:
            await self.store.close_callback(issued.callback.callback_id)

    def _delivery(self, callback: PendingCallback, body: bytes) -> Delivery:
        stamp = now()
        to, sender = callback.requester, callback.receiver
        if Fault.RESULT_TO_WRONG_PARTY in self._faults:
            to, sender = sender, to
        headers = [
            ("X-Correlation-ID", callback.correlation_id),
            *reply_headers(*split_party(to), *split_party(sender)),
        ]
        return Delivery(
            delivery_id=str(uuid.uuid4()),
            receiver=callback.requester_partner,
            stream=f"{callback.requester_partner}|{callback.module}|{callback.callback_id}",
            method="POST",
            url=callback.response_url,
            headers=headers,
            body=body,
            created=stamp,
            due=stamp,
        )

    async def peek(self, module: str, secret: str) -> PendingCallback:
        """The record behind one of the hub's URLs (404 when there is none), to know what result to expect."""
        callback = await self.store.get_callback(secret_id(secret))
        if callback is None or callback.module != module:
            raise NotFound("no request is waiting for a result at this URL: it was never handed out by this hub")
        return callback

    async def take_result(self, module: str, secret: str, who: Requester, body: bytes, result: str) -> PendingCallback:
        """A result POSTed to one of the hub's URLs: checked, stored once with its delivery to the requester."""
        callback = await self.peek(module, secret)
        if who.partner.partner_id != callback.receiver_partner and Fault.RESULTS_FROM_ANYONE not in self._faults:
            raise GenericClientError(
                f"this response_url was handed to {callback.receiver} with the request it belongs to;"
                f" {who.party} may not post its result"
            )
        repeat_allowed = Fault.RESULT_REPEAT_ACCEPTED in self._faults
        if callback.state is CallbackState.DONE and not repeat_allowed:
            raise GenericClientError(
                f"the {callback.kind} request this response_url belongs to is finished"
                + (f" (result {callback.last_result} was taken)" if callback.last_result else " (no result expected)")
            )
        if callback.expires < now() and Fault.RESULT_TIMEOUT_IGNORED not in self._faults:
            raise GenericClientError(
                f"the wait for the result of this {callback.kind} request ended at {callback.expires.to_ocpi()}"
            )
        finish = not (callback.reusable and result == "ACCEPTED")
        deliveries = [] if Fault.RESULT_NOT_FORWARDED in self._faults else [self._delivery(callback, body)]
        if repeat_allowed:
            await self.store.enqueue(deliveries)
            taken = True
        else:
            taken = await self.store.record_result(callback.callback_id, result, finish=finish, deliveries=deliveries)
        if not taken:
            raise GenericClientError(f"the result {result} of this {callback.kind} request was taken already")
        if deliveries:
            self.deliveries.wake()
        log.info(
            "result %s of %s %s from %s queued for %s", result, module, callback.kind, who.party, callback.requester
        )
        return callback

    async def run(self) -> None:
        """Remove old records until cancelled."""
        while True:
            try:
                stamp = now()
                gone = await self.store.purge_callbacks(
                    expired_before=DateTime.from_datetime(stamp - KEEP_AFTER_EXPIRY),
                    setters_before=DateTime.from_datetime(stamp - KEEP_SETTERS),
                )
                if gone:
                    log.info("removed %d finished or expired response URL records", gone)
            except Exception:
                log.exception("clean-up of response URL records failed")
            await asyncio.sleep(PURGE_EVERY)

    async def latest_setter(self, receiver: str, session_id: str) -> str | None:
        """The party that last set a charging profile, successfully, on this receiver's session."""
        found = await self.store.find_callbacks(
            module="chargingprofiles",
            subject=session_id,
            kind="PUT",
            receiver=receiver,
            last_result="ACCEPTED",
            limit=1,
        )
        return found[0].requester if found else None

    async def reservation_receiver(self, who: Requester, reservation_id: str) -> str | None:
        """The CPO the requester's RESERVE_NOW with this reservation id went to through this hub."""
        found = await self.store.find_callbacks(
            module="commands", subject=reservation_id, kind="RESERVE_NOW", requester=who.party, limit=1
        )
        return found[0].receiver if found else None


__all__ = ("FINAL_AFTER_ACCEPTED", "Callbacks", "Issued", "secret_id")
