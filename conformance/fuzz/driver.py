"""``ocpi-conformance fuzz``: schemathesis on one version's description, rebased onto the target's advertised URLs.

1. Start the harness peer, discover the target, register with token A if one is configured.
2. Keep only the openapi.yaml operations whose module and interface the target's details
   advertise, and only safe methods (GET): by default fuzzing must not change the target's
   registrations or data. With ``--allow-writes`` the PUT/PATCH/POST of the Receivers whose objects
   the harness's primary identity owns in its role (a CPO: locations, tariffs, sessions, CDRs; an
   eMSP: tokens) are fuzzed too, with the owner in the URL, in the body and in OCPI-from-* pinned to
   that identity and OCPI-to-* to the target's own party: whatever is generated is written under the
   harness's party id only (and stays there: fuzzed writes are not retired). Rewrite each path
   ``/ocpi/<version>/{sender|receiver}/{module}...`` (and the versions and credentials paths) onto the
   advertised URL's path.
3. Run schemathesis (a subprocess: its own event loop, its own hypothesis database) with its
   checks plus the harness's OCPI checks (:mod:`conformance.fuzz.hooks`), a bounded number of
   examples, positive data, JUnit output.
4. Unregister again if the harness registered itself.

The token reaches schemathesis through an environment variable named in its config file, never
on its command line.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance.client import encode_token
from conformance.oracle import Oracle, get_oracle
from conformance.session import Discovery, HarnessSession
from conformance.target import TargetConfig
from conformance.urls import endpoint_url, path_of

__all__ = ("BUILTIN_CHECKS", "OWNED_BY", "FuzzOptions", "Writer", "rebase_schema", "run_fuzz")

BUILTIN_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "ignored_auth",
)
"""Schemathesis' own checks used. Not the negative-data ones: OCPI answers invalid input with
HTTP 200 and a 2xxx status_code, which they would misread."""

_AUTH_ENV = "OCPI_CONFORMANCE_FUZZ_AUTHORIZATION"
_SAFE = ("get",)
_WRITES = ("put", "patch", "post")

OWNED_BY = {"CPO": ("locations", "tariffs", "sessions", "cdrs"), "EMSP": ("tokens",)}
"""The client-owned objects each role pushes to a Receiver: the only writes ``--allow-writes`` fuzzes."""


@dataclass(frozen=True)
class Writer:
    """Who fuzzed writes are made as, and to whom they are addressed."""

    country_code: str
    party_id: str
    role: str
    to: tuple[str, str] | None = None
    """The target's own party (OCPI-to-*), when its credentials named one; else the routing headers are left out."""

    def modules(self) -> tuple[str, ...]:
        return OWNED_BY.get(self.role, ())


_ID_FIELD = {"evse_uid": "uid", "token_uid": "uid"}
"""The body field that must equal a URL id (``location_id`` -> ``id``, ``evse_uid`` -> ``uid``, ...)."""


def _pinned(param: dict[str, Any], value: str) -> dict[str, Any]:
    return {**param, "required": True, "schema": {"type": "string", "enum": [value]}}


def _pin_writer(operation: dict[str, Any], components: dict[str, Any], w: Writer) -> None:
    """Pin the owner (URL, body) and the routing headers of a fuzzed write to ``w``: nothing else can be generated."""
    values = {
        "country_code": w.country_code,
        "party_id": w.party_id,
        "OCPI-from-country-code": w.country_code,
        "OCPI-from-party-id": w.party_id,
    }
    if w.to:
        values |= {"OCPI-to-country-code": w.to[0], "OCPI-to-party-id": w.to[1]}
    params = []
    for p in operation.get("parameters", []):
        resolved = components.get(p["$ref"].rsplit("/", 1)[-1], p) if "$ref" in p else p
        name = resolved.get("name", "")
        if name in values:
            params.append(_pinned(resolved, values[name]))
        elif name.startswith("OCPI-to-"):
            continue  # no target party known: leave addressing to the target
        else:
            params.append(p)
    operation["parameters"] = params
    path_ids = [p["name"] for p in operation["parameters"] if p.get("in") == "path" and "$ref" not in p]
    path_ids = [n for n in path_ids if n not in ("country_code", "party_id")]
    if path_ids:
        # the object's own id is the last one in the URL; the hook copies it into the body, so that a full object is
        # one the target can take (an id that disagrees with its URL is refused, and only refusals would be tested)
        link: dict[str, Any] = {"param": path_ids[-1], "field": _ID_FIELD.get(path_ids[-1], "id")}
        for p in operation["parameters"]:
            resolved = components.get(p["$ref"].rsplit("/", 1)[-1], p) if "$ref" in p else p
            if resolved.get("in") == "query" and resolved.get("name") == "type":  # tokens: keyed by uid and type
                link["query"] = {"name": "type", "default": resolved.get("schema", {}).get("default", "RFID")}
        operation["x-ocpi-body-id"] = link
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content and "schema" in content:
        owner = {"country_code": {"enum": [w.country_code]}, "party_id": {"enum": [w.party_id]}}
        content["schema"] = {"allOf": [content["schema"], {"type": "object", "properties": owner}]}


