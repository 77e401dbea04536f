"""Client-owned OCPI objects as the hub keeps them: one generic record and one small Protocol for every module.

An object is addressed by ``module`` (OCPI ModuleID), ``owner`` (``CC/PID`` of the party that owns it, upper case)
and ``object_id`` (the module's key, see ``hub/objects.py``: a Location id, a Token ``uid`` + ``type``, ...).
EVSEs and connectors live inside their Location's record: the hub changes them with a read-modify-write guarded by
``version``, so a sub-object write can never be lost to a concurrent one.

``body`` holds the object exactly as the hub serves it (JSON bytes), so a GET never re-encodes. ``audience`` names
the one other party allowed to read a personal object (the eMSP of a Session's or CDR's ``cdr_token``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import msgspec

from reference_hub.ocpi.datetime import DateTime
from reference_hub.store.outbox import Delivery
from reference_hub.store.page import Page


class StoredObject(msgspec.Struct, kw_only=True):
    """One stored object and what the hub needs to find, order and protect it."""

    module: str
    owner: str
    """``CC/PID`` of the owning party, upper case."""
    object_id: str
    """The module's key for the object (case-folded where the spec's ids are case-insensitive)."""
    partner_id: str
    """The platform that wrote it."""
    audience: str | None = None
    """``CC/PID`` of the one other party that may read it, for personal data (sessions, CDRs); None: by module rule."""
    last_updated: DateTime
    created: DateTime
    """When the hub first stored it; lists are ordered by creation so pages stay stable while objects change."""
    version: int = 1
    """Incremented by every write; writes are conditional on it."""
    body: bytes
    """The OCPI object as JSON."""


class ObjectQuery(msgspec.Struct, kw_only=True, frozen=True):
    """A GET-all: which objects of a module, filtered on ``last_updated`` (``date_from`` <= t < ``date_to``)."""

    module: str
    date_from: DateTime | None = None
    date_to: DateTime | None = None
    offset: int = 0
    limit: int | None = None
    readers: tuple[str, ...] | None = None
    """When set, only objects owned by one of these ``CC/PID`` or whose ``audience`` is one of them."""
    owners: tuple[str, ...] | None = None
    """When set, only objects owned by one of these ``CC/PID``."""


class ObjectStore(Protocol):
    """Persistence of client-owned objects. Every adapter passes tests/contract/test_object_store_contract.py."""

    async def get_object(self, module: str, owner: str, object_id: str) -> StoredObject | None:
        """One object by its full key."""

    async def find_objects(self, module: str, object_id: str, *, limit: int = 2) -> list[StoredObject]:
        """Objects with this key under any owner (for URLs without owner segments), oldest first."""

    async def find_owners(self, module: str, object_id: str, *, limit: int = 2) -> list[str]:
        """The owners (``CC/PID``) of :meth:`find_objects`' objects, in the same order, without reading the objects:
        routing a real-time authorization needs only whose token it is, and decoding whole rows (body, dates) for that
        was a measurable part of the hub's CPU per routed request."""

    async def write_object(
        self, obj: StoredObject, *, expected_version: int | None, deliveries: Sequence[Delivery] = ()
    ) -> None:
        """Insert (``expected_version`` None: Conflict when the key exists) or replace the object whose stored
        ``version`` equals ``expected_version`` (else Conflict). ``created`` is the caller's to keep on replace.
        ``deliveries`` go into the outbox with the write (nothing of either is written on Conflict)."""

    async def insert_objects(self, objs: list[StoredObject]) -> None:
        """Bulk path for seeding: insert new objects at once; Conflict when a key exists (SQLite then writes none,
        MongoDB, without a transaction, keeps the others)."""

    async def delete_object(
        self, module: str, owner: str, object_id: str, *, deliveries: Sequence[Delivery] = ()
    ) -> bool:
        """Remove, with ``deliveries`` into the outbox; False (and nothing written) when there was nothing."""

    async def list_objects(self, query: ObjectQuery) -> Page[StoredObject]:
        """A page of the query in creation order, and the total the query matches (ignoring offset and limit)."""

    async def object_modules(self) -> list[str]:
        """Every module that has at least one object, sorted (for copying a store)."""

    async def object_counts(self) -> list[tuple[str, str, int]]:
        """``(module, owner, how many)`` for every module and owner holding objects, sorted by module and owner."""

    async def search_objects(self, key: str, *, limit: int = 20) -> list[StoredObject]:
        """Objects of any module whose key is ``key`` (upper case), or begins with ``key`` and a tab (a Token's uid
        with any type), oldest first."""


__all__ = ("ObjectQuery", "ObjectStore", "StoredObject")
