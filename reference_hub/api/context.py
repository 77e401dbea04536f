"""The per-app object handlers receive by dependency injection (built in the app's lifespan)."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.di import NamedDependency

from reference_hub.hub.auth import Authenticator
from reference_hub.hub.credentials import Registrar
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


Hub = NamedDependency[HubContext]
"""Handler parameter type: ``hub: Hub`` receives the app's HubContext by dependency injection."""

__all__ = ("Hub", "HubContext")
