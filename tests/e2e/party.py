"""A stand-alone OCPI party (a CPO platform by default; 2.3.0, or 2.2.1 with ``--version 2.2.1``) used by the end-to-end
tests. Standard library only.

It serves versions, version details and credentials on a loopback port and is driven by the tests through a small
control API, so the hub under test only ever talks to it over real HTTP:

    POST /control/register   {"versions_url": ..., "token": TOKEN_A}   party-initiated registration with the hub
    POST /control/rotate     {"version": V, "party_id": P,           credentials PUT with a new token B (to the hub's
                              "also": [P2, ...]}?                    credentials endpoint of version V: a move; as
                                                                     party P, holding P2... too: its roles changed)
    POST /control/unregister                                         credentials DELETE
    POST /control/invite                                             a token A for a hub-initiated registration
    GET  /control/state                                              tokens, calls seen (timed), peer credentials
    POST /control/set        {"delay": S, "down": B, "versions_down": B, "serve": {...}, "authorize": {...},
                              "answers": {...}, "results": {...}}
    GET  /control/received                                           every module request received, in order
    POST /control/clear                                              forget what was received

Besides the configuration modules it advertises a Receiver and a Sender endpoint for locations, tariffs, sessions,
cdrs, tokens, commands, chargingprofiles, payments, invoicereconciliation and bookings, and a hubclientinfo
Receiver. Every request to them is recorded (method, path, query, the routing and id headers, body, arrival time;
``refused`` when answered 503 while "down") and answered as a plain party would: pushes with 1000 (a CDR or an
invoice reconciliation record POSTed to the bare Receiver with 201), kept by path so that a GET reads them back (a
PATCH merged into what is kept, a DELETE removing it), a Sender GET-all with the objects set through /control/set
``serve`` under the path after the endpoint (``locations``, ``bookings/booking_locations``, ...; paginated, with its
own Link), a single object of such a list by its id (a BookingLocation's Calendar one segment deeper), an
authorization from the table set through /control/set (else 404 + 2004).

As a CPO it answers BookingRequests (``POST {bookings}`` on its Sender) from the BookingLocations it serves: a request
whose period lies within an available timeslot of the named BookingLocation gets a Booking RESERVED (request
ACCEPTED), any other REJECTED (DECLINED); a request with the same ``request_id`` again changes that Booking (its
``booking_requests`` grow), one with ``canceled`` cancels it (CANCELED, canceled by the EMSP). ``--disable MODULE``
(repeatable) leaves a module out of the version details.

Commands and charging profiles (asynchronous): a request to the Receiver (``commands/{COMMAND}``,
``chargingprofiles/{session_id}``) is answered with ``answers[KEY]`` (KEY = the command, or GET/PUT/DELETE; default
``{"result": "ACCEPTED", "timeout": 30}``; ``{"status_code": 2003, "data": {...}}`` to answer with an error), and when
``results[KEY]`` is set (``{"body": {...}, "delay": S}``) the party POSTs that result to the request's
``response_url`` afterwards, with its token C and TO = the requester, as a CPO does. POSTs and PUTs to its own Sender
endpoints (its response URLs, ActiveChargingProfile updates) are recorded and answered 1000 without data.

With ``--resolve-dot-segments`` it routes as many web servers do: the path is percent-decoded and its dot segments
resolved before routing (``/ocpi/2.3.0/sender/locations/%2E%2E/%2E%2E/credentials`` reaches the credentials module).
Every request's path as it arrived is kept in ``/control/state`` ``calls``.

Run: python tests/e2e/party.py --port 0 --country NL --party PTY   (prints "listening on PORT" once ready)
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import posixpath
import secrets
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

MODULES = (
    "locations",
    "tariffs",
    "sessions",
    "cdrs",
    "tokens",
    "commands",
    "chargingprofiles",
    "payments",
    "invoicereconciliation",
    "bookings",
)
ONLY_230 = ("payments", "invoicereconciliation", "bookings")
"""Modules that 2.2.1 does not have: a 2.2.1 party does not list them."""
RECORDED_HEADERS = (
    "x-request-id",
    "x-correlation-id",
    "ocpi-to-country-code",
    "ocpi-to-party-id",
    "ocpi-from-country-code",
    "ocpi-from-party-id",
    "content-type",
)


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(data: Any = None, status_code: int = 1000, message: str | None = None) -> bytes:
    body: dict[str, Any] = {"status_code": status_code, "timestamp": now()}
    if data is not None:
        body["data"] = data
    if message:
        body["status_message"] = message
    return json.dumps(body).encode()


class Party:
    def __init__(self, country: str, party: str, base: str, options: argparse.Namespace) -> None:
        self.country, self.party, self.base = country, party, base
        self.options = options
        self.lock = threading.Lock()
        self.token_b: str | None = None  # what the hub presents to us
        self.token_a: str | None = None  # invitation for a hub-initiated registration
        self.token_c: str | None = None  # what we present to the hub
        self.hub_credentials: dict[str, Any] | None = None
        self.hub_credentials_url: str | None = None
        self.versions: list[str] = options.version.split(",")
        """The versions this party offers, in order; it registers with the first."""
        self.current = self.versions[0]
        """The version it speaks with the hub now."""
        self.calls: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []
        self.stored: dict[str, Any] = {}
        self.posted: list[dict[str, Any]] = []
        """Results this party POSTed to response URLs, with the answers it got."""
        self.bookings: dict[str, dict[str, Any]] = {}
        """The Bookings this party (as a CPO) answered requests with, by ``request_id``."""
        self.also: list[str] = []
        """More party ids this platform holds in its role, after its own (set by a rotation)."""
        self.settings: dict[str, Any] = {
            "delay": 0,
            "down": False,
            "versions_down": False,
            "serve": {},
            "authorize": {},
            "answers": {},
            "results": {},
        }

    def credentials(self) -> dict[str, Any]:
        return {
            "token": self.token_b,
            "url": f"{self.base}/ocpi/versions",
            "roles": [
                {
                    "role": self.options.role,
                    "party_id": party_id,
                    "country_code": self.country,
                    "business_details": {"name": f"Test {self.options.role} {self.country}-{party_id}"},
                }
                for party_id in (self.party, *self.also)
            ],
        }

    def accepted(self, token: str | None) -> bool:
        if self.options.accept_any_token:
            return True
        return token is not None and token in (self.token_b, self.token_a)

    # outgoing --------------------------------------------------------------------------------------------------
    def call(self, method: str, url: str, token: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback test peer
        request.add_header("Authorization", "Token " + base64.b64encode(token.encode()).decode())
        request.add_header("X-Request-ID", str(uuid.uuid4()))
        request.add_header("X-Correlation-ID", str(uuid.uuid4()))
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                return exc.code, json.loads(raw)
            except ValueError:
                return exc.code, {"raw": raw.decode(errors="replace")}

    def register(self, versions_url: str, token_a: str) -> dict[str, Any]:
        status, versions = self.call("GET", versions_url, token_a)
        if status != 200:
            return {"step": "versions", "http": status, "body": versions}
        details_url = next(v["url"] for v in versions["data"] if v["version"] == self.current)
        status, details = self.call("GET", details_url, token_a)
        if status != 200:
            return {"step": "details", "http": status, "body": details}
        self.hub_credentials_url = next(
            e["url"] for e in details["data"]["endpoints"] if e["identifier"] == "credentials"
        )
        self.token_b = secrets.token_urlsafe(24)
        status, answer = self.call("POST", self.hub_credentials_url, token_a, self.credentials())
        if status == 200 and answer.get("status_code") == 1000:
            self.token_c = answer["data"]["token"]
            self.hub_credentials = answer["data"]
        return {"step": "post", "http": status, "body": answer}

    def rotate(
        self, version: str | None = None, party_id: str | None = None, also: list[str] | None = None
    ) -> dict[str, Any]:
        """Credentials PUT; to the hub's credentials endpoint of ``version`` when given (moving to that version), and
        under ``party_id`` instead of the party's own when given, and holding the party ids ``also`` as well from now
        on when given (a platform whose roles changed)."""
        assert self.hub_credentials_url and self.token_c
        if party_id is not None:
            self.party = party_id
        if also is not None:
            self.also = list(also)
        url = self.hub_credentials_url
        if version is not None and version != self.current:
            status, versions = self.call("GET", self.hub_credentials["url"], self.token_c)
            details_url = next(v["url"] for v in versions["data"] if v["version"] == version)
            status, details = self.call("GET", details_url, self.token_c)
            url = next(e["url"] for e in details["data"]["endpoints"] if e["identifier"] == "credentials")
        old_b = self.token_b
        self.token_b = secrets.token_urlsafe(24)
        status, answer = self.call("PUT", url, self.token_c, self.credentials())
        if status == 200 and answer.get("status_code") == 1000:
            self.token_c = answer["data"]["token"]
            self.hub_credentials = answer["data"]
            self.hub_credentials_url = url
            self.current = version or self.current
        else:
            self.token_b = old_b
        return {"http": status, "body": answer}

    def post_result(self, url: str, result: dict[str, Any], requester: tuple[str, str]) -> None:
        """POST an asynchronous result to a response URL, as the CPO, after ``result["delay"]`` seconds."""
        time.sleep(float(result.get("delay", 0.1)))
        data = json.dumps(result["body"]).encode()
        request = urllib.request.Request(url, data=data, method="POST")  # noqa: S310 - loopback test peer
        request.add_header("Authorization", "Token " + base64.b64encode((self.token_c or "").encode()).decode())
        request.add_header("X-Request-ID", str(uuid.uuid4()))
        request.add_header("X-Correlation-ID", str(uuid.uuid4()))
        request.add_header("Content-Type", "application/json")
        for name, value in (
            ("OCPI-from-country-code", self.country),
            ("OCPI-from-party-id", self.party),
            ("OCPI-to-country-code", requester[0]),
            ("OCPI-to-party-id", requester[1]),
        ):
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
                answer = {"http": response.status, "body": json.loads(response.read() or b"{}")}
        except urllib.error.HTTPError as exc:
            answer = {"http": exc.code, "body": exc.read().decode(errors="replace")}
        except OSError as exc:
            answer = {"http": 0, "body": str(exc)}
        with self.lock:
            self.posted.append({"url": url, "body": result["body"], "answer": answer})

    @staticmethod
    def served_object(serve: dict[str, Any], module: str, rest: list[str]) -> Any:
        """One object of a list it serves, by id (``bookings/booking_locations/BL1``), or a sub-object one segment
        deeper (``.../BL1/CAL1``: a Calendar); None when it serves none."""
        for depth in range(len(rest) - 1, -1, -1):
            items = serve.get("/".join([module, *rest[:depth]]))
            if not isinstance(items, list):
                continue
            found = next((o for o in items if str(o.get("id", "")).upper() == rest[depth].upper()), None)
            for wanted in rest[depth + 1 :]:
                nested = [] if found is None else [v for v in found.values() if isinstance(v, list)]
                found = next(
                    (o for sub in nested for o in sub if isinstance(o, dict) and str(o.get("id", "")) == wanted), None
                )
            return found
        return None

    def book(self, request: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
        """A CPO's answer to a BookingRequest, decided from the BookingLocations it serves."""
        locations = settings["serve"].get("bookings/booking_locations", [])
        place = next((b for b in locations if b.get("id") == request.get("booking_location_id")), None)
        period = request.get("period") or {}
        fits = place is not None and any(
            slot["start_date_time"] <= period.get("start_date_time", "")
            and period.get("end_date_time", "~") <= slot["end_date_time"]
            for calendar in place.get("calendars") or []
            for slot in calendar.get("available_timeslots") or []
        )
        with self.lock:
            request_id = str(request.get("request_id"))
            booking = self.bookings.get(request_id)
            entry = {"request_status": "ACCEPTED", "booking_request": request, "request_received": now()}
            if booking is None:
                booking = {
                    "id": f"B-{request_id}",
                    "country_code": self.country,
                    "party_id": self.party,
                    "request_id": request_id,
                    "location_id": request.get("location_id"),
                    "booking_tokens": request.get("tokens") or [],
                    "period": period,
                    "reservation_status": "RESERVED" if fits else "REJECTED",
                    "authorization_reference": request.get("authorization_reference"),
                    "booking_terms": (place or {}).get("booking_terms")
                    or {"supported_access_methods": ["OPEN"], "change_until_minutes": 0, "cancel_until_minutes": 0},
                    "booking_requests": [],
                }
                entry["request_status"] = "ACCEPTED" if fits else "DECLINED"
            elif request.get("canceled"):
                booking["reservation_status"] = "CANCELED"
                booking["canceled"] = request["canceled"]
            elif fits:
                booking["period"] = period
            else:
                entry["request_status"] = "DECLINED"
            booking["booking_requests"] = [*booking["booking_requests"], entry]
            booking["last_updated"] = now()
            self.bookings[request_id] = booking
            return booking

    def unregister(self) -> dict[str, Any]:
        assert self.hub_credentials_url and self.token_c
        status, answer = self.call("DELETE", self.hub_credentials_url, self.token_c)
        return {"http": status, "body": answer}


