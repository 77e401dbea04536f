"""The still-alive check: a party that has been silent for ``alive_after`` seconds gets a GET of its versions
endpoint; one that does not answer is marked offline and the other platforms are told (HubClientInfo ``OFFLINE``);
an offline party is checked every round and announced ``CONNECTED`` again once it answers.

Several processes (granian workers, or hub instances on several hosts sharing a PostgreSQL or MongoDB store) check
as one. Each notes the partners that made requests to it (one dict write on the request path, no store access) and
writes those times to the store once per round (``note_heard``); only the process holding the ``liveness`` lease
probes, judging silence from every process's times, the partner record's last change (a registration or rotation
handled elsewhere counts) and its own start. So a party is probed as often as by a single process, a party that
talks only to one instance is not probed by another, and the offline mark is one conditional write
(``set_offline``): whichever process makes the change is the one that announces it, once. When the lease holder dies
another process takes the lease over once it runs out (three rounds).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from datetime import UTC, datetime, timedelta

import msgspec

from reference_hub.hub.client import OutboundClient, Outcome
from reference_hub.hub.outbox import Deliveries
from reference_hub.hub.routing import Forwarder
from reference_hub.ocpi.datetime import DateTime, now
from reference_hub.ocpi.errors import OcpiError
from reference_hub.settings import Settings
from reference_hub.store import Partner, PartnerStatus, Store

log = logging.getLogger(__name__)

PROBES_PER_ROUND = 500
"""At most this many parties are probed per round (the longest silent first), so a hub whose many parties all fell
silent at once (a restart of the hub, a network cut) probes them over several rounds instead of all at once, and
the ClientInfo announcements that follow come at a bounded rate."""
PROBE_CONCURRENCY = 32
LEASE = "liveness"
LEASE_ROUNDS = 3
"""The lease is taken for this many rounds and renewed every round (and during a long one), so another process
takes the checks over within three rounds of its holder's death."""


def _wall(monotonic: float) -> DateTime:
    """The wall-clock moment of a ``time.monotonic()`` reading."""
    return DateTime.from_datetime(datetime.now(UTC) - timedelta(seconds=time.monotonic() - monotonic))


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
        self.owner = f"{os.uname().nodename}-{os.getpid()}-{secrets.token_hex(4)}"
        self._shared_until = 0.0
        """Requests heard up to this ``time.monotonic()`` reading have been written to the store."""
        self._held_since: float | None = None
        """When this process last took or renewed the lease."""

    def heard(self, partner_id: str) -> None:
        """The partner just made an authenticated request to this process."""
        self._heard[partner_id] = time.monotonic()

    def last_seen(self, partner_id: str) -> float | None:
        """Wall-clock time of the partner's last request to (or answered probe from) this process, if any."""
        heard = self._heard.get(partner_id)
        return None if heard is None else time.time() - (time.monotonic() - heard)

    @property
    def interval(self) -> float:
        """Seconds between two rounds."""
        return max(min(self.settings.alive_after / 4, 30.0), 0.1)

    async def run(self) -> None:
        """Check until cancelled (nothing when ``alive_after`` is 0)."""
        if self.settings.alive_after <= 0:
            return
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check_round()
            except Exception:
                log.exception("still-alive round failed")

    async def share_heard(self) -> None:
        """Write the times of the requests heard here since the last round to the store, for whichever process
        checks."""
        since, self._shared_until = self._shared_until, time.monotonic()
        fresh = {partner_id: _wall(at) for partner_id, at in self._heard.items() if at > since}
        if fresh:
            await self.store.note_heard(fresh)

    async def _hold(self) -> bool:
        """Take or renew the lease when a round's time has passed since this process last did; False when another
        process holds it."""
        clock = time.monotonic()
        if self._held_since is not None and clock - self._held_since < self.interval:
            return True
        stamp = _wall(clock)
        until = DateTime.from_datetime(stamp + timedelta(seconds=self.interval * LEASE_ROUNDS))
        if await self.store.take_lease(LEASE, self.owner, stamp, until):
            self._held_since = clock
            return True
        self._held_since = None
        return False

    async def check_round(self) -> None:
        """Share what this process heard; then, if this process holds the lease, probe every ACTIVE partner that
        has been silent too long, or is marked offline."""
        await self.share_heard()
        self._held_since = None  # renew at the start of every round
        if not await self._hold():
            return
        page = await self.store.list_partners(statuses=(PartnerStatus.ACTIVE,))
        shared = {partner_id: at.timestamp() for partner_id, at in (await self.store.heard_times()).items()}
        silent_since = time.time() - self.settings.alive_after

        def last_sign(partner: Partner) -> float:
            return max(self._last_sign(partner), shared.get(partner.partner_id, 0.0))

        due = sorted((p for p in page.items if p.offline or last_sign(p) <= silent_since), key=last_sign)[
            :PROBES_PER_ROUND
        ]
        slots = asyncio.Semaphore(PROBE_CONCURRENCY)

        async def probe(partner: Partner) -> None:
            async with slots:
                if await self._hold():  # a long round renews the lease; a lost lease ends this round's probes
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
        if alive == partner.offline:  # a change: store it, then tell the others (only the process that changed it)
            changed = await self.store.set_offline(partner.partner_id, not alive, now())
            if changed is not None:
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
