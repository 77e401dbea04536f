"""The one list of OCPI interfaces the hub serves. ``app.py`` mounts it and the version details endpoint publishes it,
so what is advertised and what is served cannot drift apart.

The configuration modules have hand-written controllers; the functional modules are routes built from the operations
the front door answers (``api/modules.py``), and their endpoint URLs are the table's interface base paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reference_hub.api.credentials import CredentialsController
from reference_hub.api.hubclientinfo import HubClientInfoSender
from reference_hub.api.modules import route_handlers as module_route_handlers
from reference_hub.api.modules import served_interfaces
from reference_hub.ocpi.models import Endpoint, InterfaceRole


@dataclass(frozen=True)
class ModuleInterface:
    """One (module, interface) pair and where it is served."""

    module: str
    """OCPI ModuleID."""
    role: InterfaceRole
    """Which interface; credentials is advertised as SENDER, as 2.2.1-d2 and later advise."""
    path: str


_CONTROLLERS = (CredentialsController, HubClientInfoSender)

MODULES: tuple[ModuleInterface, ...] = (
    ModuleInterface("credentials", InterfaceRole.SENDER, str(CredentialsController.path)),
    ModuleInterface("hubclientinfo", InterfaceRole.SENDER, str(HubClientInfoSender.path)),
    *(ModuleInterface(module, InterfaceRole(interface), base) for module, interface, base in served_interfaces()),
)


def route_handlers() -> list[Any]:
    """Every OCPI route besides versions: the configuration controllers and the module routes."""
    return [
        *_CONTROLLERS,
        *module_route_handlers(),
    ]


def endpoints(base_url: str) -> list[Endpoint]:
    """The version-details endpoint list for this base URL."""
    return [Endpoint(identifier=m.module, role=m.role, url=f"{base_url}{m.path}") for m in MODULES]


__all__ = ("MODULES", "ModuleInterface", "endpoints", "route_handlers")
