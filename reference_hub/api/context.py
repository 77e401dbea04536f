"""The per-app object every handler works with (built in the app's lifespan by ``hub/services.py``, kept in app
state)."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection

from reference_hub.hub.services import HubContext

HUB_SCOPE_KEY = "ocpi.hub"
"""Where the app leaves its HubContext in each request's scope (``app.HubApp``)."""


def hub_of(connection: ASGIConnection[Any, Any, Any, Any]) -> HubContext:
    """The app's HubContext, set up by the lifespan. Read from app state rather than through ``Provide``: dependency
    injection costs Litestar a signature-model pass per request, a third of a versions GET. Kept in the request's
    scope after the first look: reaching app state through Litestar's properties cost more than a dictionary lookup,
    and every request asks at least twice (authentication, then the handler). The app puts it there as each request
    comes in (``app.HubApp``)."""
    scope = connection.scope
    hub: HubContext | None = scope.get(HUB_SCOPE_KEY)  # type: ignore[assignment]
    if hub is None:
        hub = scope[HUB_SCOPE_KEY] = connection.app.state.hub  # type: ignore[literal-required]
    return hub


__all__ = ("HUB_SCOPE_KEY", "HubContext", "hub_of")
