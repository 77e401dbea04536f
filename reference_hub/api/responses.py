"""Building OCPI responses: envelope, request/correlation ids, and the response-side fault switches.

This runs on every request, so it reads the raw ASGI headers once instead of building Litestar header objects, and
hands successful answers to the server as a minimal ASGI response (Litestar's own builds a mutable header structure
per response, which costs more than everything else the hub does for a versions GET).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from litestar import Request, Response
from litestar.response.base import ASGIResponse
from litestar.types import Receive, Scope, Send
from msgspec import UNSET, UnsetType

from reference_hub.api.context import HubContext
from reference_hub.faults import Fault
from reference_hub.hub.interface_roles import answering_party
from reference_hub.ocpi.headers import new_exchange_id
from reference_hub.settings import Settings

JSON = "application/json"
_IDS = "ocpi.ids"
ROUTING_SCOPE_KEY = "ocpi_reply_routing"
"""Where a functional-module route leaves the routing headers its answer (error or not) must carry."""


def exchange_ids(request: Request[Any, Any, Any]) -> tuple[str, str]:
    """The request's X-Request-ID and X-Correlation-ID; when the caller sent none, a new unique id
    (``ocpi.headers.new_exchange_id``). Worked out once per request (authentication finds them in its pass over the
    headers: :func:`remember_ids`)."""
    ids: tuple[bytes, bytes] = request.scope.get(_IDS) or _ids_of(request.scope)  # type: ignore[assignment]
    return ids[0].decode("latin-1"), ids[1].decode("latin-1")


def remember_ids(scope: Any, request_id: bytes, correlation_id: bytes) -> None:
    """Keep the request's exchange ids (as sent, or new ones) in its scope, for every answer to it. They are kept as
    the bytes the answer headers carry: most answers only echo them."""
    rid = request_id or new_exchange_id().encode()
    scope[_IDS] = (rid, correlation_id or rid)


def _echoed(scope: Any) -> list[tuple[bytes, bytes]]:
    """The exchange ids as answer headers, ready for the server."""
    ids: tuple[bytes, bytes] = scope.get(_IDS) or _ids_of(scope)
    return [(b"x-request-id", ids[0]), (b"x-correlation-id", ids[1])]


def _ids_of(scope: Any) -> tuple[bytes, bytes]:
    request_id = correlation_id = b""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            request_id = value
        elif name == b"x-correlation-id":
            correlation_id = value
    remember_ids(scope, request_id, correlation_id)
    ids: tuple[bytes, bytes] = scope[_IDS]
    return ids


def _render(
    request: Request[Any, Any, Any],
    ctx: HubContext,
    data: Any | UnsetType,
    status_code: int,
    message: str | None,
    http_status: int,
    headers: dict[str, str] | None,
) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    """Status, body and headers (lower-case names, as the server takes them) of an OCPI answer."""
    settings = ctx.settings
    faults = settings.faults
    scope = request.scope
    routing: list[tuple[str, str]] | None = scope.get(ROUTING_SCOPE_KEY)  # type: ignore[assignment]
    if not faults:  # the everyday answer, without the fault switches' turns
        body = ctx.codec.envelope(status_code, data, message)
        out = _echoed(scope)
        if headers:
            out += _raw(headers.items())
        if routing:
            out += _raw(routing)
        return http_status, body, out
    if status_code < 2000 and Fault.WRONG_STATUS_CODE in faults:
        status_code = 2000
    if status_code >= 2000 and Fault.ERROR_AS_SUCCESS in faults:
        status_code, http_status = 1000, 200
    body = ctx.codec.envelope(status_code, data, message, drop_timestamp=Fault.MISSING_TIMESTAMP in faults)
    if http_status >= 400 and Fault.ERRORS_WITHOUT_ENVELOPE in faults:
        body = ctx.codec.encode({"detail": message or "error"})
    if http_status >= 400 and Fault.WRITE_ERRORS_WITHOUT_ENVELOPE in faults and request.method in ("POST", "PUT"):
        body = ctx.codec.encode({"detail": message or "error"})
    if http_status == 422 and Fault.OPTIONAL_FIELDS_REQUIRED in faults:  # a framework's validation error
        body = ctx.codec.encode({"detail": message or "error"})
    out = _raw(headers.items()) if headers else []
    if Fault.NO_REQUEST_ID_ECHO not in faults:
        out += _echoed(scope)
    if routing and Fault.ROLES_PER_INTERFACE in faults:  # FROM the role that owns the interface
        routing = answered_as(routing, (settings.country_code, settings.party_id), request, settings)
    if routing:
        out += _raw(routing)
    elif Fault.ROUTING_HEADERS_ON_CONFIG in faults:
        out += _raw([("OCPI-from-country-code", settings.country_code), ("OCPI-from-party-id", settings.party_id)])
    return http_status, body, out


def _raw(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]


def answered_as(
    routing: list[tuple[str, str]], hub: tuple[str, str], request: Request[Any, Any, Any], settings: Settings
) -> list[tuple[str, str]]:
    """Fault ROLES_PER_INTERFACE: an answer the hub gives as itself comes FROM the party that owns the interface."""
    sent = {name.lower(): value.upper() for name, value in routing}
    if (sent.get("ocpi-from-country-code"), sent.get("ocpi-from-party-id")) != (hub[0].upper(), hub[1].upper()):
        return routing  # on behalf of another party
    cc, pid = answering_party(settings, request.url.path)
    values = {"ocpi-from-country-code": cc, "ocpi-from-party-id": pid}
    return [(name, values.get(name.lower(), value)) for name, value in routing]


CHUNK = 262_144
"""Largest piece of an answer handed to the server at once (see ``OcpiResponse.__call__``)."""


class OcpiResponse(ASGIResponse):
    """A finished JSON answer: status, body and headers, sent as they are."""

    def __init__(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        self._finish(status, body, _raw(headers))

    @classmethod
    def of(cls, status: int, body: bytes, raw_headers: list[tuple[bytes, bytes]]) -> OcpiResponse:
        """The same from headers already in the server's form (lower-case names, bytes)."""
        response = cls.__new__(cls)
        response._finish(status, body, raw_headers)
        return response

    def _finish(self, status: int, body: bytes, raw_headers: list[tuple[bytes, bytes]]) -> None:
        self._status = status
        self._body = body
        self._raw_headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        self._raw_headers += raw_headers

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> OcpiResponse:
        """Already finished: Litestar asks this of what a ``before_request`` hook returns on some routes (its own
        OPTIONS handler), and the answer is this response as it is."""
        return self

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self._status, "headers": self._raw_headers})
        body = self._body
        if len(body) <= CHUNK:
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        # A large answer (a Credentials listing every reachable party: 9.6 MB with 100,000) in pieces: sent whole, it
        # held the worker's event loop for the whole write, about 30 ms, and every other request on that worker
        # waited behind it. Between two pieces the loop serves the others.
        # Each piece is bytes, as ASGI has it (slicing copies it: about a millisecond for 10 MB).
        end = len(body)
        for start in range(0, end, CHUNK):
            await send(
                {"type": "http.response.body", "body": body[start : start + CHUNK], "more_body": start + CHUNK < end}
            )


