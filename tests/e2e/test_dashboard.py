"""The operator dashboard in a real browser: Playwright drives Debian's Chromium (headless, no browser download)
against a real hub process, with real party processes that record what they receive.

One operator session, every step through the pages only: sign in, create an invitation that a party then uses to
register, start a hub-initiated registration, route some traffic, suspend a party and see the ClientInfo push arrive
at another party, see the delivery that fails while that party is down and retry it, filter the traffic, sign out.

Screenshots go to a temporary folder, or to ``OCPI_DASHBOARD_SCREENSHOTS`` when set (``make screenshots`` writes the
set shown in the README, ``docs/dashboard/``).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_objects import Platform, ok
from tests.support import examples as ex
from tests.support.ocpi import auth
from tests.support.processes import HubProcess, PartyProcess

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHROMIUM = os.environ.get("OCPI_TEST_CHROMIUM", "/usr/bin/chromium")
ADMIN_KEY = "operator-key-for-the-browser-test"
CHROMIUM_ARGS = [
    # As root in a container, without a GPU, and with no network beyond loopback: no sandbox, no GPU, and none of
    # the background calls to Google's hosts that the closed network would refuse.
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
    pytest.skip(
        f"no Chromium at {CHROMIUM}: install Debian's chromium (make browser) to run the browser tests",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")


def received(party: PartyProcess, predicate: Callable[[dict[str, Any]], bool], timeout: float = 15) -> list[Any]:
    """What ``party`` received that matches, waiting up to ``timeout`` seconds for at least one."""
    deadline = time.monotonic() + timeout
    while True:
        found = [r for r in party.http.get("/control/received").json() if predicate(r)]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def clientinfo(party: str, status: str) -> Callable[[dict[str, Any]], bool]:
    return lambda r: (
        r["method"] == "PUT"
        and r["path"].endswith(f"/hubclientinfo/{party}")
        and (r["body"] or {}).get("status") == status
    )


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("OCPI_DASHBOARD_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def world(tmp_path: Path) -> Iterator[dict[str, Any]]:
    env = {
        "OCPI_HUB_ADMIN_KEY": ADMIN_KEY,
        "OCPI_HUB_DELIVERY_RETRIES": "0",  # a delivery to a party that is down fails at once
        "OCPI_HUB_DELIVERY_POLL": "0.2",
        "OCPI_HUB_CALLBACK_TIMEOUT": "3",
        "OCPI_HUB_ALIVE_AFTER": "0",
    }
    hub = HubProcess(tmp_path / "hub.db", env=env).start()
    parties = {
        "cpo": PartyProcess("NL", "CPO").start(),
        "msp": PartyProcess("DE", "MSP", "--role", "EMSP").start(),
        "oth": PartyProcess("BE", "OTH", "--role", "EMSP").start(),
    }
    try:
        yield {"hub": hub, **parties}
    finally:
        for party in parties.values():
            party.stop()
        hub.stop()


@pytest.fixture
def page(world: dict[str, Any]) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("dialog", lambda dialog: dialog.accept())  # the confirm() of suspend, unregister, drop
        try:
            yield page
        finally:
            context.close()
            browser.close()


def invite(page: Any, hub: HubProcess) -> str:
    page.goto(f"{hub.base_url}/admin/invites")
    page.click("#create-invitation")
    token: str = page.text_content("#token-a").strip()
    assert page.text_content("#versions-url").strip() == hub.versions_url
    return token


def test_operator_runs_the_hub_from_the_browser(world: dict[str, Any], page: Any, shots: Path) -> None:
    hub: HubProcess = world["hub"]
    cpo: PartyProcess = world["cpo"]
    msp: PartyProcess = world["msp"]
    oth: PartyProcess = world["oth"]
    expect = sync_api.expect

    # Signed out, every page leads to the sign-in form; a wrong key is refused (and slowed down).
    page.goto(f"{hub.base_url}/admin/parties")
    assert page.url.endswith("/admin/signin")
    page.fill("#key", "not the key")
    page.click("#signin")
    expect(page.locator(".error")).to_contain_text("not the admin key")
    page.fill("#key", ADMIN_KEY)
    page.screenshot(path=str(shots / "signin.png"))
    page.click("#signin")
    expect(page.locator("h1")).to_have_text("Overview")
    assert ADMIN_KEY not in page.content()
    [cookie] = [c for c in page.context.cookies() if c["name"] == "ocpi_hub_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/admin"

    # Invitations: token A shown once, with a copy button; the parties register with them.
    token_cpo = invite(page, hub)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=hub.base_url)
    page.click("button[data-copy='token-a']")
    expect(page.locator("button[data-copy='token-a']")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == token_cpo
    page.screenshot(path=str(shots / "invitation.png"))
    assert page.locator("#invitations tbody tr").count() == 1
    assert cpo.control("register", {"versions_url": hub.versions_url, "token": token_cpo})["http"] == 200
    token_msp = invite(page, hub)
    assert msp.control("register", {"versions_url": hub.versions_url, "token": token_msp})["http"] == 200
    spare = invite(page, hub)
    page.goto(f"{hub.base_url}/admin/invites")
    expect(page.locator("#invitations tbody tr")).to_have_count(1)  # only the spare one is unused
    page.click("#invitations button:has-text('Revoke')")
    expect(page.locator(".notice")).to_contain_text("revoked")
    assert httpx.get(hub.versions_url, headers=auth(spare)).status_code == 401

    # Hub-initiated registration from the parties page, with the token A the party hands out.
    page.goto(f"{hub.base_url}/admin/parties")
    token_oth = oth.control("invite")["token"]
    page.fill("#versions_url", oth.versions_url)
    page.fill("#token", token_oth)
    page.click("#register")
    expect(page.locator(".notice")).to_contain_text("registered with BE-OTH")
    for party_id in ("NL-CPO", "DE-MSP", "BE-OTH"):
        expect(page.locator(f"#party-{party_id} .status").first).to_have_text("CONNECTED")

    # Some routed traffic: the CPO sends sessions to the eMSP through the hub.
    platform = Platform(hub, "NL", "CPO", cpo.state()["token_c"], cpo)
    for n in range(3):
        session = ex.session("NL", "CPO", "DE", "MSP", f"S-{n}")
        ok(
            platform.call(
                "PUT", f"/receiver/sessions/NL/CPO/S-{n}", session, headers=platform.headers(to=("DE", "MSP"))
            ),
            201,
        )
    page.reload()
    expect(page.locator("#party-DE-MSP")).to_contain_text("base64")
    page.screenshot(path=str(shots / "parties.png"), full_page=True)

    # Suspend the eMSP: the CPO is told (ClientInfo SUSPENDED), the eMSP's token opens nothing, nothing is routed to it.
    cpo.control("clear")
    page.click("#party-DE-MSP button:has-text('Suspend')")
    expect(page.locator(".notice")).to_contain_text("DE-MSP is suspended")
    expect(page.locator("#party-DE-MSP .status").first).to_have_text("SUSPENDED")
    [push] = received(cpo, clientinfo("DE/MSP", "SUSPENDED"))
    assert push["body"]["country_code"] == "DE" and push["body"]["role"] == "EMSP"
    refused = httpx.get(hub.versions_url, headers=auth(msp.state()["token_c"]))
    assert refused.status_code == 401 and "suspended" in refused.json()["status_message"]
    blocked = platform.call(
        "PUT",
        "/receiver/sessions/NL/CPO/S-X",
        ex.session("NL", "CPO", "DE", "MSP", "S-X"),
        headers=platform.headers(to=("DE", "MSP")),
    )
    assert blocked.json()["status_code"] == 4003 and "suspended" in blocked.json()["status_message"]

    # Reactivate it while the CPO is down: the ClientInfo CONNECTED push fails and shows up as a failed delivery.
    cpo.control("set", {"down": True})
    page.click("#party-DE-MSP button:has-text('Reactivate')")
    expect(page.locator("#party-DE-MSP .status").first).to_have_text("CONNECTED")
    page.goto(f"{hub.base_url}/admin/deliveries")
    deadline = time.monotonic() + 15
    while page.locator("#failed tbody tr").count() == 0 and time.monotonic() < deadline:
        time.sleep(0.3)
        page.reload()
    row = page.locator("#failed tbody tr").first
    expect(row).to_contain_text("NL-CPO")
    expect(row).to_contain_text("HTTP 503")
    expect(page.locator("#backlog-table")).to_contain_text("NL-CPO")
    page.screenshot(path=str(shots / "deliveries.png"), full_page=True)

    # The CPO is back: retry from the page, and the push arrives.
    cpo.control("set", {"down": False})
    cpo.control("clear")
    row.locator("button:has-text('Retry')").click()
    expect(page.locator(".notice")).to_contain_text("is due again")
    assert received(cpo, clientinfo("DE/MSP", "CONNECTED")), "the retried ClientInfo push did not arrive"
    deadline = time.monotonic() + 15
    while page.locator("#failed tbody tr").count() and time.monotonic() < deadline:
        time.sleep(0.3)
        page.reload()
    expect(page.locator("#no-failed")).to_be_visible()

    # Traffic: the routed sessions and the deliveries, filterable by party and by correlation id.
    page.goto(f"{hub.base_url}/admin/traffic?party=DE/MSP")
    rows = page.locator("#traffic tbody tr")
    assert rows.count() >= 3  # the three sessions (the one refused before routing is not a routed request)
    page.screenshot(path=str(shots / "traffic.png"), full_page=True)
    correlation = rows.first.locator("td").nth(8).inner_text().strip()
    page.fill("#correlation_id", correlation)
    page.fill("#party", "")
    page.click("button:has-text('Filter')")
    expect(page.locator("#traffic tbody tr")).to_have_count(1)
    page.content().index(correlation)

    # Overview: counts, backlog and the charts; then the same on a phone-sized screen.
    page.goto(f"{hub.base_url}/admin/")
    expect(page.locator("#party-counts")).to_contain_text("3 connected")
    expect(page.locator("#ocpi-versions")).to_contain_text("3 on 2.3.0")
    expect(page.locator("#ocpi-versions")).to_contain_text("0 on 2.2.1")
    assert page.locator("section.chart svg rect").count() >= 1
    page.screenshot(path=str(shots / "overview.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.screenshot(path=str(shots / "overview-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    # Sign out: the session is gone and the pages lead to the sign-in form again.
    page.click("#signout")
    assert page.url.endswith("/admin/signin")
    page.goto(f"{hub.base_url}/admin/deliveries")
    assert page.url.endswith("/admin/signin")
    assert not [c for c in page.context.cookies() if c["name"] == "ocpi_hub_session" and c["value"]]
    assert re.search(ADMIN_KEY, hub.log.read_text()) is None  # the key never reaches the log
