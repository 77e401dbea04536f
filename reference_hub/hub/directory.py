"""Who is connected: partners by id and by the parties they serve, cached per process.

Functional-module requests need the caller's parties and roles, and the owner of an ``OCPI-to-*`` party, on every
request; a partner changes rarely. Entries are dropped when this process changes a partner (:meth:`forget`) and
when the store's change marker says another process may have (looked at most every ``MARKER_INTERVAL`` seconds).
"""

from __future__ import annotations

from reference_hub.hub.changes import ChangeWatcher
from reference_hub.ocpi.models import Role
from reference_hub.store import Partner, PartnerStatus, Store

_LIMIT = 100_000


def party_key(country_code: str, party_id: str) -> str:
    """``CC/PID``, upper case: how the hub names a party everywhere (country codes and party ids are CiStrings)."""
    return f"{country_code.upper()}/{party_id.upper()}"


def roles_of(partner: Partner, key: str) -> frozenset[Role]:
    """The roles ``partner`` serves under the party ``key``."""
    return frozenset(r.role for r in partner.roles if party_key(r.country_code, r.party_id) == key)


class Directory:
    """Partner lookups for the request path."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._by_id: dict[str, Partner | None] = {}
        self._by_party: dict[str, str | None] = {}
        self._changes = ChangeWatcher(store)

    def _fresh(self) -> None:
        if self._changes.changed() or len(self._by_id) > _LIMIT or len(self._by_party) > _LIMIT:
            self.forget()

    def forget(self) -> None:
        self._by_id.clear()
        self._by_party.clear()

    async def partner(self, partner_id: str) -> Partner | None:
        """The partner with this id, whatever its status."""
        self._fresh()
        if partner_id not in self._by_id:
            self._by_id[partner_id] = await self._store.get_partner(partner_id)
        return self._by_id[partner_id]

    async def serving(self, key: str) -> Partner | None:
        """The ACTIVE partner serving party ``key`` (``CC/PID``), if any."""
        self._fresh()
        if key not in self._by_party:
            self._by_party[key] = await self._store.party_owner(key)
        partner_id = self._by_party[key]
        partner = None if partner_id is None else await self.partner(partner_id)
        return partner if partner is not None and partner.status is PartnerStatus.ACTIVE else None

    async def suspended(self, key: str) -> bool:
        """Party ``key`` belongs to a partner an operator suspended (for a refusal that says so)."""
        self._fresh()
        if key not in self._by_party:
            self._by_party[key] = await self._store.party_owner(key)
        partner_id = self._by_party[key]
        partner = None if partner_id is None else await self.partner(partner_id)
        return partner is not None and partner.status is PartnerStatus.SUSPENDED


__all__ = ("Directory", "party_key", "roles_of")
