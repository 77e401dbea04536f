"""Durable delivery: broadcast pushes and ClientInfo updates the hub owes to parties.

:meth:`Deliveries.plan` turns one accepted push into one :class:`Delivery` per receiving platform; the caller stores
them with the object write (one transaction). :meth:`Deliveries.run` is the worker every hub process runs:
it leases due deliveries (so processes share the work and never send one twice at once), sends each with its own
fixed ``X-Request-ID`` (a retry is recognisable as a repeat), and then deletes it, retries it later or marks it
FAILED according to the delivery policy:

- ``spec`` (default): OCPI says failed pushes are not queued; the hub retries a transport failure a few times
  (``delivery_retries``, quick backoff), then gives up; the receiver resynchronises with a GET on the hub.
- ``store_and_forward``: retried with growing backoff until delivered, in order per receiver and object.

A receiver that answers with an OCPI error (2xxx/3xxx) refused the content: retrying would not help, so it is FAILED
at once under either policy. FAILED deliveries stay visible (admin API) until an operator retries or drops them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import msgspec

from reference_hub.faults import Fault
from reference_hub.hub.client import OutboundClient, Outcome
from reference_hub.hub.directory import Directory, party_key
from reference_hub.hub.routing import Forwarder, endpoint_of, split_party
from reference_hub.hub.traffic import Exchange
from reference_hub.ocpi.datetime import DateTime, now
from reference_hub.ocpi.errors import OcpiError
from reference_hub.ocpi.headers import reply_headers
from reference_hub.ocpi.models import Role
from reference_hub.settings import Settings
from reference_hub.store import Partner, PartnerStatus, Store
from reference_hub.store.outbox import Delivery, DeliveryState

log = logging.getLogger("reference_hub.outbox")

_CLAIM = 64
_CPO_DATA = frozenset({Role.EMSP, Role.NSP, Role.NAP, Role.SCSP, Role.OTHER})
_RECEIVING_ROLES = {"locations": _CPO_DATA, "tariffs": _CPO_DATA, "tokens": frozenset({Role.CPO})}
"""Who receives a broadcast of each module: the roles opposite its owner (OTHER counts as eMSP-like)."""


class _Status(msgspec.Struct):
    status_code: int


_STATUS = msgspec.json.Decoder(_Status)


@dataclass(frozen=True, slots=True)
class Recipient:
    partner: Partner
    party: str
    """The receiving party (``CC/PID``) named in ``OCPI-to-*``."""
    url: str
    """Its Receiver endpoint for the module."""


class Deliveries:
    """Plans deliveries and runs the delivery worker of this process."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        directory: Directory,
        forwarder: Forwarder,
        client: OutboundClient,
    ) -> None:
        self.settings = settings
        self.store = store
        self.directory = directory
        self.forwarder = forwarder
        self.client = client
        self.owner = f"{os.uname().nodename}-{os.getpid()}-{secrets.token_hex(4)}"
        self._faults = frozenset(settings.faults)
        self._wake = asyncio.Event()
        self._partners: tuple[int, list[Partner]] | None = None

    # --- planning ----------------------------------------------------------------------------------------------

    async def _active_partners(self) -> list[Partner]:
        """Every ACTIVE partner, re-read when the store says partners may have changed."""
        marker = self.store.change_marker()
        if self._partners is None or self._partners[0] != marker:
            page = await self.store.list_partners(statuses=(PartnerStatus.ACTIVE,))
            self._partners = (marker, page.items)
        return self._partners[1]

    async def recipients(self, module: str, interface: str, sender_partner: str | None) -> list[Recipient]:
        """Connected platforms implementing ``module``'s ``interface`` with a role that receives it (one each)."""
        roles = _RECEIVING_ROLES.get(module)
        found = []
        for partner in await self._active_partners():
            if partner.partner_id == sender_partner and Fault.BROADCAST_ECHOED not in self._faults:
                continue
            url = endpoint_of(partner, module, interface)
            if url is None:
                continue
            party = next(
                (party_key(r.country_code, r.party_id) for r in partner.roles if roles is None or r.role in roles),
                None,
            )
            if party is None and partner.partner_id == sender_partner and partner.roles:  # only with broadcast_echoed
                party = party_key(partner.roles[0].country_code, partner.roles[0].party_id)
            if party is not None:
                found.append(Recipient(partner, party, url))
        return found

    async def plan(
        self,
        *,
        sender_partner: str,
        module: str,
        method: str,
        suffix: str,
        query: str,
        body: bytes | None,
        stream: str,
        correlation_id: str,
    ) -> list[Delivery]:
        """A broadcast push: one delivery per receiving platform, the URL keeping the owner's path."""
        stamp = now()
        if body is not None and Fault.LAST_UPDATED_REWRITTEN in self._faults:
            body = _restamped(body, stamp)
        deliveries = []
        for r in await self.recipients(module, "RECEIVER", sender_partner):
            url = r.url.rstrip("/") + suffix + (f"?{query}" if query else "")
            deliveries.append(
                self._delivery(r, method, url, body, f"{r.partner.partner_id}|{stream}", correlation_id, stamp)
            )
        return deliveries

    def _delivery(
        self,
        recipient: Recipient,
        method: str,
        url: str,
        body: bytes | None,
        stream: str,
        correlation_id: str,
        stamp: DateTime,
        *,
        routed: bool = True,
    ) -> Delivery:
        """One delivery; ``routed=False`` for configuration modules (HubClientInfo), which carry no routing headers."""
        headers = [("X-Correlation-ID", correlation_id)]
        if routed:
            to_cc, to_pid = split_party(recipient.party)
            headers += reply_headers(to_cc, to_pid, self.settings.country_code, self.settings.party_id)
        return Delivery(
            delivery_id=str(uuid.uuid4()),
            receiver=recipient.partner.partner_id,
            stream=stream,
            method=method,
            url=url,
            headers=headers,
            body=body,
            created=stamp,
            due=stamp,
        )

    async def client_info(self, changed: Partner, status: str) -> None:
        """Tell every other connected platform with a hubclientinfo Receiver the new status of each party of
        ``changed`` (a ClientInfo PUT per party)."""
        if Fault.CLIENTINFO_NOT_PUSHED in self._faults:
            return
        stamp = now()
        correlation_id = str(uuid.uuid4())
        deliveries = []
        for r in await self.recipients("hubclientinfo", "RECEIVER", changed.partner_id):
            for role in changed.roles:
                info = {
                    "party_id": role.party_id,
                    "country_code": role.country_code,
                    "role": role.role.value,
                    "status": status,
                    "last_updated": stamp.to_ocpi(),
                }
                url = f"{r.url.rstrip('/')}/{role.country_code}/{role.party_id}"
                stream = f"{r.partner.partner_id}|hubclientinfo|{party_key(role.country_code, role.party_id)}"
                body = msgspec.json.encode(info)
                deliveries.append(self._delivery(r, "PUT", url, body, stream, correlation_id, stamp, routed=False))
        if deliveries:
            await self.store.enqueue(deliveries)
            self.wake()

    # --- the worker ------------------------------------------------------------------------------------------------

    def wake(self) -> None:
        """New deliveries were stored by this process: look now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver until cancelled."""
        idle = self.settings.delivery_poll
        while True:
            try:
                sent = await self.deliver_due()
            except Exception:
                log.exception("delivery round failed")
                sent = 0
            if sent == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), idle)

    async def deliver_due(self) -> int:
        """One round: lease what is due and send it, one task per delivery (at most one per stream). Returns how
        many were sent."""
        stamp = now()
        lease = DateTime.from_datetime(stamp + timedelta(seconds=self.settings.delivery_lease))
        claimed = await self.store.claim_deliveries(self.owner, stamp, lease, _CLAIM)
        if claimed:
            await asyncio.gather(*(self._send(d) for d in claimed))
        return len(claimed)

    async def _send(self, delivery: Delivery) -> None:
        partner = await self.directory.partner(delivery.receiver)
        if partner is not None and partner.status is PartnerStatus.SUSPENDED:
            await self._failed(delivery, "the receiver is suspended by the operator", transport=True)
            return
        if partner is None or partner.status is not PartnerStatus.ACTIVE:
            await self._failed(delivery, "the receiver is not connected", transport=True)
            return
        if partner.offline:
            await self._failed(delivery, "the receiver is offline (still-alive check)", transport=True)
            return
        try:
            token, extra = self.forwarder.authorization(partner)
        except OcpiError as exc:
            await self._failed(delivery, exc.message, transport=True)
            return
        headers = [("X-Request-ID", delivery.delivery_id), *delivery.headers, *extra]
        if delivery.body is not None:
            headers.append(("Content-Type", "application/json"))
        started = time.perf_counter()
        answer = await self.client.call(delivery.method, delivery.url, token, headers, delivery.body)
        self._note(delivery, answer.status, answer.body if answer.outcome is Outcome.OK else b"", started)
        if answer.outcome is not Outcome.OK:
            await self._failed(delivery, f"{answer.outcome.value.lower()}: {answer.detail}", transport=True)
            return
        if answer.status >= 500:
            await self._failed(delivery, f"HTTP {answer.status}", transport=True)
            return
        try:
            status_code = _STATUS.decode(answer.body).status_code
        except (msgspec.MsgspecError, UnicodeDecodeError, RecursionError):
            await self._failed(delivery, f"HTTP {answer.status} without an OCPI answer", transport=True)
            return
        if answer.status >= 300 or status_code >= 2000:
            await self._failed(delivery, f"refused: HTTP {answer.status}, status_code {status_code}", transport=False)
            return
        await self.store.delivered(delivery.delivery_id, self.owner)
        self.forwarder.traffic.delivered(max((now() - delivery.created).total_seconds(), 0.0))

    def _note(self, delivery: Delivery, http_status: int, body: bytes, started: float) -> None:
        """The attempt, in the dashboard's traffic list (memory only)."""
        parts = delivery.stream.split("|")
        try:
            status_code: int | None = _STATUS.decode(body).status_code
        except (msgspec.MsgspecError, UnicodeDecodeError, RecursionError):
            status_code = None
        self.forwarder.traffic.note(
            Exchange(
                at=time.time(),
                kind="delivery",
                sender=party_key(self.settings.country_code, self.settings.party_id),
                receiver=delivery.receiver,
                module=parts[1] if len(parts) > 1 else "",
                method=delivery.method,
                status_code=status_code,
                latency_ms=(time.perf_counter() - started) * 1000,
                request_id=delivery.delivery_id,
                correlation_id=next((v for k, v in delivery.headers if k == "X-Correlation-ID"), ""),
            )
        )

    async def _failed(self, delivery: Delivery, error: str, *, transport: bool) -> None:
        delivery.attempts += 1
        delivery.last_error = error[:500]
        forever = self.settings.delivery_policy == "store_and_forward"
        if transport and (forever or delivery.attempts <= self.settings.delivery_retries):
            backoff = min(2.0 ** (delivery.attempts - 1), 300.0) * self.settings.delivery_backoff
            delivery.due = DateTime.from_datetime(now() + timedelta(seconds=backoff))
        else:
            delivery.state = DeliveryState.FAILED
            log.info("delivery %s to %s failed: %s", delivery.delivery_id, delivery.receiver, delivery.last_error)
        await self.store.reschedule(delivery, self.owner)


def _restamped(body: bytes, stamp: DateTime) -> bytes:
    """For the fault switch only: the body with the hub's time as ``last_updated``."""
    try:
        doc = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return body
    if isinstance(doc, dict) and "last_updated" in doc:
        doc["last_updated"] = stamp.to_ocpi()
        return msgspec.json.encode(doc)
    return body


__all__ = ("Deliveries", "Recipient")
