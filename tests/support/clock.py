"""A hand-driven stand-in for ``time.monotonic``, for unit tests of the limiters and the breaker: a test moves
``now`` itself instead of waiting."""

from __future__ import annotations


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
