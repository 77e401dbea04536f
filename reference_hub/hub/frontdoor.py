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

import functools
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from reference_hub.faults import Fault
from reference_hub.hub.auth import Caller
from reference_hub.hub.callbacks import Callbacks
from reference_hub.hub.catalogue import ModuleSpec, spec_for
from reference_hub.hub.directory import Directory, party_key, roles_of
from reference_hub.hub.interface_roles import is_own_party
from reference_hub.hub.objects import Objects, Requester
from reference_hub.hub.outbox import Deliveries
from reference_hub.hub.pages import PageRequest, page_request
from reference_hub.hub.routing import Forwarder, Relayed
from reference_hub.ocpi.codec import Codec
from reference_hub.ocpi.errors import (
    GenericClientError,
    InvalidOrMissingParameters,
    OcpiError,
    ReceiverNotConnected,
    Unauthorized,
    UnknownReceiver,
)
from reference_hub.ocpi.headers import RoutingHeaders, reply_headers
from reference_hub.ocpi.operations import OPERATIONS, Operation
from reference_hub.ocpi.paths import build_suffix, check_ids
from reference_hub.settings import Settings
from reference_hub.store import PartnerStatus, Store
from reference_hub.store.outbox import Delivery
from reference_hub.store.page import Page

log = logging.getLogger("reference_hub.routing")


@dataclass(frozen=True, slots=True)
class Exchange:
    """One functional-module request, as the front door takes it."""

    caller: Caller
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
        return await self._handlers[ex.op.operation_id](self, ex)

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
        object_ref: str = "",
    ) -> Relayed:
        """Send this request on to party ``to`` (the same module, interface and path, rebuilt from the checked
        ids), and return its answer."""
        op = ex.op
        interface = op.interface or ""
        return await self.forwarder.forward(
            to=to,
            sender=who.party,
            module=op.module,
            interface=interface,
            method=op.method,
            suffix=build_suffix(op.suffix, ex.params),
            query=ex.query if query is None else query,
            body=body,
            correlation_id=ex.correlation_id,
            # Not the per-token limit of registration handshakes: a CPO platform authorizes many drivers at once.
            # Forwards are bounded per destination (peer_concurrency), per sending platform (party_forwards) and by
            # the deadline.
            caller=None,
            hub_base=f"{self.settings.base_url}{op.base}",
            on_behalf_of=who.partner.partner_id,
            object_ref=object_ref,
        )

    async def keep_copy(self, write: Awaitable[Any]) -> None:
        """After a receiver accepted a forwarded write, bring the hub's copy along where it can follow."""
        try:
            await write
        except OcpiError as exc:  # e.g. a PATCH of an object the hub never received: the receiver's word stands
            log.info("hub copy not updated after a forwarded write: %s", exc.message)

    async def connected(self, party: str | None) -> str | None:
        """``party`` when it is a connected party, else None."""
        return party if party is not None and await self.directory.serving(party) is not None else None

    def page(self, ex: Exchange) -> PageRequest:
        return page_request(ex.query_params, self.settings)

    async def broadcast(
        self, ex: Exchange, who: Requester, spec: ModuleSpec, owner: str, object_id: str, body: bytes | None
    ) -> list[Delivery]:
        """The deliveries a push to the hub causes (none for a module that is not broadcast), to be stored with the
        write: one per connected platform that receives the module, at the owner's URL, the body as sent."""
        if not spec.broadcast_to:
            return []
        return await self.deliveries.plan(
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
    from reference_hub.hub.modules import handlers  # the module files import this one

    found = []
    for op in OPERATIONS:
        handler = handlers().get(op.operation_id) or generic_handler(op)
        if handler is not None:
            found.append((op, handler))
    return tuple(found)


def operations() -> list[Operation]:
    """Every operation the front door answers, in table order (the HTTP layer mounts one route each, and the version
    details list their interfaces)."""
    return [op for op, _handler in _served()]


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
