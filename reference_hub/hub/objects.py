"""Client-owned objects: the rules every module shares, applied to the hub's own copy.

Locations, Tariffs, Sessions, CDRs and Tokens differ only in the rows of :data:`KINDS` (model, PATCH model, id field,
owning role, who may read them) and in a few rules CRUD cannot say, which live here by name: EVSEs and connectors
inside their Location with the ``last_updated`` cascade, Session PATCH appending ``charging_periods``, CDRs POSTed
once and never changed, Tokens keyed by ``uid`` and ``type``.

Every write is: check who may write, decode and check the body, then a read-modify-write of one stored record
conditional on its version (retried on a concurrent change). Nothing is stored before every check passed, so a
refused request changes nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import quote, unquote

import msgspec

from reference_hub.faults import Fault
from reference_hub.hub.directory import party_key
from reference_hub.ocpi.codec import Codec
from reference_hub.ocpi.datetime import DateTime, now
from reference_hub.ocpi.errors import (
    GenericClientError,
    InvalidOrMissingParameters,
    NotFound,
    OcpiError,
    ReceiverNotConnected,
    UnknownLocation,
    UnknownToken,
)
from reference_hub.ocpi.models import (
    CDR,
    EVSE,
    AllowedType,
    AuthorizationInfo,
    Capability,
    Connector,
    ConnectorPatch,
    ConnectorType,
    EVSEPatch,
    Facility,
    Location,
    LocationPatch,
    LocationReferences,
    ParkingRestriction,
    ParkingType,
    Role,
    Session,
    SessionPatch,
    Tariff,
    Token,
    TokenPatch,
    TokenType,
    WhitelistType,
)
from reference_hub.settings import Settings
from reference_hub.store import Conflict, Partner, Store
from reference_hub.store.objects import ObjectQuery, StoredObject
from reference_hub.store.outbox import Delivery
from reference_hub.store.page import Page

_WRITE_ATTEMPTS = 5
_CPO_DATA_READERS = frozenset({Role.EMSP, Role.NSP, Role.NAP, Role.OTHER, Role.SCSP})
DEFAULT_TOKEN_TYPE = "RFID"  # noqa: S105 - a TokenType, not a secret
"""A Token URL without ``?type=`` names an RFID token."""


@dataclass(frozen=True, slots=True)
class ObjectKind:
    """One module's client-owned object."""

    module: str
    model: type[Any]
    patch: type[Any] | None
    id_field: str
    owner_role: Role
    """The role the owning party must serve (the module's data owner)."""
    readers: frozenset[Role] | None
    """Roles that may read every object in a GET-all; None: personal data, read by its owner and its audience only."""


KINDS: dict[str, ObjectKind] = {
    "locations": ObjectKind("locations", Location, LocationPatch, "id", Role.CPO, _CPO_DATA_READERS),
    "tariffs": ObjectKind("tariffs", Tariff, None, "id", Role.CPO, _CPO_DATA_READERS),
    "sessions": ObjectKind("sessions", Session, SessionPatch, "id", Role.CPO, None),
    "cdrs": ObjectKind("cdrs", CDR, None, "id", Role.CPO, None),
    "tokens": ObjectKind("tokens", Token, TokenPatch, "uid", Role.EMSP, frozenset({Role.CPO})),
}
"""The modules whose objects the hub keeps, by OCPI ModuleID."""

_SUB_MODELS: tuple[tuple[type[Any], type[Any]], ...] = ((EVSE, EVSEPatch), (Connector, ConnectorPatch))
"""Locations only: the models of ``/{location_id}/{evse_uid}`` and ``/{location_id}/{evse_uid}/{connector_id}``."""


@dataclass(frozen=True, slots=True)
class Requester:
    """The party a functional-module request speaks for (``OCPI-from-*``) and the platform that sent it."""

    partner: Partner
    party: str
    """``CC/PID`` of the requesting party."""
    roles: frozenset[Role]
    """The roles that party serves."""

    @property
    def parties(self) -> frozenset[str]:
        return frozenset(self.partner.party_keys)


def same_id(a: str, b: str) -> bool:
    """OCPI ids are CiStrings: equal regardless of case."""
    return a.upper() == b.upper()


def object_key(kind: ObjectKind, object_id: str, token_type: str | None = None) -> str:
    """The store key: the id case-folded; Tokens add their ``type`` (uid and type together are unique)."""
    if kind.module == "tokens":
        return f"{object_id.upper()}\t{token_type or DEFAULT_TOKEN_TYPE}"
    return object_id.upper()


