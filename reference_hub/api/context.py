"""The per-app object every handler works with (built in the app's lifespan, kept in app state)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection

from reference_hub.hub.auth import Authenticator
from reference_hub.hub.callbacks import Callbacks
from reference_hub.hub.credentials import Registrar
from reference_hub.hub.directory import Directory
from reference_hub.hub.liveness import Liveness
from reference_hub.hub.objects import Objects
from reference_hub.hub.outbox import Deliveries
from reference_hub.hub.payments import Payments
from reference_hub.hub.ratelimit import FailedAuthLimiter
from reference_hub.hub.routing import Forwarder
from reference_hub.ocpi.codec import Codec
from reference_hub.settings import Settings
from reference_hub.store import Store


@dataclass(slots=True)
class HubContext:
    """Everything a request may need; one per app."""

    settings: Settings
    codec: Codec
    store: Store
    auth: Authenticator
    registrar: Registrar
    directory: Directory
    objects: Objects
    forwarder: Forwarder
    deliveries: Deliveries
    liveness: Liveness
    limiter: FailedAuthLimiter
    bodies: dict[str, int]
    """Request bodies being read right now, per token hash (see ``api/body.py``)."""
    requests: dict[str, int]
    """Requests under way right now, per partner id (see ``api/auth.py``)."""
    callbacks: Callbacks
    """The response URLs the hub hands out (commands, charging profiles) and the results posted to them."""
    payments: Payments
    """The hub's copy of Terminals and FinancialAdviceConfirmations."""


def hub_of(connection: ASGIConnection[Any, Any, Any, Any]) -> HubContext:
    """The app's HubContext, set up by the lifespan. Read from app state rather than through ``Provide``: dependency
    injection costs Litestar a signature-model pass per request, a third of a versions GET."""
    hub: HubContext = connection.app.state.hub
    return hub


__all__ = ("HubContext", "hub_of")
