"""Generate ``reference_hub/ocpi/models.py`` from ``openapi.yaml``.

Why our own generator rather than datamodel-codegen: OCPI needs three things a generic generator does not give
us without post-processing — DateTime fields typed as our :class:`~reference_hub.ocpi.datetime.DateTime` (UTC-only
parsing, ``Z`` on output), OpenEnums typed as ``str`` with a ``StrEnum`` of known values beside them (unknown values
must decode), and PATCH bodies whose absent fields stay ``UNSET`` (absent is not the same as ``null``).

Usage: ``python tools/gen_models.py [--check]``. ``--check`` exits 1 when the committed file differs.
"""

from __future__ import annotations

import argparse
import keyword
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "openapi.yaml"
TARGET = ROOT / "reference_hub" / "ocpi" / "models.py"

SKIP = {"OcpiResponse", "ErrorResponse", "DateTime", "URL"}
HEADER = '''"""OCPI 2.3.0 wire models, generated from openapi.yaml by tools/gen_models.py. Do not edit by hand.

Optional fields default to ``None`` and are omitted on output; fields absent from a PATCH stay ``UNSET``.
OpenEnum fields are plain ``str`` (unknown values are legal); the ``StrEnum`` of the same name lists the known values.
"""

# ruff: noqa: E501
from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from reference_hub.ocpi.datetime import DateTime


class OcpiStruct(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Base of every OCPI object.

    Unknown fields are skipped, never rejected: OCPI 2.3.0 forbids rejecting payloads for undocumented fields.
    ``omit_defaults`` leaves unset optional fields out of the JSON we send.
    """


Url = Annotated[str, Meta(max_length=255)]
"""An OCPI URL: at most 255 characters."""
'''


def ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def member_name(value: str) -> str:
    name = re.sub(r"[^0-9A-Za-z_]", "_", value)
    if name == "N_A":
        return "N_A"
    if name[0].isdigit():
        name = "V" + name
    if keyword.iskeyword(name):
        name += "_"
    return name


def quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').strip()


class Generator:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.schemas: dict[str, Any] = spec["components"]["schemas"]

    def meta(self, schema: dict[str, Any]) -> list[str]:
        out = []
        if "maxLength" in schema:
            out.append(f"max_length={schema['maxLength']}")
        if "minLength" in schema:
            out.append(f"min_length={schema['minLength']}")
        if "pattern" in schema:
            out.append(f"pattern={schema['pattern']!r}")
        if "minimum" in schema:
            out.append(f"ge={schema['minimum']}")
        if "maximum" in schema:
            out.append(f"le={schema['maximum']}")
        if "minItems" in schema:
            out.append(f"min_length={schema['minItems']}")
        return out

    def annotate(self, base: str, schema: dict[str, Any]) -> str:
        meta = self.meta(schema)
        return f"Annotated[{base}, Meta({', '.join(meta)})]" if meta else base

    def type_of(self, schema: dict[str, Any]) -> tuple[str, bool]:
        """Python type of a property schema and whether it admits null."""
        if "$ref" in schema:
            return self.named(ref_name(schema["$ref"])), False
        for key in ("anyOf", "oneOf"):
            if key in schema:
                parts = [p for p in schema[key] if p.get("type") != "null"]
                nullable = len(parts) != len(schema[key])
                types = [self.type_of(p)[0] for p in parts]
                return " | ".join(types), nullable
        if "allOf" in schema and len(schema["allOf"]) == 1:
            return self.type_of(schema["allOf"][0])
        raw = schema.get("type")
        types = raw if isinstance(raw, list) else [raw]
        nullable = "null" in types
        types = [t for t in types if t != "null"]
        if len(types) != 1:
            raise SystemExit(f"unsupported schema {schema!r}")
        kind = types[0]
        if kind == "array":
            item, _ = self.type_of(schema["items"])
            return self.annotate(f"list[{item}]", schema), nullable
        if kind == "string":
            if "enum" in schema:
                raise SystemExit(f"inline enums are not supported: {schema!r}")
            return self.annotate("str", schema), nullable
        if kind == "integer":
            return self.annotate("int", schema), nullable
        if kind == "number":
            return self.annotate("float", schema), nullable
        if kind == "boolean":
            return "bool", nullable
        if kind == "object":
            return "dict[str, object]", nullable
        raise SystemExit(f"unsupported type {kind!r}")

    def named(self, name: str) -> str:
        if name == "DateTime":
            return "DateTime"
        if name == "URL":
            return "Url"
        schema = self.schemas[name]
        if schema.get("x-ocpi-open-enum"):
            return self.annotate("str", schema)
        if schema.get("type") == "string" and "enum" not in schema:
            return self.annotate("str", schema)
        return name

    def emit_enum(self, name: str, schema: dict[str, Any], values: list[str], open_enum: bool) -> str:
        doc = quote(schema.get("description", name))
        if open_enum:
            doc += " Open enumeration: fields of this type are `str`; these are the known values."
        lines = [f"class {name}(StrEnum):", f'    """{doc}"""', ""]
        lines += [f"    {member_name(str(v))} = {str(v)!r}" for v in values]
        return "\n".join(lines)

    def emit_struct(self, name: str, schema: dict[str, Any]) -> str:
        if "allOf" in schema or schema.get("type") != "object":
            raise SystemExit(f"{name}: only plain object schemas can become Structs")
        patch = name.endswith("Patch")
        required = set(schema.get("required", []))
        lines = [f"class {name}(OcpiStruct, kw_only=True):", f'    """{quote(schema.get("description", name))}"""', ""]
        for field, prop in (schema.get("properties") or {}).items():
            py_type, nullable = self.type_of(prop)
            if field in required:
                line = f"    {field}: {py_type}"
            elif patch:
                line = f"    {field}: {py_type} | None | UnsetType = UNSET"
            else:
                line = f"    {field}: {py_type} | None = None"
            del nullable
            lines.append(line)
            if prop.get("description"):
                lines.append(f'    """{quote(prop["description"])}"""')
        return "\n".join(lines)

    def generate(self) -> str:
        blocks: dict[str, list[str]] = {}
        for name, schema in self.schemas.items():
            if name in SKIP:
                continue
            module = schema.get("x-ocpi-module", "misc")
            if schema.get("x-ocpi-open-enum"):
                block = self.emit_enum(name, schema, schema.get("x-known-values", []), True)
            elif "enum" in schema:
                block = self.emit_enum(name, schema, schema["enum"], False)
            elif schema.get("type") == "object":
                block = self.emit_struct(name, schema)
            else:
                continue
            blocks.setdefault(module, []).append(block)
        out = [HEADER]
        for module, module_blocks in blocks.items():
            out.append(f"\n# --- {module} " + "-" * (100 - len(module)) + "\n")
            out.extend("\n\n" + b + "\n" for b in module_blocks)
        text = "".join(out).rstrip() + "\n"
        return re.sub(r"\n{4,}", "\n\n\n", text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when models.py is not what openapi.yaml generates")
    args = parser.parse_args()
    text = Generator(yaml.safe_load(SPEC.read_text())).generate()
    if args.check:
        if TARGET.read_text() != text:
            print(f"{TARGET} is stale: run python tools/gen_models.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
