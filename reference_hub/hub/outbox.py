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

No receiver can hold up the others. The worker is a continuous pool, not a series of rounds: freed slots are
refilled as soon as an eighth of the pool is free (at once for new deliveries), so a slow answer delays nothing but
itself. At most ``delivery_per_receiver`` deliveries
to one receiver are in flight (a receiver at its cap is left out of claims), at most ``delivery_concurrency`` in all.
``delivery_breaker`` failed sends in a row (timeouts, refused connections, 5xx) open a :class:`Breaker`: the receiver
is marked OFFLINE (routing answers 4003 for it at once, and the other platforms get a ClientInfo) and taken out of
rotation. While it is out, its deliveries are given up under ``spec`` (the receiver resynchronises with a GET) and
kept waiting under ``store_and_forward``. The still-alive check probes it after a cool-down
(``delivery_breaker_cooldown`` s, doubling on each failed probe up to five minutes) and brings it back (CONNECTED).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import os
import secrets
import time
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, KeysView, Mapping
from dataclasses import dataclass
from datetime import timedelta

import msgspec

from reference_hub.faults import Fault
from reference_hub.hub.bounded import put_newest
from reference_hub.hub.changes import PartnerFeed
from reference_hub.hub.client import OutboundClient, Outcome, redact_url
from reference_hub.hub.directory import Directory, party_key
from reference_hub.hub.health import shown_body, shown_headers
from reference_hub.hub.routing import Forwarder, Sent, endpoint_of, join_under, split_party
from reference_hub.hub.traffic import Exchange
from reference_hub.ocpi.datetime import DateTime, now
from reference_hub.ocpi.errors import OcpiError
from reference_hub.ocpi.headers import reply_headers
from reference_hub.ocpi.models import Role
from reference_hub.ocpi.versions import V221
from reference_hub.settings import Settings
from reference_hub.store import Partner, PartnerStatus, Store
from reference_hub.store.desk import KeptExchange
from reference_hub.store.outbox import ANNOUNCEMENTS, Delivery, DeliveryState

log = logging.getLogger("reference_hub.outbox")

_LONGEST_COOLDOWN = 300.0


