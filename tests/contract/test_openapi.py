"""openapi.yaml is valid OpenAPI 3.1, is the source of the wire models, and matches what the hub serves."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate

from reference_hub.api.registry import MODULES
from reference_hub.app import create_app
from reference_hub.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((ROOT / "openapi.yaml").read_text())
METHODS = {"get", "post", "put", "patch", "delete"}


def test_openapi_yaml_is_valid_openapi_3_1() -> None:
    assert SPEC["openapi"].startswith("3.1")
    validate(SPEC)


def test_every_ocpi_module_and_both_interfaces_are_described() -> None:
    seen = {(item.get("x-ocpi-module"), item.get("x-ocpi-interface")) for item in SPEC["paths"].values()}
    for module in (
        "locations",
        "sessions",
        "cdrs",
        "tariffs",
        "tokens",
        "commands",
        "chargingprofiles",
        "payments",
        "hubclientinfo",
    ):
        assert (module, "SENDER") in seen and (module, "RECEIVER") in seen, module
    assert ("versions", None) in seen and ("credentials", None) in seen


def test_wire_models_are_generated_from_openapi_yaml() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_models.py"), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


DESCRIPTIONS = {"2.3.0": SPEC, "2.2.1": yaml.safe_load((ROOT / "openapi-2.2.1.yaml").read_text())}


def _served(version: str) -> set[tuple[str, str]]:
    app = create_app(load_settings(store="sqlite://:memory:"))
    served = set()
    for route in app.routes:
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        if not path.startswith(("/ocpi/versions", f"/ocpi/{version}")):
            continue
        for method in route.methods:
            if method.lower() in METHODS:
                served.add((path, method.lower()))
    return served


@pytest.mark.parametrize("version", sorted(DESCRIPTIONS))
def test_every_ocpi_route_the_hub_serves_is_in_the_description_of_its_version(version: str) -> None:
    spec = DESCRIPTIONS[version]
    described = {(p, m) for p, item in spec["paths"].items() for m in item if m in METHODS}
    missing = _served(version) - described
    assert not missing, f"served but not described in {version}: {sorted(missing)}"


@pytest.mark.parametrize("version", sorted(DESCRIPTIONS))
def test_every_described_hub_interface_is_served(version: str) -> None:
    """For each module interface the hub registers in a version (plus versions and credentials), every operation
    that version's description lists is served."""
    registered = {(m.module, m.role.value) for m in MODULES[version]} | {("versions", None), ("credentials", None)}
    expected = {
        (p, m)
        for p, item in DESCRIPTIONS[version]["paths"].items()
        if (item.get("x-ocpi-module"), item.get("x-ocpi-interface")) in registered
        for m in item
        if m in METHODS
    }
    missing = expected - _served(version)
    assert not missing, f"described for a registered {version} interface but not served: {sorted(missing)}"
