"""The front door: every functional-module request enters the hub here, and its route is decided here, once.

An :class:`Exchange` is one request with no web-framework types in it (who called, which operation of the operations
table, the decoded path ids, the query, the routing headers, the body, the exchange ids); :meth:`FrontDoor.handle`
answers it with a :class:`Reply`. In between:

1. **Who speaks, to whom** (:meth:`FrontDoor.requester`): ``OCPI-from-*`` must name a party the calling platform
   serves; ``OCPI-to-*`` names the hub (or nothing: open routing) or a connected party (else 4001, or 4003 when its
   operator suspended it). Path ids are checked here too (``ocpi/paths.py``), before anything else reads them.
2. **The route**, by the operation's shape and the module's catalogue row: answered from the hub's copy, forwarded
   to the party named (direct), broadcast to every party with the receiving role, or sent where the content points
   (open routing: a Session or CDR to the eMSP of its ``cdr_token``, an authorization to the token's eMSP, ...).
3. **Validate before anything is planned**: a write is checked in full (owner, body, ids) before it is forwarded,
   stored or fanned out, so a refused request changes nothing and costs no delivery.
4. **Then act, in this order**: forward (and relay the party's own answer), keep the hub's copy, plan the
   deliveries with the write (one transaction), answer.

The generic shapes (a Receiver's object under ``{country_code}/{party_id}``, a Sender's list and single objects)
are here; what a module does beyond them is in ``hub/modules/<module id>.py``, whose ``HANDLERS`` take over
operations by id. Routing fault switches are applied here.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import msgspec
from msgspec import UNSET, UnsetType

from reference_hub.faults import Fault
from reference_hub.hub.auth import Caller
from reference_hub.hub.callbacks import Callbacks
from reference_hub.hub.catalogue import ModuleSpec, spec_for
from reference_hub.hub.directory import Directory, party_key, roles_of
from reference_hub.hub.interface_roles import is_own_party
from reference_hub.hub.objects import Objects, Requester, stamped
from reference_hub.hub.outbox import Deliveries, Skip
from reference_hub.hub.pages import PageRequest, page_request
from reference_hub.hub.routing import Forwarder, Relayed
from reference_hub.ocpi import translate
from reference_hub.ocpi.codec import Codec
from reference_hub.ocpi.errors import (
    GenericClientError,
    HubGenericError,
    InvalidOrMissingParameters,
    NotFound,
    OcpiError,
    ReceiverNotConnected,
    Unauthorized,
    UnknownReceiver,
    UnknownToken,
)
from reference_hub.ocpi.headers import RoutingHeaders, reply_headers
from reference_hub.ocpi.operations import OPERATIONS, Operation
from reference_hub.ocpi.paths import build_suffix, check_ids
from reference_hub.ocpi.versions import MODELS as VERSION_MODELS
from reference_hub.ocpi.versions import MODULES as VERSION_MODULES
from reference_hub.ocpi.versions import OPERATIONS as VERSION_OPERATIONS
from reference_hub.ocpi.versions import V221, V230
from reference_hub.settings import Settings
from reference_hub.store import Partner, PartnerStatus, Store
from reference_hub.store.outbox import Delivery
from reference_hub.store.page import Page

log = logging.getLogger("reference_hub.routing")


@dataclass(frozen=True, slots=True)
class Exchange:
    """One functional-module request, as the front door takes it."""

    caller: Caller
    version: str
    """The OCPI version of the request (the version whose URL it came to)."""
    op: Operation
    params: Mapping[str, str]
    """Path ids, decoded, by name."""
    raw_path: bytes
    """The path as received (percent-encoded), only to check for encoded separators."""
    query: str
    """The query string as received."""
    query_params: Mapping[str, str]
    routing: RoutingHeaders
    body: bytes
    """The request body (empty for GET and DELETE)."""
    request_id: str
    correlation_id: str
    source_body: bytes | None = None
    """The body as the requester sent it, when the front door translated it to 2.3.0 (a request in another
    version): a receiver of the requester's own version gets these bytes, not a round trip through 2.3.0."""


@dataclass(slots=True)
class Reply:
    """What the hub answers: its own envelope (``data``, ``status_code``...), a page, or a party's answer relayed."""

    data: Any | UnsetType = UNSET
    status_code: int = 1000
    message: str | None = None
    http_status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    page: tuple[PageRequest, Page[Any]] | None = None
    """A page of a list, with the request it answers (the HTTP layer adds ``Link``, ``X-Total-Count``, ``X-Limit``)."""
    relayed: Relayed | None = None
    """A receiver's own answer, passed back as it came (its envelope untouched)."""
    routing: list[tuple[str, str]] | None = None
    """Routing headers for this answer when they are not :meth:`FrontDoor.reply_routing`'s (the hub acknowledging
    a result on behalf of the party it is for)."""


