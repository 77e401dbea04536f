"""Step vocabulary shared by every area: who the harness is, what it sends, generic Then checks.

Endpoint phrases: ``the versions endpoint``, ``the version details endpoint``, ``the credentials
endpoint``, ``every GET endpoint`` (all of those plus every paginated Sender list),
``every advertised endpoint`` (credentials plus the Sender lists), ``every configuration endpoint``
(versions, details, credentials, hubclientinfo lists), ``every paginated Sender endpoint``.

Token phrases: ``without a token``, ``with an unknown token``, ``with token A``, ``with its
credentials token``, ``with its credentials token unencoded``, ``with its previous credentials
token``, ``with its deleted credentials token``.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

import pytest
from pytest_bdd import given, parsers, then, when

from conformance.checks import judged, run_check
from conformance.checks.envelope import describe_answer
from conformance.model import Blocked, Exchange, Finding
from conformance.oracle import Operation, OracleUnavailable, get_oracle
from conformance.plan import no_token_a
from conformance.session import CONFIG_MODULES, HarnessSession
from conformance.steps.context import ScenarioContext, Sent, collect_findings

__all__ = ()

_AUTH = (
    "without a token|with an unknown token|with token A|with its current token|with the token it holds"
    "|with its current token unencoded|with its credentials token unencoded"
    "|with its credentials token|with its previous credentials token|with its deleted credentials token"
)
_WHERE = (
    "the versions endpoint|the version details endpoint|the credentials endpoint|every GET endpoint"
    "|every advertised endpoint|every configuration endpoint|every paginated Sender endpoint"
)


# ## Given ---------------------------------------------------------------------------------------


def _discovered(harness: HarnessSession) -> None:
    d = harness.discover()
    if d.problem:
        from conformance.plan import discovery_owner

        raise Blocked(f"the target's endpoints could not be discovered: {d.problem}", discovery_owner(d.problem))


@given("the harness holds a token the target issued")
def holds_token(harness: HarnessSession) -> None:
    """Token C when registered, else token A: enough for versions and version details (see conformance/plan.py)."""
    if harness.current_token() is None:
        pytest.skip("the harness holds no token for the target")


@given("the target's endpoints are known")
def endpoints_known(harness: HarnessSession) -> None:
    """Versions and 2.3.0 details have been fetched (skips the scenario when that failed)."""
    _discovered(harness)


@given("the harness holds an unused registration token A")
def unused_token_a(harness: HarnessSession) -> None:
    """Token A was configured and no registration has been attempted yet."""
    if harness.config.token_a is None:
        pytest.skip(no_token_a(harness.config))
    if not harness.token_a_unused:
        pytest.skip("token A has already been used for a registration in this run")
    _discovered(harness)


@given("the harness was given a registration token A")
def given_token_a(harness: HarnessSession) -> None:
    """Token A was configured (the harness registers itself in this run)."""
    if harness.config.token_a is None:
        pytest.skip(no_token_a(harness.config))


@given("the harness is registered with the target")
def registered(harness: HarnessSession) -> None:
    """Registers with token A on first use; skips when that is impossible or failed."""
    if harness.unregistration is not None and not harness.registered:
        pytest.skip("the harness has already unregistered in this run")
    _discovered(harness)
    if not harness.registered:
        hs = harness.ensure_registered()
        if not harness.registered:
            problem = hs.problem if hs else "no token"
            raise Blocked(f"registration failed: {problem}", "credentials.registration")


@given("the harness registered itself with token A")
def registered_itself(harness: HarnessSession) -> None:
    """The harness holds a token C obtained in this run with token A."""
    given_token_a(harness)
    registered(harness)
    if not harness.registered_by_harness:
        pytest.skip("the harness was not registered through its own token-A handshake")


@given("the harness may change its registration")
def may_change(harness: HarnessSession) -> None:
    """Token rotation and DELETE are allowed (always when the harness registered itself)."""
    if not harness.config.allow_destructive:
        pytest.skip("the harness uses a configured token C and [run] destructive is not true")


@given("the target advertises at least one paginated Sender endpoint")
def has_lists(harness: HarnessSession) -> None:
    """At least one module is advertised as SENDER with a list GET in openapi.yaml."""
    _discovered(harness)
    if not harness.list_endpoints():
        mods = sorted({str(e.get("identifier")) for e in harness.discover().endpoints})
        pytest.skip(f"the target advertises no paginated Sender endpoint (advertised: {', '.join(mods)})")


# ## When ----------------------------------------------------------------------------------------


def _token_for(harness: HarnessSession, auth: str) -> tuple[str | None, str]:
    if auth == "without a token":
        return None, "none"
    if auth == "with an unknown token":
        return "unknown-" + secrets.token_urlsafe(24), "base64"
    if auth == "with token A":
        if harness.config.token_a is None:
            pytest.skip("no registration token A was configured")
        return harness.config.token_a, "base64"
    if auth == "with its credentials token":
        return harness.token, "base64"
    if auth in ("with its current token", "with the token it holds"):
        return harness.current_token(), "base64"
    if auth == "with its current token unencoded":
        return harness.current_token(), "raw"
    if auth == "with its credentials token unencoded":
        return harness.token, "raw"
    if auth == "with its previous credentials token":
        if not harness.previous_tokens:
            pytest.skip("the harness holds no previous credentials token")
        return harness.previous_tokens[-1], "base64"
    if auth == "with its deleted credentials token":
        if harness.deleted_token is None:
            pytest.skip("the harness has not unregistered")
        return harness.deleted_token, "base64"
    raise AssertionError(auth)


def _operation(module: str | None, name: str, method: str) -> Operation | None:
    try:
        oracle = get_oracle()
        if module == "versions":
            return oracle.versions_list() if name == "versions" else oracle.versions_details()
        if module == "credentials":
            return oracle.find("credentials", None, method)
        if module:  # a Sender list, named "{module}{suffix} (SENDER)" (bookings has two lists)
            suffix = name.removesuffix(" (SENDER)").removeprefix(module)
            return oracle.find(module, "SENDER", method, suffix if suffix.startswith("/") else "")
    except OracleUnavailable:
        return None
    return None


def _targets(harness: HarnessSession, where: str, auth: str = "") -> list[tuple[str, str, str | None]]:
    targets = _all_targets(harness, where)
    if auth == "with its current token" and not harness.registered:
        # Token A opens versions and version details only; the rest needs the registration.
        opened = [t for t in targets if t[2] == "versions"]
        left = [t[0] for t in targets if t[2] != "versions"]
        if left:
            why = harness.registration.problem if harness.registration else "not attempted"
            note = (
                f"with token A only; not requested (they need a registration: {why}): {', '.join(left)}"
                if harness.registration is not None
                else f"with token A only; not requested: {', '.join(left)}"
            )
            harness.pending_notes.append(note)
        return opened
    return targets


def _all_targets(harness: HarnessSession, where: str) -> list[tuple[str, str, str | None]]:
    if where == "the versions endpoint":
        return [("versions", harness.config.versions_url, "versions")]
    d = harness.discover()
    # The version details and the redirect scenario judge what discovery reached, even when discovery went no further.
    if where == "the version details endpoint" and d.details_url:
        return [("version details", d.details_url, "versions")]
    if where == "every GET endpoint" and d.problem and "redirect" in d.problem:
        return harness.get_endpoints()
    _discovered(harness)
    if where == "the credentials endpoint":
        url = d.url("credentials")
        if not url:
            pytest.skip("the target advertises no credentials endpoint")
        return [("credentials", url, "credentials")]
    if where == "every GET endpoint":
        return harness.get_endpoints()
    if where == "every advertised endpoint":
        return [t for t in harness.get_endpoints() if t[0] not in ("versions", "version details")]
    if where == "every configuration endpoint":
        return [t for t in harness.get_endpoints() if t[2] in CONFIG_MODULES]
    if where == "every paginated Sender endpoint":
        return [(le.name, le.plain_url, le.module) for le in harness.list_endpoints()]
    raise AssertionError(where)


@when(parsers.re(rf"the harness sends (?P<method>GET|PUT|POST|DELETE) to (?P<where>{_WHERE}) (?P<auth>{_AUTH})"))
def send(ocpi_context: ScenarioContext, harness: HarnessSession, method: str, where: str, auth: str) -> None:
    """Send one request per endpoint; PUT/POST carry a valid harness Credentials body."""
    token, style = _token_for(harness, auth)
    harness.pending_notes.clear()
    targets = _targets(harness, where, auth)
    ocpi_context.notes.extend(harness.pending_notes)
    for name, url, module in targets:
        body = None
        if method in ("PUT", "POST"):  # a body the target takes, so that the answer is about the method and token
            _, value = harness.hand_out_token()
            body = harness.accepted_credentials_body(value)
        ex = harness.client.request(
            method,
            url,
            token=token,
            auth=style,
            json_body=body,
            headers=harness.routing_headers(module),
            label=f"{method} {name} {auth}",
        )
        if module == "credentials" and method in ("PUT", "POST"):
            harness.adopt_credentials(ex)
        ctx_sent = Sent(name, ex, module, _operation(module, name, method))
        ocpi_context.sent.append(ctx_sent)
        ocpi_context.exchange = ex


@when("the harness sends PUT to the credentials endpoint with a body that is not JSON")
def send_malformed(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    """A PUT whose body is cut off in the middle of a JSON object."""
    ((name, url, module),) = _targets(harness, "the credentials endpoint")
    ex = harness.client.request(
        "PUT",
        url,
        token=harness.token,
        content='{"token": "abc", "url": "http://',
        label="PUT credentials with a truncated JSON body",
    )
    ocpi_context.sent.append(Sent(name, ex, module, None))
    ocpi_context.exchange = ex


# ## Then ----------------------------------------------------------------------------------------


@then("no response is a redirect")
def none_redirected(ocpi_context: ScenarioContext) -> None:
    """No HTTP 3xx on the versions URL or any advertised URL; each redirect is named with where it points."""
    ocpi_context.check_each("not_redirected")


@then("every response is HTTP 401 Unauthorized")
def all_401(ocpi_context: ScenarioContext) -> None:
    """HTTP 401, and no 1xxx status_code in the body."""
    ocpi_context.check_each("unauthorized")


@then("every response refuses the token")
def all_token_refused(ocpi_context: ScenarioContext) -> None:
    """Refused (401, or 403 which transport.unknown-token judges), never served."""
    ocpi_context.check_each("token_refused")


@then("every response is HTTP 405 Method Not Allowed")
def all_405(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    """A refusal of the body for its fields (HTTP 400/422, status_code 2001) tells nothing about the 405 rule: the
    body was the one the target takes, so the refusal is reported as what it is, and the rule is not judged."""
    for s in ocpi_context.require_sent():
        ex = s.exchange
        body_refused = ex.status in (400, 422) or (ex.status is not None and ex.status < 300 and ex.ocpi_status == 2001)
        if body_refused:
            why = f"the target refused the Credentials body for its fields ({describe_answer(ex)}), not the method"
            if harness.full_credentials:
                raise Blocked(why, "credentials.minimal-body-accepted")
            pytest.skip(f"{why}; the 405 rule could not be judged")
    ocpi_context.check_each("method_not_allowed")


@then("every response is a success")
def all_success(ocpi_context: ScenarioContext) -> None:
    """HTTP 2xx with status_code 1xxx."""
    ocpi_context.check_each("success")


@then(parsers.re(r"every response is a success with an? (?P<shape>list|object)"))
def all_success_shaped(ocpi_context: ScenarioContext, shape: str) -> None:
    ocpi_context.check_each("success", data=shape)


@then("every response is an OCPI envelope declared as JSON")
def all_envelopes(ocpi_context: ScenarioContext) -> None:
    """Envelope fields and types, and Content-Type application/json."""

    def judge(s: Sent) -> None:
        run_check("envelope", s.exchange)
        run_check("json_content_type", s.exchange)

    collect_findings(ocpi_context.require_sent(), judge, lambda s: s.name, ocpi_context.notes)


@then("every envelope timestamp is an OCPI DateTime")
def all_timestamps(ocpi_context: ScenarioContext) -> None:
    ocpi_context.check_each("timestamp_format")


@then("every response carries the request's X-Request-ID")
def all_request_ids(ocpi_context: ScenarioContext) -> None:
    ocpi_context.check_each("request_id_echo")


@then("every response carries the request's X-Correlation-ID")
def all_correlation_ids(ocpi_context: ScenarioContext) -> None:
    ocpi_context.check_each("correlation_id_echo")


@then("every functional-module response carries the routing headers back to the harness")
def routing_back(ocpi_context: ScenarioContext) -> None:
    """Only the answers of functional modules (a hubclientinfo list is a configuration module) are judged."""
    functional = [s for s in ocpi_context.require_sent() if s.module is not None and s.module not in CONFIG_MODULES]
    if not functional:
        pytest.skip("the target advertises no Sender list of a functional module (locations, tariffs, tokens, ...)")
    collect_findings(
        functional, lambda s: run_check("routing_headers_swapped", s.exchange), lambda s: s.name, ocpi_context.notes
    )


@then("no response carries OCPI routing headers")
def no_routing(ocpi_context: ScenarioContext) -> None:
    ocpi_context.check_each("no_routing_headers")


@then("every response has consistent HTTP and OCPI status codes")
def consistent(ocpi_context: ScenarioContext) -> None:
    ocpi_context.check_each("http_ocpi_consistent")


@then("no response carries a success status_code")
def no_success(ocpi_context: ScenarioContext) -> None:
    """A refusal is an HTTP error or an OCPI error code, never 1xxx."""
    ocpi_context.check_each("refusal_not_success")


@then("every response matches openapi.yaml")
def all_match_schema(ocpi_context: ScenarioContext) -> None:
    """Each body validates against the response schema of its operation (skips undescribed operations)."""
    sent = ocpi_context.require_sent()
    described = [s for s in sent if s.operation is not None]
    for s in sent:
        if s.operation is None:
            ocpi_context.note(f"openapi.yaml does not describe {s.exchange.method} {s.name}; not validated")
    if not described:
        pytest.skip("openapi.yaml describes none of the operations used")
    collect_findings(
        described,
        lambda s: run_check("response_schema", s.exchange, operation=s.operation),
        lambda s: s.name,
        ocpi_context.notes,
    )


@then("the response is HTTP 400 with an OCPI client error")
def bad_request(ocpi_context: ScenarioContext) -> None:
    ocpi_context.check_each("bad_request")


# ## What the whole run received (scenarios of @phase.end) ----------------------------------------


def _name(harness: HarnessSession, ex: Exchange) -> str:
    where = harness.endpoint_of(ex)
    if where is None:
        return urlsplit(ex.url).path
    module, interface, _ = where
    return f"{module} {interface}" if interface else module


@when("the harness takes every error answer the run received, whatever the method and interface")
def every_error_answer(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    """One error answer (HTTP 4xx/5xx) per method, endpoint, status and envelope presence: every kind of refusal the
    run met is judged, without judging the same kind twice."""
    seen = {id(s.exchange) for s in ocpi_context.sent}
    kinds: dict[tuple[str, str, int, bool], Exchange] = {}
    for ex in harness.recorder.all():
        if ex.direction != "outbound" or ex.status is None or ex.status < 400 or id(ex) in seen:
            continue
        if ex.status == 429:  # a rate limit the client waited out and asked again: not an answer the run judged
            continue
        env = ex.envelope()
        kinds.setdefault((ex.method, _name(harness, ex), ex.status, env is not None and "status_code" in env), ex)
    for (method, name, status, _), ex in kinds.items():
        ocpi_context.sent.append(Sent(f"{method} {name} (HTTP {status})", ex))
    ocpi_context.note(f"{len(kinds)} kind(s) of error answer from the rest of the run judged as well")


@when("the harness takes every successful answer the run received")
def every_success_answer(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    """One successful answer per operation (the first whose data has the wrong shape, else the first), with the
    shape openapi.yaml gives that operation's data."""
    oracle = get_oracle()
    chosen: dict[str, tuple[str, Exchange, str]] = {}
    unsuccessful = 0
    for ex in harness.recorder.all():
        code = ex.ocpi_status
        if ex.direction != "outbound" or ex.status is None or not 200 <= ex.status < 300:
            continue
        if code is None or not 1000 <= code < 2000:
            unsuccessful += 1
            continue
        op = harness.operation_of(ex)
        shape = oracle.data_shape(op, ex.status) if op is not None else None
        if op is None or shape is None:
            continue
        key = f"{op.method} {op.path}"
        wrong = ex.data is not None and isinstance(ex.data, list) != (shape == "array")
        if key not in chosen or (wrong and isinstance(chosen[key][1].data, list) == (shape == "array")):
            chosen[key] = (f"{op.method} {_name(harness, ex)}{op.suffix}", ex, shape)
    if not chosen and unsuccessful:
        raise Blocked(
            f"none of the run's {unsuccessful} HTTP 2xx answers carried a success status_code",
            "transport.success-is-1000",
        )
    ocpi_context.objects["shapes"] = list(chosen.values())
    ocpi_context.note(f"{len(chosen)} operation(s) of the run judged")


