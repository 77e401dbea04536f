"""The still-alive check: a party that has been silent for ``alive_after`` seconds gets a GET of its versions
endpoint; one that does not answer is marked offline and the other platforms are told (HubClientInfo ``OFFLINE``).
A party out of rotation (marked offline here, by the delivery breaker, or found offline in the store) is probed on
the breaker's schedule (its cool-down, doubling after each failed probe) and announced ``CONNECTED`` again once its
versions endpoint answers.

"Silent" is judged per process, from the requests this process authenticated (one dict write on the request path,
no store access) and the partner record's last change (so a party that just registered through another worker is
not probed). With several worker processes each checks on its own, so a party may get one probe per process and
the other platforms a repeated, identical ClientInfo; the offline mark itself is stored, so every process stops
sending to the party.
"""

from __future__ import annotations

import asyncio
import logging
import time

import msgspec

from reference_hub.hub.client import OutboundClient, Outcome
from reference_hub.hub.outbox import Deliveries
from reference_hub.hub.routing import Forwarder
from reference_hub.ocpi.errors import OcpiError
from reference_hub.settings import Settings
from reference_hub.store import Partner, PartnerStatus, Store

log = logging.getLogger(__name__)

PROBES_PER_ROUND = 500
"""At most this many parties are probed per round (the longest silent first), so a hub whose many parties all fell
silent at once (a restart of the hub, a network cut) probes them over several rounds instead of all at once, and
the ClientInfo announcements that follow come at a bounded rate."""
PROBE_CONCURRENCY = 32


class Liveness:
    """When each partner was last heard from, and the check of the silent ones."""

    def __init__(
        self, settings: Settings, store: Store, forwarder: Forwarder, client: OutboundClient, deliveries: Deliveries
    ) -> None:
        self.settings = settings
        self.store = store
        self.forwarder = forwarder
        self.client = client
        self.deliveries = deliveries
        self._heard: dict[str, float] = {}
        self._started = time.monotonic()

    def heard(self, partner_id: str) -> None:
        """The partner just made an authenticated request to this process."""
        self._heard[partner_id] = time.monotonic()

    def last_seen(self, partner_id: str) -> float | None:
        """Wall-clock time of the partner's last request to (or answered probe from) this process, if any."""
        heard = self._heard.get(partner_id)
        return None if heard is None else time.time() - (time.monotonic() - heard)

    async def run(self) -> None:
        """Check until cancelled: receivers out of rotation as often as the breaker's cool-down allows, silent parties
        every quarter of ``alive_after`` (at most every 30 s; never when ``alive_after`` is 0)."""
        after = self.settings.alive_after
        silent_every = max(min(after / 4, 30.0), 0.1) if after > 0 else None
        tick = max(min(self.settings.delivery_breaker_cooldown / 2, silent_every or 30.0), 0.1)
        next_silent = time.monotonic() + (silent_every or 0.0)
        while True:
            await asyncio.sleep(tick)
            try:
                await self.probe_out_of_rotation()
            except Exception:
                log.exception("probe of receivers out of rotation failed")
            if silent_every is not None and time.monotonic() >= next_silent:
                next_silent = time.monotonic() + silent_every
                try:
                    await self.check_round()
                except Exception:
                    log.exception("still-alive round failed")

    async def probe_out_of_rotation(self) -> None:
        """Each receiver out of rotation whose probe is due (see ``Breaker``): back in rotation when its versions
        endpoint answers, else its next probe waits twice as long."""
        breaker = self.deliveries.breaker
        slots = asyncio.Semaphore(PROBE_CONCURRENCY)

        async def probe(partner_id: str) -> None:
            async with slots:
                partner = await self.store.get_partner(partner_id)
                if partner is None or partner.status is not PartnerStatus.ACTIVE:
                    breaker.probe_succeeded(partner_id)  # gone: nothing to bring back
                    return
                if await self._answers(partner):
                    self.heard(partner_id)
                    breaker.probe_succeeded(partner_id)
                    await self.deliveries.mark(partner, offline=False)
                else:
                    breaker.probe_failed(partner_id)

        due = [r for r in await self.deliveries.offline() if breaker.start_probe(r)]
        await asyncio.gather(*(probe(r) for r in due))

    async def check_round(self) -> None:
        """Probe every ACTIVE partner that has been silent too long (those offline: ``probe_out_of_rotation``)."""
        page = await self.store.list_partners(statuses=(PartnerStatus.ACTIVE,))
        silent_since = time.time() - self.settings.alive_after
        due = sorted(
            (p for p in page.items if not p.offline and self._last_sign(p) <= silent_since), key=self._last_sign
        )[:PROBES_PER_ROUND]
        slots = asyncio.Semaphore(PROBE_CONCURRENCY)

        async def probe(partner: Partner) -> None:
            async with slots:
                await self._check(partner)

        await asyncio.gather(*(probe(p) for p in due))

    def _last_sign(self, partner: Partner) -> float:
        """Wall-clock time of the latest sign of life this process knows of: a request it authenticated, else the
        partner record's last change (a registration or rotation handled by another worker counts), else this
        process's start."""
        started = time.time() - (time.monotonic() - self._started)
        return max(self.last_seen(partner.partner_id) or 0.0, partner.updated.timestamp(), started)

    async def _check(self, partner: Partner) -> None:
        alive = await self._answers(partner)
        if alive:
            self.heard(partner.partner_id)
        if not alive:
            self.deliveries.breaker.took_out(partner.partner_id)
        if alive == partner.offline:  # a change: store it, then tell the others
            await self.deliveries.mark(partner, offline=not alive)

    async def _answers(self, partner: Partner) -> bool:
        """The partner's versions endpoint answers with an OCPI success."""
        try:
            token, extra = self.forwarder.authorization(partner)
        except OcpiError:
            return False
        answer = await self.client.call("GET", partner.versions_url, token, extra)
        if answer.outcome is not Outcome.OK or answer.status != 200:
            return False
        try:
            return bool(msgspec.json.decode(answer.body).get("status_code") == 1000)
        except (msgspec.DecodeError, AttributeError, UnicodeDecodeError, RecursionError):
            return False


__all__ = ("Liveness",)
