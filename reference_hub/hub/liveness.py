"""The still-alive check: a party that has been silent for ``alive_after`` seconds gets a GET of its versions
endpoint; one that does not answer is marked offline and the other platforms are told (HubClientInfo ``OFFLINE``);
an offline party is checked every round and announced ``CONNECTED`` again once it answers.

"Silent" is judged per process, from the requests this process authenticated (one dict write on the request path,
no store access) and the partner record's last change (so a party that just registered through another worker is
not probed). With several worker processes each checks on its own, so a party may get one probe per process and
the other platforms a repeated, identical ClientInfo; the offline mark itself is stored, so every process stops
sending to the party.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import msgspec

from reference_hub.hub.client import OutboundClient, Outcome
from reference_hub.hub.outbox import Deliveries
from reference_hub.hub.routing import Forwarder
from reference_hub.ocpi.datetime import now
from reference_hub.ocpi.errors import OcpiError
from reference_hub.settings import Settings
from reference_hub.store import Conflict, Partner, PartnerStatus, Store

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
        """Check until cancelled (nothing when ``alive_after`` is 0)."""
        after = self.settings.alive_after
        if after <= 0:
            return
        interval = max(min(after / 4, 30.0), 0.1)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.check_round()
            except Exception:
                log.exception("still-alive round failed")

    async def check_round(self) -> None:
        """Probe every ACTIVE partner that has been silent too long, or is marked offline."""
        page = await self.store.list_partners(statuses=(PartnerStatus.ACTIVE,))
        silent_since = time.time() - self.settings.alive_after
        due = sorted((p for p in page.items if p.offline or self._last_sign(p) <= silent_since), key=self._last_sign)[
            :PROBES_PER_ROUND
        ]
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
        if alive == partner.offline:  # a change: store it, then tell the others
            changed = msgspec.structs.replace(partner, offline=not alive, updated=now())
            with contextlib.suppress(Conflict):  # the partner changed meanwhile (rotation, unregistration)
                await self.store.replace_partner(changed, expected_token_hash=partner.token_hash)
                log.info("partner %s is %s", partner.partner_id, "back" if alive else "offline")
                await self.deliveries.client_info(changed, "CONNECTED" if alive else "OFFLINE")

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
