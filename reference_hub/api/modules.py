"""Sender and Receiver routes of the client-owned-object modules, built from the operations table.

Each row of ``ocpi/operations.py`` for a module in ``hub/objects.KINDS`` becomes one route; what the route does
follows from the row's shape (interface, method, path), so a module is added by rows, not by handlers.
Before any handler runs, :func:`_requester` reads and checks the routing headers (the only place that does) and
sets the answer's routing headers: ``OCPI-to-*`` = the requesting party, ``OCPI-from-*`` = the hub.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import HttpMethod, Request, route
from litestar.handlers import HTTPRouteHandler

from reference_hub.api.auth import caller_of
from reference_hub.api.body import read_body
from reference_hub.api.context import HubContext, hub_of
from reference_hub.api.pagination import page_request, paginated_response
from reference_hub.api.responses import ROUTING_SCOPE_KEY, OcpiResponse, exchange_ids, ocpi_response
from reference_hub.faults import Fault
from reference_hub.hub.directory import party_key, roles_of
from reference_hub.hub.objects import KINDS, ObjectKind, Requester
from reference_hub.hub.routing import BROADCAST_MODULES, Relayed
from reference_hub.ocpi.errors import (
    ForwardTimeout,
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
from reference_hub.store import PartnerStatus
from reference_hub.store.objects import StoredObject
from reference_hub.store.outbox import Delivery

log = logging.getLogger("reference_hub.routing")

Handler = Callable[[Request[Any, Any, Any]], Awaitable[OcpiResponse]]


async def _requester(request: Request[Any, Any, Any], ctx: HubContext) -> tuple[Requester, str | None]:
    """Who speaks (``OCPI-from-*``, a party the calling platform serves) and to whom (None: the hub itself)."""
    settings = ctx.settings
    check_ids(request.path_params, request.scope.get("raw_path") or b"")
    routing = RoutingHeaders.from_asgi(request.scope["headers"])
    hub_cc, hub_pid = settings.country_code, settings.party_id
    if Fault.NO_ROUTING_HEADERS not in settings.faults and routing.from_country_code and routing.from_party_id:
        reply = reply_headers(routing.from_country_code, routing.from_party_id, hub_cc, hub_pid)
        request.scope[ROUTING_SCOPE_KEY] = reply  # type: ignore[literal-required]
    problems = routing.problems()
    if problems:
        raise InvalidOrMissingParameters("; ".join(problems))
    caller = caller_of(request)
    partner = None if caller.partner_id is None else await ctx.directory.partner(caller.partner_id)
    if partner is None or partner.status is not PartnerStatus.ACTIVE:
        raise Unauthorized("the token does not belong to a registered platform")
    assert routing.from_country_code is not None and routing.from_party_id is not None  # checked by problems()
    speaker = party_key(routing.from_country_code, routing.from_party_id)
    if speaker not in partner.party_keys and Fault.WRONG_OWNER_ACCEPTED not in settings.faults:
        raise GenericClientError(
            f"OCPI-from-* names {speaker}, which this platform does not serve ({', '.join(partner.party_keys)})"
        )
    to = None
    if routing.to_country_code is not None and routing.to_party_id is not None:
        to = party_key(routing.to_country_code, routing.to_party_id)
        if to == party_key(hub_cc, hub_pid):
            to = None
        elif await ctx.directory.serving(to) is None:
            if await ctx.directory.suspended(to):
                raise ReceiverNotConnected(f"OCPI-to-* names {to}, which is suspended by the hub's operator")
            if Fault.UNKNOWN_RECEIVER_AS_SUCCESS in settings.faults:
                return Requester(partner=partner, party=speaker, roles=roles_of(partner, speaker)), None
            raise UnknownReceiver(f"OCPI-to-* names {to}, which is not a party connected to this hub")
    return Requester(partner=partner, party=speaker, roles=roles_of(partner, speaker)), to


async def _body(request: Request[Any, Any, Any], ctx: HubContext) -> bytes:
    """The request body, read within the hub's size and time limits (counted against the caller's token)."""
    return await read_body(request, ctx, caller_of(request).token_hash)


def _litestar_path(path: str) -> str:
    return re.sub(r"\{(\w+)\}", r"{\1:str}", path)


def _names(op: Operation) -> list[str]:
    return re.findall(r"\{(\w+)\}", op.suffix)


def _token_type(request: Request[Any, Any, Any], op: Operation) -> str | None:
    if "type" not in op.query:
        return None
    value = request.query_params.get("type") or None
    if value is not None and (len(value) > 255 or not value.isprintable()):
        raise InvalidOrMissingParameters("query parameter type must be a TokenType")
    return value


def _suffix(request: Request[Any, Any, Any], op: Operation) -> str:
    """The path after the module interface's endpoint URL, rebuilt from the ids the router decoded (each checked and
    encoded whole), never copied from the request: see ``ocpi/paths.py``."""
    return build_suffix(op.suffix, request.path_params)


def _query(request: Request[Any, Any, Any]) -> str:
    return request.scope.get("query_string", b"").decode("latin-1")


def relayed_response(request: Request[Any, Any, Any], ctx: HubContext, relayed: Relayed) -> OcpiResponse:
    """A receiver's answer as it came (its envelope untouched), with our ids and the relayed headers."""
    request_id, correlation_id = exchange_ids(request)
    headers = [*relayed.headers, ("X-Request-ID", request_id), ("X-Correlation-ID", correlation_id)]
    return OcpiResponse(relayed.status, relayed.body, headers)


