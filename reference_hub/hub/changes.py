"""The one watcher of the store's change marker, behind every per-process cache of partners and tokens.

Each cache (callers by token, the directory of who serves which party, the reachable roles in the hub's Credentials,
the active partners a broadcast goes to) must be dropped when a partner or a token changes, in this process or in
any other sharing the store. The store's ``change_marker`` moves on every such change (SQLite's ``data_version`` and
a counter of its own writes; a time bucket or a change stream elsewhere); asking it costs a little, so a watcher
asks at most every ``interval`` seconds and says whether it moved since that watcher last looked.
"""

from __future__ import annotations

import time

from reference_hub.store import Store

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


__all__ = ("MARKER_INTERVAL", "ChangeWatcher")
