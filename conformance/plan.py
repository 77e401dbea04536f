"""What each scenario needs before it can judge anything: the one place the run plan follows from.

A scenario runs when everything it needs is there; otherwise it is skipped, and the reason names the scenario that
owns the missing piece ("skipped: registration failed ... — see credentials.registration"), so one defect is judged
once and never counted again as a knock-on failure. Without registering, every scenario that needs no token or only
token A still runs: versions, version details, the envelope, timestamps, request and correlation ids, routing headers
on configuration modules and the refusal rules.

The needs, weakest first:

``token``         any token the target gave the harness (token A, or token C once registered); "every GET endpoint"
                  then means what that token opens (token A: versions and version details).
``discovery``     the versions list offers 2.3.0 and its details list endpoints (owner: versions.list-offers-version,
                  versions.details-endpoints, or transport.no-redirects when a version URL redirects).
``token_a``       a registration token A was configured.
``token_a_unused`` token A was configured and no registration was attempted yet.
``registration``  the harness holds a token C (configured, or from its own registration; owner:
                  credentials.registration).
``own_registration`` the token C comes from the harness's own token-A handshake in this run.
``destructive``   the harness may rotate and delete its credentials.
``sender_list``   the target advertises at least one paginated Sender list (owner: versions.details-endpoints).
``broadcast``     the harness may address a write to a hub itself (``[run] broadcast``, ``--no-broadcast``).
``unregisters``   the scenario ends the registration: it runs in the last version's pass of a run (an earlier pass
                  hands its registration over to the next one).
``writes``        the harness may write module objects (not ``--read-only``); which Receivers it writes to is the
                  scenario's to find out (each one the target advertises and an identity of the right role plays).
``data``          the list holds enough objects; judged per list by the pagination steps, which skip a list (and the
                  scenario when no list has enough) saying how many objects were needed and found.
``Plays(role, module, interface, writes)``
                  the harness plays ``role`` (CPO, EMSP) towards the ``interface`` of ``module`` the target
                  advertises: the target lists that module and interface in its 2.3.0 details, target.toml gives an
                  identity with that role (``[[identities]]``) and that identity is registered (on its own, with its
                  own peer). ``writes``: the scenario creates objects on the target, so ``--read-only`` skips it.

``static_plan`` answers the same questions without sending anything but the discovery GETs (for ``ocpi-conformance
plan``): what would run, and what would be skipped and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from conformance.model import Blocked, NotJudged
from conformance.session import HarnessSession
from conformance.target import TargetConfig

__all__ = (
    "NEEDS",
    "Need",
    "PlanLine",
    "Plays",
    "check_needs",
    "discovery_owner",
    "interfaces_of",
    "no_token_a",
    "static_plan",
    "static_reason",
)


class Need(StrEnum):
    """One thing a scenario needs (the module docstring says what each means)."""

    TOKEN = "token"  # noqa: S105 - names a need, not a secret
    DISCOVERY = "discovery"
    TOKEN_A = "token_a"  # noqa: S105 - names a need, not a secret
    TOKEN_A_UNUSED = "token_a_unused"  # noqa: S105 - names a need, not a secret
    REGISTRATION = "registration"
    OWN_REGISTRATION = "own_registration"
    DESTRUCTIVE = "destructive"
    SENDER_LIST = "sender_list"
    DATA = "data"
    BROADCAST = "broadcast"
    WRITES = "writes"
    UNREGISTERS = "unregisters"


@dataclass(frozen=True)
class Plays:
    """The harness plays ``role`` towards the target's ``module`` ``interface`` (see the module docstring)."""

    role: str
    module: str
    interface: str
    writes: bool = False

    def __str__(self) -> str:
        verb = "writes to" if self.writes else "reads"
        return f"as {self.role} {verb} {self.module} {self.interface}"


AnyNeed = Need | Plays

CPO_W = {
    m: Plays("CPO", m, "RECEIVER", writes=True)
    for m in ("locations", "tariffs", "sessions", "cdrs", "invoicereconciliation", "bookings")
}
EMSP_W = {"tokens": Plays("EMSP", "tokens", "RECEIVER", writes=True)}

