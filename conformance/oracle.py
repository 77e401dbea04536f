"""The harness's source of truth: the project's own description of the version under test (OpenAPI 3.1).

``openapi.yaml`` for OCPI 2.3.0 and ``openapi-2.2.1.yaml`` for 2.2.1, loaded from the repository root
(:data:`conformance.versions.DESCRIPTIONS`); ``OCPI_CONFORMANCE_OPENAPI`` replaces the 2.3.0 one. Never from the
reference hub's models: the harness must be able to disagree with them.

Path conventions of each document (version ``V``, from its ``info.version``): the Sender and Receiver interfaces of
module ``M`` live under ``/ocpi/V/sender/M`` and ``/ocpi/V/receiver/M``; versions under ``/ocpi/versions`` and
``/ocpi/V``; credentials under ``/ocpi/V/credentials``. Any other implementation
publishes its own URLs in its version details, so callers name operations by
(module, interface, method, suffix) and never by URL.
"""

from __future__ import annotations

import copy
import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from conformance import versions

__all__ = (
    "OPENAPI_ENV",
    "Operation",
    "Oracle",
    "OracleUnavailable",
    "default_openapi_path",
    "get_oracle",
)

OPENAPI_ENV = "OCPI_CONFORMANCE_OPENAPI"
_URI = "urn:ocpi-conformance:openapi"
_METHODS = ("get", "put", "post", "patch", "delete")


class OracleUnavailable(RuntimeError):
    """openapi.yaml is missing, unreadable, or lacks the operation asked for."""


def default_openapi_path(version: str | None = None) -> Path:
    """The description of ``version`` (default: the pass being run); ``$OCPI_CONFORMANCE_OPENAPI`` for 2.3.0."""
    version = version or versions.current()
    env = os.environ.get(OPENAPI_ENV)
    if env and version == versions.V230:
        return Path(env)
    return Path(__file__).resolve().parents[1] / versions.DESCRIPTIONS[version]


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class Operation:
    """One operation of openapi.yaml, located by OCPI terms."""

    path: str
    method: str
    module: str
    interface: str | None
    operation_id: str
    suffix: str
    """The part of ``path`` after the module's base, e.g. ``/{country_code}/{party_id}``."""


