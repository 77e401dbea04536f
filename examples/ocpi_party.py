"""The little an OCPI 2.3.0 party needs to connect to a hub: its own versions endpoint, a registration with a token
A, and calls to the hub with the token the hub gave it. Python's standard library only, so every line can be read.

Used by ``emsp.py`` and ``cpo.py`` beside this file; see README.md here for the walk-through.
"""

from __future__ import annotations

import base64
import json
import secrets
import signal
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

VERSION = "2.3.0"

Handler = Callable[[str, str, dict[str, str], Any], tuple[int, Any]]
"""(method, path, headers, body) -> (HTTP status, data for the envelope)."""


def now() -> str:
    """OCPI's DateTime: UTC, seconds, a Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def say(text: str) -> None:
    print(text, flush=True)


def authorization(token: str) -> str:
    """OCPI 2.2 and later send ``Token <base64 of the token>``."""
    return "Token " + base64.b64encode(token.encode()).decode()


class Party:
    """One OCPI platform serving one party (``country_code``/``party_id``) in one role."""

    def __init__(self, role: str, party: str, port: int, name: str) -> None:
        self.role = role
        self.country_code, _, self.party_id = party.upper().partition("/")
        self.name = name
        self.base = f"http://127.0.0.1:{port}"
        self.port = port
        self.token_b = secrets.token_urlsafe(32)
        """What the hub must present when it calls us; we choose it and send it in our Credentials."""
        self.token_c: str | None = None
        """What we present to the hub; the hub gives it in its answer to our Credentials."""
        self.hub_endpoints: dict[tuple[str, str], str] = {}
        self.hub_party: tuple[str, str] = ("", "")
        self.credentials_url = ""
        self.modules: dict[tuple[str, str], Handler] = {}
        """(module, interface) -> handler of requests the hub sends us."""
        self.server: ThreadingHTTPServer | None = None

    # --- what we serve ---------------------------------------------------------------------------------------------

    def serve(self, module: str, interface: str, handler: Handler) -> None:
        self.modules[(module, interface)] = handler

    def url(self, module: str, interface: str) -> str:
        return f"{self.base}/ocpi/{VERSION}/{interface.lower()}/{module}"

    def version_details(self) -> dict[str, Any]:
        endpoints = [{"identifier": "credentials", "role": "SENDER", "url": f"{self.base}/ocpi/{VERSION}/credentials"}]
        endpoints += [
            {"identifier": module, "role": interface, "url": self.url(module, interface)}
            for module, interface in self.modules
        ]
        return {"version": VERSION, "endpoints": endpoints}

    def start(self) -> None:
        party = self

        class Requests(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:  # our own lines only
                pass

            def answer(self, status: int, data: Any = None, status_code: int = 1000, message: str = "") -> None:
                envelope: dict[str, Any] = {"status_code": status_code, "timestamp": now()}
                if data is not None:
                    envelope["data"] = data
                if message:
                    envelope["status_message"] = message
                raw = json.dumps(envelope).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                # functional modules answer with the routing headers swapped (TO is who asked, FROM is us)
                if self.headers.get("OCPI-from-party-id"):
                    self.send_header("OCPI-to-country-code", self.headers.get("OCPI-from-country-code", ""))
                    self.send_header("OCPI-to-party-id", self.headers.get("OCPI-from-party-id", ""))
                    self.send_header("OCPI-from-country-code", party.country_code)
                    self.send_header("OCPI-from-party-id", party.party_id)
                for name in ("X-Request-ID", "X-Correlation-ID"):
                    if self.headers.get(name):
                        self.send_header(name, self.headers[name])
                self.end_headers()
                self.wfile.write(raw)

            def handle_any(self) -> None:
                if self.headers.get("Authorization", "") not in (
                    authorization(party.token_b),
                    f"Token {party.token_b}",
                ):
                    self.answer(401, status_code=2000, message="unknown token")
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                path = urllib.parse.urlsplit(self.path).path
                if path == "/ocpi/versions":
                    self.answer(200, [{"version": VERSION, "url": f"{party.base}/ocpi/{VERSION}"}])
                    return
                if path == f"/ocpi/{VERSION}":
                    self.answer(200, party.version_details())
                    return
                for (module, interface), handler in party.modules.items():
                    prefix = f"/ocpi/{VERSION}/{interface.lower()}/{module}"
                    if path == prefix or path.startswith(prefix + "/"):
                        status, data = handler(self.command, self.path[len(prefix) :], dict(self.headers), body)
                        self.answer(status, data)
                        return
                self.answer(404, status_code=2000, message="not served here")

            do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Requests)
        self.port = self.server.server_address[1]  # --port 0: the one the system chose
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        say(f"{self.role} {self.country_code}/{self.party_id} listening on {self.base}/ocpi/versions")

    # --- calling the hub ------------------------------------------------------------------------------------------

    def call(
        self,
        method: str,
        url: str,
        body: Any = None,
        *,
        token: str | None = None,
        to: tuple[str, str] | None = None,
        routed: bool = True,
    ) -> tuple[int, dict[str, Any]]:
        """One request to the hub; (HTTP status, envelope). Functional modules carry the routing headers."""
        headers = {"Authorization": authorization(token or self.token_c or "")}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if routed:
            headers |= {"OCPI-from-country-code": self.country_code, "OCPI-from-party-id": self.party_id}
            if to is not None:
                headers |= {"OCPI-to-country-code": to[0], "OCPI-to-party-id": to[1]}
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - the hub's URLs
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            text = error.read()
            try:
                return error.code, json.loads(text or b"{}")
            except ValueError:
                return error.code, {"status_message": text.decode(errors="replace")[:200]}

    def register(self, versions_url: str, token_a: str) -> None:
        """The party-initiated handshake: versions and details with token A, then POST our Credentials.

        Before it answers, the hub calls our versions URL with token B (that is why we serve first)."""
        try:
            status, versions = self.call("GET", versions_url, token=token_a, routed=False)
        except OSError as exc:
            raise SystemExit(f"cannot reach the hub at {versions_url} ({exc}); is it running (make run)?") from None
        if status != 200:
            raise SystemExit(f"the hub refused token A at {versions_url}: {versions.get('status_message', status)}")
        details_url = next(v["url"] for v in versions["data"] if v["version"] == VERSION)
        _, details = self.call("GET", details_url, token=token_a, routed=False)
        self.hub_endpoints = {(e["identifier"], e["role"]): e["url"] for e in details["data"]["endpoints"]}
        self.credentials_url = self.hub_endpoints[("credentials", "SENDER")]
        mine = {
            "token": self.token_b,
            "url": f"{self.base}/ocpi/versions",
            "roles": [
                {
                    "role": self.role,
                    "party_id": self.party_id,
                    "country_code": self.country_code,
                    "business_details": {"name": self.name},
                }
            ],
        }
        status, answer = self.call("POST", self.credentials_url, mine, token=token_a, routed=False)
        if answer.get("status_code") != 1000:
            raise SystemExit(
                f"registration refused: {answer.get('status_message')} (status {answer.get('status_code')})"
            )
        self.token_c = answer["data"]["token"]
        hub = answer["data"].get("hub_party_id") or ""
        self.hub_party = (hub[:2], hub[2:])
        say(f"registered with the hub {hub} (our token for it is in hand; token A is used up)")

    def unregister(self) -> None:
        if self.token_c and self.credentials_url:
            try:
                status, _ = self.call("DELETE", self.credentials_url, routed=False)
            except OSError as exc:  # the hub is gone: our registration stays in its store
                say(f"could not unregister, the hub did not answer ({exc}); ocpi-hub partners remove frees our ids")
                return
            say(f"unregistered from the hub (HTTP {status})")
            self.token_c = None

    def hub_url(self, module: str, interface: str) -> str:
        """The hub's endpoint for a module interface, exactly as the hub advertised it."""
        return self.hub_endpoints[(module, interface)]

    def run_until_stopped(self) -> None:
        """Serve until Ctrl-C or SIGTERM, then unregister, so the party ids are free for the next run."""
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):  # SIGINT too: a shell may start us with it ignored
            signal.signal(sig, lambda *_: stop.set())
        say("waiting for the hub (Ctrl-C unregisters and stops)")
        while not stop.wait(0.5):
            pass
        self.unregister()
        if self.server is not None:
            self.server.shutdown()


def hub_and_token(argv: list[str], role: str, party: str, port: int) -> Any:
    """The command line both examples share."""
    import argparse

    parser = argparse.ArgumentParser(description=f"An example OCPI {VERSION} {role} for the reference hub.")
    parser.add_argument("--token-a", required=True, help="a registration token A (make invite prints one)")
    parser.add_argument(
        "--hub",
        default="http://127.0.0.1:8080/ocpi/versions",
        help="the hub's versions URL (default http://127.0.0.1:8080/ocpi/versions, what make run serves)",
    )
    parser.add_argument("--party", default=party, help=f"our country code and party id (default {party})")
    parser.add_argument("--port", type=int, default=port, help=f"where we listen on 127.0.0.1 (default {port})")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit("run emsp.py or cpo.py (see README.md beside this file)")