Handler = Callable[["FrontDoor", Exchange], Awaitable[Reply]]


class FrontDoor:
    """Takes every functional-module request; see the module docstring."""

    def __init__(
        self,
        settings: Settings,
        codec: Codec,
        store: Store,
        directory: Directory,
        objects: Objects,
        forwarder: Forwarder,
        deliveries: Deliveries,
        callbacks: Callbacks,
    ) -> None:
        self.settings = settings
        self.codec = codec
        self.store = store
        self.directory = directory
        self.objects = objects
        self.forwarder = forwarder
        self.deliveries = deliveries
        self.callbacks = callbacks
        self.faults = frozenset(settings.faults)
        self._handlers = {op.operation_id: handler for op, handler in _served()}

    # --- what the HTTP layer asks -------------------------------------------------------------------------------

    def reply_routing(self, routing: RoutingHeaders) -> list[tuple[str, str]] | None:
        """The routing headers every answer to this request carries, errors included: TO = the requester, FROM =
        the hub (a relayed answer brings the receiver's own)."""
        if Fault.NO_ROUTING_HEADERS in self.faults or not (routing.from_country_code and routing.from_party_id):
            return None
        return reply_headers(
            routing.from_country_code, routing.from_party_id, self.settings.country_code, self.settings.party_id
        )

    async def handle(self, ex: Exchange) -> Reply:
        handler = self._handlers[ex.op.operation_id]
        if ex.version == V230:  # the hub's own version: nothing below is paid for
            return await handler(self, ex)
        ex = self._arrived(ex)
        return self._leaving(ex, await handler(self, ex))

    # --- versions: a request in another version meets the hub's own (2.3.0) at the door --------------------------

    def _arrived(self, ex: Exchange) -> Exchange:
        """Validate the body as its version defines it (that version's rules and status codes), then carry on with it
        in 2.3.0 form; the bytes as sent are kept for a receiver of the same version."""
        schema = body_schema(ex)
        if ex.op.module == "commands" and ex.op.method == "POST" and schema is None:
            raise InvalidOrMissingParameters(f"OCPI {ex.version} has no command {ex.params.get('command', '')!r}")
        if not ex.body or schema is None:
            return ex
        model = getattr(VERSION_MODELS[ex.version], schema)
        raw = ex.body
        if ex.op.method == "PATCH" and Fault.PATCH_WITHOUT_LAST_UPDATED in self.faults:
            raw = stamped(raw)
        try:
            decoded = self.codec.decode(raw, model)
        except InvalidOrMissingParameters as exc:
            # the switches that change how the hub decodes what it is sent act on every version's body
            if Fault.INVALID_OBJECT_HTTP_400 in self.faults:
                raise InvalidOrMissingParameters(exc.message, http_status=400) from exc
            if Fault.INVALID_OBJECT_ACCEPTED in self.faults and ex.op.method == "PUT":
                # on to the object engine, which takes it as sent under the same switch; a party of this version
                # is sent these bytes, any other the same bytes untranslated (they are no valid object to translate)
                return dataclasses.replace(ex, source_body=ex.body)
            raise
        doc = msgspec.json.decode(self.codec.encode(decoded))
        return dataclasses.replace(ex, body=self.codec.encode(translate.up(schema, doc)), source_body=ex.body)

    def _leaving(self, ex: Exchange, reply: Reply) -> Reply:
        """What the hub answers from its own copy, in the requester's version (a relayed answer was translated when
        it came back). An object that version cannot carry is left out of a page, and is unknown when asked alone."""
        schema = ex.op.answer
        if reply.relayed is not None or schema is None:
            return reply
        if reply.page is not None:
            page, result = reply.page
            items, dropped = translate.down_items(schema, [_doc(self.codec, i) for i in result.items])
            for reason in dropped:
                log.info("left out of a %s page for a %s party: %s", schema, ex.version, reason)
            if self.faults & _V221_PAGE_FAULTS:
                items = [_v221_page_fault(self.faults, schema, item) for item in items]
            reply.page = (page, Page(total=max(result.total - len(dropped), 0), items=items))
        elif reply.data is not UNSET and reply.data is not None:
            try:
                reply.data = translate.down(schema, _doc(self.codec, reply.data))
            except translate.Untranslatable as exc:
                raise NotFound(f"not available in OCPI {ex.version}: {exc.reason}", http_status=404) from exc
        return reply

    async def _receiving(
        self, ex: Exchange, to: str, body: bytes | None, schema: str | None, partner: Partner | None = None
    ) -> tuple[Any, bytes | None]:
        """The receiving platform of a forward (``partner``, when the handler found it already), and the body in its
        version."""
        partner = await self.forwarder.receiver(to, partner)
        theirs = partner.version or V230
        if ex.op.module not in VERSION_MODULES.get(theirs, VERSION_MODULES[V230]):
            raise HubGenericError(f"{to} speaks OCPI {theirs}, which has no {ex.op.module} module")
        if body is None or theirs == V230:
            return partner, body
        if theirs == ex.version and ex.source_body is not None and body is ex.body:
            return partner, ex.source_body
        if schema is None:
            return partner, body
        try:
            return partner, self.codec.encode(translate.down(schema, msgspec.json.decode(body)))
        except translate.Untranslatable as exc:
            raise HubGenericError(f"{to} speaks OCPI {theirs}, which cannot carry this: {exc.reason}") from exc

    def _relayed_in(self, relayed: Relayed, theirs: str, ours: str, schema: str | None) -> Relayed:
        """A receiver's answer in the requester's version (its envelope otherwise as it came)."""
        if theirs == ours or schema is None:
            return relayed
        try:
            envelope = msgspec.json.decode(relayed.body)
        except (msgspec.DecodeError, RecursionError):
            return relayed
        data = envelope.get("data") if isinstance(envelope, dict) else None
        if data is None:
            return relayed
        if ours == V230:
            envelope["data"] = (
                [translate.up(schema, i) for i in data] if isinstance(data, list) else translate.up(schema, data)
            )
        elif isinstance(data, list):
            envelope["data"], dropped = translate.down_items(schema, data)
            if dropped:  # left out of the page: the total the requester can reach is that much smaller
                headers = [
                    (k, str(max(int(v) - len(dropped), 0)) if k.lower() == "x-total-count" and v.isdigit() else v)
                    for k, v in relayed.headers
                ]
                return Relayed(relayed.status, msgspec.json.encode(envelope), headers, relayed.status_code)
        else:
            try:
                envelope["data"] = translate.down(schema, data)
            except translate.Untranslatable as exc:
                raise HubGenericError(f"the answer cannot be carried in OCPI {ours}: {exc.reason}") from exc
        return Relayed(relayed.status, msgspec.json.encode(envelope), relayed.headers, relayed.status_code)

    # --- what every handler uses --------------------------------------------------------------------------------

    async def requester(self, ex: Exchange) -> tuple[Requester, str | None]:
        """Who speaks (``OCPI-from-*``, a party the calling platform serves) and to whom (None: the hub itself)."""
        settings = self.settings
        check_ids(ex.params, ex.raw_path)
        routing = ex.routing
        problems = routing.problems()
        if problems:
            raise InvalidOrMissingParameters("; ".join(problems))
        partner = None if ex.caller.partner_id is None else await self.directory.partner(ex.caller.partner_id)
        if partner is None or partner.status is not PartnerStatus.ACTIVE:
            raise Unauthorized("the token does not belong to a registered platform")
        assert routing.from_country_code is not None and routing.from_party_id is not None  # checked by problems()
        speaker = party_key(routing.from_country_code, routing.from_party_id)
        if speaker not in partner.party_keys and Fault.WRONG_OWNER_ACCEPTED not in self.faults:
            raise GenericClientError(
                f"OCPI-from-* names {speaker}, which this platform does not serve ({', '.join(partner.party_keys)})"
            )
        who = Requester(partner=partner, party=speaker, roles=roles_of(partner, speaker))
        if routing.to_country_code is None or routing.to_party_id is None:
            return who, None
        to = party_key(routing.to_country_code, routing.to_party_id)
        if to == party_key(settings.country_code, settings.party_id):
            return who, None
        if Fault.ROLES_PER_INTERFACE in self.faults and is_own_party(settings, to):
            return who, None  # the platform's eMSP party is the hub itself
        if await self.directory.serving(to) is None:
            if await self.directory.suspended(to):
                raise ReceiverNotConnected(f"OCPI-to-* names {to}, which is suspended by the hub's operator")
            if Fault.UNKNOWN_RECEIVER_AS_SUCCESS in self.faults:
                return who, None
            raise UnknownReceiver(f"OCPI-to-* names {to}, which is not a party connected to this hub")
        return who, to

    async def forward(
        self,
        ex: Exchange,
        who: Requester,
        to: str,
        body: bytes | None,
        *,
        query: str | None = None,
        schema: str | None = None,
        object_ref: str = "",
        receiver: Partner | None = None,
    ) -> Relayed:
        """Send this request on to party ``to`` (the same module, interface and path, rebuilt from the checked
        ids), in the receiver's version, and return its answer in the requester's. ``schema`` names the body's object
        when the operation does not (a command); ``receiver``: the platform serving ``to``, when the handler looked
        it up already (:meth:`serving`)."""
        op = ex.op
        interface = op.interface or ""
        partner, body = await self._receiving(ex, to, body, schema or body_schema(ex), receiver)
        query = ex.query if query is None else query
        try:
            query = query_for(ex, partner.version or V230, query)
        except translate.Untranslatable as exc:
            if op.method == "GET":  # the receiver cannot have been told of such a token
                raise UnknownToken(f"{to} speaks OCPI {partner.version}: {exc.reason}", http_status=404) from exc
            raise HubGenericError(f"{to} speaks OCPI {partner.version}, which cannot carry this: {exc.reason}") from exc
        relayed = await self.forwarder.forward(
            to=to,
            sender=who.party,
            module=op.module,
            interface=interface,
            method=op.method,
            suffix=build_suffix(op.suffix, ex.params),
            query=query,
            body=body,
            correlation_id=ex.correlation_id,
            # Not the per-token limit of registration handshakes: a CPO platform authorizes many drivers at once.
            # Forwards are bounded per destination (peer_concurrency), per sending platform (party_forwards) and by
            # the deadline.
            caller=None,
            hub_base=f"{self.settings.base_url}{op.base}",
            on_behalf_of=who.partner.partner_id,
            partner=partner,
            object_ref=object_ref,
        )
        return self._relayed_in(relayed, partner.version or V230, ex.version, op.answer)

    async def keep_copy(self, write: Awaitable[Any]) -> None:
        """After a receiver accepted a forwarded write, bring the hub's copy along where it can follow."""
        try:
            await write
        except OcpiError as exc:  # e.g. a PATCH of an object the hub never received: the receiver's word stands
            log.info("hub copy not updated after a forwarded write: %s", exc.message)

    async def connected(self, party: str | None) -> str | None:
        """``party`` when it is a connected party, else None."""
        return party if party is not None and await self.directory.serving(party) is not None else None

    async def serving(self, party: str) -> Partner | None:
        """The connected platform serving ``party`` (None: none), to hand to :meth:`forward` so that a routed request
        asks the directory once."""
        return await self.directory.serving(party)

    def page(self, ex: Exchange) -> PageRequest:
        return page_request(ex.query_params, self.settings)

    async def broadcast(
        self, ex: Exchange, who: Requester, spec: ModuleSpec, owner: str, object_id: str, body: bytes | None
    ) -> list[Delivery]:
        """The deliveries a push to the hub causes (none for a module that is not broadcast), to be stored with the
        write: one per connected platform that receives the module, at the owner's URL, the body as sent."""
        if not spec.broadcast_to:
            return []

        def body_for(partner: Partner, body: bytes | None) -> bytes | None:
            theirs = partner.version or V230
            if theirs == V230 or body is None:
                return body
            if ex.op.module not in VERSION_MODULES.get(theirs, frozenset()):
                raise Skip(f"OCPI {theirs} has no {ex.op.module} module")
            query_for(ex, theirs, ex.query)  # a token type that version has no word for: not pushed
            if theirs == ex.version and ex.source_body is not None and Fault.LAST_UPDATED_REWRITTEN not in self.faults:
                return ex.source_body
            schema = body_schema(ex)
            if schema is None:
                return body
            return self.codec.encode(translate.down(schema, msgspec.json.decode(body)))

        def carried(partner: Partner, body: bytes | None) -> bytes | None:
            try:
                return body_for(partner, body)
            except translate.Untranslatable as exc:
                raise Skip(f"OCPI {partner.version} cannot carry it: {exc.reason}") from exc

        return await self.deliveries.plan(
            body_for=carried,
            sender_partner=who.partner.partner_id,
            module=spec.module_id,
            receivers=spec.broadcast_to,
            method=ex.op.method,
            suffix=build_suffix(ex.op.suffix, ex.params),
            query=ex.query,
            body=body,
            stream=f"{spec.module}|{owner}|{object_id.upper()}",
            correlation_id=ex.correlation_id,
        )