class Oracle:
    """Loaded openapi.yaml with lookups by OCPI module and JSON Schema validation."""

    def __init__(self, document: dict[str, Any], source: str = "") -> None:
        self.document = document
        self.source = source
        self.version = str((document.get("info") or {}).get("version") or versions.V230)
        """The OCPI version this document describes: its paths live under ``/ocpi/<version>``."""
        resource = DRAFT202012.create_resource(document)
        self._registry: Registry = Registry().with_resource(_URI, resource)
        self.operations: list[Operation] = []
        for path, item in (document.get("paths") or {}).items():
            module = item.get("x-ocpi-module")
            if not module:
                continue
            interface = item.get("x-ocpi-interface")
            if interface is None and "/sender/" in path:
                interface = "SENDER"
            elif interface is None and "/receiver/" in path:
                interface = "RECEIVER"
            base = self.canonical_base(module, interface, path)
            suffix = path[len(base) :] if base and path.startswith(base) else ""
            for method in _METHODS:
                op = item.get(method)
                if op is None:
                    continue
                self.operations.append(
                    Operation(path, method.upper(), module, interface, op.get("operationId", ""), suffix)
                )

    # -- locating ----------------------------------------------------------------------------
    def canonical_base(self, module: str, interface: str | None, path: str = "") -> str:
        """The path prefix the description uses for a module interface."""
        if module == "versions":
            return "/ocpi/versions" if path.startswith("/ocpi/versions") else f"/ocpi/{self.version}"
        if module == "credentials":
            return f"/ocpi/{self.version}/credentials"
        side = (interface or "SENDER").lower()
        return f"/ocpi/{self.version}/{side}/{module}"

    def find(self, module: str, interface: str | None, method: str, suffix: str = "") -> Operation:
        """The operation for (module, interface, method, suffix); raises OracleUnavailable."""
        for op in self.operations:
            if (
                op.module == module
                and (interface is None or op.interface in (None, interface))
                and op.method == method.upper()
                and op.suffix == suffix
            ):
                return op
        raise OracleUnavailable(
            f"{self.source or 'openapi.yaml'} describes no {method.upper()} {module}"
            f"{' ' + interface if interface else ''}{' ' + suffix if suffix else ''}"
        )

    def versions_list(self) -> Operation:
        for op in self.operations:
            if op.module == "versions" and op.path == "/ocpi/versions" and op.method == "GET":
                return op
        raise OracleUnavailable("openapi.yaml has no GET /ocpi/versions")

    def versions_details(self) -> Operation:
        for op in self.operations:
            if op.module == "versions" and op.path != "/ocpi/versions" and op.method == "GET":
                return op
        raise OracleUnavailable("openapi.yaml has no GET version details")

    # -- validating --------------------------------------------------------------------------
    def _resolve(self, obj: dict[str, Any]) -> dict[str, Any]:
        while isinstance(obj, dict) and "$ref" in obj and obj["$ref"].startswith("#/"):
            node: Any = self.document
            for part in obj["$ref"][2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            obj = node
        return obj

    def response_pointer(self, op: Operation, status: int) -> str | None:
        """JSON pointer to the JSON schema of the response to ``op`` with HTTP ``status``, if described."""
        responses = self.document["paths"][op.path][op.method.lower()].get("responses", {})
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in responses:
                response = responses[key]
                base = f"/paths/{_escape(op.path)}/{op.method.lower()}/responses/{_escape(key)}"
                if "$ref" in response:
                    base = response["$ref"][1:]
                    response = self._resolve(response)
                if "application/json" in (response.get("content") or {}):
                    return f"{base}/content/application~1json/schema"
                return None
        return None

    def data_shape(self, op: Operation, status: int = 200) -> str | None:
        """``object`` or ``array``: the JSON type openapi.yaml gives ``data`` in the answer to ``op`` with HTTP
        ``status``; None when it gives none (no data, or any)."""
        pointer = self.response_pointer(op, status)
        if pointer is None:
            return None
        node: Any = self.document
        for part in pointer.lstrip("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        stack = [self._resolve(node)]
        while stack:
            schema = self._resolve(stack.pop())
            data = (schema.get("properties") or {}).get("data")
            if data is not None:
                data = self._resolve(data)
                for option in data.get("anyOf") or data.get("oneOf") or [data]:
                    option = self._resolve(option)
                    kind = option.get("type")
                    kinds = kind if isinstance(kind, list) else [kind]
                    for wanted in ("array", "object"):
                        if wanted in kinds or (wanted == "object" and "properties" in option):
                            return wanted
                return None
            stack.extend(schema.get("allOf") or [])
        return None

    def operation_at(self, module: str, interface: str | None, method: str, rest: str) -> Operation | None:
        """The operation of ``module``/``interface`` whose path suffix matches ``rest`` (the request path after the
        advertised endpoint URL, e.g. ``/NL/ABC/LOC1``), for ``method``; None when openapi.yaml has none."""
        best: Operation | None = None
        for op in self.operations:
            if (
                op.module != module
                or op.method != method.upper()
                or (interface and op.interface not in (None, interface))
            ):
                continue
            pattern = "^" + "[^/]+".join(re.escape(part) for part in re.split(r"\{[^}]+\}", op.suffix)) + "/?$"
            if re.match(pattern, rest) and (best is None or len(op.suffix) > len(best.suffix)):
                best = op
        return best

    def documented_statuses(self, op: Operation) -> list[str]:
        return list(self.document["paths"][op.path][op.method.lower()].get("responses", {}))

    @functools.lru_cache(maxsize=256)  # noqa: B019 - one Oracle per process
    def _validator(self, pointer: str) -> Draft202012Validator:
        return Draft202012Validator({"$ref": f"{_URI}#{pointer}"}, registry=self._registry)

    def validate_pointer(self, pointer: str, instance: Any) -> list[str]:
        """Violations of the schema at ``pointer`` as ``path: message`` lines (empty when valid)."""
        errors = sorted(self._validator(pointer).iter_errors(instance), key=lambda e: list(e.absolute_path))
        out = []
        for err in errors[:20]:
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path) or "(body)"
            out.append(f"{where}: {err.message}")
        if len(errors) > 20:
            out.append(f"... and {len(errors) - 20} more")
        return out

    @functools.cached_property
    def closed(self) -> Oracle:
        """This description with every object schema of its components closed (``additionalProperties: false``).

        Neither description forbids fields it does not define (2.3.0 obliges receivers to tolerate them); 2.2.1 has
        no such rule, so a field of a later version in a 2.2.1 object is only seen against the closed schemas.
        """
        doc = copy.deepcopy(self.document)
        for schema in (doc.get("components", {}).get("schemas") or {}).values():
            if isinstance(schema, dict) and "properties" in schema and "additionalProperties" not in schema:
                schema["additionalProperties"] = False
        return Oracle(doc, self.source)

    def validate_component(self, name: str, instance: Any) -> list[str]:
        """Violations of ``components.schemas.<name>``."""
        if name not in (self.document.get("components", {}).get("schemas") or {}):
            raise OracleUnavailable(f"openapi.yaml has no schema {name}")
        return self.validate_pointer(f"/components/schemas/{_escape(name)}", instance)


_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""PyYAML's safe loader in C (libyaml, in PyYAML's wheels) when present: openapi.yaml took the pure-Python loader half
a second of CPU at the start of every pass, the C one a sixth of that, to the same document (a unit test compares
the two)."""


@functools.lru_cache(maxsize=4)
def _load(path: str) -> Oracle:
    p = Path(path)
    try:
        with p.open(encoding="utf-8") as fh:
            doc = yaml.load(fh, Loader=_LOADER)  # noqa: S506 - a safe loader (SafeLoader or its C twin)
    except FileNotFoundError as exc:
        raise OracleUnavailable(f"openapi.yaml not found at {p} (set {OPENAPI_ENV} to use another file)") from exc
    except yaml.YAMLError as exc:
        raise OracleUnavailable(f"{p} is not valid YAML: {exc}") from exc
    if not isinstance(doc, dict) or "paths" not in doc:
        raise OracleUnavailable(f"{p} is not an OpenAPI document")
    return Oracle(doc, str(p))


def get_oracle(path: str | Path | None = None) -> Oracle:
    """The (cached) oracle for ``path`` or the default openapi.yaml."""
    return _load(str(path or default_openapi_path()))
