"""Steps of the credentials module: registration, update, unregistration, and what the peer saw."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from pytest_bdd import given, then, when

from conformance import versions as ocpi_versions
from conformance.checks import fail, judged, run_check
from conformance.checks.envelope import describe_answer
from conformance.model import Blocked, Exchange, Finding, NotJudged
from conformance.objects import from_another_run
from conformance.oracle import get_oracle
from conformance.session import Handshake, HarnessSession
from conformance.steps.context import ScenarioContext, Sent, collect_findings

__all__ = ("validate_credentials",)

_ROLES_230 = {"CPO", "EMSP", "NAP", "NSP", "OTHER", "SCSP"}
_ROLES = {ocpi_versions.V230: _ROLES_230, ocpi_versions.V221: _ROLES_230 | {"HUB"}}
"""The Role values each version defines (HUB is 2.2.1's; 2.3.0 names a hub by hub_party_id instead)."""
_TOKEN = re.compile(r"^[!-~]{1,64}$")


def _absolute(url: Any) -> bool:
    if not isinstance(url, str) or len(url) > 255:
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def validate_credentials(data: Any) -> list[str]:
    """Problems with a Credentials object (empty when it is well formed)."""
    if not isinstance(data, dict):
        return [f"data is a {type(data).__name__}, not a Credentials object"]
    problems = []
    token = data.get("token")
    if not isinstance(token, str) or not _TOKEN.match(token):
        problems.append("token is not 1-64 printable ASCII characters without spaces")
    if not _absolute(data.get("url")):
        problems.append(f"url is not an absolute http(s) URL of at most 255 characters: {data.get('url')!r}")
    hub = data.get("hub_party_id")
    if hub is not None and (not isinstance(hub, str) or len(hub) > 5):
        problems.append(f"hub_party_id is longer than 5 characters: {hub!r}")
    roles = data.get("roles")
    if not isinstance(roles, list) or not roles:
        problems.append("roles is not a non-empty list")
        return problems
    seen: set[tuple[str, str, str]] = set()
    for i, r in enumerate(roles):
        if not isinstance(r, dict):
            problems.append(f"roles[{i}] is not an object")
            continue
        roles_known = _ROLES[ocpi_versions.current()]
        if r.get("role") not in roles_known:
            problems.append(f"roles[{i}].role {r.get('role')!r} is not one of {', '.join(sorted(roles_known))}")
        cc, pid = r.get("country_code"), r.get("party_id")
        if not isinstance(cc, str) or not 1 <= len(cc) <= 2:
            problems.append(f"roles[{i}].country_code {cc!r} is not a CiString(2)")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 3:
            problems.append(f"roles[{i}].party_id {pid!r} is not a CiString(3)")
        bd = r.get("business_details")
        if not isinstance(bd, dict) or not isinstance(bd.get("name"), str) or len(bd["name"]) > 100:
            problems.append(f"roles[{i}].business_details.name is missing or longer than 100 characters")
        key = (str(r.get("role")), str(cc).upper(), str(pid).upper())
        if key in seen:
            problems.append(f"roles[{i}] repeats role {key[0]} for {key[1]}/{key[2]}")
        seen.add(key)
    return problems


# ## Given ---------------------------------------------------------------------------------------


@given("the harness has updated its credentials")
def has_rotated(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    """A PUT with a new token has been answered with success (made now if not yet)."""
    hs = harness.ensure_rotated()
    if hs.new_token is None:
        raise Blocked(f"the credentials update failed: {hs.problem}", "credentials.put-rotation")
    ocpi_context.use_handshake(hs)


@given("the target accepts a plain credentials update")
def plain_update_works(harness: HarnessSession) -> None:
    """A PUT without extras was accepted (made now if not yet), so a refusal later has another cause."""
    hs = harness.ensure_rotated()
    if hs.new_token is None:
        raise Blocked(f"a plain credentials update fails too: {hs.problem}", "credentials.put-rotation")


@given("the harness has unregistered")
def has_unregistered(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    """A DELETE has been answered with success (made now, after registering if needed)."""
    if harness.unregistration is None:
        from conformance.steps.common import registered

        registered(harness)
    ex = harness.ensure_unregistered()
    if harness.deleted_token is None:
        raise Blocked(f"the DELETE did not succeed (HTTP {ex.status}, status {ex.ocpi_status})", "credentials.delete")


# ## When ----------------------------------------------------------------------------------------


@when("the harness registers with token A")
def register(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    """The token-A handshake (made once per run; later scenarios judge the same one)."""
    hs = harness.ensure_registered()
    if hs is None:
        pytest.skip(
            "the harness was registered without a token-A handshake of its own (an earlier request "
            "registered it, or a token C was configured)"
        )
    if hs.not_judged:
        raise NotJudged(hs.not_judged)
    if hs.exchange.method != "POST":  # discovery did not lead to a credentials endpoint: nothing was POSTed
        from conformance.plan import discovery_owner

        raise Blocked(f"registration impossible: {hs.problem}", discovery_owner(hs.problem or ""))
    ocpi_context.use_handshake(hs)


@when("the harness updates its credentials with a new token")
def rotate(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    hs = harness.ensure_rotated()
    ocpi_context.use_handshake(hs)


@when("the harness updates its credentials with unknown fields at every level of the body")
def rotate_with_extras(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    """PUT credentials with invented fields on the object, on each role and in business_details."""
    extra = {
        "conformance_extension": {"purpose": "unknown-field tolerance test", "levels": [1, 2, 3]},
        "roles": {
            "conformance_role_note": "not an OCPI field",
            "business_details": {"conformance_detail": {"nested": True}},
        },
    }
    hs = harness.rotate(body_extra=extra)
    ocpi_context.use_handshake(hs)


@when("the harness POSTs its credentials again with its credentials token")
def post_again(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    url = harness.discover().url("credentials")
    if not url:
        pytest.skip("the target advertises no credentials endpoint")
    _, value = harness.hand_out_token()
    ex = harness.client.request(
        "POST",
        url,
        token=harness.token,
        json_body=harness.accepted_credentials_body(value),
        label="credentials POST while registered",
    )
    harness.adopt_credentials(ex)
    ocpi_context.sent.append(Sent("credentials", ex, "credentials"))
    ocpi_context.exchange = ex


@when("the harness takes the answers to its own registration and update in this run")
def own_handshakes(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    """Add the registration POST and update PUT answers (when made) to the responses to judge."""
    oracle = get_oracle()
    for hs, method in ((harness.registration, "POST"), (harness.rotation, "PUT")):
        if hs is not None and hs.exchange.status is not None and hs.exchange.method == method:
            ocpi_context.sent.append(
                Sent(f"credentials {method}", hs.exchange, "credentials", oracle.find("credentials", None, method))
            )
            ocpi_context.evidence.append(hs.exchange)


@when("the harness unregisters with DELETE")
def unregister(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    ex = harness.ensure_unregistered()
    ocpi_context.exchange = ex
    ocpi_context.sent.append(Sent("credentials", ex, "credentials"))


# ## Then ----------------------------------------------------------------------------------------


def _handshake(ocpi_context: ScenarioContext) -> Handshake:
    hs = ocpi_context.handshake
    if hs is None:
        pytest.skip("no credentials handshake was made in this scenario")
    return hs


@then("the registration is answered with success and the target's credentials")
@then("the update is accepted")
def handshake_ok(ocpi_context: ScenarioContext) -> None:
    """HTTP 2xx, status_code 1000, and a Credentials object with a token in ``data``."""
    hs = _handshake(ocpi_context)
    run_check("success", hs.exchange, data="object")
    if not isinstance(hs.exchange.data.get("token"), str):
        fail(
            "the answer carries no token for the harness",
            expected="data.token",
            actual=repr(hs.exchange.data),
            check="credentials_answer",
            spec="credentials.object",
            exchanges=[hs.exchange],
        )


@then("the target's credentials are well formed")
def credentials_well_formed(ocpi_context: ScenarioContext) -> None:
    """token, url, roles (unique role/country/party), business details, hub_party_id length."""
    ex: Exchange | None = ocpi_context.handshake.exchange if ocpi_context.handshake else ocpi_context.exchange
    if ex is None:
        pytest.skip("no credentials answer to judge")
    problems = validate_credentials(ex.data)
    judged("credentials_object", ex)
    if problems:
        raise Finding(
            "the target's Credentials object is not well formed",
            check="credentials_object",
            spec="credentials.object",
            exchanges=[ex],
            expected="a valid Credentials object",
            actual="; ".join(problems),
        )


@then("the new credentials token opens the versions endpoint")
def new_token_works(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    hs = _handshake(ocpi_context)
    if hs.new_token is None:
        pytest.skip("no new token was issued")
    ex = harness.client.request(
        "GET", harness.config.versions_url, token=hs.new_token, label="GET versions with the newly issued token"
    )
    ocpi_context.sent.append(Sent("versions", ex, "versions"))
    run_check("success", ex)


@then(
    "while the request was open the target fetched the harness's versions and version details with the token it was "
    "given"
)
def callbacks_made(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    """Both GETs reached the peer after the POST/PUT started and before its answer, with the new token."""
    hs = _handshake(ocpi_context)
    ex = hs.exchange
    refused = ex.status is None or not 200 <= ex.status < 300
    if ex.ocpi_status == 3001 and not hs.callbacks:
        # 3001 is the answer the spec prescribes when the callback failed: the target did try, and did not reach
        # the harness. Nothing here can be judged; the registration scenario reports the answer.
        raise Blocked(
            f"the target answered status_code 3001 (it could not reach the harness at {harness.peer.versions_url}; "
            "is [peer] public_url reachable from the target?)",
            "credentials.registration",
        )
    if refused and not hs.callbacks:
        owner = "credentials.registration" if hs.kind == "registration" else "credentials.put-rotation"
        raise Blocked(
            f"the credentials {ex.method} was refused (HTTP {ex.status}), so whether the target calls back first "
            "cannot be judged",
            owner,
        )
    judged("registration_callback", hs.exchange)
    versions_path = harness.peer_path(harness.peer.versions_url)
    details_path = harness.peer_path(harness.peer.details_url)

    def made(path: str) -> list[Exchange]:
        return [c for c in hs.callbacks if c.method == "GET" and harness.peer_path(c.url) == path]

    missing = []
    for what, path in (("versions", versions_path), ("2.3.0 version details", details_path)):
        calls = made(path)
        if not calls:
            missing.append(f"no GET of the harness's {what} ({path})")
        elif not any(c.auth_token_name == hs.token_name for c in calls):
            used = ", ".join(f"{c.auth_style} token {c.auth_token_name or '(unknown)'}" for c in calls)
            missing.append(f"the GET of the harness's {what} did not use token {hs.token_name} (used: {used})")
    if missing:
        later = [e for e in harness.recorder.all() if e.direction == "inbound" and e.started > hs.exchange.finished]
        hint = f"; {len(later)} callback(s) arrived after the answer" if later else ""
        raise Finding(
            f"the target answered the credentials {hs.exchange.method} without calling the harness back first",
            check="registration_callback",
            spec="credentials.registration" if hs.kind == "registration" else "credentials.update",
            expected=f"GET versions and GET 2.3.0 details with token {hs.token_name} before the answer",
            actual="; ".join(missing) + hint,
            exchanges=[hs.exchange, *hs.callbacks],
        )


@then("every callback the target made carried the harness's token base64-encoded")
def callbacks_base64(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    hs = _handshake(ocpi_context)
    if not hs.callbacks:
        raise Blocked("the target made no callbacks during the handshake", "credentials.registration-callback")
    bad = [c for c in hs.callbacks if c.auth_style != "base64"]
    for c in hs.callbacks:
        judged("callback_token_encoding", c)
    harness.observations.append(
        "in its own requests the target sends the token "
        + ("base64-encoded, as 2.3.0 requires" if not bad else "unencoded (the 2.1.1/2.2 style)")
    )
    for c in hs.callbacks:
        ocpi_context.note(f"callback {c.method} {urlsplit(c.url).path}: token {c.auth_token_name} sent {c.auth_style}")
    if bad:
        raise Finding(
            "the target's requests to the harness did not carry a base64-encoded token",
            check="callback_token_encoding",
            spec="transport_and_format.authorization",
            expected="Authorization: Token <base64 of token B>",
            actual="; ".join(f"{c.method} {urlsplit(c.url).path}: {c.auth_style}" for c in bad),
            exchanges=bad,
        )


@then("the target issued a token different from the previous one")
def token_changed(ocpi_context: ScenarioContext) -> None:
    hs = _handshake(ocpi_context)
    judged("token_rotation", hs.exchange)
    if hs.new_token is not None and hs.new_token == hs.previous_token:
        raise Finding(
            "the update returned the same token the harness already had",
            check="token_rotation",
            spec="credentials.update",
            expected="a newly generated token",
            actual="the previous token",
            exchanges=[hs.exchange],
        )


@then("the unregistration is answered with success")
def unregistered_ok(ocpi_context: ScenarioContext) -> None:
    ex = ocpi_context.exchange
    assert ex is not None
    run_check("success", ex)


@then("the credentials carry a hub_party_id of a country code and a party id")
def hub_party_id(ocpi_context: ScenarioContext) -> None:
    ex = ocpi_context.exchange
    assert ex is not None
    data = ex.data if isinstance(ex.data, dict) else {}
    hub = data.get("hub_party_id")
    judged("hub_party_id", ex)
    if not isinstance(hub, str) or not re.fullmatch(r"[A-Za-z]{2}[A-Za-z0-9]{3}", hub):
        raise Finding(
            "the hub's credentials do not name its hub party",
            check="hub_party_id",
            spec="credentials.object",
            expected="hub_party_id: 2-letter country code + 3-character party id",
            actual=f"hub_party_id: {hub!r}" if "hub_party_id" in data else "hub_party_id absent",
            exchanges=[ex],
        )
    roles = data.get("roles") or []
    ocpi_context.note(f"hub_party_id {hub}; roles lists {len(roles)} part{'y' if len(roles) == 1 else 'ies'}")


@when("the harness registers with token A using the minimal Credentials body")
def register_minimal(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    """The first registration attempt (made once per run), which carries the minimal conforming body."""
    harness.ensure_registered()
    hs = harness.minimal_registration
    if hs is None:
        pytest.skip("the harness did not register with token A in this run")
    ocpi_context.use_handshake(hs)


@then("the minimal Credentials body was accepted")
def minimal_accepted(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    hs = _handshake(ocpi_context)
    ex = hs.exchange
    judged("credentials_minimal_body", ex)
    if harness.full_credentials:
        retry = harness.registration
        if retry is None or not retry.new_token:
            # Refused with every optional field too: the refusal is not about the optional fields.
            raise Blocked(
                "the fullest Credentials body was refused as well, so the refusal is not about optional fields",
                "credentials.registration",
            )
        outcome = "the retry with every optional field was accepted, so the run went on with that body"
        body = (ex.response_body or "").strip()
        raise Finding(
            "the target refused a conforming Credentials body that leaves out optional BusinessDetails fields",
            check="credentials_minimal_body",
            spec="credentials.object",
            expected="acceptance of business_details {name} without website or logo (both optional)",
            actual=f"HTTP {ex.status}, "
            + (f"status_code {ex.ocpi_status}" if ex.ocpi_status is not None else f"no OCPI envelope: {body[:120]!r}")
            + f"; {outcome}",
            exchanges=[ex, retry.exchange],
        )
    if not hs.new_token:
        raise Blocked(f"the registration failed: {hs.problem}", "credentials.registration")
    ocpi_context.note("the minimal Credentials body (business_details with a name only) was accepted")


# -- the parties behind the objects a platform lists ---------------------------------------------------------------

OWNED_LISTS = ("locations", "tariffs", "sessions", "cdrs", "tokens")
"""Modules whose objects carry their owner's country_code and party_id."""


@when("the harness reads the first page of every Sender list of client-owned objects")
def read_owned_lists(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    lists = [le for le in harness.list_endpoints() if le.module in OWNED_LISTS]
    if not lists:
        pytest.skip("the target advertises no Sender list of client-owned objects")
    for le in lists:
        ex = harness.client.request(
            "GET",
            le.url,
            token=harness.token,
            params=le.params(limit=50),
            headers=harness.routing_headers(le.module),
            label=f"{le.name}: first page",
        )
        ocpi_context.sent.append(Sent(le.name, ex, le.module))


def _served_parties(harness: HarnessSession) -> tuple[set[tuple[str, str]], Exchange]:
    """The (country_code, party_id) pairs the target's Credentials roles name, with the GET that read them."""
    url = harness.discover().url("credentials")
    if url is None:
        raise Blocked("the target advertises no credentials endpoint", "versions.details-endpoints")
    ex = harness.client.request("GET", url, token=harness.token, label="credentials GET (the parties it serves)")
    roles = ex.data.get("roles") if isinstance(ex.data, dict) else None
    if not isinstance(roles, list):
        raise Blocked("the target's Credentials could not be read", "credentials.get")
    parties = {
        (str(r.get("country_code", "")).upper(), str(r.get("party_id", "")).upper())
        for r in roles
        if isinstance(r, dict)
    }
    if any(isinstance(r, dict) and r.get("role") == "HUB" for r in roles):
        # a 2.2.1 hub names itself alone; the parties reachable through it are those its ClientInfo announces: pushed
        # to the harness's peer, or listed by its hubclientinfo Sender
        infos = [
            body for method, path, body in harness.peer.state.pushes if method == "PUT" and "/hubclientinfo" in path
        ]
        if (url := harness.discover().url("hubclientinfo", "SENDER")) is not None:
            listed = harness.client.request(
                "GET", url, token=harness.token, label="hubclientinfo GET (the parties reachable through the hub)"
            )
            infos += listed.data if isinstance(listed.data, list) else []
        parties |= {
            (str(info.get("country_code", "")).upper(), str(info.get("party_id", "")).upper())
            for info in infos
            if isinstance(info, dict)
        }
    return parties, ex


@then("every object names a party among the target's Credentials roles, or the harness itself")
def objects_of_served_parties(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    answered = [s for s in ocpi_context.sent if s.exchange.status == 200 and isinstance(s.exchange.data, list)]
    for s in ocpi_context.sent:
        if s not in answered:
            ocpi_context.note(
                f"{s.name} not judged: {describe_answer(s.exchange)} (versions.advertised-endpoints-answer)"
            )
    with_objects = [s for s in answered if any(isinstance(o, dict) for o in s.exchange.data)]
    if not with_objects:
        if len(answered) < len(ocpi_context.sent):
            raise Blocked("no Sender list of client-owned objects answered", "versions.advertised-endpoints-answer")
        pytest.skip(f"no Sender list of client-owned objects holds an object ({len(answered)} read)")
    served, creds = _served_parties(harness)
    ocpi_context.evidence.append(creds)
    # the reading party itself may be shown its own objects; the harness's other identities are parties like any other
    own = {(harness.config.party.country_code.upper(), harness.config.party.party_id.upper())}
    named = ", ".join(sorted(f"{c}/{p}" for c, p in served)[:8]) + (", ..." if len(served) > 8 else "")

    leftovers = sum(from_another_run(o, harness.run_tag) for s in with_objects for o in s.exchange.data)
    if leftovers:
        ocpi_context.note(f"{leftovers} object(s) left by earlier runs of the harness were not judged")

    def judge(sent: Sent) -> None:
        ex = sent.exchange
        judged("roles_cover_listed_objects", ex)
        strangers = sorted(
            {
                f"{o.get('country_code')}/{o.get('party_id')}"
                for o in ex.data
                if isinstance(o, dict)
                and not from_another_run(o, harness.run_tag)
                and (str(o.get("country_code", "")).upper(), str(o.get("party_id", "")).upper()) not in served | own
            }
        )
        if strangers:
            raise Finding(
                f"objects listed under {len(strangers)} owner(s) the target's Credentials do not name",
                check="roles_cover_listed_objects",
                spec="credentials.object",
                expected=f"owners among the Credentials roles ({named}) or the reading party itself",
                actual=", ".join(strangers[:12]),
                exchanges=[ex, creds],
            )

    collect_findings(with_objects, judge, lambda s: s.name, ocpi_context.notes)


@then("the credentials list the HUB role and no other")
def hub_role_alone(ocpi_context: ScenarioContext) -> None:
    ex = ocpi_context.exchange
    assert ex is not None
    data = ex.data if isinstance(ex.data, dict) else {}
    roles = [r for r in data.get("roles") or [] if isinstance(r, dict)]
    judged("hub_role", ex)
    listed = [f"{r.get('role')} {r.get('country_code')}/{r.get('party_id')}" for r in roles]
    if len(roles) != 1 or roles[0].get("role") != "HUB":
        raise Finding(
            "the 2.2.1 hub's credentials do not list the HUB role alone",
            check="hub_role",
            spec="credentials.object",
            expected="roles: exactly one entry, role HUB (reachable parties come by HubClientInfo)",
            actual=f"roles: {', '.join(listed) or 'none'}",
            exchanges=[ex],
        )
    ocpi_context.note(f"the hub names itself {listed[0]}")


@then("the credentials carry no hub_party_id")
def no_hub_party_id(ocpi_context: ScenarioContext) -> None:
    ex = ocpi_context.exchange
    assert ex is not None
    data = ex.data if isinstance(ex.data, dict) else {}
    judged("no_hub_party_id", ex)
    if "hub_party_id" in data:
        raise Finding(
            "the 2.2.1 credentials carry hub_party_id, a 2.3.0 field",
            check="no_hub_party_id",
            spec="credentials.object",
            expected="token, url and roles only",
            actual=f"hub_party_id: {data['hub_party_id']!r}",
            exchanges=[ex],
        )
