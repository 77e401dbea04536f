"""Every token hash a partner or an invitation holds, kept in memory by each process, so that a header it has not
cached yet costs no store statement, whether the token is known or not.

Authentication caches what each Authorization header resolved to (``hub/auth.py``), but a process meets each of its
partners' headers for the first time once after it starts and once after every change of the party list (which
empties that cache), and every made-up token is new to it. With 100,000 partners those first looks were most of the
hub's work for minutes: one store statement each, about 20 µs on SQLite, more than the rest of the request; and a
flood of made-up tokens cost a statement per request. The index answers both from a dictionary.

What it holds, and why its answers are the store's:

- what ``Store.token_holders`` would return for any hash: the PENDING, ACTIVE and SUSPENDED partners' token holders
  (``Store.live_token_holders``) and the unused invitations (``Store.list_invitations``), expiry included;
- it is read in pages between two looks at the store's change marker, and kept only when the marker did not move in
  between (no partner or invitation was written meanwhile) and nothing told this process of a change;
- every answer looks at the marker again first (not once per ``MARKER_INTERVAL`` as the header cache does) and the
  index stops answering as soon as it moved: a token rotated or revoked through another process is refused here,
  and one issued there is accepted here, from the moment that write committed, as a store lookup would. That needs
  a marker that has moved when the write commits (``Store.exact_marker``: SQLite's). PostgreSQL's moves when the
  notification arrives, a moment later, and MongoDB's is a time bucket, so those stores get no index.

Reading it costs about 5 ms of CPU per thousand partners (0.4 to 0.6 s for 100,000; the index then holds about
26 MB), in pages with a yield between them so that no request waits for the whole. After a change the next read
waits at least ``MIN_GAP`` seconds and ten times as long as the last read took, and twice as long after each read
thrown away (up to ``MAX_GAP``), so a wave of registrations (each one moves the marker) cannot make a process spend
more than a tenth of its time reading; meanwhile tokens are looked up in the store, as without an index. Beyond
``LIMIT`` partners no index is kept: each process would hold hundreds of megabytes. An answer from the index costs
the look at the marker and two dictionary lookups. On SQLite the look reads the WAL-index header the store maps (a
few µs in a served worker under load) and asks ``PRAGMA data_version`` only once that header moved; asked every
time, the pragma cost 17 µs under the same load, against 10 to 20 µs for the store's statement itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence

from reference_hub.store import Store, TokenHolder

log = logging.getLogger(__name__)

PAGE = 500
"""Holders read per store statement, with a turn of the event loop after each: 2 to 6 ms on SQLite (with 2,000 a
page, 9 to 13 ms, and over 20 ms in a served worker; the whole read costs the same either way)."""
LIMIT = 500_000
"""Most partners (and, apart, unused invitations) indexed per process (about 260 bytes each); a larger hub looks
every header it has not cached up in the store."""
MIN_GAP = 1.0
"""Seconds between the end of one read of the index and the start of the next, at least."""
GAP_FACTOR = 10.0
"""... and at least this many times as long as the last read took."""
MAX_GAP = 60.0
"""Longest wait between reads: each read thrown away (something was written while it ran) doubles the wait, up to
this, so that a steady stream of registrations on a large hub does not keep a process reading for nothing."""


class TokenIndex:
    """Every token holder by hash, current while the store's change marker stays still."""

    def __init__(self, store: Store, *, page: int = PAGE, limit: int = LIMIT) -> None:
        self._store = store
        self._page = page
        self._limit = limit
        self._holders: dict[str, TokenHolder] | None = None
        self._marker = 0
        """The store's change marker when the index was read."""
        self._generation = 0
        """Moved by every :meth:`drop`; a read that started under another generation is thrown away."""
        self._wanted = asyncio.Event()
        self._too_large = False
        self.reads = 0
        """Complete reads kept (what the tests follow)."""

    @property
    def ready(self) -> bool:
        """The index was read and nothing has dropped it since (it may still find the marker moved when asked)."""
        return self._holders is not None

    @property
    def given_up(self) -> bool:
        """The store holds more holders than ``limit``: this process keeps no index and asks the store."""
        return self._too_large

    def current(self) -> Mapping[str, TokenHolder] | None:
        """Every holder by token hash, as :meth:`Store.token_holders` would find them now; None when the index is not
        current (then ask the store).

        The marker is looked at on every call, so the answer is never older than the last committed write. Use the
        mapping at once, without awaiting anything in between: it is only current until then."""
        held = self._holders
        if held is None:
            return None
        if self._store.change_marker() != self._marker:
            self.drop()
            return None
        return held

    def holders(self, token_hashes: Sequence[str]) -> dict[str, TokenHolder] | None:
        """:meth:`Store.token_holders` answered from memory; None when the index is not current (then ask the store)."""
        held = self.current()
        if held is None:
            return None
        return {token_hash: held[token_hash] for token_hash in token_hashes if token_hash in held}

    def drop(self) -> None:
        """Something changed: stop answering until the next complete read, and ask for one."""
        self._holders = None
        self._generation += 1
        self._wanted.set()

    async def run(self) -> None:
        """Read the index now, then again after each :meth:`drop` (no sooner than the gap allows), until cancelled or
        the store holds more than ``limit`` partners."""
        self._wanted.set()
        thrown_away = 0
        while not self._too_large:
            await self._wanted.wait()
            self._wanted.clear()
            started = time.monotonic()
            try:
                kept = await self.read()
            except Exception:
                log.exception("could not read the token index; tokens are looked up in the store meanwhile")
                kept = False
            thrown_away = 0 if kept else thrown_away + 1
            if not kept:
                self._wanted.set()  # try again after the gap
            gap = max(MIN_GAP, GAP_FACTOR * (time.monotonic() - started)) * 2 ** min(thrown_away, 6)
            await asyncio.sleep(min(gap, MAX_GAP))

    async def read(self) -> bool:
        """One complete read; True when there is nothing more to read for now: it was kept (nothing changed while it
        ran), or there are too many holders to keep any (then the index stays empty for good)."""
        generation = self._generation
        marker = self._store.change_marker()
        holders: dict[str, TokenHolder] = {}
        after: str | None = None
        while True:
            page: Sequence[TokenHolder] = await self._store.live_token_holders(after, self._page)
            holders.update((found.token_hash, found) for found in page)
            if len(holders) > self._limit:
                log.info("more than %d partners: no token index in this process", self._limit)
                self._too_large = True
                return True
            if len(page) < self._page or generation != self._generation:
                break
            after = page[-1].token_hash
            await asyncio.sleep(0)  # let waiting requests run between pages
        invitations = await self._store.list_invitations(limit=self._limit + 1)
        if len(invitations) > self._limit:
            log.info("more than %d unused invitations: no token index in this process", self._limit)
            self._too_large = True
            return True
        for invitation in invitations:
            # as token_holders: a partner's hash is never also an unused invitation's; if it were, the partner wins
            holders.setdefault(invitation.token_hash, TokenHolder(invitation.token_hash, expires=invitation.expires))
        if generation != self._generation or self._store.change_marker() != marker:
            return False
        self._holders = holders
        self._marker = marker
        self.reads += 1
        return True


__all__ = ("TokenIndex",)