def cdr_url_id(owner: str, cdr_id: str) -> str:
    """The ``{cdr_id}`` segment of the URL the hub answers a CDR POST with: owner and id, unambiguous."""
    country, party = owner.split("/", 1)
    return ".".join(quote(part, safe="").replace(".", "%2E") for part in (country, party, cdr_id))


def parse_cdr_url_id(value: str) -> tuple[str, str] | None:
    parts = value.split(".")
    if len(parts) != 3:
        return None
    country, party, cdr_id = (unquote(p) for p in parts)
    return party_key(country, party), cdr_id


class Objects:
    """The hub's copy of every client-owned object, with the rules of the Receiver and Sender interfaces."""

    def __init__(self, settings: Settings, store: Store, codec: Codec) -> None:
        self.settings = settings
        self.store = store
        self.codec = codec
        self._faults = frozenset(settings.faults)

    # --- checks -----------------------------------------------------------------------------------------------

    def _owner(self, kind: ObjectKind, who: Requester, country_code: str, party_id: str) -> str:
        """The owner key of a URL's ``{country_code}/{party_id}``, which the requesting platform must serve."""
        owner = party_key(country_code, party_id)
        if Fault.WRONG_OWNER_ACCEPTED in self._faults:
            return owner
        if owner not in who.parties:
            raise NotFound(
                f"party {owner} is not served by this platform (it serves {', '.join(sorted(who.parties))}): "
                f"{kind.module} can only be written and read under your own country_code/party_id"
            )
        roles = frozenset(r.role for r in who.partner.roles if party_key(r.country_code, r.party_id) == owner)
        if kind.owner_role not in roles:
            raise GenericClientError(
                f"{kind.module} are owned by a {kind.owner_role.value}; party {owner} is registered as "
                f"{', '.join(sorted(r.value for r in roles))}"
            )
        return owner

    def _check_ids(self, pairs: list[tuple[str, str | None, str]]) -> None:
        """``(name, in body, in URL)``: each must agree (2001), unless the fault switch says otherwise."""
        if Fault.ID_MISMATCH_ACCEPTED in self._faults:
            return
        for name, in_body, in_url in pairs:
            if in_body is not None and not same_id(in_body, in_url):
                raise InvalidOrMissingParameters(f"{name} {in_body!r} in the body differs from {in_url!r} in the URL")

    def _validated(self, model: type[Any], doc: dict[str, Any]) -> Any:
        """``doc`` (wire form) decoded as ``model`` by the same strict decoder as a request body."""
        return self.codec.decode(msgspec.json.encode(doc), model)

    def _audience(self, kind: ObjectKind, obj: Any) -> str | None:
        token = getattr(obj, "cdr_token", None) if kind.readers is None else None
        return None if token is None else party_key(token.country_code, token.party_id)

    async def _store(
        self,
        kind: ObjectKind,
        who: Requester,
        owner: str,
        key: str,
        obj: Any,
        current: StoredObject | None,
        deliveries: Sequence[Delivery] = (),
    ) -> StoredObject:
        record = StoredObject(
            module=kind.module,
            owner=owner,
            object_id=key,
            partner_id=who.partner.partner_id,
            audience=self._audience(kind, obj),
            last_updated=obj.last_updated,
            created=now() if current is None else current.created,
            version=1 if current is None else current.version + 1,
            body=self.codec.encode(obj),
        )
        expected = None if current is None else current.version
        await self.store.write_object(record, expected_version=expected, deliveries=deliveries)
        return record

    # --- Receiver interface: PUT / PATCH / GET / DELETE under {country_code}/{party_id} ------------------------

    async def put(
        self,
        kind: ObjectKind,
        who: Requester,
        country_code: str,
        party_id: str,
        ids: tuple[str, ...],
        raw: bytes,
        token_type: str | None = None,
        deliveries: Sequence[Delivery] = (),
    ) -> tuple[bool, StoredObject]:
        """Create or replace; True when the addressed object (or sub-object) is new, and the stored record."""
        owner, obj, token_type = self._decoded_put(kind, who, country_code, party_id, ids, raw, token_type)
        key = object_key(kind, ids[0], token_type)
        for _ in range(_WRITE_ATTEMPTS):
            current = await self.store.get_object(kind.module, owner, key)
            if len(ids) == 1:
                created, stored = current is None, obj
            else:
                created, stored = self._put_sub(current, ids, obj)
            try:
                return created, await self._store(kind, who, owner, key, stored, current, deliveries)
            except Conflict:
                continue
        raise Conflict(f"{kind.module} {ids[0]} kept changing; try again")

    def _decoded_put(
        self,
        kind: ObjectKind,
        who: Requester,
        country_code: str,
        party_id: str,
        ids: tuple[str, ...],
        raw: bytes,
        token_type: str | None,
    ) -> tuple[str, Any, str | None]:
        """Owner key, decoded body and token type of a PUT, after every check that needs no stored data."""
        owner = self._owner(kind, who, country_code, party_id)
        if len(ids) > 1 and Fault.SUBOBJECT_PUT_UNSUPPORTED in self._faults:
            raise GenericClientError("only whole Locations can be PUT", http_status=405)
        model = kind.model if len(ids) == 1 else _SUB_MODELS[len(ids) - 2][0]
        try:
            obj = self.codec.decode(raw, model)
        except InvalidOrMissingParameters as exc:
            if Fault.INVALID_OBJECT_HTTP_400 in self._faults:
                raise InvalidOrMissingParameters(exc.message, http_status=400) from exc
            if Fault.INVALID_OBJECT_ACCEPTED not in self._faults or kind.module != "locations" or len(ids) != 1:
                raise
            obj = self._unvalidated(raw, exc)
        if Fault.CLOSED_ENUMS in self._faults:
            _refuse_unknown_enum_values(msgspec.json.decode(raw), kind.module)
        if Fault.OPTIONAL_FIELDS_REQUIRED in self._faults:
            _require_every_field(raw, model)
        if Fault.STRICT_MODULE_OBJECTS in self._faults:
            known = {f.encode_name for f in msgspec.structs.fields(model)}
            unknown = sorted(set(msgspec.json.decode(raw)) - known)
            if unknown:
                raise InvalidOrMissingParameters(f"Object has unknown field(s) {', '.join(unknown)}")
        if len(ids) == 1:
            self._check_ids(
                [
                    (kind.id_field, getattr(obj, kind.id_field), ids[0]),
                    ("country_code", obj.country_code, country_code),
                    ("party_id", obj.party_id, party_id),
                ]
            )
            if kind.module == "tokens":
                if token_type is not None and obj.type != token_type:
                    raise InvalidOrMissingParameters(f"type {obj.type!r} in the body differs from ?type={token_type}")
                token_type = obj.type
        else:
            self._check_ids([("uid" if len(ids) == 2 else "id", obj.uid if len(ids) == 2 else obj.id, ids[-1])])
        return owner, obj, token_type

    def _unvalidated(self, raw: bytes, refusal: InvalidOrMissingParameters) -> Any:
        """Fault INVALID_OBJECT_ACCEPTED: the body as sent, with attribute access for the ids and ``last_updated``."""
        doc = msgspec.json.decode(raw)
        if not isinstance(doc, dict) or "last_updated" not in doc:
            raise refusal
        loose = _Loose(doc)
        loose["last_updated"] = self.codec.decode(msgspec.json.encode(doc["last_updated"]), DateTime)
        return loose

    def _put_sub(self, current: StoredObject | None, ids: tuple[str, ...], obj: Any) -> tuple[bool, Any]:
        """A Location with the EVSE or connector ``obj`` put in place (and the ``last_updated`` cascade)."""
        if current is None:
            raise UnknownLocation(f"unknown Location {ids[0]}: PUT the Location first", http_status=404)
        location = msgspec.json.decode(current.body)
        evse = self._find(location.setdefault("evses", []), "uid", ids[1])
        wire = msgspec.json.decode(self.codec.encode(obj))
        if len(ids) == 2:
            created = evse is None
            self._replace(location["evses"], "uid", ids[1], wire)
        else:
            if evse is None:
                raise NotFound(f"unknown EVSE {ids[1]} in Location {ids[0]}: PUT the EVSE first")
            created = self._find(evse.setdefault("connectors", []), "id", ids[2]) is None
            self._replace(evse["connectors"], "id", ids[2], wire)
            self._bump(evse, wire["last_updated"])
        self._bump(location, wire["last_updated"])
        return created, self._validated(Location, location)

    @staticmethod
    def _find(items: list[dict[str, Any]], field: str, wanted: str) -> dict[str, Any] | None:
        return next((i for i in items if same_id(str(i.get(field, "")), wanted)), None)

    @staticmethod
    def _replace(items: list[dict[str, Any]], field: str, wanted: str, new: dict[str, Any]) -> None:
        for index, item in enumerate(items):
            if same_id(str(item.get(field, "")), wanted):
                items[index] = new
                return
        items.append(new)

    def _bump(self, parent: dict[str, Any], last_updated: str) -> None:
        """A child's change is the parent's change (so ``date_from`` pulls see it)."""
        if Fault.PARENT_NOT_BUMPED not in self._faults:
            parent["last_updated"] = last_updated

    async def patch(
        self,
        kind: ObjectKind,
        who: Requester,
        country_code: str,
        party_id: str,
        ids: tuple[str, ...],
        raw: bytes,
        token_type: str | None = None,
        deliveries: Sequence[Delivery] = (),
    ) -> StoredObject:
        """Merge the fields present into the stored object; ``last_updated`` is required."""
        owner, fields = self._decoded_patch(kind, who, country_code, party_id, ids, raw)
        key = object_key(kind, ids[0], token_type)
        for _ in range(_WRITE_ATTEMPTS):
            current = await self.store.get_object(kind.module, owner, key)
            if current is None:
                raise self._unknown(kind, ids[0], "PUT it first")
            stored = self._patched(kind, current, ids, fields)
            try:
                return await self._store(kind, who, owner, key, stored, current, deliveries)
            except Conflict:
                continue
        raise Conflict(f"{kind.module} {ids[0]} kept changing; try again")

    def _decoded_patch(
        self, kind: ObjectKind, who: Requester, country_code: str, party_id: str, ids: tuple[str, ...], raw: bytes
    ) -> tuple[str, dict[str, Any]]:
        """Owner key and the fields present in a PATCH, after every check that needs no stored data."""
        owner = self._owner(kind, who, country_code, party_id)
        patch_model = kind.patch if len(ids) == 1 else _SUB_MODELS[len(ids) - 2][1]
        if patch_model is None:  # pragma: no cover - the operations table has no PATCH for these modules
            raise GenericClientError(f"{kind.module} cannot be PATCHed")
        if Fault.PATCH_WITHOUT_LAST_UPDATED in self._faults:
            raw = self._stamped(raw)
        # The fields present, in wire form (absent fields are UNSET and not encoded; an explicit null stays).
        fields: dict[str, Any] = msgspec.json.decode(self.codec.encode(self.codec.decode(raw, patch_model)))
        if "last_updated" not in fields and Fault.PATCH_WITHOUT_LAST_UPDATED not in self._faults:
            raise InvalidOrMissingParameters("a PATCH must contain last_updated")
        id_field = kind.id_field if len(ids) == 1 else ("uid" if len(ids) == 2 else "id")
        self._check_ids([(id_field, fields.get(id_field), ids[-1])])
        if len(ids) == 1:
            self._check_ids(
                [
                    ("country_code", fields.get("country_code"), country_code),
                    ("party_id", fields.get("party_id"), party_id),
                ]
            )
        return owner, fields

    def _patched(self, kind: ObjectKind, current: StoredObject, ids: tuple[str, ...], fields: dict[str, Any]) -> Any:
        """The stored object with the PATCH fields merged in (and the ``last_updated`` cascade)."""
        doc = msgspec.json.decode(current.body)
        target = doc
        if len(ids) >= 2:
            target = self._find(doc.get("evses") or [], "uid", ids[1]) or {}
            if not target:
                raise NotFound(f"unknown EVSE {ids[1]} in Location {ids[0]}: PUT it first")
        if len(ids) == 3:
            evse = target
            target = self._find(evse.get("connectors") or [], "id", ids[2]) or {}
            if not target:
                raise NotFound(f"unknown connector {ids[2]} in EVSE {ids[1]}: PUT it first")
        self._merge(kind, target, fields)
        if len(ids) == 3 and "last_updated" in fields:
            self._bump(evse, fields["last_updated"])
        if len(ids) >= 2 and "last_updated" in fields:
            self._bump(doc, fields["last_updated"])
        return self._validated(kind.model, doc)

    def _stamped(self, raw: bytes) -> bytes:
        """For the fault switch only: a PATCH body given the ``last_updated`` its sender left out."""
        try:
            doc = msgspec.json.decode(raw)
        except msgspec.DecodeError:
            return raw
        if isinstance(doc, dict) and "last_updated" not in doc:
            doc["last_updated"] = now().to_ocpi()
            return msgspec.json.encode(doc)
        return raw

    def _merge(self, kind: ObjectKind, target: dict[str, Any], fields: dict[str, Any]) -> None:
        for name, value in fields.items():
            if (
                kind.module == "sessions"
                and name == "charging_periods"
                and Fault.SESSION_PATCH_REPLACES_PERIODS not in self._faults
            ):
                target[name] = [*(target.get(name) or []), *(value or [])]  # appended; empty or null: no change
            else:
                target[name] = value

    def _unknown(self, kind: ObjectKind, object_id: str, advice: str = "") -> Exception:
        message = f"unknown {kind.module.rstrip('s')} {object_id}" + (f": {advice}" if advice else "")
        http = 200 if Fault.UNKNOWN_OBJECT_200 in self._faults else 404
        if kind.module == "locations":
            return UnknownLocation(message, http_status=http)
        if kind.module == "tokens":
            return UnknownToken(message, http_status=http)
        return NotFound(message, http_status=http)

    async def get_owned(
        self,
        kind: ObjectKind,
        who: Requester,
        country_code: str,
        party_id: str,
        ids: tuple[str, ...],
        token_type: str | None = None,
    ) -> msgspec.Raw:
        """The hub's copy of an object (or EVSE, connector) of the requesting party, as stored."""
        owner = self._owner(kind, who, country_code, party_id)
        current = await self.store.get_object(kind.module, owner, object_key(kind, ids[0], token_type))
        if current is None:
            raise self._unknown(kind, ids[0])
        return self._sub_object(kind, current, ids)

    def _sub_object(self, kind: ObjectKind, current: StoredObject, ids: tuple[str, ...]) -> msgspec.Raw:
        if len(ids) == 1:
            return msgspec.Raw(current.body)
        doc = msgspec.json.decode(current.body)
        evse = self._find(doc.get("evses") or [], "uid", ids[1])
        if evse is None:
            raise self._unknown(kind, f"{ids[0]}/{ids[1]}")
        if len(ids) == 2:
            return msgspec.Raw(msgspec.json.encode(evse))
        connector = self._find(evse.get("connectors") or [], "id", ids[2])
        if connector is None:
            raise self._unknown(kind, "/".join(ids))
        return msgspec.Raw(msgspec.json.encode(connector))

    async def delete(
        self,
        kind: ObjectKind,
        who: Requester,
        country_code: str,
        party_id: str,
        object_id: str,
        deliveries: Sequence[Delivery] = (),
    ) -> None:
        owner = self._owner(kind, who, country_code, party_id)
        key = object_key(kind, object_id)
        if not await self.store.delete_object(kind.module, owner, key, deliveries=deliveries):
            raise self._unknown(kind, object_id)

    def check(
        self,
        kind: ObjectKind,
        who: Requester,
        method: str,
        country_code: str,
        party_id: str,
        ids: tuple[str, ...],
        raw: bytes,
        token_type: str | None = None,
    ) -> None:
        """Every check of a write that needs no stored data (before forwarding a write the hub may not hold)."""
        if method == "PUT":
            self._decoded_put(kind, who, country_code, party_id, ids, raw, token_type)
        elif method == "PATCH":
            self._decoded_patch(kind, who, country_code, party_id, ids, raw)
        else:
            self._owner(kind, who, country_code, party_id)

    # --- CDRs: POSTed once to the bare endpoint, never changed --------------------------------------------------

    async def post_cdr(self, who: Requester, raw: bytes) -> tuple[str, StoredObject]:
        """Store a new CDR; the answer is the ``{cdr_id}`` of the URL where the hub's copy can be read."""
        kind = KINDS["cdrs"]
        cdr: CDR = self.codec.decode(raw, CDR)
        if Fault.OPTIONAL_FIELDS_REQUIRED in self._faults:
            _require_every_field(raw, CDR)
        owner = self._owner(kind, who, cdr.country_code, cdr.party_id)
        key = object_key(kind, cdr.id)
        current = await self.store.get_object(kind.module, owner, key)
        if current is not None and Fault.CDR_OVERWRITTEN not in self._faults:
            raise GenericClientError(
                f"CDR {cdr.id} of {owner} exists already and CDRs never change: "
                "send a credit CDR (a new id, credit=true, credit_reference_id) to correct it"
            )
        try:
            record = await self._store(kind, who, owner, key, cdr, current)
        except Conflict as exc:
            raise GenericClientError(f"CDR {cdr.id} of {owner} exists already and CDRs never change") from exc
        return cdr_url_id(owner, cdr.id), record

    async def get_cdr(self, who: Requester, url_id: str) -> msgspec.Raw:
        kind = KINDS["cdrs"]
        parsed = parse_cdr_url_id(url_id)
        current = None if parsed is None else await self.store.get_object(kind.module, parsed[0], parsed[1].upper())
        if current is None or not self._may_read(kind, who, current):
            raise self._unknown(kind, url_id)
        return msgspec.Raw(current.body)

    # --- Sender interface: what each party may read --------------------------------------------------------------

    def _readers(self, kind: ObjectKind, who: Requester) -> tuple[str, ...] | None:
        """None: every object; else the parties whose own (or audience) objects the requester may read."""
        if Fault.VISIBILITY_IGNORED in self._faults:
            return None
        if kind.readers is not None and who.roles & kind.readers:
            return None
        return (who.party,)

    def _may_read(self, kind: ObjectKind, who: Requester, obj: StoredObject) -> bool:
        readers = self._readers(kind, who)
        return readers is None or obj.owner in readers or obj.audience in readers

    async def list(
        self,
        kind: ObjectKind,
        who: Requester,
        *,
        date_from: DateTime | None,
        date_to: DateTime | None,
        offset: int,
        limit: int,
        owner: str | None = None,
    ) -> Page[msgspec.Raw]:
        """A GET-all page of what ``who`` may read, in creation order (``owner``: only that party's)."""
        query = ObjectQuery(
            module=kind.module,
            date_from=date_from,
            date_to=date_to,
            offset=offset,
            limit=limit,
            readers=self._readers(kind, who),
            owners=None if owner is None else (owner,),
        )
        page = await self.store.list_objects(query)
        return Page(total=page.total, items=[msgspec.Raw(o.body) for o in page.items])

    async def _readable(self, kind: ObjectKind, who: Requester, key: str, owner: str | None, what: str) -> StoredObject:
        """The one object with this key that ``who`` may read (of ``owner`` when given)."""
        if owner is not None:
            found = await self.store.get_object(kind.module, owner, key)
            candidates = [] if found is None else [found]
        else:
            candidates = await self.store.find_objects(kind.module, key, limit=10)
        readable = [o for o in candidates if self._may_read(kind, who, o)]
        if not readable:
            raise self._unknown(kind, what)
        if len(readable) > 1:
            owners = ", ".join(o.owner for o in readable)
            raise GenericClientError(
                f"{what} exists for several parties ({owners}): name one in OCPI-to-country-code/OCPI-to-party-id"
            )
        return readable[0]

    async def get_published(
        self, kind: ObjectKind, who: Requester, ids: tuple[str, ...], owner: str | None
    ) -> msgspec.Raw:
        """Sender single-object GET (Locations: no owner segments in the URL)."""
        found = await self._readable(kind, who, object_key(kind, ids[0]), owner, ids[0])
        return self._sub_object(kind, found, ids)

    # --- Tokens Sender: real-time authorization from the hub's copy ---------------------------------------------

    async def token_owner(self, uid: str, token_type: str | None) -> str | None:
        """The eMSP whose token the hub's copy says this is (None when unknown or issued by several)."""
        found = await self.store.find_objects("tokens", object_key(KINDS["tokens"], uid, token_type), limit=2)
        return found[0].owner if len(found) == 1 else None

    async def authorize_offline(
        self, who: Requester, uid: str, token_type: str | None, raw: bytes, owner: str, cause: OcpiError
    ) -> AuthorizationInfo:
        """The eMSP could not answer (``cause``): decide from the hub's copy where the token's whitelist allows a
        decision without the eMSP (ALWAYS, ALLOWED, ALLOWED_OFFLINE), else re-raise ``cause``."""
        kind = KINDS["tokens"]
        current = await self.store.get_object(kind.module, owner, object_key(kind, uid, token_type))
        if current is None:
            raise cause
        token: Token = self.codec.decode(current.body, Token)
        if token.whitelist not in (WhitelistType.ALWAYS, WhitelistType.ALLOWED, WhitelistType.ALLOWED_OFFLINE):
            raise cause
        return await self.authorize(who, uid, token_type, raw, owner)

    async def authorize(
        self, who: Requester, uid: str, token_type: str | None, raw: bytes, owner: str | None
    ) -> AuthorizationInfo:
        """Answer for the token's eMSP where its whitelist lets the hub decide from its copy."""
        kind = KINDS["tokens"]
        references = self.codec.decode(raw, LocationReferences) if raw.strip() else None
        key = object_key(kind, uid, token_type)
        if owner is not None:
            found = await self.store.get_object(kind.module, owner, key)
            candidates = [] if found is None else [found]
        else:
            candidates = await self.store.find_objects(kind.module, key, limit=10)
        if not candidates:
            raise UnknownToken(f"unknown token {uid} of type {token_type or DEFAULT_TOKEN_TYPE}", http_status=404)
        if len(candidates) > 1:
            owners = ", ".join(o.owner for o in candidates)
            raise GenericClientError(f"token {uid} is issued by several eMSPs ({owners}): name one in OCPI-to-*")
        token: Token = self.codec.decode(candidates[0].body, Token)
        if token.whitelist == WhitelistType.NEVER:
            raise ReceiverNotConnected(
                f"token {uid} has whitelist NEVER: only its eMSP {candidates[0].owner} may authorize it, "
                "and it cannot be reached through the hub"
            )
        allowed = AllowedType.ALLOWED if token.valid else AllowedType.BLOCKED
        return AuthorizationInfo(
            allowed=allowed,
            token=token,
            location=references,
            authorization_reference=secrets.token_hex(16) if allowed is AllowedType.ALLOWED else None,
        )

    async def session_for_preferences(self, who: Requester, session_id: str, owner: str | None) -> StoredObject:
        """The session a charging-preferences PUT names (404 when the requester may not see it)."""
        kind = KINDS["sessions"]
        return await self._readable(kind, who, object_key(kind, session_id), owner, session_id)


