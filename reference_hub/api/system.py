"""Non-OCPI endpoints: health, the OpenAPI document and its docs page, and the admin surface."""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.exceptions import (
    NotFoundException,
    PermissionDeniedException,
    TooManyRequestsException,
    ValidationException,
)

from reference_hub.api.auth import client_address
from reference_hub.api.body import read_body
from reference_hub.api.context import HubContext, hub_of
from reference_hub.hub.client import redact_url
from reference_hub.hub.credentials import check_party_url
from reference_hub.hub.ratelimit import ADMIN_WEIGHT
from reference_hub.hub.tokens import secret_matches
from reference_hub.ocpi.datetime import now
from reference_hub.ocpi.errors import InvalidOrMissingParameters
from reference_hub.ocpi.operations import OPERATIONS
from reference_hub.store import Partner, PartnerStatus
from reference_hub.store.outbox import Delivery, DeliveryState

log = logging.getLogger("reference_hub")

OPENAPI_FILE = Path(__file__).resolve().parents[1] / "openapi.yaml"
"""Shipped inside the package (a link to the repository's ``openapi.yaml``), so an installed hub serves it too."""


def _docs_page() -> str:
    """Every operation the description defines, as one table: built here from the operations table, so the page needs
    no script, style sheet or font from anywhere else (and so no third party learns who reads it)."""
    rows = "".join(
        f"<tr><td>{html.escape(op.module)}</td><td>{html.escape(op.interface or '')}</td><td>{op.method}</td>"
        f"<td><code>{html.escape(op.path)}</code></td><td>{html.escape(op.body or '')}</td>"
        f"<td>{html.escape((op.answer or '') + (' (list)' if op.answer_is_list else ''))}</td></tr>"
        for op in OPERATIONS
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>OCPI 2.3.0 reference hub: API</title>'
        "<style>body{font:14px/1.4 system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}</style></head><body>"
        '<h1>OCPI 2.3.0 reference hub: API</h1><p>The full description is <a href="/openapi.yaml">/openapi.yaml'
        "</a> (OpenAPI 3.1); load it into any OpenAPI viewer. Every operation it describes:</p><table><thead><tr>"
        "<th>Module</th><th>Interface</th><th>Method</th><th>Path</th><th>Request body</th><th>Answer data</th>"
        f"</tr></thead><tbody>{rows}</tbody></table></body></html>"
    )


_DOCS_PAGE = _docs_page()


class SystemController(Controller):
    """Health and API description; no authentication."""

    @get("/", sync_to_thread=False)
    def index(self, request: Request[Any, Any, Any]) -> dict[str, object]:
        """Someone who opens the hub's address in a browser or with curl learns where to go, not an OCPI 404."""
        settings = hub_of(request).settings
        return {
            "service": "OCPI 2.3.0 reference hub",
            "versions_url": settings.versions_url,
            "health": f"{settings.base_url}/health",
            "openapi": f"{settings.base_url}/openapi.yaml",
            "docs": f"{settings.base_url}/docs",
            "note": "OCPI parties start at versions_url with the token the hub's operator gave them",
        }

    @get("/health")
    async def health(self, request: Request[Any, Any, Any]) -> Response[dict[str, object]]:
        """Anyone may ask, so the answer names the store's kind but no file path, URL or error text."""
        hub = hub_of(request)
        try:
            store = await hub.store.health()
        except Exception:
            log.warning("health: the store is unusable", exc_info=True)
            return Response(
                {"status": "unavailable", "store": {"backend": hub.store.name, "error": "store unusable"}},
                status_code=503,
            )
        return Response({"status": "ok", "ocpi_version": "2.3.0", "store": store})

    @get("/openapi.yaml", media_type="application/yaml", sync_to_thread=False)
    def openapi(self) -> bytes:
        return OPENAPI_FILE.read_bytes()

    @get("/docs", media_type="text/html", sync_to_thread=False)
    def docs(self) -> Response[str]:
        return Response(
            _DOCS_PAGE, headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}
        )


class RegistrationRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Body of POST /admin/registrations."""

    versions_url: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[!-~]+$")]
    """The party's registration token A."""


_REGISTRATION = msgspec.json.Decoder(RegistrationRequest)


def _admin(request: Request[Any, Any, Any], hub: HubContext) -> None:
    """The caller holds the admin key; a locked-out address is refused before the key is compared (HTTP 429)."""
    key = hub.settings.admin_key
    if not key:
        raise NotFoundException("admin endpoints are disabled (set admin_key / OCPI_HUB_ADMIN_KEY)")
    address = client_address(request)
    wait = hub.limiter.locked(address)
    if not wait and secret_matches(request.headers.get("x-admin-key", ""), key):
        return
    if not wait:
        wait = hub.limiter.failed(address, "admin key", ADMIN_WEIGHT)
    if wait:
        raise TooManyRequestsException(
            "too many failed authentications from this address", headers={"Retry-After": str(wait)}
        )
    raise PermissionDeniedException("wrong or missing X-Admin-Key")


def partner_view(partner: Partner) -> dict[str, object]:
    """What an operator sees of a partner: never a token, and URLs without passwords."""
    return {
        "partner_id": partner.partner_id,
        "status": partner.status.value,
        "half_registered": partner.half_registered,
        "awaiting_first_call": partner.awaiting_first_call,
        "initiated_by": partner.initiated_by,
        "roles": [f"{r.role.value} {r.country_code}/{r.party_id}" for r in partner.roles],
        "ocpi_version": partner.version,
        "versions_url": redact_url(partner.versions_url),
        "raw_token_auth": partner.raw_token_auth,
        "created": partner.created.to_ocpi(),
        "updated": partner.updated.to_ocpi(),
    }


