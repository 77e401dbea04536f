"""The limit on failed authentications per client address, on a real hub: past it, failures get HTTP 429 with
Retry-After in the OCPI envelope, and a valid token from the same address still works."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.ocpi import auth
from tests.support.processes import HubProcess

pytestmark = pytest.mark.e2e


def test_failures_past_the_limit_get_429_and_valid_tokens_still_pass(tmp_path: Path) -> None:
    hub = HubProcess(
        tmp_path / "hub.db", env={"OCPI_HUB_AUTH_FAILURE_LIMIT": "5", "OCPI_HUB_AUTH_FAILURE_WINDOW": "60"}
    )
    seeded = hub.cli("seed", "--parties", "1", "--export", str(tmp_path / "tokens"))
    assert seeded.returncode == 0, seeded.stderr
    token = (tmp_path / "tokens").read_text().split()[0]
    hub.start()
    try:
        with httpx.Client(base_url=hub.base_url, timeout=10) as c:
            codes = [c.get("/ocpi/versions", headers=auth(f"wrong-{n}")).status_code for n in range(8)]
            assert codes[:5] == [401] * 5 and codes[5:] == [429] * 3, codes
            limited = c.get("/ocpi/versions", headers=auth("wrong-again"))
            body = limited.json()
            assert body["status_code"] == 2000 and "timestamp" in body and int(limited.headers["Retry-After"]) >= 1
            assert c.get("/ocpi/versions", headers=auth(token)).status_code == 200  # never refused for its address
    finally:
        hub.stop()
