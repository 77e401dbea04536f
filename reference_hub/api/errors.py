"""Exception handlers: every error the hub can produce is rendered into the OCPI envelope here and nowhere else."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from msgspec import UNSET

from reference_hub.api.context import HubContext
from reference_hub.api.responses import ocpi_error_response
from reference_hub.faults import Fault
from reference_hub.ocpi.errors import MalformedJson, OcpiError, TooManyRequests

log = logging.getLogger("reference_hub")


def _ctx(request: Request[Any, Any, Any]) -> HubContext:
    ctx: HubContext = request.app.state.hub
    return ctx


def handle_ocpi_error(request: Request[Any, Any, Any], exc: OcpiError) -> Response[bytes]:
    ctx = _ctx(request)
    if isinstance(exc, MalformedJson) and ctx.settings.has_fault(Fault.CRASH_ON_BAD_JSON):
        return Response(content=b"Internal Server Error", status_code=500, media_type="text/plain")
    data = UNSET if exc.data is None else exc.data
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
    return ocpi_error_response(
        request,
        ctx,
        data=data,
        status_code=exc.status_code,
        message=exc.message,
        http_status=exc.http_status,
        headers=headers,
    )


def handle_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    """Litestar's own errors (no such route, method not allowed, bad query parameter) in OCPI form."""
    status = exc.status_code
    code = 3000 if status >= 500 else 2001 if status == 400 else 2000
    headers = dict(exc.headers or {})
    return ocpi_error_response(
        request, _ctx(request), status_code=code, message=str(exc.detail), http_status=status, headers=headers
    )


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return ocpi_error_response(
        request, _ctx(request), status_code=3000, message="Internal server error", http_status=500
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    OcpiError: handle_ocpi_error,
    HTTPException: handle_http_error,
    Exception: handle_unexpected,
}

__all__ = ("EXCEPTION_HANDLERS",)
