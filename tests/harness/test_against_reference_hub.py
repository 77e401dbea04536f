"""The harness against real reference-hub processes: clean → clean pass; each fault → exactly its scenarios.

Every hub fault switch breaks one rule. For each, the scenarios listed below must fail (or warn,
for SHOULD-level rules, or be skipped with a reason when they can no longer be judged) and every
other scenario must pass: that is what "names the defect precisely and raises no false alarm"
means for this harness.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from conformance.plan import NEEDS, Need
from tests.harness.hubrun import PYTHON, HarnessRun, _env, run_harness, two_identities, write_target

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Expect:
    fail: frozenset[str] = field(default_factory=frozenset)
    warn: frozenset[str] = field(default_factory=frozenset)
    skip: frozenset[str] = field(default_factory=frozenset)
    every_failure_mentions: str | None = None
    """A pervasive fault: each failure's reason must name it (nothing else may be blamed)."""
    rest_skipped_naming: str | None = None
    """Every scenario that neither fails nor warns is skipped naming this scenario, or passes having judged what
    the fault left reachable; at least one is skipped."""
    roles: tuple[str, ...] = ("HUB",)
    """What target.toml declares the hub to be (a platform with other roles: skips for data only another party could
    have put there, ROLE_SKIPS, are allowed)."""


def E(
    fail: tuple[str, ...] = (),
    warn: tuple[str, ...] = (),
    skip: tuple[str, ...] = (),
    every_failure_mentions: str | None = None,
    rest_skipped_naming: str | None = None,
    roles: tuple[str, ...] = ("HUB",),
) -> Expect:
    return Expect(frozenset(fail), frozenset(warn), frozenset(skip), every_failure_mentions, rest_skipped_naming, roles)


SCHEMAS = (
    "versions.schema",
    "credentials.schema",
    "pagination.schema",
    "locations.sender-single-objects",
    "invoicereconciliation.sender-list",
    "bookings.sender-booking-locations",
)
"""Scenarios that validate the hub's own answers against openapi.yaml (a relayed party answer is the party's)."""