async def _forward(
    request: Request[Any, Any, Any],
    ctx: HubContext,
    op: Operation,
    who: Requester,
    to: str,
    body: bytes | None,
    *,
    interface: str | None = None,
    suffix: str | None = None,
    module: str | None = None,
    query: str | None = None,
) -> Relayed:
    """Forward this request to party ``to`` (by default to the same module, interface and path suffix)."""
    interface = interface or op.interface or ""
    module = module or op.module
    base = next(o.base for o in OPERATIONS if o.module == module and o.interface == interface)
    return await ctx.forwarder.forward(
        to=to,
        sender=who.party,
        module=module,
        interface=interface,
        method=op.method,
        suffix=_suffix(request, op) if suffix is None else suffix,
        query=_query(request) if query is None else query,
        body=body,
        correlation_id=exchange_ids(request)[1],
        # Not the per-token limit of registration handshakes: a CPO platform authorizes many drivers at once.
        # Forwards are bounded per destination (peer_concurrency), per sending platform (party_forwards) and by
        # the deadline.
        caller=None,
        hub_base=f"{ctx.settings.base_url}{base}",
        on_behalf_of=who.partner.partner_id,
    )


async def _keep_copy(write: Awaitable[Any]) -> None:
    """After a receiver accepted a forwarded write, bring the hub's copy along where it can follow."""
    try:
        await write
    except OcpiError as exc:  # e.g. a PATCH of an object the hub never received: the receiver's word stands
        log.info("hub copy not updated after a forwarded write: %s", exc.message)


def _receiver_object(op: Operation, kind: ObjectKind) -> Handler:
    """``{endpoint}/{country_code}/{party_id}/{id}[/...]``: objects of the requesting party."""
    id_names = _names(op)[2:]

    async def handle(request: Request[Any, Any, Any]) -> OcpiResponse:
        ctx = hub_of(request)
        who, to = await _requester(request, ctx)
        params = request.path_params
        cc, pid = params["country_code"], params["party_id"]
        ids = tuple(str(params[n]) for n in id_names)
        token_type = _token_type(request, op)
        objects = ctx.objects
        if op.method == "GET":
            if to is not None:
                ctx.objects.check(kind, who, "GET", cc, pid, ids, b"")
                return relayed_response(request, ctx, await _forward(request, ctx, op, who, to, None))
            return ocpi_response(request, ctx, await objects.get_owned(kind, who, cc, pid, ids, token_type))
        body = b"" if op.method == "DELETE" else await _body(request, ctx)
        if to is not None:  # direct: check, forward, then keep the copy if the receiver took it
            objects.check(kind, who, op.method, cc, pid, ids, body, token_type)
            relayed = await _forward(request, ctx, op, who, to, body or None)
            if relayed.succeeded:
                await _keep_copy(_apply(ctx, op, kind, who, cc, pid, ids, body, token_type))
            return relayed_response(request, ctx, relayed)
        deliveries: list[Delivery] = []
        if kind.module in BROADCAST_MODULES:  # broadcast: planned now, stored with the write
            deliveries = await ctx.deliveries.plan(
                sender_partner=who.partner.partner_id,
                module=kind.module,
                method=op.method,
                suffix=_suffix(request, op),
                query=_query(request),
                body=body or None,
                stream=f"{kind.module}|{party_key(cc, pid)}|{ids[0].upper()}",
                correlation_id=exchange_ids(request)[1],
            )
        created, record = await _apply(ctx, op, kind, who, cc, pid, ids, body, token_type, deliveries)
        if deliveries:
            ctx.deliveries.wake()
        elif record is not None and record.audience is not None:  # open routing: to the eMSP of the cdr_token
            receiver = await ctx.directory.serving(record.audience)
            if receiver is not None:
                relayed = await _forward(request, ctx, op, who, record.audience, body or None)
                return relayed_response(request, ctx, relayed)
        return ocpi_response(request, ctx, http_status=201 if created else 200)

    return handle


