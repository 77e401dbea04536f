"""Client-owned objects: the rules every module shares, applied to the hub's own copy.

What differs between modules is a row of ``hub/catalogue.py`` (model, PATCH model, id field, owning role, who may
read, what sits inside, keys with a type, lists a PATCH appends to): this engine reads the row and names no module.
What a row cannot say lives in ``hub/modules/``.

Every write is: check who may write, decode and check the body, then a read-modify-write of one stored record
conditional on its version (retried on a concurrent change). Nothing is stored before every check passed, so a
refused request changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import msgspec

from reference_hub.faults import Fault
from reference_hub.hub.catalogue import ModuleSpec
from reference_hub.hub.directory import party_key
from reference_hub.ocpi.codec import Codec
from reference_hub.ocpi.datetime import DateTime, now
from reference_hub.ocpi.errors import GenericClientError, InvalidOrMissingParameters, NotFound, OcpiError
from reference_hub.ocpi.models import (
    Capability,
    ConnectorType,
    Facility,
    ParkingRestriction,
    ParkingType,
    Role,
    TokenType,
)
from reference_hub.settings import Settings
from reference_hub.store import Conflict, Partner, Store
from reference_hub.store.objects import ObjectQuery, StoredObject
from reference_hub.store.outbox import Delivery
from reference_hub.store.page import Page

_WRITE_ATTEMPTS = 5
DEFAULT_TOKEN_TYPE = "RFID"  # noqa: S105 - a TokenType, not a secret
"""An object keyed by type (a Token) whose URL carries no ``?type=`` has this one."""


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


@dataclass(frozen=True, slots=True)
class Prepared:
    """A Receiver write checked in full but not yet applied (see :meth:`Objects.prepare`)."""

    spec: ModuleSpec
    method: str
    owner: str
    ids: tuple[str, ...]
    key: str
    decoded: Any
    """PUT: the object (or sub-object); PATCH: the fields present, in wire form; DELETE: None."""


def same_id(a: str, b: str) -> bool:
    """OCPI ids are CiStrings: equal regardless of case."""
    return a.upper() == b.upper()


def object_key(spec: ModuleSpec, object_id: str, object_type: str | None = None) -> str:
    """The store key: the id case-folded; a module keyed by type adds it (a Token's uid and type are unique)."""
    if spec.keyed_by_type:
        return f"{object_id.upper()}\t{object_type or DEFAULT_TOKEN_TYPE}"
    return object_id.upper()


class Objects:
    """The hub's copy of every client-owned object, with the rules of the Receiver and Sender interfaces."""

    def __init__(self, settings: Settings, store: Store, codec: Codec) -> None:
        self.settings = settings
        self.store = store
        self.codec = codec
        self._faults = frozenset(settings.faults)

    # --- checks -----------------------------------------------------------------------------------------------

    def owner(self, spec: ModuleSpec, who: Requester, country_code: str, party_id: str) -> str:
        """The owner key of ``{country_code}/{party_id}``, which the requesting platform must serve in the role that
        owns the module's objects."""
        owner = party_key(country_code, party_id)
        if Fault.WRONG_OWNER_ACCEPTED in self._faults:
            return owner
        if owner not in who.parties:
            raise NotFound(
                f"party {owner} is not served by this platform (it serves {', '.join(sorted(who.parties))}): "
                f"{spec.module} can only be written and read under your own country_code/party_id"
            )
        roles = frozenset(r.role for r in who.partner.roles if party_key(r.country_code, r.party_id) == owner)
        if spec.owner_roles is not None and not spec.owner_roles & roles:
            owners = " or ".join(sorted(r.value for r in spec.owner_roles))
            raise GenericClientError(
                f"{spec.module} are owned by a {owners}; party {owner} is registered as "
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

    @staticmethod
    def _audience(spec: ModuleSpec, obj: Any) -> str | None:
        """The party the object names along its row's ``audience_path`` (None: it names none)."""
        if not spec.audience_path:
            return None
        named = obj
        for step in spec.audience_path:
            if isinstance(step, int):
                named = named[step] if isinstance(named, list) and len(named) > step else None
            else:
                named = getattr(named, step, None)
            if named is None:
                return None
        return party_key(named.country_code, named.party_id)

    async def write(
        self,
        spec: ModuleSpec,
        who: Requester,
        owner: str,
        key: str,
        obj: Any,
        current: StoredObject | None,
        deliveries: Sequence[Delivery] = (),
        *,
        audience: str | None = None,
    ) -> StoredObject:
        """Store ``obj`` as the new version of ``current`` (Conflict when it changed meanwhile)."""
        record = StoredObject(
            module=spec.module,
            owner=owner,
            object_id=key,
            partner_id=who.partner.partner_id,
            audience=self._audience(spec, obj) or audience or (None if current is None else current.audience),
            last_updated=obj.last_updated,
            created=now() if current is None else current.created,
            version=1 if current is None else current.version + 1,
            body=self.codec.encode(obj),
        )
        expected = None if current is None else current.version
        await self.store.write_object(record, expected_version=expected, deliveries=deliveries)
        return record

    # --- Receiver interface: PUT / PATCH / GET / DELETE under {country_code}/{party_id} ------------------------

    def prepare(
        self,
        spec: ModuleSpec,
        who: Requester,
        method: str,
        country_code: str,
        party_id: str,
        ids: tuple[str, ...],
        raw: bytes,
        object_type: str | None = None,
    ) -> Prepared:
        """Every check of a PUT, PATCH or DELETE that needs no stored data: the owner, the body, the ids. Nothing is
        forwarded, planned or stored before this passed."""
        if method == "PUT":
            owner, obj, object_type = self.decoded_put(spec, who, country_code, party_id, ids, raw, object_type)
            return Prepared(spec, method, owner, ids, object_key(spec, ids[0], object_type), obj)
        if method == "PATCH":
            owner, fields = self.decoded_patch(spec, who, country_code, party_id, ids, raw)
            return Prepared(spec, method, owner, ids, object_key(spec, ids[0], object_type), fields)
        owner = self.owner(spec, who, country_code, party_id)
        return Prepared(spec, method, owner, ids, object_key(spec, ids[0], object_type), None)

    async def apply(
        self, prepared: Prepared, who: Requester, deliveries: Sequence[Delivery] = (), *, audience: str | None = None
    ) -> tuple[bool, StoredObject | None]:
        """The write on the hub's copy, with the deliveries it causes stored in the same transaction: (created, the
        stored record; None after a DELETE). A read-modify-write retried while another writer gets in between.
        ``audience``: the party that may read it besides its owner, where the object itself does not name one."""
        spec, ids, owner, key = prepared.spec, prepared.ids, prepared.owner, prepared.key
        if prepared.method == "DELETE":
            if not await self.store.delete_object(spec.module, owner, key, deliveries=deliveries):
                raise self.unknown(spec, ids[0])
            return False, None
        for _ in range(_WRITE_ATTEMPTS):
            current = await self.store.get_object(spec.module, owner, key)
            if prepared.method == "PATCH":
                if current is None:
                    raise self.unknown(spec, ids[0], "PUT it first")
                created, stored = False, self._patched(spec, current, ids, prepared.decoded)
            elif len(ids) == 1:
                created, stored = current is None, prepared.decoded
            else:
                created, stored = self._put_sub(spec, current, ids, prepared.decoded)
            try:
                return created, await self.write(spec, who, owner, key, stored, current, deliveries, audience=audience)
            except Conflict:
                continue
        raise Conflict(f"{spec.module} {ids[0]} kept changing; try again")

    def decoded_put(
        self,
        spec: ModuleSpec,
        who: Requester,
        country_code: str,
        party_id: str,
        ids: tuple[str, ...],
        raw: bytes,
        object_type: str | None,
    ) -> tuple[str, Any, str | None]:
        """Owner key, decoded body and object type of a PUT, after every check that needs no stored data."""
        owner = self.owner(spec, who, country_code, party_id)
        if len(ids) > 1 and Fault.SUBOBJECT_PUT_UNSUPPORTED in self._faults:
            raise GenericClientError(f"only whole {spec.module} can be PUT", http_status=405)
        model = spec.model if len(ids) == 1 else spec.sub_objects[len(ids) - 2][0]
        obj = self.decode_pushed(spec, raw, model)
        if len(ids) == 1:
            self._check_ids(
                [
                    (spec.id_field, getattr(obj, spec.id_field), ids[0]),
                    ("country_code", obj.country_code, country_code),
                    ("party_id", obj.party_id, party_id),
                ]
            )
            if spec.keyed_by_type:
                if object_type is not None and obj.type != object_type:
                    raise InvalidOrMissingParameters(f"type {obj.type!r} in the body differs from ?type={object_type}")
                object_type = obj.type
        else:
            field = spec.sub_id_fields[len(ids) - 2]
            self._check_ids([(field, getattr(obj, field), ids[-1])])
        return owner, obj, object_type

    def decode_pushed(self, spec: ModuleSpec, raw: bytes, model: type[Any] | None = None) -> Any:
        """A pushed object (``model``, default the row's) decoded by the strict decoder (2001 when it is not one),
        through the fault switches that change how a platform decodes what it is sent."""
        model = model or spec.model
        try:
            obj = self.codec.decode(raw, model)
        except InvalidOrMissingParameters as exc:
            if Fault.INVALID_OBJECT_HTTP_400 in self._faults:
                raise InvalidOrMissingParameters(exc.message, http_status=400) from exc
            if Fault.INVALID_OBJECT_ACCEPTED not in self._faults or not spec.sub_objects or model is not spec.model:
                raise
            obj = self._unvalidated(raw, exc)
        if Fault.CLOSED_ENUMS in self._faults:
            _refuse_unknown_enum_values(msgspec.json.decode(raw), spec.open_enum_fields)
        if Fault.OPTIONAL_FIELDS_REQUIRED in self._faults:
            require_every_field(raw, model)
        if Fault.STRICT_MODULE_OBJECTS in self._faults:
            known = {f.encode_name for f in msgspec.structs.fields(model)}
            unknown = sorted(set(msgspec.json.decode(raw)) - known)
            if unknown:
                raise InvalidOrMissingParameters(f"Object has unknown field(s) {', '.join(unknown)}")
        return obj

    def _unvalidated(self, raw: bytes, refusal: InvalidOrMissingParameters) -> Any:
        """Fault INVALID_OBJECT_ACCEPTED: the body as sent, with attribute access for the ids and ``last_updated``."""
        doc = msgspec.json.decode(raw)
        if not isinstance(doc, dict) or "last_updated" not in doc:
            raise refusal
        loose = _Loose(doc)
        loose["last_updated"] = self.codec.decode(msgspec.json.encode(doc["last_updated"]), DateTime)
        return loose

    def _chain(
        self, spec: ModuleSpec, doc: dict[str, Any], ids: tuple[str, ...], *, create: bool = False
    ) -> list[dict[str, Any]]:
        """The sub-objects ``ids[1:]`` name inside ``doc``, outermost first (stopping before a missing one)."""
        chain: list[dict[str, Any]] = []
        parent = doc
        for depth, wanted in enumerate(ids[1:]):
            items = parent.setdefault(spec.sub_lists[depth], []) if create else parent.get(spec.sub_lists[depth]) or []
            found = self._find(items, spec.sub_id_fields[depth], wanted)
            if found is None:
                break
            chain.append(found)
            parent = found
        return chain

    def _put_sub(
        self, spec: ModuleSpec, current: StoredObject | None, ids: tuple[str, ...], obj: Any
    ) -> tuple[bool, Any]:
        """The object with the sub-object ``obj`` put in place, and each level above it changed with it."""
        if current is None:
            raise spec.unknown(f"unknown {spec.noun} {ids[0]}: PUT the {spec.noun} first", http_status=404)
        doc = msgspec.json.decode(current.body)
        chain = self._chain(spec, doc, ids[:-1], create=True)
        if len(chain) < len(ids) - 2:
            level = len(chain)
            raise NotFound(f"unknown {spec.sub_nouns[level]} {ids[level + 1]} in {spec.noun} {ids[0]}: PUT it first")
        parent = chain[-1] if chain else doc
        depth = len(ids) - 2
        items = parent.setdefault(spec.sub_lists[depth], [])
        created = self._find(items, spec.sub_id_fields[depth], ids[-1]) is None
        wire = msgspec.json.decode(self.codec.encode(obj))
        self._replace(items, spec.sub_id_fields[depth], ids[-1], wire)
        for above in (doc, *chain):
            self._bump(above, wire["last_updated"])
        return created, self._validated(spec.model, doc)

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

    def decoded_patch(
        self, spec: ModuleSpec, who: Requester, country_code: str, party_id: str, ids: tuple[str, ...], raw: bytes
    ) -> tuple[str, dict[str, Any]]:
        """Owner key and the fields present in a PATCH, after every check that needs no stored data."""
        owner = self.owner(spec, who, country_code, party_id)
        patch_model = spec.patch if len(ids) == 1 else spec.sub_objects[len(ids) - 2][1]
        if patch_model is None:  # pragma: no cover - the operations table has no PATCH for these modules
            raise GenericClientError(f"{spec.module} cannot be PATCHed")
        if Fault.PATCH_WITHOUT_LAST_UPDATED in self._faults:
            raw = stamped(raw)
        # The fields present, in wire form (absent fields are UNSET and not encoded; an explicit null stays).
        fields: dict[str, Any] = msgspec.json.decode(self.codec.encode(self.codec.decode(raw, patch_model)))
        if "last_updated" not in fields and Fault.PATCH_WITHOUT_LAST_UPDATED not in self._faults:
            raise InvalidOrMissingParameters("a PATCH must contain last_updated")
        id_field = spec.id_field if len(ids) == 1 else spec.sub_id_fields[len(ids) - 2]
        self._check_ids([(id_field, fields.get(id_field), ids[-1])])
        if len(ids) == 1:
            self._check_ids(
                [
                    ("country_code", fields.get("country_code"), country_code),
                    ("party_id", fields.get("party_id"), party_id),
                ]
            )
        return owner, fields

    def _patched(self, spec: ModuleSpec, current: StoredObject, ids: tuple[str, ...], fields: dict[str, Any]) -> Any:
        """The stored object with the PATCH fields merged in (and each level above the target changed with it)."""
        doc = msgspec.json.decode(current.body)
        chain = self._chain(spec, doc, ids)
        if len(chain) < len(ids) - 1:
            level = len(chain)
            where = f"{spec.noun} {ids[0]}" if level == 0 else f"{spec.sub_nouns[level - 1]} {ids[level]}"
            raise NotFound(f"unknown {spec.sub_nouns[level]} {ids[level + 1]} in {where}: PUT it first")
        target = chain[-1] if chain else doc
        self._merge(spec, target, fields)
        if chain and "last_updated" in fields:
            for above in (doc, *chain[:-1]):
                self._bump(above, fields["last_updated"])
        return self._validated(spec.model, doc)

    def _merge(self, spec: ModuleSpec, target: dict[str, Any], fields: dict[str, Any]) -> None:
        appending = () if Fault.SESSION_PATCH_REPLACES_PERIODS in self._faults else spec.appended_lists
        for name, value in fields.items():
            if name in appending:
                target[name] = [*(target.get(name) or []), *(value or [])]  # appended; empty or null: no change
            else:
                target[name] = value

    def unknown(self, spec: ModuleSpec, object_id: str, advice: str = "") -> OcpiError:
        message = f"unknown {spec.noun} {object_id}" + (f": {advice}" if advice else "")
        http = 200 if Fault.UNKNOWN_OBJECT_200 in self._faults else 404
        return spec.unknown(message, http_status=http)

    async def get_owned(
        self,
        spec: ModuleSpec,
        who: Requester,
        country_code: str,
        party_id: str,
        ids: tuple[str, ...],
        object_type: str | None = None,
    ) -> msgspec.Raw:
        """The hub's copy of an object (or one inside it) of the requesting party, as stored."""
        owner = self.owner(spec, who, country_code, party_id)
        current = await self.store.get_object(spec.module, owner, object_key(spec, ids[0], object_type))
        if current is None:
            raise self.unknown(spec, ids[0])
        return self._sub_object(spec, current, ids)

    def _sub_object(self, spec: ModuleSpec, current: StoredObject, ids: tuple[str, ...]) -> msgspec.Raw:
        if len(ids) == 1:
            return msgspec.Raw(current.body)
        chain = self._chain(spec, msgspec.json.decode(current.body), ids)
        if len(chain) < len(ids) - 1:
            raise self.unknown(spec, "/".join(ids[: len(chain) + 2]))
        return msgspec.Raw(msgspec.json.encode(chain[-1]))

    # --- objects owned by the sending party, without a party in their URLs ----------------------------------------

    async def keep(
        self,
        spec: ModuleSpec,
        who: Requester,
        obj: Any,
        audience: str | None = None,
        *,
        key: str | None = None,
        owner: str | None = None,
    ) -> StoredObject:
        """Store (or replace) ``obj`` as ``owner``'s (default: the requesting party's), readable by ``audience``
        too."""
        key = key or str(getattr(obj, spec.id_field)).upper()
        owner = owner or who.party
        for _ in range(_WRITE_ATTEMPTS):
            current = await self.store.get_object(spec.module, owner, key)
            try:
                return await self.write(spec, who, owner, key, obj, current, audience=audience)
            except Conflict:
                continue
        raise GenericClientError(f"{spec.module} {key} is being changed by others: try again")

    # --- Sender interface: what each party may read --------------------------------------------------------------

    def _readers(self, spec: ModuleSpec, who: Requester) -> tuple[str, ...] | None:
        """None: every object; else the parties whose own (or audience) objects the requester may read."""
        if Fault.VISIBILITY_IGNORED in self._faults:
            return None
        if spec.readers is not None and who.roles & spec.readers:
            return None
        return (who.party,)

    def may_read(self, spec: ModuleSpec, who: Requester, obj: StoredObject) -> bool:
        readers = self._readers(spec, who)
        return readers is None or obj.owner in readers or obj.audience in readers

    async def page(
        self,
        spec: ModuleSpec,
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
            module=spec.module,
            date_from=date_from,
            date_to=date_to,
            offset=offset,
            limit=limit,
            readers=self._readers(spec, who),
            owners=None if owner is None else (owner,),
        )
        page = await self.store.list_objects(query)
        return Page(total=page.total, items=[msgspec.Raw(o.body) for o in page.items])

    async def readable(
        self, spec: ModuleSpec, who: Requester, object_id: str, owner: str | None = None, object_type: str | None = None
    ) -> StoredObject:
        """The one object with this id that ``who`` may read (of ``owner`` when given; 404 when none, 2000 when the
        id belongs to several parties and the request does not say which)."""
        key = object_key(spec, object_id, object_type)
        if owner is not None:
            found = await self.store.get_object(spec.module, owner, key)
            candidates = [] if found is None else [found]
        else:
            candidates = await self.store.find_objects(spec.module, key, limit=10)
        readable = [o for o in candidates if self.may_read(spec, who, o)]
        if not readable:
            raise self.unknown(spec, object_id)
        if len(readable) > 1:
            owners = ", ".join(o.owner for o in readable)
            raise GenericClientError(
                f"{spec.noun} {object_id} exists for several parties ({owners}):"
                " name one in OCPI-to-country-code/OCPI-to-party-id"
            )
        return readable[0]

    async def get_published(
        self, spec: ModuleSpec, who: Requester, ids: tuple[str, ...], owner: str | None
    ) -> msgspec.Raw:
        """Sender single-object GET (no owner segments in the URL)."""
        found = await self.readable(spec, who, ids[0], owner)
        return self._sub_object(spec, found, ids)

    async def owners_of(self, spec: ModuleSpec, object_id: str, object_type: str | None = None) -> list[str]:
        """The parties holding an object with this id in the hub's copy (at most two: enough to see it is ambiguous)."""
        return await self.store.find_owners(spec.module, object_key(spec, object_id, object_type), limit=2)


__all__ = ("DEFAULT_TOKEN_TYPE", "Objects", "Prepared", "Requester", "object_key", "require_every_field", "same_id")


def stamped(raw: bytes) -> bytes:
    """For the ``patch_without_last_updated`` switch only: a PATCH body given the ``last_updated`` its sender left
    out (at the door of any version)."""
    try:
        doc = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return raw
    if isinstance(doc, dict) and "last_updated" not in doc:
        doc["last_updated"] = now().to_ocpi()
        return msgspec.json.encode(doc)
    return raw


class _Loose(dict[str, Any]):
    """A stored body that skipped validation (fault INVALID_OBJECT_ACCEPTED): fields read as attributes."""

    def __getattr__(self, name: str) -> Any:
        return self.get(name)


_ENUMS: dict[str, type[StrEnum]] = {
    "standard": ConnectorType,
    "capabilities": Capability,
    "facilities": Facility,
    "parking_type": ParkingType,
    "parking_restrictions": ParkingRestriction,
    "type": TokenType,
}
"""The open enumerations behind the field names a catalogue row lists in ``open_enum_fields``."""


def require_every_field(raw: bytes, model: type) -> None:
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


def _refuse_unknown_enum_values(doc: Any, fields: Sequence[str]) -> None:
    """Fault CLOSED_ENUMS: 2001 for a value an open enumeration does not list (a closed-enum code generator's way)."""
    enums = {name: _ENUMS[name] for name in fields}
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