_NEW = OcpiResponse.__new__


def ocpi_response(
    request: Request[Any, Any, Any],
    ctx: HubContext,
    data: Any | UnsetType = UNSET,
    *,
    status_code: int = 1000,
    message: str | None = None,
    http_status: int = 200,
    headers: dict[str, str] | None = None,
) -> OcpiResponse:
    """The single way an OCPI answer leaves a route handler."""
    scope = request.scope
    if headers or ctx.settings.faults or scope.get(ROUTING_SCOPE_KEY):
        return OcpiResponse.of(*_render(request, ctx, data, status_code, message, http_status, headers))
    # The everyday answer (no fault switch, no header of its own, no routing headers): the envelope and the echoed
    # ids, without ``_render``'s turns or the calls of ``of`` and ``_echoed``. Every versions GET ends here; served,
    # each µs of Python on this path costs about two.
    ids: tuple[bytes, bytes] = scope.get(_IDS) or _ids_of(scope)  # type: ignore[assignment]
    response = _NEW(OcpiResponse)
    response._finish(
        http_status,
        ctx.codec.envelope(status_code, data, message),
        [(b"x-request-id", ids[0]), (b"x-correlation-id", ids[1])],
    )
    return response


def ocpi_error_response(
    request: Request[Any, Any, Any],
    ctx: HubContext,
    *,
    status_code: int,
    message: str | None,
    http_status: int,
    data: Any | UnsetType = UNSET,
    headers: dict[str, str] | None = None,
) -> Response[bytes]:
    """The same envelope for exception handlers, which Litestar requires to return a ``Response``."""
    http_status, body, out = _render(request, ctx, data, status_code, message, http_status, headers)
    named = {name.decode("latin-1"): value.decode("latin-1") for name, value in out}
    return Response(content=body, status_code=http_status, media_type=JSON, headers=named)


__all__ = (
    "JSON",
    "ROUTING_SCOPE_KEY",
    "OcpiResponse",
    "exchange_ids",
    "ocpi_error_response",
    "ocpi_response",
    "remember_ids",
)