class Breaker:
    """Failed sends in a row per receiver, and when each receiver out of rotation is probed next.

    Out of rotation means OFFLINE in the store, which every process reads: this class only decides when a receiver
    goes there (``threshold`` failed sends in a row) and when a probe of its versions endpoint is due
    (``hub/liveness.py``): ``cooldown`` seconds after it left (counted from when it was marked OFFLINE, for one found so
    in the store: at once for one marked long ago), twice as long after each failed probe, at most five minutes. A
    receiver that leaves again within five minutes of coming back starts from twice its last wait, so one whose versions
    endpoint answers while its modules hang comes and goes ever more slowly.
    """

    def __init__(self, threshold: int, cooldown: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = threshold
        """Failed sends in a row that take a receiver out of rotation; 0 never does."""
        self.cooldown = max(cooldown, 0.01)
        self._clock = clock
        self._failures: Counter[str] = Counter()
        self._out: dict[str, tuple[float, float]] = {}
        """Receiver -> (monotonic time of its next probe, the wait that led to it)."""
        self._probing: set[str] = set()
        self._back: OrderedDict[str, tuple[float, float]] = OrderedDict()
        """Receiver -> (when it came back, its last wait), kept for five minutes, oldest return first."""

    def failed(self, receiver: str) -> bool:
        """A send failed for the receiver's sake (not its content's); True when that takes it out of rotation."""
        if receiver in self._out:
            return False
        self._failures[receiver] += 1
        if not self.threshold or self._failures[receiver] < self.threshold:
            return False
        del self._failures[receiver]
        self._schedule(receiver)
        return True

    def delivered(self, receiver: str) -> None:
        """A send reached the receiver: its count of failures in a row starts again."""
        self._failures.pop(receiver, None)

    def _schedule(self, receiver: str, *, elapsed: float = 0.0) -> None:
        """Out of rotation since ``elapsed`` seconds: its first probe once its wait has passed since then."""
        clock = self._clock()
        wait = self.cooldown
        back = self._back.pop(receiver, None)
        if back is not None and clock - back[0] < _LONGEST_COOLDOWN:
            wait = min(back[1] * 2, _LONGEST_COOLDOWN)
        self._out[receiver] = (clock + min(wait, max(0.0, wait - elapsed)), wait)

    def took_out(self, receiver: str) -> None:
        """The still-alive check found the receiver gone: its first probe after the cool-down."""
        if receiver not in self._out:
            self._schedule(receiver)

    def sync(self, offline: Mapping[str, float]) -> None:
        """Follow the store: a receiver OFFLINE there (``offline``: each with the seconds since it was marked so) is out
        of rotation; one that is not any more (brought back by another process) is back.

        One new here is first probed when its wait has passed since it was marked: at once for one marked long ago
        (before a restart), after the cool-down for one another process took out a moment ago, and after twice its last
        wait for one that came back here less than five minutes ago. Probed at once, as this did before, a receiver
        whose versions endpoint answers while its deliveries fail was brought back by the process holding the probes'
        lease as soon as another process took it out, and taken out again: three announcements to every platform within
        a second, over and over."""
        for receiver in offline.keys() - self._out.keys():
            self._schedule(receiver, elapsed=offline[receiver])
        for receiver in self._out.keys() - offline.keys():
            self.probe_succeeded(receiver)

    def out_of_rotation(self) -> set[str]:
        return set(self._out)

    def probe_at(self, receiver: str) -> float:
        """``time.monotonic()`` of the receiver's next probe (infinity when it is not out of rotation)."""
        scheduled = self._out.get(receiver)
        return float("inf") if scheduled is None else scheduled[0]

    def probe_due(self, receiver: str) -> bool:
        scheduled = self._out.get(receiver)
        return scheduled is not None and receiver not in self._probing and self._clock() >= scheduled[0]

    def start_probe(self, receiver: str) -> bool:
        """True when a probe of ``receiver`` is due: the caller probes it and reports the outcome."""
        if not self.probe_due(receiver):
            return False
        self._probing.add(receiver)
        return True

    def probe_failed(self, receiver: str) -> None:
        self._probing.discard(receiver)
        scheduled = self._out.get(receiver)
        if scheduled is not None:
            wait = min(scheduled[1] * 2, _LONGEST_COOLDOWN)
            self._out[receiver] = (self._clock() + wait, wait)

    def probe_succeeded(self, receiver: str) -> None:
        self._failures.pop(receiver, None)
        self._probing.discard(receiver)
        scheduled = self._out.pop(receiver, None)
        if scheduled is not None:
            # Returns are kept in the order they happened, so those over five minutes old are the first ones. Rebuilt
            # at each return instead, thousands of receivers coming back after an outage cost time in the square of
            # their number (4,000 at once: 0.8 s in one piece).
            clock = self._clock()
            back = self._back
            while back and clock - back[next(iter(back))][0] >= _LONGEST_COOLDOWN:
                back.popitem(last=False)
            back.pop(receiver, None)
            back[receiver] = (clock, scheduled[1])


class _MarkedAgo(Mapping[str, float]):
    """Seconds since each OFFLINE partner was marked so, worked out only for those asked for: at every tick the
    breaker asks only for the receivers new to it, and working it out for each of 37,000 partners out of rotation
    held the lease holder for 40 to 80 ms per tick."""

    def __init__(self, offline: dict[str, Partner], stamp: float) -> None:
        self._offline = offline
        self._stamp = stamp

    def __getitem__(self, partner_id: str) -> float:
        return self._stamp - self._offline[partner_id].updated.timestamp()

    def __iter__(self) -> Iterator[str]:
        return iter(self._offline)

    def __len__(self) -> int:
        return len(self._offline)

    def keys(self) -> KeysView[str]:
        return self._offline.keys()  # a dict's own view: the breaker's set operations run in C


class Skip(Exception):
    """A receiving platform that cannot take a broadcast (its version has no such module, or cannot carry the
    object): it is left out, with the reason in the log."""


@dataclass(frozen=True, slots=True)
class Recipient:
    partner: Partner
    party: str
    """The receiving party (``CC/PID``) named in ``OCPI-to-*``."""
    url: str
    """Its Receiver endpoint for the module."""


BUSY_AFTER_REQUEST = 1.0
"""Seconds after a request during which the delivery worker counts its process as serving requests
(:meth:`Deliveries._busy`)."""

_PLANNED_PER_CALL = 16
"""Announcement rows one look plans at most (:meth:`Deliveries.plan_announcements`), so that it never holds the
event loop long."""


class Deliveries:
    """Plans deliveries and runs the delivery worker of this process."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        directory: Directory,
        forwarder: Forwarder,
        client: OutboundClient,
        *,
        feed: PartnerFeed | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.directory = directory
        self.forwarder = forwarder
        self.client = client
        self.owner = f"{os.uname().nodename}-{os.getpid()}-{secrets.token_hex(4)}"
        self._faults = frozenset(settings.faults)
        self._wake = asyncio.Event()
        self._active: dict[str, Partner] = {}
        """Every ACTIVE partner by partner id, kept up to date by ``_feed``."""
        self._partners: list[Partner] | None = None
        """``_active``'s partners as a list, made again when asked for after a change."""
        self._offline: dict[str, Partner] = {}
        """The ACTIVE partners marked OFFLINE, by partner id (kept up to date with ``_active``)."""
        self._receivers: dict[tuple[str, str], dict[str, tuple[Partner, str]]] = {}
        """Per (module, interface): the ACTIVE partners with that endpoint, and its URL, by partner id (kept up to date
        with ``_active``)."""
        self._feed = feed or PartnerFeed(store)
        """Shared with the Credentials' view of the partners in a running hub (``services.build_context``)."""
        self._feed.follow(
            changed=self._partner_changed,
            removed=self._partner_removed,
            dropped=self._partners_dropped,
            held=self._held,
        )
        self.breaker = Breaker(settings.delivery_breaker, settings.delivery_breaker_cooldown)
        self._inflight: Counter[str] = Counter()
        """Deliveries being sent, per receiver."""
        self._done: list[str] = []
        """Delivered, still to be removed from the outbox (:meth:`_remove_delivered`)."""
        self._paced: OrderedDict[str, DateTime] = OrderedDict()
        """When each platform's last announcement of a change it made itself was due (see :meth:`announce`)."""
        self.served = 0
        """Requests this process was sent (counted by ``app.HubApp``): while it was sent any in the last
        ``BUSY_AFTER_REQUEST`` seconds, announcements are planned at most at ``announcement_rate``
        (:meth:`_plan_when_room`)."""
        self._served_seen = 0
        self._busy_until = 0.0
        self._announcing = True
        """An announcement row may be waiting (this process wrote one, or a slice left some): until a look finds none,
        the worker looks whenever it has room; after that, again when this process writes one, and once per
        ``delivery_poll`` for those of other processes and those that became due."""
        self._look_at = 0.0
        """``time.monotonic()`` of the next look for announcements when none is known to wait."""
        self._plan_after = 0.0
        """``time.monotonic()`` before which a paced worker plans no next slice."""
        self._parked: set[str] | None = None
        """The receivers whose rows this process parked (:meth:`_park`); None before its first look."""
        self._park_at = 0.0
        """``time.monotonic()`` of the next park of what was enqueued for the receivers out of rotation since."""
        self._parking: asyncio.Task[None] | None = None
        """The park or unpark under way (:meth:`_park`), beside the claims rather than before them."""

    # --- planning ----------------------------------------------------------------------------------------------

    async def active_partners(self) -> list[Partner]:
        """Every ACTIVE partner, kept up to date by re-reading only those written since the last look
        (``changes.PartnerFeed``; the list is shared: do not change it)."""
        await self._feed.refresh()
        if self._partners is None:
            self._partners = list(self._active.values())
        return self._partners

    def _partner_changed(self, partner: Partner, active: bool) -> None:
        if not active:
            self._partner_removed(partner.partner_id)
            return
        self._partners = None
        self._active[partner.partner_id] = partner
        if partner.offline:
            self._offline[partner.partner_id] = partner
        else:
            self._offline.pop(partner.partner_id, None)
        for (module, interface), found in self._receivers.items():
            url = endpoint_of(partner, module, interface)
            if url is None:
                found.pop(partner.partner_id, None)
            else:
                found[partner.partner_id] = (partner, url)

    def _partner_removed(self, partner_id: str) -> None:
        self._partners = None
        self._active.pop(partner_id, None)
        self._offline.pop(partner_id, None)
        for found in self._receivers.values():
            found.pop(partner_id, None)

    def _partners_dropped(self) -> None:
        self._partners = None
        self._active.clear()
        self._offline.clear()
        self._receivers.clear()

    def _held(self) -> int:
        return len(self._active)

    async def recipients(
        self, module: str, interface: str, sender_partner: str | None, roles: frozenset[Role] | None = None
    ) -> list[Recipient]:
        """Connected platforms implementing ``module``'s ``interface`` with one of ``roles`` (None: any role, as for
        ClientInfo), one each."""
        found = []
        for partner, url in await self._with_endpoint(module, interface):
            recipient = self._recipient(partner, url, sender_partner, roles)
            if recipient is not None:
                found.append(recipient)
        return found

    def _recipient(
        self, partner: Partner, url: str, sender_partner: str | None, roles: frozenset[Role] | None
    ) -> Recipient | None:
        if partner.partner_id == sender_partner and Fault.BROADCAST_ECHOED not in self._faults:
            return None
        party = next(
            (party_key(r.country_code, r.party_id) for r in partner.roles if roles is None or r.role in roles),
            None,
        )
        if party is None and partner.partner_id == sender_partner and partner.roles:  # only with broadcast_echoed
            party = party_key(partner.roles[0].country_code, partner.roles[0].party_id)
        return None if party is None else Recipient(partner, party, url)

    async def _with_endpoint(self, module: str, interface: str) -> Iterable[tuple[Partner, str]]:
        """The ACTIVE partners with ``module``'s ``interface``, and its URL: looked for in every partner once, then
        kept up to date partner by partner as they change. Walking every partner's endpoints for each announcement
        or push cost a registration wave on a hub of 1,000 platforms more than the announcements' own work. Nor is
        the list of every partner made again after each change (:meth:`active_partners`): on a hub of 100,000, a
        wave of parties marked offline, each announced, spent most of its time making and dropping that list."""
        await self._feed.refresh()
        found = self._receivers.get((module, interface))
        if found is None:
            found = self._receivers[(module, interface)] = {
                partner.partner_id: (partner, url)
                for partner in self._active.values()
                if (url := endpoint_of(partner, module, interface)) is not None
            }
        return found.values()

    async def plan(
        self,
        *,
        sender_partner: str,
        module: str,
        receivers: frozenset[Role],
        method: str,
        suffix: str,
        query: str,
        body: bytes | None,
        stream: str,
        correlation_id: str,
        body_for: Callable[[Partner, bytes | None], bytes | None] | None = None,
    ) -> list[Delivery]:
        """A broadcast push: one delivery per connected platform with ``module``'s Receiver and one of the
        ``receivers`` roles, the URL keeping the owner's path. ``body_for`` gives the body in a receiving platform's
        version (it raises :class:`Skip` for one that cannot take it)."""
        stamp = now()
        if body is not None and Fault.LAST_UPDATED_REWRITTEN in self._faults:
            body = _restamped(body, stamp)
        deliveries = []
        for r in await self.recipients(module, "RECEIVER", sender_partner, receivers):
            url = join_under(r.url, suffix, query)
            if url is None:  # the suffix is built from checked ids; this is the last line of defence
                log.warning("not delivering %s %s%s to %s: outside its endpoint", method, module, suffix, r.party)
                continue
            try:
                payload = body if body_for is None else body_for(r.partner, body)
            except Skip as exc:
                log.info("not delivering %s %s%s to %s: %s", method, module, suffix, r.party, exc)
                continue
            deliveries.append(
                self._delivery(r, method, url, payload, f"{r.partner.partner_id}|{stream}", correlation_id, stamp)
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
        changes = [(r.country_code, r.party_id, r.role.value, status) for r in changed.roles]
        receivers = await self.recipients("hubclientinfo", "RECEIVER", changed.partner_id)
        deliveries = self._client_infos(receivers, changes, now(), str(uuid.uuid4()))
        if deliveries:
            await self.store.enqueue(deliveries)
            self.wake()

    async def announce(self, changed: Partner, status: str, *, by_rotation: bool = False) -> None:
        """:meth:`client_info` for a registration change, planned off the handshake's path: one outbox row now, which
        the worker plans into the ClientInfo PUTs a slice of receivers at a time (:meth:`_plan_when_room`).

        With 1,000 connected platforms a registration owes about 1,000 ClientInfo PUTs; writing them before answering
        held registrations to a third of their rate without them, and expanding them all as soon as the row was
        written still took 17 ms of CPU per registration from the handshakes (and filled the outbox with rows it
        could not send for minutes). The one row is durable like the PUTs would be (it is in the outbox before the
        handshake answers), and each slice is written with what is left of the row in one transaction, so a crash
        loses no announcement and repeats none under a new X-Request-ID.

        A platform's announcements share one stream, and a new one is folded into the one still waiting there
        (``Outbox.enqueue_folded``, :func:`_fold`): each party is announced once, with its latest status. A change a
        platform makes itself at a credentials PUT (``by_rotation``) is due no sooner than ``announcement_interval``
        after the last such change of that platform in this process, and those in between fold into it. Any platform
        can change its parties at every PUT, and each change costs the hub a ClientInfo PUT per party to every other
        platform (about half a second of CPU on a hub of 1,000 platforms): without the bound, one platform doing so
        a few times a second took more than the machine.
        """
        if Fault.CLIENTINFO_NOT_PUSHED in self._faults:
            return
        stamp = now()
        due = stamp
        interval = self.settings.announcement_interval
        last = self._paced.get(changed.partner_id) if by_rotation and interval > 0 else None
        if last is not None:
            due = max(stamp, DateTime.from_datetime(last + timedelta(seconds=interval)))
        # A party the platform adds at a PUT is marked ADDED: nobody was told it is connected, so if the platform drops
        # it again before this row goes out, it is left out altogether (:func:`_fold`).
        tail = [ADDED] if by_rotation and status == "CONNECTED" else []
        what = _Announcement(
            partner_id=changed.partner_id,
            status=status,
            parties=[[r.country_code, r.party_id, r.role.value, status, *tail] for r in changed.roles],
            stamp=stamp.to_ocpi(),
        )
        row = Delivery(
            delivery_id=str(uuid.uuid4()),
            receiver=ANNOUNCEMENTS,
            stream=f"{ANNOUNCEMENTS}|hubclientinfo|{changed.partner_id}",
            method="ANNOUNCE",
            url="",
            headers=[("X-Correlation-ID", str(uuid.uuid4()))],
            body=msgspec.json.encode(what),
            created=stamp,
            due=due,
        )
        due = await self.store.enqueue_folded(row, _fold)
        self._announcing = True
        if by_rotation:
            # When this change goes out, also when it was folded: the waiting row may have been made by another
            # process, due later, and is now due at this one's time (the interval then runs from there); or it was due
            # sooner, and the change goes out with it. Either way the next change waits an interval after this one
            # goes out, so a platform's changes go out at most once an interval per process.
            put_newest(self._paced, changed.partner_id, max(due, last or due), _PACED_LIMIT)
        if due <= stamp:
            self.wake()

    async def _plan_when_room(self, room: int) -> int:
        """Plan waiting announcements (:meth:`plan_announcements`) into ``room`` free slots of the worker's pool; how
        many ClientInfo PUTs it planned.

        Called by the worker when its last claim found fewer due deliveries than it had free slots, so announcements
        go out as fast as they are delivered and no faster: a registration wave leaves one row per platform in the
        outbox, not 1,000. While the process is serving requests (:meth:`_busy`), one slice of an eighth of the pool
        is planned at a time, at most ``announcement_rate`` PUTs a second, so that the handshakes keep the CPU (each
        of a registration's 1,000 PUTs costs the hub about 250 µs to send)."""
        clock = time.monotonic()
        if room <= 0 or not (self._announcing or clock >= self._look_at):
            return 0
        self._announcing = True
        rate = self.settings.announcement_rate
        paced = rate > 0 and self._busy(clock)
        if not paced:
            return await self.plan_announcements(room)
        if clock < self._plan_after:
            return 0
        planned = await self.plan_announcements(min(room, self._batch()), most=1)
        self._plan_after = clock + planned / rate
        return planned

    async def plan_announcements(self, room: int, *, most: int = _PLANNED_PER_CALL, at: DateTime | None = None) -> int:
        """Swap the next slice of up to ``most`` due announcement rows, oldest first, for their ClientInfo PUTs, at
        most ``room`` in all (:meth:`_expand`); how many PUTs were planned. ``at``: due as of then (default now)."""
        planned = 0
        for _ in range(most):
            stamp = at or now()
            lease = DateTime.from_datetime(stamp + timedelta(seconds=self.settings.delivery_lease))
            rows = await self.store.claim_announcements(self.owner, stamp, lease, 1)
            if not rows:
                self._announcing = False
                self._look_at = time.monotonic() + self.settings.delivery_poll
                break
            planned += await self._expand(rows[0], room - planned)
            if planned >= room:
                break
        return planned

    def _busy(self, clock: float) -> bool:
        """Whether this process was sent a request in the last ``BUSY_AFTER_REQUEST`` seconds (as of the last look,
        at the latest).

        Not "is serving one now": the load generator of ``make bench`` shares the machine, and between its requests
        the hub served none about half the times the worker looked; planned then, the announcements took the CPU the
        next handshakes needed all the same."""
        if self.served != self._served_seen:
            self._served_seen = self.served
            self._busy_until = clock + BUSY_AFTER_REQUEST
        return clock < self._busy_until

    def _pace_wait(self, idle: float) -> float:
        """How long the worker may wait for a send, a wake-up or the poll: no longer than until its next paced slice
        is due, when one is waiting for its turn (once the turn has come, the next claim plans it)."""
        clock = time.monotonic()
        if not self._announcing or not self._busy(clock) or clock >= self._plan_after:
            return idle
        return min(idle, self._plan_after - clock)

    async def _expand(self, delivery: Delivery, room: int) -> int:
        """Swap an announcement's next slice of receivers (those connected now, in partner id order, after the last
        one planned) for its ClientInfo PUTs, at most ``room`` of them but at least one receiver's, keeping what is
        left of the row; how many PUTs it planned."""
        what = msgspec.json.decode(delivery.body or b"", type=_Announcement)
        changes = what.changes()
        correlation_id = next((v for k, v in delivery.headers if k == "X-Correlation-ID"), str(uuid.uuid4()))
        take = max(1, room // max(len(changes), 1))
        # The next take + 1 platforms with the endpoint after the cursor (the one more says whether any are left), not
        # all of them sorted: the slices of one announcement to 1,000 platforms made a Recipient of each for every
        # slice, which cost more than the slices' PUTs.
        after, sender = what.after, "" if Fault.BROADCAST_ECHOED in self._faults else what.partner_id
        candidates = heapq.nsmallest(
            take + 1,
            (
                found
                for found in await self._with_endpoint("hubclientinfo", "RECEIVER")
                if found[0].partner_id > after and found[0].partner_id != sender
            ),
            key=lambda found: found[0].partner_id,
        )
        now_ = candidates[:take]
        receivers = [r for p, url in now_ if (r := self._recipient(p, url, what.partner_id, None)) is not None]
        deliveries = self._client_infos(receivers, changes, now(), correlation_id, what.stamp)
        left = None
        if len(candidates) > take and changes:
            left = msgspec.json.encode(msgspec.structs.replace(what, after=now_[-1][0].partner_id))
        if not await self.store.replace_delivery(delivery.delivery_id, self.owner, deliveries, rest=left):
            return 0
        return len(deliveries)

    def _client_infos(
        self,
        receivers: list[Recipient],
        changes: list[tuple[str, str, str, str]],
        stamp: DateTime,
        correlation_id: str,
        last_updated: str | None = None,
    ) -> list[Delivery]:
        """One ClientInfo PUT per changed party (``(country_code, party_id, role, status)``) of a platform to each of
        ``receivers``.

        On a hub of 1,000 platforms this is 1,000 rows per party per change, so what is the same for every receiver
        (the body, the party's key and path) is built once per party, not once per row.
        """
        deliveries = []
        last_updated = last_updated or stamp.to_ocpi()
        parties = [
            (
                f"/{cc}/{pid}",
                f"|hubclientinfo|{party_key(cc, pid)}",
                msgspec.json.encode(
                    {"party_id": pid, "country_code": cc, "role": role, "status": status, "last_updated": last_updated}
                ),
            )
            for cc, pid, role, status in changes
        ]
        for r in receivers:
            base = r.url.rstrip("/")
            for path, stream, body in parties:
                deliveries.append(
                    self._delivery(
                        r, "PUT", base + path, body, r.partner.partner_id + stream, correlation_id, stamp, routed=False
                    )
                )
        return deliveries

    async def introduce(self, joined: Partner, status: str, *, by_rotation: bool = False) -> None:
        """A 2.2.1 platform that just connected is told, by a ClientInfo PUT each, every party already reachable
        through the hub: a 2.2.1 hub announces its parties only this way (its Credentials name the hub alone), and a
        2.2.1 receiver may refuse objects of a party it was never told of.

        Not when a connected platform added a party-role at a credentials PUT (``by_rotation``): it was introduced
        when it connected, and it could otherwise have the hub send it every party again at each PUT."""
        if (
            status != "CONNECTED"
            or by_rotation
            or joined.version != V221
            or Fault.CLIENTINFO_NOT_PUSHED in self._faults
        ):
            return
        url = endpoint_of(joined, "hubclientinfo", "RECEIVER")
        if url is None:
            return
        stamp = now()
        correlation_id = str(uuid.uuid4())
        recipient = Recipient(joined, party_key(joined.roles[0].country_code, joined.roles[0].party_id), url)
        deliveries = []
        for other in await self.active_partners():
            if other.partner_id == joined.partner_id:
                continue
            for role in other.roles:
                info = {
                    "party_id": role.party_id,
                    "country_code": role.country_code,
                    "role": role.role.value,
                    "status": "OFFLINE" if other.offline else "CONNECTED",
                    "last_updated": other.updated.to_ocpi(),
                }
                party = party_key(role.country_code, role.party_id)
                deliveries.append(
                    self._delivery(
                        recipient,
                        "PUT",
                        f"{url.rstrip('/')}/{role.country_code}/{role.party_id}",
                        msgspec.json.encode(info),
                        f"{joined.partner_id}|hubclientinfo|{party}",
                        correlation_id,
                        stamp,
                        routed=False,
                    )
                )
        if deliveries:
            await self.store.enqueue(deliveries)
            self.wake()

    # --- the worker ------------------------------------------------------------------------------------------------

    def wake(self) -> None:
        """New deliveries were stored by this process: look now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver until cancelled: claim when slots are free, wait for a send to finish, a wake-up or the poll.

        A claim is a write transaction that looks at every receiver with a backlog, so it is made for a batch of
        free slots (``_batch``), not for each send that finishes: at 2,500 deliveries a second, claiming after every
        answer cost more than the sends. New rows (a wake-up), an idle pool and the poll claim at once whatever
        is free, so a lone push still leaves at once."""
        idle = self.settings.delivery_poll
        batch = self._batch()
        sending: dict[asyncio.Task[None], Delivery] = {}
        woken = True
        try:
            while True:
                self._wake.clear()
                free = self.settings.delivery_concurrency - len(sending)
                if free > 0 and (woken or free >= batch or not sending):
                    try:
                        for delivery in await self._claim_or_plan(free):
                            task = asyncio.create_task(self._send_counted(delivery))
                            sending[task] = delivery
                            task.add_done_callback(sending.pop)
                    except Exception:
                        log.exception("claiming deliveries failed")
                elif len(self._done) >= batch:
                    await self._remove_delivered()
                wake = asyncio.ensure_future(self._wake.wait())
                try:
                    done, _ = await asyncio.wait(
                        {wake, *sending}, timeout=self._pace_wait(idle), return_when=asyncio.FIRST_COMPLETED
                    )
                finally:
                    wake.cancel()
                woken = wake in done or not done  # new rows, or the poll's (or the pace's) time is up
        finally:
            if self._parking is not None:
                self._parking.cancel()  # the store's park and unpark stop between two transactions
                with contextlib.suppress(asyncio.CancelledError):
                    await self._parking
                self._parking = None
            unfinished = dict(sending)
            for task in unfinished:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*unfinished, return_exceptions=True)
            with contextlib.suppress(Exception):
                await asyncio.shield(self._remove_delivered())
            with contextlib.suppress(Exception):
                await asyncio.shield(self._release([d for t, d in unfinished.items() if t.cancelled()]))

    async def _release(self, deliveries: list[Delivery]) -> None:
        """Give back the leases of the sends a stopping process cut short, so that the next process (another one, or
        this one restarted) takes them at once rather than when their leases run out (``delivery_lease``, 30 s by
        default): a hub restarted while a delivery was under way held it that long. Written back as claimed (an
        attempt already counted stays counted); one that did reach its receiver goes again under the same
        X-Request-ID, as after a crash. Only rows this process still holds are touched."""
        for delivery in deliveries:
            await self.store.reschedule(delivery, self.owner)

    def _batch(self) -> int:
        """Free slots worth a claim: an eighth of the pool (64 of 512), at least one."""
        return max(1, self.settings.delivery_concurrency // 8)

    async def deliver_due(self) -> int:
        """One batch: claim what is due and may be sent now (announcements planned into the room left first), send it
        all, wait for every send. Returns how many."""
        # The park or unpark the outbox needs first, and waited for: one batch does all of its work before it returns.
        await self.room()
        await self._parked_now()
        claimed = await self._claim_or_plan(self.settings.delivery_concurrency)
        if claimed:
            await asyncio.gather(*(self._send_counted(d) for d in claimed))
        await self._remove_delivered()
        return len(claimed)

    async def _remove_delivered(self) -> None:
        """Remove what was delivered since the last time, in one write.

        One DELETE per delivery was a write transaction per delivery. Held back here, a delivered row keeps its lease
        a little longer: no process sends it meanwhile, and the next change of its object waits behind it (the order
        per stream holds). If the process dies first, the row is sent again when its lease expires, with the same
        X-Request-ID: a repeat the receiver can recognise, never a second delivery under another id."""
        if not self._done:
            return
        done, self._done = self._done, []
        try:
            await self.store.delivered_many(done, self.owner)
        except Exception:
            self._done[:0] = done  # tried again with the next ones
            raise

    async def _claim_or_plan(self, free: int) -> list[Delivery]:
        """:meth:`_claim` ``free`` deliveries; when fewer were due, plan announcements into the room left
        (:meth:`_plan_when_room`) and claim again."""
        claimed = await self._claim(free)
        if len(claimed) < free and await self._plan_when_room(free - len(claimed)):
            claimed += await self._claim(free - len(claimed))
        return claimed

    async def _claim(self, free: int) -> list[Delivery]:
        """Lease up to ``free`` due deliveries, none to a receiver beyond its room (see :meth:`room`), after removing
        the delivered ones (which frees the next row of their streams)."""
        await self._remove_delivered()
        stamp = now()
        lease = DateTime.from_datetime(stamp + timedelta(seconds=self.settings.delivery_lease))
        claimed = await self.store.claim_deliveries(
            self.owner, stamp, lease, free, room=await self.room(), per_receiver=self.settings.delivery_per_receiver
        )
        for delivery in claimed:
            self._inflight[delivery.receiver] += 1
        return claimed

    async def room(self) -> dict[str, int]:
        """How many more deliveries each receiver that is busy or out of rotation may be sent now (the rest may have
        ``delivery_per_receiver``). Under ``store_and_forward`` a receiver out of rotation (breaker open, or found
        OFFLINE in the store) is left alone until it is back; under ``spec`` its deliveries are claimed and given up."""
        cap = self.settings.delivery_per_receiver
        room = {receiver: cap - n for receiver, n in self._inflight.items() if n > 0}
        offline: set[str] = set()
        if self.settings.delivery_policy == "store_and_forward":
            offline = await self.offline()
            for receiver in offline:
                room[receiver] = 0
        await self._park(offline)
        return room

    async def _park(self, offline: set[str]) -> None:
        """Keep the outbox's parked rows (``Outbox.park_deliveries``) those of the receivers out of rotation: a receiver
        out of rotation for long holds the oldest rows, and unparked they stopped every claim's walk, so that every
        claim asked each receiver for its own (on a hub of 1,000 platforms, about 5 ms of CPU per row claimed instead
        of about 20 µs). Its rows are parked when it goes out, and then what was enqueued for it since once per
        ``delivery_poll``; they are returned to the claims as soon as it is back (or gone: its rows then fail). A
        process's first look returns the rows of everyone not out of rotation now, whoever parked them before (a
        process that stopped, or a hub run before under ``store_and_forward``, since changed to ``spec``).

        The store's work runs in a task of its own, one at a time, and the claim goes on without waiting for it: a
        receiver back from an hour out holds 180,000 rows at 50 pushes a second, and unparking them (0.9 s on SQLite,
        2,000 rows per transaction) held up every claim of this process, so every other receiver's deliveries,
        until it was done. Nothing a claim takes depends on it: a receiver out of rotation has no room whether its
        rows are parked yet or not, and a returning one's rows come to the claims as they are unparked. Until the
        task has finished, :attr:`_parked` still says what was parked before it, so a failed one is tried again at
        the next claim."""
        if self._parking is not None:
            if not self._parking.done():
                return  # the next claim looks again
            self._parking = None
        parked = self._parked
        back = set() if parked is None else parked - offline
        clock = time.monotonic()
        park = bool(offline) and (parked is None or bool(offline - parked) or clock >= self._park_at)
        if parked is not None and not back and not park:
            self._parked = offline
            return
        self._parking = asyncio.create_task(self._keep_parked(offline, back, park), name="park deliveries")

    async def _keep_parked(self, offline: set[str], back: set[str], park: bool) -> None:
        """What :meth:`_park` decided, done in the store."""
        try:
            if self._parked is None:
                await self.store.unpark_deliveries(None, keep=offline)
            elif back:
                await self.store.unpark_deliveries(back)
            if self._parked is None or back:
                self._wake.set()  # rows came back to the claims: the worker claims now, not at its next poll
            if park:
                await self.store.park_deliveries(offline)
                self._park_at = time.monotonic() + self.settings.delivery_poll
            self._parked = offline
        except Exception:
            log.exception("parking or unparking deliveries failed; the next claim tries again")

    async def _parked_now(self) -> None:
        """Wait for the park or unpark under way, if any."""
        if self._parking is not None:
            await asyncio.shield(self._parking)

    async def offline(self) -> set[str]:
        """Partner ids of the receivers out of rotation (OFFLINE in the store), with the breaker following them."""
        await self._feed.refresh()
        self.breaker.sync(_MarkedAgo(self._offline, time.time()))
        return set(self._offline)

    async def _send_counted(self, delivery: Delivery) -> None:
        try:
            await self._send(delivery)
        except Exception:
            log.exception("delivery %s to %s failed unexpectedly", delivery.delivery_id, delivery.receiver)
        finally:
            self._inflight[delivery.receiver] -= 1
            if self._inflight[delivery.receiver] <= 0:
                del self._inflight[delivery.receiver]

    async def _send(self, delivery: Delivery) -> None:
        partner = await self.directory.partner(delivery.receiver)
        if partner is not None and partner.status is PartnerStatus.SUSPENDED:
            await self._failed(delivery, "the receiver is suspended by the operator", transport=True)
            return
        if partner is None or partner.status is not PartnerStatus.ACTIVE:
            await self._failed(delivery, "the receiver is not connected", transport=True)
            return
        if partner.offline:
            await self._out(delivery, "the receiver is out of rotation (offline, or failed deliveries in a row)")
            return
        headers = [("X-Request-ID", delivery.delivery_id), *delivery.headers]
        started = time.perf_counter()
        try:
            sent = await self.forwarder.send(partner, delivery.method, delivery.url, headers, delivery.body)
        except OcpiError as exc:  # the hub holds no usable token for the receiver
            await self._failed(delivery, exc.message, transport=True)
            return
        answer, status_code = sent.answer, sent.status_code
        error = ""
        if answer.outcome is not Outcome.OK:
            error = f"{answer.outcome.value.lower()}: {answer.detail}"
        elif answer.status >= 500:
            error = f"HTTP {answer.status}"
        elif status_code is None:
            error = f"HTTP {answer.status} without an OCPI answer"
        elif answer.status >= 300 or status_code >= 2000:
            error = f"refused: HTTP {answer.status}, status_code {status_code}"
        self._note(delivery, status_code, started, error)
        await self._keep(delivery, sent, error)
        if answer.outcome is not Outcome.OK or answer.status >= 500:
            await self._unreachable(partner, delivery, error)
            return
        self.breaker.delivered(delivery.receiver)
        health = self.forwarder.health
        if status_code is None:
            await health.failed(delivery.receiver, error)
            await self._failed(delivery, error, transport=True)
            return
        if health.marked(delivery.receiver):
            await health.answered(delivery.receiver)
        if error:
            await self._failed(delivery, error, transport=False)
            return
        self._done.append(delivery.delivery_id)
        self.forwarder.traffic.delivered(max((now() - delivery.created).total_seconds(), 0.0))

    async def _out(self, delivery: Delivery, error: str) -> None:
        """A delivery to a receiver out of rotation: given up as a failed send under ``spec``; under
        ``store_and_forward`` put back unchanged (no attempt counted), to wait for the receiver's return."""
        if self.settings.delivery_policy != "store_and_forward":
            await self._failed(delivery, error, transport=True)
            return
        delivery.due = DateTime.from_datetime(now() + timedelta(seconds=self.settings.delivery_poll))
        delivery.last_error = error
        await self.store.reschedule(delivery, self.owner)

    async def _keep(self, delivery: Delivery, sent: Sent, error: str) -> None:
        """What the receiver was sent and what it answered, kept for the operator's object and delivery views.

        Only a few a minute are kept; the redacted copy of the body is built only for those (building it for every
        delivery was a third of the worker's CPU at 50 receivers)."""
        if not self.forwarder.health.keeping():
            return
        parts = delivery.stream.split("|")
        await self.forwarder.health.keep(
            KeptExchange(
                request_id=delivery.delivery_id,
                at=now(),
                kind="delivery",
                sender=party_key(self.settings.country_code, self.settings.party_id),
                receiver=delivery.receiver,
                module=parts[1] if len(parts) > 1 else "",
                object_ref="|".join(parts[1:]) if len(parts) > 3 else "",
                method=delivery.method,
                url=redact_url(delivery.url),
                ok=not error,
                status_code=sent.status_code,
                http_status=sent.answer.status or None,
                error=error,
                request_headers=shown_headers(delivery.headers),
                request_body=shown_body(delivery.body),
                answer_body=shown_body(sent.answer.body) if error else "",
                expires=self.forwarder.health.expires(),
            )
        )

    async def _unreachable(self, partner: Partner, delivery: Delivery, error: str) -> None:
        """A send that failed for the receiver's sake: count it against the receiver, then retry or give up."""
        await self.forwarder.health.failed(delivery.receiver, error)
        if self.breaker.failed(delivery.receiver):
            log.warning(
                "receiver %s failed %d deliveries in a row (last: %s): out of rotation, marked OFFLINE",
                delivery.receiver,
                self.breaker.threshold,
                error[:200],
            )
            await self.mark(partner, offline=True)
        await self._failed(delivery, error, transport=True)

    async def mark(self, partner: Partner, *, offline: bool) -> None:
        """Store a receiver's connection status for routing (every process stops forwarding to an OFFLINE party) and
        tell the other platforms with a ClientInfo, once per change: the store's write is conditional on the current
        mark, so of several processes (or hub instances) that decide the same at once only one announces it."""
        changed = await self.store.set_offline(partner.partner_id, offline, now())
        if changed is None:  # so already, changed by another process, or no longer ACTIVE
            return
        self.directory.forget()  # routing in this process sees the change at once (4003 for an OFFLINE receiver)
        if not offline:
            await self.forwarder.health.answered(partner.partner_id)
        log.info("partner %s is %s", partner.partner_id, "offline" if offline else "back")
        await self.client_info(changed, "OFFLINE" if offline else "CONNECTED")

    def _note(self, delivery: Delivery, status_code: int | None, started: float, error: str = "") -> None:
        """The attempt, in the dashboard's traffic list (memory only)."""
        parts = delivery.stream.split("|")
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
                error=error,
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
            log.warning(
                "delivery %s to %s given up after %d attempt(s) (%s): %s",
                delivery.delivery_id,
                delivery.receiver,
                delivery.attempts,
                "transport failures" if transport else "refused by the receiver",
                delivery.last_error,
            )
        await self.store.reschedule(delivery, self.owner)


class _Announcement(msgspec.Struct, kw_only=True):
    """What one announcement row holds: whose parties changed, to what, and when."""

    partner_id: str
    status: str
    """The status of a party listed without one."""
    parties: list[list[str]]
    """``[country_code, party_id, role, status]`` of each changed party of the platform, and ``ADDED`` after them for
    a party the platform added at a credentials PUT while this row waited (rows written before announcements were
    folded list ``[country_code, party_id, role]``, all in ``status``)."""
    stamp: str
    """``last_updated`` of the ClientInfo objects: when the (latest) change happened, not when it was expanded."""
    after: str = ""
    """Partner id of the last receiver already planned: the row is planned a slice of receivers at a time, in the
    order of their partner ids, and this is where the next slice starts ("": none planned yet)."""

    def changes(self) -> list[tuple[str, str, str, str]]:
        """``(country_code, party_id, role, status)`` of each party, in the order first announced."""
        return [(p[0], p[1], p[2], p[3] if len(p) > 3 else self.status) for p in self.parties]


ADDED = "ADDED"
"""Marks a party in an announcement row whose first change in that row is the platform adding it at a credentials PUT:
the other platforms were not told it is connected (what they were last told of it, if anything, was SUSPENDED)."""


def _fold(waiting: bytes, new: bytes) -> bytes:
    """A platform's waiting announcement with a newer one folded in: each party once, with its latest status, and
    the newer change's moment as ``last_updated``.

    A party the platform added at a PUT while the row waited (``ADDED``) and dropped again before it went out is left
    out: the others were never told it is connected, and now it is not. Without that, a platform PUTting its
    credentials with new party ids each time made the waiting row list every party id it ever used, and each cost a
    ClientInfo PUT to every other platform when the row went out; now the row lists at most the parties the platform
    held when it was written and those it holds now."""
    first = msgspec.json.decode(waiting, type=_Announcement)
    then = msgspec.json.decode(new, type=_Announcement)
    latest: dict[tuple[str, str, str], str] = {}
    added: set[tuple[str, str, str]] = set()
    for row in (first, then):
        for entry, (cc, pid, role, status) in zip(row.parties, row.changes(), strict=True):
            key = (cc, pid, role)
            if key not in latest and entry[4:] == [ADDED]:
                added.add(key)  # its first change in this row: the platform added it
            latest[key] = status
    parties = [
        [cc, pid, role, status, ADDED] if (cc, pid, role) in added else [cc, pid, role, status]
        for (cc, pid, role), status in latest.items()
        if not ((cc, pid, role) in added and status == "SUSPENDED")
    ]
    return msgspec.json.encode(
        _Announcement(partner_id=first.partner_id, status=then.status, parties=parties, stamp=then.stamp)
    )


_PACED_LIMIT = 100_000
"""Platforms whose last paced announcement this process remembers (a forgotten one's next change is due at once)."""


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


__all__ = ("ANNOUNCEMENTS", "Breaker", "Deliveries", "Recipient", "Skip")