async def _apply(
    ctx: HubContext,
    op: Operation,
    kind: ObjectKind,
    who: Requester,
    cc: str,
    pid: str,
    ids: tuple[str, ...],
    body: bytes,
    token_type: str | None,
    deliveries: list[Delivery] | None = None,
) -> tuple[bool, StoredObject | None]:
    """The write on the hub's copy: (created, the stored record; None after a DELETE), with the deliveries it
    causes stored in the same transaction."""
    deliveries = deliveries or []
    if op.method == "PUT":
        return await ctx.objects.put(kind, who, cc, pid, ids, body, token_type, deliveries)
    if op.method == "PATCH":
        return False, await ctx.objects.patch(kind, who, cc, pid, ids, body, token_type, deliveries)
    await ctx.objects.delete(kind, who, cc, pid, ids[0], deliveries)
    return False, None


def _cdr_post(op: Operation, _kind: ObjectKind) -> Handler:
    async def handle(request: Request[Any, Any, Any]) -> OcpiResponse:
        ctx = hub_of(request)
        who, to = await _requester(request, ctx)
        url_id, record = await ctx.objects.post_cdr(who, await _body(request, ctx))
        headers = {}
        location = f"{ctx.settings.base_url}{op.path}/{url_id}"
        if Fault.CDR_NO_LOCATION_HEADER not in ctx.settings.faults:
            headers["Location"] = location
        receiver = to or record.audience
        if receiver is not None and (to is not None or await ctx.directory.serving(receiver) is not None):
            relayed = await _forward(request, ctx, op, who, receiver, record.body)
            # The receiver's Location is its own URL, which the sender cannot call: name the hub's copy instead.
            relayed_headers = [(k, v) for k, v in relayed.headers if k.lower() != "location"]
            if relayed.succeeded:
                relayed_headers += list(headers.items())
            return relayed_response(
                request, ctx, Relayed(relayed.status, relayed.body, relayed_headers, relayed.status_code)
            )
        return ocpi_response(request, ctx, http_status=201, headers=headers)

    return handle


def _cdr_get(_op: Operation, _kind: ObjectKind) -> Handler:
    async def handle(request: Request[Any, Any, Any]) -> OcpiResponse:
        ctx = hub_of(request)
        who, _to = await _requester(request, ctx)
        return ocpi_response(request, ctx, await ctx.objects.get_cdr(who, request.path_params["cdr_id"]))

    return handle


def _sender_list(op: Operation, kind: ObjectKind) -> Handler:
    async def handle(request: Request[Any, Any, Any]) -> OcpiResponse:
        ctx = hub_of(request)
        who, to = await _requester(request, ctx)
        if to is not None:  # a GET-all of one party, through the hub
            return relayed_response(request, ctx, await _forward(request, ctx, op, who, to, None))
        page = page_request(request, ctx)
        if (
            kind.module == "sessions"
            and page.date_from is None
            and ctx.settings.has_fault(Fault.SESSIONS_DATE_FROM_REQUIRED)
        ):
            raise InvalidOrMissingParameters("date_from is required on the Sessions list")
        result = await ctx.objects.list(
            kind, who, date_from=page.date_from, date_to=page.date_to, offset=page.offset, limit=page.limit
        )
        return paginated_response(request, ctx, page, result.items, result.total)

    return handle


def _sender_object(op: Operation, kind: ObjectKind) -> Handler:
    names = _names(op)

    async def handle(request: Request[Any, Any, Any]) -> OcpiResponse:
        ctx = hub_of(request)
        who, to = await _requester(request, ctx)
        if to is not None:
            return relayed_response(request, ctx, await _forward(request, ctx, op, who, to, None))
        ids = tuple(str(request.path_params[n]) for n in names)
        return ocpi_response(request, ctx, await ctx.objects.get_published(kind, who, ids, None))

    return handle


