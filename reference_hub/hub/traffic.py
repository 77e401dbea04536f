"""Recent routed traffic and per-minute counters, for the operator dashboard; kept in memory, per process.

What the hub forwards (direct and open routing) and what its delivery worker sends (broadcasts, ClientInfo pushes) is
noted here as it happens: one fixed-size record in a ring buffer and two additions to the current minute's counters.
No store write, no lock, no body and no token: time, parties, module, method, OCPI status, latency and the two ids.
With several worker processes each keeps its own (the dashboard shows the process that answered it).

Latency percentiles come from DDSketch (``ddsketch``): a mergeable quantile sketch with a 1 % relative error and a
bounded number of bins, one per time bucket: per minute for the last hour and per ten minutes for the last 24 hours,
for all forwards together and, for up to ``PARTIES`` receiving parties (the least recently used dropped first), for
everything sent to each (forwards and deliveries). Memory is bounded whatever the traffic.

Only the minute buckets take each latency. A ten-minute bucket is the merge of its ten minutes (a sketch merge adds
bin counts, so it reads exactly as if each latency had been added to it), made once when the next ten minutes begin,
and for the ten minutes under way when the dashboard reads them: each forward costs two sketch additions (its
receiver's minute, the routed minute) where adding to both spans cost four, the largest share of this module in a
routed request's CPU.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
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
    """The last ``count`` buckets of ``size`` seconds; with ``rollup``, each bucket that ends (a newer one begins)
    is handed to that coarser series (:class:`Rollup`) as well."""

    def __init__(self, size: int, count: int, rollup: Rollup | None = None) -> None:
        self.size = size
        self.count = count
        self._buckets: deque[Bucket] = deque(maxlen=count)
        self._rollup = rollup
        if rollup is not None:
            rollup.finer = self

    def add(self, at: float, latency_ms: float, failed: bool) -> None:
        start = int(at // self.size) * self.size
        buckets = self._buckets
        if not buckets or buckets[-1].start < start:
            if buckets and self._rollup is not None:
                self._rollup.ended(buckets, start)
            buckets.append(Bucket(start))
        newest = buckets[-1]
        if newest.start == start:
            _count(newest, latency_ms, failed)
            return
        # Noted late, after a newer bucket began (rare): counted where its own bucket is kept.
        if self._rollup is not None:
            self._rollup.late(at, latency_ms, failed)
        bucket = next((b for b in reversed(buckets) if b.start == start), None)
        if bucket is not None:
            _count(bucket, latency_ms, failed)

    def buckets(self, now: float) -> list[Bucket]:
        """One bucket per slot of the span ending now, oldest first, empty ones where nothing happened."""
        return _slots(self._buckets, self.size, self.count, now)

    def since(self, start: int) -> list[Bucket]:
        """The kept buckets that start at or after ``start``, oldest first."""
        return [b for b in self._buckets if b.start >= start]


class Rollup:
    """A coarser series made of the buckets of a finer one (:class:`Series` with ``rollup``): ten-minute buckets
    from minute buckets. A bucket whose time is over is kept merged; the one under way is merged when read."""

    def __init__(self, size: int, count: int) -> None:
        self.size = size
        self.count = count
        self._buckets: deque[Bucket] = deque(maxlen=count)
        self.folded = 0
        """Finer buckets that start before this (epoch seconds) are merged into ``_buckets`` already."""
        self.finer: Series | None = None
        """The series that hands this its ended buckets (set by it), read for the ones under way."""

    def ended(self, finer: deque[Bucket], next_start: int) -> None:
        """The finer series begins a bucket at ``next_start``: merge every slot of this series that ended before it."""
        until = int(next_start // self.size) * self.size
        if until <= self.folded:
            return
        for bucket in _merged([b for b in finer if self.folded <= b.start < until], self.size):
            self._buckets.append(bucket)
        self.folded = until

    def late(self, at: float, latency_ms: float, failed: bool) -> None:
        """An exchange noted after the finer series began a newer bucket: counted here when its slot is merged
        already (else it is merged with its finer bucket, if that is kept)."""
        if at >= self.folded:
            return
        start = int(at // self.size) * self.size
        bucket = next((b for b in reversed(self._buckets) if b.start == start), None)
        if bucket is not None:
            _count(bucket, latency_ms, failed)

    def buckets(self, now: float) -> list[Bucket]:
        """As :meth:`Series.buckets`, the slots under way merged from the finer series' buckets now."""
        under_way = _merged(self.finer.since(self.folded), self.size) if self.finer is not None else []
        return _slots([*self._buckets, *under_way], self.size, self.count, now)


def _count(bucket: Bucket, latency_ms: float, failed: bool) -> None:
    bucket.sent += 1
    bucket.failed += failed
    if bucket.sketch is None:
        bucket.sketch = DDSketch(relative_accuracy=ACCURACY)
    bucket.sketch.add(max(latency_ms, 0.001))


def _merged(finer: list[Bucket], size: int) -> list[Bucket]:
    """``finer`` buckets (oldest first) merged into buckets of ``size`` seconds, one per slot that has any."""
    out: list[Bucket] = []
    for bucket in finer:
        start = bucket.start // size * size
        if not out or out[-1].start != start:
            out.append(Bucket(start))
        into = out[-1]
        into.sent += bucket.sent
        into.failed += bucket.failed
        if bucket.sketch is not None:
            if into.sketch is None:
                into.sketch = DDSketch(relative_accuracy=ACCURACY)
            into.sketch.merge(bucket.sketch)
    return out


def _slots(kept: Iterable[Bucket], size: int, count: int, now: float) -> list[Bucket]:
    last = int(now // size) * size
    by_start = {b.start: b for b in kept}
    return [by_start.get(s) or Bucket(s) for s in range(last - (count - 1) * size, last + 1, size)]


HOUR = (60, 60)
"""Bucket size and count of the last-hour series."""
DAY = (600, 144)
"""... and of the last-24-hours series (rolled up from the hour's: see :class:`Rollup`)."""


def _spans() -> tuple[Series, Rollup]:
    """(last hour, last 24 hours): the hour's buckets take each exchange, the day's are merged from them."""
    day = Rollup(*DAY)
    return Series(*HOUR, rollup=day), day


class Traffic:
    """The ring buffer, the minute counters and the latency series."""

    def __init__(self, *, recent: int = RECENT, clock: Callable[[], float] = time.time) -> None:
        self._recent: deque[Exchange] = deque(maxlen=recent)
        self._minutes: deque[Minute] = deque(maxlen=MINUTES)
        self._clock = clock
        self._routed = _spans()
        self._parties: OrderedDict[str, tuple[Series, Rollup]] = OrderedDict()

    def series(self, party: str | None = None) -> tuple[Series, Rollup] | None:
        """(last hour, last 24 hours): of every forward, or of what was sent to ``party`` (None when nothing was)."""
        if party is None:
            return self._routed
        return self._parties.get(_party(party))

    def _party_series(self, receiver: str) -> tuple[Series, Rollup]:
        key = _party(receiver)
        found = self._parties.get(key)
        if found is None:
            found = self._parties[key] = _spans()
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
        self._party_series(exchange.receiver)[0].add(exchange.at, exchange.latency_ms, failed)
        if exchange.kind == "forward":
            self._routed[0].add(exchange.at, exchange.latency_ms, failed)
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


__all__ = ("Bucket", "Exchange", "Minute", "Rollup", "Series", "Traffic")
