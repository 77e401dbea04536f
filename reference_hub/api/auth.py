"""The auth guard: authentication happens before any body is read, so a bad token gives 401 before a bad body gives 400.

Route handlers declare what they accept in ``opt``: ``registration_ok=True`` for the modules token A may open
(versions and credentials). The caller lands in ``request.state.caller``.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from reference_hub.api.context import HubContext
from reference_hub.hub.auth import CallerKind
from reference_hub.ocpi.errors import Unauthorized


async def ocpi_token_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    ctx: HubContext = connection.app.state.hub
    caller = await ctx.auth.authenticate(connection.headers.get("authorization"))
    if caller is None:
        raise Unauthorized("Missing or unknown credentials token (Authorization: Token <base64 token>)")
    if caller.kind is CallerKind.REGISTRATION and not handler.opt.get("registration_ok"):
        raise Unauthorized("A registration token only opens the versions and credentials modules")
    connection.state.caller = caller


__all__ = ("ocpi_token_guard",)