FAULTS: dict[str, Expect] = {
    "drop_total_count": E(fail=("pagination.total-count",)),
    "drop_limit_header": E(fail=("pagination.limit-header",)),
    "ignore_offset": E(fail=("pagination.offset-param",)),
    # With limit ignored there is no next page to judge: the link scenarios stand aside, naming limit-param.
    "ignore_limit": E(fail=("pagination.limit-param",), skip=("pagination.link-next", "pagination.link-keeps-filters")),
    "ignore_date_filters": E(fail=("pagination.date-from-inclusive", "pagination.date-to-exclusive")),
    "date_to_inclusive": E(fail=("pagination.date-to-exclusive",)),
    "link_drops_filters": E(fail=("pagination.link-keeps-filters",)),
    "no_link_header": E(fail=("pagination.link-next",), skip=("pagination.link-keeps-filters",)),
    # A "+00:00" timestamp breaks the DateTime rule and, through it, every schema validation. The faulty hub also
    # stores the "+00:00" form it emits and then refuses its own merged object on a PATCH or an EVSE PUT (HTTP 200 +
    # 2001): those writes are genuinely refused, and the four scenarios that need one accepted say so.
    "offset_timestamps": E(
        fail=(
            "transport.timestamp-format",
            *SCHEMAS,
            "locations.receiver-evse-change-bumps-location",
            "locations.receiver-evse-connector-put",
            "sessions.receiver-patch-appends-periods",
        ),
        # the Booking the hub kept from the CPO's answer carries "+00:00": the CPO's PATCH of it is refused
        warn=("bookings.booking-answer-routed",),
    ),
    # Every successful answer carries 2000: every scenario that needs a success must say so. A write a scenario needs
    # answered 2000 stops that scenario at the write; the module's basic scenario owns it, the others name it.
    "wrong_status_code": E(
        fail=(
            "transport.success-is-1000",
            "transport.base64-token",
            "transport.unknown-fields-accepted",
            "credentials.registration",
            "credentials.get",
            "credentials.hub-party-id",
            "credentials.put-rotation",
            "credentials.delete",
            "versions.list-offers-version",
            "versions.details-endpoints",
            "versions.advertised-endpoints-answer",
            # the hub's own answers to writes (what it forwards to the harness's peer keeps the peer's 1000)
            "locations.receiver-put-get",
            "tariffs.receiver-put-get-delete",
            "tokens.receiver-put-get-by-type",
            "locations.sender-single-objects",
            "bookings.receiver-put-get",
            "invoicereconciliation.sender-list",
        ),
        skip=(
            # their Location, Tariff or Token was answered 2000: they stop there, naming the module's basic scenario
            "locations.receiver-patch-needs-last-updated",
            "locations.receiver-evse-change-bumps-location",
            "locations.receiver-evse-connector-put",
            "locations.receiver-invalid-object-refused",
            "locations.receiver-invalid-object-http-200",
            "locations.receiver-id-mismatch-refused",
            "locations.receiver-unknown-values-accepted",
            "routing.broadcast-delivered",
            "routing.broadcast-not-echoed",
            "routing.last-updated-untouched",
            "tariffs.receiver-foreign-party-refused",
            "tokens.receiver-patch-needs-last-updated",
            "bookings.sender-booking-locations",
            "bookings.sender-timeslot-filter",
        ),
        every_failure_mentions="status_code 2000",
    ),
    # Every refusal becomes HTTP 200 + 1000, so every "must be refused" scenario fails (SHOULD ones warn).
    "error_as_success": E(
        fail=(
            "transport.missing-token",
            "transport.unknown-token",
            "transport.token-a-scope",
            "transport.refusal-is-not-success",
            "transport.malformed-json",
            "credentials.post-when-registered-405",
            "credentials.put-before-registration-405",
            "credentials.delete-before-registration-405",
            "locations.receiver-patch-needs-last-updated",
            "tokens.receiver-patch-needs-last-updated",
            "tokens.authorize-unknown-token",
            "locations.receiver-invalid-object-refused",
            "routing.unknown-receiver-4001",
        ),
        skip=("locations.receiver-invalid-object-http-200",),
        warn=(
            "credentials.token-a-retired",
            "credentials.old-token-retired",
            "credentials.deleted-token-retired",
            "locations.receiver-id-mismatch-refused",
            "locations.receiver-unknown-object-404",
            "tariffs.receiver-foreign-party-refused",
            "bookings.receiver-10-refused",
        ),
        every_failure_mentions="status_code 1000",
    ),
    # Unknown tokens work, so do token A after registration and tokens that were replaced or deleted.
    "accept_any_token": E(
        fail=(
            "transport.missing-token",
            "transport.unknown-token",
            "transport.refusal-is-not-success",
        ),
        warn=("credentials.token-a-retired", "credentials.old-token-retired", "credentials.deleted-token-retired"),
    ),
    # Without the callback the hub never learns the harness's eMSP endpoints, so it cannot deliver the Sessions and
    # CDRs the CPO identity writes for it: knock-on skips naming registration-callback.
    "no_registration_callback": E(
        fail=("credentials.registration-callback", "credentials.put-rotation"),
        skip=(
            "credentials.callback-token-encoding",
            "sessions.receiver-put-get",
            "sessions.receiver-patch-appends-periods",
            "cdrs.receiver-post-location",
            "cdrs.receiver-not-overwritten",
            "tokens.authorize-known-token",
            "tokens.authorize-by-type",
            "tokens.authorize-blocked-token",
            "tokens.authorize-location-references",
            "routing.broadcast-delivered",
            "routing.direct-delivered",
            "routing.forward-new-request-id",
            "routing.forward-keeps-correlation-id",
            "routing.last-updated-untouched",
            # commands and charging profiles: the hub cannot forward them to the harness's CPO identity
            "commands.command-responses",
            "commands.result-delivered",
            "commands.result-routing-headers",
            "commands.result-once",
            "commands.result-keeps-correlation-id",
            "chargingprofiles.responses",
            "chargingprofiles.results-delivered",
            "routing.broadcast-not-echoed",
            "routing.clientinfo-pushed",
            "routing.relayed-link-usable",
            # the add-on modules: a record routed by its CDR, a Booking requested from the CPO identity
            "invoicereconciliation.routed-by-its-cdrs",
            "bookings.booking-answer-routed",
        ),
    ),
    # The spec tells the registered party to stop using token A; refusing it afterwards is advice (SHOULD).
    "token_a_survives": E(warn=("credentials.token-a-retired",)),
    "old_token_survives": E(warn=("credentials.old-token-retired",)),
    "no_request_id_echo": E(fail=("transport.request-id-echo", "transport.correlation-id-echo")),
    "missing_timestamp": E(
        fail=("transport.envelope-success", "transport.envelope-error", "transport.timestamp-format", *SCHEMAS)
    ),
    # the 500 is malformed-json's finding; that it comes as text/plain, not in the envelope, is envelope-error's
    "crash_on_bad_json": E(fail=("transport.malformed-json", "transport.envelope-error")),
    "routing_headers_on_config": E(fail=("transport.no-routing-headers-on-configuration",)),
    "reject_unknown_fields": E(fail=("transport.unknown-fields-accepted",)),
    "no_hub_party_id": E(fail=("credentials.hub-party-id",)),
    # the harness's CPO identity is a party the hub serves: its Locations, listed to the eMSP identity, name an owner
    # the hub's Credentials leave out
    "credentials_roles_hub_only": E(warn=("pagination.owners-named-in-credentials",)),
    # -- how platforms in the field deviate --------------------------------------------------------------------
    # Advertised with a trailing slash and served that way: conforming, so nothing may fail, warn or be skipped.
    "trailing_slash_endpoints": E(),
    # The advertised (slash-less) URLs redirect: judged once; whatever needs those endpoints stands aside naming it,
    # while versions, version details and the refusal rules on them still run.
    "slashless_redirect": E(fail=("transport.no-redirects",), rest_skipped_naming="transport.no-redirects"),
    # 403 instead of 401 is judged once, by unknown-token; the retired-token scenarios see a refusal and pass.
    "unknown_token_403": E(fail=("transport.unknown-token",), every_failure_mentions="HTTP 403"),
    # Refusing the minimal Credentials body is named once; the harness registers with the full body and goes on. The
    # framework validates before the 405 rules, so the 405 scenarios pass only because they send the body the target
    # took; that its 422 has no envelope is envelope-error's finding.
    "validation_422": E(
        fail=("credentials.minimal-body-accepted", "transport.envelope-error"), every_failure_mentions="HTTP 422"
    ),
    # The 400 for broken JSON is right; its missing envelope is judged once, by envelope-error.
    "errors_without_envelope": E(
        fail=("transport.envelope-error",),
        skip=("transport.malformed-json", "tokens.authorize-unknown-token"),
        every_failure_mentions="without the OCPI envelope",
    ),
    # The Sessions table marks date_from as required: enforcing it is conforming, and the harness always sends one.
    "sessions_date_from_required": E(),
    "empty_link_last_page": E(),  # conforming: an empty Link on the last page is no next page
    "lowercase_cistrings": E(),  # conforming: country_code and party_id are CiStrings
    "null_optional_fields": E(),  # conforming: an optional field may be null
    "link_to_other_url": E(fail=("pagination.link-next",), every_failure_mentions="another endpoint"),
    "link_non_ocpi_dates": E(fail=("pagination.link-keeps-filters",), every_failure_mentions="not an OCPI DateTime"),
    "module_listed_twice": E(warn=("versions.module-listed-once",)),
    # Without 2.3.0 nothing else can be judged: one failure at the top, every other scenario skipped naming it.
    # -- client-owned objects: the harness writes as a CPO and as an eMSP under its own party ids ---------------------
    "patch_without_last_updated": E(
        fail=("locations.receiver-patch-needs-last-updated", "tokens.receiver-patch-needs-last-updated"),
        every_failure_mentions="status_code 1000",
    ),
    "parent_not_bumped": E(fail=("locations.receiver-evse-change-bumps-location",)),
    "cdr_no_location_header": E(fail=("cdrs.receiver-post-location",), skip=("cdrs.receiver-not-overwritten",)),
    "cdr_overwritten": E(fail=("cdrs.receiver-not-overwritten",)),
    "session_patch_replaces_periods": E(fail=("sessions.receiver-patch-appends-periods",)),
    # refusing an id that disagrees with the URL is advised (SHOULD), as is HTTP 404 for an unknown object, and
    # refusing writes under a party the platform does not serve is allowed, not required (SHOULD)
    "id_mismatch_accepted": E(warn=("locations.receiver-id-mismatch-refused",)),
    "unknown_object_200": E(warn=("locations.receiver-unknown-object-404",), every_failure_mentions="HTTP 200"),
    "wrong_owner_accepted": E(warn=("tariffs.receiver-foreign-party-refused",)),
    "no_routing_headers": E(fail=("transport.routing-headers-on-functional-modules",)),
    # how other teams build Receivers: closed enums from a code generator, no validation, framework-style 400s, whole
    # objects only; and real-time authorization that ignores ?type= or turns a refusal into an HTTP error
    "closed_enums": E(fail=("locations.receiver-unknown-values-accepted",), every_failure_mentions="2001"),
    "strict_module_objects": E(fail=("locations.receiver-unknown-values-accepted",), every_failure_mentions="unknown"),
    "invalid_object_accepted": E(
        fail=("locations.receiver-invalid-object-refused",), skip=("locations.receiver-invalid-object-http-200",)
    ),
    "invalid_object_http_400": E(
        warn=("locations.receiver-invalid-object-http-200",), every_failure_mentions="HTTP 400"
    ),
    "subobject_put_unsupported": E(fail=("locations.receiver-evse-connector-put",), every_failure_mentions="HTTP 405"),
    "authorize_type_ignored": E(fail=("tokens.authorize-by-type",)),
    "authorize_body_dropped": E(fail=("tokens.authorize-location-references",)),
    "blocked_token_as_error": E(fail=("tokens.authorize-blocked-token",), every_failure_mentions="HTTP 403"),
    # -- hub routing: the CPO identity writes through the hub, the eMSP identity's peer records what arrives ---------
    "request_id_reused": E(fail=("routing.forward-new-request-id",)),
    "correlation_id_dropped": E(fail=("routing.forward-keeps-correlation-id",)),
    "routing_headers_not_swapped": E(fail=("routing.direct-delivered",), every_failure_mentions="relayed answer"),
    "last_updated_rewritten": E(fail=("routing.last-updated-untouched",)),
    # -- asynchronous results: the eMSP identity commands the CPO identity through the hub; the CPO identity posts the
    # result to the hub's response_url and the eMSP identity's peer records what the hub delivers
    # A result that never arrives is judged once; what the other result scenarios would check is not there.
    "result_not_forwarded": E(
        fail=("commands.result-delivered", "chargingprofiles.results-delivered"),
        skip=("commands.result-routing-headers", "commands.result-once", "commands.result-keeps-correlation-id"),
        every_failure_mentions="never reached the response_url",
    ),
    "result_to_wrong_party": E(fail=("commands.result-routing-headers",), every_failure_mentions="OCPI-to-party-id"),
    # The CommandResponse posted to the response_url is a second arrival there; the real result still arrives.
    "command_response_as_result": E(fail=("commands.result-once",), every_failure_mentions='"timeout"'),
    # -- hub routing, continued: hub errors, HubClientInfo pushes, echoes and relayed Links (steps/hub.py) ----------
    "unknown_receiver_as_success": E(
        fail=("routing.unknown-receiver-4001",), every_failure_mentions="status_code 1000"
    ),
    # pushing ClientInfo is the module's described flow without a keyword (push is recommended, pull must work)
    "clientinfo_not_pushed": E(warn=("routing.clientinfo-pushed",)),
    # the sender is not of the opposite role, but no keyword forbids the echo
    "broadcast_echoed": E(warn=("routing.broadcast-not-echoed",)),
    # how a hub treats URLs in what it relays is left open; a Link the requester cannot follow is judged as advice
    "link_not_rewritten": E(warn=("routing.relayed-link-usable",), every_failure_mentions="own endpoint"),
    # a Session is for the eMSP of its cdr_token; a server may limit lists to what concerns the caller (advice)
    "visibility_ignored": E(
        warn=("routing.sessions-shown-to-their-emsp-only", "invoicereconciliation.sender-shows-own-records")
    ),
    # -- deviations that must cost one finding, not a cascade ----------------------------------------------------
    # Receivers refuse an object that leaves out an optional field (HTTP 422 without the envelope): the refusal of the
    # smallest conforming object is named once, and the run goes on with the fullest; the missing envelope on those
    # 422s is a second rule, judged where it lives.
    "optional_fields_required": E(
        fail=("transport.minimal-objects-accepted", "transport.envelope-error"), every_failure_mentions="HTTP 422"
    ),
    # single objects, AuthorizationInfo and CommandResponse in a one-element list: the shape is named once, every
    # other scenario reads the content and judges its own rule on it
    "data_wrapped_in_list": E(fail=("transport.data-shape",), every_failure_mentions="a list of 1"),
    # error answers to POST and PUT only without the envelope: judged by envelope-error, which now looks at every
    # method the run used; the scenarios whose refusal has no status_code to read stand aside naming it
    "write_errors_without_envelope": E(
        fail=("transport.envelope-error",),
        skip=("tokens.authorize-unknown-token", "transport.malformed-json"),
        every_failure_mentions="without the OCPI envelope",
    ),
    # one platform with a CPO and an eMSP party and no hub_party_id, answering each interface FROM the role that owns
    # it (declared as such in target.toml): conforming, so nothing may fail or warn
    "roles_per_interface": E(roles=("CPO", "EMSP")),
    # -- Invoice Reconciliation: the CPO identity issues records; the eMSP identity reads and receives them ----------
    "ir_put_merges_cdrs": E(fail=("invoicereconciliation.receiver-put-replaces-cdrs",)),
    # the record names no receiver: what a hub does with it is its own (no keyword), so these warn
    "ir_broadcast": E(warn=("invoicereconciliation.not-broadcast",)),
    "ir_served_to_all": E(warn=("invoicereconciliation.sender-shows-own-records",)),
    # -- Bookings: the CPO identity publishes and decides, the eMSP identity reads and books -------------------------
    # 1.0 names in what the Sender serves break the data model: judged once; the timeslot window stands aside
    "bookings_10_emitted": E(
        fail=("bookings.sender-booking-locations", "pagination.schema"),
        skip=("bookings.sender-timeslot-filter",),
    ),
    "timeslot_filter_ignored": E(fail=("bookings.sender-timeslot-filter",)),
    # refusing a 1.0 body rather than taking it as 1.1 is advice; a hub's routing of Bookings has no keyword
    "bookings_10_accepted": E(warn=("bookings.receiver-10-refused",), every_failure_mentions="1.0 fields"),
    "booking_broadcast": E(warn=("bookings.booking-not-broadcast",)),
    "booking_answer_not_kept": E(warn=("bookings.booking-answer-routed",)),
    "only_221": E(
        fail=("versions.list-offers-version",),
        rest_skipped_naming="versions.list-offers-version",
        every_failure_mentions="2.2.1",
    ),
}


