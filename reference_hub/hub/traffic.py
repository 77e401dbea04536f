"""Recent routed traffic and per-minute counters, for the operator dashboard; kept in memory, per process.

What the hub forwards (direct and open routing) and what its delivery worker sends (broadcasts, ClientInfo pushes) is
noted here as it happens: one fixed-size record in a ring buffer and two additions to the current minute's counters.
No store write, no lock, no body and no token: time, parties, module, method, OCPI status, latency and the two ids.
With several worker processes each keeps its own (the dashboard shows the process that answered it).

Latency percentiles come from DDSketch (``ddsketch``): a mergeable quantile sketch with a 1 % relative error and a
bounded number of bins, one per time bucket: per minute for the last hour and per ten minutes for the last 24 hours,
for all forwards together and, for up to ``PARTIES`` receiving parties (the least recently used dropped first), for
everything sent to each (forwards and deliveries). Memory is bounded whatever the traffic.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

import msgspec
from ddsketch import DDSketch

RECENT = 2000
"""Routed requests kept per process."""
MINUTES = 60
"""Minutes of counters kept (the charts' hour)."""
PARTIES = 200
"""Receiving parties whose own latency and error series are kept."""
ACCURACY = 0.01
"""Relative accuracy of the latency sketches (a p99 of 200 ms is read as 198 to 202 ms)."""


class Exchange(msgspec.Struct, frozen=True):
    """One request the hub sent to a party on someone's behalf (a msgspec struct: one is made per forward and per
    delivery, and a frozen dataclass took ten times as long to build)."""

    at: float
    """Wall-clock time (seconds since the epoch) the hub sent it."""
    kind: str
    """``forward`` (a routed request, answered back to its sender) or ``delivery`` (sent by the outbox)."""
    sender: str
    """``CC/PID`` of the requesting party, or the hub's own for a delivery."""
    receiver: str
    """``CC/PID`` of the receiving party, or its partner id for a delivery."""
    module: str
    method: str
    status_code: int | None
    """The OCPI status code of the answer (the hub's own 4xxx when the receiver could not be used)."""
    latency_ms: float
    request_id: str
    correlation_id: str
    error: str = ""
    """Why it failed when no OCPI answer came back (timeout, refused connection, HTTP status)."""


@dataclass(slots=True)
class Minute:
    """Counters of one wall-clock minute."""

    start: int
    """Epoch seconds of the minute's start."""
    routed: int = 0
    routed_ms: float = 0.0
    failed: int = 0
    """Routed requests answered with anything but status 1000."""
    delivered: int = 0
    delivery_s: float = 0.0
    """Sum of the time from a delivery's creation to its arrival (for the mean delivery latency)."""


@dataclass(slots=True)
class Bucket:
    """Requests of one time bucket: how many, how many failed, and their latency sketch (None while empty)."""

    start: int
    sent: int = 0
    failed: int = 0
    sketch: DDSketch | None = field(default=None, repr=False)

    def quantile(self, q: float) -> float | None:
        return None if self.sketch is None else self.sketch.get_quantile_value(q)

    @property
    def error_rate(self) -> float | None:
        return None if not self.sent else self.failed / self.sent


class Series:
    """The last ``count`` buckets of ``size`` seconds."""

    def __init__(self, size: int, count: int) -> None:
        self.size = size
        self.count = count
        self._buckets: deque[Bucket] = deque(maxlen=count)

    def add(self, at: float, latency_ms: float, failed: bool) -> None:
        start = int(at // self.size) * self.size
        buckets = self._buckets
        if not buckets or buckets[-1].start < start:
            buckets.append(Bucket(start))
        bucket: Bucket | None = buckets[-1]  # nearly always the newest; an older one only for an exchange noted late
        if bucket is not None and bucket.start != start:
            bucket = next((b for b in reversed(buckets) if b.start == start), None)
        if bucket is None:  # older than the newest bucket and not kept
            return
        bucket.sent += 1
        bucket.failed += failed
        if bucket.sketch is None:
            bucket.sketch = DDSketch(relative_accuracy=ACCURACY)
        bucket.sketch.add(max(latency_ms, 0.001))

    def buckets(self, now: float) -> list[Bucket]:
        """One bucket per slot of the span ending now, oldest first, empty ones where nothing happened."""
        last = int(now // self.size) * self.size
        by_start = {b.start: b for b in self._buckets}
        return [by_start.get(s) or Bucket(s) for s in range(last - (self.count - 1) * self.size, last + 1, self.size)]


HOUR = (60, 60)
"""Bucket size and count of the last-hour series."""
DAY = (600, 144)
"""... and of the last-24-hours series."""


class Traffic:
    """The ring buffer, the minute counters and the latency series."""

    def __init__(self, *, recent: int = RECENT, clock: Callable[[], float] = time.time) -> None:
        self._recent: deque[Exchange] = deque(maxlen=recent)
        self._minutes: deque[Minute] = deque(maxlen=MINUTES)
        self._clock = clock
        self._routed = (Series(*HOUR), Series(*DAY))
        self._parties: OrderedDict[str, tuple[Series, Series]] = OrderedDict()

    def series(self, party: str | None = None) -> tuple[Series, Series] | None:
        """(last hour, last 24 hours): of every forward, or of what was sent to ``party`` (None when nothing was)."""
        if party is None:
            return self._routed
        return self._parties.get(_party(party))

    def _party_series(self, receiver: str) -> tuple[Series, Series]:
        key = _party(receiver)
        found = self._parties.get(key)
        if found is None:
            found = self._parties[key] = (Series(*HOUR), Series(*DAY))
            if len(self._parties) > PARTIES:
                self._parties.popitem(last=False)
        else:
            self._parties.move_to_end(key)
        return found

    def _minute(self, at: float) -> Minute:
        start = int(at // 60) * 60
        minutes = self._minutes
        if not minutes or minutes[-1].start != start:
            minutes.append(Minute(start))
        return minutes[-1]

    def note(self, exchange: Exchange) -> None:
        """A request was sent and answered (or failed)."""
        self._recent.append(exchange)
        failed = exchange.status_code != 1000
        for series in self._party_series(exchange.receiver):
            series.add(exchange.at, exchange.latency_ms, failed)
        if exchange.kind == "forward":
            for series in self._routed:
                series.add(exchange.at, exchange.latency_ms, failed)
            minute = self._minute(exchange.at)
            minute.routed += 1
            minute.routed_ms += exchange.latency_ms
            if exchange.status_code != 1000:
                minute.failed += 1

    def delivered(self, seconds: float) -> None:
        """A delivery reached its receiver ``seconds`` after the hub accepted what caused it."""
        minute = self._minute(self._clock())
        minute.delivered += 1
        minute.delivery_s += seconds

    def recent(
        self, *, party: str | None = None, correlation_id: str | None = None, limit: int = 200
    ) -> list[Exchange]:
        """Newest first, optionally only those involving ``party`` (``CC/PID`` or partner id, either side) or carrying
        ``correlation_id``."""
        found = []
        party = _party(party) if party else None
        for exchange in reversed(self._recent):
            if party and party not in (_party(exchange.sender), _party(exchange.receiver)):
                continue
            if correlation_id and exchange.correlation_id != correlation_id:
                continue
            found.append(exchange)
            if len(found) >= limit:
                break
        return found

    @property
    def capacity(self) -> int:
        """How many exchanges the ring keeps."""
        return self._recent.maxlen or 0

    def page(
        self,
        *,
        party: str | None = None,
        correlation_id: str | None = None,
        failed: bool = False,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[Exchange], int]:
        """Newest first, filtered like :meth:`recent` (``failed``: only those not answered 1000): one page and how
        many match in all."""
        party = _party(party) if party else None
        found = [
            e
            for e in reversed(self._recent)
            if (not party or party in (_party(e.sender), _party(e.receiver)))
            and (not correlation_id or e.correlation_id == correlation_id)
            and (not failed or e.status_code != 1000)
        ]
        return found[offset : offset + limit], len(found)

    def last_hour(self) -> list[Minute]:
        """One entry per minute of the last hour, oldest first, zeros where nothing happened."""
        now = int(self._clock() // 60) * 60
        by_start = {m.start: m for m in self._minutes}
        return [by_start.get(start) or Minute(start) for start in range(now - (MINUTES - 1) * 60, now + 60, 60)]


def _party(name: str) -> str:
    """``CC/PID`` and the partner id ``CC-PID`` compare equal (deliveries are addressed to partner ids)."""
    return name.strip().upper().replace("-", "/", 1)


__all__ = ("Bucket", "Exchange", "Minute", "Series", "Traffic")
