"""Sender and Receiver routes of the client-owned-object modules, built from the operations table.

Each row of ``ocpi/operations.py`` for a module in ``hub/objects.KINDS`` becomes one route; what the route does
follows from the row's shape (interface, method, path), so a module is added by rows, not by handlers.
Before any handler runs, :func:`_requester` reads and checks the routing headers (the only place that does) and
sets the answer's routing headers: ``OCPI-to-*`` = the requesting party, ``OCPI-from-*`` = the hub.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import HttpMethod, Request, route
from litestar.handlers import HTTPRouteHandler

from reference_hub.api.auth import caller_of
from reference_hub.api.body import read_body
from reference_hub.api.context import HubContext, hub_of
from reference_hub.api.pagination import page_request, paginated_response
from reference_hub.api.responses import ROUTING_SCOPE_KEY, OcpiResponse, ocpi_response
from reference_hub.faults import Fault
from reference_hub.hub.directory import party_key, roles_of
from reference_hub.hub.objects import KINDS, ObjectKind, Requester
from reference_hub.ocpi.errors import (
    GenericClientError,
    InvalidOrMissingParameters,
    ReceiverNotConnected,
    Unauthorized,
    UnknownReceiver,
)
from reference_hub.ocpi.headers import RoutingHeaders, reply_headers
from reference_hub.ocpi.operations import OPERATIONS, Operation
from reference_hub.store import PartnerStatus

Handler = Callable[[Request[Any, Any, Any]], Awaitable[OcpiResponse]]


async def _requester(request: Request[Any, Any, Any], ctx: HubContext) -> tuple[Requester, str | None]:
    """Who speaks (``OCPI-from-*``, a party the calling platform serves) and to whom (None: the hub itself)."""
    settings = ctx.settings
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


def _receiver_object(op: Operation, kind: ObjectKind) -> Handler:
    """``{endpoint}/{country_code}/{party_id}/{id}[/...]``: the requesting party's own objects."""
    id_names = _names(op)[2:]

    async def handle(request: Request[Any, Any, Any]) -> OcpiResponse:
        ctx = hub_of(request)
        who, _to = await _requester(request, ctx)
        params = request.path_params
        cc, pid = params["country_code"], params["party_id"]
        ids = tuple(str(params[n]) for n in id_names)
        token_type = _token_type(request, op)
        objects = ctx.objects
        if op.method == "GET":
            return ocpi_response(request, ctx, await objects.get_owned(kind, who, cc, pid, ids, token_type))
        if op.method == "PUT":
            created = await objects.put(kind, who, cc, pid, ids, await _body(request, ctx), token_type)
            return ocpi_response(request, ctx, http_status=201 if created else 200)
        if op.method == "PATCH":
            await objects.patch(kind, who, cc, pid, ids, await _body(request, ctx), token_type)
            return ocpi_response(request, ctx)
        await objects.delete(kind, who, cc, pid, ids[0])
        return ocpi_response(request, ctx)

    return handle


def _cdr_post(_op: Operation, _kind: ObjectKind) -> Handler:
    async def handle(request: Request[Any, Any, Any]) -> OcpiResponse:
        ctx = hub_of(request)
        who, _to = await _requester(request, ctx)
        url_id = await ctx.objects.post_cdr(who, await _body(request, ctx))
        headers = {}
        if Fault.CDR_NO_LOCATION_HEADER not in ctx.settings.faults:
            headers["Location"] = f"{ctx.settings.base_url}{request.url.path.rstrip('/')}/{url_id}"
        return ocpi_response(request, ctx, http_status=201, headers=headers)

    return handle


def _cdr_get(_op: Operation, _kind: ObjectKind) -> Handler:
    async def handle(request: Request[Any, Any, Any]) -> OcpiResponse:
        ctx = hub_of(request)
        who, _to = await _requester(request, ctx)
        return ocpi_response(request, ctx, await ctx.objects.get_cdr(who, request.path_params["cdr_id"]))

    return handle


def _sender_list(_op: Operation, kind: ObjectKind) -> Handler:
    async def handle(request: Request[Any, Any, Any]) -> OcpiResponse:
        ctx = hub_of(request)
        who, to = await _requester(request, ctx)
        page = page_request(request, ctx)
        result = await ctx.objects.list(
            kind,
            who,
            date_from=page.date_from,
            date_to=page.date_to,
            offset=page.offset,
            limit=page.limit,
            owner=to,
        )
        return paginated_response(request, ctx, page, result.items, result.total)

    return handle


def _sender_object(op: Operation, kind: ObjectKind) -> Handler:
    names = _names(op)

    async def handle(request: Request[Any, Any, Any]) -> OcpiResponse:
        ctx = hub_of(request)
        who, to = await _requester(request, ctx)
        ids = tuple(str(request.path_params[n]) for n in names)
        return ocpi_response(request, ctx, await ctx.objects.get_published(kind, who, ids, to))

    return handle


def _authorize(op: Operation, _kind: ObjectKind) -> Handler:
    async def handle(request: Request[Any, Any, Any]) -> OcpiResponse:
        ctx = hub_of(request)
        who, to = await _requester(request, ctx)
        uid = request.path_params["token_uid"]
        info = await ctx.objects.authorize(who, uid, _token_type(request, op), await _body(request, ctx), to)
        return ocpi_response(request, ctx, info)

    return handle


def _charging_preferences(_op: Operation, _kind: ObjectKind) -> Handler:
    async def handle(request: Request[Any, Any, Any]) -> OcpiResponse:
        ctx = hub_of(request)
        who, to = await _requester(request, ctx)
        session = await ctx.objects.session_for_preferences(who, request.path_params["session_id"], to)
        raise ReceiverNotConnected(
            f"charging preferences are decided by the session's CPO {session.owner}; "
            "this hub does not forward requests to parties"
        )

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
