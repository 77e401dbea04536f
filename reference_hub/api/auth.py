"""Authentication, run before any body is read, so a bad token gives 401 even when the body is bad too.

It is a ``before_request`` hook rather than a Litestar guard: a guard costs a copy of the route handler on every call,
and this runs on every OCPI request, which makes it the hub's hottest path. Route handlers declare in ``opt`` what
they accept: ``registration_ok=True`` for the modules token A may open (versions and credentials). The caller lands
in the request's scope (read it with :func:`caller_of`). A 401 is answered from here directly rather than raised:
raising costs Litestar's exception machinery, and unknown tokens are a large share of the traffic a hub sees under
attack or misconfiguration.

The same pass over the headers enforces the request-size limits (URL length, header bytes and count, Authorization
length), so the limits cost one loop the hook made anyway. A token this process has cached as valid never reaches
the failed-authentication limiter. Any other asks it first: an address locked out after too many failures gets HTTP
429 before its token is looked up (so the right token tells a guesser nothing), unless that token authenticated in
this process before (``hub/ratelimit.py``).

Each platform has a budget of requests under way (``party_requests``, beyond it 429 at once) and a rate budget
(``party_rate``): a request over the rate waits here for its turn, so a flood from one platform takes only its
budget of the hub's CPU time (``hub/ratelimit.PartyPace`` says why waiting rather than refusing).
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

from litestar import Request
from litestar.types import Scope

from reference_hub.api.context import HubContext, hub_of
from reference_hub.api.responses import OcpiResponse, ocpi_response, remember_ids
from reference_hub.faults import Fault
from reference_hub.hub.auth import MAX_AUTHORIZATION, Caller, CallerKind, header_key
from reference_hub.ocpi.errors import GenericClientError, OcpiError, TooManyRequests, Unauthorized

_CALLER = "ocpi.caller"
_UNDER_WAY = "ocpi.under_way"
_OVER_RATE = "This platform is over its budget of %g requests per second at this hub; retry after Retry-After seconds"
_BUSY = "This platform has %d requests under way at this hub already; retry after Retry-After seconds"
_MISSING = "Missing or unknown credentials token (Authorization: Token <base64 token>)"
_TOO_LONG = f"Authorization header longer than {MAX_AUTHORIZATION} characters; a credentials token is at most 64"
_REGISTRATION_ONLY = "A registration token only opens the versions and credentials modules"
_SUSPENDED = "This platform is suspended by the hub's operator; its token opens nothing until it is reactivated"
_EXPIRED = "This registration token (token A) has expired; ask the hub's operator for a new invitation"
_LIMITED = "Too many failed authentications from this address; try again after Retry-After seconds"
MAX_HEADERS = 64
"""Headers per request the hub reads (granian's parser refuses more than 100 on its own, without the envelope)."""


def _limit_error(request: Request[Any, Any, Any], ctx: HubContext, size: int, count: int) -> OcpiError | None:
    settings = ctx.settings
    scope = request.scope
    if len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"") > settings.max_url_length:
        return GenericClientError(f"Request target longer than {settings.max_url_length} bytes", http_status=414)
    if size > settings.max_header_bytes or count > MAX_HEADERS:
        return GenericClientError(
            f"Request headers larger than {settings.max_header_bytes} bytes or more than {MAX_HEADERS} of them",
            http_status=431,
        )
    return None


def check_limits(request: Request[Any, Any, Any]) -> OcpiResponse | None:
    """The request-size limits alone, for the routes that do not authenticate (health, docs, admin)."""
    ctx = hub_of(request)
    size = count = 0
    for name, value in request.scope["headers"]:
        size += len(name) + len(value)
        count += 1
    error = _limit_error(request, ctx, size, count)
    return None if error is None else error_response(request, ctx, error)


