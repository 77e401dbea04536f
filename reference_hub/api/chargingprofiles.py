"""ChargingProfiles routes: the CPO-side Receiver (GET/PUT/DELETE ``{chargingprofiles}/{session_id}``), the hub's
own response URLs, and the Sender PUT of ActiveChargingProfile updates (routed to the party that set the profile).
The rules are in ``hub/chargingprofiles.py`` and ``hub/callbacks.py``."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.handlers import HTTPRouteHandler

from reference_hub.api.commands import interfaces_of, mount, reply_as_requester, result_poster
from reference_hub.api.context import hub_of
from reference_hub.api.modules import _body, _forward, _query, _requester, relayed_response
from reference_hub.api.responses import OcpiResponse, exchange_ids, ocpi_response
from reference_hub.hub.chargingprofiles import (
    RESULT_MODELS,
    active_profile_receiver,
    profile_receiver,
    query_response_url,
    with_response_url,
)
from reference_hub.hub.commands import Unroutable
from reference_hub.ocpi.errors import ForwardTimeout, OcpiError
from reference_hub.ocpi.models import ActiveChargingProfile, SetChargingProfile
from reference_hub.ocpi.operations import OPERATIONS, Operation

_OPS = {op.operation_id: op for op in OPERATIONS if op.module == "chargingprofiles"}


async def _receiver(request: Request[Any, Any, Any], op: Operation) -> OcpiResponse:
    """GET, PUT or DELETE on a session's profile: to its CPO, with the hub's response_url."""
    ctx = hub_of(request)
    who, to = await _requester(request, ctx)
    session_id = str(request.path_params["session_id"])
    body: bytes | None = None
    params: list[tuple[str, str]] = []
    if op.method == "PUT":
        body = await _body(request, ctx)
        response_url = ctx.codec.decode(body, SetChargingProfile).response_url
    else:
        response_url, params = query_response_url(_query(request), need_duration=op.method == "GET")
    if to is None:
        try:
            to = await profile_receiver(ctx.objects, who, session_id)
        except Unroutable as exc:
            return ocpi_response(request, ctx, exc.response, status_code=exc.status_code, message=exc.message)
    receiver = await ctx.forwarder.receiver(to)
    issued = await ctx.callbacks.issue(
        module="chargingprofiles",
        kind=op.method,
        who=who,
        receiver=to,
        receiver_partner=receiver.partner_id,
        response_url=response_url,
        correlation_id=exchange_ids(request)[1],
        subject=session_id,
    )
    query = None
    if body is not None:
        body = msgspec.json.encode({**msgspec.json.decode(body), "response_url": issued.url})
    else:
        query = with_response_url(params, issued.url)
    try:
        relayed = await _forward(request, ctx, op, who, to, body, query=query)
    except ForwardTimeout:
        raise
    except OcpiError:
        await ctx.callbacks.closed(issued)
        raise
    await ctx.callbacks.answered(issued, relayed.status, relayed.body)
    return relayed_response(request, ctx, relayed)


async def get_active_profile(request: Request[Any, Any, Any]) -> OcpiResponse:
    return await _receiver(request, _OPS["chargingprofilesReceiverGetActiveProfile"])


async def put_profile(request: Request[Any, Any, Any]) -> OcpiResponse:
    return await _receiver(request, _OPS["chargingprofilesReceiverPutProfile"])


async def delete_profile(request: Request[Any, Any, Any]) -> OcpiResponse:
    return await _receiver(request, _OPS["chargingprofilesReceiverDeleteProfile"])


async def post_result(request: Request[Any, Any, Any]) -> OcpiResponse:
    """A charging-profile result POSTed to a response URL the hub handed out."""
    ctx = hub_of(request)
    secret = str(request.path_params["uid"])
    who, callback = await result_poster(request, ctx, "chargingprofiles", secret)
    body = await _body(request, ctx)
    result = ctx.codec.decode(body, RESULT_MODELS[callback.kind])
    await ctx.callbacks.take_result("chargingprofiles", secret, who, body, result.result.value)
    reply_as_requester(request, ctx, who, callback)
    return ocpi_response(request, ctx)


async def put_active_profile(request: Request[Any, Any, Any]) -> OcpiResponse:
    """A CPO's updated ActiveChargingProfile: to the party named, else to the one that set a profile."""
    op = _OPS["chargingprofilesSenderPutActiveProfile"]
    ctx = hub_of(request)
    who, to = await _requester(request, ctx)
    body = await _body(request, ctx)
    ctx.codec.decode(body, ActiveChargingProfile)
    if to is None:
        to = await active_profile_receiver(ctx.callbacks, who, str(request.path_params["session_id"]))
    return relayed_response(request, ctx, await _forward(request, ctx, op, who, to, body))


_HANDLERS = {
    "chargingprofilesReceiverGetActiveProfile": get_active_profile,
    "chargingprofilesReceiverPutProfile": put_profile,
    "chargingprofilesReceiverDeleteProfile": delete_profile,
    "chargingprofilesSenderPostResult": post_result,
    "chargingprofilesSenderPutActiveProfile": put_active_profile,
}


def route_handlers() -> list[HTTPRouteHandler]:
    return mount(_HANDLERS)


def served_interfaces() -> list[tuple[str, str, str]]:
    return interfaces_of(_HANDLERS)


__all__ = ("route_handlers", "served_interfaces")
