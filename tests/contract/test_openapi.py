"""openapi.yaml is valid OpenAPI 3.1, is the source of the wire models, and matches what the hub serves."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

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


def _served() -> set[tuple[str, str]]:
    app = create_app(load_settings(store="sqlite://:memory:"))
    served = set()
    for route in app.routes:
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        if not path.startswith("/ocpi"):
            continue
        for method in route.methods:
            if method.lower() in METHODS:
                served.add((path, method.lower()))
    return served


def test_every_ocpi_route_the_hub_serves_is_in_openapi_yaml() -> None:
    described = {(p, m) for p, item in SPEC["paths"].items() for m in item if m in METHODS}
    missing = _served() - described
    assert not missing, f"served but not described: {sorted(missing)}"


def test_every_described_hub_interface_is_served() -> None:
    """For each module interface the hub registers (plus versions), every operation openapi.yaml lists is served."""
    registered = {(m.module, m.role.value) for m in MODULES} | {("versions", None)}
    registered |= {("credentials", None)}
    expected = {
        (p, m)
        for p, item in SPEC["paths"].items()
        if (item.get("x-ocpi-module"), item.get("x-ocpi-interface")) in registered
        for m in item
        if m in METHODS
    }
    missing = expected - _served()
    assert not missing, f"described for a registered interface but not served: {sorted(missing)}"