async def authenticate(request: Request[Any, Any, Any]) -> OcpiResponse | None:
    """Set the request's caller, or answer at once (returning the answer skips the handler)."""
    ctx = hub_of(request)
    raw: bytes | None = None
    request_id = correlation_id = b""
    size = count = 0
    for name, value in request.scope["headers"]:  # one pass for the limits, the token and the exchange ids
        size += len(name) + len(value)
        count += 1
        if name == b"authorization":
            raw = value
        elif name == b"x-request-id":
            request_id = value
        elif name == b"x-correlation-id":
            correlation_id = value
    remember_ids(request.scope, request_id, correlation_id)
    error = _limit_error(request, ctx, size, count)
    if error is not None:
        return error_response(request, ctx, error)
    key = header_key(raw)
    caller = ctx.auth.cached(key)
    if caller is None:
        # A locked-out address is refused before its token is looked up, the right one included, unless that token
        # authenticated here before (partners may share one address with whoever is failing).
        address = client_address(request)
        wait = ctx.limiter.locked(address)
        if wait and not ctx.auth.proven(key):
            return error_response(request, ctx, TooManyRequests(_LIMITED, retry_after=wait))
        too_long = raw is not None and len(raw) > MAX_AUTHORIZATION
        if not too_long:
            caller = await ctx.auth.resolve(key, None if raw is None else raw.decode("latin-1"))
        if caller is None:
            wait = ctx.limiter.failed(address)
            if wait:
                return error_response(request, ctx, TooManyRequests(_LIMITED, retry_after=wait))
            if raw is not None and ctx.settings.has_fault(Fault.UNKNOWN_TOKEN_403):
                return error_response(request, ctx, Unauthorized(_MISSING, http_status=403))
            return _unauthorized(request, ctx, _TOO_LONG if too_long else _MISSING)
    if caller.kind is not CallerKind.PARTNER:
        if caller.kind is CallerKind.SUSPENDED:
            return _unauthorized(request, ctx, _SUSPENDED)
        if caller.expired():
            return _unauthorized(request, ctx, _EXPIRED)
        if not request.route_handler.opt.get("registration_ok"):
            # The cache may predate the end of a registration made through another process: look once more.
            caller = await ctx.auth.recheck(None if raw is None else raw.decode("latin-1"))
            if caller is None or caller.kind is not CallerKind.PARTNER:
                message = _MISSING if caller is None else _REGISTRATION_ONLY
                return _unauthorized(
                    request, ctx, _SUSPENDED if caller and caller.kind is CallerKind.SUSPENDED else message
                )
    request.scope[_CALLER] = caller  # type: ignore[literal-required]
    partner_id = caller.partner_id
    if partner_id is not None:
        ctx.liveness.heard(partner_id)
        under_way = ctx.requests.get(partner_id, 0)
        if under_way >= ctx.settings.party_requests:
            return error_response(request, ctx, TooManyRequests(_BUSY % under_way, retry_after=1))
        ctx.requests[partner_id] = under_way + 1
        request.scope[_UNDER_WAY] = (ctx.requests, partner_id)  # type: ignore[literal-required]
        turn = ctx.pace.turn(partner_id)
        if turn < 0:
            retry = max(1, math.ceil(-turn - ctx.pace.max_wait))
            return error_response(
                request, ctx, TooManyRequests(_OVER_RATE % ctx.settings.party_rate, retry_after=retry)
            )
        if turn > 0:
            await asyncio.sleep(turn)  # its turn within the platform's rate budget (``hub/ratelimit.PartyPace``)
    return None


def request_done(scope: Scope) -> None:
    """A request counted by :func:`authenticate` stops counting: called by the app when it is done with the request,
    however it ended (answered, failed, or the client gone; see ``app.HubApp``)."""
    counted: tuple[dict[str, int], str] | None = scope.get(_UNDER_WAY)  # type: ignore[assignment]
    if counted is not None:
        under_way, partner_id = counted
        left = under_way.get(partner_id, 1) - 1
        if left > 0:
            under_way[partner_id] = left
        else:
            under_way.pop(partner_id, None)


def client_address(request: Request[Any, Any, Any]) -> str:
    """The client's IP address as the server saw it (behind a reverse proxy: the proxy's)."""
    client = request.scope.get("client")
    return str(client[0]) if client else ""


def caller_of(request: Request[Any, Any, Any]) -> Caller:
    """The caller :func:`authenticate` accepted for this request (kept in the ASGI scope: cheaper than
    ``request.state``, which Litestar rebuilds on each access)."""
    caller: Caller = request.scope[_CALLER]  # type: ignore[literal-required]
    return caller


def error_response(request: Request[Any, Any, Any], ctx: HubContext, error: OcpiError) -> OcpiResponse:
    """An OCPI error answered from a hook (no exception machinery)."""
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, TooManyRequests) else None
    return ocpi_response(
        request,
        ctx,
        status_code=error.status_code,
        message=error.message,
        http_status=error.http_status,
        headers=headers,
    )


def _unauthorized(request: Request[Any, Any, Any], ctx: HubContext, message: str) -> OcpiResponse:
    return error_response(request, ctx, Unauthorized(message))


__all__ = (
    "MAX_HEADERS",
    "authenticate",
    "caller_of",
    "check_limits",
    "client_address",
    "error_response",
    "request_done",
)