_V221_PAGE_FAULTS = frozenset({Fault.V221_PRICE_230, Fault.V221_TAX_INCLUDED, Fault.V221_OPEN_ENUM_VALUES})


def _v221_page_fault(faults: frozenset[str], schema: str, item: Any) -> Any:
    """A page item for a 2.2.1 party with the 2.3.0 shapes a fault switch leaks into it."""
    if Fault.V221_PRICE_230 in faults:
        item = _price_230(item)
    if Fault.V221_TAX_INCLUDED in faults and schema == "Tariff" and isinstance(item, dict):
        item = {**item, "tax_included": "NO"}
    if Fault.V221_OPEN_ENUM_VALUES in faults and schema == "Location" and isinstance(item, dict):
        evses = [
            {**e, "connectors": [{**c, "standard": "MCS"} for c in e.get("connectors") or []]}
            for e in item.get("evses") or []
        ]
        item = {**item, "evses": evses}
    return item


def _price_230(doc: Any) -> Any:
    if isinstance(doc, list):
        return [_price_230(d) for d in doc]
    if not isinstance(doc, dict):
        return doc
    if "excl_vat" in doc:
        return {"before_taxes": doc["excl_vat"], "taxes": []}
    return {k: _price_230(v) for k, v in doc.items()}


def body_schema(ex: Exchange) -> str | None:
    """The schema of the request body: the operation's, or for a command the object its ``{command}`` names."""
    if ex.op.module == "commands" and ex.op.method == "POST" and "command" in ex.params:
        return _COMMAND_OBJECTS.get(ex.params["command"])
    body = ex.op.body
    return body if body is not None and " " not in body and body != "object" else None


