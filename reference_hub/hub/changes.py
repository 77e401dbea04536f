"""The one watcher of the store's change marker, behind every per-process cache of partners and tokens.

Each cache (callers by token, the directory of who serves which party, the reachable roles in the hub's Credentials,
the active partners a broadcast goes to) must be dropped when a partner or a token changes, in this process or in
any other sharing the store. The store's ``change_marker`` moves on every such change (SQLite's ``data_version`` and
a counter of its own writes; a time bucket or a change stream elsewhere); asking it costs a little, so a watcher
asks at most every ``interval`` seconds and says whether it moved since that watcher last looked.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import NamedTuple

from reference_hub.store import Partner, PartnerStatus, Store

MARKER_INTERVAL = 0.05
"""Seconds between two looks at the store's change marker: a token revoked through another process stops working
here within this long."""

COUNT_INTERVAL = 5.0
"""Seconds between two counts of the ACTIVE partners by a :class:`PartnerFeed` (its safety net), at least: a count
reads the whole status index, 4 to 11 ms on SQLite with 100,000 partners, in every process after every change, so a
platform changing its credentials a few times a second cost each process that much each time."""


class ChangeWatcher:
    """Has the store changed since I last looked? (At most one look per ``interval``.)"""

    __slots__ = ("_checked", "_interval", "_marker", "_store")

    def __init__(self, store: Store, interval: float = MARKER_INTERVAL) -> None:
        self._store = store
        self._interval = interval
        self._marker = store.change_marker()
        self._checked = time.monotonic()

    def changed(self) -> bool:
        """True once after each move of the marker (looked at when ``interval`` has passed since the last look)."""
        now = time.monotonic()
        if now - self._checked < self._interval:
            return False
        self._checked = now
        return self.moved()

    def moved(self) -> bool:
        """Look now, whatever the interval: True when the marker moved since the last look."""
        marker = self._store.change_marker()
        if marker == self._marker:
            return False
        self._marker = marker
        return True


class PartnerFeed:
    """Keeps the per-process views of the ACTIVE partners up to date (the deliveries' receivers, the reachable roles
    of the hub's Credentials), all from one read of what changed (:meth:`follow`): the one mechanism each such view
    used to carry a copy of, and, before the views shared a feed, to run for itself.

    After a change (here, or in another process, as the store's change marker tells) only what changed since the
    last look is read: the partners removed (:meth:`~reference_hub.store.base.PartnerStore.partners_removed`), each
    handed to ``removed(partner_id)`` unless it exists again, then the partners written
    (:meth:`~reference_hub.store.base.PartnerStore.partners_changed`), each handed to ``changed(partner, active)``.
    Removals come first, so a party removed and registered anew ends up in the view. Before the stores kept
    removals, a removal showed only as fewer ACTIVE partners in the store than the view held (``held()``), and the
    view was ``dropped()`` and every partner read again: 1.5 s in which a worker of a 100,000-party hub answered
    nothing, once per view and worker. That count stays as the safety net, for a removal older than the stores keep
    (``REMOVALS_KEPT``) or one committed between the two reads: fewer ACTIVE partners than held, or more twice in a
    row (one committed by another process after a read, then still missing), and every partner is read again. It
    counts at a change at most every ``COUNT_INTERVAL`` seconds: what it looks for is rare, and a count is not cheap.
    Re-reading every partner on each change instead cost a wave of registrations more than the registrations
    themselves.

    One caller at a time: a store that awaits its reads (PostgreSQL, MongoDB) lets another caller in meanwhile, and
    the marker's move was already taken by the first, so the second was handed the view from before the change (a
    push planned then missed a party that had just connected; a GET credentials listed the parties from before). It
    now waits for the read under way.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._views: list[_View] = []
        self._changes = ChangeWatcher(store, interval=0.0)
        self._reading = asyncio.Lock()
        self._cursor: str | None = None
        """Where the store's partner changes were last read up to (None: read every partner again)."""
        self._removals: str | None = None
        """Where the store's removals were last read up to."""
        self._current = False
        self._was_behind = False
        self._counted = -COUNT_INTERVAL
        """When the ACTIVE partners were last counted (``time.monotonic``)."""
        self.full_reads = 0
        """Reads of every partner (at the start, and when the count says the view missed something)."""

    def follow(
        self,
        *,
        changed: Callable[[Partner, bool], None],
        removed: Callable[[str], None],
        dropped: Callable[[], None],
        held: Callable[[], int],
    ) -> None:
        """Keep one more view up to date: ``changed(partner, active)`` for each partner written, ``removed(id)`` for
        each removed, ``dropped()`` before every partner is read again, ``held()`` the ACTIVE partners it holds. One
        feed serves every view of a process, so a change is read once for all of them; a view that joins late has
        every partner read again at the next refresh."""
        self._views.append(_View(changed, removed, dropped, held))
        self._cursor = None
        self._current = False

    def stale(self) -> None:
        """This process changed a partner: read the changes at the next :meth:`refresh`, whatever the marker says."""
        self._current = False

    async def refresh(self) -> None:
        """Bring the view up to date with the store."""
        async with self._reading:
            while True:
                moved = self._changes.moved()
                if self._current and not moved:
                    return
                self._current = False  # until a read completes: a failed one is tried again at the next call
                first = self._cursor is None
                if first:
                    for view in self._views:
                        view.dropped()
                    self.full_reads += 1
                    # Removals from now on: the whole read below holds no partner removed before it.
                    _, self._removals = await self._store.partners_removed(None)
                else:
                    removed, removals = await self._store.partners_removed(self._removals)
                    for partner_id in dict.fromkeys(removed):
                        if await self._store.get_partner(partner_id) is None:
                            for view in self._views:
                                view.removed(partner_id)
                        # else registered anew since: its write is among the changes read next, or was already
                    self._removals = removals
                changed, cursor = await self._store.partners_changed(self._cursor)
                for partner in changed:
                    active = partner.status is PartnerStatus.ACTIVE
                    for view in self._views:
                        view.changed(partner, active)
                if not first and self._views and time.monotonic() - self._counted >= COUNT_INTERVAL:
                    self._counted = time.monotonic()
                    counted = (await self._store.list_partners(statuses=(PartnerStatus.ACTIVE,), limit=0)).total
                    held = [view.held() for view in self._views]
                    behind = counted > min(held)
                    if counted < max(held) or (behind and self._was_behind):
                        self._cursor = None
                        continue
                    self._was_behind = behind
                self._cursor = cursor
                self._current = True
                return


class _View(NamedTuple):
    """What :meth:`PartnerFeed.follow` keeps of one view."""

    changed: Callable[[Partner, bool], None]
    removed: Callable[[str], None]
    dropped: Callable[[], None]
    held: Callable[[], int]


__all__ = ("MARKER_INTERVAL", "ChangeWatcher", "PartnerFeed")
