"""The one list of OCPI interfaces the hub serves. ``app.py`` mounts it and the version details endpoint publishes it,
so what is advertised and what is served cannot drift apart.

The configuration modules have hand-written controllers; the functional modules are routes built from the operations
the front door answers (``api/modules.py``), and their endpoint URLs are the table's interface base paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reference_hub.api import credentials, hubclientinfo
from reference_hub.api.modules import route_handlers as module_route_handlers
from reference_hub.api.modules import served_interfaces
from reference_hub.ocpi.models import Endpoint, InterfaceRole
from reference_hub.ocpi.versions import SERVED


@dataclass(frozen=True)
class ModuleInterface:
    """One (module, interface) pair and where it is served."""

    module: str
    """OCPI ModuleID."""
    role: InterfaceRole
    """Which interface; credentials is advertised as SENDER, as 2.2.1-d2 and later advise."""
    path: str


MODULES: dict[str, tuple[ModuleInterface, ...]] = {
    version: (
        ModuleInterface("credentials", InterfaceRole.SENDER, f"/ocpi/{version}/credentials"),
        ModuleInterface("hubclientinfo", InterfaceRole.SENDER, f"/ocpi/{version}/sender/hubclientinfo"),
        *(ModuleInterface(m, InterfaceRole(i), base) for m, i, base in served_interfaces(version)),
    )
    for version in SERVED
}
"""What each version's details advertise, by version."""


def route_handlers() -> list[Any]:
    """Every OCPI route besides versions: the configuration controllers and the module routes, of every version."""
    return [*credentials.CONTROLLERS.values(), *hubclientinfo.CONTROLLERS.values(), *module_route_handlers()]


def endpoints(base_url: str, version: str) -> list[Endpoint]:
    """The version-details endpoint list of one version for this base URL."""
    return [Endpoint(identifier=m.module, role=m.role, url=f"{base_url}{m.path}") for m in MODULES[version]]


__all__ = ("MODULES", "ModuleInterface", "endpoints", "route_handlers")
