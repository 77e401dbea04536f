"""Ids from request paths and the URLs the hub builds from them (unit level: pure functions, no I/O)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from reference_hub.hub.routing import join_under, rewrite_link
from reference_hub.ocpi.errors import InvalidOrMissingParameters
from reference_hub.ocpi.paths import _under_parsed, build_suffix, check_id, check_ids, is_under

BASE = "https://cpo.example.com/ocpi/2.3.0/sender/locations"


@pytest.mark.parametrize(
    "value",
    ["..", ".", "%2E%2E", "%2e.", "%252E%252E", "a/b", "a\\b", "a%2Fb", "", "x" * 37, "caf\u00e9", "tab\there"],
)
def test_ids_that_could_leave_the_endpoint_or_break_ocpi_are_refused_with_2001(value: str) -> None:
    with pytest.raises(InvalidOrMissingParameters) as refused:
        check_id("location_id", value)
    assert refused.value.status_code == 2001 and refused.value.http_status == 200
    assert "location_id" in refused.value.message


@pytest.mark.parametrize("value", ["LOC1", "a..b", "...", "A B+C:1", "x" * 36, "%41"])
def test_ordinary_ids_are_kept(value: str) -> None:
    assert check_id("location_id", value) == value


def test_limits_come_from_the_description() -> None:
    assert check_id("party_id", "ABC") == "ABC"
    with pytest.raises(InvalidOrMissingParameters):
        check_id("party_id", "ABCD")
    assert check_id("cdr_id", "NL.CPO." + "x" * 36)  # no maxLength in the description: the hub's own bound


def test_an_encoded_separator_anywhere_in_the_raw_path_is_refused() -> None:
    with pytest.raises(InvalidOrMissingParameters):
        check_ids({"location_id": "a", "evse_uid": "b"}, b"/ocpi/2.3.0/receiver/locations/NL/CPO/a%2fb")
    with pytest.raises(InvalidOrMissingParameters):
        check_ids({"location_id": "a\\b"}, b"/ocpi/2.3.0/receiver/locations/NL/CPO/a%5Cb")
    check_ids({"location_id": "a b"}, b"/ocpi/2.3.0/receiver/locations/NL/CPO/a%20b")


def test_suffix_is_rebuilt_from_decoded_ids_each_encoded_whole() -> None:
    template = "/{country_code}/{party_id}/{location_id}"
    params = {"country_code": "NL", "party_id": "CPO", "location_id": "A B?#%"}
    assert build_suffix(template, params) == "/NL/CPO/A%20B%3F%23%25"
    with pytest.raises(InvalidOrMissingParameters):
        build_suffix(template, {**params, "location_id": ".."})


@pytest.mark.parametrize(
    ("url", "inside"),
    [
        (BASE, True),
        (BASE + "/", True),
        (BASE + "/L1/E1", True),
        (BASE + "?offset=10", True),
        (BASE + "/L1/", True),
        (BASE + "/../credentials", False),
        (BASE + "/%2E%2E/%2e%2e/credentials", False),
        (BASE + "/L1/%252E%252E", False),
        (BASE + "/a%2Fb", False),
        (BASE + "x/L1", False),  # a sibling path that merely starts with the same characters
        ("https://cpo.example.com/ocpi/2.3.0/credentials", False),
        ("https://evil.example.com/ocpi/2.3.0/sender/locations/L1", False),
        ("http://cpo.example.com/ocpi/2.3.0/sender/locations/L1", False),
        # spelled otherwise than the endpoint, or with what urlsplit strips: judged on the parsed URL
        ("HTTPS://CPO.example.com/ocpi/2.3.0/sender/locations/L1", True),
        ("HTTPS://CPO.example.com/ocpi/2.3.0/sender/locations/..", False),
        (BASE + "/%2E\t%2E/credentials", False),  # a tab urlsplit removes, leaving %2E%2E
        (BASE + "/.\n./credentials", False),
        (BASE + "/L1\t", True),
        ("https://cpo.example.com@evil.example.com/ocpi/2.3.0/sender/locations/L1", False),
        ("https://cpo.example.com.evil.example.com/ocpi/2.3.0/sender/locations/L1", False),
        ("https://cpo.example.com:8443/ocpi/2.3.0/sender/locations/L1", False),
        (BASE + "\\..\\credentials", False),
        (BASE + "#/../../credentials", True),  # a fragment is never sent
        (BASE + "/L1?next=/../x", True),  # a query is not a path
    ],
)
def test_is_under_an_endpoint(url: str, inside: bool) -> None:
    assert is_under(url, BASE) is inside
    assert is_under(url, BASE + "/") is inside


@pytest.mark.parametrize(
    "url",
    [BASE + "/L1", BASE + "/%2E%2E", BASE + "/L1?x=%2E%2E/..", BASE + "/a\\b", BASE + "x", BASE + "/L1\t"],
)
def test_an_endpoint_with_a_query_or_another_spelling_is_judged_on_the_parsed_url(url: str) -> None:
    """An endpoint URL that is not plain (a query, upper case, a trailing tab) takes the parsing path: same verdict."""
    for base in (BASE + "?x=1", BASE.upper().replace("HTTPS", "https"), BASE + "\t"):
        parsed = urlsplit(url), urlsplit(base)
        assert is_under(url, base) is _under_parsed(*parsed), (url, base)


def test_join_under_checks_the_final_url() -> None:
    assert join_under(BASE + "/", "/L1", "limit=5") == BASE + "/L1?limit=5"
    assert join_under(BASE, "", "") == BASE
    assert join_under(BASE, "/../../credentials") is None
    assert join_under(BASE, "/%2E%2E/credentials") is None
    assert join_under(BASE, "/L1/%252e%252E") is None
    assert join_under(BASE, "/a\\b") is None
    assert join_under(BASE, "x/L1") is None  # not after a separator: a sibling endpoint


HUB = "https://hub.example.com/ocpi/2.3.0/sender/locations"


@pytest.mark.parametrize(
    ("link", "rewritten"),
    [
        (f'<{BASE}?offset=2&limit=2>; rel="next"', f'<{HUB}?offset=2&limit=2>; rel="next"'),
        (f"<{BASE}/?offset=2>; rel=next", f'<{HUB}/?offset=2>; rel="next"'),
        (f'<{BASE}/../credentials?offset=2>; rel="next"', None),
        (f'<{BASE}/%2E%2E/credentials>; rel="next"', None),
        ('<https://other.example.com/ocpi/2.3.0/sender/locations?offset=2>; rel="next"', None),
        (f'<{BASE}?offset=2>; rel="prev"', None),
    ],
)
def test_a_relayed_link_is_rewritten_only_when_it_stays_in_the_endpoint(link: str, rewritten: str | None) -> None:
    assert rewrite_link(link, BASE, HUB) == rewritten
