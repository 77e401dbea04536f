"""Unit tests of conformance/checks with hand-made exchanges: each check fires on its violation only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.checks import CHECKS, check, run_check
from conformance.checks._registry import judged_count, judged_since
from conformance.checks.datetime import format_ocpi_datetime, is_ocpi_datetime, parse_ocpi_datetime
from conformance.checks.pagination import next_link
from conformance.model import Blocked, Exchange, Finding, Level, Outcome, outcome_for_failure
from conformance.oracle import get_oracle

GOOD_TS = "2025-02-21T10:00:00Z"


def ex(
    status: int | None = 200,
    body: Any = None,
    *,
    headers: list[tuple[str, str]] | None = None,
    req_headers: list[tuple[str, str]] | None = None,
    raw: str | None = None,
    error: str | None = None,
) -> Exchange:
    if body is None and raw is None and status is not None:
        body = {"status_code": 1000, "timestamp": GOOD_TS, "data": []}
    return Exchange(
        direction="outbound",
        method="GET",
        url="http://127.0.0.1:9/ocpi/versions",
        request_headers=req_headers or [],
        status=status,
        response_headers=headers if headers is not None else [("Content-Type", "application/json")],
        response_body=raw if raw is not None else (json.dumps(body) if body is not None else None),
        error=error,
    )


def fires(name: str, exchange: Exchange, **kw: Any) -> Finding:
    with pytest.raises(Finding) as info:
        run_check(name, exchange, **kw)
    finding = info.value
    assert finding.check == name
    assert finding.spec == CHECKS[name].spec
    assert finding.exchanges == [exchange]
    return finding


def silent(name: str, exchange: Exchange, **kw: Any) -> Any:
    return run_check(name, exchange, **kw)


# -- envelope -------------------------------------------------------------------------------------


def test_envelope_accepts_a_minimal_error_envelope() -> None:
    silent("envelope", ex(401, {"status_code": 2000, "timestamp": GOOD_TS}))
    silent("envelope", ex(200, {"status_code": 1000, "status_message": None, "timestamp": GOOD_TS, "data": {}}))


@pytest.mark.parametrize(
    ("body", "raw", "words"),
    [
        (None, "<html>Internal Server Error</html>", "not JSON"),
        ([1, 2], None, "not a JSON object"),
        ({"timestamp": GOOD_TS}, None, "no status_code"),
        ({"status_code": "1000", "timestamp": GOOD_TS}, None, "not an integer"),
        ({"status_code": True, "timestamp": GOOD_TS}, None, "not an integer"),
        ({"status_code": 200, "timestamp": GOOD_TS}, None, "not an OCPI status code"),
        ({"status_code": 10000, "timestamp": GOOD_TS}, None, "not an OCPI status code"),
        ({"status_code": 1000}, None, "no timestamp"),
        ({"status_code": 1000, "timestamp": GOOD_TS, "status_message": 5}, None, "status_message"),
    ],
)
def test_envelope_fires_on_each_broken_field(body: Any, raw: str | None, words: str) -> None:
    assert words in fires("envelope", ex(200, body, raw=raw)).message


def test_no_response_is_not_judged_never_a_finding() -> None:
    """A request that got no answer at all (refused connection, DNS, TLS, timeout) tells nothing about the target."""
    from conformance.model import NotJudged

    for name in ("envelope", "not_redirected"):
        with pytest.raises(NotJudged, match="connection refused"):
            run_check(name, ex(None, error="ConnectError: [Errno 111] Connection refused"))


def test_json_content_type() -> None:
    silent("json_content_type", ex(headers=[("content-type", "application/json; charset=utf-8")]))
    fires("json_content_type", ex(headers=[("content-type", "text/plain")]))


def test_success_requires_2xx_and_1xxx_and_the_data_shape() -> None:
    silent("success", ex(200, {"status_code": 1000, "timestamp": GOOD_TS, "data": []}), data="list")
    silent("success", ex(201, {"status_code": 1000, "timestamp": GOOD_TS, "data": {}}), data="object")
    assert "status_code 2000" in fires("success", ex(200, {"status_code": 2000, "timestamp": GOOD_TS})).actual
    fires("success", ex(401, {"status_code": 1000, "timestamp": GOOD_TS}))
    # the wrong shape of data is transport.data-shape's to judge: an object where a list is due stands aside
    with pytest.raises(Blocked, match=r"see transport\.data-shape"):
        run_check("success", ex(200, {"status_code": 1000, "timestamp": GOOD_TS, "data": {}}), data="list")
    # an object in a one-element list is read as that object
    silent("success", ex(200, {"status_code": 1000, "timestamp": GOOD_TS, "data": [{"a": 1}]}), data="object")


def test_data_shape_is_judged_by_one_check_and_content_read_elsewhere() -> None:
    from conformance.checks.shape import UNWRAPPED, one_object

    wrapped = ex(200, {"status_code": 1000, "timestamp": GOOD_TS, "data": [{"id": "L1"}]})
    assert (
        "a list of 1 where the operation answers one object" in fires("data_shape", wrapped, expected="object").message
    )
    silent("data_shape", ex(200, {"status_code": 1000, "timestamp": GOOD_TS, "data": {"id": "L1"}}), expected="object")
    silent("data_shape", ex(200, {"status_code": 1000, "timestamp": GOOD_TS, "data": []}), expected="array")
    fires("data_shape", ex(200, {"status_code": 1000, "timestamp": GOOD_TS, "data": {}}), expected="array")
    before = judged_count()
    assert one_object(wrapped) == {"id": "L1"}
    assert [name for name, _ in judged_since(before)] == [UNWRAPPED]  # said among what the scenario checked
    two = ex(200, {"status_code": 1000, "timestamp": GOOD_TS, "data": [{"id": "L1"}, {"id": "L2"}]})
    with pytest.raises(Blocked, match=r"a list of 2 where one object is defined, .* — see transport\.data-shape"):
        one_object(two)
    assert one_object(two, quiet=True) is None
    # the schema check validates the one element, not the list: its finding is about the Location's own fields
    location = get_oracle().find("locations", "SENDER", "GET", "/{location_id}")
    assert get_oracle().data_shape(location) == "object"
    finding = fires("response_schema", wrapped, operation=location)
    assert "required property" in (finding.actual or "") and "is not of type 'object'" not in (finding.actual or "")


# -- DateTime -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2015-06-29T20:39:09Z",
        "2015-06-29T20:39:09",
        "2016-12-29T17:45:09.2Z",
        "2018-01-01T01:08:01.123",
        "2018-01-01T01:08:01.123Z",
    ],
)
def test_allowed_datetime_forms(value: str) -> None:
    assert is_ocpi_datetime(value)
    silent("timestamp_format", ex(body={"status_code": 1000, "timestamp": value}))


@pytest.mark.parametrize(
    "value",
    [
        "2015-06-29T20:39:09+00:00",
        "2015-06-29T20:39:09+01:00",
        "2015-06-29 20:39:09Z",
        "2015-13-29T20:39:09Z",
        "2015-06-29T20:39:09.1234567890123Z",
        "20150629T203909Z",
        1435610349,
    ],
)
def test_rejected_datetime_forms(value: Any) -> None:
    assert not is_ocpi_datetime(value)
    fires("timestamp_format", ex(body={"status_code": 1000, "timestamp": value}))


def test_offset_form_is_explained() -> None:
    finding = fires("timestamp_format", ex(body={"status_code": 1000, "timestamp": "2025-02-21T10:00:00+00:00"}))
    assert "numeric UTC offset" in finding.actual


def test_parse_and_format_round_trip() -> None:
    moment = parse_ocpi_datetime("2018-01-01T01:08:01.123")
    assert moment.utcoffset() is not None and moment.microsecond == 123000
    assert format_ocpi_datetime(moment) == "2018-01-01T01:08:01Z"
    assert format_ocpi_datetime(moment, millis=True) == "2018-01-01T01:08:01.123Z"


def test_body_datetimes_finds_nested_offsets_only() -> None:
    good = {
        "status_code": 1000,
        "timestamp": GOOD_TS,
        "data": [{"last_updated": GOOD_TS, "evses": [{"last_updated": "2025-02-21T10:00:00"}]}],
    }
    silent("body_datetimes", ex(body=good))
    bad = json.loads(json.dumps(good))
    bad["data"][0]["evses"][0]["last_updated"] = "2025-02-21T11:00:00+01:00"
    finding = fires("body_datetimes", ex(body=bad))
    assert "data[0].evses[0].last_updated" in finding.actual


# -- headers --------------------------------------------------------------------------------------


def test_request_and_correlation_ids_must_come_back_unchanged() -> None:
    req = [("X-Request-ID", "r-1"), ("X-Correlation-ID", "c-1")]
    both = ex(req_headers=req, headers=[("x-request-id", "r-1"), ("x-correlation-id", "c-1")])
    silent("request_id_echo", both)
    silent("correlation_id_echo", both)
    assert fires("request_id_echo", ex(req_headers=req, headers=[])).actual == "no X-Request-ID header"
    fires("correlation_id_echo", ex(req_headers=req, headers=[("X-Correlation-ID", "other")]))
    silent("request_id_echo", ex(req_headers=[], headers=[]))  # nothing sent, nothing to echo


def test_routing_headers_on_configuration_modules() -> None:
    silent("no_routing_headers", ex(headers=[("X-Request-ID", "1")]))
    finding = fires("no_routing_headers", ex(headers=[("ocpi-from-party-id", "HUB"), ("OCPI-from-country-code", "NL")]))
    assert "OCPI-from-party-id: HUB" in finding.actual


# -- status mapping -------------------------------------------------------------------------------


def test_unauthorized() -> None:
    silent("unauthorized", ex(401, {"status_code": 2000, "timestamp": GOOD_TS}))
    fires("unauthorized", ex(200, {"status_code": 1000, "timestamp": GOOD_TS}))
    fires("unauthorized", ex(200, {"status_code": 2000, "timestamp": GOOD_TS}))
    assert "success code" in fires("unauthorized", ex(401, {"status_code": 1000, "timestamp": GOOD_TS})).message


def test_http_and_ocpi_status_consistency() -> None:
    silent("http_ocpi_consistent", ex(200, {"status_code": 2001, "timestamp": GOOD_TS}))  # OCPI error, HTTP 200: ok
    silent("http_ocpi_consistent", ex(404, {"status_code": 2000, "timestamp": GOOD_TS}))
    fires("http_ocpi_consistent", ex(404, {"status_code": 1000, "timestamp": GOOD_TS}))
    fires("no_server_error", ex(500, raw="oops"))
    with pytest.raises(Finding, match="server error"):
        run_check("http_ocpi_consistent", ex(500, raw="oops"))
    silent("refusal_not_success", ex(401, {"status_code": 2000, "timestamp": GOOD_TS}))
    fires("refusal_not_success", ex(200, {"status_code": 1000, "timestamp": GOOD_TS}))


def test_bad_request_needs_400_and_an_ocpi_client_error() -> None:
    silent("bad_request", ex(400, {"status_code": 2001, "timestamp": GOOD_TS}))
    assert "body" in fires("bad_request", ex(500, raw="Internal Server Error")).actual
    # the right status without the envelope: the envelope rule's finding, not this one's
    with pytest.raises(Blocked) as blocked:
        run_check("bad_request", ex(400, raw="bad request"))
    assert blocked.value.owner == "transport.envelope-error"
    fires("bad_request", ex(400, {"status_code": 1000, "timestamp": GOOD_TS}))
    fires("bad_request", ex(200, {"status_code": 2001, "timestamp": GOOD_TS}))


def test_method_not_allowed() -> None:
    silent("method_not_allowed", ex(405, {"status_code": 2000, "timestamp": GOOD_TS}))
    fires("method_not_allowed", ex(200, {"status_code": 1000, "timestamp": GOOD_TS}))
    assert "401" in fires("method_not_allowed", ex(401, {"status_code": 2000, "timestamp": GOOD_TS})).message


# -- pagination -----------------------------------------------------------------------------------


def test_pagination_headers() -> None:
    page = ex(headers=[("X-Total-Count", "5"), ("X-Limit", "100")])
    assert silent("total_count_header", page) == 5
    assert silent("limit_header", page) == 100
    assert fires("total_count_header", ex(headers=[])).actual == "absent"
    fires("total_count_header", ex(headers=[("X-Total-Count", "many")]))
    fires("limit_header", ex(headers=[("X-Limit", "0")]))


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ('<http://127.0.0.1/x?offset=1&limit=1>; rel="next"', "http://127.0.0.1/x?offset=1&limit=1"),
        ("<http://127.0.0.1/x?offset=2>; rel=next", "http://127.0.0.1/x?offset=2"),
        ('<http://127.0.0.1/p>; rel="prev", <http://127.0.0.1/n>; rel="next"', "http://127.0.0.1/n"),
        ('<http://127.0.0.1/p>; rel="prev"', None),
    ],
)
def test_next_link_parsing(value: str, url: str | None) -> None:
    assert next_link(ex(headers=[("Link", value)])) == url


def _page(url: str, link: str, items: int = 1) -> Exchange:
    page = ex(body={"status_code": 1000, "timestamp": GOOD_TS, "data": list(range(items))}, headers=[("Link", link)])
    page.url = url
    return page


def test_link_header_check() -> None:
    here = "http://127.0.0.1:9/ocpi/versions"
    assert silent("link_header", ex(headers=[])) is None
    assert silent("link_header", _page(here, f'<{here}?offset=1>; rel="next"')) is not None
    fires("link_header", ex(headers=[("Link", f"{here}?offset=1")]))
    assert "absolute" in fires("link_header", ex(headers=[("Link", '</a?offset=1>; rel="next"')])).message


def test_link_next_must_continue_the_same_list() -> None:
    asked = "http://127.0.0.1:9/ocpi/2.3.0/tokens/?offset=0&limit=1"
    silent("link_header", _page(asked, '<http://127.0.0.1:9/ocpi/2.3.0/tokens/?offset=1&limit=1>; rel="next"'))
    # the same authority written with its default port, or in capitals, is the same endpoint
    plain = "http://example.net/ocpi/tokens/?offset=0&limit=1"
    silent("link_header", _page(plain, '<http://EXAMPLE.net:80/ocpi/tokens/?offset=1&limit=1>; rel="next"'))
    # another scheme, path or module is another list
    for other in ("https://127.0.0.1:9/ocpi/2.3.0/tokens/", "http://127.0.0.1:9/ocpi/2.3.0/tokens", "http://x/cdrs/"):
        finding = fires("link_header", _page(asked, f'<{other}?offset=1&limit=1>; rel="next"'))
        assert "another endpoint" in finding.message, other
    assert "continue" in fires("link_header", _page(asked, f'<{asked.split("?")[0]}?offset=5>; rel="next"')).message
    # dates must stay OCPI DateTimes: no "None", no "+00:00"
    for bad in ("None", "2025-01-01T00:00:00%2B00:00"):
        link = f'<{asked.split("?")[0]}?offset=1&limit=1&date_from={bad}>; rel="next"'
        assert "not an OCPI DateTime" in fires("link_header", _page(asked, link)).message, bad


def test_refusals_are_named_for_what_they_are() -> None:
    assert "403" in fires("unauthorized", ex(status=403, body={"status_code": 2000, "timestamp": GOOD_TS})).message
    assert "404" in fires("unauthorized", ex(status=404, body={"status_code": 2000, "timestamp": GOOD_TS})).message
    bare = fires("unauthorized", ex(status=422, raw='{"detail": "field required"}', headers=[]))
    assert "without the OCPI envelope" in bare.actual


def test_a_redirect_is_judged_once_and_blocks_the_other_checks() -> None:
    redirect = ex(status=307, raw="", headers=[("Location", "http://127.0.0.1:9/ocpi/versions/")])
    assert "HTTP 307 to http://127.0.0.1:9/ocpi/versions/" in fires("not_redirected", redirect).actual
    for name in ("envelope", "success", "request_id_echo", "unauthorized"):
        with pytest.raises(Blocked) as blocked:
            run_check(name, redirect)
        assert blocked.value.owner == "transport.no-redirects"


def test_page_size() -> None:
    page = ex(body={"status_code": 1000, "timestamp": GOOD_TS, "data": [1, 2]})
    assert silent("page_size", page, at_most=2, because="the limit") == 2
    assert fires("page_size", page, at_most=1, because="the limit=1").actual == "2 objects"


# -- schema (oracle: openapi.yaml) ----------------------------------------------------------------


def test_response_schema_validates_against_openapi() -> None:
    op = get_oracle().versions_list()
    good = {"status_code": 1000, "timestamp": GOOD_TS, "data": [{"version": "2.3.0", "url": "http://127.0.0.1/d"}]}
    silent("response_schema", ex(body=good), operation=op)
    bad = {"status_code": 1000, "timestamp": "2025-02-21T10:00:00+00:00", "data": [{"version": "2.3.0"}]}
    finding = fires("response_schema", ex(body=bad), operation=op)
    assert "url" in finding.actual and "timestamp" in finding.actual
    # a status openapi.yaml does not describe is not judged here
    silent("response_schema", ex(status=418, body={"x": 1}), operation=op)


def test_oracle_reads_the_same_document_as_the_pure_python_loader() -> None:
    """The oracle reads openapi.yaml with PyYAML's C loader when present; it must give what the safe loader gives."""
    import yaml

    from conformance.oracle import _LOADER, default_openapi_path

    assert _LOADER in (yaml.CSafeLoader, yaml.SafeLoader)

    for version in ("2.3.0", "2.2.1"):
        path = default_openapi_path(version)
        fast = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 - a safe loader
        assert fast == yaml.safe_load(path.read_text(encoding="utf-8")), path


