"""The still-alive check: a party that has been silent for ``alive_after`` seconds gets a GET of its versions
endpoint; one that does not answer is marked offline and the other platforms are told (HubClientInfo ``OFFLINE``).
A party out of rotation (marked offline here, by the delivery breaker, or found offline in the store) is probed on
the breaker's schedule (its cool-down, doubling after each failed probe) and announced ``CONNECTED`` again once its
versions endpoint answers.

Several processes (granian workers, or hub instances on several hosts sharing a PostgreSQL or MongoDB store) check
as one. Each notes the partners that made requests to it (one dict write on the request path, no store access) and
writes those times to the store once per round (``note_heard``); only the process holding the ``liveness`` lease
probes, silent parties and parties out of rotation alike, judging silence from every process's times, the partner
record's last change (a registration or rotation handled elsewhere counts) and its own start. So a party is probed
as often as by a single process, a party that talks only to one instance is not probed by another, and the offline
mark is one conditional write (``set_offline``, through ``Deliveries.mark``): whichever process makes the change
announces it, once. When the lease holder dies another process takes the lease over once it runs out.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import msgspec

from reference_hub.hub.client import OutboundClient, Outcome
from reference_hub.hub.outbox import Deliveries
from reference_hub.hub.routing import Forwarder
from reference_hub.ocpi.datetime import DateTime, now
from reference_hub.ocpi.errors import OcpiError
from reference_hub.settings import Settings
from reference_hub.store import Partner, PartnerStatus, Store

log = logging.getLogger(__name__)
T = TypeVar("T")

PROBES_PER_ROUND = 500
"""At most this many parties are probed per round (the longest silent first), so a hub whose many parties all fell
silent at once (a restart of the hub, a network cut) probes them over several rounds instead of all at once, and
the ClientInfo announcements that follow come at a bounded rate."""
PROBE_CONCURRENCY = 32
LEASE = "liveness"
LEASE_TICKS = 3
"""The lease is taken for this many ticks of the check (and at least two probe deadlines) and renewed every tick,
also during a long round, so another process takes the checks over within that time of its holder's death."""
SHARE_EVERY = 60.0
"""Seconds between two writes of last-heard times when no still-alive round writes them."""
SHARE_BATCH = 500
"""Last-heard times written to the store per call (one transaction on SQLite: a few milliseconds)."""
ROUND_BATCH = 2000
"""Partners a still-alive round weighs between two turns of the event loop (a few milliseconds)."""
PRUNE_EVERY = 600.0
"""Seconds between two prunes of the dashboard's kept exchanges."""


async def _each(items: Sequence[T], work: Callable[[T], Awaitable[None]]) -> None:
    """``work`` on each item in turn, ``PROBE_CONCURRENCY`` at a time, by that many tasks rather than one per item."""
    pending = iter(items)

    async def worker() -> None:
        for item in pending:
            await work(item)

    await asyncio.gather(*(worker() for _ in range(min(PROBE_CONCURRENCY, len(items)))))


def _wall(monotonic: float) -> DateTime:
    """The wall-clock moment of a ``time.monotonic()`` reading."""
    return DateTime.from_datetime(datetime.now(UTC) - timedelta(seconds=time.monotonic() - monotonic))


