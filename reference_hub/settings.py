"""Hub settings: defaults that need no file, then a YAML file, then ``OCPI_HUB_*`` variables, then CLI flags.

Every field can be set in the YAML file under its own name, or in the environment as ``OCPI_HUB_<NAME>`` (upper case;
lists comma-separated). ``OCPI_HUB_CONFIG`` names the YAML file when ``--config`` is not given.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import yaml

from reference_hub.faults import Fault

FAULTS = frozenset(f.value for f in Fault)
"""Every fault switch name; see :class:`reference_hub.faults.Fault`."""


class Settings(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Everything the hub can be told. Unknown keys in the YAML file are an error, to catch typos."""

    host: str = "127.0.0.1"
    """Interface to listen on."""
    port: int = 8080
    """TCP port to listen on."""
    public_url: str | None = None
    """Base URL the hub advertises in every URL it hands out (versions, endpoints); default ``http://HOST:PORT``."""
    store: str = "sqlite:///data/hub.db"
    """``sqlite:///relative.db``, ``sqlite:////absolute.db``, ``sqlite://:memory:``, ``postgresql://user@host/db``
    (``?pool_size=N`` connections per process, default 10) or ``mongodb://host/db``."""
    secret_key: str | None = None
    """Fernet key that seals the tokens the hub presents to parties; several comma-separated during a key rotation
    (the first seals, all open). Best given as ``OCPI_HUB_SECRET_KEY`` from a secret manager. With PostgreSQL or
    MongoDB this or ``secret_key_file`` is required, and every instance sharing a database needs the same key."""
    secret_key_file: str | None = None
    """File holding the token-sealing key (one per line, the first seals; created 0600 with a new key if missing).
    Keep it outside the data directory, so that a copy or backup of the data does not carry the key to its tokens.
    Default, when neither this nor ``secret_key`` is set: ``<db>.key`` beside a SQLite database."""
    country_code: str = "NL"
    """The hub's own ISO 3166-1 alpha-2 country code."""
    party_id: str = "HUB"
    """The hub's own party id; with ``country_code`` it forms ``hub_party_id`` (e.g. ``NLHUB``)."""
    business_name: str = "ChargeSphere Hub"
    """The hub's business name in its Credentials."""
    business_website: str | None = None
    """The hub's website in its Credentials."""
    page_limit: int = 100
    """Largest page a paginated GET returns (the X-Limit header)."""
    callback_timeout: float = 10.0
    """Overall deadline, in seconds, of one call the hub makes to a party (connect, send, the whole answer), not a
    per-read timeout: a party dripping one byte at a time is cut off when it runs out."""
    allow_private_peers: bool = False
    """Let the hub call parties on loopback and private addresses (127.0.0.0/8, 10/8, 172.16/12, 192.168/16, fc00::/7,
    ...). Off in production; tests, ``make run`` and local development switch it on. Link-local and cloud metadata
    addresses (169.254.0.0/16, fe80::/10, ...) are refused whatever this says."""
    peer_max_answer: int = 1_048_576
    """Largest answer, in bytes, the hub reads from a party; a longer one is abandoned as it streams in."""
    peer_concurrency: int = 16
    """Calls the hub makes at once to one party (one scheme, host and port); more wait for a free slot within their
    own deadline."""
    caller_concurrency: int = 1
    """Calls to parties one registration token may cause at once (a registration is one handshake at a time); more
    are refused with HTTP 429 at once. Forwarded requests are bounded by ``peer_concurrency`` instead."""
    max_body_size: int = 1_048_576
    """Largest request body, in bytes, the hub reads; a longer one gets HTTP 413."""
    body_timeout: float = 10.0
    """Seconds a client has to send a whole request body once the hub starts reading it; a slower one gets HTTP 408."""
    bodies_per_token: int = 64
    """Request bodies one token may be sending at once; more get HTTP 429 at once, so one token holding many stalled
    uploads cannot tie up the server."""
    max_url_length: int = 8192
    """Longest request target (path and query) the hub accepts; a longer one gets HTTP 414 with the OCPI envelope."""
    max_header_bytes: int = 16384
    """Largest sum of header names and values the hub accepts; more gets HTTP 431 with the OCPI envelope."""
    header_timeout: int = 10
    """Seconds a client has to send its request line and headers (granian's header read timeout)."""
    party_requests: Annotated[int, msgspec.Meta(ge=1)] = 1000
    """Requests one platform may have under way at once in one hub process; more get HTTP 429 at once, so a flood
    from one platform cannot take every slot (``max_concurrent_requests``) from the others."""
    party_rate: Annotated[float, msgspec.Meta(ge=0)] = 2000.0
    """Requests per second one platform may start in one hub process (bursts of one second's worth pass at once); a
    request over it waits for its turn, up to a second, and only one whose turn is further away gets HTTP 429. Size it
    to a share of what a process serves, so one platform's flood cannot take the hub's CPU from the others. A
    Credentials answer counts as one request per 64 KiB beyond itself (``hub/ratelimit.answer_weight``). 0 switches
    it off."""
    party_forwards: Annotated[int, msgspec.Meta(ge=1)] = 256
    """Calls to other parties one platform's requests may have under way at once in one hub process (forwards, routed
    authorizations, commands); more get HTTP 429 at once instead of queueing behind each other."""
    max_concurrent_requests: int = 4096
    """Requests one worker handles at once (granian's backpressure); stalled uploads are cut by ``body_timeout``."""
    auth_failure_limit: int = 100
    """Failed authentications one client address may make per ``auth_failure_window`` (OCPI tokens, the admin key and
    dashboard sign-ins together; a wrong admin key counts ten); beyond that the address is locked out for
    ``auth_lockout`` seconds: HTTP 429 with ``Retry-After`` before any lookup, even for the right secret, except for
    tokens that authenticated in the process before. 0 switches the limit off."""
    auth_failure_window: float = 10.0
    """Seconds of the failed-authentication window."""
    auth_lockout: Annotated[float, msgspec.Meta(gt=0)] = 60.0
    """Seconds an address stays locked out once it passed ``auth_failure_limit``."""
    admin_key: str | None = None
    """Enables the ``/admin`` endpoints for callers presenting ``X-Admin-Key: <this>``; admin is off when unset."""
    workers: int = 1
    """Server processes (granian workers); a worker that dies is replaced."""
    log_level: str = "info"
    """Server log level."""
    log_format: Literal["plain", "json"] = "plain"
    """``plain``: one readable line per event (time, level, logger, message); ``json``: one JSON object per line (keys
    ``time``, ``level``, ``logger``, ``message``) for log collectors. The server's own lines use the same format."""
    delivery_policy: Literal["spec", "store_and_forward"] = "spec"
    """What happens when a broadcast or ClientInfo push cannot be delivered: ``spec`` retries a transport failure
    ``delivery_retries`` times and gives up (the receiver resynchronises with a GET); ``store_and_forward`` retries
    until delivered."""
    delivery_retries: int = 3
    """Retries of a failed delivery under the ``spec`` policy."""
    delivery_backoff: float = 1.0
    """Seconds before the first retry of a delivery; each further retry waits twice as long (at most 300 times this)."""
    delivery_concurrency: Annotated[int, msgspec.Meta(ge=1)] = 512
    """Deliveries one hub process sends at once, to all receivers together."""
    delivery_per_receiver: Annotated[int, msgspec.Meta(ge=1)] = 32
    """Deliveries in flight to one receiving platform; a receiver at this many is left out of claims, so a slow or
    hanging receiver holds at most this many slots (a sixteenth of the pool) and never delays deliveries to the
    others. 32 lets a receiver back from an outage take its backlog at about 1,000 a second at 30 ms a send, while
    50 receivers at their usual pace hold one or two slots each."""
    delivery_breaker: Annotated[int, msgspec.Meta(ge=0)] = 5
    """Failed sends in a row (timeouts, refused connections, HTTP 5xx) after which a receiver is taken out of rotation:
    marked OFFLINE for routing (ClientInfo to the others) until a probe delivery gets through. 0 switches it off."""
    delivery_breaker_cooldown: Annotated[float, msgspec.Meta(gt=0)] = 10.0
    """Seconds before the first probe of a receiver out of rotation; each failed probe doubles it (at most 300)."""
    exchange_keep_hours: Annotated[float, msgspec.Meta(gt=0)] = 24.0
    """Hours the dashboard keeps a failed exchange (request and answer, bodies capped and redacted) and what each
    receiver was delivered."""
    invitation_days: Annotated[float, msgspec.Meta(gt=0)] = 7.0
    """Days an unused invitation (token A) stays valid; after that the token is refused as expired."""
    max_party_roles: int = 1000
    """Party-roles one platform may list in its Credentials (POST, PUT, and a hub-initiated registration); more get
    2001 and change nothing. Each party-role a platform adds or drops costs a ClientInfo PUT to every other platform
    with a hubclientinfo Receiver, so this bounds what one platform's registration or change can make the hub send."""
    announcement_interval: float = 60.0
    """Seconds between two ClientInfo announcements of the party-roles one platform changes at its credentials PUTs
    (per hub process); the changes in between are announced together, each party once with its latest status. 0
    announces each change at once. Registrations, unregistrations and an operator's actions are announced at once."""
    announcement_rate: float = 500.0
    """ClientInfo PUTs per second one hub process plans from announcements while it is serving requests (0: no
    bound). An announcement on a hub of 1,000 platforms is 1,000 PUTs, planned a slice at a time when the delivery
    worker has room; without this bound a registration wave's announcements took the CPU its handshakes needed. A
    process that serves no request plans them as fast as they are delivered."""
    delivery_lease: float = 30.0
    """Seconds a hub process holds a delivery it is sending; a crashed process's deliveries are taken over after it."""
    delivery_poll: float = 1.0
    """Seconds between two looks for due deliveries when there is nothing to send."""
    result_grace: float = 300.0
    """Seconds past the ``timeout`` of a receiver's CommandResponse/ChargingProfileResponse during which the hub still
    takes the asynchronous result posted to the ``response_url`` it handed out (and before that answer arrives)."""
    alive_after: float = 300.0
    """Seconds a party may stay silent (no request to this hub process) before the hub GETs its versions endpoint to
    check it is still there; one that does not answer is marked OFFLINE (HubClientInfo pushed) and checked again each
    round until it answers. 0 switches the check off."""
    faults: tuple[str, ...] = ()
    """Fault switches for testing conformance tools; see FAULTS. Never set in production."""

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def versions_url(self) -> str:
        return f"{self.base_url}/ocpi/versions"

    @property
    def hub_party_id(self) -> str:
        return f"{self.country_code}{self.party_id}".upper()

    def has_fault(self, fault: Fault) -> bool:
        return fault in self.faults


