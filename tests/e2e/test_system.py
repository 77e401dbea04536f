"""Health, API description and the admin surface of a real hub process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.support.ocpi import auth
from tests.support.processes import HubProcess, PartyProcess

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def admin_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    hub = HubProcess(tmp_path_factory.mktemp("admin") / "hub.db", env={"OCPI_HUB_ADMIN_KEY": "s3cret-admin"}).start()
    yield hub
    hub.stop()


def test_health_and_api_description(admin_hub: HubProcess) -> None:
    health = httpx.get(f"{admin_hub.base_url}/health").json()
    assert health["status"] == "ok" and health["store"]["backend"] == "sqlite"
    spec = yaml.safe_load(httpx.get(f"{admin_hub.base_url}/openapi.yaml").text)
    assert spec["info"]["version"] == "2.3.0"
    docs = httpx.get(f"{admin_hub.base_url}/docs")
    assert "/openapi.yaml" in docs.text and "/ocpi/2.3.0/sender/locations/{location_id}" in docs.text
    assert "https://" not in docs.text and "<script" not in docs.text  # nothing fetched from elsewhere
    assert "default-src 'none'" in docs.headers["content-security-policy"]


def test_admin_requires_the_key(admin_hub: HubProcess) -> None:
    url = f"{admin_hub.base_url}/admin/invitations"
    assert httpx.post(url).status_code == 403
    assert httpx.post(url, headers={"X-Admin-Key": "wrong"}).status_code == 403
    created = httpx.post(url, headers={"X-Admin-Key": "s3cret-admin"})
    assert created.status_code == 201
    token = created.json()["token"]
    assert httpx.get(admin_hub.versions_url, headers=auth(token)).status_code == 200


def test_admin_hub_initiated_registration_and_partner_list(admin_hub: HubProcess) -> None:
    party = PartyProcess("FR", "ADM").start()
    try:
        invitation = party.control("invite")
        answer = httpx.post(
            f"{admin_hub.base_url}/admin/registrations",
            headers={"X-Admin-Key": "s3cret-admin"},
            json={"versions_url": invitation["versions_url"], "token": invitation["token"]},
            timeout=30,
        )
        assert answer.status_code == 201 and answer.json()["partner_id"] == "FR-ADM"
        partners = httpx.get(f"{admin_hub.base_url}/admin/partners", headers={"X-Admin-Key": "s3cret-admin"}).json()
        assert any(p["partner_id"] == "FR-ADM" and p["status"] == "ACTIVE" for p in partners)
    finally:
        party.stop()


def test_admin_is_off_without_a_key(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path / "hub.db").start()
    try:
        assert httpx.post(f"{hub.base_url}/admin/invitations", headers={"X-Admin-Key": ""}).status_code == 404
    finally:
        hub.stop()


def test_the_root_points_to_the_versions_url_and_health(admin_hub: HubProcess) -> None:
    answer = httpx.get(f"{admin_hub.base_url}/")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert body["versions_url"] == admin_hub.versions_url
    assert body["health"] == f"{admin_hub.base_url}/health"
    assert httpx.get(body["health"]).json()["status"] == "ok"
    assert httpx.get(body["openapi"]).status_code == 200
