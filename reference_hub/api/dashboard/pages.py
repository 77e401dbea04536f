"""The operator dashboard's pages: server-rendered HTML (Jinja templates shipped in this package), one POST form per
action, every form protected by :mod:`.security`. Mounted only when an admin key is configured (see ``app.py``).

The pages read what the hub already keeps: the store (partners, invitations, the outbox) and, for traffic and the
charts, the in-memory counters of ``hub/traffic.py`` of the process that answers (per process with several workers).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import Counter
from typing import Any
from urllib.parse import urlencode, urlsplit

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from reference_hub.api.auth import client_address
from reference_hub.api.context import HubContext, hub_of
from reference_hub.api.dashboard.charts import Chart, bar_chart, error_chart, percentile_chart
from reference_hub.api.dashboard.security import (
    ADMIN,
    COOKIE_PATH,
    OPERATOR_NAME,
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
from reference_hub.hub.operators import OperatorRefusal, password_matches, unmatchable_hash
from reference_hub.hub.ratelimit import ADMIN_WEIGHT
from reference_hub.ocpi.datetime import DateTime, now
from reference_hub.ocpi.errors import OcpiError
from reference_hub.ocpi.versions import SERVED
from reference_hub.store import Partner, PartnerStatus
from reference_hub.store.desk import HealthMark
from reference_hub.store.outbox import DeliveryQuery, DeliveryState

log = logging.getLogger("reference_hub.dashboard")

PARTIES_PER_PAGE = 60
"""Party cards per page (a hub seeded for load tests may hold 100,000)."""
ROWS_PER_PAGE = 50
"""Rows per page of deliveries, traffic and the audit log."""
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
    "retried-all": "Every failed delivery to {} is due again; the delivery worker sends them now.",
    "dropped-all": "Every failed delivery to {} was dropped.",
}


_DUMMY_HASH = unmatchable_hash()
"""Checked against when the name is unknown (see ``signin``)."""


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
            "operator": session.operator,
            "can_act": session.can_act,
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


async def _form(
    request: Request[Any, Any, Any], *, acting: bool = True
) -> tuple[Session | None, dict[str, str], Response[Any] | None]:
    """A POST's session and fields, or the answer refusing it (no session, foreign origin, wrong form token, a viewer
    trying to act)."""
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
    if acting and not session.can_act:
        return None, {}, _refused(f"{session.operator} is a viewer: viewers read every page but change nothing")
    return session, fields, None


def _offset(request: Request[Any, Any, Any]) -> int:
    try:
        return max(int(request.query_params.get("offset", "0")), 0)
    except ValueError:
        return 0


def _pager(offset: int, shown: int, total: int, per_page: int = ROWS_PER_PAGE) -> dict[str, Any]:
    """What a page's "earlier / later" links need."""
    return {
        "offset": offset,
        "first": offset + 1 if shown else 0,
        "last": offset + shown,
        "total": total,
        "previous": max(offset - per_page, 0) if offset else None,
        "next": offset + per_page if offset + per_page < total else None,
    }


def _status(partner: Partner, marks: dict[str, HealthMark]) -> str:
    """What the operator sees: OFFLINE (out of rotation) and DEGRADED (its last send failed) come before CONNECTED."""
    if partner.status is not PartnerStatus.ACTIVE:
        return partner.status.value
    if partner.offline:
        return "OFFLINE"
    return "DEGRADED" if partner.partner_id in marks else "CONNECTED"


def _partner_view(
    partner: Partner,
    hub: HubContext,
    marks: dict[str, HealthMark] | None = None,
    heard: dict[str, DateTime] | None = None,
) -> dict[str, Any]:
    marks = marks or {}
    status = _status(partner, marks)
    mark = marks.get(partner.partner_id)
    here = hub.liveness.last_seen(partner.partner_id)
    stored = (heard or {}).get(partner.partner_id)
    seen = max(filter(None, (here, stored.timestamp() if stored else None)), default=None)
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
        "last_seen": _when(seen),
        "health_error": mark.error if mark else "",
        "health_since": _when(mark.since) if mark else "",
        "encoding": "raw token" if partner.raw_token_auth else "base64",
        "initiated_by": partner.initiated_by,
        "updated": _when(partner.updated),
    }