T, D, A, AU, R, OR, X, L, DATA = (
    Need.TOKEN,
    Need.DISCOVERY,
    Need.TOKEN_A,
    Need.TOKEN_A_UNUSED,
    Need.REGISTRATION,
    Need.OWN_REGISTRATION,
    Need.DESTRUCTIVE,
    Need.SENDER_LIST,
    Need.DATA,
)

NEEDS: dict[str, tuple[AnyNeed, ...]] = {
    # versions: token A is enough
    "versions.list-offers-version": (T,),
    "versions.details-endpoints": (T, D),
    "versions.module-listed-once": (T, D),
    "versions.v221-core-modules": (T, D),
    "versions.schema": (T, D),
    "versions.advertised-endpoints-answer": (D, R),
    # transport: token A (or nothing) is enough, unless the rule is about a registered partner's token
    "transport.no-redirects": (T, D),
    "transport.envelope-success": (T, D),
    "transport.envelope-error": (D,),
    "transport.data-shape": (T, D),
    "transport.timestamp-format": (T, D),
    "transport.request-id-echo": (T, D),
    "transport.correlation-id-echo": (T, D),
    "transport.no-routing-headers-on-configuration": (T, D),
    "transport.success-is-1000": (T, D),
    "transport.missing-token": (D,),
    "transport.unknown-token": (D,),
    "transport.refusal-is-not-success": (D,),
    "transport.token-a-scope": (AU, D, L),
    "transport.base64-token": (T,),
    "transport.raw-token": (T,),
    "transport.malformed-json": (D, R),
    "transport.unknown-fields-accepted": (D, R, X),
    "transport.routing-headers-on-functional-modules": (D, R, L),
    # each module Receiver the harness writes to (the step finds out which it can reach)
    "transport.minimal-objects-accepted": (D, Need.WRITES),
    # credentials
    "credentials.put-before-registration-405": (AU, D),
    "credentials.delete-before-registration-405": (AU, D),
    "credentials.registration": (A, D),
    "credentials.registration-callback": (A, D),
    "credentials.callback-token-encoding": (A, D),
    "credentials.minimal-body-accepted": (A, D),
    "credentials.token-a-retired": (A, D, OR),
    "credentials.get": (D, R),
    "credentials.hub-party-id": (D, R),
    "credentials.hub-role": (D, R),
    "credentials.no-hub-party-id": (D, R),
    "credentials.schema": (D, R),
    "credentials.post-when-registered-405": (D, R),
    "credentials.put-rotation": (D, R, X),
    "credentials.old-token-retired": (D, R, X),
    "credentials.delete": (D, R, X, Need.UNREGISTERS),
    "credentials.deleted-token-retired": (D, X, Need.UNREGISTERS),  # its Given registers (if needed) and unregisters
    # pagination: a registered partner reading lists with data
    "pagination.total-count": (D, R, L, DATA),
    "pagination.limit-header": (D, R, L, DATA),
    "pagination.limit-param": (D, R, L, DATA),
    "pagination.offset-param": (D, R, L, DATA),
    "pagination.link-next": (D, R, L, DATA),
    "pagination.link-keeps-filters": (D, R, L, DATA),
    "pagination.date-from-inclusive": (D, R, L, DATA),
    "pagination.date-to-exclusive": (D, R, L, DATA),
    "pagination.schema": (D, R, L),
    "pagination.v221-no-later-fields": (D, R, L),
    "pagination.owners-named-in-credentials": (D, R, L),
    # receiver interfaces: the harness writes objects under its own party ids, and retires them at the end
    "locations.receiver-put-get": (D, CPO_W["locations"]),
    "locations.receiver-patch-needs-last-updated": (D, CPO_W["locations"]),
    "locations.receiver-evse-change-bumps-location": (D, CPO_W["locations"]),
    "locations.receiver-id-mismatch-refused": (D, CPO_W["locations"]),
    "locations.receiver-unknown-object-404": (D, Plays("CPO", "locations", "RECEIVER")),  # a GET: no write
    "tariffs.receiver-put-get-delete": (D, CPO_W["tariffs"]),
    "tariffs.receiver-foreign-party-refused": (D, CPO_W["tariffs"]),
    "sessions.receiver-put-get": (D, CPO_W["sessions"]),
    "sessions.receiver-patch-appends-periods": (D, CPO_W["sessions"]),
    "cdrs.receiver-post-location": (D, CPO_W["cdrs"]),
    "cdrs.receiver-not-overwritten": (D, CPO_W["cdrs"]),
    "tokens.receiver-put-get-by-type": (D, EMSP_W["tokens"]),
    "tokens.receiver-patch-needs-last-updated": (D, EMSP_W["tokens"]),
    # sender interfaces: the harness reads (nothing is written)
    "locations.sender-single-objects": (D, Plays("EMSP", "locations", "SENDER")),
    # hub routing: the CPO identity broadcasts, the eMSP identity (registered too) receives
    "routing.broadcast-delivered": (D, Need.BROADCAST, CPO_W["locations"], Plays("EMSP", "locations", "SENDER")),
    "routing.last-updated-untouched": (D, Need.BROADCAST, CPO_W["locations"], Plays("EMSP", "locations", "SENDER")),
    # ... or addresses a Session to the eMSP identity (direct routing through the hub)
    **{
        f"routing.{name}": (D, CPO_W["sessions"], Plays("EMSP", "sessions", "SENDER"))
        for name in ("direct-delivered", "forward-new-request-id", "forward-keeps-correlation-id")
    },
    # -- hub routing, continued: hub errors, HubClientInfo pushes, echoes, relayed Links (conformance/steps/hub.py) --
    # a GET to a party the hub does not know (nothing is written)
    "routing.unknown-receiver-4001": (D, Plays("EMSP", "locations", "SENDER")),
    # both identities register; the first one's peer receives the ClientInfo of the second
    "routing.clientinfo-pushed": (D, Plays("EMSP", "hubclientinfo", "SENDER"), Plays("CPO", "hubclientinfo", "SENDER")),
    # the CPO identity broadcasts a Location; its own peer (a locations Receiver too) must not get it back
    "routing.broadcast-not-echoed": (D, Need.BROADCAST, CPO_W["locations"], Plays("EMSP", "locations", "SENDER")),
    # the eMSP identity pages through the CPO identity's locations Sender via the hub (nothing is written)
    "routing.relayed-link-usable": (D, Plays("EMSP", "locations", "SENDER"), Plays("CPO", "locations", "RECEIVER")),
    # the CPO identity writes a Session for another eMSP; the eMSP identity reads the hub's sessions list
    "routing.sessions-shown-to-their-emsp-only": (D, CPO_W["sessions"], Plays("EMSP", "sessions", "SENDER")),
    # real-time authorization: the harness as a CPO asks the target's tokens Sender (nothing is written; for a token
    # that is not valid the eMSP identity issues one when the list has none, and --read-only then skips it)
    "tokens.authorize-unknown-token": (D, Plays("CPO", "tokens", "SENDER")),
    "tokens.authorize-known-token": (D, Plays("CPO", "tokens", "SENDER")),
    "tokens.authorize-by-type": (D, Plays("CPO", "tokens", "SENDER")),
    "tokens.authorize-blocked-token": (D, Plays("CPO", "tokens", "SENDER")),
    "tokens.authorize-location-references": (D, Plays("CPO", "tokens", "SENDER")),
    # locations: open enumerations, sub-object PUTs, invalid objects
    "locations.receiver-unknown-values-accepted": (D, CPO_W["locations"]),
    "locations.receiver-evse-connector-put": (D, CPO_W["locations"]),
    "locations.receiver-invalid-object-refused": (D, CPO_W["locations"]),
    "locations.receiver-invalid-object-http-200": (D, CPO_W["locations"]),
    # -- commands and charging profiles: the harness as eMSP sends requests whose result comes to its response_url;
    # against a hub its CPO identity (registered when the step needs it) receives them and posts the results
    **{
        f"commands.{name}": (D, Plays("EMSP", "commands", "RECEIVER", writes=True))
        for name in (
            "command-responses",
            "result-delivered",
            "result-routing-headers",
            "result-once",
            "unknown-location-2003",
            "unknown-session",
        )
    },
    "commands.result-keeps-correlation-id": (
        D,
        Plays("EMSP", "commands", "RECEIVER", writes=True),
        Plays("CPO", "commands", "SENDER"),
    ),
    **{
        f"chargingprofiles.{name}": (D, Plays("EMSP", "chargingprofiles", "RECEIVER", writes=True))
        for name in ("responses", "results-delivered")
    },
    # -- Invoice Reconciliation: the CPO identity issues records (direct billing), the eMSP identity reads them
    "invoicereconciliation.receiver-post-get": (D, CPO_W["invoicereconciliation"]),
    "invoicereconciliation.receiver-put-replaces-cdrs": (D, CPO_W["invoicereconciliation"]),
    "invoicereconciliation.sender-list": (D, Plays("EMSP", "invoicereconciliation", "SENDER")),
    # through a hub: a record listing a CDR the CPO identity routed (to its eMSP identity, or to a party that cannot
    # exist), or CDRs the hub never saw, with no OCPI-to-*
    "invoicereconciliation.routed-by-its-cdrs": (
        D,
        CPO_W["invoicereconciliation"],
        CPO_W["cdrs"],
        Plays("EMSP", "invoicereconciliation", "SENDER"),
    ),
    "invoicereconciliation.not-broadcast": (
        D,
        CPO_W["invoicereconciliation"],
        Plays("EMSP", "invoicereconciliation", "SENDER"),
    ),
    "invoicereconciliation.sender-shows-own-records": (
        D,
        CPO_W["invoicereconciliation"],
        CPO_W["cdrs"],
        Plays("EMSP", "invoicereconciliation", "SENDER"),
    ),
    # -- Bookings: the CPO identity publishes BookingLocations and decides Bookings, the eMSP identity reads and books
    "bookings.receiver-put-get": (D, CPO_W["bookings"]),
    "bookings.receiver-10-refused": (D, CPO_W["bookings"]),
    "bookings.sender-booking-locations": (D, Plays("EMSP", "bookings", "SENDER")),
    "bookings.sender-timeslot-filter": (D, CPO_W["bookings"], Plays("EMSP", "bookings", "SENDER")),
    "bookings.booking-not-broadcast": (D, CPO_W["bookings"], Plays("EMSP", "bookings", "SENDER")),
    "bookings.booking-answer-routed": (
        D,
        Plays("EMSP", "bookings", "SENDER", writes=True),
        CPO_W["bookings"],
    ),
}