def test_oracle_locates_operations_by_ocpi_terms() -> None:
    oracle = get_oracle()
    op = oracle.find("hubclientinfo", "SENDER", "GET")
    assert op.path.endswith("/sender/hubclientinfo") and op.suffix == ""
    assert oracle.response_pointer(op, 200) is not None
    assert oracle.find("credentials", None, "PUT").method == "PUT"


# -- registry and model ---------------------------------------------------------------------------


def test_registry_refuses_a_duplicate_name() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        check(spec="types.datetime", name="envelope")(lambda exchange: None)


def test_fuzz_checks_are_marked() -> None:
    fuzz = {n for n, c in CHECKS.items() if c.fuzz}
    assert {"envelope", "timestamp_format", "http_ocpi_consistent", "request_id_echo", "total_count_header"} <= fuzz
    assert "unauthorized" not in fuzz


def test_outcome_mapping_by_level_and_strictness() -> None:
    assert outcome_for_failure(Level.SHALL, strict=False) is Outcome.FAIL
    assert outcome_for_failure(Level.SHOULD, strict=False) is Outcome.WARN
    assert outcome_for_failure(Level.SHOULD, strict=True) is Outcome.FAIL
    assert outcome_for_failure(Level.MAY, strict=True) is Outcome.WARN


def test_exchange_rendering_redacts_tokens_but_shows_their_form() -> None:
    e = Exchange(
        direction="outbound",
        method="POST",
        url="http://127.0.0.1/c",
        request_headers=[("Authorization", "Token c2VjcmV0LXRva2Vu")],
        request_body='{"token": "secret-token", "url": "http://127.0.0.1/v"}',
        status=200,
        response_headers=[],
        response_body='{"status_code": 1000}',
    )
    text = e.render()
    assert "secret-token" not in text and "c2VjcmV0LXRva2Vu" not in text
    assert "base64 of a 12-character token" in text
    assert "secret-token" in e.render(redact=False)
    assert Exchange.from_dict(e.to_dict(redact=False)) == e
