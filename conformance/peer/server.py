"""A small OCPI platform the target can call back during a run, speaking only the version under test.

It publishes a versions list of that one version and its details (credentials, plus receiver stubs for the modules
configured), answers the credentials GET, accepts pushes to its receiver stubs, and records every
request it gets, including how the caller encoded its token. It runs on a real loopback socket in
a background thread (stdlib ``ThreadingHTTPServer``: no event loop to share with pytest).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from conformance import objects as ob
from conformance import versions
from conformance.client import Recorder
from conformance.model import Exchange
from conformance.target import PartyIdentity

__all__ = ("PeerServer",)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _PeerState:
    identity: PartyIdentity
    tokens: dict[str, str] = field(default_factory=dict)
    """Token value -> name (``B``, ``B2``, ...). Only these authenticate."""
    receiver_modules: tuple[str, ...] = ("hubclientinfo",)
    pushes: list[tuple[str, str, Any]] = field(default_factory=list)
    """(method, path, body) of pushes received on receiver stubs."""
    sender_modules: tuple[str, ...] = ()
    """Modules the peer serves as SENDER: ``tokens`` for an eMSP identity (its list, and real-time authorization of
    the tokens the harness issued as that identity)."""
    issued: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    """(uid, type) -> Token the harness issued as this identity (pushed to the target), for authorization requests."""
    objects: dict[str, Any] = field(default_factory=dict)
    """Path (without query) -> the object as the peer now holds it, for GETs of what was pushed (a Receiver keeps
    what it is sent: PUT stores, PATCH merges, a CDR POST stores under ``{cdrs url}/{id}``)."""
    # -- asynchronous results (commands, chargingprofiles) --
    accepts_results: bool = False
    """An eMSP identity: POSTs under its ``response_url`` prefix (:meth:`PeerServer.response_url`) are results the
    target sends back; each is answered 1000 without data and recorded."""
    async_timeout: int = 15
    """The ``timeout`` (seconds) a CPO identity announces in its CommandResponse / ChargingProfileResponse."""
    served: list[dict[str, Any]] = field(default_factory=list)
    """The Locations a CPO identity's locations Sender lists (made on first GET)."""


