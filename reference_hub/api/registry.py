"""The one list of OCPI interfaces the hub serves. ``app.py`` mounts it and the version details endpoint publishes it,
so what is advertised and what is served cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller

from reference_hub.api.credentials import CredentialsController
from reference_hub.api.hubclientinfo import HubClientInfoSender
from reference_hub.ocpi.models import Endpoint, InterfaceRole


@dataclass(frozen=True)
class ModuleInterface:
    """One (module, interface) pair and the controller serving it."""

    module: str
    """OCPI ModuleID."""
    role: InterfaceRole
    """Which interface; credentials is advertised as SENDER, as 2.2.1-d2 and later advise."""
    controller: type[Controller]

    @property
    def path(self) -> str:
        """Where the controller is mounted (Controller declares ``path`` in ``__slots__``, hence the ignore)."""
        return str(self.controller.path)  # type: ignore[misc]


MODULES: tuple[ModuleInterface, ...] = (
    ModuleInterface("credentials", InterfaceRole.SENDER, CredentialsController),
    ModuleInterface("hubclientinfo", InterfaceRole.SENDER, HubClientInfoSender),
)


def endpoints(base_url: str) -> list[Endpoint]:
    """The version-details endpoint list for this base URL."""
    return [Endpoint(identifier=m.module, role=m.role, url=f"{base_url}{m.path}") for m in MODULES]


__all__ = ("MODULES", "ModuleInterface", "endpoints")
