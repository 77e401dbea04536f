"""How each receiving party is doing, as the hub's own sends find out, and the failed exchanges kept to look at.

The still-alive check (``hub/liveness.py``) learns that a party is gone only after ``alive_after`` seconds, and the
breaker (``hub/outbox.py``) takes a receiver out of rotation only after ``delivery_breaker`` failures in a row. An
operations desk needs to know at the first failure: a forward that timed out or got no OCPI answer, a delivery that
could not be sent. The first such failure marks the party DEGRADED in the store (with its error; every process and
every restart sees it), further failures update the error at most every ``_REFRESH`` seconds, and the first answer
after that clears the mark. A success on the token path costs a set lookup: nothing is written unless the party was
marked.

Exchanges kept (:class:`~reference_hub.store.desk.KeptExchange`) have their bodies capped at ``BODY_CAP`` characters
and redacted (no ``Authorization`` header, no ``token`` field), and carry an expiry (``exchange_keep_hours``); at most
``_KEEP_PER_MINUTE`` are written per minute and process, so a party flooding failing requests costs bounded writes.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import msgspec

from reference_hub.ocpi.datetime import DateTime, now
from reference_hub.store import Store
from reference_hub.store.desk import HealthMark, KeptExchange

log = logging.getLogger("reference_hub.health")

BODY_CAP = 4096
"""Characters of a request or answer body kept."""
_REFRESH = 10.0
"""Seconds between two updates of a DEGRADED party's last error."""
_KEEP_PER_MINUTE = 120
_SECRET_FIELDS = frozenset({"token", "authorization", "password"})
_SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie"})


def _redact(value: object) -> object:
    if isinstance(value, dict):
        return {k: ("(hidden)" if k.lower() in _SECRET_FIELDS else _redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


def shown_body(body: bytes | None) -> str:
    """A body as kept: JSON with its secret fields hidden, cut at ``BODY_CAP`` characters; non-JSON is kept only as
    its length (it might be anything)."""
    if not body:
        return ""
    try:
        text = msgspec.json.encode(_redact(msgspec.json.decode(body))).decode()
    except msgspec.DecodeError:
        return f"({len(body)} bytes, not JSON)"
    return text if len(text) <= BODY_CAP else text[:BODY_CAP] + f" … ({len(text)} characters)"


def shown_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower() not in _SECRET_HEADERS]


def stamp(epoch: float) -> DateTime:
    """A wall-clock reading (``time.time()``) as the store keeps times."""
    return DateTime.from_datetime(datetime.fromtimestamp(epoch, UTC))


class Health:
    """DEGRADED marks and kept exchanges for one hub process (``store`` None: memory only, for unit tests)."""

    def __init__(self, store: Store | None, *, keep_hours: float = 24.0, clock: Callable[[], float] = time.monotonic):
        self.store = store
        self.keep_hours = keep_hours
        self._clock = clock
        self._marked: dict[str, float] = {}
        """Partner id -> when this process last wrote its mark (monotonic)."""
        self._kept: deque[float] = deque()

    def marked(self, partner_id: str) -> bool:
        return partner_id in self._marked

    async def failed(self, partner_id: str, error: str) -> None:
        """A send to the party failed for the party's sake (no answer, no OCPI answer, HTTP 5xx)."""
        clock = self._clock()
        last = self._marked.get(partner_id)
        if last is not None and clock - last < _REFRESH:
            return
        self._marked[partner_id] = clock
        if self.store is None:
            return
        stamp = now()
        try:
            await self.store.mark_degraded(HealthMark(partner_id=partner_id, since=stamp, error=error[:500], at=stamp))
        except Exception:
            log.warning("could not mark %s DEGRADED", partner_id, exc_info=True)

    async def answered(self, partner_id: str) -> None:
        """The party answered: clear its mark, if this process set one (or learnt of one)."""
        if self._marked.pop(partner_id, None) is None or self.store is None:
            return
        try:
            if await self.store.clear_degraded(partner_id):
                log.info("partner %s answers again: no longer DEGRADED", partner_id)
        except Exception:
            log.warning("could not clear the DEGRADED mark of %s", partner_id, exc_info=True)

    async def learn(self) -> None:
        """Take up the marks other processes (or this one before a restart) wrote, so that the first answer here
        clears them too."""
        if self.store is None:
            return
        clock = self._clock()
        for partner_id in await self.store.degraded():
            self._marked.setdefault(partner_id, clock - _REFRESH)

    def expires(self) -> DateTime:
        return DateTime.from_datetime(now() + timedelta(hours=self.keep_hours))

    def keeping(self) -> bool:
        """Whether :meth:`keep` would keep an exchange now: a caller that sends thousands a second builds one (a
        redacted copy of its body) only then."""
        if self.store is None:
            return False
        clock = self._clock()
        while self._kept and clock - self._kept[0] >= 60.0:
            self._kept.popleft()
        return len(self._kept) < _KEEP_PER_MINUTE

    async def keep(self, exchange: KeptExchange) -> None:
        """Keep an exchange to be looked at (at most ``_KEEP_PER_MINUTE`` a minute from this process)."""
        if self.store is None or not self.keeping():
            return
        self._kept.append(self._clock())
        try:
            await self.store.keep_exchange(exchange)
        except Exception:
            log.warning("could not keep exchange %s", exchange.request_id, exc_info=True)


__all__ = ("BODY_CAP", "Health", "shown_body", "shown_headers", "stamp")