SPANS = {"hour": ("the last hour", 0), "day": ("the last 24 hours", 1)}
"""The charts' spans: what they are called, and which of a party's series (``hub/traffic.py``) draws them."""


def _span(request: Request[Any, Any, Any]) -> str:
    span = request.query_params.get("span", "hour")
    return span if span in SPANS else "hour"


def _latency_charts(hub: HubContext, span: str, party: str | None = None) -> list[Chart]:
    """Percentiles and error rate over ``span``: of every forward, or of everything sent to ``party``."""
    words, index = SPANS[span]
    found = hub.forwarder.traffic.series(party)
    if found is None:
        return []
    series = found[index]
    buckets = series.buckets(time.time())
    sent = sum(b.sent for b in buckets)
    failed = sum(b.failed for b in buckets)
    step = "minute" if series.size == 60 else f"{series.size // 60} minutes"
    what = f"sent to {party}" if party else "routed"
    return [
        percentile_chart(
            f"Round-trip latency per {step}: p50, p95, p99",
            buckets,
            series.size,
            f"{sent} requests {what} in {words}",
        ),
        error_chart(
            f"Error rate per {step}",
            buckets,
            series.size,
            f"{failed} of {sent} not answered with status 1000 in {words}"
            + (f" ({100 * failed / sent:.1f} %)" if sent else ""),
        ),
    ]


