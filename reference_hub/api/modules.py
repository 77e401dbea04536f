"""The HTTP side of every functional-module operation: one route per row of the operations table that the front
door answers (``hub/frontdoor.py``), each the same short adapter: HTTP request -> :class:`Exchange` -> front door ->
:class:`Reply` -> HTTP response. Nothing here decides where a request goes or what it means.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import HttpMethod, Request
from litestar.handlers import HTTPRouteHandler

from reference_hub.api.auth import caller_of
from reference_hub.api.body import read_body
from reference_hub.api.context import HubContext, hub_of
from reference_hub.api.pagination import paginated_response
from reference_hub.api.responses import ROUTING_SCOPE_KEY, OcpiResponse, exchange_ids, ocpi_response
from reference_hub.api.routes import ocpi_route
from reference_hub.hub.frontdoor import Exchange, Relayed, Reply, operations
from reference_hub.ocpi.headers import RoutingHeaders
from reference_hub.ocpi.operations import Operation
from reference_hub.ocpi.versions import MODELS as VERSION_MODELS
from reference_hub.ocpi.versions import SERVED

_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def _litestar_path(path: str) -> str:
    return re.sub(r"\{(\w+)\}", r"{\1:str}", path)


def relayed_response(request: Request[Any, Any, Any], relayed: Relayed) -> OcpiResponse:
    """A receiver's answer as it came (its envelope untouched), with our ids and the relayed headers."""
    request_id, correlation_id = exchange_ids(request)
    headers = [*relayed.headers, ("X-Request-ID", request_id), ("X-Correlation-ID", correlation_id)]
    return OcpiResponse(relayed.status, relayed.body, headers)


def render(request: Request[Any, Any, Any], ctx: HubContext, reply: Reply, item_model: Any = None) -> OcpiResponse:
    """The HTTP answer to a front-door reply; ``item_model`` is the model of a page's items, in the caller's
    version."""
    if reply.routing is not None:
        request.scope[ROUTING_SCOPE_KEY] = reply.routing  # type: ignore[literal-required]
    if reply.relayed is not None:
        return relayed_response(request, reply.relayed)
    if reply.page is not None:
        page, result = reply.page
        return paginated_response(request, ctx, page, result.items, result.total, item_model)
    return ocpi_response(
        request,
        ctx,
        reply.data,
        status_code=reply.status_code,
        message=reply.message,
        http_status=reply.http_status,
        headers=reply.headers or None,
    )


def _adapter(op: Operation, version: str) -> HTTPRouteHandler:
    item_model = getattr(VERSION_MODELS[version], op.answer, None) if op.answer else None

    async def handle(request: Request[Any, Any, Any]) -> OcpiResponse:
        ctx = hub_of(request)
        door = ctx.frontdoor
        scope = request.scope
        routing = RoutingHeaders.from_asgi(scope["headers"])
        reply_routing = door.reply_routing(routing)
        if reply_routing is not None:  # on every answer, errors included
            scope[ROUTING_SCOPE_KEY] = reply_routing  # type: ignore[literal-required]
        caller = caller_of(request)
        body = await read_body(request, ctx, caller.token_hash) if op.method in _WITH_BODY else b""
        request_id, correlation_id = exchange_ids(request)
        exchange = Exchange(
            caller=caller,
            version=version,
            op=op,
            params={name: str(value) for name, value in request.path_params.items()},
            raw_path=scope.get("raw_path") or request.url.path.encode(),
            query=scope.get("query_string", b"").decode("latin-1"),
            query_params=request.query_params,
            routing=routing,
            body=body,
            request_id=request_id,
            correlation_id=correlation_id,
        )
        return render(request, ctx, await door.handle(exchange), item_model)

    name = f"{op.operation_id}-{version}"
    handle.__name__ = handle.__qualname__ = name
    return ocpi_route(HttpMethod(op.method), _litestar_path(op.path), name=name, status_code=200)(handle)


def route_handlers() -> list[HTTPRouteHandler]:
    """One route per operation the front door answers, in every version served."""
    return [_adapter(op, version) for version in SERVED for op in operations(version)]


def served_interfaces(version: str) -> list[tuple[str, str, str]]:
    """``(module, interface, base path)`` of every interface :func:`route_handlers` serves in ``version``, in table
    order."""
    seen: dict[tuple[str, str], str] = {}
    for op in operations(version):
        if op.interface is not None:
            seen.setdefault((op.module, op.interface), op.base)
    return [(module, interface, base) for (module, interface), base in seen.items()]


__all__ = ("render", "route_handlers", "served_interfaces")
