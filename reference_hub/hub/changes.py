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

from reference_hub.store import Partner, PartnerStatus, Store

MARKER_INTERVAL = 0.05
"""Seconds between two looks at the store's change marker: a token revoked through another process stops working
here within this long."""


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
    """Keeps one per-process view of the ACTIVE partners up to date (the deliveries' receivers, the reachable roles
    of the hub's Credentials): the one mechanism each such view used to carry a copy of.

    After a change (here, or in another process, as the store's change marker tells) only the partners written since
    the last look are read (:meth:`~reference_hub.store.base.PartnerStore.partners_changed`) and handed to
    ``changed(partner, active)``. A partner an operator removed is not among them (its row is gone): fewer ACTIVE
    partners in the store than the view holds (``held()``) means one was, and then the view is ``dropped()`` and
    every partner read again; more twice in a row (one committed by another process after a read, then still
    missing), likewise. Re-reading every partner on each change instead cost a wave of registrations more than the
    registrations themselves.

    One caller at a time: a store that awaits its reads (PostgreSQL, MongoDB) lets another caller in meanwhile, and
    the marker's move was already taken by the first, so the second was handed the view from before the change (a
    push planned then missed a party that had just connected; a GET credentials listed the parties from before). It
    now waits for the read under way.
    """

    def __init__(
        self,
        store: Store,
        *,
        changed: Callable[[Partner, bool], None],
        dropped: Callable[[], None],
        held: Callable[[], int],
    ) -> None:
        self._store = store
        self._changed = changed
        self._dropped = dropped
        self._held = held
        self._changes = ChangeWatcher(store, interval=0.0)
        self._reading = asyncio.Lock()
        self._cursor: str | None = None
        """Where the store's partner changes were last read up to (None: read every partner again)."""
        self._current = False
        self._was_behind = False

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
                    self._dropped()
                changed, cursor = await self._store.partners_changed(self._cursor)
                for partner in changed:
                    self._changed(partner, partner.status is PartnerStatus.ACTIVE)
                if not first:
                    counted = (await self._store.list_partners(statuses=(PartnerStatus.ACTIVE,), limit=0)).total
                    held = self._held()
                    behind = counted > held
                    if counted < held or (behind and self._was_behind):
                        self._cursor = None
                        continue
                    self._was_behind = behind
                self._cursor = cursor
                self._current = True
                return


__all__ = ("MARKER_INTERVAL", "ChangeWatcher", "PartnerFeed")