def interfaces_of(scenario_id: str) -> list[str]:
    """``as CPO: locations RECEIVER``, ... : whom the harness plays in a scenario, towards which target interface."""
    seen: dict[str, None] = {}
    for need in NEEDS.get(scenario_id, ()):
        if isinstance(need, Plays):
            seen.setdefault(f"as {need.role}: {need.module} {need.interface}", None)
    return list(seen)


def discovery_owner(problem: str) -> str:
    """The scenario that judges why discovery (or the credentials endpoint it should name) failed."""
    if "redirect" in problem:
        return "transport.no-redirects"
    if "details" in problem:
        return "versions.details-endpoints"
    return "versions.list-offers-version"


def no_token_a(config: TargetConfig) -> str:
    """Why a scenario that needs token A cannot run: none was configured, or it was spent in an earlier pass."""
    if config.carried:
        return (
            "the harness registered with token A in the run's previous version pass (judged there) and moved that "
            f"registration to {config.version or 'this version'} by a credentials PUT"
        )
    return "the target file gives a credentials token, not a registration token A"


def static_reason(config: TargetConfig, needs: tuple[AnyNeed, ...]) -> str | None:
    """The skip reason that follows from target.toml alone (no request sent), or None."""
    for need in needs:
        if isinstance(need, Plays):
            if need.writes and config.read_only:
                return f"read-only run: this scenario writes {need.module} objects to the target"
            if config.identity_for(need.role) is None:
                return (
                    f"target.toml gives no {need.role} identity for the harness to play "
                    f'(add an [[identities]] table with role = "{need.role}")'
                )
        elif need in (Need.TOKEN_A, Need.TOKEN_A_UNUSED) and config.token_a is None:
            return no_token_a(config)
        elif need is Need.WRITES and config.read_only:
            return "read-only run: this scenario writes module objects to the target"
        elif need is Need.BROADCAST and not config.broadcast:
            return "no-broadcast run: this scenario needs a write addressed to the hub itself (every party receives it)"
        elif need is Need.UNREGISTERS and config.hand_over:
            return (
                f"this pass hands its registration over to the {config.hand_over} pass, whose end judges unregistering"
            )
        elif need is Need.DESTRUCTIVE and config.read_only:
            return "read-only run: this scenario rotates or deletes the harness's credentials"
        elif need is Need.DESTRUCTIVE and not config.allow_destructive:
            return "the harness uses a configured token C and [run] destructive is not true"
    return None