__all__ = ("DEFAULT_TOKEN_TYPE", "KINDS", "ObjectKind", "Objects", "Requester", "cdr_url_id", "parse_cdr_url_id")


class _Loose(dict[str, Any]):
    """A stored body that skipped validation (fault INVALID_OBJECT_ACCEPTED): fields read as attributes."""

    def __getattr__(self, name: str) -> Any:
        return self.get(name)


_OPEN_ENUMS: dict[str, type[StrEnum]] = {
    "standard": ConnectorType,
    "capabilities": Capability,
    "facilities": Facility,
    "parking_type": ParkingType,
    "parking_restrictions": ParkingRestriction,
}


def _require_every_field(raw: bytes, model: type) -> None:
    """Fault OPTIONAL_FIELDS_REQUIRED: HTTP 422 for an object that leaves out a field its model defines."""
    missing = _missing_fields(msgspec.json.decode(raw), msgspec.inspect.type_info(model), "")
    if missing:
        raise InvalidOrMissingParameters(f"field required: {', '.join(missing[:10])}", http_status=422)


def _missing_fields(doc: Any, info: Any, path: str) -> list[str]:
    inspect = msgspec.inspect
    if isinstance(info, inspect.UnionType):
        structs = [t for t in info.types if isinstance(t, inspect.StructType | inspect.ListType)]
        return [m for t in structs for m in _missing_fields(doc, t, path)]
    if isinstance(info, inspect.ListType) and isinstance(doc, list):
        return [m for i, item in enumerate(doc) for m in _missing_fields(item, info.item_type, f"{path}[{i}]")]
    if isinstance(info, inspect.StructType) and isinstance(doc, dict):
        out = []
        for f in info.fields:
            where = f"{path}.{f.encode_name}" if path else f.encode_name
            out += [where] if f.encode_name not in doc else _missing_fields(doc[f.encode_name], f.type, where)
        return out
    return []


def _refuse_unknown_enum_values(doc: Any, module: str) -> None:
    """Fault CLOSED_ENUMS: 2001 for a value an open enumeration does not list (a closed-enum code generator's way)."""
    enums = _OPEN_ENUMS | ({"type": TokenType} if module == "tokens" else {})
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            for name, value in item.items():
                known = enums.get(name)
                values = value if isinstance(value, list) else [value]
                if known is not None and any(isinstance(v, str) and v not in {m.value for m in known} for v in values):
                    raise InvalidOrMissingParameters(f"Invalid enum value for {name}: {value!r}")
                if isinstance(value, dict | list):
                    stack.append(value)
