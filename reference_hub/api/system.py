"""Non-OCPI endpoints: health, the OpenAPI document and its docs page, and the admin surface."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException

from reference_hub.api.context import HubContext, hub_of
from reference_hub.hub.tokens import same_hash
from reference_hub.store import PartnerStatus

OPENAPI_FILE = Path(__file__).resolve().parents[2] / "openapi.yaml"

_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>OCPI 2.3.0 reference hub: API</title>
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"></head>
<body><div id="ui"><p>The interactive view loads Swagger UI from a CDN. The description itself is
<a href="/openapi.yaml">/openapi.yaml</a>.</p></div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>window.onload = () => SwaggerUIBundle({url: "/openapi.yaml", dom_id: "#ui"});</script>
</body></html>
"""


class SystemController(Controller):
    """Health and API description; no authentication."""

    @get("/health")
    async def health(self, request: Request[Any, Any, Any]) -> Response[dict[str, object]]:
        hub = hub_of(request)
        try:
            store = await hub.store.health()
        except Exception as exc:
            return Response({"status": "unavailable", "store": {"error": str(exc)}}, status_code=503)
        return Response({"status": "ok", "ocpi_version": "2.3.0", "store": store})

    @get("/openapi.yaml", media_type="application/yaml", sync_to_thread=False)
    def openapi(self) -> bytes:
        return OPENAPI_FILE.read_bytes()

    @get("/docs", media_type="text/html", sync_to_thread=False)
    def docs(self) -> str:
        return _DOCS_PAGE


class RegistrationRequest(msgspec.Struct):
    """Body of POST /admin/registrations."""

    versions_url: str
    token: str
    """The party's registration token A."""


def _admin(request: Request[Any, Any, Any], hub: HubContext) -> None:
    key = hub.settings.admin_key
    if not key:
        raise NotFoundException("admin endpoints are disabled (set admin_key / OCPI_HUB_ADMIN_KEY)")
    if not same_hash(request.headers.get("x-admin-key", ""), key):
        raise PermissionDeniedException("wrong or missing X-Admin-Key")


class AdminController(Controller):
    """Operator actions over HTTP, enabled only when an admin key is configured."""

    path = "/admin"

    @post("/invitations", status_code=201)
    async def invite(self, request: Request[Any, Any, Any]) -> dict[str, str]:
        hub = hub_of(request)
        _admin(request, hub)
        return {"token": await hub.registrar.invite(), "versions_url": hub.settings.versions_url}

    @post("/registrations", status_code=201)
    async def register_with(self, request: Request[Any, Any, Any]) -> dict[str, object]:
        hub = hub_of(request)
        _admin(request, hub)
        body = msgspec.json.decode(await request.body(), type=RegistrationRequest)
        partner = await hub.registrar.register_with(body.versions_url, body.token)
        return {"registered": True, "partner_id": partner.partner_id}

    @get("/partners")
    async def partners(self, request: Request[Any, Any, Any]) -> list[dict[str, object]]:
        hub = hub_of(request)
        _admin(request, hub)
        page = await hub.store.list_partners(statuses=tuple(PartnerStatus))
        return [
            {
                "partner_id": p.partner_id,
                "status": p.status.value,
                "roles": [f"{r.role.value} {r.country_code}/{r.party_id}" for r in p.roles],
                "versions_url": p.versions_url,
                "raw_token_auth": p.raw_token_auth,
                "created": p.created.to_ocpi(),
                "updated": p.updated.to_ocpi(),
            }
            for p in page.items
        ]


__all__ = ("AdminController", "SystemController")