_COMMAND_OBJECTS = {
    "START_SESSION": "StartSession",
    "STOP_SESSION": "StopSession",
    "RESERVE_NOW": "ReserveNow",
    "CANCEL_RESERVATION": "CancelReservation",
    "UNLOCK_CONNECTOR": "UnlockConnector",
}


def _doc(codec: Codec, data: Any) -> Any:
    """An object the hub holds (stored bytes or a Struct) as a JSON document."""
    if isinstance(data, msgspec.Raw):
        return msgspec.json.decode(bytes(data))
    return msgspec.json.decode(codec.encode(data))


def relay(relayed: Relayed) -> Reply:
    return Reply(relayed=relayed)


def object_type(ex: Exchange) -> str | None:
    """``?type=`` of an operation that takes it (a Token's type), checked."""
    if "type" not in ex.op.query:
        return None
    value = ex.query_params.get("type") or None
    if value is not None and (len(value) > 255 or not value.isprintable()):
        raise InvalidOrMissingParameters("query parameter type must be a TokenType")
    return value


_TOKEN_TYPES_221 = frozenset(t.value for t in VERSION_MODELS[V221].TokenType)


def query_for(ex: Exchange, theirs: str, query: str) -> str:
    """The query string for a receiver in version ``theirs``: a token ``?type=`` 2.2.1 has no word for (EMAID, a
    custom type) becomes OTHER for a real-time authorization (as inside a Token) and cannot be carried otherwise."""
    if theirs == V230 or "type" not in ex.op.query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    kinds = [v for k, v in pairs if k == "type"]
    if not kinds or all(v in _TOKEN_TYPES_221 for v in kinds):
        return query
    if ex.op.operation_id != "tokensSenderPostAuthorize":
        raise translate.Untranslatable(f"token type {kinds[0]!r} is not a 2.2.1 TokenType")
    return urlencode([(k, "OTHER" if k == "type" and v not in _TOKEN_TYPES_221 else v) for k, v in pairs])