def make_handler(party: Party) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def parse_request(self) -> bool:
            """Record the path as it arrived; with ``--resolve-dot-segments``, route the resolved one."""
            if not super().parse_request():
                return False
            # no lock: /control/register holds it
            party.calls.append({"method": self.command, "path": self.path, "at": time.time()})
            if party.options.resolve_dot_segments:
                path, mark, query = self.path.partition("?")
                resolved = posixpath.normpath(unquote(unquote(path)))
                self.path = resolved + ("/" if path.endswith("/") and resolved != "/" else "") + mark + query
            return True

        def reply(self, status: int, body: bytes, extra: list[tuple[str, str]] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name in ("X-Request-ID", "X-Correlation-ID"):
                if self.headers.get(name):
                    self.send_header(name, self.headers[name])
            for name, value in extra or ():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def token(self) -> str | None:
            value = self.headers.get("Authorization", "")
            if not value.startswith("Token "):
                return None
            if party.options.raw_tokens:  # a legacy (2.1.1-style) platform: the header carries the token as is
                return value[6:]
            try:
                return base64.b64decode(value[6:], validate=True).decode()
            except ValueError:
                return value[6:]

        def body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"null")

        def do_GET(self) -> None:
            if self.path == "/control/state":
                self.reply(
                    200,
                    json.dumps(
                        {
                            "token_b": party.token_b,
                            "token_c": party.token_c,
                            "calls": party.calls,
                            "hub_credentials": party.hub_credentials,
                            "posted": party.posted,
                        }
                    ).encode(),
                )
                return
            if self.path == "/control/received":
                self.reply(200, json.dumps(party.received).encode())
                return
            if not party.accepted(self.token()):
                self.reply(401, envelope(status_code=2000, message="unknown token"))
                return
            if self.module_request("GET"):
                return
            asked = self.path.split("/")[2] if self.path.count("/") >= 2 else ""
            version = asked if asked in party.versions else party.current
            if self.path == "/ocpi/versions" and party.settings["versions_down"]:
                self.reply(503, b"down for maintenance")
            elif self.path == "/ocpi/versions":
                self.reply(200, envelope([{"version": v, "url": f"{party.base}/ocpi/{v}"} for v in party.versions]))
            elif self.path == f"/ocpi/{version}":
                endpoints = [
                    {"identifier": module, "role": role, "url": f"{party.base}/ocpi/{version}/{role.lower()}/{module}"}
                    for module in MODULES
                    if module not in party.options.disable and not (version == "2.2.1" and module in ONLY_230)
                    for role in ("SENDER", "RECEIVER")
                ]
                hubclientinfo = f"{party.base}/ocpi/{version}/receiver/hubclientinfo"
                endpoints.append({"identifier": "hubclientinfo", "role": "RECEIVER", "url": hubclientinfo})
                if not party.options.no_credentials_endpoint:
                    credentials = {
                        "identifier": "credentials",
                        "role": "SENDER",
                        "url": f"{party.base}/ocpi/{version}/credentials",
                    }
                    endpoints.insert(0, credentials)
                self.reply(200, envelope({"version": version, "endpoints": endpoints}))
            elif self.path == f"/ocpi/{version}/credentials":
                self.reply(200, envelope(party.credentials()))
            else:
                self.reply(404, envelope(status_code=2000, message="not found"))

        def do_PUT(self) -> None:
            if not self.module_request("PUT"):
                self.reply(404, envelope(status_code=2000, message="not found"))

        def do_PATCH(self) -> None:
            if not self.module_request("PATCH"):
                self.reply(404, envelope(status_code=2000, message="not found"))

        def do_DELETE(self) -> None:
            if not self.module_request("DELETE"):
                self.reply(404, envelope(status_code=2000, message="not found"))

        def routing_reply(self) -> list[tuple[str, str]]:
            return [
                ("OCPI-to-country-code", self.headers.get("OCPI-from-country-code", "")),
                ("OCPI-to-party-id", self.headers.get("OCPI-from-party-id", "")),
                ("OCPI-from-country-code", party.country),
                ("OCPI-from-party-id", party.party),
            ]

        def module_request(self, method: str) -> bool:
            """Record and answer a request to one of the functional-module endpoints; False when it is not one."""
            path, _, query = self.path.partition("?")
            parts = path.split("/")  # "", "ocpi", version, interface, module, ...
            if (
                len(parts) < 5
                or parts[1] != "ocpi"
                or parts[2] not in party.versions
                or parts[3] not in ("sender", "receiver")
            ):
                return False
            if not party.accepted(self.token()):
                self.reply(401, envelope(status_code=2000, message="unknown token"))
                return True
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            record: dict[str, Any] = {
                "method": method,
                "path": path,
                "query": query,
                "headers": {k: self.headers[k] for k in RECORDED_HEADERS if self.headers.get(k) is not None},
                "body": json.loads(raw) if raw else None,
                "at": time.time(),
            }
            with party.lock:
                party.received.append(record)
                settings = dict(party.settings)
            if settings["delay"]:
                time.sleep(settings["delay"])
            if settings["down"]:
                record["refused"] = True  # recorded, but answered 503: not a delivery that arrived
                self.reply(503, b"service unavailable")
                return True
            interface, module, rest = parts[3], parts[4], parts[5:]
            extra = self.routing_reply()
            if interface == "receiver" and module not in ("commands", "chargingprofiles"):
                key = "/".join([module, *rest])
                if method == "GET":
                    if key in party.stored:
                        self.reply(200, envelope(party.stored[key]), extra)
                    else:
                        self.reply(404, envelope(status_code=2000, message="unknown object"), extra)
                elif method == "POST" and module == "cdrs":
                    body = record["body"] or {}
                    party.stored[f"cdrs/{body.get('id')}"] = body
                    location = f"{party.base}/ocpi/{parts[2]}/receiver/cdrs/{body.get('id')}"
                    self.reply(201, envelope(), [*extra, ("Location", location)])
                elif method == "POST" and module == "invoicereconciliation" and not rest:
                    body = record["body"] or {}
                    party.stored[f"{module}/{body.get('country_code')}/{body.get('party_id')}/{body.get('id')}"] = body
                    self.reply(201, envelope(), extra)
                elif method == "PUT":
                    created = key not in party.stored
                    party.stored[key] = record["body"]
                    self.reply(201 if created else 200, envelope(), extra)
                elif method == "PATCH" and isinstance(party.stored.get(key), dict):
                    party.stored[key] = {**party.stored[key], **(record["body"] or {})}
                    self.reply(200, envelope(), extra)
                elif method == "DELETE":
                    party.stored.pop(key, None)
                    self.reply(200, envelope(), extra)
                else:
                    self.reply(200, envelope(), extra)
                return True
            if module in ("commands", "chargingprofiles"):
                self.asynchronous(interface, module, method, rest, query, record, extra)
                return True
            if module == "payments":  # a PTP's Sender: terminals served from /control/set, changes acknowledged
                if method == "GET" and len(rest) == 1:
                    items = settings["serve"].get(f"payments/{rest[0]}", [])
                    self.reply(200, envelope(items), [*extra, ("X-Total-Count", str(len(items))), ("X-Limit", "50")])
                else:
                    self.reply(200, envelope(), extra)
                return True
            if module == "tokens" and rest[-1:] == ["authorize"]:
                allowed = settings["authorize"].get(rest[0])
                if allowed is None:
                    self.reply(404, json.dumps({"status_code": 2004, "timestamp": now()}).encode(), extra)
                else:
                    token = {
                        "country_code": party.country,
                        "party_id": party.party,
                        "uid": rest[0],
                        "type": "RFID",
                        "contract_id": "C1",
                        "issuer": "test",
                        "valid": True,
                        "whitelist": "NEVER",
                        "last_updated": "2020-01-01T00:00:00Z",
                    }
                    self.reply(
                        200, envelope({"allowed": allowed, "token": token, "authorization_reference": "REF1"}), extra
                    )
                return True
            if module == "sessions" and rest[-1:] == ["charging_preferences"]:
                self.reply(200, envelope("ACCEPTED"), extra)
                return True
            if module == "bookings" and method == "POST" and not rest:
                self.reply(200, envelope(party.book(record["body"] or {}, settings)), extra)
                return True
            listed = "/".join([module, *rest])
            if method == "GET" and (not rest or listed in settings["serve"]):
                params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
                items = settings["serve"].get(listed, [])
                offset, limit = int(params.get("offset", 0)), int(params.get("limit", 2))
                page = items[offset : offset + limit]
                headers = [*extra, ("X-Total-Count", str(len(items))), ("X-Limit", "2")]
                if offset + limit < len(items):
                    link = f"{party.base}/ocpi/{parts[2]}/sender/{listed}?offset={offset + limit}&limit={limit}"
                    headers.append(("Link", f'<{link}>; rel="next"'))
                self.reply(200, envelope(page), headers)
                return True
            if method == "GET":
                found = party.served_object(settings["serve"], module, rest)
                if found is not None:
                    self.reply(200, envelope(found), extra)
                    return True
            self.reply(404, envelope(status_code=2000, message="not found"), extra)
            return True

        def asynchronous(
            self,
            interface: str,
            module: str,
            method: str,
            rest: list[str],
            query: str,
            record: dict[str, Any],
            extra: list[tuple[str, str]],
        ) -> None:
            """Commands and charging profiles: answer a Receiver request now and post its result later."""
            if interface == "sender":  # our own response URLs and ActiveChargingProfile updates
                self.reply(200, envelope(), extra)
                return
            key = rest[0] if module == "commands" else method
            with party.lock:
                answer = party.settings["answers"].get(key, {"result": "ACCEPTED", "timeout": 30})
                result = party.settings["results"].get(key)
            if "status_code" in answer:
                self.reply(200, envelope(answer.get("data"), answer["status_code"], answer.get("message")), extra)
            else:
                self.reply(200, envelope(answer), extra)
            if result is None:
                return
            if module == "commands" or method == "PUT":
                url = (record["body"] or {}).get("response_url")
            else:
                from urllib.parse import parse_qs

                url = (parse_qs(query).get("response_url") or [None])[0]
            requester = (self.headers.get("OCPI-from-country-code", ""), self.headers.get("OCPI-from-party-id", ""))
            if url:
                threading.Thread(target=party.post_result, args=(url, result, requester), daemon=True).start()

        def do_POST(self) -> None:
            if self.module_request("POST"):
                return
            with party.lock:
                if self.path == "/control/set":
                    party.settings.update(self.body())
                    self.reply(200, b"{}")
                elif self.path == "/control/clear":
                    party.received.clear()
                    self.reply(200, b"{}")
                elif self.path == "/control/register":
                    args = self.body()
                    self.reply(200, json.dumps(party.register(args["versions_url"], args["token"])).encode())
                elif self.path == "/control/rotate":
                    asked = self.body() or {}
                    self.reply(
                        200,
                        json.dumps(
                            party.rotate(asked.get("version"), asked.get("party_id"), asked.get("also"))
                        ).encode(),
                    )
                elif self.path == "/control/unregister":
                    self.reply(200, json.dumps(party.unregister()).encode())
                elif self.path == "/control/invite":
                    # never "-..." (a command line would read it as an option; see ocpi-hub register --help)
                    party.token_a = "A" + secrets.token_urlsafe(24)
                    self.reply(
                        200,
                        json.dumps({"token": party.token_a, "versions_url": f"{party.base}/ocpi/versions"}).encode(),
                    )
                elif self.path in {f"/ocpi/{v}/credentials" for v in party.versions}:
                    self.hub_initiated()
                else:
                    self.reply(404, envelope(status_code=2000, message="not found"))

        def hub_initiated(self) -> None:
            """The hub registers with us: it presents our token A and hands us its token (our token C)."""
            if party.token_a is None or self.token() != party.token_a:
                self.reply(405 if party.token_c else 401, envelope(status_code=2000, message="not allowed"))
                return
            theirs = self.body()
            status, versions = party.call("GET", theirs["url"], theirs["token"])
            if status != 200:
                self.reply(200, envelope(status_code=3001, message="cannot reach the hub's versions"))
                return
            details_url = next(v["url"] for v in versions["data"] if v["version"] == self.path.split("/")[2])
            status, details = party.call("GET", details_url, theirs["token"])
            if status != 200:
                self.reply(200, envelope(status_code=3001, message="cannot reach the hub's details"))
                return
            party.hub_credentials_url = next(
                e["url"] for e in details["data"]["endpoints"] if e["identifier"] == "credentials"
            )
            party.token_c = theirs["token"]
            party.hub_credentials = theirs
            party.current = self.path.split("/")[2]
            party.token_a = None
            party.token_b = secrets.token_urlsafe(24)
            self.reply(200, envelope(party.credentials()))

    return Handler


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--country", default="NL")
    parser.add_argument("--party", default="PTY")
    parser.add_argument("--role", default="CPO", help="the role of the one party this platform serves")
    parser.add_argument(
        "--version",
        default="2.3.0",
        help="the OCPI versions this party offers, comma-separated; it registers with the first",
    )
    parser.add_argument("--no-credentials-endpoint", action="store_true", help="omit credentials from the details")
    parser.add_argument(
        "--disable", action="append", default=[], metavar="MODULE", help="leave a module out of the version details"
    )
    parser.add_argument("--accept-any-token", action="store_true", help="answer callbacks whatever the token")
    parser.add_argument("--raw-tokens", action="store_true", help="expect raw, not base64, tokens (legacy peers)")
    parser.add_argument(
        "--resolve-dot-segments", action="store_true", help="decode the path and resolve '..' before routing"
    )
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), BaseHTTPRequestHandler)
    port = server.server_address[1]
    party = Party(args.country, args.party, f"http://127.0.0.1:{port}", args)
    server.RequestHandlerClass = make_handler(party)
    print(f"listening on {port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