@dataclass(frozen=True)
class FuzzOptions:
    """Bounds of one fuzz run."""

    max_examples: int = 25
    """Generated cases per operation."""
    seed: int | None = None
    junit: Path | None = None
    """Where to write the JUnit report (default: <report dir>/fuzz-junit.xml)."""
    workers: int = 1
    phases: str = "examples,coverage,fuzzing"
    request_timeout: float = 10.0
    allow_writes: bool = False
    """Fuzz the writes of the Receivers the primary identity's role owns objects on (see the module docstring)."""


def _advertised(d: Discovery, versions_url: str) -> dict[tuple[str, str | None], str]:
    out: dict[tuple[str, str | None], str] = {("versions", "list"): versions_url}
    if d.details_url:
        out[("versions", "details")] = d.details_url
    for ep in d.endpoints:
        module, role, url = ep.get("identifier"), ep.get("role"), ep.get("url")
        if not isinstance(module, str) or not isinstance(url, str):
            continue
        key = (module, None if module == "credentials" else role)
        out.setdefault(key, url)
    return out


def rebase_schema(
    oracle: Oracle, discovery: Discovery, versions_url: str, writer: Writer | None = None
) -> tuple[dict[str, Any], list[str]]:
    """openapi.yaml restricted to what the target advertises, with paths moved onto its URLs.

    Returns (schema, notes). The schema's ``servers`` is the advertised origin; operations on other
    origins are left out (and noted). With ``writer``, the writes of the Receivers ``writer`` owns objects on are
    kept, pinned to it (see the module docstring).
    """
    components = oracle.document.get("components", {}).get("parameters", {})
    doc = copy.deepcopy(oracle.document)
    advertised = _advertised(discovery, versions_url)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(versions_url))
    notes: list[str] = []
    paths: dict[str, Any] = {}
    for path, item in (oracle.document.get("paths") or {}).items():
        module = item.get("x-ocpi-module")
        if not module:
            continue
        if module == "versions":
            key: tuple[str, str | None] = ("versions", "list" if path == "/ocpi/versions" else "details")
        else:
            op = next((o for o in oracle.operations if o.path == path), None)
            interface = op.interface if op else item.get("x-ocpi-interface")
            key = (module, None if module == "credentials" else interface)
        url = advertised.get(key)
        if url is None:
            continue
        base = oracle.canonical_base(module, key[1] if module != "versions" else None, path)
        suffix = path[len(base) :] if path.startswith(base) else ""
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin:
            notes.append(f"{module} {key[1] or ''} is served from another origin ({url}); not fuzzed")
            continue
        new_item = {k: v for k, v in copy.deepcopy(item).items() if k not in ("get", "put", "post", "patch", "delete")}
        methods: tuple[str, ...] = _SAFE
        if writer is not None and module in writer.modules() and key[1] == "RECEIVER":
            methods = _SAFE + _WRITES
        for method in methods:
            if method in item:
                operation = copy.deepcopy(item[method])
                names = {p.get("$ref", "").rsplit("/", 1)[-1] for p in operation.get("parameters", [])}
                if {"Offset", "Limit"} <= names:
                    operation["x-ocpi-paginated"] = True
                # A redirect is judged by ocpi_not_redirected alone: documenting 3XX keeps schemathesis' own
                # status-code check from counting the same response a second time.
                operation.setdefault("responses", {})["3XX"] = {"description": "judged by ocpi_not_redirected"}
                if method in _WRITES and writer is not None:
                    _pin_writer(operation, components, writer)
                new_item[method] = operation
        if any(m in new_item for m in methods):
            new_path = path_of(endpoint_url(url, suffix))
            paths[new_path] = new_item
    doc["paths"] = paths
    doc["servers"] = [{"url": origin}]
    return doc, notes