_NEED_WORDS = {
    Need.TOKEN: "a token",
    Need.DISCOVERY: "the target's endpoints of the version under test",
    Need.TOKEN_A: "token A",
    Need.TOKEN_A_UNUSED: "an unused token A",
    Need.REGISTRATION: "a registration",
    Need.OWN_REGISTRATION: "the harness's own registration",
    Need.DESTRUCTIVE: "leave to rotate/delete its credentials",
    Need.SENDER_LIST: "an advertised Sender list",
    Need.BROADCAST: "leave to broadcast through the hub",
    Need.WRITES: "leave to write module objects",
    Need.UNREGISTERS: "the run's last version pass",
    Need.DATA: "enough objects in a list",
}


@dataclass(frozen=True)
class PlanLine:
    """One scenario in ``ocpi-conformance plan``: would it run, and if not, why."""

    id: str
    level: str
    runs: bool
    why: str
    """The skip reason, or what the run will need (registrations, advertised interfaces)."""


def static_plan(config: TargetConfig, entries: list[Any], discovery: Any | None = None) -> list[PlanLine]:
    """What a run would do, from target.toml, the scenario tags and (when given) the target's discovered endpoints:
    nothing is written to the target. ``entries``: :func:`conformance.catalog.read_catalog` entries."""
    out: list[PlanLine] = []
    for e in entries:
        needs = NEEDS.get(e.id, ())
        if e.id in config.exclude:
            out.append(PlanLine(e.id, e.level, False, "excluded in target.toml ([run] exclude)"))
            continue
        wanted = {r.upper() for r in e.roles}
        if "ANY" not in wanted and not wanted & set(config.roles):
            mismatch = f"written for {'/'.join(sorted(wanted))}; the target is {'/'.join(config.roles)}"
            out.append(PlanLine(e.id, e.level, False, mismatch))
            continue
        reason = static_reason(config, needs)
        if reason is None and discovery is not None:
            if discovery.problem and Need.DISCOVERY in needs:
                reason = f"discovery failed: {discovery.problem}"
            for need in needs:
                if reason is None and isinstance(need, Plays) and discovery.url(need.module, need.interface) is None:
                    reason = f"the target does not advertise the {need.module} {need.interface} interface"
        if reason:
            out.append(PlanLine(e.id, e.level, False, reason))
            continue
        words = [str(n) if isinstance(n, Plays) else _NEED_WORDS[n] for n in needs if n is not Need.DISCOVERY]
        out.append(PlanLine(e.id, e.level, True, "needs " + ", ".join(words) if words else "needs nothing more"))
    return out


