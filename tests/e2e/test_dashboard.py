"""The operator dashboard in a real browser: Playwright drives Debian's Chromium (headless, no browser download)
against a real hub process, with real party processes that record what they receive.

An operator's afternoon, every step through the pages only: sign in by name (accounts made with ``ocpi-hub
operators add``), create labelled invitations that parties then use to register, start a hub-initiated registration,
route traffic, suspend a party and see the ClientInfo push arrive at another party, watch a party turn DEGRADED (with
its last error) as soon as its receiver stops answering, work the failed deliveries (filtered, paged, every button
inside 1280 px, the failed exchange's bodies without any token) and retry them in bulk, see the party recover, find a
CDR and a token by id with what each receiver was sent, page and filter the traffic with failure reasons, read the
audit log, and sign in as a viewer who sees everything and can change nothing.

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
PASSWORDS = {"alice": "alice-has-a-long-password", "victor": "victor-only-looks-around"}
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


def invite(page: Any, hub: HubProcess, label: str) -> str:
    page.goto(f"{hub.base_url}/admin/invites")
    page.fill("#label", label)
    page.click("#create-invitation")
    token: str = page.text_content("#token-a").strip()
    assert page.text_content("#versions-url").strip() == hub.versions_url
    return token


def sign_in(page: Any, hub: HubProcess, name: str, password: str) -> None:
    page.goto(f"{hub.base_url}/admin/signin")
    page.fill("#name", name)
    page.fill("#key", password)
    page.click("#signin")


def reload_until(page: Any, check: Callable[[], bool], timeout: float = 20) -> None:
    """Reload the page until ``check`` holds (the hub's workers act in the background)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"still not so after {timeout} s: {page.url}"
        time.sleep(0.3)
        page.reload()


def nothing_clipped(page: Any, width: int = 1280) -> None:
    """At ``width`` px: the page does not scroll sideways, no table needs its scroll bar, and every button and link of a
    table lies wholly inside its cell and the window (measured from the element boxes)."""
    found = page.evaluate(
        """(width) => {
        const bad = [];
        if (document.documentElement.scrollWidth > width) bad.push('page ' + document.documentElement.scrollWidth);
        for (const box of document.querySelectorAll('.scroll')) {
            if (box.scrollWidth > box.clientWidth + 1)
                bad.push('table ' + box.firstElementChild.id + ' ' + box.scrollWidth);
        }
        for (const el of document.querySelectorAll('table button, table a')) {
            const r = el.getBoundingClientRect(), cell = el.closest('td, th').getBoundingClientRect();
            if (el.closest('td.clip')) continue;  // cut on purpose, the full text in its title
            if (r.right > cell.right + 1 || r.left < cell.left - 1 || r.right > width)
                bad.push(el.textContent.trim() + ' ' + Math.round(r.left) + '-' + Math.round(r.right) + ' in ' +
                         Math.round(cell.left) + '-' + Math.round(cell.right));
        }
        return bad;
    }""",
        width,
    )
    assert found == [], found


def test_operator_runs_the_hub_from_the_browser(world: dict[str, Any], page: Any, shots: Path) -> None:
    hub: HubProcess = world["hub"]
    cpo: PartyProcess = world["cpo"]
    msp: PartyProcess = world["msp"]
    oth: PartyProcess = world["oth"]
    expect = sync_api.expect

    # Named accounts, made on the command line against the running hub's store.
    for name, role in (("alice", "operator"), ("victor", "viewer")):
        made = hub.cli("operators", "add", name, "--role", role, "--password-stdin", input=PASSWORDS[name] + "\n")
        assert made.returncode == 0, made.stderr
    listed = hub.cli("operators", "list").stdout
    assert "alice" in listed and "viewer" in listed and PASSWORDS["alice"] not in listed

    # Signed out, every page leads to the sign-in form; a wrong password or key is refused (and slowed down).
    page.goto(f"{hub.base_url}/admin/parties")
    assert page.url.endswith("/admin/signin")
    sign_in(page, hub, "alice", "not her password")
    expect(page.locator(".error")).to_contain_text("do not match")
    sign_in(page, hub, "", "not the key")
    expect(page.locator(".error")).to_contain_text("not the admin key")
    page.goto(f"{hub.base_url}/admin/signin")
    page.fill("#name", "alice")
    page.fill("#key", PASSWORDS["alice"])
    page.screenshot(path=str(shots / "signin.png"))
    page.click("#signin")
    expect(page.locator("h1")).to_have_text("Overview")
    expect(page.locator("#who")).to_have_text("alice")
    assert PASSWORDS["alice"] not in page.content()
    [cookie] = [c for c in page.context.cookies() if c["name"] == "ocpi_hub_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/admin"

    # Invitations carry a label and an expiry; token A is shown once, with a copy button.
    token_cpo = invite(page, hub, "NL-CPO test platform")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=hub.base_url)
    page.click("button[data-copy='token-a']")
    expect(page.locator("button[data-copy='token-a']")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == token_cpo
    row = page.locator("#invitations tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("NL-CPO test platform")
    expect(row.locator("td").nth(3)).to_contain_text(time.strftime("%Y-%m-%d", time.gmtime(time.time() + 7 * 86400)))
    page.screenshot(path=str(shots / "invitation.png"))
    assert cpo.control("register", {"versions_url": hub.versions_url, "token": token_cpo})["http"] == 200
    token_msp = invite(page, hub, "DE-MSP")
    assert msp.control("register", {"versions_url": hub.versions_url, "token": token_msp})["http"] == 200
    spare = invite(page, hub, "spare")
    page.goto(f"{hub.base_url}/admin/invites")
    expect(page.locator("#invitations tbody tr")).to_have_count(1)  # only the spare one is unused
    page.click("#invitations button:has-text('Revoke')")
    expect(page.locator(".notice")).to_contain_text("revoked")
    assert httpx.get(hub.versions_url, headers=auth(spare)).status_code == 401
    # An invitation past its expiry is refused, and the refusal says why.
    made = hub.cli("invite", env={"OCPI_HUB_INVITATION_DAYS": "0.00001"})  # under a second
    assert made.returncode == 0, made.stderr
    time.sleep(1.2)
    expired = httpx.get(hub.versions_url, headers=auth(made.stdout.strip().splitlines()[-1]))
    assert expired.status_code == 401 and "expired" in expired.json()["status_message"]

    # Hub-initiated registration from the parties page, with the token A the party hands out.
    page.goto(f"{hub.base_url}/admin/parties")
    token_oth = oth.control("invite")["token"]
    page.fill("#versions_url", oth.versions_url)
    page.fill("#token", token_oth)
    page.click("#register")
    expect(page.locator(".notice")).to_contain_text("registered with BE-OTH")
    for party_id in ("NL-CPO", "DE-MSP", "BE-OTH"):
        expect(page.locator(f"#party-{party_id} .status").first).to_have_text("CONNECTED")

    # Routed traffic: the CPO sends 55 sessions to the eMSP through the hub, and pushes a CDR to the hub.
    platform = Platform(hub, "NL", "CPO", cpo.state()["token_c"], cpo)
    emsp = Platform(hub, "DE", "MSP", msp.state()["token_c"], msp)
    for n in range(55):
        session = ex.session("NL", "CPO", "DE", "MSP", f"S-{n}")
        ok(
            platform.call(
                "PUT", f"/receiver/sessions/NL/CPO/S-{n}", session, headers=platform.headers(to=("DE", "MSP"))
            ),
            201,
        )
    ok(platform.call("POST", "/receiver/cdrs", ex.cdr("NL", "CPO", "DE", "MSP", "CDR-4711")), 201)
    assert received(msp, lambda r: r["method"] == "POST" and "/cdrs" in r["path"]), "the CDR was not delivered"
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
    refused = httpx.get(hub.versions_url, headers=auth(emsp.token))
    assert refused.status_code == 401 and "suspended" in refused.json()["status_message"]
    blocked = platform.call(
        "PUT",
        "/receiver/sessions/NL/CPO/S-X",
        ex.session("NL", "CPO", "DE", "MSP", "S-X"),
        headers=platform.headers(to=("DE", "MSP")),
    )
    assert blocked.json()["status_code"] == 4003 and "suspended" in blocked.json()["status_message"]

    # The CPO stops answering: reactivating the eMSP pushes ClientInfo to it and the eMSP's tokens follow; every
    # push fails, and the CPO shows DEGRADED with its last error at once (not after the still-alive check).
    cpo.control("set", {"down": True})
    page.click("#party-DE-MSP button:has-text('Reactivate')")
    expect(page.locator("#party-DE-MSP .status").first).to_have_text("CONNECTED")
    for uid in ("TOKEN-A1", "TOKEN-A2", "TOKEN-A3"):
        ok(emsp.call("PUT", f"/receiver/tokens/DE/MSP/{uid}", ex.token("DE", "MSP", uid)), 201)
    reload_until(page, lambda: page.locator("#party-NL-CPO .status").first.inner_text() == "DEGRADED")
    expect(page.locator("#party-NL-CPO .health-error")).to_contain_text("HTTP 503")
    page.goto(f"{hub.base_url}/admin/")
    expect(page.locator("#party-counts")).to_contain_text("1 degraded")

    # Deliveries: the failed ones to the CPO, filtered, every button inside 1280 px; one failed exchange shown.
    page.goto(f"{hub.base_url}/admin/deliveries?receiver=NL-CPO&state=FAILED")
    reload_until(page, lambda: page.locator("#deliveries tbody tr").count() >= 4)
    expect(page.locator("#deliveries tbody tr").first).to_contain_text("HTTP 503")
    expect(page.locator("#backlog-table tr[data-receiver='NL-CPO']")).to_contain_text("4")
    nothing_clipped(page)
    page.screenshot(path=str(shots / "deliveries.png"), full_page=True)
    page.locator("#deliveries tbody tr:has-text('TOKEN-A2') a.exchange-link").click()
    expect(page.locator("#exchange")).to_contain_text("HTTP 503")
    expect(page.locator("#request-body")).to_contain_text("TOKEN-A2")
    expect(page.locator("#request-headers")).to_contain_text("X-Correlation-ID")
    assert "Authorization" not in page.locator("#request-headers").inner_text()
    assert not [t for t in (cpo.state()["token_c"], emsp.token, ADMIN_KEY) if t in page.content()]
    page.screenshot(path=str(shots / "exchange.png"), full_page=True)
    page.goto(f"{hub.base_url}/admin/deliveries?module=tokens&state=FAILED")
    expect(page.locator("#deliveries tbody tr")).to_have_count(3)
    page.fill("#f-from", time.strftime("%Y-%m-%dT%H:%M", time.gmtime(time.time() + 3600)))  # an hour from now
    page.click("#delivery-filters button")
    expect(page.locator("#deliveries-pager")).to_contain_text("No delivery matches")
    page.fill("#f-from", time.strftime("%Y-%m-%dT%H:%M", time.gmtime(time.time() - 3600)))
    page.click("#delivery-filters button")
    expect(page.locator("#deliveries tbody tr")).to_have_count(3)

    # The CPO is back: retry every failed delivery to it at once; the pushes arrive and the CPO is CONNECTED again.
    cpo.control("set", {"down": False})
    cpo.control("clear")
    page.goto(f"{hub.base_url}/admin/deliveries")
    page.click("#backlog-table tr[data-receiver='NL-CPO'] button.retry-all")
    expect(page.locator(".notice")).to_contain_text("Every failed delivery to NL-CPO is due again")
    assert received(cpo, clientinfo("DE/MSP", "CONNECTED")), "the retried ClientInfo push did not arrive"
    assert received(cpo, lambda r: r["path"].endswith("/TOKEN-A3")), "the retried token push did not arrive"
    reload_until(page, lambda: page.locator("#no-failed").count() == 1)
    page.goto(f"{hub.base_url}/admin/parties")
    reload_until(page, lambda: page.locator("#party-NL-CPO .status").first.inner_text() == "CONNECTED")
    assert page.locator("#party-NL-CPO .health-error").count() == 0

    # The data the hub holds: counts per module and owner, a CDR found by id and a token by uid, with deliveries.
    page.goto(f"{hub.base_url}/admin/data")
    expect(page.locator("#counts")).to_contain_text("cdrs")
    page.fill("#q", "cdr-4711")
    page.click("#search")
    expect(page.locator("#found tbody tr")).to_have_count(1)
    page.click("#found a")
    expect(page.locator("#object-json")).to_contain_text('"id": "CDR-4711"')
    expect(page.locator("#object-exchanges")).to_contain_text("DE/MSP")
    expect(page.locator("#object-exchanges")).to_contain_text("delivered")
    page.screenshot(path=str(shots / "object.png"), full_page=True)
    page.goto(f"{hub.base_url}/admin/data?q=TOKEN-A3")
    expect(page.locator("#found tbody tr")).to_have_count(1)
    page.click("#found a")
    exchanges = page.locator("#object-exchanges tbody tr")
    expect(exchanges).to_have_count(1)  # to the one CPO: the failed try was replaced by the retry that arrived
    expect(exchanges.first).to_contain_text("NL/CPO")
    expect(exchanges.first).to_contain_text("delivered")
    nothing_clipped(page)

    # Traffic: paged, dated, with why a request failed; filterable by party, correlation id and failure.
    page.goto(f"{hub.base_url}/admin/traffic?party=DE/MSP")
    expect(page.locator("#traffic-pager")).to_contain_text("of ")
    rows = page.locator("#traffic tbody tr")
    expect(rows).to_have_count(50)
    expect(rows.first.locator("td").first).to_contain_text(time.strftime("%Y-%m-%d", time.gmtime()))
    page.click("#traffic-next")
    assert page.locator("#traffic tbody tr").count() >= 5
    page.goto(f"{hub.base_url}/admin/traffic?party=NL-CPO&failed=1")
    expect(page.locator("#traffic tbody tr").first).to_contain_text("HTTP 503")
    nothing_clipped(page)
    page.goto(f"{hub.base_url}/admin/traffic?party=DE/MSP")
    page.screenshot(path=str(shots / "traffic.png"), full_page=True)
    correlation = page.locator("#traffic tbody tr").first.locator("td").nth(8).inner_text().strip()
    page.fill("#correlation_id", correlation)
    page.fill("#party", "")
    page.click("button:has-text('Filter')")
    expect(page.locator("#traffic tbody tr")).to_have_count(1)

    # The audit log: who did what to which party, invitation or delivery.
    page.goto(f"{hub.base_url}/admin/audit")
    audit = page.locator("#audit tbody")
    for action, subject in (
        ("suspend", "DE-MSP"),
        ("reactivate", "DE-MSP"),
        ("retried all failed deliveries", "NL-CPO"),
    ):
        expect(audit.locator(f"tr:has-text('{action}')").filter(has_text=subject).first).to_contain_text("alice")
    expect(audit).to_contain_text("revoke invitation")
    expect(audit).to_contain_text("add operator")
    nothing_clipped(page)
    page.screenshot(path=str(shots / "audit.png"), full_page=True)

    # Overview: counts, backlog and the charts; then the same on a phone-sized screen.
    page.goto(f"{hub.base_url}/admin/")
    expect(page.locator("#party-counts")).to_contain_text("3 connected")
    expect(page.locator("#ocpi-versions")).to_contain_text("3 on 2.3.0")
    expect(page.locator("#ocpi-versions")).to_contain_text("0 on 2.2.1")
    assert page.locator("section.chart svg rect").count() >= 1
    for span in ("hour", "day"):  # percentiles and error rate, with labelled axes, over either span
        page.click(f"#span-{span}")
        expect(page.locator("section.chart").first).to_contain_text("p50, p95, p99")
        assert page.locator("section.chart svg polyline.q-p99").count() >= 1
        assert page.locator("section.chart .yaxis span").count() >= 6
        expect(page.locator("section.chart").nth(1)).to_contain_text("Error rate")
    page.click("#span-hour")
    page.screenshot(path=str(shots / "overview.png"), full_page=True)
    # A party's own page: its health and the latency and errors of what the hub sent it.
    page.goto(f"{hub.base_url}/admin/parties")
    page.click("#party-NL-CPO h2 a")
    expect(page.locator("#party-status")).to_have_text("CONNECTED")
    expect(page.locator("section.chart").first).to_contain_text("requests sent to NL-CPO")
    expect(page.locator("section.chart").nth(1)).to_contain_text("not answered with status 1000")
    assert page.locator("section.chart").nth(1).locator("svg rect").count() >= 1  # the failures while it was down
    nothing_clipped(page)
    page.screenshot(path=str(shots / "party.png"), full_page=True)
    page.goto(f"{hub.base_url}/admin/")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.screenshot(path=str(shots / "overview-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    # A restart: last seen comes from the store (written at least once a minute, and on the way out), the session
    # cookie still works (signed, no session table), and the DEGRADED mark, cleared, stays cleared.
    hub.stop()
    hub.start()
    page.goto(f"{hub.base_url}/admin/parties")
    for party_id in ("NL-CPO", "DE-MSP"):
        assert page.locator(f"#party-{party_id} .status").first.inner_text() == "CONNECTED"
        seen = page.locator(f"#party-{party_id} dt:has-text('Last seen') + dd").inner_text()
        assert seen.startswith(time.strftime("%Y-%m-%d", time.gmtime())), seen

    # A viewer reads every page but has no buttons, and a forged form is refused.
    page.click("#signout")
    sign_in(page, hub, "victor", PASSWORDS["victor"])
    expect(page.locator("#who")).to_contain_text("viewer")
    page.goto(f"{hub.base_url}/admin/parties")
    expect(page.locator("#party-DE-MSP")).to_be_visible()
    assert page.locator("#party-DE-MSP button").count() == 0 and page.locator("#register").count() == 0
    page.goto(f"{hub.base_url}/admin/invites")
    assert page.locator("#create-invitation").count() == 0
    csrf = page.locator("form.signout input[name=csrf]").get_attribute("value")
    forged = page.request.post(
        f"{hub.base_url}/admin/parties/DE-MSP/suspend", form={"csrf": csrf}, headers={"Origin": hub.base_url}
    )
    assert forged.status == 403 and "viewer" in forged.text()
    page.goto(f"{hub.base_url}/admin/parties")
    expect(page.locator("#party-DE-MSP .status").first).to_have_text("CONNECTED")

    # Sign out: the session is gone and the pages lead to the sign-in form again.
    page.click("#signout")
    assert page.url.endswith("/admin/signin")
    page.goto(f"{hub.base_url}/admin/deliveries")
    assert page.url.endswith("/admin/signin")
    assert not [c for c in page.context.cookies() if c["name"] == "ocpi_hub_session" and c["value"]]
    log = hub.log.read_text()
    assert re.search(ADMIN_KEY, log) is None and not [p for p in PASSWORDS.values() if p in log]
