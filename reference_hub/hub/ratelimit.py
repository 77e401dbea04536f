"""Failed authentications, counted per client address, for every secret the hub takes: OCPI credentials tokens,
the admin key (``X-Admin-Key``) and the dashboard's sign-in; and the rate budget of each platform (:class:`PartyPace`).

One limiter serves all three, so guessing one secret cannot be spread over the others. It answers before any lookup:
an address that failed more than ``limit`` times (an admin-key failure weighs :data:`ADMIN_WEIGHT`) in one window is
locked out for ``lockout`` seconds (twice as long each further time, up to an hour), and every attempt it makes
meanwhile is refused with HTTP 429 and ``Retry-After``, the right secret included, so a guesser learns nothing from
the answers. What was refused is
summarised once per window and each lock-out is logged once (address, what was guessed, never a secret).

Only failures cost anything: a request whose token this process has already seen as valid never reaches the
limiter, and a caller that has authenticated before is never locked out by another caller's failures from its
address (partners may share one address with whoever is failing; see ``Authenticator.proven``).
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable

from reference_hub.hub.bounded import put_newest

log = logging.getLogger("reference_hub.auth")

MAX_ADDRESSES = 100_000
"""Addresses counted per window; beyond that new addresses are counted together under one shared entry, so memory
stays bounded when a flood comes from very many addresses (e.g. rotating through an IPv6 prefix)."""
ADMIN_WEIGHT = 10
"""How many token failures one wrong admin key or dashboard sign-in counts as: the admin key opens everything, so
an address gets a tenth of the guesses."""
MAX_LOCKOUT = 3600.0
"""Longest lock-out, however often an address was locked out before."""
_OVERFLOW = "*"
_TOP = 3


class FailedAuthLimiter:
    """Per-address counters of failed authentications in the current window, and the addresses locked out."""

    def __init__(
        self, limit: int, window: float, lockout: float | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        """Failures allowed per address and window; 0 means no limit (failures are still summarised)."""
        self.window = max(window, 0.001)
        self.lockout = self.window if lockout is None else max(lockout, 0.001)
        """Seconds an address stays locked out once it passed the limit."""
        self._clock = clock
        self._start = clock()
        self._failures: dict[str, int] = {}
        self._locked: dict[str, float] = {}
        """Address -> monotonic time its lock-out ends."""
        self._strikes: OrderedDict[str, int] = OrderedDict()
        """Address -> lock-outs so far: each one lasts twice the one before (a sustained guesser slows down)."""
        self._refused = 0

    def _roll(self, now: float) -> None:
        if now - self._start >= self.window:
            self._summarise()
            self._start = now - ((now - self._start) % self.window)
            self._failures = {}
            self._refused = 0
            self._locked = {a: until for a, until in self._locked.items() if until > now}

    def _summarise(self) -> None:
        if not self._failures:
            return
        total = sum(self._failures.values())
        limited = sorted(((n, a) for a, n in self._failures.items() if self.limit and n > self.limit), reverse=True)
        shown = ", ".join(f"{a} ({n})" for n, a in limited[:_TOP])
        log.warning(
            "%d failed authentications from %d addresses in %.0f s; %d limited%s; %d requests answered 429",
            total,
            len(self._failures),
            self.window,
            len(limited),
            f": {shown}" if shown else "",
            self._refused,
        )

    def locked(self, address: str) -> int:
        """Seconds until ``address`` may try again (0: it may now). Counts the attempt as refused when it is locked."""
        now = self._clock()
        self._roll(now)
        until = self._locked.get(address)
        if until is None and address not in self._failures and len(self._failures) >= MAX_ADDRESSES:
            until = self._locked.get(_OVERFLOW)  # counted together with the other addresses beyond the bound
        if until is None or until <= now:
            return 0
        self._refused += 1
        return max(1, math.ceil(round(until - now, 3)))

    def failed(self, address: str, what: str = "credentials token", weight: int = 1) -> int:
        """Count a failed authentication of ``address`` (``what`` names the secret, for the log); the seconds it is
        now locked out for (0: not locked)."""
        now = self._clock()
        self._roll(now)
        failures = self._failures
        if address not in failures and len(failures) >= MAX_ADDRESSES:
            address = _OVERFLOW
        count = failures[address] = failures.get(address, 0) + weight
        if not self.limit or count <= self.limit:
            return 0
        if self._locked.get(address, 0.0) <= now:
            strikes = self._strikes.get(address, 0) + 1
            put_newest(self._strikes, address, strikes, MAX_ADDRESSES)  # the oldest addresses are dropped first
            seconds = min(self.lockout * 2 ** (strikes - 1), MAX_LOCKOUT)
            self._locked[address] = now + seconds
            log.warning(
                "locked out %s for %.0f s after %d failed authentications in %.0f s (last: %s; lock-out %d)",
                "addresses beyond the counted ones" if address == _OVERFLOW else address,
                seconds,
                count,
                self.window,
                what,
                strikes,
            )
        return max(1, math.ceil(round(self._locked[address] - now, 3)))

    def flush(self) -> None:
        """Log the summary of the current window now (at shutdown)."""
        self._summarise()
        self._failures = {}
        self._refused = 0


class PartyPace:
    """A rate budget per platform: ``rate`` requests per second in one process, with bursts of up to one second's
    worth, shaped rather than policed.

    A request beyond the budget waits for its turn (up to ``max_wait`` seconds, while it counts among the platform's
    requests under way) instead of being refused at once. Refusing costs the hub nearly as much as serving: a flooding
    client that retries a 429 at once makes the hub parse, authenticate and answer as fast as it can send, and the
    other platforms' requests queue behind that work. A request that waits costs nothing until its turn, so a flood
    takes only its budget of the hub's CPU and the others keep their latency. Only a request whose turn lies further
    away than ``max_wait`` is refused (HTTP 429 with ``Retry-After``), and a flood holds at most ``party_requests``
    requests waiting.

    The bookkeeping is one number per platform (the generic cell rate algorithm's theoretical arrival time): the time
    at which the platform's budget would be spent if every request so far had come at the budgeted rate.
    """

    def __init__(self, rate: float, max_wait: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.burst = 1.0 if rate > 0 else 0.0
        self.max_wait = max_wait
        self.clock = clock
        self._due: dict[str, float] = {}

    def turn(self, party: str) -> float:
        """Seconds this request must wait for its turn (0: go now), or a negative number: minus the seconds after
        which to retry, the request being refused."""
        if not self.interval:
            return 0.0
        now = self.clock()
        due = max(self._due.get(party, now), now)
        wait = due - self.burst - now
        if wait > self.max_wait:
            return -wait
        self._due[party] = due + self.interval
        if len(self._due) > MAX_ADDRESSES:  # platforms idle for longer than a burst owe nothing: forget them
            self._due = {key: value for key, value in self._due.items() if value > now}
        return max(wait, 0.0)

    def charge(self, party: str, requests: float) -> None:
        """Count ``requests`` more against the platform's budget, for an answer that cost the hub as much as that many
        requests (see :func:`answer_weight`): its next requests wait for their turn, or are refused, accordingly."""
        if not self.interval or requests <= 0:
            return
        now = self.clock()
        self._due[party] = max(self._due.get(party, now), now) + requests * self.interval


ANSWER_UNIT = 65_536
"""Bytes of an answer that cost the hub about as much as one request: a 2.3.0 Credentials answer listing 100,000
parties (9.6 MB) takes 7 ms of the server's CPU (9 to 10 ms when it was written whole), an ordinary request 60 to
80 µs."""


def answer_weight(size: int) -> int:
    """How many requests beyond itself an answer of ``size`` bytes counts as in its platform's rate budget.

    Only answers whose size the hub, not the caller, decides are charged: the Credentials answers list every party
    reachable through the hub. Counted as one request each, they let a single platform reading its Credentials in a
    loop on four connections take most of a 100,000-party hub: 134 answers a second, 1.4 of its 2 cores."""
    return size // ANSWER_UNIT


__all__ = (
    "ADMIN_WEIGHT",
    "ANSWER_UNIT",
    "MAX_ADDRESSES",
    "MAX_LOCKOUT",
    "FailedAuthLimiter",
    "PartyPace",
    "answer_weight",
)