def _advertised(harness: HarnessSession, module: str, interface: str) -> str | None:
    """None when the target's 2.3.0 details list ``module`` with ``interface``; else the skip reason."""
    d = harness.discover()
    if d.url(module, interface) is not None:
        return None
    listed = sorted({f"{e.get('identifier')} {e.get('role')}" for e in d.endpoints})
    return f"the target does not advertise the {module} {interface} interface (it lists: {', '.join(listed)})"


def _plays(harness: HarnessSession, need: Plays) -> str | None:
    """None when the identity for ``need.role`` is registered with the target (registering it on first need)."""
    reason = static_reason(harness.config, (need,)) or _advertised(harness, need.module, need.interface)
    if reason:
        return reason
    actor = harness.as_role(need.role)
    assert actor is not None  # static_reason checked the identity exists
    if actor is harness:
        return check_needs(harness, (Need.REGISTRATION,))
    if actor.unregistration is not None and not actor.registered:
        return f"the harness's {need.role} identity has already unregistered in this run"
    if not actor.registered:
        hs = actor.ensure_registered()
        if not actor.registered:
            if hs is not None and hs.not_judged:
                raise NotJudged(hs.not_judged)
            problem = (hs.problem if hs else None) or "no token"
            who = f"the harness's {need.role} identity {actor.config.party.country_code}/{actor.config.party.party_id}"
            if hs is not None and hs.exchange.method != "POST":  # no POST was possible: discovery owns the cause
                raise Blocked(f"{who} could not register: {problem}", discovery_owner(problem))
            if harness.registration is not None and not harness.registration.ok:  # the same refusal, judged once
                raise Blocked(f"{who} could not register either: {problem}", "credentials.registration")
            return f"{who} could not register: {problem}"
    return None