def _run_against(
    hub_factory,
    tmp_path: Path,
    faults: tuple[str, ...] = (),
    *args: str,
    cwd: Path | None = None,
    roles: tuple[str, ...] = ("HUB",),
    versions: tuple[str, ...] | None = ("2.3.0",),
) -> HarnessRun:
    """The harness plays two parties against the hub: its primary eMSP identity and a CPO identity. The hub offers
    2.3.0 and 2.2.1; ``versions`` says which the run certifies (None: both, each in its own pass)."""
    name = "-".join((*faults, *(versions or ("all",)))) or "clean"
    hub = hub_factory(faults, name=name)
    target = write_target(
        tmp_path / name / "target.toml",
        hub,
        **two_identities(hub),
        roles=roles,
        versions=versions,
    )
    return run_harness(target, *args, cwd=cwd)


def _assert_evidence(run: HarnessRun, scenario_id: str, version: str = "2.3.0") -> None:
    """A failure or warning shows the exact request and response and the spec reference of the version judged."""
    s = run.scenario(scenario_id)
    assert s["findings"], f"{scenario_id} has no findings"
    for f in s["findings"]:
        assert f["spec"], f"{scenario_id}: finding without spec reference"
        assert f["exchanges"], f"{scenario_id}: finding without the exchange that shows it"
    assert "-- HTTP " in s["details"] or "no response" in s["details"], s["details"]
    assert f"spec:     OCPI {version}" in s["details"]


# Hub faults whose rule no scenario judges yet: the harness cannot catch them, and this list says so out loud.
# Each names the module scenarios that will; remove an entry when its expectation joins FAULTS above.
NOT_YET_CERTIFIED: dict[str, str] = {
    # -- asynchronous results: hub behaviour the spec leaves open (it never speaks of hubs in Commands or
    # ChargingProfiles); the result scenarios pass or stand aside on these, they never fail
    "response_url_not_substituted": "a hub design decision the spec does not state (modules.md 16.7 M-07): a hub "
    "may pass the requester's response_url through; the result scenarios then skip, saying the harness's CPO "
    "identity holds no credentials for its eMSP identity",
    "results_from_anyone": "a hub design decision the spec does not state: who may post to a hub's own "
    "response_url is not specified (the spec only says the CPO posts the result)",
    "result_repeat_accepted": "a hub design decision the spec does not state: a second result from the CPO is the "
    "CPO's breach, and a RESERVE_NOW legitimately gets two (ACCEPTED, then CANCELED_RESERVATION); the spec puts "
    "no duty on a hub to drop repeats",
    "result_timeout_ignored": "the spec only lets the requester stop waiting after the timeout, it puts no duty on "
    "a hub to refuse a late result; and judging it needs a wait beyond the hub's result grace (300 s)",
}


SAME_IN_221 = (
    "drop_total_count",
    "ignore_limit",
    "no_link_header",
    "accept_any_token",
    "crash_on_bad_json",
    "routing_headers_on_config",
    "trailing_slash_endpoints",
    "slashless_redirect",
    "sessions_date_from_required",
    "empty_link_last_page",
    "lowercase_cistrings",
    "null_optional_fields",
    "module_listed_twice",
    "cdr_no_location_header",
    "session_patch_replaces_periods",
    "no_routing_headers",
    "authorize_type_ignored",
    "correlation_id_dropped",
    "result_not_forwarded",
    "clientinfo_not_pushed",
    "link_not_rewritten",
    "patch_without_last_updated",
    "invalid_object_accepted",
    "last_updated_rewritten",
)
"""FAULTS rows whose rule is the same in 2.2.1: certified in a 2.2.1 pass too, with the same expectation (a sample
across pagination, transport, the Receivers, real-time authorization, hub routing, asynchronous results and
HubClientInfo; the others stay single-version to keep the suite's time). Not here because 2.2.1 has another rule:
``no_hub_party_id``, ``credentials_roles_hub_only`` (2.2.1's own way), ``roles_per_interface`` (a 2.3.0 reading of
roles without hub_party_id), ``reject_unknown_fields``, ``closed_enums``, ``strict_module_objects`` (2.2.1 obliges no
tolerance of unknown fields or values), ``offset_timestamps`` (the hub's 2.2.1 side refuses the ``+00:00`` objects
it stored itself, so the switch breaks far more there than the DateTime rule). The decoding switches
(``patch_without_last_updated``, ``invalid_object_accepted``) act at the hub's 2.2.1 door too, and
``last_updated_rewritten`` reaches a party of the sender's version (which otherwise gets the sender's own bytes)."""

