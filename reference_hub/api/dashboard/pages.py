"""The operator dashboard's pages: server-rendered HTML (Jinja templates shipped in this package), one POST form per
action, every form protected by :mod:`.security`. Mounted only when an admin key is configured (see ``app.py``).

The pages read what the hub already keeps: the store (partners, invitations, the outbox) and, for traffic and the
charts, the in-memory counters of ``hub/traffic.py`` of the process that answers (per process with several workers).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import Counter
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from reference_hub.api.auth import client_address
from reference_hub.api.context import HubContext, hub_of
from reference_hub.api.dashboard.charts import Chart, bar_chart
from reference_hub.api.dashboard.security import (
    COOKIE_PATH,
    SECURITY_HEADERS,
    SESSION_COOKIE,
    SESSION_SECONDS,
    SIGNIN_COOKIE,
    Gatekeeper,
    Session,
    cookie_secure,
)
from reference_hub.hub.client import redact_url
from reference_hub.hub.credentials import check_party_url
from reference_hub.hub.operators import OperatorRefusal
from reference_hub.hub.ratelimit import ADMIN_WEIGHT
from reference_hub.ocpi.datetime import DateTime, now
from reference_hub.ocpi.errors import OcpiError
from reference_hub.ocpi.versions import SERVED
from reference_hub.store import Partner, PartnerStatus
from reference_hub.store.outbox import DeliveryState

log = logging.getLogger("reference_hub.dashboard")

PARTIES_PER_PAGE = 60
"""Party cards per page (a hub seeded for load tests may hold 100,000)."""
_PARTNER_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_HASH = re.compile(r"^[0-9a-f]{64}$")
_DELIVERY_ID = re.compile(r"^[0-9a-f-]{1,64}$")
_NOTICES = {
    "suspended": "{} is suspended: its token opens nothing; the connected platforms were sent ClientInfo SUSPENDED.",
    "reactivated": "{} is active again: the connected platforms were sent ClientInfo CONNECTED.",
    "unregistered": "{} is unregistered: its token no longer works and its parties are free.",
    "removed": "The half-finished registration {} was removed.",
    "registered": "The hub registered with {}.",
    "revoked": "The invitation {} was revoked.",
    "retried": "Delivery {} is due again; the delivery worker sends it now.",
    "dropped": "Delivery {} was dropped.",
}


def gatekeeper_of(request: Request[Any, Any, Any]) -> Gatekeeper:
    gate: Gatekeeper = request.app.state.dashboard
    return gate


def secure_headers(response: Response[Any]) -> Response[Any]:
    """``after_request`` of every dashboard route: never cached, never framed, only its own assets."""
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


def _when(stamp: DateTime | float | None) -> str:
    if stamp is None:
        return "never"
    if isinstance(stamp, float):
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(stamp))
    return stamp.strftime("%Y-%m-%d %H:%M:%S UTC")


def _age(stamp: DateTime) -> str:
    seconds = max(int((now() - stamp).total_seconds()), 0)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def _page(
    request: Request[Any, Any, Any], name: str, session: Session, *, status_code: int = 200, **context: Any
) -> Template:
    hub = hub_of(request)
    notice = None
    done, _, subject = request.query_params.get("done", "").partition(":")
    if done in _NOTICES and _PARTNER_ID.match(subject):
        notice = _NOTICES[done].format(subject)
    return Template(
        template_name=f"{name}.html",
        context={
            "page": name,
            "csrf": session.csrf,
            "faults": sorted(hub.settings.faults),
            "hub_party": hub.settings.hub_party_id,
            "notice": notice,
            "error": None,
            **context,
        },
        status_code=status_code,
    )


def _signin_page(request: Request[Any, Any, Any], *, error: str | None = None, status_code: int = 200) -> Template:
    gate = gatekeeper_of(request)
    hub = hub_of(request)
    nonce = gate.new_signin_nonce()
    return Template(
        template_name="signin.html",
        context={"csrf": gate.signin_csrf(nonce), "error": error, "faults": sorted(hub.settings.faults)},
        status_code=status_code,
        cookies=[
            Cookie(
                key=SIGNIN_COOKIE,
                value=nonce,
                path=COOKIE_PATH,
                httponly=True,
                samesite="strict",
                secure=cookie_secure(request, hub.settings.base_url),
                max_age=3600,
            )
        ],
    )


def _refused(reason: str) -> Response[str]:
    return Response(
        f"Refused: {reason}. Go back, reload the page and try again.",
        status_code=403,
        media_type="text/plain",
    )


async def _form(request: Request[Any, Any, Any]) -> tuple[Session | None, dict[str, str], Response[Any] | None]:
    """A POST's session and fields, or the answer refusing it (no session, foreign origin, wrong form token)."""
    gate = gatekeeper_of(request)
    session = gate.session(request)
    if session is None:
        return None, {}, Redirect("/admin/signin", status_code=303)
    if not gate.same_origin(request, hub_of(request).settings.base_url):
        return None, {}, _refused("the form was sent from another site")
    form = await request.form()
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    if not gate.token_matches(fields.get("csrf"), session.csrf):
        return None, {}, _refused("the form token is missing or stale")
    return session, fields, None


