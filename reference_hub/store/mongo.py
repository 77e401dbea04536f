"""MongoDB store on PyMongo's asyncio API (``pymongo.AsyncMongoClient``; Motor reached end of life in 2026).

Layout. Collection ``partners`` holds one document per partner: the :class:`Partner` fields as msgspec
builtins, with ``created`` and ``updated`` written as fixed-width UTC text (``YYYY-MM-DDTHH:MM:SS.ffffffZ``,
still a valid OCPI DateTime on the way back) so that they sort and compare in the database exactly like the
SQLite adapter's columns (a BSON date would cut microseconds), plus ``party_keys``: the ``CC/PID`` list,
present only while the partner is PENDING, ACTIVE or SUSPENDED and serves at least one party. Collection ``invitations``
keys the registration tokens by hash (``_id``).

Uniqueness is left to the server: unique ``partner_id``; unique ``token_hash`` over documents whose hash is a
string; a unique multikey index on ``party_keys`` over documents that have the field. A missing field is not
indexed, so INACTIVE/SUSPENDED partners and PENDING records without roles never collide (an empty array would
be indexed as one "undefined" key, hence it is never written).

Transactions. On a replica set or a sharded cluster (a single-node replica set will do) the writes that belong
together run in one multi-document transaction: an object and its outbox entries, a command result and its delivery,
a registration and the invitation it consumes, a bulk insert. A standalone server has no transactions: the hub says
so at start-up (a warning) and writes them one after the other, an object before its outbox entries, so a process
killed between the two loses that push (the receiver resynchronises with a GET); ``insert_partner`` then consumes
the invitation with one conditional update, writes the partner and gives the invitation back if that write fails
(a process that dies between the two steps leaves the invitation used with no partner behind it; the party then
needs a new registration token).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import unquote_plus

import msgspec
from pymongo import ASCENDING, AsyncMongoClient, ReturnDocument, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from reference_hub.ocpi.datetime import DateTime, dec_hook, enc_hook, now, sortable
from reference_hub.store.base import (
    REMOVALS_KEPT,
    Conflict,
    DuplicateParty,
    Invitation,
    Page,
    Partner,
    PartnerStatus,
    TokenHolder,
    TokenOwner,
    changed_by_stamp,
    removals_by_stamp,
    stamp_since,
)
from reference_hub.store.coordination import HEARD_PAGE
from reference_hub.store.mongo_callbacks import MongoCallbacks
from reference_hub.store.mongo_desk import MongoDesk
from reference_hub.store.mongo_objects import MongoObjects
from reference_hub.store.mongo_outbox import MongoOutbox

log = logging.getLogger(__name__)

Doc = dict[str, Any]
T = TypeVar("T")

DEFAULT_DATABASE = "ocpi_hub"
CHANGE_BUCKET_SECONDS = 2

_LIVE = [PartnerStatus.PENDING.value, PartnerStatus.ACTIVE.value, PartnerStatus.SUSPENDED.value]
"""Statuses that hold their token hash and party keys (a SUSPENDED partner keeps both until it is reactivated)."""
_NO_ID: Doc = {"_id": 0}
_PARTNER_PROJECTION: Doc = {"_id": 0, "party_keys": 0}
_HOLDER_PROJECTION: Doc = {"_id": 0, "token_hash": 1, "partner_id": 1, "status": 1, "token_confirmed": 1}


def database_from_url(url: str) -> str:
    """The database named in the path of a ``mongodb://`` / ``mongodb+srv://`` URL, else ``ocpi_hub``.

    Mirrors PyMongo's URI parser (``/db.collection`` names a database too) without resolving SRV records.
    """
    _scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("not a MongoDB URL: expected mongodb://HOST[/DB] or mongodb+srv://HOST[/DB]")
    path = rest.partition("?")[0].partition("/")[2]
    name = unquote_plus(path).split(".", 1)[0]
    return name or DEFAULT_DATABASE


def _ts(value: DateTime) -> str:
    return sortable(value, zulu=True)


def _invitation(doc: Doc) -> Invitation:
    expires = doc.get("expires")
    return Invitation(
        token_hash=doc["_id"],
        created=DateTime.parse(doc["created"]),
        label=doc.get("label") or "",
        expires=None if expires is None else DateTime.parse(expires),
    )


class MongoStore(MongoObjects, MongoOutbox, MongoCallbacks, MongoDesk):
    """Store adapter on ``pymongo.AsyncMongoClient``.

    ``client`` and ``database`` exist for tests: an injected client (a real one or an in-process fake) is used
    as is and :meth:`close` leaves it open for its owner; ``database`` overrides the name in the URL.
    :attr:`transactions` tells, once open, whether the server runs multi-document transactions.
    """

    name = "mongodb"
    exact_marker = False  # the marker is a time bucket (see change_marker)

    def __init__(
        self,
        url: str,
        *,
        client: AsyncMongoClient[Doc] | None = None,
        database: str | None = None,
    ) -> None:
        self._url = url  # may hold credentials: never log or report it
        self.database_name = database or database_from_url(url)
        self._injected = client
        self._client: AsyncMongoClient[Doc] | None = None
        self._db: AsyncDatabase[Doc] | None = None
        self.transactions = False

    # --- connection ----------------------------------------------------------------------------------------

    @property
    def db(self) -> AsyncDatabase[Doc]:
        if self._db is None:
            raise RuntimeError("store is not open")
        return self._db

    @property
    def partners(self) -> AsyncCollection[Doc]:
        return self.db["partners"]

    @property
    def invitations(self) -> AsyncCollection[Doc]:
        return self.db["invitations"]

    async def open(self) -> None:
        """Connect and create the indexes; idempotent (``createIndexes`` with an identical spec is a no-op).

        The client connects lazily, so an unreachable server shows up here as a server-selection timeout.
        """
        if self._db is not None:
            return
        client = self._injected or AsyncMongoClient(self._url, appname="ocpi-hub")
        db = client.get_database(self.database_name)
        try:
            partners = db["partners"]
            await partners.create_index("partner_id", unique=True, name="partner_id")
            await partners.create_index(
                "token_hash",
                unique=True,
                name="token_hash",
                partialFilterExpression={"token_hash": {"$type": "string"}},
            )
            await partners.create_index(
                "party_keys",
                unique=True,
                name="party_keys",
                partialFilterExpression={"party_keys": {"$exists": True}},
            )
            await partners.create_index([("created", ASCENDING), ("partner_id", ASCENDING)], name="created")
            await partners.create_index("updated", name="updated")
            # GET /health and the caches of partners count the ACTIVE ones; the dashboard pages one status in list
            # order: the same index as SQLite's and PostgreSQL's partners_status.
            await partners.create_index(
                [("status", ASCENDING), ("created", ASCENDING), ("partner_id", ASCENDING)], name="status"
            )
            # a removal is looked for by its stamp (partners_removed), and pruned by it
            await db["partner_removals"].create_index("removed", name="removed")
            # invitations are found by _id (the token hash) only: the default _id index is all they need.
            await self._open_objects(db)
            await self._open_outbox(db)
            await self._open_callbacks(db)
            await self._open_desk(db)
            self.transactions = await _supports_transactions(client)
        except BaseException:
            if client is not self._injected:
                await client.close()
            raise
        self._client, self._db = client, db
        if not self.transactions:
            log.warning(
                "MongoDB without multi-document transactions (a standalone server): an object and its outbox"
                " entries, and a command result and its delivery, are two writes, so a crash between them can lose"
                " that push. Run a replica set (a single node will do) to make them atomic."
            )

    async def _atomic(self, work: Callable[[AsyncClientSession | None], Awaitable[T]]) -> T:
        """Run ``work`` in one multi-document transaction when the server has them (``work`` is given the session
        to pass to every write, and may be run again on a transient error), else once without a session."""
        if not self.transactions or self._client is None:
            return await work(None)
        async with self._client.start_session() as session:
            return await session.with_transaction(work)

    async def close(self) -> None:
        client, self._client, self._db = self._client, None, None
        if client is not None and client is not self._injected:
            await client.close()

    async def health(self) -> dict[str, object]:
        await self.db.command("ping")
        active = await self.partners.count_documents({"status": PartnerStatus.ACTIVE.value})
        return {"backend": "mongodb", "database": self.database_name, "active_partners": active}

    def change_marker(self) -> int:
        """A time bucket that advances every 2 s, not a change counter.

        MongoDB has no cheap cross-process change counter (change streams need a replica set and a
        long-lived cursor), so a cache keyed on this marker is emptied every 2 s: a token that another process
        registered, rotated or revoked is seen here within 2 s. Changes made in this process are not delayed,
        the token cache forgets those itself.
        """
        return int(time.monotonic() / CHANGE_BUCKET_SECONDS)

    # --- documents -----------------------------------------------------------------------------------------

    @staticmethod
    def _document(partner: Partner) -> Doc:
        doc: Doc = msgspec.to_builtins(partner, enc_hook=enc_hook)
        doc["created"] = _ts(partner.created)
        doc["updated"] = _ts(partner.updated)
        keys = partner.party_keys
        if partner.status.value in _LIVE and keys:
            doc["party_keys"] = keys
        return doc

    @staticmethod
    def _partner(doc: Doc) -> Partner:
        doc.pop("_id", None)
        doc.pop("party_keys", None)
        return msgspec.convert(doc, Partner, dec_hook=dec_hook)

    # --- invitations ---------------------------------------------------------------------------------------

    async def add_invitation(self, invitation: Invitation) -> None:
        await self.invitations.insert_one(
            {
                "_id": invitation.token_hash,
                "created": _ts(invitation.created),
                "used_by": invitation.used_by,
                "label": invitation.label,
                "expires": None if invitation.expires is None else _ts(invitation.expires),
            }
        )

    async def lookup_token(self, token_hash: str) -> TokenOwner | None:
        doc = await self.partners.find_one({"token_hash": token_hash, "status": {"$in": _LIVE}}, _PARTNER_PROJECTION)
        if doc is not None:
            return TokenOwner(partner=self._partner(doc))
        inv = await self.invitations.find_one({"_id": token_hash, "used_by": None})
        if inv is not None:
            return TokenOwner(invitation=_invitation(inv))
        return None

    async def token_holders(self, token_hashes: Sequence[str]) -> dict[str, TokenHolder]:
        if not token_hashes:
            return {}
        holders: dict[str, TokenHolder] = {}
        wanted = {"token_hash": {"$in": list(token_hashes)}, "status": {"$in": _LIVE}}
        async for doc in self.partners.find(wanted, _HOLDER_PROJECTION):
            holders[doc["token_hash"]] = TokenHolder(
                token_hash=doc["token_hash"],
                partner_id=doc["partner_id"],
                status=PartnerStatus(doc["status"]),
                token_confirmed=doc.get("token_confirmed", True),
            )
        if len(holders) < len(set(token_hashes)):
            unused = {"_id": {"$in": [h for h in token_hashes if h not in holders]}, "used_by": None}
            async for inv in self.invitations.find(unused, {"expires": 1}):
                expires = inv.get("expires")
                until = None if expires is None else DateTime.parse(expires)
                holders[inv["_id"]] = TokenHolder(token_hash=inv["_id"], expires=until)
        return holders

    async def live_token_holders(self, after: str | None, limit: int) -> list[TokenHolder]:
        if limit <= 0:  # MongoDB reads limit(0) as no limit
            return []
        wanted = {"token_hash": {"$gt": after or ""}, "status": {"$in": _LIVE}}
        found = self.partners.find(wanted, _HOLDER_PROJECTION).sort("token_hash", ASCENDING).limit(limit)
        return [
            TokenHolder(
                token_hash=doc["token_hash"],
                partner_id=doc["partner_id"],
                status=PartnerStatus(doc["status"]),
                token_confirmed=doc.get("token_confirmed", True),
            )
            async for doc in found
        ]

    async def _give_back(self, token_hash: str, partner_id: str) -> None:
        """Undo the consumption of an invitation after the partner write failed."""
        try:
            await self.invitations.update_one({"_id": token_hash, "used_by": partner_id}, {"$set": {"used_by": None}})
        except Exception:
            # The token itself is never logged; the partner id tells the operator which registration it was.
            log.exception("could not give back the registration token consumed for partner %s", partner_id)

    # --- partners ------------------------------------------------------------------------------------------

    async def insert_partner(self, partner: Partner, *, consume_invitation: str | None) -> None:
        if self.transactions:

            async def register(session: AsyncClientSession | None) -> None:
                await self._consume(consume_invitation, partner.partner_id, session)
                await self._write_new(partner, session)

            try:
                await self._atomic(register)
            except DuplicateKeyError as exc:  # named after the transaction ended
                raise DuplicateParty(await self._which_duplicate(partner, new=True)) from exc
            return
        await self._consume(consume_invitation, partner.partner_id, None)
        try:
            await self._write_new(partner, None)
        except DuplicateKeyError as exc:
            if consume_invitation is not None:
                await self._give_back(consume_invitation, partner.partner_id)
            raise DuplicateParty(await self._which_duplicate(partner, new=True)) from exc
        except BaseException:
            if consume_invitation is not None:
                await self._give_back(consume_invitation, partner.partner_id)
            raise

    async def _consume(self, token_hash: str | None, partner_id: str, session: AsyncClientSession | None) -> None:
        if token_hash is None:
            return
        taken = await self.invitations.find_one_and_update(
            {"_id": token_hash, "used_by": None}, {"$set": {"used_by": partner_id}}, session=session
        )
        if taken is None:
            raise Conflict("the registration token was used already")

    async def _write_new(self, partner: Partner, session: AsyncClientSession | None) -> None:
        doc = self._document(partner)
        # Revive an INACTIVE record with this id, else create one (a live one fails on the unique id).
        revived = await self.partners.replace_one(
            {"partner_id": partner.partner_id, "status": PartnerStatus.INACTIVE.value}, doc, session=session
        )
        if revived.matched_count == 0:
            await self.partners.insert_one(doc, session=session)

    async def replace_partner(self, partner: Partner, *, expected_token_hash: str | None) -> None:
        try:
            result = await self.partners.replace_one(
                {"partner_id": partner.partner_id, "token_hash": expected_token_hash}, self._document(partner)
            )
        except DuplicateKeyError as exc:
            raise DuplicateParty(await self._which_duplicate(partner, new=False)) from exc
        if result.matched_count != 1:
            raise Conflict(f"partner {partner.partner_id} changed concurrently")

    async def _which_duplicate(self, partner: Partner, *, new: bool) -> str:
        """Name what collided by asking the database (duplicate-key error details are not always there)."""
        keys = partner.party_keys if partner.status.value in _LIVE else []
        if keys:
            other = await self.partners.find_one(
                {"party_keys": {"$in": keys}, "partner_id": {"$ne": partner.partner_id}},
                {"_id": 0, "partner_id": 1, "party_keys": 1},
            )
            if other is not None:
                key = min(set(keys) & set(other.get("party_keys", ())), default=keys[0])
                return f"party {key} is already registered by partner {other['partner_id']}"
        if new and await self.partners.find_one({"partner_id": partner.partner_id}, {"_id": 1}) is not None:
            return f"partner {partner.partner_id} is already registered"
        if partner.token_hash is not None:
            holder = await self.partners.find_one(
                {"token_hash": partner.token_hash, "partner_id": {"$ne": partner.partner_id}}, {"_id": 1}
            )
            if holder is not None:
                return f"the token of partner {partner.partner_id} is already held by another partner"
        return f"partner {partner.partner_id} or its token is already registered"

    async def get_partner(self, partner_id: str) -> Partner | None:
        doc = await self.partners.find_one({"partner_id": partner_id}, _PARTNER_PROJECTION)
        return None if doc is None else self._partner(doc)

    async def list_partners(
        self,
        *,
        statuses: tuple[PartnerStatus, ...],
        date_from: DateTime | None = None,
        date_to: DateTime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Page[Partner]:
        query: Doc = {"status": {"$in": [s.value for s in statuses]}}
        updated: Doc = {}
        if date_from is not None:
            updated["$gte"] = _ts(date_from)
        if date_to is not None:
            updated["$lt"] = _ts(date_to)
        if updated:
            query["updated"] = updated
        total = await self.partners.count_documents(query)
        if limit == 0 or offset >= total:
            return Page(total=total, items=[])  # MongoDB reads limit(0) as "no limit"
        cursor = (
            self.partners.find(query, _PARTNER_PROJECTION)
            .sort([("created", ASCENDING), ("partner_id", ASCENDING)])
            .skip(offset)
        )
        if limit is not None:
            cursor = cursor.limit(limit)
        return Page(total=total, items=[self._partner(doc) async for doc in cursor])

    async def partners_changed(self, after: str | None) -> tuple[list[Partner], str]:
        # Several processes (and hosts) commit here concurrently, in no order their stamps could show.
        return await changed_by_stamp(self, after)

    async def party_owner(self, party_key: str) -> str | None:
        doc = await self.partners.find_one({"party_keys": party_key}, {"_id": 0, "partner_id": 1})
        return None if doc is None else str(doc["partner_id"])

    async def confirm_token(self, partner_id: str, token_hash: str) -> bool:
        result = await self.partners.update_one(
            {"partner_id": partner_id, "token_hash": token_hash}, {"$set": {"token_confirmed": True}}
        )
        return result.matched_count == 1

    async def set_offline(self, partner_id: str, offline: bool, updated: DateTime) -> Partner | None:
        doc = await self.partners.find_one_and_update(
            {"partner_id": partner_id, "status": PartnerStatus.ACTIVE.value, "offline": not offline},
            {"$set": {"offline": offline, "updated": _ts(updated)}},
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else self._partner(doc)

    async def delete_partner(self, partner_id: str) -> bool:
        result = await self.partners.delete_one({"partner_id": partner_id})
        await self.db["partner_heard"].delete_one({"_id": partner_id})
        if result.deleted_count != 1:
            return False
        stamp = now()
        removals = self.db["partner_removals"]
        await removals.insert_one({"partner_id": partner_id, "removed": _ts(stamp)})
        await removals.delete_many({"removed": {"$lt": _ts(DateTime.from_datetime(stamp - REMOVALS_KEPT))}})
        return True

    async def partners_removed(self, after: str | None) -> tuple[list[str], str]:
        # Several processes (and hosts) remove concurrently, in no order their stamps could show: a margin, as for
        # partners_changed.
        since = stamp_since(after)
        rows = (
            []
            if since is None
            else [
                (str(doc["partner_id"]), str(doc["removed"]))
                async for doc in self.db["partner_removals"].find({"removed": {"$gte": _ts(since)}})
            ]
        )
        return removals_by_stamp(rows, after, now())

    # --- coordination between processes ----------------------------------------------------------------------

    async def take_lease(self, name: str, owner: str, now: DateTime, until: DateTime) -> bool:
        try:
            await self.db["leases"].find_one_and_update(
                {"_id": name, "$or": [{"owner": owner}, {"until": {"$lt": _ts(now)}}]},
                {"$set": {"owner": owner, "until": _ts(until)}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False  # held by another owner: the filter did not match and the upsert collided with it
        return True

    async def note_heard(self, heard: Mapping[str, DateTime]) -> None:
        if heard:
            await self.db["partner_heard"].bulk_write(
                [
                    UpdateOne({"_id": partner_id}, {"$max": {"heard": _ts(at)}}, upsert=True)
                    for partner_id, at in sorted(heard.items())
                ],
                ordered=False,
            )

    async def heard_times(self) -> dict[str, DateTime]:
        # Fetched HEARD_PAGE at a time (see there), each distinct text parsed once (one time per second is written).
        parsed: dict[str, DateTime] = {}
        heard: dict[str, DateTime] = {}
        async for doc in self.db["partner_heard"].find({}).batch_size(HEARD_PAGE):
            text = doc["heard"]
            moment = parsed.get(text)
            if moment is None:
                moment = parsed[text] = DateTime.parse(text)
            heard[doc["_id"]] = moment
        return heard

    async def list_invitations(self, *, limit: int = 1000) -> list[Invitation]:
        cursor = (
            self.invitations.find({"used_by": None}).sort([("created", ASCENDING), ("_id", ASCENDING)]).limit(limit)
        )
        return [_invitation(doc) async for doc in cursor]

    async def revoke_invitation(self, token_hash: str) -> bool:
        result = await self.invitations.delete_one({"_id": token_hash, "used_by": None})
        return result.deleted_count == 1


async def _supports_transactions(client: Any) -> bool:
    """The server is a replica-set member or a mongos (what multi-document transactions need)."""
    try:
        hello = await client.admin.command("hello")
    except Exception:  # a server (or an in-process fake) that cannot say has none to offer
        return False
    return bool(
        hello.get("logicalSessionTimeoutMinutes") is not None
        and (hello.get("setName") or hello.get("msg") == "isdbgrid")
    )


__all__ = ("DEFAULT_DATABASE", "MongoStore", "database_from_url")