FAULTS_221: dict[str, Expect] = {
    **{fault: FAULTS[fault] for fault in SAME_IN_221},
    # what 2.2.1 platforms get wrong where the rule changed between the versions: the 2.2.1 side only
    "v221_roles_listed": E(fail=("credentials.hub-role",)),
    "v221_hub_party_id": E(warn=("credentials.no-hub-party-id",)),
    # 2.3.0 Price fields are also fields 2.2.1 does not define
    "v221_price_230": E(fail=("pagination.schema",), warn=("pagination.v221-no-later-fields",)),
    "v221_tax_included": E(warn=("pagination.v221-no-later-fields",)),
    "v221_open_enum_values": E(fail=("pagination.schema",)),
    # a hub that offers only 2.2.1 is certified at 2.2.1, and conforms
    "only_221": E(),
}
"""What each fault trips in a 2.2.1 pass (``[run] versions = ["2.2.1"]``)."""

V221_ONLY = frozenset(f for f in FAULTS_221 if f.startswith("v221_"))
"""Switches that act on the hub's 2.2.1 side alone (the 2.3.0 pass is clean with them on)."""


def test_every_hub_fault_has_an_expectation() -> None:
    from reference_hub.settings import FAULTS as HUB_FAULTS

    assert not set(FAULTS) & set(NOT_YET_CERTIFIED), "a certified fault is still listed as not yet certified"
    assert set(FAULTS) | V221_ONLY | set(NOT_YET_CERTIFIED) == set(HUB_FAULTS)