def _names(op: Operation) -> list[str]:
    return re.findall(r"\{(\w+)\}", op.suffix)


# --- the generic shapes ------------------------------------------------------------------------------------------


def _spec(ex: Exchange, spec: ModuleSpec | None) -> ModuleSpec:
    found = spec or spec_for(ex.op)
    assert found is not None  # generic_handler only answers operations of catalogue rows
    return found


async def receiver_object(door: FrontDoor, ex: Exchange, spec: ModuleSpec | None = None) -> Reply:
    """``{endpoint}/{country_code}/{party_id}[/{kind}]/{id}[/...]``: objects of the requesting party (``spec``: the
    operation's catalogue row, unless a module file says otherwise)."""
    spec = _spec(ex, spec)
    who, to = await door.requester(ex)
    params = ex.params
    cc, pid = params["country_code"], params["party_id"]
    ids = tuple(params[n] for n in _names(ex.op)[2:])
    kind = object_type(ex)
    objects = door.objects
    if ex.op.method == "GET":
        if to is not None:
            objects.owner(spec, who, cc, pid)
            return relay(await door.forward(ex, who, to, None))
        return Reply(await objects.get_owned(spec, who, cc, pid, ids, kind))
    body = ex.body
    prepared = objects.prepare(spec, who, ex.op.method, cc, pid, ids, body, kind)
    if to is not None:  # direct: forward, then keep the copy if the receiver took it
        relayed = await door.forward(ex, who, to, body or None)
        if relayed.succeeded:
            await door.keep_copy(objects.apply(prepared, who))
        return relay(relayed)
    deliveries = await door.broadcast(ex, who, spec, prepared.owner, ids[0], body or None)
    created, record = await objects.apply(prepared, who, deliveries)
    if deliveries:
        door.deliveries.wake()
    elif record is not None and await door.connected(record.audience) is not None:
        assert record.audience is not None  # open routing: to the eMSP of the cdr_token
        ref = f"{spec.module}|{record.owner}|{ids[0].upper()}"  # what the operator's object view lists
        return relay(await door.forward(ex, who, record.audience, body or None, object_ref=ref))
    return Reply(http_status=201 if created else 200)


