"""``ocpi-conformance fuzz``: schemathesis on openapi.yaml, rebased onto the target's advertised URLs.

1. Start the harness peer, discover the target, register with token A if one is configured.
2. Keep only the openapi.yaml operations whose module and interface the target's 2.3.0 details
   advertise, and only safe methods (GET): fuzzing must not change the target's registrations or
   data. Rewrite each path ``/ocpi/2.3.0/{sender|receiver}/{module}...`` (and the versions and
   credentials paths) onto the advertised URL's path.
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

__all__ = ("BUILTIN_CHECKS", "FuzzOptions", "rebase_schema", "run_fuzz")

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


def rebase_schema(oracle: Oracle, discovery: Discovery, versions_url: str) -> tuple[dict[str, Any], list[str]]:
    """openapi.yaml restricted to what the target advertises, with paths moved onto its URLs.

    Returns (schema, notes). The schema's ``servers`` is the advertised origin; operations on other
    origins are left out (and noted).
    """
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
        base = Oracle.canonical_base(module, key[1] if module != "versions" else None, path)
        suffix = path[len(base) :] if path.startswith(base) else ""
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin:
            notes.append(f"{module} {key[1] or ''} is served from another origin ({url}); not fuzzed")
            continue
        new_item = {k: v for k, v in copy.deepcopy(item).items() if k not in ("get", "put", "post", "patch", "delete")}
        for method in _SAFE:
            if method in item:
                operation = copy.deepcopy(item[method])
                names = {p.get("$ref", "").rsplit("/", 1)[-1] for p in operation.get("parameters", [])}
                if {"Offset", "Limit"} <= names:
                    operation["x-ocpi-paginated"] = True
                # A redirect is judged by ocpi_not_redirected alone: documenting 3XX keeps schemathesis' own
                # status-code check from counting the same response a second time.
                operation.setdefault("responses", {})["3XX"] = {"description": "judged by ocpi_not_redirected"}
                new_item[method] = operation
        if any(m in new_item for m in _SAFE):
            new_path = path_of(endpoint_url(url, suffix))
            paths[new_path] = new_item
    doc["paths"] = paths
    doc["servers"] = [{"url": origin}]
    return doc, notes


def run_fuzz(config: TargetConfig, options: FuzzOptions, *, out: Any = sys.stdout) -> int:
    """Fuzz the target; returns schemathesis' exit code (0: no failures), 2 when the run could not start."""
    report_dir = config.report_dir
    report_dir.mkdir(parents=True, exist_ok=True)
    session = HarnessSession(config).start()
    try:
        discovery = session.discover()
        if discovery.problem:
            print(f"cannot fuzz: {discovery.problem}", file=out)
            return 2
        if config.token_a and not session.registered:
            hs = session.ensure_registered()
            if not session.registered:
                print(f"cannot fuzz: registration with token A failed: {hs.problem if hs else '?'}", file=out)
                return 2
            print("registered with the target for the fuzz run (will unregister at the end)", file=out)
        schema, notes = rebase_schema(get_oracle(), discovery, config.versions_url)
        for note in notes:
            print(f"note: {note}", file=out)
        operations = sorted(f"GET {p}" for p in schema["paths"])
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
            "junit",
            "--report-junit-path",
            str(junit),
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
        print(f"fuzz JUnit report: {junit}", file=out)
        return code
    finally:
        session.close(cleanup=True)