def delivery_view(delivery: Delivery) -> dict[str, object]:
    """What an operator sees of a delivery: where it goes and how it fared; never its body or a token."""
    return {
        "delivery_id": delivery.delivery_id,
        "receiver": delivery.receiver,
        "method": delivery.method,
        "url": redact_url(delivery.url),
        "state": delivery.state.value,
        "attempts": delivery.attempts,
        "created": delivery.created.to_ocpi(),
        "due": delivery.due.to_ocpi(),
        "last_error": delivery.last_error,
        "parked": delivery.parked,
    }


def _delivery_id(request: Request[Any, Any, Any]) -> str:
    delivery_id = str(request.path_params["delivery_id"])
    if not 0 < len(delivery_id) <= 64 or not delivery_id.isprintable():
        raise NotFoundException("no such delivery")
    return delivery_id


class AdminController(Controller):
    """Operator actions over HTTP, enabled only when an admin key is configured. Bad input gets HTTP 400."""

    path = "/admin"

    @post("/invitations", status_code=201)
    async def invite(self, request: Request[Any, Any, Any]) -> dict[str, str]:
        hub = hub_of(request)
        _admin(request, hub)
        return {"token": await hub.operators.invite(), "versions_url": hub.settings.versions_url}

    @post("/registrations", status_code=201)
    async def register_with(self, request: Request[Any, Any, Any]) -> dict[str, object]:
        hub = hub_of(request)
        _admin(request, hub)
        raw = await read_body(request, hub, "admin")
        try:
            body = _REGISTRATION.decode(raw)
        except (msgspec.MsgspecError, UnicodeDecodeError, RecursionError) as exc:
            raise ValidationException(f"expected {{versions_url, token}}: {str(exc)[:200]}") from exc
        try:
            check_party_url(body.versions_url)
        except InvalidOrMissingParameters as exc:
            raise ValidationException(exc.message) from exc
        partner = await hub.registrar.register_with(body.versions_url, body.token)
        return {"registered": True, "partner_id": partner.partner_id}

    @get("/partners")
    async def partners(self, request: Request[Any, Any, Any]) -> list[dict[str, object]]:
        """Every partner record, whatever its status; ``half_registered`` marks a hub-initiated handshake that never
        finished, ``awaiting_first_call`` a partner that has not yet used its token (normal for one that only
        receives)."""
        hub = hub_of(request)
        _admin(request, hub)
        page = await hub.store.list_partners(statuses=tuple(PartnerStatus))
        return [partner_view(p) for p in page.items]

    @delete("/partners/{partner_id:str}", status_code=200)
    async def remove_partner(self, request: Request[Any, Any, Any]) -> dict[str, object]:
        """Remove a partner record (its token stops working, its party ids are free again)."""
        partner_id = str(request.path_params["partner_id"])
        hub = hub_of(request)
        _admin(request, hub)
        if len(partner_id) > 64 or not await hub.operators.remove(partner_id):
            raise NotFoundException(f"no partner {partner_id[:64]!r}")
        return {"removed": True, "partner_id": partner_id}

    @get("/outbox")
    async def outbox(self, request: Request[Any, Any, Any]) -> dict[str, object]:
        """The delivery backlog per receiver, the failed deliveries (with their last error) and the oldest pending
        ones; ``?receiver=PARTNER_ID`` narrows the lists to one receiver."""
        hub = hub_of(request)
        _admin(request, hub)
        receiver = request.query_params.get("receiver") or None
        if receiver is not None and len(receiver) > 64:
            raise ValidationException("receiver: a partner id, at most 64 characters")
        stats = await hub.store.outbox_stats()
        failed = await hub.store.list_deliveries(receiver=receiver, state=DeliveryState.FAILED, limit=500)
        pending = await hub.store.list_deliveries(receiver=receiver, state=DeliveryState.PENDING, limit=100)
        return {
            "policy": hub.settings.delivery_policy,
            "receivers": [
                {
                    "receiver": s.receiver,
                    "pending": s.pending,
                    "parked": s.parked,
                    "failed": s.failed,
                    "oldest_pending": s.oldest_pending.to_ocpi() if s.oldest_pending else None,
                    "last_error": s.last_error,
                }
                for s in stats
                if receiver is None or s.receiver == receiver
            ],
            "failed": [delivery_view(d) for d in failed],
            "pending": [delivery_view(d) for d in pending],
        }

    @post("/outbox/{delivery_id:str}/retry", status_code=200)
    async def retry_delivery(self, request: Request[Any, Any, Any]) -> dict[str, object]:
        """Make a FAILED delivery due now; it is sent again under its own X-Request-ID."""
        hub = hub_of(request)
        _admin(request, hub)
        delivery_id = _delivery_id(request)
        if not await hub.store.retry_delivery(delivery_id, now()):
            raise NotFoundException(f"no failed delivery {delivery_id!r}")
        hub.deliveries.wake()
        log.info("admin: delivery %s retried", delivery_id)
        return {"retried": True, "delivery_id": delivery_id}

    @delete("/outbox/{delivery_id:str}", status_code=200)
    async def drop_delivery(self, request: Request[Any, Any, Any]) -> dict[str, object]:
        """Give a delivery up for good (the receiver resynchronises with a GET)."""
        hub = hub_of(request)
        _admin(request, hub)
        delivery_id = _delivery_id(request)
        if not await hub.store.drop_delivery(delivery_id):
            raise NotFoundException(f"no delivery {delivery_id!r}")
        log.info("admin: delivery %s dropped", delivery_id)
        return {"dropped": True, "delivery_id": delivery_id}


__all__ = ("AdminController", "SystemController", "partner_view")