def _authorize(op: Operation, _kind: ObjectKind) -> Handler:
    """Real-time authorization: to the token's eMSP; from the hub's copy when the eMSP cannot answer and the token's
    whitelist allows it (or when the hub holds the only word on it)."""

    async def handle(request: Request[Any, Any, Any]) -> OcpiResponse:
        ctx = hub_of(request)
        who, to = await _requester(request, ctx)
        uid = request.path_params["token_uid"]
        token_type = _token_type(request, op)
        query = None
        if ctx.settings.has_fault(Fault.AUTHORIZE_TYPE_IGNORED):
            token_type, query = None, ""
        body = await _body(request, ctx)
        owner = to or await ctx.objects.token_owner(uid, token_type)
        if owner is not None and await ctx.directory.serving(owner) is not None:
            try:
                forwarded = None if ctx.settings.has_fault(Fault.AUTHORIZE_BODY_DROPPED) else body or None
                relayed = await _forward(request, ctx, op, who, owner, forwarded, query=query)
            except (ForwardTimeout, ReceiverNotConnected) as exc:
                info = await ctx.objects.authorize_offline(who, uid, token_type, body, owner, exc)
                return _authorization_answer(
                    request, ctx, lambda: info.allowed, lambda: ocpi_response(request, ctx, info)
                )
            return _authorization_answer(
                request, ctx, lambda: _allowed_in(relayed.body), lambda: relayed_response(request, ctx, relayed)
            )
        info = await ctx.objects.authorize(who, uid, token_type, body, owner)
        return _authorization_answer(request, ctx, lambda: info.allowed, lambda: ocpi_response(request, ctx, info))

    return handle


def _allowed_in(body: bytes) -> str | None:
    """``data.allowed`` of a relayed AuthorizationInfo answer (None when there is none)."""
    try:
        data = msgspec.json.decode(body).get("data")
    except (msgspec.DecodeError, AttributeError):
        return None
    return data.get("allowed") if isinstance(data, dict) else None


def _authorization_answer(
    request: Request[Any, Any, Any],
    ctx: HubContext,
    allowed: Callable[[], str | None],
    answer: Callable[[], OcpiResponse],
) -> OcpiResponse:
    """The answer as it is, unless fault BLOCKED_TOKEN_AS_ERROR turns a refusal into an HTTP error (``allowed`` reads
    the decision only then: the real-time authorization path decodes nothing more without the fault)."""
    if ctx.settings.has_fault(Fault.BLOCKED_TOKEN_AS_ERROR):
        decision = allowed()
        if decision is not None and decision != "ALLOWED":
            return ocpi_response(
                request, ctx, status_code=2000, message=f"token not allowed: {decision}", http_status=403
            )
    return answer()


def _charging_preferences(op: Operation, _kind: ObjectKind) -> Handler:
    """To the CPO of the session: named in OCPI-to-*, else the owner of the hub's copy of the session."""

    async def handle(request: Request[Any, Any, Any]) -> OcpiResponse:
        ctx = hub_of(request)
        who, to = await _requester(request, ctx)
        body = await _body(request, ctx)
        if to is None:
            to = (await ctx.objects.session_for_preferences(who, request.path_params["session_id"], None)).owner
        return relayed_response(request, ctx, await _forward(request, ctx, op, who, to, body))

    return handle


def _behaviour(op: Operation) -> Callable[[Operation, ObjectKind], Handler]:
    """Which handler a row of the operations table gets, from its shape alone."""
    if op.interface == "RECEIVER":
        if op.suffix.startswith("/{country_code}/{party_id}/"):
            return _receiver_object
        if op.module == "cdrs":
            return _cdr_post if op.method == "POST" else _cdr_get
    elif op.interface == "SENDER":
        if op.paginated:
            return _sender_list
        if op.suffix.endswith("/authorize"):
            return _authorize
        if op.suffix.endswith("/charging_preferences"):
            return _charging_preferences
        if op.method == "GET":
            return _sender_object
    raise LookupError(f"no behaviour for {op.operation_id} ({op.method} {op.path})")


def route_handlers() -> list[HTTPRouteHandler]:
    """One route per operation of every module the hub keeps objects for."""
    handlers = []
    for op in OPERATIONS:
        kind = KINDS.get(op.module)
        if kind is None:
            continue
        handle = _behaviour(op)(op, kind)
        handle.__name__ = handle.__qualname__ = op.operation_id
        handlers.append(
            route(_litestar_path(op.path), http_method=HttpMethod(op.method), name=op.operation_id, status_code=200)(
                handle
            )
        )
    return handlers


def served_interfaces() -> list[tuple[str, str, str]]:
    """``(module, interface, base path)`` of every interface :func:`route_handlers` serves, in table order."""
    seen: dict[tuple[str, str], str] = {}
    for op in OPERATIONS:
        if op.module in KINDS and op.interface is not None:
            seen.setdefault((op.module, op.interface), op.base)
    return [(module, interface, base) for (module, interface), base in seen.items()]


__all__ = ("route_handlers", "served_interfaces")
