"""The one failed-authentication limiter, on a real hub: past its limit an address is locked out (HTTP 429 with
Retry-After in the OCPI envelope) for OCPI tokens and the admin key alike, even with the right secret, while a token
that authenticated before keeps working; the lock-out is logged, never a secret."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.support.ocpi import auth
from tests.support.processes import HubProcess

pytestmark = pytest.mark.e2e

ADMIN_KEY = "limiter-test-admin-key-5f1e0c"


def _hub(tmp_path: Path, **env: str) -> tuple[HubProcess, list[str]]:
    hub = HubProcess(
        tmp_path / "hub.db",
        env={"OCPI_HUB_AUTH_FAILURE_WINDOW": "60", "OCPI_HUB_ADMIN_KEY": ADMIN_KEY, **env},
    )
    seeded = hub.cli("seed", "--parties", "2", "--export", str(tmp_path / "tokens"))
    assert seeded.returncode == 0, seeded.stderr
    hub.start()
    return hub, (tmp_path / "tokens").read_text().split()


def test_a_token_guesser_is_locked_out_even_with_the_right_token(tmp_path: Path) -> None:
    hub, (used, unused) = _hub(tmp_path, OCPI_HUB_AUTH_FAILURE_LIMIT="5", OCPI_HUB_AUTH_LOCKOUT="3")
    try:
        with httpx.Client(base_url=hub.base_url, timeout=10) as c:
            assert c.get("/ocpi/versions", headers=auth(used)).status_code == 200  # authenticated before the guessing
            codes = [c.get("/ocpi/versions", headers=auth(f"wrong-{n}")).status_code for n in range(8)]
            assert codes[:5] == [401] * 5 and codes[5:] == [429] * 3, codes
            limited = c.get("/ocpi/versions", headers=auth(unused))  # the right token, never seen here: refused
            body = limited.json()
            assert limited.status_code == 429 and body["status_code"] == 2000 and "timestamp" in body
            assert 1 <= int(limited.headers["Retry-After"]) <= 3
            admin = c.get("/admin/partners", headers={"X-Admin-Key": ADMIN_KEY})  # one limiter for every secret
            assert admin.status_code == 429 and int(admin.headers["Retry-After"]) >= 1
            assert c.get("/ocpi/versions", headers=auth(used)).status_code == 200  # never locked out by others
            time.sleep(3.2)
            assert c.get("/ocpi/versions", headers=auth(unused)).status_code == 200
        log = hub.log.read_text()
        assert "locked out 127.0.0.1 for 3 s" in log
        assert used not in log and unused not in log and ADMIN_KEY not in log
    finally:
        hub.stop()


def test_the_admin_key_cannot_be_guessed_without_limit(tmp_path: Path) -> None:
    hub, _tokens = _hub(tmp_path)  # the default limit: a wrong admin key counts ten failed authentications
    try:
        with httpx.Client(base_url=hub.base_url, timeout=10) as c:
            codes = [c.get("/admin/partners", headers={"X-Admin-Key": f"guess-{n}"}).status_code for n in range(40)]
            assert codes[:10] == [403] * 10 and set(codes[11:]) == {429}, codes
            assert c.get("/admin/partners", headers={"X-Admin-Key": ADMIN_KEY}).status_code == 429
        log = hub.log.read_text()
        assert "locked out 127.0.0.1" in log and "admin key" in log and ADMIN_KEY not in log
    finally:
        hub.stop()