def check_needs(harness: HarnessSession, needs: tuple[AnyNeed, ...]) -> str | None:
    """None when every need is met; else the skip reason (``Blocked`` is raised for causes a scenario owns)."""
    reason = static_reason(harness.config, needs)
    if reason:
        return reason
    if needs and (unreached := harness.discover().not_judged):
        raise NotJudged(unreached)
    for need in needs:
        if isinstance(need, Plays):
            reason = _plays(harness, need)
            if reason:
                return reason
            continue
        if need is Need.TOKEN and harness.current_token() is None:
            return "the harness holds no token for the target"
        if need is Need.DISCOVERY:
            d = harness.discover()
            if d.problem:
                raise Blocked(d.problem, discovery_owner(d.problem))
        if need is Need.TOKEN_A and harness.config.token_a is None:
            return no_token_a(harness.config)
        if need is Need.TOKEN_A_UNUSED:
            if harness.config.token_a is None:
                return no_token_a(harness.config)
            if not harness.token_a_unused:
                return "token A has already been used for a registration in this run"
        if need in (Need.REGISTRATION, Need.OWN_REGISTRATION):
            if harness.unregistration is not None and not harness.registered:
                return "the harness has already unregistered in this run"
            if not harness.registered:
                hs = harness.ensure_registered()
                if not harness.registered:
                    if hs is not None and hs.not_judged:
                        raise NotJudged(hs.not_judged)
                    problem = (hs.problem if hs else None) or "no token"
                    if hs is not None and hs.exchange.method not in ("POST", "PUT"):  # no handshake was possible
                        raise Blocked(f"registration impossible: {problem}", discovery_owner(problem))
                    raise Blocked(f"registration failed: {problem}", "credentials.registration")
            if need is Need.OWN_REGISTRATION and not harness.registered_by_harness:
                return "the harness was not registered through its own token-A handshake"
        if need is Need.DESTRUCTIVE and not harness.config.allow_destructive:
            return "the harness uses a configured token C and [run] destructive is not true"
        if need is Need.SENDER_LIST and not harness.list_endpoints():
            mods = sorted({str(e.get("identifier")) for e in harness.discover().endpoints})
            return f"the target advertises no paginated Sender endpoint (advertised: {', '.join(mods)})"
    return None
