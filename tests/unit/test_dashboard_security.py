"""The dashboard's security rules, in process: it exists only with an admin key; cookies are HttpOnly, SameSite=Strict
and Secure over HTTPS; every form refuses cross-site and token-less posts; failed sign-ins are slowed and then locked
out; the key never shows up in a page, a URL or the log; no dashboard answer may be cached."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from reference_hub.api.dashboard.pages import PARTIES_PER_PAGE
from reference_hub.api.dashboard.security import FAILURE_WINDOW, SESSION_SECONDS, Gatekeeper
from reference_hub.app import create_app
from reference_hub.hub.ratelimit import ADMIN_WEIGHT
from reference_hub.hub.tokens import hash_token
from reference_hub.ocpi.datetime import now
from reference_hub.ocpi.models import BusinessDetails, CredentialsRole, Role
from reference_hub.settings import load_settings
from reference_hub.store import Partner, PartnerStatus

KEY = "the-operators-admin-key-0123456789"
PAGES = (
    "/admin/",
    "/admin/parties",
    "/admin/invites",
    "/admin/deliveries",
    "/admin/traffic",
    "/admin/data",
    "/admin/audit",
)


def _client(base_url: str = "http://testserver.local", **settings: Any) -> TestClient[Any]:
    values = {"store": "sqlite://:memory:", "admin_key": KEY, **settings}
    return TestClient(create_app(load_settings(**values)), base_url=base_url)


@pytest.fixture
def client() -> Iterator[TestClient[Any]]:
    with _client() as c:
        c.app.state.dashboard.first_delay = 0.01
        yield c


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def sign_in(client: TestClient[Any], key: str = KEY) -> Any:
    form = client.get("/admin/signin")
    return client.post("/admin/signin", data={"csrf": _csrf(form.text), "key": key}, follow_redirects=False)


def _cookie(response: Any, name: str) -> str:
    return next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}="))


def test_no_admin_key_no_dashboard() -> None:
    with _client(admin_key=None) as c:
        for path in ("/admin/", "/admin/signin", *PAGES, "/admin/static/dashboard.css"):
            assert c.get(path, follow_redirects=False).status_code == 404, path
        assert c.post("/admin/signin", data={"key": "x"}).status_code in (404, 405)


def test_pages_need_a_session_and_are_never_cached(client: TestClient[Any]) -> None:
    for path in PAGES:
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/admin/signin", path
        assert answer.headers["cache-control"] == "no-store"
    assert sign_in(client).status_code == 303
    for path in (*PAGES, "/admin/signin"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code in (200, 303), path
        assert answer.headers["cache-control"] == "no-store", path
        assert answer.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert "script-src 'self'" in answer.headers["content-security-policy"]


def test_ocpi_routes_are_untouched_by_the_dashboard(client: TestClient[Any]) -> None:
    answer = client.get("/ocpi/versions")
    assert answer.status_code == 401
    assert "content-security-policy" not in answer.headers and "set-cookie" not in answer.headers


def test_session_cookie_is_httponly_samesite_strict_and_scoped(client: TestClient[Any]) -> None:
    signin_cookie = _cookie(client.get("/admin/signin"), "ocpi_hub_signin")
    answer = sign_in(client)
    session = _cookie(answer, "ocpi_hub_session")
    for cookie in (signin_cookie, session):
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie
        assert "Secure" not in cookie  # plain HTTP on loopback: a Secure cookie would never come back
    assert f"Max-Age={SESSION_SECONDS}" in session


def test_session_cookie_is_secure_when_the_hub_is_served_over_https() -> None:
    with _client("https://testserver.local", public_url="https://hub.example.com") as c:
        answer = sign_in(c)
        assert answer.status_code == 303
        assert "Secure" in _cookie(answer, "ocpi_hub_session")


def test_forms_refuse_posts_without_the_form_token_or_from_another_site(client: TestClient[Any]) -> None:
    sign_in(client)
    csrf = _csrf(client.get("/admin/invites").text)
    refusals = [
        ({}, {}),
        ({"csrf": "0" * 64}, {}),
        ({"csrf": csrf}, {"Origin": "https://evil.example"}),
        ({"csrf": csrf}, {"Sec-Fetch-Site": "cross-site"}),
    ]
    for data, headers in refusals:
        for path in ("/admin/invites/new", "/admin/parties/NL-ABC/suspend", "/admin/deliveries/drop", "/admin/signout"):
            answer = client.post(path, data=data, headers=headers, follow_redirects=False)
            assert answer.status_code == 403, (path, data, headers)
    assert 'id="token-a"' not in client.get("/admin/invites").text
    assert '<table id="invitations">' not in client.get("/admin/invites").text  # nothing was created
    # The same form with its token, from the dashboard itself, goes through.
    same_site = {"Origin": str(client.base_url).rstrip("/"), "Sec-Fetch-Site": "same-origin"}
    answer = client.post("/admin/invites/new", data={"csrf": csrf}, headers=same_site)
    assert answer.status_code == 201 and 'id="token-a"' in answer.text


def test_behind_a_tls_proxy_the_advertised_origin_is_accepted() -> None:
    with _client("https://testserver.local", public_url="https://hub.example.com") as c:
        sign_in(c)
        csrf = _csrf(c.get("/admin/invites").text)
        proxied = {"Origin": "https://hub.example.com", "Host": "127.0.0.1:8080"}
        assert c.post("/admin/invites/new", data={"csrf": csrf}, headers=proxied).status_code == 201
        forged = {"Origin": "https://hub.example.com.evil.example", "Host": "127.0.0.1:8080"}
        assert c.post("/admin/invites/new", data={"csrf": csrf}, headers=forged).status_code == 403


def test_form_token_of_one_session_does_not_work_in_another(client: TestClient[Any]) -> None:
    sign_in(client)
    stale = _csrf(client.get("/admin/invites").text)
    client.post("/admin/signout", data={"csrf": stale})
    sign_in(client)
    assert client.post("/admin/invites/new", data={"csrf": stale}).status_code == 403


def test_sign_in_form_needs_its_own_token_and_cookie(client: TestClient[Any]) -> None:
    csrf = _csrf(client.get("/admin/signin").text)
    client.cookies.clear()  # a cross-site page has the field value at best, never the SameSite=Strict cookie
    answer = client.post("/admin/signin", data={"csrf": csrf, "key": KEY}, follow_redirects=False)
    assert answer.status_code == 403 and "ocpi_hub_session" not in answer.headers.get("set-cookie", "")
    answer = client.post("/admin/signin", data={"csrf": csrf, "key": KEY}, headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403


def test_tampered_expired_and_signed_out_sessions_are_refused() -> None:
    now = [1_000_000.0]
    gate = Gatekeeper(KEY, clock=lambda: now[0])
    value, _ = gate.new_session()
    expires, nonce, mac = value.split(".")
    with _client() as c:
        c.app.state.dashboard = gate
        for forged in (f"{int(expires) + 9999}.{nonce}.{mac}", f"{expires}.{nonce}x.{mac}", "garbage", ""):
            c.cookies.set("ocpi_hub_session", forged, path="/admin")
            assert c.get("/admin/", follow_redirects=False).status_code == 303, forged
        c.cookies.set("ocpi_hub_session", value, path="/admin")
        assert c.get("/admin/").status_code == 200
        other_key = Gatekeeper("another key", clock=lambda: now[0])
        c.app.state.dashboard = other_key  # a changed admin key signs everybody out
        assert c.get("/admin/", follow_redirects=False).status_code == 303
        c.app.state.dashboard = gate
        now[0] += SESSION_SECONDS + 1
        assert c.get("/admin/", follow_redirects=False).status_code == 303


def test_signed_out_cookie_no_longer_opens_pages(client: TestClient[Any]) -> None:
    session = _cookie(sign_in(client), "ocpi_hub_session").split(";")[0].split("=", 1)[1]
    client.post("/admin/signout", data={"csrf": _csrf(client.get("/admin/").text)})
    client.cookies.set("ocpi_hub_session", session, path="/admin")  # a copy kept from before
    assert client.get("/admin/", follow_redirects=False).headers["location"] == "/admin/signin"


def test_failed_sign_ins_are_slowed_more_each_time() -> None:
    now = [5_000.0]
    gate = Gatekeeper(KEY, clock=lambda: now[0], first_delay=0.5)
    delays = [gate.failed("10.0.0.1") for _ in range(6)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert gate.failed("10.0.0.2") == 0.5  # another address starts afresh
    now[0] += FAILURE_WINDOW + 1
    assert gate.failed("10.0.0.1") == 0.5  # forgotten after the window


def test_a_failed_sign_in_waits_and_the_key_appears_nowhere(
    client: TestClient[Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client.app.state.dashboard.first_delay = 0.3
    started = time.monotonic()
    answer = sign_in(client, key=KEY + "x")
    assert answer.status_code == 401 and time.monotonic() - started >= 0.3
    assert KEY not in answer.text
    answer = sign_in(client)
    assert answer.status_code == 303 and KEY not in answer.headers["location"]
    for path in PAGES:
        page = client.get(path)
        assert KEY not in page.text and KEY not in str(page.url)
    assert KEY not in caplog.text


def test_sign_in_is_refused_while_the_address_is_locked_out(client: TestClient[Any]) -> None:
    """The dashboard shares the hub's one limiter: past its limit, the right key is refused too."""
    client.app.state.dashboard.first_delay = 0.0
    limit = client.app.state.hub.settings.auth_failure_limit
    for _ in range(limit // ADMIN_WEIGHT + 1):
        assert sign_in(client, key="wrong").status_code in (401, 429)
    answer = sign_in(client)
    assert answer.status_code == 429 and "ocpi_hub_session" not in answer.headers.get("set-cookie", "")
    assert client.get("/admin/partners", headers={"X-Admin-Key": KEY}).status_code == 429


def test_every_page_shows_a_banner_while_a_fault_switch_is_on() -> None:
    with _client(faults=["drop_total_count"]) as c:
        assert "drop_total_count" in c.get("/admin/signin").text
        sign_in(c)
        for path in PAGES:
            assert 'id="fault-banner"' in c.get(path).text and "drop_total_count" in c.get(path).text, path
    with _client() as c:
        sign_in(c)
        assert 'id="fault-banner"' not in c.get("/admin/").text


def test_parties_page_is_paged_for_hubs_with_many_parties() -> None:
    with _client() as c:
        store = c.app.state.hub.store

        async def seed() -> None:
            for n in range(PARTIES_PER_PAGE + 5):
                stamp = now()
                role = CredentialsRole(
                    role=Role.CPO, business_details=BusinessDetails(name="x"), party_id=f"{n:03d}", country_code="AA"
                )
                partner = Partner(
                    partner_id=f"AA-{n:03d}",
                    status=PartnerStatus.ACTIVE,
                    token_hash=hash_token(f"t{n}"),
                    versions_url="https://x.example.com/ocpi/versions",
                    roles=[role],
                    created=stamp,
                    updated=stamp,
                )
                await store.insert_partner(partner, consume_invitation=None)

        assert c.blocking_portal is not None
        c.blocking_portal.call(seed)  # on the app's own event loop, where its store lives
        sign_in(c)
        first = c.get("/admin/parties").text
        assert first.count('class="party"') == PARTIES_PER_PAGE and "?offset=60" in first
        second = c.get("/admin/parties?offset=60").text
        assert second.count('class="party"') == 5 and "AA-064" in second
        assert f"{PARTIES_PER_PAGE + 5}</span> connected" in c.get("/admin/").text


def test_a_session_signed_by_one_worker_is_accepted_by_another_with_the_same_key() -> None:
    value, _ = Gatekeeper(KEY).new_session()
    with _client() as other_worker:
        other_worker.cookies.set("ocpi_hub_session", value, path="/admin")
        assert other_worker.get("/admin/", follow_redirects=False).status_code == 200


def test_a_viewer_session_cannot_act_and_cannot_make_itself_an_operator() -> None:
    gate = Gatekeeper(KEY)
    viewer, session = gate.new_session("victor", "viewer")
    assert (session.operator, session.role, session.can_act) == ("victor", "viewer", False)
    with _client() as c:
        c.app.state.dashboard = gate
        c.cookies.set("ocpi_hub_session", viewer, path="/admin")
        page = c.get("/admin/invites")
        assert page.status_code == 200 and "create-invitation" not in page.text and "victor" in page.text
        for path in ("/admin/invites/new", "/admin/parties/DE-MSP/suspend", "/admin/deliveries/retry-all"):
            refused = c.post(path, data={"csrf": session.csrf, "receiver": "DE-MSP"}, follow_redirects=False)
            assert refused.status_code == 403 and "viewer" in refused.text, path
        assert c.get("/admin/audit").text.count("<tr>") <= 1  # nothing was done, nothing recorded
        expires, middle, mac = viewer.split(".")
        forged = f"{expires}.{middle.replace(':viewer:', ':operator:')}.{mac}"
        c.cookies.set("ocpi_hub_session", forged, path="/admin")
        assert c.get("/admin/", follow_redirects=False).status_code == 303  # the MAC covers the role
