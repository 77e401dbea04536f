"""Authentication, run before any body is read, so a bad token gives 401 even when the body is bad too.

It is a ``before_request`` hook rather than a Litestar guard: a guard costs a copy of the route handler on every call,
and this runs on every OCPI request, which makes it the hub's hottest path. Route handlers declare in ``opt`` what
they accept: ``registration_ok=True`` for the modules token A may open (versions and credentials). The caller lands
in the request's scope (read it with :func:`caller_of`). A 401 is answered from here directly rather than raised:
raising costs Litestar's exception machinery, and unknown tokens are a large share of the traffic a hub sees under
attack or misconfiguration.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from reference_hub.api.context import HubContext, hub_of
from reference_hub.api.responses import OcpiResponse, ocpi_response
from reference_hub.hub.auth import Caller, CallerKind
from reference_hub.ocpi.errors import Unauthorized

_CALLER = "ocpi.caller"
_MISSING = "Missing or unknown credentials token (Authorization: Token <base64 token>)"
_REGISTRATION_ONLY = "A registration token only opens the versions and credentials modules"


def _authorization(request: Request[Any, Any, Any]) -> str | None:
    for name, value in request.scope["headers"]:
        if name == b"authorization":
            return value.decode("latin-1")
    return None


async def authenticate(request: Request[Any, Any, Any]) -> OcpiResponse | None:
    """Set ``request.state.caller``, or answer 401 at once (returning the answer skips the handler)."""
    ctx = hub_of(request)
    header = _authorization(request)
    caller = await ctx.auth.authenticate(header)
    if caller is None:
        return _unauthorized(request, ctx, _MISSING)
    if caller.kind is CallerKind.REGISTRATION and not request.route_handler.opt.get("registration_ok"):
        # The cache may predate the end of a registration made through another process: look once more.
        caller = await ctx.auth.recheck(header)
        if caller is None or caller.kind is CallerKind.REGISTRATION:
            return _unauthorized(request, ctx, _REGISTRATION_ONLY if caller else _MISSING)
    request.scope[_CALLER] = caller  # type: ignore[literal-required]
    return None


def caller_of(request: Request[Any, Any, Any]) -> Caller:
    """The caller :func:`authenticate` accepted for this request (kept in the ASGI scope: cheaper than
    ``request.state``, which Litestar rebuilds on each access)."""
    caller: Caller = request.scope[_CALLER]  # type: ignore[literal-required]
    return caller


def _unauthorized(request: Request[Any, Any, Any], ctx: HubContext, message: str) -> OcpiResponse:
    error = Unauthorized(message)
    return ocpi_response(request, ctx, status_code=error.status_code, message=message, http_status=error.http_status)


__all__ = ("authenticate", "caller_of")
