"""Commands routes: the CPO-side Receiver (``POST {commands}/{command}``) and the hub's own response URLs.

A command goes to the CPO named in ``OCPI-to-*`` or, without it, the one its content names (``hub/commands.py``),
with the hub's ``response_url`` in place of the requester's (``hub/callbacks.py``); the CPO's CommandResponse is
relayed as it came. The CommandResult the CPO later POSTs to the hub's URL is acknowledged by the hub and delivered
to the requester's own ``response_url`` through the outbox.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from litestar import HttpMethod, Request, route
from litestar.handlers import HTTPRouteHandler

from reference_hub.api.auth import caller_of
from reference_hub.api.context import HubContext, hub_of
from reference_hub.api.modules import _body, _forward, _litestar_path, _requester, relayed_response
from reference_hub.api.responses import ROUTING_SCOPE_KEY, OcpiResponse, exchange_ids, ocpi_response
from reference_hub.faults import Fault
from reference_hub.hub.commands import Unroutable, command_receiver, decode_command
from reference_hub.hub.directory import roles_of
from reference_hub.hub.objects import Requester
from reference_hub.hub.routing import split_party
from reference_hub.ocpi.datetime import DateTime
from reference_hub.ocpi.errors import ForwardTimeout, OcpiError
from reference_hub.ocpi.headers import RoutingHeaders, reply_headers
from reference_hub.ocpi.models import CommandResult
from reference_hub.ocpi.operations import OPERATIONS, Operation
from reference_hub.store import PartnerStatus
from reference_hub.store.callbacks import PendingCallback

_POST_COMMAND = next(op for op in OPERATIONS if op.operation_id == "commandsReceiverPostCommand")


async def post_command(request: Request[Any, Any, Any]) -> OcpiResponse:
    op = _POST_COMMAND
    ctx = hub_of(request)
    who, to = await _requester(request, ctx)
    kind = str(request.path_params["command"])
    cmd = decode_command(ctx.codec, kind, await _body(request, ctx))
    if to is None:
        try:
            to = await command_receiver(ctx.store, ctx.objects, ctx.callbacks, who, cmd)
        except Unroutable as exc:
            return ocpi_response(request, ctx, exc.response, status_code=exc.status_code, message=exc.message)
    receiver = await ctx.forwarder.receiver(to)
    issued = await ctx.callbacks.issue(
        module="commands",
        kind=kind,
        who=who,
        receiver=to,
        receiver_partner=receiver.partner_id,
        response_url=cmd.response_url,
        correlation_id=exchange_ids(request)[1],
        subject=cmd.subject,
    )
    try:
        relayed = await _forward(request, ctx, op, who, to, cmd.with_response_url(issued.url))
    except ForwardTimeout:
        raise  # the CPO may still have the command: its URL stays open for the default time
    except OcpiError:
        await ctx.callbacks.closed(issued)
        raise
    expiry = getattr(cmd.model, "expiry_date", None)
    await ctx.callbacks.answered(
        issued, relayed.status, relayed.body, open_until=expiry if isinstance(expiry, DateTime) else None
    )
    return relayed_response(request, ctx, relayed)


async def result_poster(
    request: Request[Any, Any, Any], ctx: HubContext, module: str, secret: str
) -> tuple[Requester, PendingCallback]:
    """Who posts a result to one of the hub's URLs, and the record behind the URL (404 when there is none).

    Normally the party in ``OCPI-from-*``. A platform that sends no routing headers at all on this POST is taken to
    speak for the party the request went to, when it serves that party: the single-purpose URL already names the
    exchange, and refusing the result would only leave the requester waiting."""
    callback = await ctx.callbacks.peek(module, secret)
    routing = RoutingHeaders.from_asgi(request.scope["headers"])
    bare = routing.from_country_code is None and routing.from_party_id is None and routing.to_country_code is None
    caller = caller_of(request)
    if bare and routing.to_party_id is None and caller.partner_id is not None:
        partner = await ctx.directory.partner(caller.partner_id)
        if partner is not None and partner.status is PartnerStatus.ACTIVE and callback.receiver in partner.party_keys:
            return Requester(
                partner=partner, party=callback.receiver, roles=roles_of(partner, callback.receiver)
            ), callback
    who, _to = await _requester(request, ctx)
    return who, callback


def reply_as_requester(
    request: Request[Any, Any, Any], ctx: HubContext, who: Requester, callback: PendingCallback
) -> None:
    """The hub acknowledges a result on behalf of the party it is for: TO = the poster, FROM = the requester."""
    if Fault.NO_ROUTING_HEADERS not in ctx.settings.faults:
        reply = reply_headers(*split_party(who.party), *split_party(callback.requester))
        request.scope[ROUTING_SCOPE_KEY] = reply  # type: ignore[literal-required]


async def post_command_result(request: Request[Any, Any, Any]) -> OcpiResponse:
    """A CommandResult POSTed to a response URL the hub handed out."""
    ctx = hub_of(request)
    secret = str(request.path_params["uid"])
    who, callback = await result_poster(request, ctx, "commands", secret)
    body = await _body(request, ctx)
    result = ctx.codec.decode(body, CommandResult)
    await ctx.callbacks.take_result("commands", secret, who, body, result.result.value)
    reply_as_requester(request, ctx, who, callback)
    return ocpi_response(request, ctx)


_HANDLERS = {
    "commandsReceiverPostCommand": post_command,
    "commandsSenderPostCommandResult": post_command_result,
}

Handle = Callable[[Request[Any, Any, Any]], Awaitable[OcpiResponse]]


def mount(handlers: Mapping[str, Handle]) -> list[HTTPRouteHandler]:
    """One route per named operation of the operations table."""
    found = []
    for name, handle in handlers.items():
        op = next(o for o in OPERATIONS if o.operation_id == name)
        found.append(_mount(op, handle))
    return found


def _mount(op: Operation, handle: Handle) -> HTTPRouteHandler:
    async def handler(request: Request[Any, Any, Any]) -> OcpiResponse:
        return await handle(request)

    handler.__name__ = handler.__qualname__ = op.operation_id
    return route(_litestar_path(op.path), http_method=HttpMethod(op.method), name=op.operation_id, status_code=200)(
        handler
    )


def interfaces_of(names: Iterable[str]) -> list[tuple[str, str, str]]:
    """``(module, interface, base path)`` of the interfaces these operations belong to, in table order."""
    wanted = set(names)
    seen: dict[tuple[str, str], str] = {}
    for op in OPERATIONS:
        if op.operation_id in wanted and op.interface is not None:
            seen.setdefault((op.module, op.interface), op.base)
    return [(module, interface, base) for (module, interface), base in seen.items()]


def route_handlers() -> list[HTTPRouteHandler]:
    return mount(_HANDLERS)


def served_interfaces() -> list[tuple[str, str, str]]:
    return interfaces_of(_HANDLERS)


__all__ = ("interfaces_of", "mount", "reply_as_requester", "result_poster", "route_handlers", "served_interfaces")
