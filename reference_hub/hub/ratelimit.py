"""Failed authentication, counted per client address in fixed windows.

Only failures cost anything here: a request whose token the process has cached as valid never reaches this module,
so the limit adds no work, lock or store write to the hot path. A client address that fails more than ``limit`` times
in one window gets HTTP 429 on its further unauthenticated attempts until the window ends (``Retry-After`` says how
long). What happened is logged once per window as a summary (how many failures, from how many addresses, which were
limited), not once per request.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

log = logging.getLogger("reference_hub.auth")

MAX_ADDRESSES = 100_000
"""Addresses counted per window; beyond that new addresses are counted together under one shared entry, so memory
stays bounded when a flood comes from very many addresses (e.g. rotating through an IPv6 prefix)."""
_OVERFLOW = "*"
_TOP = 3


class FailedAuthLimiter:
    """Per-address counters of failed authentications in the current window."""

    def __init__(self, limit: int, window: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        """Failures allowed per address and window; 0 means no limit (failures are still summarised)."""
        self.window = max(window, 0.001)
        self._clock = clock
        self._start = clock()
        self._failures: dict[str, int] = {}
        self._refused = 0

    def _roll(self, now: float) -> None:
        if now - self._start >= self.window:
            self._summarise()
            self._start = now - ((now - self._start) % self.window)
            self._failures = {}
            self._refused = 0

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

    def retry_after(self, address: str) -> int:
        """Seconds until ``address`` may try again, or 0 when it is not limited now."""
        now = self._clock()
        self._roll(now)
        if not self.limit or self._failures.get(address, 0) <= self.limit:
            return 0
        self._refused += 1
        return max(1, math.ceil(self.window - (now - self._start)))

    def failed(self, address: str) -> None:
        """Count one failed authentication of ``address``."""
        self._roll(self._clock())
        failures = self._failures
        if address not in failures and len(failures) >= MAX_ADDRESSES:
            address = _OVERFLOW
        failures[address] = failures.get(address, 0) + 1

    def flush(self) -> None:
        """Log the summary of the current window now (at shutdown)."""
        self._summarise()
        self._failures = {}
        self._refused = 0


__all__ = ("MAX_ADDRESSES", "FailedAuthLimiter")
