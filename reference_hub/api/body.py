"""Reading a request body with a size cap, an overall deadline and a bound per token.

granian times out slow headers but not slow bodies, so the hub does it here: every handler that needs a body reads it
through :func:`read_body`. A body longer than ``max_body_size`` gets HTTP 413 as soon as it is announced or streamed
past the cap; a body not complete within ``body_timeout`` seconds gets HTTP 408; a token that already has
``bodies_per_token`` bodies in flight gets HTTP 429 at once, so one token holding many stalled uploads ties up neither
memory nor the server's request slots for long. Requests without a body (the hot path) never come here.
"""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request

from reference_hub.api.context import HubContext
from reference_hub.ocpi.errors import PayloadTooLarge, RequestTimeout, TooManyRequests


def _declared_length(request: Request[Any, Any, Any]) -> int | None:
    for name, value in request.scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def read_body(request: Request[Any, Any, Any], hub: HubContext, holder: str) -> bytes:
    """The whole body, read within the limits; ``holder`` is whom the body counts against (a token hash)."""
    settings = hub.settings
    cap = settings.max_body_size
    declared = _declared_length(request)
    if declared is not None and declared > cap:
        raise PayloadTooLarge(f"Request body of {declared} bytes is over the limit of {cap}")
    if declared == 0:
        return b""  # nothing to wait for, so nothing to count (e.g. a real-time authorization without a body)
    in_flight = hub.bodies.get(holder, 0)
    if in_flight >= settings.bodies_per_token:
        raise TooManyRequests(
            f"This token is already sending {in_flight} request bodies; wait for them to finish", retry_after=1
        )
    hub.bodies[holder] = in_flight + 1
    try:
        chunks: list[bytes] = []
        size = 0
        async with asyncio.timeout(settings.body_timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > cap:
                    raise PayloadTooLarge(f"Request body over the limit of {cap} bytes")
                chunks.append(chunk)
        return b"".join(chunks)
    except TimeoutError as exc:
        raise RequestTimeout(f"Request body not complete within {settings.body_timeout:g} s") from exc
    finally:
        left = hub.bodies[holder] - 1
        if left:
            hub.bodies[holder] = left
        else:
            del hub.bodies[holder]


__all__ = ("read_body",)