class PeerServer:
    """The harness's OCPI peer. ``start()`` binds and serves; ``stop()`` shuts down."""

    def __init__(
        self,
        recorder: Recorder,
        identity: PartyIdentity,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        public_url: str | None = None,
        receiver_modules: tuple[str, ...] = ("hubclientinfo",),
        sender_modules: tuple[str, ...] = (),
        accepts_results: bool = False,
    ) -> None:
        self.recorder = recorder
        self.version = versions.current()
        """The one version the peer offers: the target registers with it at that version, as the pass certifies."""
        self.state = _PeerState(
            identity=identity,
            receiver_modules=receiver_modules,
            sender_modules=sender_modules,
            accepts_results=accepts_results,
        )
        self._host = host
        self._port = port
        self._public_url = public_url.rstrip("/") if public_url else None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> PeerServer:
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer((self._host, self._port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="ocpi-peer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> PeerServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if self._public_url:
            return self._public_url
        if self._server is None:
            raise RuntimeError("peer not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def versions_url(self) -> str:
        return f"{self.base_url}/ocpi/versions"

    @property
    def details_url(self) -> str:
        return f"{self.base_url}/ocpi/{self.version}"

    @property
    def credentials_url(self) -> str:
        return f"{self.details_url}/credentials"

    def receiver_url(self, module: str) -> str:
        return f"{self.details_url}/receiver/{module}"

    def sender_url(self, module: str) -> str:
        return f"{self.details_url}/sender/{module}"

    def response_url(self, module: str, kind: str, ref: str) -> str:
        """A ``response_url`` of this identity for one request (``module``: commands or chargingprofiles)."""
        return f"{self.details_url}/results/{module}/{kind}/{ref}"

    def issue(self, token: dict[str, Any]) -> None:
        """Remember a Token the harness issued as this identity: its eMSP answers authorization requests for it."""
        with self._lock:
            self.state.issued[(str(token.get("uid")), str(token.get("type") or "RFID"))] = dict(token)

    # -- tokens ------------------------------------------------------------------------------
    def accept_token(self, token: str, name: str) -> None:
        """Let ``token`` (shown in reports as ``name``) authenticate callbacks."""
        with self._lock:
            self.state.tokens[token] = name

    def revoke_token(self, token: str) -> None:
        with self._lock:
            self.state.tokens.pop(token, None)

    def credentials_for(self, token: str, *, full: bool = False) -> dict[str, Any]:
        """The harness's Credentials object carrying ``token`` (the token the target must use).

        By default the smallest conforming object (business_details with its one required field, ``name``); with
        ``full`` every optional field too (``website``, ``logo``), for targets that refuse the minimal one.
        """
        ident = self.state.identity
        if full:
            base = self.versions_url.rsplit("/", 1)[0]
            body = self.credentials_for(token)
            body["roles"][0]["business_details"] = {
                "name": ident.business_name,
                "website": f"{base}/about",
                "logo": {
                    "url": f"{base}/logo.png",
                    "thumbnail": f"{base}/logo-thumb.png",
                    "category": "OPERATOR",
                    "type": "png",
                    "width": 64,
                    "height": 64,
                },
            }
            return body
        return {
            "token": token,
            "url": self.versions_url,
            "roles": [
                {
                    "role": ident.role,
                    "business_details": {"name": ident.business_name},
                    "party_id": ident.party_id,
                    "country_code": ident.country_code,
                }
            ],
        }

    def endpoints(self) -> list[dict[str, str]]:
        eps = [{"identifier": "credentials", "role": "SENDER", "url": self.credentials_url}]
        eps += [{"identifier": m, "role": "RECEIVER", "url": self.receiver_url(m)} for m in self.state.receiver_modules]
        eps += [{"identifier": m, "role": "SENDER", "url": self.sender_url(m)} for m in self.state.sender_modules]
        return eps

    def _tokens_sender(self, method: str, route: str, query: str, body: bytes = b"") -> tuple[int, dict[str, Any]]:
        """The eMSP's tokens Sender: the list of issued tokens, and POST {uid}/authorize?type=... (with
        LocationReferences, an allowed token may use every EVSE asked about: the answer's location repeats them)."""
        base = urlsplit(self.sender_url("tokens")).path
        with self._lock:
            issued = dict(self.state.issued)
        if route == base and method == "GET":
            return 200, {
                "status_code": 1000,
                "data": list(issued.values()),
                "_headers": [("X-Total-Count", str(len(issued))), ("X-Limit", "1000")],
            }
        parts = route[len(base) + 1 :].split("/")
        if method == "POST" and len(parts) == 2 and parts[1] == "authorize":
            token_type = dict(parse_qsl(query)).get("type", "RFID")
            token = issued.get((parts[0], token_type))
            if token is None:
                return 404, {"status_code": 2004, "status_message": "Unknown token"}
            allowed = "ALLOWED" if token.get("valid") else "BLOCKED"
            info: dict[str, Any] = {
                "allowed": allowed,
                "token": token,
                "authorization_reference": uuid.uuid4().hex[:20],
            }
            try:
                references = json.loads(body) if body.strip() else None
            except ValueError:
                return 400, {"status_code": 2001, "status_message": "Body is not JSON"}
            if allowed == "ALLOWED" and isinstance(references, dict) and isinstance(references.get("location_id"), str):
                info["location"] = references
            return 200, {"status_code": 1000, "data": info}
        return 405, {"status_code": 2000, "status_message": "Method not supported"}

    # -- a small paginated locations Sender (CPO identity) ---------------------------------------------------------
    SENDER_PAGE = 2
    """The peer's own page size for its locations list (its X-Limit): small, so three Locations make two pages."""

    def served_locations(self) -> list[dict[str, Any]]:
        """The Locations the CPO identity's Sender lists: three, born retired (not published, every EVSE REMOVED),
        so a platform that pulls them shows nothing to anyone. Ids carry this peer's identity and are stable."""
        ident = self.state.identity
        with self._lock:
            if not self.state.served:
                updated = ob.now()
                served = []
                for n in range(1, 4):
                    lid = f"CTSRV{ident.party_id}{n}"
                    location = ob.location(ident.country_code, ident.party_id, lid, updated=updated)
                    location["evses"] = [ob.evse(f"{lid}-E1", updated=updated, status="REMOVED")]
                    served.append(location)
                self.state.served = served
            return list(self.state.served)

    def _locations_sender(self, method: str, route: str, query: str) -> tuple[int, dict[str, Any]]:
        """GET the list (offset/limit/date filters, X-Total-Count, X-Limit, Link to the next page at this very
        endpoint) or one Location by id."""
        if method != "GET":
            return 405, {"status_code": 2000, "status_message": "Method not supported"}
        base = urlsplit(self.sender_url("locations")).path
        served = self.served_locations()
        if route != base:
            found = next((loc for loc in served if route == f"{base}/{loc['id']}"), None)
            if found is None:
                return 404, {"status_code": 2000, "status_message": "Unknown object"}
            return 200, {"status_code": 1000, "data": found}
        params = dict(parse_qsl(query))
        try:
            offset = max(int(params.get("offset", "0")), 0)
            limit = min(max(int(params.get("limit", str(self.SENDER_PAGE))), 1), self.SENDER_PAGE)
        except ValueError:
            return 200, {"status_code": 2001, "status_message": "offset and limit must be integers"}
        date_from, date_to = params.get("date_from"), params.get("date_to")
        matching = [
            loc
            for loc in served
            if (date_from is None or loc["last_updated"] >= date_from)
            and (date_to is None or loc["last_updated"] < date_to)
        ]
        page = matching[offset : offset + limit]
        headers = [("X-Total-Count", str(len(matching))), ("X-Limit", str(self.SENDER_PAGE))]
        if offset + limit < len(matching):
            kept = [(k, v) for k, v in params.items() if k in ("date_from", "date_to")]
            nxt = urlencode([("offset", str(offset + limit)), ("limit", str(limit)), *kept])
            headers.append(("Link", f'<{self.sender_url("locations")}?{nxt}>; rel="next"'))
        return 200, {"status_code": 1000, "data": page, "_headers": headers}

    def _authenticate(self, header: str | None) -> tuple[str, str | None, str | None]:
        """(style, token name, token value) for an Authorization header value."""
        if header is None:
            return "missing", None, None
        scheme, _, credential = header.partition(" ")
        if scheme.lower() != "token" or not credential:
            return "invalid", None, None
        with self._lock:
            tokens = dict(self.state.tokens)
        try:
            decoded = base64.b64decode(credential, validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            decoded = None
        if decoded is not None and decoded in tokens:
            return "base64", tokens[decoded], decoded
        if credential in tokens:
            return "raw", tokens[credential], credential
        return "invalid", None, None

    # -- request handling (called from handler threads) ---------------------------------------
    def handle(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, dict[str, Any], str, str | None]:
        """(HTTP status, envelope without timestamp, auth style, token name) for one request.

        Extra response headers travel in the envelope under ``_headers`` (removed before it is sent)."""
        auth = next((v for k, v in headers if k.lower() == "authorization"), None)
        style, name, token = self._authenticate(auth)
        status, payload = self._route(method, path, body, token)
        lower = {k.lower(): v for k, v in headers}
        if "ocpi-from-party-id" in lower and status != 401:  # a functional module: answer with the headers swapped
            ident = self.state.identity
            payload.setdefault("_headers", []).extend(
                [
                    ("OCPI-to-country-code", lower.get("ocpi-from-country-code", "")),
                    ("OCPI-to-party-id", lower["ocpi-from-party-id"]),
                    ("OCPI-from-country-code", ident.country_code),
                    ("OCPI-from-party-id", ident.party_id),
                ]
            )
        return status, payload, style, name

    def held(self, path: str) -> Any:
        """The object the peer holds at ``path`` (a receiver URL path; an EVSE or connector inside a held Location),
        or None."""
        with self._lock:
            found = self.state.objects.get(path.rstrip("/"))
            if found is None and (inside := self._inside_location(path.rstrip("/"))) is not None:
                found = inside[0]
            return found

    def _inside_location(self, route: str) -> tuple[dict[str, Any], list[dict[str, Any]], str, str] | None:
        """For ``.../locations/{cc}/{pid}/{location_id}/{evse_uid}[/{connector_id}]`` of a held Location: (the EVSE or
        connector, or {} when new; the list it lives in; its key field; its id). None for any other path."""
        base = urlsplit(self.receiver_url("locations")).path
        if not route.startswith(base + "/"):
            return None
        ids = route[len(base) + 1 :].split("/")
        location = self.state.objects.get(f"{base}/{'/'.join(ids[:3])}") if len(ids) in (4, 5) else None
        if not isinstance(location, dict):
            return None
        evses = location.setdefault("evses", [])
        evse = next((e for e in evses if isinstance(e, dict) and e.get("uid") == ids[3]), None)
        if len(ids) == 4:
            return evse or {}, evses, "uid", ids[3]
        if evse is None:
            return None
        connectors = evse.setdefault("connectors", [])
        connector = next((c for c in connectors if isinstance(c, dict) and c.get("id") == ids[4]), None)
        return connector or {}, connectors, "id", ids[4]

    def _receive_inside_location(self, method: str, route: str, payload: Any) -> tuple[int, dict[str, Any]] | None:
        """PUT or PATCH of an EVSE or connector of a held Location, with the parents' last_updated moved along (a
        Receiver's duty); None when ``route`` is not such a path."""
        inside = self._inside_location(route)
        if inside is None or not isinstance(payload, dict):
            return None
        current, siblings, key, ident = inside
        if method == "PATCH" and not current:
            return 404, {"status_code": 2000, "status_message": "Unknown object"}
        new = {**current, **payload} if method == "PATCH" else payload
        siblings[:] = [new if isinstance(x, dict) and x.get(key) == ident else x for x in siblings]
        if not current:
            siblings.append(new)
        if isinstance(payload.get("last_updated"), str):
            base = urlsplit(self.receiver_url("locations")).path
            ids = route[len(base) + 1 :].split("/")
            location = self.state.objects[f"{base}/{'/'.join(ids[:3])}"]
            location["last_updated"] = payload["last_updated"]
            for evse in location.get("evses", []):
                if len(ids) == 5 and isinstance(evse, dict) and evse.get("uid") == ids[3]:
                    evse["last_updated"] = payload["last_updated"]
        return (201 if not current and method == "PUT" else 200), {"status_code": 1000}

    def _receive(self, module: str, base: str, method: str, route: str, payload: Any) -> tuple[int, dict[str, Any]]:
        """Keep a push as a Receiver would: PUT replaces, PATCH merges (Session charging periods append), a CDR POST
        is stored once under its id and answered with its Location."""
        with self._lock:
            self.state.pushes.append((method, route, payload))
            held = self.state.objects
            if module == "locations" and method in ("PUT", "PATCH"):
                answer = self._receive_inside_location(method, route, payload)
                if answer is not None:
                    return answer
            if method == "PUT":
                created = route not in held
                held[route] = payload
                return (201 if created else 200), {"status_code": 1000}
            if method == "PATCH":
                current = held.get(route)
                if not isinstance(current, dict) or not isinstance(payload, dict):
                    return 404, {"status_code": 2000, "status_message": "Unknown object"}
                merged = {**current, **payload}
                if module == "sessions" and isinstance(payload.get("charging_periods"), list):
                    merged["charging_periods"] = [*current.get("charging_periods", []), *payload["charging_periods"]]
                held[route] = merged
                return 200, {"status_code": 1000}
            if module == "cdrs" and route == base and isinstance(payload, dict) and isinstance(payload.get("id"), str):
                where = f"{base}/{payload['id']}"
                if where in held:
                    return 200, {"status_code": 2000, "status_message": "This CDR was received before"}
                held[where] = payload
                url = f"{self.receiver_url(module)}/{payload['id']}"
                return 201, {"status_code": 1000, "_headers": [("Location", url)]}
            if module == "invoicereconciliation" and route == base and isinstance(payload, dict):
                # a new record comes to the bare URL; it is read back, replaced and deleted under its owner and id
                where = f"{base}/{payload.get('country_code')}/{payload.get('party_id')}/{payload.get('id')}"
                created = where not in held
                held[where] = payload
                return (201 if created else 200), {"status_code": 1000}
            return 200, {"status_code": 1000}

    # -- a CPO identity's bookings Sender: BookingRequests --------------------------------------------------------
    def _bookings_sender(self, method: str, route: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """POST ``{bookings}`` with a BookingRequest: answered at once with a PENDING Booking of this CPO (id: the
        request id with ``B``), which the harness, as this CPO, later decides with a PUT or PATCH on the eMSP's
        Receiver; GET ``{bookings}``: the Bookings answered so far."""
        base = urlsplit(self.sender_url("bookings")).path
        if route != base or method not in ("GET", "POST"):
            return 405, {"status_code": 2000, "status_message": "Method not supported"}
        with self._lock:
            answered = [b for path, b in self.state.objects.items() if path.startswith(base + "/")]
        if method == "GET":
            return 200, {
                "status_code": 1000,
                "data": answered,
                "_headers": [("X-Total-Count", str(len(answered))), ("X-Limit", "1000")],
            }
        try:
            request = json.loads(body) if body else None
        except ValueError:
            return 400, {"status_code": 2001, "status_message": "Body is not JSON"}
        if not isinstance(request, dict) or not isinstance(request.get("request_id"), str):
            return 200, {"status_code": 2001, "status_message": "Not a BookingRequest"}
        ident = self.state.identity
        answer = ob.booking(
            ident.country_code, ident.party_id, f"{request['request_id'][:35]}B", request, updated=ob.now()
        )
        with self._lock:
            self.state.pushes.append((method, route, request))
            self.state.objects[f"{base}/{answer['id']}"] = answer
        return 200, {"status_code": 1000, "data": answer}

    # -- asynchronous results: a CPO identity's commands / chargingprofiles Receiver, an eMSP identity's response_url --
    def _async_receiver(self, method: str, route: str) -> tuple[int, dict[str, Any]] | None:
        """A CPO identity's commands and chargingprofiles Receiver: every command (POST ``{url}/{COMMAND}``) and
        every profile request (GET, PUT, DELETE ``{url}/{session_id}``) is answered ACCEPTED with a short timeout;
        the request itself is in the recorder, and the harness, playing that CPO, posts the result to the
        ``response_url`` it carries. None when ``route`` is not one of these interfaces."""
        wanted = {"commands": ("POST",), "chargingprofiles": ("GET", "PUT", "DELETE")}
        for module, methods in wanted.items():
            if module not in self.state.receiver_modules:
                continue
            base = urlsplit(self.receiver_url(module)).path
            rest = route[len(base) + 1 :] if route.startswith(base + "/") else ""
            if not rest or "/" in rest:
                continue
            if method not in methods:
                return 405, {"status_code": 2000, "status_message": "Method not supported"}
            return 200, {"status_code": 1000, "data": {"result": "ACCEPTED", "timeout": self.state.async_timeout}}
        return None

    def _result_acceptance(self, method: str, route: str, body: bytes) -> tuple[int, dict[str, Any]] | None:
        """An eMSP identity's response URLs: a POSTed result is taken (1000, no data) and recorded. None when
        ``route`` is not under this identity's response_url prefix."""
        if not self.state.accepts_results:
            return None
        prefix = urlsplit(f"{self.details_url}/results").path
        if not route.startswith(prefix + "/"):
            return None
        if method != "POST":
            return 405, {"status_code": 2000, "status_message": "Method not supported"}
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            return 400, {"status_code": 2001, "status_message": "Body is not JSON"}
        with self._lock:
            self.state.pushes.append((method, route, payload))
        return 200, {"status_code": 1000}

    def _route(self, method: str, path: str, body: bytes, token: str | None) -> tuple[int, dict[str, Any]]:
        route = urlsplit(path).path.rstrip("/")
        details_path = urlsplit(self.details_url).path
        versions_path = urlsplit(self.versions_url).path
        if token is None:
            return 401, {"status_code": 2000, "status_message": "Unknown or missing credentials token"}
        if route == versions_path and method == "GET":
            return 200, {"status_code": 1000, "data": [{"version": self.version, "url": self.details_url}]}
        if route == details_path and method == "GET":
            return 200, {"status_code": 1000, "data": {"version": self.version, "endpoints": self.endpoints()}}
        if route == urlsplit(self.credentials_url).path:
            if method == "GET":
                return 200, {"status_code": 1000, "data": self.credentials_for(token)}
            return 405, {"status_code": 2000, "status_message": "The harness does not accept registrations"}
        async_answer = self._async_receiver(method, route) or self._result_acceptance(method, route, body)
        if async_answer is not None:
            return async_answer
        if "tokens" in self.state.sender_modules:
            sbase = urlsplit(self.sender_url("tokens")).path
            if route == sbase or route.startswith(sbase + "/"):
                return self._tokens_sender(method, route, urlsplit(path).query, body)
        # -- the CPO identity's paginated locations Sender (hub routing: a relayed Link must be usable) --
        if "locations" in self.state.sender_modules:
            sbase = urlsplit(self.sender_url("locations")).path
            if route == sbase or route.startswith(sbase + "/"):
                return self._locations_sender(method, route, urlsplit(path).query)
        if "bookings" in self.state.sender_modules:
            sbase = urlsplit(self.sender_url("bookings")).path
            if route == sbase or route.startswith(sbase + "/"):
                return self._bookings_sender(method, route, body)
        for module in self.state.receiver_modules:
            base = urlsplit(self.receiver_url(module)).path
            if route == base or route.startswith(base + "/"):
                if method in ("PUT", "POST", "PATCH"):
                    try:
                        payload = json.loads(body) if body else None
                    except ValueError:
                        return 400, {"status_code": 2001, "status_message": "Body is not JSON"}
                    return self._receive(module, base, method, route, payload)
                if method == "GET":
                    found = self.held(route)
                    if found is not None:
                        return 200, {"status_code": 1000, "data": found}
                    return 404, {"status_code": 2000, "status_message": "Unknown object"}
                if method == "DELETE":
                    with self._lock:
                        self.state.pushes.append((method, route, None))
                        gone = self.state.objects.pop(route, None)
                    if gone is None:
                        return 404, {"status_code": 2000, "status_message": "Unknown object"}
                    return 200, {"status_code": 1000}
                return 405, {"status_code": 2000, "status_message": "Method not supported"}
        return 404, {"status_code": 2000, "status_message": "Unknown endpoint"}


def _make_handler(peer: PeerServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ocpi-conformance-peer"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _serve(self) -> None:
            started = time.monotonic()
            wall = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            req_headers = list(self.headers.items())
            status, payload, style, name = peer.handle(self.command, self.path, req_headers, body)
            extra: list[tuple[str, str]] = payload.pop("_headers", [])
            payload["timestamp"] = _now()
            out = json.dumps(payload).encode("utf-8")
            resp_headers = [("Content-Type", "application/json"), ("Content-Length", str(len(out))), *extra]
            rid = self.headers.get("X-Request-ID") or str(uuid.uuid4())
            cid = self.headers.get("X-Correlation-ID") or str(uuid.uuid4())
            resp_headers += [("X-Request-ID", rid), ("X-Correlation-ID", cid)]
            # recorded before the answer leaves: once the target has it, the exchange that caused the call may end,
            # and what the peer received must already count for that scenario
            host = self.headers.get("Host") or peer.base_url.split("//", 1)[1]
            peer.recorder.add(
                Exchange(
                    direction="inbound",
                    method=self.command,
                    url=f"http://{host}{self.path}",
                    request_headers=req_headers,
                    request_body=body.decode("utf-8", "replace") if body else None,
                    status=status,
                    response_headers=resp_headers,
                    response_body=out.decode("utf-8"),
                    started=started,
                    finished=time.monotonic(),
                    wall_time=wall,
                    label="callback from the target",
                    auth_style=style,
                    auth_token_name=name,
                )
            )
            self.send_response(status)
            for k, v in resp_headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(out)

        do_GET = _serve
        do_POST = _serve
        do_PUT = _serve
        do_PATCH = _serve
        do_DELETE = _serve

    return Handler