def _charts(hub: HubContext, span: str = "hour") -> list[Chart]:
    minutes = hub.forwarder.traffic.last_hour()
    routed = sum(m.routed for m in minutes)
    delivered = sum(m.delivered for m in minutes)
    mean_routed = sum(m.routed_ms for m in minutes) / routed if routed else 0.0
    mean_delivery = sum(m.delivery_s for m in minutes) / delivered if delivered else 0.0
    return [
        *_latency_charts(hub, span),
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
        name = form.get("name")
        name = name.strip() if isinstance(name, str) else ""
        role = "operator"
        if name:
            account = await hub.store.get_operator(name) if OPERATOR_NAME.match(name) else None
            # An unknown name costs the same hash check as a wrong password, so names cannot be told apart by time.
            stored = account.password_hash if account else _DUMMY_HASH
            matches = isinstance(key, str) and await asyncio.to_thread(password_matches, stored, key)
            good = account is not None and matches
            role = account.role.value if account else role
            refusal = "That name and password do not match."
        else:
            good = isinstance(key, str) and gate.key_matches(key)
            refusal = "That is not the admin key."
        if not good:
            delay = gate.failed(address)
            hub.limiter.failed(address, "dashboard sign-in", ADMIN_WEIGHT)
            log.warning("dashboard: failed sign-in from %s", address)
            await asyncio.sleep(delay)
            return _signin_page(request, error=refusal, status_code=401)
        value, _session = gate.new_session(name or ADMIN, role)
        log.info("dashboard: %s signed in from %s", name or "the admin key", address)
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
        session, _fields, refusal = await _form(request, acting=False)
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
            marks = await hub.store.degraded()
            counts.update(_status(p, marks) for p in active.items)
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
            backlog={
                "pending": sum(s.pending for s in stats),
                "parked": sum(s.parked for s in stats),
                "failed": sum(s.failed for s in stats),
            },
            charts=_charts(hub, _span(request)),
            span=_span(request),
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
        marks, heard = await hub.store.degraded(), await hub.store.heard_times()
        live = [_partner_view(p, hub, marks, heard) for p in page.items]
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

    @get("/parties/{partner_id:str}")
    async def party(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """One party: its health, its last error, and the latency and errors of what the hub sent it."""
        session = gatekeeper_of(request).session(request)
        if session is None:
            return Redirect("/admin/signin", status_code=303)
        hub = hub_of(request)
        partner_id = str(request.path_params["partner_id"])
        partner = await hub.store.get_partner(partner_id) if _PARTNER_ID.match(partner_id) else None
        if partner is None:
            return await self._parties(request, session, error="No such party.", status_code=404)
        view = _partner_view(partner, hub, await hub.store.degraded(), await hub.store.heard_times())
        span = _span(request)
        stats = [s for s in await hub.store.outbox_stats() if s.receiver == partner.partner_id]
        return _page(
            request,
            "party",
            session,
            p=view,
            span=span,
            charts=_latency_charts(hub, span, partner.partner_id),
            backlog=stats[0] if stats else None,
            workers=hub.settings.workers,
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
                await hub.operators.suspend(partner_id, by=session.operator)
                done = "suspended"
            elif action == "reactivate":
                await hub.operators.reactivate(partner_id, by=session.operator)
                done = "reactivated"
            elif action == "unregister":
                current = await hub.store.get_partner(partner_id)
                if current is not None and current.status is PartnerStatus.PENDING:
                    await hub.operators.remove(partner_id, by=session.operator)
                    done = "removed"
                else:
                    await hub.operators.unregister_partner(partner_id, by=session.operator)
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
        await hub.operators.audit(session.operator, "register with", partner.partner_id, redact_url(url))
        return Redirect("/admin/parties", query_params={"done": f"registered:{partner.partner_id}"}, status_code=303)

    # --- invitations --------------------------------------------------------------------------------------------

    @get("/invites")
    async def invitations(self, request: Request[Any, Any, Any]) -> Response[Any]:
        session = gatekeeper_of(request).session(request)
        if session is None:
            return Redirect("/admin/signin", status_code=303)
        return await self._invitations(request, session)

    async def _invitations(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        *,
        token: str | None = None,
        status_code: int = 200,
        error: str | None = None,
    ) -> Response[Any]:
        hub = hub_of(request)
        unused = await hub.store.list_invitations()
        stamp = now()
        rows = [
            {
                "id": inv.token_hash,
                "short": inv.token_hash[:12],
                "label": inv.label,
                "created": _when(inv.created),
                "age": _age(inv.created),
                "expires": _when(inv.expires) if inv.expires else "never",
                "expired": inv.expires is not None and inv.expires <= stamp,
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
            default_days=f"{hub.settings.invitation_days:g}",
            status_code=status_code,
            error=error,
        )

    @post("/invites/new", status_code=200)
    async def invite(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """The new token A is in this answer only (not cached, not in a URL): the store keeps just its hash."""
        session, fields, refusal = await _form(request)
        if refusal is not None or session is None:
            return refusal or Redirect("/admin/signin", status_code=303)
        hub = hub_of(request)
        label = fields.get("label", "").strip()
        try:
            days = float(fields.get("days") or hub.settings.invitation_days)
        except ValueError:
            days = -1.0
        if not 0 < days <= 365 or len(label) > 100 or not label.isprintable():
            return await self._invitations(
                request, session, status_code=400, error="Give a label of at most 100 characters and 1 to 365 days."
            )
        token = await hub.operators.invite(label, days=days, by=session.operator)
        log.info("dashboard: invitation created by %s", session.operator)
        return await self._invitations(request, session, token=token, status_code=201)

    @post("/invites/revoke", status_code=303)
    async def revoke(self, request: Request[Any, Any, Any]) -> Response[Any]:
        session, fields, refusal = await _form(request)
        if refusal is not None or session is None:
            return refusal or Redirect("/admin/signin", status_code=303)
        token_hash = fields.get("id", "")
        hub = hub_of(request)
        if not _HASH.match(token_hash) or not await hub.operators.revoke_invitation(token_hash, by=session.operator):
            return await self._invitations(request, session, status_code=404)
        return Redirect("/admin/invites", query_params={"done": f"revoked:{token_hash[:12]}"}, status_code=303)

    # --- deliveries ---------------------------------------------------------------------------------------------

    @get("/deliveries")
    async def deliveries(self, request: Request[Any, Any, Any]) -> Response[Any]:
        session = gatekeeper_of(request).session(request)
        if session is None:
            return Redirect("/admin/signin", status_code=303)
        hub = hub_of(request)
        params = request.query_params
        receiver = params.get("receiver", "").strip().upper()[:64]
        module = params.get("module", "").strip()[:40]
        state = params.get("state", "FAILED").strip().upper()
        correlation = params.get("correlation_id", "").strip()[:255]
        since, until = _moment(params.get("from", "")), _moment(params.get("to", ""))
        offset = _offset(request)
        query = DeliveryQuery(
            receiver=receiver or None,
            module=module or None,
            state=DeliveryState(state) if state in ("PENDING", "FAILED") else None,
            correlation_id=correlation or None,
            created_from=since,
            created_to=until,
            offset=offset,
            limit=ROWS_PER_PAGE,
        )
        found = await hub.store.find_deliveries(query)
        stats = await hub.store.outbox_stats()

        def row(d: Any) -> dict[str, Any]:
            parts = d.stream.split("|")
            return {
                "id": d.delivery_id,
                "receiver": d.receiver,
                "state": d.state.value,
                "module": parts[1] if len(parts) > 1 else "",
                "method": d.method,
                "url": redact_url(d.url),
                "target": _target(d.url),
                "attempts": d.attempts,
                "created": _when(d.created).removesuffix(" UTC"),
                "due": _when(d.due),
                "last_error": d.last_error or "",
                "parked": d.parked,
            }

        filters = {
            "receiver": receiver,
            "module": module,
            "state": state if state in ("PENDING", "FAILED") else "",
            "correlation_id": correlation,
            "from": params.get("from", "")[:16] if since else "",
            "to": params.get("to", "")[:16] if until else "",
        }
        return _page(
            request,
            "deliveries",
            session,
            stats=[
                {
                    "receiver": s.receiver,
                    "pending": s.pending,
                    "parked": s.parked,
                    "failed": s.failed,
                    "oldest": _age(s.oldest_pending) if s.oldest_pending else "",
                    "last_error": s.last_error or "",
                }
                for s in stats
            ],
            rows=[row(d) for d in found.items],
            filters=filters,
            query_string=urlencode({k: v for k, v in filters.items() if v} | {"state": filters["state"] or "ALL"}),
            pager=_pager(offset, len(found.items), found.total),
            policy=hub.settings.delivery_policy,
        )

    @post("/deliveries/{action:str}", status_code=303)
    async def delivery_action(self, request: Request[Any, Any, Any]) -> Response[Any]:
        action = str(request.path_params["action"])
        session, fields, refusal = await _form(request)
        if refusal is not None or session is None:
            return refusal or Redirect("/admin/signin", status_code=303)
        hub = hub_of(request)
        if action in ("retry-all", "drop-all"):
            receiver = fields.get("receiver", "")
            if not _PARTNER_ID.match(receiver):
                return Redirect("/admin/deliveries", status_code=303)
            if action == "retry-all":
                count = await hub.store.retry_deliveries(receiver, now())
                hub.deliveries.wake()
            else:
                count = await hub.store.drop_deliveries(receiver, DeliveryState.FAILED)
            verb = "retried" if action == "retry-all" else "dropped"
            await hub.operators.audit(
                session.operator, f"{verb} all failed deliveries", receiver, f"{count} deliveries"
            )
            log.info("dashboard: %s %s %d failed deliveries to %s", session.operator, verb, count, receiver)
            return Redirect("/admin/deliveries", query_params={"done": f"{verb}-all:{receiver}"}, status_code=303)
        delivery_id = fields.get("id", "")
        if not _DELIVERY_ID.match(delivery_id) or action not in ("retry", "drop"):
            return Redirect("/admin/deliveries", status_code=303)
        if action == "retry":
            done = await hub.store.retry_delivery(delivery_id, now())
            hub.deliveries.wake()
        else:
            done = await hub.store.drop_delivery(delivery_id)
        if done:
            label = "retried" if action == "retry" else "dropped"
            log.info("dashboard: delivery %s %s by %s", delivery_id, label, session.operator)
            await hub.operators.audit(session.operator, f"{action} delivery", delivery_id)
            return Redirect("/admin/deliveries", query_params={"done": f"{label}:{delivery_id}"}, status_code=303)
        return Redirect("/admin/deliveries", status_code=303)

    # --- kept exchanges -----------------------------------------------------------------------------------------

    @get("/exchanges/{request_id:str}")
    async def exchange(self, request: Request[Any, Any, Any]) -> Response[Any]:
        session = gatekeeper_of(request).session(request)
        if session is None:
            return Redirect("/admin/signin", status_code=303)
        hub = hub_of(request)
        request_id = str(request.path_params["request_id"])[:64]
        kept = await hub.store.get_exchange(request_id) if _DELIVERY_ID.match(request_id) else None
        view = None
        if kept is not None:
            view = {
                "request_id": kept.request_id,
                "at": _when(kept.at),
                "kind": kept.kind,
                "sender": kept.sender,
                "receiver": kept.receiver,
                "module": kept.module,
                "object_ref": kept.object_ref,
                "method": kept.method,
                "url": kept.url,
                "ok": kept.ok,
                "status_code": kept.status_code,
                "http_status": kept.http_status,
                "error": kept.error,
                "headers": kept.request_headers,
                "request_body": _pretty(kept.request_body),
                "answer_body": _pretty(kept.answer_body),
                "expires": _when(kept.expires),
            }
        return _page(
            request,
            "exchange",
            session,
            exchange=view,
            request_id=request_id,
            keep_hours=f"{hub.settings.exchange_keep_hours:g}",
            status_code=200 if view else 404,
        )

    # --- the data the hub holds ---------------------------------------------------------------------------------

    @get("/data")
    async def data(self, request: Request[Any, Any, Any]) -> Response[Any]:
        session = gatekeeper_of(request).session(request)
        if session is None:
            return Redirect("/admin/signin", status_code=303)
        hub = hub_of(request)
        q = request.query_params.get("q", "").strip()[:64]
        found = await hub.store.search_objects(q.upper()) if q else []
        counts = await hub.store.object_counts()
        by_module: Counter[str] = Counter()
        for module, _owner, n in counts:
            by_module[module] += n
        return _page(
            request,
            "data",
            session,
            q=q,
            found=[
                {
                    "module": o.module,
                    "owner": o.owner,
                    "id": o.object_id,
                    "shown_id": o.object_id.replace("\t", " · "),
                    "updated": _when(o.last_updated),
                    "partner": o.partner_id,
                }
                for o in found
            ],
            counts=[{"module": m, "owner": o, "n": n} for m, o, n in counts],
            by_module=sorted(by_module.items()),
        )

    @get("/data/object")
    async def data_object(self, request: Request[Any, Any, Any]) -> Response[Any]:
        session = gatekeeper_of(request).session(request)
        if session is None:
            return Redirect("/admin/signin", status_code=303)
        hub = hub_of(request)
        params = request.query_params
        module, owner, object_id = (params.get(k, "")[:80] for k in ("module", "owner", "id"))
        found = await hub.store.get_object(module, owner, object_id) if module and owner and object_id else None
        ref = f"{module}|{owner}|{object_id.split(chr(9))[0].upper()}"  # a Token's key is its uid, a tab, its type
        exchanges = await hub.store.object_exchanges(ref) if found else []
        owed = await hub.store.find_deliveries(DeliveryQuery(stream=ref, limit=ROWS_PER_PAGE)) if found else None
        return _page(
            request,
            "object",
            session,
            module=module,
            owner=owner,
            shown_id=object_id.replace("\t", " · "),
            found=found is not None,
            body=_pretty(found.body.decode()) if found else "",
            partner=found.partner_id if found else "",
            updated=_when(found.last_updated) if found else "",
            created=_when(found.created) if found else "",
            version=found.version if found else 0,
            exchanges=[
                {
                    "id": e.request_id,
                    "at": _when(e.at),
                    "receiver": e.receiver.replace("-", "/", 1),  # CC/PID, whether forwarded or delivered
                    "method": e.method,
                    "ok": e.ok,
                    "status": e.status_code,
                    "error": e.error,
                }
                for e in exchanges
            ],
            owed=[
                {"id": d.delivery_id, "receiver": d.receiver, "state": d.state.value, "error": d.last_error or ""}
                for d in (owed.items if owed else [])
            ],
            status_code=200 if found else 404,
        )

    # --- audit log ----------------------------------------------------------------------------------------------

    @get("/audit")
    async def audit(self, request: Request[Any, Any, Any]) -> Response[Any]:
        session = gatekeeper_of(request).session(request)
        if session is None:
            return Redirect("/admin/signin", status_code=303)
        hub = hub_of(request)
        subject = request.query_params.get("subject", "").strip()[:200]
        offset = _offset(request)
        page = await hub.store.list_audit(offset=offset, limit=ROWS_PER_PAGE, subject=subject or None)
        return _page(
            request,
            "audit",
            session,
            entries=[
                {
                    "at": _when(e.at),
                    "operator": e.operator,
                    "action": e.action,
                    "subject": e.subject,
                    "detail": e.detail,
                }
                for e in page.items
            ],
            subject=subject,
            pager=_pager(offset, len(page.items), page.total),
        )

    # --- traffic ------------------------------------------------------------------------------------------------

    @get("/traffic")
    async def traffic(self, request: Request[Any, Any, Any]) -> Response[Any]:
        session = gatekeeper_of(request).session(request)
        if session is None:
            return Redirect("/admin/signin", status_code=303)
        hub = hub_of(request)
        party = request.query_params.get("party", "").strip()[:64]
        correlation = request.query_params.get("correlation_id", "").strip()[:255]
        failed_only = request.query_params.get("failed", "") == "1"
        offset = _offset(request)
        found, total = hub.forwarder.traffic.page(
            party=party or None,
            correlation_id=correlation or None,
            failed=failed_only,
            offset=offset,
            limit=ROWS_PER_PAGE,
        )
        rows = [
            {
                "at": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(e.at)) + f".{int(e.at * 1000) % 1000:03d}",
                "kind": e.kind,
                "sender": e.sender,
                "receiver": e.receiver.replace("-", "/", 1),
                "module": e.module,
                "method": e.method,
                "status": "" if e.status_code is None else str(e.status_code),
                "ok": e.status_code == 1000,
                "error": e.error,
                "latency": f"{e.latency_ms:.0f}",
                "request_id": e.request_id,
                "correlation_id": e.correlation_id,
            }
            for e in found
        ]
        filters = {"party": party, "correlation_id": correlation, "failed": "1" if failed_only else ""}
        return _page(
            request,
            "traffic",
            session,
            rows=rows,
            party=party,
            correlation_id=correlation,
            failed_only=failed_only,
            query_string=urlencode({k: v for k, v in filters.items() if v}),
            pager=_pager(offset, len(rows), total),
            kept=hub.forwarder.traffic.capacity,
            workers=hub.settings.workers,
        )


def _target(url: str) -> str:
    """What a delivery's URL names, for a narrow column: the part after its Receiver interface (module and object
    path), else the path."""
    path = urlsplit(url).path
    head, found, tail = path.partition("/receiver/")
    return tail if found else path or head


def _moment(text: str) -> DateTime | None:
    """A time from a ``datetime-local`` field (read as UTC), or None."""
    text = text.strip()[:19]
    if not text:
        return None
    try:
        return DateTime.parse(text + ("Z" if len(text) > 16 else ":00Z"))
    except (ValueError, TypeError):
        return None


def _pretty(text: str) -> str:
    """JSON indented for reading; anything else as it is."""
    if not text:
        return ""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


__all__ = ("DashboardController", "gatekeeper_of", "secure_headers")