def run_fuzz(config: TargetConfig, options: FuzzOptions, *, out: Any = sys.stdout) -> int:
    """Fuzz the target at the version under test. Exit codes as the CLI's table: 0 no failure, 1 a check failed, 3
    nothing could be fuzzed (the target unreachable, its token refused, the version not offered, registration
    failed), 4 schemathesis itself failed."""
    report_dir = config.report_dir
    report_dir.mkdir(parents=True, exist_ok=True)
    session = HarnessSession(config).start()
    try:
        discovery = session.discover()
        if discovery.problem:
            print(f"nothing fuzzed (exit code 3): {discovery.problem}", file=out)
            return 3
        if config.token_a and not session.registered:
            hs = session.ensure_registered()
            if not session.registered:
                problem = (hs.not_judged or hs.problem) if hs else "?"
                print(f"nothing fuzzed (exit code 3): registration with token A failed: {problem}", file=out)
                return 3
            print("registered with the target for the fuzz run (will unregister at the end)", file=out)
        writer = None
        if options.allow_writes:
            party = config.party
            owned = OWNED_BY.get(party.role, ("locations",))
            writer = Writer(party.country_code, party.party_id, party.role, session.target_party(owned[0], "RECEIVER"))
            if not writer.modules():
                print(f"note: a {party.role} owns no objects it could push: only GETs are fuzzed", file=out)
            else:
                print(
                    f"writes allowed: {', '.join(writer.modules())} Receivers, as {party.country_code}/"
                    f"{party.party_id} only; what the fuzzer writes stays on the target",
                    file=out,
                )
        schema, notes = rebase_schema(get_oracle(), discovery, config.versions_url, writer)
        for note in notes:
            print(f"note: {note}", file=out)
        operations = sorted(
            f"{m.upper()} {p}" for p, item in schema["paths"].items() for m in (*_SAFE, *_WRITES) if m in item
        )
        print(f"fuzzing {len(operations)} operation(s) the target advertises:", file=out)
        for op in operations:
            print(f"  {op}", file=out)
        schema_path = report_dir / "fuzz-openapi.json"
        schema_path.write_text(json.dumps(schema, indent=1), encoding="utf-8")
        config_path = report_dir / "fuzz-schemathesis.toml"
        config_path.write_text(
            "# written by ocpi-conformance fuzz\n"
            'hooks = "conformance.fuzz.hooks"\n'
            f'headers = {{ Authorization = "${{{_AUTH_ENV}}}" }}\n',
            encoding="utf-8",
        )
        junit = options.junit or report_dir / "fuzz-junit.xml"
        from conformance.fuzz.hooks import OCPI_CHECK_NAMES

        cmd = [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--no-color",
            "--config-file",
            str(config_path),
            "run",
            str(schema_path),
            "--url",
            schema["servers"][0]["url"],
            "--checks",
            ",".join(BUILTIN_CHECKS + OCPI_CHECK_NAMES),
            "--mode",
            "positive",
            "--phases",
            options.phases,
            "--max-examples",
            str(options.max_examples),
            "--workers",
            str(options.workers),
            # A redirect is a finding (ocpi_not_redirected), never followed: run and fuzz judge the same URLs.
            "--max-redirects",
            "0",
            "--request-timeout",
            str(options.request_timeout),
            "--report",
            "junit,har",
            "--report-junit-path",
            str(junit),
            "--report-har-path",
            str(report_dir / "fuzz-exchanges.har"),
            "--suppress-health-check",
            "all",
            "--warnings",
            "off",
        ]
        if options.seed is not None:
            cmd += ["--seed", str(options.seed)]
        env = dict(os.environ)
        env[_AUTH_ENV] = encode_token(session.token or "")
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        with subprocess.Popen(
            cmd, env=env, cwd=report_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                print(line, file=out, end="", flush=True)
            code = proc.wait()
        if code not in (0, 1):  # schemathesis itself failed (not a finding about the target)
            print(f"schemathesis ended with exit code {code}: the fuzz run did not complete", file=out)
            code = 4
        print(f"fuzz JUnit report: {junit}", file=out)
        print(
            f"every fuzz exchange (HAR, Authorization filtered): {report_dir / 'fuzz-exchanges.har'}",
            file=out,
        )
        return code
    finally:
        session.close(cleanup=True)