def _wall_offset() -> float:
    """What to add to a ``time.monotonic()`` reading to get wall-clock seconds since the epoch."""
    return time.time() - time.monotonic()


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
        return None if heard is None else _wall_offset() + heard

    @property
    def silent_every(self) -> float | None:
        """Seconds between two checks of the silent parties (None: never, ``alive_after`` is 0)."""
        after = self.settings.alive_after
        return max(min(after / 4, 30.0), 0.1) if after > 0 else None

    @property
    def tick(self) -> float:
        """Seconds between two looks at the receivers out of rotation (and renewals of the lease)."""
        return max(min(self.settings.delivery_breaker_cooldown / 2, self.silent_every or 30.0), 0.1)

    async def run(self) -> None:
        """Check until cancelled: receivers out of rotation as often as the breaker's cool-down allows, silent parties
        every quarter of ``alive_after`` (at most every 30 s; never when ``alive_after`` is 0); only while this
        process holds the lease. Besides: last-heard times go to the store at least once a minute even when
        ``alive_after`` is 0 (the dashboard's "last seen" survives restarts), and kept exchanges past their expiry
        are pruned every ``PRUNE_EVERY`` seconds."""
        silent_every = self.silent_every
        next_silent = time.monotonic() + (silent_every or 0.0)
        next_share = next_prune = time.monotonic()
        health = self.forwarder.health
        try:
            await health.learn()
        except Exception:
            log.exception("could not read the DEGRADED marks")
        try:
            await self._loop(silent_every, next_silent, next_share, next_prune)
        finally:  # stopping: what was heard since the last write survives the restart
            try:
                await self.share_heard()
            except Exception:
                log.warning("could not share last-heard times on the way out", exc_info=True)

    async def _loop(self, silent_every: float | None, next_silent: float, next_share: float, next_prune: float) -> None:
        while True:
            await asyncio.sleep(self.tick)
            try:
                if await self._hold():
                    await self.probe_out_of_rotation()
            except Exception:
                log.exception("probe of receivers out of rotation failed")
            clock = time.monotonic()
            if silent_every is not None and clock >= next_silent:
                next_silent = clock + silent_every
                next_share = clock + SHARE_EVERY
                try:
                    await self.check_round()
                except Exception:
                    log.exception("still-alive round failed")
            elif clock >= next_share:
                next_share = clock + SHARE_EVERY
                try:
                    await self.share_heard()
                except Exception:
                    log.exception("could not share last-heard times")
            if clock >= next_prune:
                next_prune = clock + PRUNE_EVERY
                try:
                    await self.store.prune_exchanges(now())
                except Exception:
                    log.exception("could not prune kept exchanges")

    async def share_heard(self) -> None:
        """Write the times of the requests heard here since the last round to the store, for whichever process
        checks."""
        since, until = self._shared_until, time.monotonic()
        # To the second, one time per second shared by every partner heard in it: with 100,000 partners heard in a
        # minute, a DateTime each (and the store's text of each) cost a worker about 0.4 s of CPU per write.
        offset = time.time() - time.monotonic()
        seconds: dict[int, DateTime] = {}
        fresh: dict[str, DateTime] = {}
        # In writes of SHARE_BATCH partners, from a copy (requests go on noting partners in ``_heard`` meanwhile), with
        # a turn of the event loop after each: written at once, 100,000 partners held this worker's requests for over
        # half a second on SQLite (one transaction, and the write lock the other workers wait for all that time).
        for partner_id, at in self._heard.copy().items():
            if at > since:
                second = int(at + offset)
                moment = seconds.get(second)
                if moment is None:
                    moment = seconds[second] = DateTime.from_datetime(datetime.fromtimestamp(second, UTC))
                fresh[partner_id] = moment
                if len(fresh) == SHARE_BATCH:
                    await self.store.note_heard(fresh)
                    fresh = {}
                    await asyncio.sleep(0)
        if fresh:
            await self.store.note_heard(fresh)
        self._shared_until = until  # only now: a round cut short (the process stopping) is written again whole

    async def _hold(self) -> bool:
        """Take or renew the lease when a tick has passed since this process last did; False when another process
        holds it."""
        clock = time.monotonic()
        if self._held_since is not None and clock - self._held_since < self.tick:
            return True
        stamp = _wall(clock)
        hold_for = max(self.tick * LEASE_TICKS, 2 * self.settings.callback_timeout + self.tick)
        until = DateTime.from_datetime(stamp + timedelta(seconds=hold_for))
        if await self.store.take_lease(LEASE, self.owner, stamp, until):
            self._held_since = clock
            return True
        self._held_since = None
        return False

    async def probe_out_of_rotation(self) -> None:
        """The receivers out of rotation whose probe is due (see ``Breaker``), at most ``PROBES_PER_ROUND`` of them,
        those waiting longest first: each back in rotation when its versions endpoint answers, else its next probe
        waits twice as long. After an outage that took thousands out, they are probed over several ticks, as silent
        parties are over several rounds; probed all at once, 33,000 of them made as many tasks in one go, and the
        collections of that garbage held the lease holder's requests for up to 100 ms at a time."""
        breaker = self.deliveries.breaker

        async def probe(partner_id: str) -> None:
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

        due = []
        for n, receiver in enumerate(await self.deliveries.offline(), 1):
            if n % ROUND_BATCH == 0:
                await asyncio.sleep(0)
            if breaker.probe_due(receiver):
                due.append(receiver)
        chosen = heapq.nsmallest(PROBES_PER_ROUND, due, key=breaker.probe_at)
        await _each([r for r in chosen if breaker.start_probe(r)], probe)

    async def check_round(self) -> None:
        """Share what this process heard; then, if this process holds the lease, probe every ACTIVE partner that has
        been silent too long (those offline: ``probe_out_of_rotation``)."""
        await self.share_heard()
        if not await self._hold():
            return
        # Every ACTIVE partner, as the deliveries keep them (re-read only where written since their last look): read
        # from the store each round, 200,000 of them cost the lease holder 3 s of CPU every 30 s.
        active = await self.deliveries.active_partners()
        shared = await self.store.heard_times()
        seconds: dict[int, float] = {}  # the stores share one time among the partners heard in one second
        silent_since = time.time() - self.settings.alive_after
        # The latest sign of life of each: a request this process authenticated, one another process heard, the
        # record's last change (a registration or rotation through another worker), or this process's start.
        wall = _wall_offset()
        started = wall + self._started
        heard = self._heard
        # The PROBES_PER_ROUND longest silent, kept as the round goes (a heap whose first entry is the least silent
        # of them, and among equals the latest seen): sorting out every silent partner at the end held the lease
        # holder's requests for 50 to 120 ms when 100,000 had fallen silent.
        most_silent: list[tuple[float, int, Partner]] = []
        for n, partner in enumerate(active, 1):
            if n % ROUND_BATCH == 0:
                await asyncio.sleep(0)  # 100,000 partners in one go held this worker's requests for 0.2 s
            if partner.offline:
                continue
            here = heard.get(partner.partner_id)
            elsewhere = shared.get(partner.partner_id)
            if elsewhere is None:
                there = 0.0
            elif (there := seconds.get(id(elsewhere), -1.0)) < 0:
                there = seconds[id(elsewhere)] = elsewhere.timestamp()
            sign = max(started, partner.updated.timestamp(), there, 0.0 if here is None else wall + here)
            if sign <= silent_since:
                if len(most_silent) < PROBES_PER_ROUND:
                    heapq.heappush(most_silent, (-sign, -n, partner))
                elif sign < -most_silent[0][0]:
                    heapq.heapreplace(most_silent, (-sign, -n, partner))
        due = [partner for _, _, partner in sorted(most_silent, reverse=True)]

        async def probe(partner: Partner) -> None:
            if await self._hold():  # a long round renews the lease; a lost lease ends this round's probes
                await self._check(partner)

        await _each(due, probe)

    async def _check(self, partner: Partner) -> None:
        alive = await self._answers(partner)
        if alive:
            self.heard(partner.partner_id)
        if not alive:
            self.deliveries.breaker.took_out(partner.partner_id)
        if alive == partner.offline:  # a change: store it, then tell the others (only the process that changed it)
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
