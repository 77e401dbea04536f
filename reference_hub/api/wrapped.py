"""Fault switch ``data_wrapped_in_list``: answers that hold one object carry it in a one-element list.

Some platforms serialise every ``data`` through the same list type: a single Location, EVSE or connector, an
AuthorizationInfo and a CommandResponse come back as ``[{...}]``. Applied as a middleware on the finished answer (the
hub's own and the ones it relays), only mounted when the switch is on.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ("WrappedData",)

_ONE_OBJECT = re.compile(
    r"^(?:GET /ocpi/2\.3\.0/sender/[a-z]+/.+|POST /ocpi/2\.3\.0/sender/tokens/[^/]+/authorize"
    r"|POST /ocpi/2\.3\.0/receiver/commands/[A-Z_]+)$"
)


def _wrapped(body: bytes) -> bytes | None:
    try:
        doc: Any = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), dict):
        return None
    return msgspec.json.encode({**doc, "data": [doc["data"]]})


class WrappedData:
    """The ASGI middleware (mounted only when the switch is on)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _ONE_OBJECT.match(f"{scope.get('method')} {scope['path']}"):
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            new = _wrapped(body) if 200 <= start.get("status", 500) < 300 else None
            if new is not None:
                body = new
                start["headers"] = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                start["headers"].append((b"content-length", str(len(body)).encode()))
            await send(start)  # type: ignore[arg-type]
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, keep)
