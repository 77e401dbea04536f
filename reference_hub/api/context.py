"""The per-app object every handler works with (built in the app's lifespan by ``hub/services.py``, kept in app
state)."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection

from reference_hub.hub.services import HubContext

_HUB = "ocpi.hub"


def hub_of(connection: ASGIConnection[Any, Any, Any, Any]) -> HubContext:
    """The app's HubContext, set up by the lifespan. Read from app state rather than through ``Provide``: dependency
    injection costs Litestar a signature-model pass per request, a third of a versions GET. Kept in the request's
    scope after the first look: reaching app state through Litestar's properties cost more than a dictionary lookup,
    and every request asks at least twice (authentication, then the handler)."""
    scope = connection.scope
    hub: HubContext | None = scope.get(_HUB)  # type: ignore[assignment]
    if hub is None:
        hub = scope[_HUB] = connection.app.state.hub  # type: ignore[literal-required]
    return hub


__all__ = ("HubContext", "hub_of")
