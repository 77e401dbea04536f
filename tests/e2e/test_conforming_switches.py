"""The switches that make the hub write what other platforms conformingly write (a certifier must pass them) do change
what the hub answers, and what they make it answer still matches the description; the harness tests then show the
certifier passes them (``tests/harness/test_against_reference_hub.py``, rows marked conforming)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from tests.support.ocpi import auth
from tests.support.processes import HubProcess

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _violations(doc: object) -> list[str]:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    registry: Registry = Registry().with_resource("urn:ocpi", DRAFT202012.create_resource(spec))
    validator = Draft202012Validator({"$ref": "urn:ocpi#/components/schemas/Location"}, registry=registry)
    return [e.message for e in validator.iter_errors(doc)]


def test_lower_cased_cistrings_null_optional_fields_and_an_empty_last_link(tmp_path: Path) -> None:
    hub = HubProcess(
        tmp_path / "hub.db", faults=("lowercase_cistrings", "null_optional_fields", "empty_link_last_page")
    )
    assert hub.cli("seed", "--parties", "1", "--export", str(tmp_path / "tokens.txt")).returncode == 0
    assert hub.cli("seed-locations", "--locations", "2", "--owner", "AA/000").returncode == 0
    hub.start()
    try:
        headers = {
            **auth((tmp_path / "tokens.txt").read_text().split()[0]),
            "OCPI-from-country-code": "AA",
            "OCPI-from-party-id": "000",
            "OCPI-to-country-code": "NL",
            "OCPI-to-party-id": "HUB",
        }
        answer = httpx.get(f"{hub.base_url}/ocpi/2.3.0/sender/locations", headers=headers)
        assert answer.status_code == 200 and answer.headers["link"] == ""  # the last (only) page
        items = answer.json()["data"]
        assert len(items) == 2
        for item in items:
            assert (item["country_code"], item["party_id"]) == ("aa", "000")
            assert item["directions"] is None and item["energy_mix"] is None  # optional, left out by the seed
            assert _violations(item) == []
    finally:
        hub.stop()
