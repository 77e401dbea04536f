"""What the description tests share: our OpenAPI descriptions as JSON Schema validators, the generated models as the
hub decodes with them, and the official OCPI example files.

The examples are verbatim copies of the specification's own ``examples/`` folders (CC BY-ND 4.0, attribution and
sources in ``tests/data/ocpi-examples/README.md``; never edited), kept in ``tests/data/ocpi-examples``.
``OCPI_EXAMPLES_DIR`` points elsewhere (e.g. at a newer copy).
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from reference_hub.ocpi.codec import Codec
from reference_hub.ocpi.errors import InvalidOrMissingParameters

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_ENV = "OCPI_EXAMPLES_DIR"
_CODEC = Codec()


@functools.cache
def description(file_name: str) -> dict[str, Any]:
    """One of our descriptions (``openapi.yaml``, ``openapi-2.2.1.yaml``), parsed."""
    loaded: dict[str, Any] = yaml.safe_load((ROOT / file_name).read_text())
    return loaded


@functools.cache
def _validator(file_name: str, pointer: str) -> Draft202012Validator:
    uri = f"urn:ocpi-test:{file_name}"
    registry: Registry = Registry().with_resource(uri, DRAFT202012.create_resource(description(file_name)))
    return Draft202012Validator({"$ref": f"{uri}#{pointer}"}, registry=registry)


def schema_errors(file_name: str, schema: str, instance: Any) -> list[str]:
    """Violations of ``components.schemas.<schema>`` of a description, as ``path: message`` lines (empty: valid)."""
    assert schema in description(file_name)["components"]["schemas"], f"{file_name} has no schema {schema}"
    errors = _validator(file_name, f"/components/schemas/{schema}").iter_errors(instance)
    return sorted(f"{'/'.join(str(p) for p in e.absolute_path) or '(object)'}: {e.message}" for e in errors)


def property_errors(file_name: str, schema: str, field: str, instance: Any) -> list[str]:
    """Violations of the schema of one property of ``components.schemas.<schema>``."""
    pointer = f"/components/schemas/{schema}/properties/{field}"
    return sorted(
        f"{'/'.join(str(p) for p in e.absolute_path) or '(value)'}: {e.message}"
        for e in _validator(file_name, pointer).iter_errors(instance)
    )


def decode(models: ModuleType, schema: str, instance: Any) -> Any:
    """Decode ``instance`` into the generated Struct named ``schema`` exactly as the hub decodes a request body."""
    return _CODEC.decode(json.dumps(instance).encode(), getattr(models, schema))


def refused_by_models(models: ModuleType, schema: str, instance: Any) -> bool:
    try:
        decode(models, schema, instance)
    except InvalidOrMissingParameters:
        return True
    return False


def round_trip(models: ModuleType, schema: str, instance: Any) -> Any:
    """What the hub would send on after decoding ``instance``: decoded, encoded, parsed again."""
    return json.loads(_CODEC.encode(decode(models, schema, instance)))


def examples_dir(folder: str) -> Path:
    """``<examples>/<folder>`` of the official examples, or a skip naming where they were looked for."""
    candidates = []
    if os.environ.get(EXAMPLES_ENV):
        candidates.append(Path(os.environ[EXAMPLES_ENV]))
    candidates.append(ROOT / "tests" / "data" / "ocpi-examples")
    for base in candidates:
        if (base / folder).is_dir():
            return base / folder
    pytest.skip(
        f"the official OCPI examples ({folder}/) are not on this machine: set {EXAMPLES_ENV} to the folder that holds "
        f"2.2.1/, 2.3.0/ and bookings-1.1/ (looked in {', '.join(str(c) for c in candidates[:3])}, ...)"
    )


def load_example(folder: Path, name: str) -> Any:
    return json.loads((folder / name).read_text(encoding="utf-8"))
