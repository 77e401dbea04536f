"""Building OCPI responses: envelope, request/correlation ids, and the response-side fault switches."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response
from msgspec import UNSET, UnsetType

from reference_hub.api.context import HubContext

JSON = "application/json"


def exchange_ids(request: Request[Any, Any, Any]) -> tuple[str, str]:
    """The request's X-Request-ID and X-Correlation-ID, generated when the caller sent none."""
    headers = request.headers
    request_id = headers.get("x-request-id") or str(uuid.uuid4())
    return request_id, headers.get("x-correlation-id") or request_id


def ocpi_response(
    request: Request[Any, Any, Any],
    ctx: HubContext,
    data: Any | UnsetType = UNSET,
    *,
    status_code: int = 1000,
    message: str | None = None,
    http_status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[bytes]:
    """The single way an OCPI answer leaves the hub."""
    settings = ctx.settings
    faults = settings.faults
    if faults:
        if status_code < 2000 and "wrong_status_code" in faults:
            status_code = 2000
        if status_code >= 2000 and "error_as_success" in faults:
            status_code, http_status = 1000, 200
    body = ctx.codec.envelope(status_code, data, message, drop_timestamp="missing_timestamp" in faults)
    out = dict(headers) if headers else {}
    if "no_request_id_echo" not in faults:
        request_id, correlation_id = exchange_ids(request)
        out["X-Request-ID"] = request_id
        out["X-Correlation-ID"] = correlation_id
    if "routing_headers_on_config" in faults:
        out["OCPI-from-country-code"] = settings.country_code
        out["OCPI-from-party-id"] = settings.party_id
    return Response(content=body, status_code=http_status, media_type=JSON, headers=out)


__all__ = ("JSON", "exchange_ids", "ocpi_response")
