"""Persistence: one Store protocol; an embedded SQLite adapter (default), a PostgreSQL adapter (several hub instances on
one database) and a MongoDB adapter."""

from reference_hub.store.base import (
    Conflict,
    DuplicateParty,
    Invitation,
    Page,
    Partner,
    PartnerStatus,
    Store,
    TokenHolder,
    TokenOwner,
)
from reference_hub.store.factory import open_store

__all__ = (
    "Conflict",
    "DuplicateParty",
    "Invitation",
    "Page",
    "Partner",
    "PartnerStatus",
    "Store",
    "TokenHolder",
    "TokenOwner",
    "open_store",
)