def _coerce_env(field_type: Any, raw: str) -> Any:
    if field_type is tuple[str, ...] or "tuple" in str(field_type):
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


class SettingsError(ValueError):
    """The settings cannot be used as given; the message names the file, line or setting at fault."""


def _read_config(config_file: str | os.PathLike[str]) -> dict[str, Any]:
    try:
        text = Path(config_file).read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"cannot read the settings file {config_file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise SettingsError(f"the settings file {config_file} is not UTF-8 text") from None
    try:
        loaded = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SettingsError(f"{config_file}{where}: YAML syntax error: {problem}") from None
    if not isinstance(loaded, dict):
        raise SettingsError(f"{config_file}: expected a mapping of setting names to values")
    return loaded


def _closest_setting(problem: str) -> str:
    """``; did you mean 'port'?`` for an unknown setting that is close to a real one (a typo must not pass unseen)."""
    import difflib
    import re

    unknown = re.search(r"unknown field `([^`]+)`", problem)
    if unknown is None:
        return ""
    names = [f.name for f in msgspec.structs.fields(Settings)]
    guess = difflib.get_close_matches(unknown.group(1).lower(), names, n=1)
    return f"; did you mean {guess[0]!r}?" if guess else ""


def load_settings(config_file: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Build settings from the layers above; ``overrides`` (CLI flags) win, ``None`` values are ignored."""
    values: dict[str, Any] = {}
    config_file = config_file or os.environ.get("OCPI_HUB_CONFIG")
    if config_file:
        values.update(_read_config(config_file))
    for field in msgspec.structs.fields(Settings):
        raw = os.environ.get(f"OCPI_HUB_{field.name.upper()}")
        if raw is not None:
            values[field.name] = _coerce_env(field.type, raw)
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        settings = msgspec.convert(values, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(_explain(exc)) from None
    unknown = set(settings.faults) - FAULTS
    if unknown:
        raise SettingsError(f"unknown fault switch(es) {sorted(unknown)}; known: {sorted(FAULTS)}")
    if not 0 < settings.port < 65536:
        raise SettingsError(f"invalid setting port: {settings.port} is not a port number (1-65535)")
    if settings.workers < 1:
        raise SettingsError(f"invalid setting workers: {settings.workers} (at least 1)")
    for name, (low, high) in _RANGES.items():
        value = getattr(settings, name, None)
        if isinstance(value, int | float) and not low <= value <= high:
            raise SettingsError(f"invalid setting {name}: {value!r} is outside {low:g}-{high:g}")
    return settings


_RANGES: dict[str, tuple[float, float]] = {
    "page_limit": (1, 10_000),
    "callback_timeout": (0.1, 3600),
    "peer_max_answer": (1024, 1 << 30),
    "peer_concurrency": (1, 10_000),
    "caller_concurrency": (1, 10_000),
    "party_rate": (0, 1_000_000),
    "max_body_size": (1024, 1 << 30),
    "body_timeout": (0.1, 3600),
    "bodies_per_token": (1, 100_000),
    "max_url_length": (256, 1 << 20),
    "max_header_bytes": (1024, 1 << 24),
    "header_timeout": (1, 3600),
    "max_concurrent_requests": (1, 1_000_000),
    "auth_failure_limit": (0, 1_000_000),
    "auth_failure_window": (0.1, 86_400),
    "delivery_retries": (0, 1000),
    "delivery_backoff": (0, 3600),
    "delivery_lease": (0.1, 86_400),
    "max_party_roles": (1, 1_000_000),
    "announcement_interval": (0, 86_400),
    "announcement_rate": (0, 1_000_000),
    "delivery_poll": (0.01, 3600),
    "result_grace": (0, 86_400),
    "alive_after": (0, 86_400 * 7),
}
"""The range each other numeric setting must fall in: a value outside it (a negative page size) is refused when the
settings are read, naming the setting, rather than misbehaving later."""


def _explain(exc: msgspec.ValidationError) -> str:
    """msgspec says ``Expected `int`, got `str` - at `$.port```; name the setting first, as an operator looks for it."""
    message = str(exc)
    reason, _, where = message.partition(" - at `$.")
    if where:
        name = where.rstrip("`").split("[", 1)[0].split(".", 1)[0]
        return f"invalid setting {name}: {reason} (from the YAML file, OCPI_HUB_{name.upper()} or a flag)"
    if message.startswith("Object contains unknown field"):
        name = message.split("`")[1] if "`" in message else message
        return f"unknown setting {name!r}{_closest_setting(message)} (README: Configuration lists every setting)"
    return f"invalid settings: {message}"


__all__ = ("FAULTS", "Settings", "SettingsError", "load_settings")
