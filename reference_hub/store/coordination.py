"""What hub processes sharing one store agree on through it: who does a job meant to run once for all (a *lease*),
and when any of them last heard from each partner.

The still-alive check is the user: every process notes the partners that made requests to it and writes those
times to the store once per round, and only the process holding the ``liveness`` lease probes the silent ones. So N
processes (workers, or hub instances on several hosts) probe a party as often as one would, a party that talks only
to one of them is not probed by the others, and one ClientInfo is announced per change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from reference_hub.ocpi.datetime import DateTime

HEARD_PAGE = 1000
"""Last-heard times an adapter's :meth:`Coordination.heard_times` reads per statement, with a turn of the event loop
between two statements: read in one piece, 100,000 partners' times held the lease holder's requests for 80 ms on
SQLite and 190 ms on PostgreSQL."""


class Coordination(Protocol):
    """Every adapter passes tests/contract/test_coordination_contract.py."""

    async def take_lease(self, name: str, owner: str, now: DateTime, until: DateTime) -> bool:
        """Hold the lease ``name`` until ``until`` when nobody holds it, its holder's time ran out before ``now``, or
        ``owner`` holds it already (a renewal). True when ``owner`` now holds it."""

    async def note_heard(self, heard: Mapping[str, DateTime]) -> None:
        """Record that each partner (by id) was heard from at the given time; a partner keeps its latest time."""

    async def heard_times(self) -> dict[str, DateTime]:
        """The latest time any process recorded for each partner (read in pages of ``HEARD_PAGE``: a time recorded
        meanwhile may be seen or not, as a moment earlier or later)."""


__all__ = ("HEARD_PAGE", "Coordination")
