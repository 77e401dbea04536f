"""The per-app object every handler works with (built in the app's lifespan by ``hub/services.py``, kept in app
state)."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection

from reference_hub.hub.services import HubContext


def hub_of(connection: ASGIConnection[Any, Any, Any, Any]) -> HubContext:
    """The app's HubContext, set up by the lifespan. Read from app state rather than through ``Provide``: dependency
    injection costs Litestar a signature-model pass per request, a third of a versions GET."""
    hub: HubContext = connection.app.state.hub
    return hub


__all__ = ("HubContext", "hub_of")