def test_clean_hub_passes_every_scenario_from_another_directory(hub_factory, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = _run_against(hub_factory, tmp_path, cwd=elsewhere)
    outcomes = run.outcomes()
    assert run.returncode == 0, run.stdout
    assert len(outcomes) >= 40
    applicable = {i: o for i, o in outcomes.items() if i not in run.not_for_target()}  # CPO-only ones: not a hub's
    assert {o for o in applicable.values()} == {"pass"}, {i: o for i, o in applicable.items() if o != "pass"}
    assert "verdict: CONFORMANT" in run.stdout
    # every pass shows the answers it judged (one judging an earlier scenario's write shows that exchange)
    shown = {s["id"] for s in run.results["scenarios"] if s["outcome"] == "pass" and s["exchanges"]}
    assert set(applicable) - shown == set(), set(applicable) - shown
    # the four reports exist and agree
    junit = ET.parse(run.report_dir / "junit.xml").getroot()  # noqa: S314 - our own report
    assert junit.get("failures") == "0" and int(junit.get("tests")) == len(outcomes)
    cucumber = json.loads((run.report_dir / "cucumber.json").read_text())
    statuses = {st["result"]["status"] for f in cucumber for el in f["elements"] for st in el["steps"]}
    assert statuses == {"passed"}
    html = (run.report_dir / "report.html").read_text()
    assert "Conformant" in html and "Not conformant" not in html
    # the plan leads the report; verdicts are given per role played (both, as a hub) and per module interface
    aside = len(run.not_for_target())
    assert f"plan: {len(outcomes)} scenario(s): {len(outcomes) - aside} ran, {aside} skipped" in run.stdout
    assert html.index("<h2 id='plan'>Plan</h2>") < html.index("Verdict by role") < html.index("Summary by area")
    for line in ("as CPO and EMSP", "as CPO ", "as EMSP ", "locations RECEIVER", "tokens SENDER"):
        assert f"  {line}" in run.stdout, line
    # the registration scenario shows the callbacks the hub made before answering
    reg = run.scenario("credentials.registration-callback")
    assert any(e["direction"] == "inbound" for e in reg["exchanges"])
    # the harness played a CPO and an eMSP: what the CPO wrote reached the eMSP identity's peer through the hub
    for sid in ("sessions.receiver-put-get", "cdrs.receiver-post-location"):
        inbound = [e for e in run.scenario(sid)["exchanges"] if e["direction"] == "inbound"]
        assert any(e["method"] in ("PUT", "POST") for e in inbound), sid
    # and it left the hub as found: every object it created was retired at the end, and the report says so
    observations = " ".join(run.results["observations"])
    assert "clean-up as NL/CTC:" in observations and "clean-up as NL/CTH:" in observations, observations
    assert "clean-up refused" not in observations and "clean-up failed" not in observations, observations
    assert "REMOVED" in observations and "invalidated" in observations and "COMPLETED" in observations


def test_read_only_writes_nothing_and_says_so(hub_factory, tmp_path: Path) -> None:
    run = _run_against(hub_factory, tmp_path, (), "--read-only")
    assert run.returncode == 0, run.stdout
    assert not run.having("fail") and not run.having("warn")
    writers = {sid for sid, needs in NEEDS.items() if any(getattr(n, "writes", False) for n in needs)}
    writers |= {sid for sid, needs in NEEDS.items() if Need.DESTRUCTIVE in needs}
    writers -= run.not_for_target()
    assert writers and writers <= run.having("skip")
    for sid in writers:
        assert run.scenario(sid)["message"].startswith("read-only run: "), sid
    # no module object was written (the credentials handshake is how the harness gets a token at all; a real-time
    # authorization is a POST that asks, and changes nothing)
    writes = [
        (e["method"], e["url"])
        for s in run.results["scenarios"]
        for e in s["exchanges"]
        if e["direction"] == "outbound"
        and e["method"] != "GET"
        and "/credentials" not in e["url"]
        and "/authorize" not in e["url"]
    ]
    assert not writes, writes
    assert "locations.receiver-unknown-object-404" in run.having("pass")  # a GET: runs read-only


def test_plan_lists_what_would_run_and_why_without_writing(hub_factory, tmp_path: Path) -> None:
    hub = hub_factory((), name="plan")
    target = write_target(tmp_path / "plan" / "target.toml", hub, token_a=hub.invite())  # one identity: an eMSP
    proc = subprocess.run(
        [PYTHON, "-m", "conformance", "plan", str(target)], env=_env(), capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    lines = {line.split()[1]: line for line in proc.stdout.splitlines() if line.startswith(("RUN ", "SKIP"))}
    assert lines["tokens.receiver-put-get-by-type"].startswith("RUN ")
    assert "as EMSP writes to tokens RECEIVER" in lines["tokens.receiver-put-get-by-type"]
    assert (
        lines["locations.receiver-put-get"].startswith("SKIP")
        and "no CPO identity" in lines["locations.receiver-put-get"]
    )
    [endpoints] = [line for line in proc.stdout.splitlines() if line.startswith("endpoints: ")]
    assert "cdrs RECEIVER" in endpoints.removeprefix("endpoints: ").split(", ")
    # nothing was written: the token A the plan saw is still unused, so a run can register with it
    run = run_harness(target, "credentials.registration")
    assert run.having("pass") == {"credentials.registration"}, run.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("version", "fault"), [("2.3.0", f) for f in sorted(FAULTS)] + [("2.2.1", f) for f in sorted(FAULTS_221)]
)
def test_fault_is_named_precisely(hub_factory, tmp_path: Path, version: str, fault: str) -> None:
    expect = (FAULTS if version == "2.3.0" else FAULTS_221)[fault]
    run = _run_against(hub_factory, tmp_path, (fault,), roles=expect.roles, versions=(version,))
    assert run.results, run.stdout
    assert run.having("fail") == expect.fail, run.stdout
    assert run.having("warn") == expect.warn, run.stdout
    aside = run.not_for_target()
    if expect.roles != ("HUB",):
        aside |= {i for i in run.having("skip") if any(s in run.scenario(i)["message"] for s in ROLE_SKIPS)}
    if expect.rest_skipped_naming:
        skipped = run.having("skip") - aside
        assert skipped, run.stdout
        for sid in skipped:
            assert f"— see {expect.rest_skipped_naming}" in run.scenario(sid)["message"], (sid, run.stdout)
    else:
        assert run.having("skip") - aside == expect.skip, run.stdout
    assert run.returncode == (1 if expect.fail else 0), run.stdout
    for sid in expect.fail | expect.warn:
        _assert_evidence(run, sid, version)
    for sid in expect.fail:
        assert f"FAIL {sid}" in run.stdout
    for sid in expect.skip:
        # a knock-on skip names the scenario that owns its cause, and that scenario failed or warned in this run
        message = run.scenario(sid)["message"]
        owners = expect.fail | expect.warn
        assert any(f"— see {o}" in message for o in owners), (sid, message)
    if expect.every_failure_mentions:
        for sid in expect.fail | expect.warn:
            assert expect.every_failure_mentions in run.scenario(sid)["details"], sid


def test_each_identity_can_be_reached_at_its_own_public_url(hub_factory, tmp_path: Path) -> None:
    """The second identity's peer listens on the port and is called at the URL its [[identities]] table gives."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    hub = hub_factory((), name="public-url")
    target = write_target(tmp_path / "public-url" / "target.toml", hub, **two_identities(hub))
    text = target.read_text().replace(
        'role = "CPO"\n', f'role = "CPO"\npeer_port = {port}\npeer_public_url = "http://localhost:{port}"\n'
    )
    target.write_text(text)
    run = run_harness(target, "locations.receiver-put-get")
    assert run.having("pass") == {"locations.receiver-put-get"}, run.stdout
    inbound = [e["url"] for s in run.results["scenarios"] for e in s["exchanges"] if e["direction"] == "inbound"]
    assert any(u.startswith(f"http://localhost:{port}/") for u in inbound), inbound  # the CPO's registration callbacks


@pytest.mark.parametrize("broadcast", [True, False], ids=["broadcast", "no-broadcast"])
def test_no_broadcast_keeps_the_harness_objects_from_other_parties(
    hub_factory, tmp_path: Path, broadcast: bool
) -> None:
    """A real eMSP party connected to the hub sees the harness's Locations, Tariffs and Tokens when the harness writes
    them to the hub itself, and nothing of them with --no-broadcast (each is addressed to the harness's other
    identity); only the scenarios that judge broadcasts stand aside, saying why."""
    import httpx

    from tests.e2e.test_objects import register
    from tests.support.processes import PartyProcess

    hub = hub_factory((), name=f"broadcast-{broadcast}")
    bystander = PartyProcess("DE", "BYS", "--role", "EMSP").start()
    try:
        register(hub, bystander)
        target = write_target(tmp_path / f"broadcast-{broadcast}" / "target.toml", hub, **two_identities(hub))
        run = run_harness(target, *(() if broadcast else ("--no-broadcast",)))
        got = httpx.get(f"{bystander.base_url}/control/received", timeout=10).json()
    finally:
        bystander.stop()
    harness_objects = [r for r in got if "/NL/CTC/CT" in r["path"] or "/NL/CTH/CT" in r["path"]]
    assert not run.having("fail") and not run.having("warn"), run.stdout
    skipped = run.having("skip") - run.not_for_target()
    if broadcast:
        assert harness_objects, "with broadcasts on, the bystander must receive the harness's Locations"
        assert not skipped, run.stdout
    else:
        assert harness_objects == [], [r["path"] for r in harness_objects]
        assert skipped == {
            "routing.broadcast-delivered",
            "routing.last-updated-untouched",
            "routing.broadcast-not-echoed",
        }, run.stdout
        for sid in skipped:
            assert run.scenario(sid)["message"].startswith("no-broadcast run: "), sid


def test_a_second_emsp_identity_is_the_other_emsp_of_the_visibility_scenario(hub_factory, tmp_path: Path) -> None:
    """With a second eMSP identity in target.toml the CPO identity writes its Session for that party (one the hub
    surely delivers to) instead of inventing one: the clean hub passes, visibility_ignored warns."""
    for faults, outcome in (((), "pass"), (("visibility_ignored",), "warn")):
        name = "third-" + ("-".join(faults) or "clean")
        hub = hub_factory(faults, name=name)
        third = ["[[identities]]", 'country_code = "NL"', 'party_id = "CTE"', 'role = "EMSP"']
        third.append(f'token_a = "{hub.invite()}"')
        target = write_target(
            tmp_path / name / "target.toml",
            hub,
            token_a=hub.invite(),
            cpo_token_a=hub.invite(),
            extra="\n".join(third),
        )
        run = run_harness(target, "routing.sessions-shown-to-their-emsp-only")
        s = run.scenario("routing.sessions-shown-to-their-emsp-only")
        assert s["outcome"] == outcome, run.stdout
        assert any("for NL/CTE" in n for n in s["notes"]), s["notes"]
        if outcome == "warn":
            assert "cdr_token NL/CTE" in s["message"], s["message"]


def test_strict_mode_turns_a_should_warning_into_a_failure(hub_factory, tmp_path: Path) -> None:
    run = _run_against(hub_factory, tmp_path, ("old_token_survives",), "--strict")
    assert run.having("fail") == {"credentials.old-token-retired"}
    assert run.returncode == 1


def test_selection_by_id_prefix_runs_only_those_scenarios(hub_factory, tmp_path: Path) -> None:
    run = _run_against(hub_factory, tmp_path, (), "pagination.", "transport.raw-token")
    ids = set(run.outcomes())
    assert ids == {i for i in ids if i.startswith("pagination.")} | {"transport.raw-token"}
    assert "transport.raw-token" in ids and len(ids) == 11
    assert run.returncode == 0
    assert run.scenario("transport.raw-token")["notes"]


def test_existing_token_c_skips_what_needs_token_a_and_changes_nothing(hub_factory, tmp_path: Path) -> None:
    hub = hub_factory((), name="token-c")
    # a token C belongs to one party: the harness speaks as that party (the hub's seed gives AA/000 the first token)
    target = write_target(
        tmp_path / "token-c" / "target.toml", hub, token=hub.seeded_tokens[0], party=("AA", "000", "CPO")
    )
    run = run_harness(target)
    skipped = run.having("skip")
    assert run.returncode == 0, run.stdout
    assert not run.having("fail") and not run.having("warn")
    for sid in (
        "credentials.registration",
        "credentials.registration-callback",
        "credentials.token-a-retired",
        "credentials.put-rotation",
        "credentials.delete",
        "transport.token-a-scope",
        "transport.unknown-fields-accepted",
    ):
        assert sid in skipped, sid
    reasons = {run.scenario(s)["message"] for s in skipped}
    assert all(reasons), "every skip says why"
    # the token still works: the harness neither rotated nor deleted it
    assert "credentials.get" in run.having("pass")


def _fuzz(target: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m conformance fuzz target.toml ARGS`` as a user runs it, in its own process, bounded in time."""
    return subprocess.run(
        [PYTHON, "-m", "conformance", "fuzz", str(target), *args],
        env=_env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize("version", ["2.3.0", "2.2.1"])
def test_bounded_fuzz_run_finds_no_failure_on_the_clean_hub(hub_factory, tmp_path: Path, version: str) -> None:
    """Each version fuzzed from its own description (``fuzz --version``)."""
    hub = hub_factory((), name=f"fuzz-{version}")
    target = write_target(tmp_path / f"fuzz-{version}" / "target.toml", hub, token_a=hub.invite())
    junit = tmp_path / f"fuzz-{version}" / "fuzz-junit.xml"
    args = ("--max-examples", "15", "--seed", "1", "--junit", str(junit), "--version", version)
    proc = _fuzz(target, *args, cwd=tmp_path)
    out = proc.stdout + proc.stderr
    root = ET.parse(junit).getroot()  # noqa: S314 - our own report
    cases = root.findall(".//testcase")
    names = {c.get("name") for c in cases}
    assert names >= {
        "GET /ocpi/versions",
        f"GET /ocpi/{version}",
        f"GET /ocpi/{version}/credentials",
        f"GET /ocpi/{version}/sender/hubclientinfo",
    }, sorted(n for n in names if n)[:20]
    other = "2.2.1" if version == "2.3.0" else "2.3.0"
    assert not [n for n in names if n and f"/ocpi/{other}" in n]  # the other version's operations are not fuzzed
    assert root.get("errors") == "0", out
    failures = [f"{c.get('name')}: {(f.text or '')[:400]}" for c in cases for f in c.findall("failure")]
    assert not failures, "\n\n".join(failures)
    assert proc.returncode == 0, out


def test_fuzz_writes_only_with_allow_writes_and_only_as_the_harness(hub_factory, tmp_path: Path) -> None:
    """--allow-writes adds the PUT/PATCH of the Receiver the harness's eMSP identity owns objects on (tokens), pinned
    to its own party id: the clean hub passes, takes generated Tokens, and every object it holds is the harness's."""
    import sqlite3

    hub = hub_factory((), name="fuzz-writes")
    target = write_target(tmp_path / "fuzz-writes" / "target.toml", hub, token_a=hub.invite())
    proc = _fuzz(target, "--max-examples", "5", "--seed", "1", "--allow-writes", cwd=tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "PUT /ocpi/2.3.0/receiver/tokens/{country_code}/{party_id}/{token_uid}" in out
    assert "PATCH /ocpi/2.3.0/receiver/tokens/{country_code}/{party_id}/{token_uid}" in out
    assert "PUT /ocpi/2.3.0/receiver/locations" not in out  # an eMSP owns no Locations
    har = json.loads((target.parent / "report" / "fuzz-exchanges.har").read_text())
    writes = [e for e in har["log"]["entries"] if e["request"]["method"] in ("PUT", "PATCH")]
    accepted = [e for e in writes if '"status_code":1000' in e["response"]["content"].get("text", "").replace(" ", "")]
    assert accepted, "no generated Token was taken: the fuzz tested refusals only"
    for e in writes:
        assert "/receiver/tokens/NL/CTH/" in e["request"]["url"], e["request"]["url"]
    auth = [h["value"] for e in har["log"]["entries"] for h in e["request"]["headers"] if h["name"] == "Authorization"]
    assert auth and set(auth) == {"[Filtered]"}, set(auth)  # the HAR holds no token
    with sqlite3.connect(hub.db_path) as db:
        owners = {row[0] for row in db.execute("SELECT DISTINCT owner FROM objects")}
    assert owners == {"NL/CTH"}, owners  # the hub names an owner CC/PID


def test_fuzz_reports_the_ocpi_checks_on_a_faulty_hub(hub_factory, tmp_path: Path) -> None:
    hub = hub_factory(("no_request_id_echo",), name="fuzz-fault")
    target = write_target(tmp_path / "fuzz-fault" / "target.toml", hub, token_a=hub.invite())
    proc = _fuzz(target, "--max-examples", "5", "--seed", "1", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout[-2000:]  # a check failed (the exit-code table's 1)
    assert "ocpi_request_id_echo" in proc.stdout


def test_fuzz_counts_a_redirect_once_and_never_follows_it(hub_factory, tmp_path: Path) -> None:
    """The advertised URLs redirect: each redirecting response is one finding (ocpi_not_redirected), not one per rule
    its empty body breaks, and not schemathesis' undocumented-status finding on top."""
    hub = hub_factory(("slashless_redirect",), name="fuzz-redirect")
    target = write_target(
        tmp_path / "fuzz-redirect" / "target.toml", hub, token=hub.seeded_tokens[0], party=("AA", "000", "CPO")
    )
    proc = _fuzz(target, "--max-examples", "3", "--seed", "1", cwd=tmp_path)
    assert proc.returncode != 0
    summary = proc.stdout.split("SUMMARY", 1)[1]
    failures = [line.strip() for line in summary.splitlines() if line.strip().startswith("❌ ST")]
    assert len(failures) == 1 and "ocpi_not_redirected" in failures[0], summary
    assert "HTTP 307 to" in proc.stdout


# Scenarios that need nothing but token A (or no token): they must run even when the registration fails.
TOKEN_A_ONLY = (
    "versions.list-offers-version",
    "versions.details-endpoints",
    "versions.module-listed-once",
    "versions.schema",
    "transport.no-redirects",
    "transport.envelope-success",
    "transport.envelope-error",
    "transport.timestamp-format",
    "transport.request-id-echo",
    "transport.correlation-id-echo",
    "transport.no-routing-headers-on-configuration",
    "transport.success-is-1000",
    "transport.base64-token",
    "transport.raw-token",
    "transport.missing-token",
    "transport.unknown-token",
    "transport.refusal-is-not-success",
    "transport.token-a-scope",
    "credentials.put-before-registration-405",
    "credentials.delete-before-registration-405",
)


def test_without_registration_everything_token_a_allows_still_runs(hub_factory, tmp_path: Path) -> None:
    """The target cannot reach the harness (its callback fails, it answers 3001): the registration fails once, every
    scenario that needs only token A passes, everything that needs a registration is skipped naming it."""
    hub = hub_factory((), name="no-callback-route")
    target = write_target(
        hub.db_path.parent / "target.toml",
        hub,
        token_a=hub.invite(),
        peer_public_url="http://127.0.0.1:9/unreachable",
    )
    run = run_harness(target)
    assert run.having("fail") == {"credentials.registration"}, run.stdout
    assert "3001" in run.scenario("credentials.registration")["message"]
    assert set(TOKEN_A_ONLY) <= run.having("pass"), run.stdout
    for sid in run.having("skip") - run.not_for_target():
        message = run.scenario(sid)["message"]
        # (one identity, an eMSP: what only a CPO writes is skipped for that reason, from target.toml alone)
        assert "— see credentials.registration" in message or "gives no CPO identity" in message, (sid, run.stdout)
    assert run.returncode == 1
    # the token-A runs say what they could not ask for, and what they did check
    envelope = run.scenario("transport.envelope-success")
    assert any("token A only" in n for n in envelope["notes"]), envelope["notes"]
    assert any(n.startswith("checked: ") for n in envelope["notes"]), envelope["notes"]


def test_only_221_fails_at_the_top_and_judges_nothing_else(hub_factory, tmp_path: Path) -> None:
    hub = hub_factory(("only_221",), name="only-221-token-c")
    target = write_target(
        hub.db_path.parent / "target.toml", hub, token=hub.seeded_tokens[0], party=("AA", "000", "CPO")
    )
    run = run_harness(target)
    assert run.returncode == 1, run.stdout
    assert run.having("fail") == {"versions.list-offers-version"}
    # the root causes lead the report: first line after the target, naming the versions offered
    lines = run.stdout.split("OCPI 2.3.0 conformance", 1)[1].splitlines()
    first_cause = next(
        i for i, line in enumerate(lines) if line.strip().startswith("FAIL versions.list-offers-version")
    )
    first_area = next(i for i, line in enumerate(lines) if "scenarios:" in line)
    assert first_cause < first_area and "2.2.1" in lines[first_cause] and "explains" in lines[first_cause]
    html = (run.report_dir / "report.html").read_text()
    assert html.index("Root causes") < html.index("Summary by area")


def test_nothing_judged_is_a_non_zero_exit_with_its_reason(hub_factory, tmp_path: Path) -> None:
    hub = hub_factory((), name="nothing-judged")
    target = write_target(
        hub.db_path.parent / "target.toml", hub, token=hub.seeded_tokens[0], party=("AA", "000", "CPO")
    )
    # with a configured token C, the token-A scenarios have nothing to judge
    run = run_harness(target, "credentials.registration", "credentials.put-before-registration-405")
    assert set(run.outcomes().values()) == {"skip"}
    assert run.returncode == 3, run.stdout
    assert "NOTHING JUDGED — every scenario was skipped" in run.stdout


def test_fuzz_uses_trailing_slash_urls_as_advertised(hub_factory, tmp_path: Path) -> None:
    """Endpoints advertised with a trailing slash are fuzzed at exactly those URLs, and pass."""
    hub = hub_factory(("trailing_slash_endpoints",), name="fuzz-slash")
    target = write_target(
        tmp_path / "fuzz-slash" / "target.toml", hub, token=hub.seeded_tokens[0], party=("AA", "000", "CPO")
    )
    proc = _fuzz(target, "--max-examples", "3", "--seed", "1", cwd=tmp_path)
    assert "GET /ocpi/2.3.0/credentials/" in proc.stdout and "GET /ocpi/2.3.0/sender/tokens/" in proc.stdout
    assert "GET /ocpi/2.3.0/credentials\n" not in proc.stdout
    assert proc.returncode == 0, proc.stdout[-3000:]


# -- the hub certified in each role: the harness plays one party only, the opposite one --------------------------------
ROLE_RUNS = {
    # the target declared as a CPO: the harness is one eMSP
    "CPO": {"party": ("NL", "CTH", "EMSP")},
    # the target declared as an eMSP: the harness is one CPO
    "EMSP": {"party": ("NL", "CTC", "CPO")},
}
ROLE_SKIPS = (
    "written for ",
    "target.toml gives no ",
    "target.toml gives the harness one identity",
    "against a hub the harness needs an eMSP identity of its own",
    "(0 listed)",
    "the harness has no such session at a CPO target",
    "the harness knows no Location of the target",
    "the harness could build no command for this target",
)
"""Why a scenario may stand aside when the hub is certified with one identity: what target.toml leaves out, or data
only another party could have put there (no eMSP pushed a token for a lone CPO to authorize, no CPO a Location)."""


def _role_run(hub_factory, tmp_path: Path, role: str, faults: tuple[str, ...] = ()) -> HarnessRun:
    hub = hub_factory(faults, name=f"{role}-{'-'.join(faults) or 'clean'}")
    target = write_target(
        tmp_path / f"{role}-{'-'.join(faults) or 'clean'}" / "target.toml",
        hub,
        token_a=hub.invite(),
        roles=(role,),
        **ROLE_RUNS[role],
    )
    return run_harness(target)


@pytest.mark.parametrize("role", sorted(ROLE_RUNS))
def test_clean_hub_passes_in_each_role(hub_factory, tmp_path: Path, role: str) -> None:
    """Certified as a CPO (the harness an eMSP) or as an eMSP (the harness a CPO), the hub passes all that applies;
    every scenario that stands aside says it needs what a one-identity target file does not give."""
    run = _role_run(hub_factory, tmp_path, role)
    assert run.returncode == 0, run.stdout
    assert not run.having("fail") and not run.having("warn"), run.stdout
    for sid in run.having("skip"):
        message = run.scenario(sid)["message"]
        assert any(s in message for s in ROLE_SKIPS), (sid, message)
    played = {i.split(":", 1)[0] for s in run.results["scenarios"] for i in s["interfaces"] if s["outcome"] == "pass"}
    harness_role = ROLE_RUNS[role]["party"][2]
    assert played == {f"as {harness_role}"}, played
    by_role = run.stdout.split("verdicts by role the harness played:", 1)[1].split("verdicts by interface:", 1)[0]
    line = next(li for li in by_role.splitlines() if li.strip().startswith(f"as {harness_role} "))
    assert line.rstrip().endswith("PASS") and " 0 fail, 0 warn" in line, by_role


NOT_FOR_A_HUB: dict[str, Expect] = {
    # the hub certified as a CPO answers the CPO-only scenarios too: a refusal turned into 1000 reaches the SHOULD
    # one about unknown locations
    "error_as_success": E(warn=("commands.unknown-location-2003",)),
    # the hub certified as an eMSP keeps an invoice reconciliation record addressed to it and answers the POST itself
    # (in the HUB run the record goes on to the harness's eMSP identity, whose own 1000 is relayed)
    "wrong_status_code": E(fail=("invoicereconciliation.receiver-post-get",)),
}
"""What a fault trips, besides its FAULTS entry, in a one-role run: in scenarios written for a CPO target (not run
in the HUB run), or where the hub answers as the addressed party what it relays in the HUB run."""

ROLE_FAULTS = (
    "patch_without_last_updated",  # tokens (harness as eMSP) and locations (harness as CPO)
    "parent_not_bumped",  # locations only: nothing to judge with the harness as an eMSP
    "error_as_success",
    "wrong_status_code",
    "unknown_object_200",
)


@pytest.mark.slow
@pytest.mark.parametrize("role", sorted(ROLE_RUNS))
@pytest.mark.parametrize("fault", ROLE_FAULTS)
def test_fault_is_named_precisely_in_each_role(hub_factory, tmp_path: Path, role: str, fault: str) -> None:
    """A fault trips, in a one-role run, exactly the scenarios it trips in the hub run that this role runs at all
    (and nothing where that role has nothing to judge: no false alarm from the missing identity)."""
    run = _role_run(hub_factory, tmp_path, role, (fault,))
    expect, extra = FAULTS[fault], NOT_FOR_A_HUB.get(fault, E())
    judged_here = run.having("pass") | run.having("fail") | run.having("warn")
    assert run.having("fail") == (expect.fail | extra.fail) & judged_here, run.stdout
    assert run.having("warn") == (expect.warn | extra.warn) & judged_here, run.stdout
    assert run.returncode == (1 if run.having("fail") else 0), run.stdout
    for sid in run.having("skip"):
        message = run.scenario(sid)["message"]
        assert any(s in message for s in ROLE_SKIPS) or "— see " in message, (sid, message)


# -- the same verdict on every run ---------------------------------------------------------------------------------


def _comparable(run: HarnessRun) -> dict[str, tuple[str, str]]:
    """Each scenario's outcome and, for a skip, its reason without the run's own ids and counts."""
    import re

    def plain(message: str) -> str:
        return re.sub(r"CT[0-9A-F]{6}\w*|\d+", "#", message)

    return {
        s["id"]: (s["outcome"], plain(s["message"]) if s["outcome"] == "skip" else "") for s in run.results["scenarios"]
    }


@pytest.mark.slow
def test_three_runs_against_one_hub_store_give_the_same_outcomes(hub_factory, tmp_path: Path) -> None:
    """Each run writes under fresh ids and creates the objects it needs in the state it needs (a token that is not
    valid, ...): what earlier runs left on the store never decides a verdict, nor a note about the target."""
    hub = hub_factory((), name="three-runs")
    runs = []
    for i in range(3):
        (tmp_path / f"run{i}").mkdir()
        target = write_target(tmp_path / f"run{i}" / "target.toml", hub, **two_identities(hub))
        runs.append(run_harness(target))
    first = _comparable(runs[0])
    assert runs[0].returncode == 0 and not runs[0].having("fail"), runs[0].stdout
    for run in runs[1:]:
        assert run.returncode == runs[0].returncode, run.stdout
        assert _comparable(run) == first, {k: v for k, v in _comparable(run).items() if first.get(k) != v}
        for sid in ("transport.raw-token", "credentials.callback-token-encoding"):
            assert run.scenario(sid)["notes"][:1] == runs[0].scenario(sid)["notes"][:1], sid


@pytest.mark.slow
def test_a_run_after_a_killed_run_gives_the_same_outcomes(hub_factory, tmp_path: Path) -> None:
    """A run killed half-way (SIGKILL: no clean-up at all) leaves its identities registered and its objects behind;
    the journal beside the target file lets the next run finish that run first, so its verdict is a fresh store's."""
    import os
    import signal
    import time

    hub = hub_factory((), name="killed")
    (tmp_path / "t").mkdir()
    target = write_target(tmp_path / "t" / "target.toml", hub, **two_identities(hub))
    reference = run_harness(target)
    target = write_target(tmp_path / "t" / "target.toml", hub, **two_identities(hub))
    journal = tmp_path / "t" / ".target.toml.ocpi-state.json"
    proc = subprocess.Popen(
        [PYTHON, "-m", "conformance", "run", str(target)],
        env=_env(),
        cwd=tmp_path / "t",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # killed once both identities are registered and objects were written
            doc = json.loads(journal.read_text()) if journal.exists() else {}
            owed = [u for e in doc.get("identities", {}).values() for u in e.get("undo", [])]
            if len(doc.get("identities", {})) == 2 and len(owed) >= 3:
                break
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert journal.exists() and oct(journal.stat().st_mode & 0o777) == "0o600"
    target = write_target(tmp_path / "t" / "target.toml", hub, **two_identities(hub))
    after = run_harness(target)
    assert _comparable(after) == _comparable(reference), after.stdout
    assert after.returncode == reference.returncode == 0
    finished = " ".join(after.results["observations"])
    assert "an earlier run against this target was interrupted; finished first" in finished
    assert "NL/CTC (CPO): " in finished and "unregistered" in finished, finished
    assert not journal.exists()


# -- only the target's own faults, each judged once, where it lives ---------------------------------------------------


def _steps(run: HarnessRun, sid: str) -> list[tuple[str, str]]:
    return [(f"{st['keyword']} {st['text']}", st["status"]) for st in run.scenario(sid)["steps"]]


def test_a_refused_write_stops_its_scenario_and_knock_ons_name_its_owner(hub_factory, tmp_path: Path) -> None:
    """Every success carries 2000, so the Location PUT a scenario needs is not accepted: the basic scenario's finding
    is that step and its answer, nothing after it runs, and the scenarios that needed the PUT name that scenario."""
    run = _run_against(
        hub_factory,
        tmp_path,
        ("wrong_status_code",),
        "locations.receiver-put-get",
        "locations.receiver-patch-needs-last-updated",
    )
    assert run.scenario("locations.receiver-put-get")["outcome"] == "fail"
    steps = _steps(run, "locations.receiver-put-get")
    assert [status for _, status in steps] == ["passed", "failed", "skipped", "skipped"], steps
    assert "the PUT of a new Location was not accepted" in run.scenario("locations.receiver-put-get")["message"]
    patch = run.scenario("locations.receiver-patch-needs-last-updated")
    assert patch["outcome"] == "skip" and patch["message"].endswith("— see locations.receiver-put-get"), patch
    assert [status for _, status in _steps(run, "locations.receiver-patch-needs-last-updated")][1:] == ["skipped"] * 3
    assert not [e for e in patch["exchanges"] if e["method"] == "PATCH"], "a step after the refused one was run"


def test_objects_for_other_rules_are_the_form_the_target_takes(hub_factory, tmp_path: Path) -> None:
    """A Receiver that insists on every optional field AND takes Tariffs under any party: the refusal of the smallest
    objects is named once, and the foreign-party scenario sends a Tariff the target takes except for its owner, so it
    catches the second fault instead of passing on a 422 about missing fields."""
    hub = hub_factory(("optional_fields_required", "wrong_owner_accepted"), name="forms")
    target = write_target(tmp_path / "forms" / "target.toml", hub, **two_identities(hub))
    run = run_harness(target, "tariffs.", "locations.receiver-put-get", "transport.minimal-objects-accepted")
    assert run.having("fail") == {"transport.minimal-objects-accepted"}, run.stdout
    assert run.having("warn") == {"tariffs.receiver-foreign-party-refused"}, run.stdout
    assert run.having("pass") == {"tariffs.receiver-put-get-delete", "locations.receiver-put-get"}, run.stdout
    put_get = run.scenario("locations.receiver-put-get")
    assert any("took it with every optional field present" in n for n in put_get["notes"]), put_get["notes"]
    minimal = run.scenario("transport.minimal-objects-accepted")
    assert "locations" in minimal["message"] and "tariffs" in minimal["message"], minimal["message"]


def test_each_answer_shape_is_judged_once_and_content_read_elsewhere(hub_factory, tmp_path: Path) -> None:
    """Single objects, AuthorizationInfo and CommandResponse come in a one-element list: transport.data-shape names
    it; the scenarios about the token type, the blocked token and the location read the content and pass."""
    run = _run_against(
        hub_factory,
        tmp_path,
        ("data_wrapped_in_list",),
        "tokens.authorize-by-type",
        "tokens.authorize-blocked-token",
        "tokens.authorize-known-token",
        "locations.sender-single-objects",
        "locations.receiver-put-get",
        "transport.data-shape",
    )
    assert run.having("fail") == {"transport.data-shape"}, run.stdout
    for sid in ("tokens.authorize-by-type", "tokens.authorize-blocked-token", "tokens.authorize-known-token"):
        s = run.scenario(sid)
        assert s["outcome"] == "pass", (sid, s["message"])
        assert any("data_read_from_a_one_element_list" in n for n in s["notes"] if n.startswith("checked: ")), sid
    shape = run.scenario("transport.data-shape")
    assert "POST tokens SENDER/{token_uid}/authorize" in shape["details"], shape["details"][:2000]


def test_error_answers_of_every_method_are_judged_for_the_envelope(hub_factory, tmp_path: Path) -> None:
    """Error answers to POST and PUT lack the envelope, GET ones have it: envelope-error judges the authorization
    POST another scenario made, and that scenario's skip names it."""
    run = _run_against(
        hub_factory,
        tmp_path,
        ("write_errors_without_envelope",),
        "tokens.authorize-unknown-token",
        "transport.envelope-error",
    )
    assert run.having("fail") == {"transport.envelope-error"}, run.stdout
    assert "POST tokens SENDER (HTTP 404)" in run.scenario("transport.envelope-error")["details"]
    unknown = run.scenario("tokens.authorize-unknown-token")
    assert unknown["outcome"] == "skip" and unknown["message"].endswith("— see transport.envelope-error")


def test_the_405_scenarios_send_the_body_the_target_takes(hub_factory, tmp_path: Path) -> None:
    """The hub validates Credentials bodies before its 405 rules and refuses one without a website: the minimal body
    would get a 422 where the rule says 405 (proved first), so the 405 scenarios send the body the target takes."""
    import httpx

    hub = hub_factory(("validation_422",), name="body-405")
    token_a = hub.invite()
    details = httpx.get(f"{hub.base_url}/ocpi/2.3.0", headers={"Authorization": f"Token {token_a}"}, timeout=10)
    url = next(e["url"] for e in details.json()["data"]["endpoints"] if e["identifier"] == "credentials")
    minimal = {
        "token": "x" * 20,
        "url": "http://127.0.0.1:9/versions",
        "roles": [{"role": "EMSP", "business_details": {"name": "n"}, "party_id": "ABC", "country_code": "NL"}],
    }
    refused = httpx.put(url, json=minimal, headers={"Authorization": f"Token {token_a}"}, timeout=10)
    assert refused.status_code == 422, refused.text
    target = write_target(tmp_path / "body-405" / "target.toml", hub, token_a=hub.invite())
    run = run_harness(target, "credentials.")
    for sid in ("credentials.put-before-registration-405", "credentials.post-when-registered-405"):
        s = run.scenario(sid)
        assert s["outcome"] == "pass", (sid, s["message"])
        sent = [e for e in s["exchanges"] if e["method"] in ("PUT", "POST") and e["direction"] == "outbound"]
        assert sent and all('"website"' in (e["request_body"] or "") for e in sent), sid
    assert run.having("fail") == {"credentials.minimal-body-accepted"}, run.stdout


def test_a_platform_with_several_roles_is_addressed_per_interface(hub_factory, tmp_path: Path) -> None:
    """The hub as one platform with a CPO party (NL/HUB) and an eMSP party (NL/HUE), answering each interface as the
    role that owns it: every request names that role's party in OCPI-to-*, and every answer comes FROM it."""
    run = _run_against(
        hub_factory,
        tmp_path,
        ("roles_per_interface",),
        "transport.routing-headers-on-functional-modules",
        "locations.receiver-put-get",
        "tokens.receiver-put-get-by-type",
        "pagination.schema",
        roles=("CPO", "EMSP"),
    )
    assert not run.having("fail") and not run.having("warn"), run.stdout
    owner = {("receiver", "locations"): "HUE", ("sender", "tokens"): "HUE", ("sender", "locations"): "HUB"}
    owner[("receiver", "tokens")] = "HUB"
    seen = set()
    for s in run.results["scenarios"]:
        for e in s["exchanges"]:
            parts = e["url"].split("?")[0].split("/")
            key = (parts[5], parts[6]) if len(parts) > 6 and e["direction"] == "outbound" else None
            if key not in owner:
                continue
            sent = dict((k.lower(), v) for k, v in e["request_headers"])
            got = dict((k.lower(), v) for k, v in e["response_headers"])
            assert sent.get("ocpi-to-party-id") == owner[key], (e["method"], e["url"], sent)
            if 200 <= (e["status"] or 0) < 300:
                assert got.get("ocpi-from-party-id") == owner[key], (e["method"], e["url"], got)
            seen.add(key)
    assert seen == set(owner), seen
