"""Fuzz the reference hub's whole API (every operation of openapi.yaml, reads and writes) and fail on any HTTP 5xx or
logged traceback.

    python tools/fuzz_hub.py [--max-examples N] [--seed S] [--schema FILE [--base-path /ocpi/2.3.0]]

Starts ``ocpi-hub serve`` on a free loopback port with a fresh SQLite file in a temporary directory, seeds one
registered CPO party, and runs schemathesis (positive and negative cases) with that party's token and routing headers.
The credentials module is left out: a fuzzed DELETE or PUT would end the registration the rest of the run needs (the
harness judges the credentials module). ``make fuzz-hub`` runs it with 50 examples per operation in each phase,
more than 5,000 cases in all; the test suite runs a bounded version. It exits 0 only when schemathesis completed
every phase asked for with no failure and the hub logged no traceback; 1 otherwise; 2 when the hub did not start.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=200, help="cases per operation (default 200)")
    parser.add_argument("--seed", type=int, default=None, help="random seed, for a reproducible run")
    parser.add_argument("--workers", type=int, default=2, help="concurrent schemathesis workers (default 2)")
    parser.add_argument(
        "--phases", default="examples,coverage,fuzzing,stateful", help="schemathesis phases (default: all four)"
    )
    parser.add_argument(
        "--schema",
        type=Path,
        default=ROOT / "openapi.yaml",
        help="OpenAPI 3.x description to generate cases from (default: our openapi.yaml, whose paths are full paths "
        "from the hub's root, /ocpi/2.3.0/...). A description whose paths start at the version's base "
        "(/sender/locations, /credentials, ...) needs --base-path /ocpi/2.3.0",
    )
    parser.add_argument(
        "--base-path",
        default="",
        metavar="PATH",
        help="prefix joined to the hub's root URL before the description's paths (default: none)",
    )
    args = parser.parse_args(argv)

    hub_cli = [sys.executable, "-m", "reference_hub"]
    with tempfile.TemporaryDirectory(prefix="fuzz-hub-") as tmp:
        folder = Path(tmp)
        store = f"sqlite:///{folder / 'hub.db'}"
        tokens = folder / "tokens.txt"
        subprocess.run([*hub_cli, "seed", "--parties", "1", "--store", store, "--export", str(tokens)], check=True)
        token = tokens.read_text().split()[0]
        port = _free_port()
        env = {**os.environ, "OCPI_HUB_AUTH_FAILURE_LIMIT": "0"}
        log_path = folder / "hub.log"
        with log_path.open("w") as log:
            hub = subprocess.Popen(
                [*hub_cli, "serve", "--port", str(port), "--store", store, "--workers", "2"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(f"{base}/health", timeout=1).raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or hub.poll() is not None:
                        print(log_path.read_text(), file=sys.stderr)
                        return 2
                    time.sleep(0.1)
            encoded = base64.b64encode(token.encode()).decode()
            cmd = [
                sys.executable, "-m", "schemathesis.cli", "run", str(args.schema),
                "--url", base + args.base_path.rstrip("/"),
                "--header", f"Authorization: Token {encoded}",
                "--header", "OCPI-from-country-code: AA", "--header", "OCPI-from-party-id: 000",
                "--header", "OCPI-to-country-code: NL", "--header", "OCPI-to-party-id: HUB",
                "--checks", "not_a_server_error",
                "--max-examples", str(args.max_examples),
                "--workers", str(args.workers),
                "--phases", args.phases,
                "--exclude-path-regex", "/credentials/?$",
                "--no-color",
            ]  # fmt: skip
            if args.seed is not None:
                cmd += ["--seed", str(args.seed)]
            run = subprocess.run(cmd, capture_output=True, text=True, check=False)
            print(run.stdout)
            if run.stderr.strip():
                print(run.stderr[-3000:], file=sys.stderr)
        finally:
            hub.terminate()
            hub.wait(timeout=30)
        logged = log_path.read_text()
        tracebacks = logged.count("Traceback")
        summary = re.search(r"Test cases:\s*\n\s*(.+)", run.stdout)
        counts = summary.group(1).strip() if summary else "no summary"
        generated = re.search(r"(\d+) generated", counts)
        failed = re.search(r"(\d+) failed", counts)
        # schemathesis' own runtime errors (it could not generate a case) are shown above but are not the hub's fault
        internal = re.search(r"Runtime Error: (\d+)", run.stdout)
        print(
            f"cases: {counts}; hub tracebacks logged: {tracebacks}; "
            f"schemathesis runtime errors (its own): {internal.group(1) if internal else 0}"
        )
        if tracebacks:
            print(logged[logged.index("Traceback") :][:3000], file=sys.stderr)
        if run.returncode != 0 and failed is None:
            print(f"schemathesis exited {run.returncode}: a phase did not complete, so the hub was not fully tried")
        ok = (
            run.returncode == 0
            and generated is not None
            and failed is None
            and tracebacks == 0
            and "Server error" not in run.stdout
        )
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
