"""Fault switch ``roles_per_interface``: the hub presents itself as one platform with two roles.

Many platforms serve both sides of the market from one OCPI endpoint: a CPO and an eMSP party behind the same
versions URL, no ``hub_party_id``, each interface answered by the role that owns it (the Receivers of Locations,
Tariffs, Sessions and CDRs and the Tokens Sender as the eMSP, the rest as the CPO), and either party accepted in
``OCPI-to-*``. That is conforming; the switch lets a conformance tool prove it addresses such a platform per interface.
The CPO party is the hub's own (``country_code``/``party_id``), the eMSP party the same with the last letter ``E``
(``M`` when it already ends in ``E``).
"""

from __future__ import annotations

from reference_hub.settings import Settings

__all__ = ("answering_party", "emsp_party_id", "is_own_party")

_EMSP_SIDE = {("receiver", m) for m in ("locations", "tariffs", "sessions", "cdrs")} | {("sender", "tokens")}


def emsp_party_id(settings: Settings) -> str:
    pid = settings.party_id.upper()
    return pid[:2] + ("M" if pid.endswith("E") else "E")


def answering_party(settings: Settings, path: str) -> tuple[str, str]:
    """The party that answers a request to ``path`` (``/ocpi/2.3.0/{sender|receiver}/{module}/...``)."""
    parts = path.split("/")
    side_module = (parts[3], parts[4]) if len(parts) > 4 else ("", "")
    cc = settings.country_code.upper()
    return (cc, emsp_party_id(settings)) if side_module in _EMSP_SIDE else (cc, settings.party_id.upper())


def is_own_party(settings: Settings, key: str) -> bool:
    """``key`` (``CC/PID``) names the platform's eMSP party (its CPO party is the hub's own id)."""
    return key.upper() == f"{settings.country_code}/{emsp_party_id(settings)}".upper()