def _partner_view(partner: Partner, hub: HubContext) -> dict[str, Any]:
    status = partner.status.value
    if partner.status is PartnerStatus.ACTIVE:
        status = "OFFLINE" if partner.offline else "CONNECTED"
    first = partner.roles[0] if partner.roles else None
    return {
        "id": partner.partner_id,
        "status": status,
        "record_status": partner.status.value,
        "half_registered": partner.half_registered,
        "awaiting_first_call": partner.awaiting_first_call,
        "platform": first.business_details.name if first else "",
        "roles": [f"{r.role.value} {r.country_code}/{r.party_id}" for r in partner.roles],
        "version": partner.version or "",
        "endpoints": [f"{e.identifier} {e.role.value} {redact_url(e.url)}" for e in partner.endpoints],
        "versions_url": redact_url(partner.versions_url),
        "last_seen": _when(hub.liveness.last_seen(partner.partner_id)),
        "encoding": "raw token" if partner.raw_token_auth else "base64",
        "initiated_by": partner.initiated_by,
        "updated": _when(partner.updated),
    }


def _charts(hub: HubContext) -> list[Chart]:
    minutes = hub.forwarder.traffic.last_hour()
    routed = sum(m.routed for m in minutes)
    delivered = sum(m.delivered for m in minutes)
    mean_routed = sum(m.routed_ms for m in minutes) / routed if routed else 0.0
    mean_delivery = sum(m.delivery_s for m in minutes) / delivered if delivered else 0.0
    return [
        bar_chart(
            "Routed requests per minute",
            "requests",
            [(m.start, float(m.routed)) for m in minutes],
            f"{routed} routed in the last hour, {sum(m.failed for m in minutes)} not answered 1000, "
            f"mean round trip {mean_routed:.0f} ms",
        ),
        bar_chart(
            "Delivery latency (mean per minute)",
            "ms",
            [(m.start, 1000 * m.delivery_s / m.delivered if m.delivered else None) for m in minutes],
            f"{delivered} deliveries arrived in the last hour, mean {1000 * mean_delivery:.0f} ms from acceptance to "
            "arrival",
        ),
    ]