async def sender_list(door: FrontDoor, ex: Exchange, spec: ModuleSpec | None = None) -> Reply:
    """A Sender's GET-all: from the hub's copy, or (``OCPI-to-*`` a party) that party's own list through the hub."""
    spec = _spec(ex, spec)
    who, to = await door.requester(ex)
    if to is not None:
        return relay(await door.forward(ex, who, to, None))
    page = door.page(ex)
    if spec.date_from_required and page.date_from is None and Fault.SESSIONS_DATE_FROM_REQUIRED in door.faults:
        raise InvalidOrMissingParameters(f"date_from is required on the {spec.module} list")
    result = await door.objects.page(
        spec, who, date_from=page.date_from, date_to=page.date_to, offset=page.offset, limit=page.limit
    )
    return Reply(page=(page, result))


async def sender_object(door: FrontDoor, ex: Exchange, spec: ModuleSpec | None = None) -> Reply:
    """A Sender's single object (a Location's EVSE or connector, a BookingLocation's Calendar too), from the hub's
    copy or the party named."""
    spec = _spec(ex, spec)
    who, to = await door.requester(ex)
    if to is not None:
        return relay(await door.forward(ex, who, to, None))
    ids = tuple(ex.params[n] for n in _names(ex.op))
    return Reply(await door.objects.get_published(spec, who, ids, None))


@functools.cache
def _served() -> tuple[tuple[Operation, Handler], ...]:
    """Every operation of the 2.3.0 table the front door answers, with its handler (a 2.2.1 operation has the same id
    and the same handler)."""
    from reference_hub.hub.modules import handlers  # the module files import this one

    found = []
    for op in OPERATIONS:
        handler = handlers().get(op.operation_id) or generic_handler(op)
        if handler is not None:
            found.append((op, handler))
    return tuple(found)


def operations(version: str = V230) -> list[Operation]:
    """Every operation the front door answers in ``version``, in table order (the HTTP layer mounts one route each,
    and the version details list their interfaces)."""
    answered = {op.operation_id for op, _handler in _served()}
    return [op for op in VERSION_OPERATIONS[version] if op.operation_id in answered]


def generic_handler(op: Operation) -> Handler | None:
    """The generic shape an operation of a catalogue module takes, from its row of the operations table alone."""
    if spec_for(op) is None:
        return None
    if op.interface == "RECEIVER" and op.suffix.startswith("/{country_code}/{party_id}/"):
        return receiver_object
    if op.interface == "SENDER" and op.paginated:
        return sender_list
    if op.interface == "SENDER" and op.method == "GET" and not op.suffix.endswith(("/authorize",)):
        return sender_object
    return None


def decode_data(body: bytes) -> Any:
    """``data`` of a relayed answer (None when there is none)."""
    try:
        doc = msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError):
        return None
    return doc.get("data") if isinstance(doc, dict) else None


__all__ = (
    "Exchange",
    "FrontDoor",
    "Handler",
    "Relayed",
    "Reply",
    "decode_data",
    "generic_handler",
    "object_type",
    "operations",
    "receiver_object",
    "relay",
    "sender_list",
    "sender_object",
)