@then("every answer's data has the shape openapi.yaml gives its operation")
def shapes(ocpi_context: ScenarioContext) -> None:
    items = ocpi_context.objects.get("shapes", [])
    if not items:
        pytest.skip("no successful answer of an operation openapi.yaml gives data to")
    collect_findings(items, lambda i: run_check("data_shape", i[1], expected=i[2]), lambda i: i[0], ocpi_context.notes)


@then("every listed object has only the fields its version defines")
def only_defined_fields(ocpi_context: ScenarioContext) -> None:
    """Each object of a list answer against its schema closed to the fields the description defines; the other
    schema rules are pagination.schema's to judge, so only unknown fields count here."""
    from conformance.objects import OBJECT_SCHEMAS

    sent = [s for s in ocpi_context.require_sent() if s.module in OBJECT_SCHEMAS]
    closed = get_oracle().closed

    def judge(s: Sent) -> None:
        ex = s.exchange
        if ex.status != 200 or not isinstance(ex.data, list):
            raise Blocked(f"{describe_answer(ex)}: no list to read", "versions.advertised-endpoints-answer")
        judged("only_defined_fields", ex)
        unknown = [
            f"[{i}]{line}"
            for i, obj in enumerate(ex.data)
            for line in closed.validate_component(OBJECT_SCHEMAS[str(s.module)], obj)
            if "Additional properties are not allowed" in line
        ]
        if unknown:
            raise Finding(
                f"objects carry fields {get_oracle().version} does not define",
                check="only_defined_fields",
                spec="openapi",
                expected=f"only the fields of the {get_oracle().version} objects",
                actual="; ".join(unknown[:6]),
                exchanges=[ex],
            )

    if not sent:
        pytest.skip("no Sender list of client-owned objects was read")
    collect_findings(sent, judge, lambda s: s.name, ocpi_context.notes)