class DashboardController(Controller):
    """Every dashboard page and form."""

    path = "/admin"
    include_in_schema = False

    # --- sign-in ------------------------------------------------------------------------------------------------

    @get("/signin")
    async def signin_form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        if gatekeeper_of(request).session(request) is not None:
            return Redirect("/admin/", status_code=303)
        return _signin_page(request)

    @post("/signin", status_code=303)
    async def signin(self, request: Request[Any, Any, Any]) -> Response[Any]:
        gate = gatekeeper_of(request)
        hub = hub_of(request)
        if not gate.same_origin(request, hub_of(request).settings.base_url):
            return _refused("the form was sent from another site")
        form = await request.form()
        nonce = request.cookies.get(SIGNIN_COOKIE, "")
        given = form.get("csrf")
        if not nonce or not isinstance(given, str) or not gate.token_matches(given, gate.signin_csrf(nonce)):
            return _signin_page(request, error="The form expired; please sign in again.", status_code=403)
        address = client_address(request)
        wait = hub.limiter.locked(address)
        if wait:
            return _signin_page(
                request, error=f"Too many failed attempts from your address; try again in {wait} s.", status_code=429
            )
        key = form.get("key")
        if not isinstance(key, str) or not gate.key_matches(key):
            delay = gate.failed(address)
            hub.limiter.failed(address, "dashboard sign-in", ADMIN_WEIGHT)
            log.warning("dashboard: failed sign-in from %s", address)
            await asyncio.sleep(delay)
            return _signin_page(request, error="That is not the admin key.", status_code=401)
        value, _session = gate.new_session()
        log.info("dashboard: operator signed in from %s", address)
        secure = cookie_secure(request, hub.settings.base_url)
        return Redirect(
            "/admin/",
            status_code=303,
            cookies=[
                Cookie(
                    key=SESSION_COOKIE,
                    value=value,
                    path=COOKIE_PATH,
                    httponly=True,
                    samesite="strict",
                    secure=secure,
                    max_age=SESSION_SECONDS,
                ),
                Cookie(key=SIGNIN_COOKIE, value="", path=COOKIE_PATH, max_age=0, httponly=True, samesite="strict"),
            ],
        )

    @post("/signout", status_code=303)
    async def signout(self, request: Request[Any, Any, Any]) -> Response[Any]:
        session, _fields, refusal = await _form(request)
        if refusal is not None or session is None:
            return refusal or Redirect("/admin/signin", status_code=303)
        gatekeeper_of(request).revoke(session)
        return Redirect(
            "/admin/signin",
            status_code=303,
            cookies=[
                Cookie(key=SESSION_COOKIE, value="", path=COOKIE_PATH, max_age=0, httponly=True, samesite="strict")
            ],
        )

    # --- overview -----------------------------------------------------------------------------------------------

    @get("/")
    async def overview(self, request: Request[Any, Any, Any]) -> Response[Any]:
        session = gatekeeper_of(request).session(request)
        if session is None:
            return Redirect("/admin/signin", status_code=303)
        hub = hub_of(request)
        try:
            health: dict[str, object] | None = await hub.store.health()
            store_error = None
        except Exception:
            log.warning("dashboard: the store is unusable", exc_info=True)
            health, store_error = None, "the store is unusable (see the hub's log)"
        counts: Counter[str] = Counter()
        by_version: Counter[str] = Counter()
        if health is not None:
            # Connected and offline are told apart by a field of each ACTIVE record; the other states are counts.
            active = await hub.store.list_partners(statuses=(PartnerStatus.ACTIVE,))
            counts.update("OFFLINE" if p.offline else "CONNECTED" for p in active.items)
            by_version.update(p.version for p in active.items if p.version)
            for status in (PartnerStatus.SUSPENDED, PartnerStatus.PENDING):
                counts[status.value] = (await hub.store.list_partners(statuses=(status,), limit=0)).total
        stats = await hub.store.outbox_stats() if health is not None else []
        return _page(
            request,
            "overview",
            session,
            store_name=hub.store.name,
            health=health,
            store_error=store_error,
            counts=counts,
            versions=[(v, by_version[v]) for v in SERVED],
            backlog={"pending": sum(s.pending for s in stats), "failed": sum(s.failed for s in stats)},
            charts=_charts(hub),
            workers=hub.settings.workers,
            policy=hub.settings.delivery_policy,
        )

    # --- parties ------------------------------------------------------------------------------------------------

    @get("/parties")
    async def parties(self, request: Request[Any, Any, Any]) -> Response[Any]:
        session = gatekeeper_of(request).session(request)
        if session is None:
            return Redirect("/admin/signin", status_code=303)
        return await self._parties(request, session)

    async def _parties(
        self, request: Request[Any, Any, Any], session: Session, *, error: str | None = None, status_code: int = 200
    ) -> Response[Any]:
        hub = hub_of(request)
        try:
            offset = max(int(request.query_params.get("offset", "0")), 0)
        except ValueError:
            offset = 0
        live_statuses = (PartnerStatus.PENDING, PartnerStatus.ACTIVE, PartnerStatus.SUSPENDED)
        page = await hub.store.list_partners(statuses=live_statuses, offset=offset, limit=PARTIES_PER_PAGE)
        live = [_partner_view(p, hub) for p in page.items]
        inactive = await hub.store.list_partners(statuses=(PartnerStatus.INACTIVE,), limit=PARTIES_PER_PAGE)
        # Retired records of hub-initiated registrations (PENDING-..., no parties) are bookkeeping, not parties.
        gone = [v for v in (_partner_view(p, hub) for p in inactive.items) if v["roles"]]
        return _page(
            request,
            "parties",
            session,
            parties=live,
            total=page.total,
            offset=offset,
            shown=len(live),
            previous=max(offset - PARTIES_PER_PAGE, 0) if offset else None,
            next=offset + PARTIES_PER_PAGE if offset + PARTIES_PER_PAGE < page.total else None,
            inactive=gone,
            error=error,
            status_code=status_code,
        )

    @post("/parties/{partner_id:str}/{action:str}", status_code=303)
    async def party_action(self, request: Request[Any, Any, Any]) -> Response[Any]:
        partner_id, action = str(request.path_params["partner_id"]), str(request.path_params["action"])
        session, _fields, refusal = await _form(request)
        if refusal is not None or session is None:
            return refusal or Redirect("/admin/signin", status_code=303)
        hub = hub_of(request)
        if not _PARTNER_ID.match(partner_id):
            return await self._parties(request, session, error="No such party.", status_code=404)
        try:
            if action == "suspend":
                await hub.operators.suspend(partner_id)
                done = "suspended"
            elif action == "reactivate":
                await hub.operators.reactivate(partner_id)
                done = "reactivated"
            elif action == "unregister":
                current = await hub.store.get_partner(partner_id)
                if current is not None and current.status is PartnerStatus.PENDING:
                    await hub.operators.remove(partner_id)
                    done = "removed"
                else:
                    await hub.operators.unregister_partner(partner_id)
                    done = "unregistered"
            else:
                return await self._parties(request, session, error=f"Unknown action {action[:20]!r}.", status_code=404)
        except OperatorRefusal as exc:
            return await self._parties(request, session, error=str(exc), status_code=409)
        return Redirect("/admin/parties", query_params={"done": f"{done}:{partner_id}"}, status_code=303)

    @post("/parties/register", status_code=303)
    async def register_with(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Hub-initiated registration: the party gave the operator its versions URL and a token A."""
        session, fields, refusal = await _form(request)
        if refusal is not None or session is None:
            return refusal or Redirect("/admin/signin", status_code=303)
        hub = hub_of(request)
        url, token = fields.get("versions_url", "").strip(), fields.get("token", "").strip()
        if not url or not token or len(url) > 255 or len(token) > 64 or not token.isprintable():
            return await self._parties(
                request,
                session,
                error="Give the party's versions URL and its token A (at most 64 characters).",
                status_code=400,
            )
        try:
            check_party_url(url)
            partner = await hub.registrar.register_with(url, token)
        except OcpiError as exc:
            return await self._parties(request, session, error=f"Registration failed: {exc.message}", status_code=502)
        return Redirect("/admin/parties", query_params={"done": f"registered:{partner.partner_id}"}, status_code=303)

    # --- invitations --------------------------------------------------------------------------------------------

    @get("/invites")
    async def invitations(self, request: Request[Any, Any, Any]) -> Response[Any]:
        session = gatekeeper_of(request).session(request)
        if session is None:
            return Redirect("/admin/signin", status_code=303)
        return await self._invitations(request, session)

    async def _invitations(
        self, request: Request[Any, Any, Any], session: Session, *, token: str | None = None, status_code: int = 200
    ) -> Response[Any]:
        hub = hub_of(request)
        unused = await hub.store.list_invitations()
        rows = [
            {
                "id": inv.token_hash,
                "short": inv.token_hash[:12],
                "created": _when(inv.created),
                "age": _age(inv.created),
            }
            for inv in unused
        ]
        return _page(
            request,
            "invitations",
            session,
            token=token,
            versions_url=hub.settings.versions_url,
            invitations=rows,
            status_code=status_code,
        )

    @post("/invites/new", status_code=200)
    async def invite(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """The new token A is in this answer only (not cached, not in a URL): the store keeps just its hash."""
        session, _fields, refusal = await _form(request)
        if refusal is not None or session is None:
            return refusal or Redirect("/admin/signin", status_code=303)
        token = await hub_of(request).operators.invite()
        log.info("dashboard: invitation created")
        return await self._invitations(request, session, token=token, status_code=201)

    @post("/invites/revoke", status_code=303)
    async def revoke(self, request: Request[Any, Any, Any]) -> Response[Any]:
        session, fields, refusal = await _form(request)
        if refusal is not None or session is None:
            return refusal or Redirect("/admin/signin", status_code=303)
        token_hash = fields.get("id", "")
        if not _HASH.match(token_hash) or not await hub_of(request).operators.revoke_invitation(token_hash):
            return await self._invitations(request, session, status_code=404)
        return Redirect("/admin/invites", query_params={"done": f"revoked:{token_hash[:12]}"}, status_code=303)

    # --- deliveries ---------------------------------------------------------------------------------------------

    @get("/deliveries")
    async def deliveries(self, request: Request[Any, Any, Any]) -> Response[Any]:
        session = gatekeeper_of(request).session(request)
        if session is None:
            return Redirect("/admin/signin", status_code=303)
        hub = hub_of(request)
        stats = await hub.store.outbox_stats()
        failed = await hub.store.list_deliveries(receiver=None, state=DeliveryState.FAILED, limit=200)
        pending = await hub.store.list_deliveries(receiver=None, state=DeliveryState.PENDING, limit=50)

        def row(d: Any) -> dict[str, Any]:
            return {
                "id": d.delivery_id,
                "receiver": d.receiver,
                "method": d.method,
                "url": redact_url(d.url),
                "attempts": d.attempts,
                "created": _when(d.created),
                "due": _when(d.due),
                "last_error": d.last_error or "",
            }

        return _page(
            request,
            "deliveries",
            session,
            stats=[
                {
                    "receiver": s.receiver,
                    "pending": s.pending,
                    "failed": s.failed,
                    "oldest": _age(s.oldest_pending) if s.oldest_pending else "",
                    "last_error": s.last_error or "",
                }
                for s in stats
            ],
            failed=[row(d) for d in failed],
            pending=[row(d) for d in pending],
            policy=hub.settings.delivery_policy,
        )

    @post("/deliveries/{action:str}", status_code=303)
    async def delivery_action(self, request: Request[Any, Any, Any]) -> Response[Any]:
        action = str(request.path_params["action"])
        session, fields, refusal = await _form(request)
        if refusal is not None or session is None:
            return refusal or Redirect("/admin/signin", status_code=303)
        hub = hub_of(request)
        delivery_id = fields.get("id", "")
        if not _DELIVERY_ID.match(delivery_id) or action not in ("retry", "drop"):
            return Redirect("/admin/deliveries", status_code=303)
        if action == "retry":
            done = await hub.store.retry_delivery(delivery_id, now())
            hub.deliveries.wake()
        else:
            done = await hub.store.drop_delivery(delivery_id)
        if done:
            log.info("dashboard: delivery %s %s", delivery_id, "retried" if action == "retry" else "dropped")
            label = "retried" if action == "retry" else "dropped"
            return Redirect("/admin/deliveries", query_params={"done": f"{label}:{delivery_id}"}, status_code=303)
        return Redirect("/admin/deliveries", status_code=303)

    # --- traffic ------------------------------------------------------------------------------------------------

    @get("/traffic")
    async def traffic(self, request: Request[Any, Any, Any]) -> Response[Any]:
        session = gatekeeper_of(request).session(request)
        if session is None:
            return Redirect("/admin/signin", status_code=303)
        hub = hub_of(request)
        party = request.query_params.get("party", "").strip()[:64]
        correlation = request.query_params.get("correlation_id", "").strip()[:255]
        rows = [
            {
                "at": time.strftime("%H:%M:%S", time.gmtime(e.at)) + f".{int(e.at * 1000) % 1000:03d}",
                "kind": e.kind,
                "sender": e.sender,
                "receiver": e.receiver,
                "module": e.module,
                "method": e.method,
                "status": "" if e.status_code is None else str(e.status_code),
                "ok": e.status_code == 1000,
                "latency": f"{e.latency_ms:.0f}",
                "request_id": e.request_id,
                "correlation_id": e.correlation_id,
            }
            for e in hub.forwarder.traffic.recent(party=party or None, correlation_id=correlation or None)
        ]
        return _page(
            request,
            "traffic",
            session,
            rows=rows,
            party=party,
            correlation_id=correlation,
            workers=hub.settings.workers,
        )


__all__ = ("DashboardController", "gatekeeper_of", "secure_headers")
