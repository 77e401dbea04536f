"""``target.toml``: what the harness certifies and who the harness pretends to be.

The file is read strictly against :data:`SCHEMA`, the one definition of every table and key: an unknown table or
key, a value of the wrong type or out of range is refused with one line naming it and the closest valid name, so a
typo (``[Run]``, ``readonly = true``) can never silently change what a run does. The same definition renders the
reference page ``docs/target-toml.md`` (``python -m conformance.target``), and a test fails when that page is stale.

Relative paths (the report directory) are resolved against the TOML file's folder, so a run gives the same result
from any working directory.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance import versions

__all__ = (
    "ROLES",
    "SCHEMA",
    "TEMPLATE",
    "ConfigError",
    "Identity",
    "Key",
    "PartyIdentity",
    "PeerAddress",
    "Table",
    "TargetConfig",
    "load_target",
    "parse_target",
    "reference_page",
)

ROLES = ("CPO", "EMSP", "HUB", "NAP", "NSP", "OTHER", "SCSP")
"""Values accepted in ``roles``. ``HUB`` marks a roaming hub (2.3.0 has no HUB role on the wire)."""

_PARTY_ROLES = ("CPO", "EMSP", "NAP", "NSP", "OTHER", "SCSP")


class ConfigError(ValueError):
    """The target file is missing a key or has a wrong value; the message says which, in one line."""


# -- the one definition of target.toml ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """One key of target.toml: its TOML type, default, allowed values and meaning."""

    name: str
    kind: str
    """``string``, ``integer``, ``number``, ``boolean``, ``list of strings`` or ``string or list of strings``."""
    default: Any
    doc: str
    required: bool = False
    choices: tuple[str, ...] = ()
    """Allowed values (compared without case), for strings and list items."""
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    check: Callable[[Any], str | None] | None = None
    """A further rule: returns what is wrong with a value of the right type, or None."""
    rule: str = ""
    """The rule ``check`` applies, in words, for the reference page."""


@dataclass(frozen=True)
class Table:
    """The top level (``name == ""``), a ``[table]`` or an ``[[array of tables]]``."""

    name: str
    doc: str
    keys: tuple[Key, ...]
    array: bool = False

    def key(self, name: str) -> Key | None:
        return next((k for k in self.keys if k.name == name), None)

    @property
    def title(self) -> str:
        if not self.name:
            return "top level"
        return f"[[{self.name}]]" if self.array else f"[{self.name}]"


def _http_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "must be an absolute http(s) URL"
    return None


def _token(value: str) -> str | None:
    if not value or len(value) > 64 or any(not ("!" <= ch <= "~") for ch in value):
        return "must be 1-64 printable ASCII characters without spaces"
    return None


def _country(value: str) -> str | None:
    return None if len(value) == 2 and value.isascii() and value.isalpha() else "must be two letters (ISO 3166-1)"


def _party_id(value: str) -> str | None:
    return None if len(value) == 3 and value.isascii() and value.isalnum() else "must be three letters or digits"


def _not_empty(value: str) -> str | None:
    return None if value.strip() else "must not be empty"


_TOKEN_A = Key(
    "token_a",
    "string",
    None,
    "A registration token A: the harness registers this identity itself, and unregisters it at the end.",
    check=_token,
    rule="1-64 printable ASCII characters",
)
_TOKEN = Key(
    "token",
    "string",
    None,
    "A credentials token C the harness already holds (registration scenarios are then skipped, and it is neither "
    "rotated nor deleted unless [run] destructive = true).",
    check=_token,
    rule="1-64 printable ASCII characters",
)
_COUNTRY = Key(
    "country_code", "string", "NL", "ISO 3166-1 alpha-2 code of the party.", check=_country, rule="2 letters"
)
_PARTY = Key("party_id", "string", "CTH", "Party id (three characters).", check=_party_id, rule="3 letters or digits")
_BUSINESS = Key(
    "business_name", "string", "OCPI conformance harness", "business_details.name in the party's Credentials."
)

SCHEMA: tuple[Table, ...] = (
    Table(
        "",
        "What the target is and how long to wait for it.",
        (
            Key("name", "string", "", "Human name of the target, shown in the reports (default: the URL's host)."),
            Key(
                "versions_url",
                "string",
                None,
                "The target's OCPI versions endpoint, the one URL handed over out of band.",
                required=True,
                check=_http_url,
                rule="absolute http(s) URL",
            ),
            Key(
                "roles",
                "string or list of strings",
                ["CPO"],
                "What the target is; scenarios written for other roles are skipped. HUB marks a roaming hub.",
                choices=ROLES,
            ),
            Key(
                "timeout",
                "number",
                10,
                "Seconds to wait for each answer, and the longest wait for something asynchronous (a delivery, a "
                "command result).",
                minimum=0,
                exclusive_minimum=True,
                maximum=600,
            ),
            _TOKEN_A,
            _TOKEN,
        ),
    ),
    Table(
        "identities",
        "The parties the harness plays, each registered on its own with its own embedded peer. The first is the "
        "primary one (transport, versions, credentials and pagination scenarios speak as it). Give either "
        "[[identities]] or the single-party form ([party] with a top-level token_a or token), not both.",
        (
            Key("role", "string", None, "The role this identity declares.", required=True, choices=_PARTY_ROLES),
            _COUNTRY,
            _PARTY,
            _BUSINESS,
            _TOKEN_A,
            _TOKEN,
            Key(
                "peer_port",
                "integer",
                0,
                "Port of this identity's own peer (the first one's: [peer] port); 0: free.",
                minimum=0,
                maximum=65535,
            ),
            Key(
                "peer_public_url",
                "string",
                None,
                "Base URL the target must use to reach this identity's peer, when it cannot reach 127.0.0.1.",
                check=_http_url,
                rule="absolute http(s) URL",
            ),
        ),
        array=True,
    ),
    Table(
        "party",
        "The single-party form: the one identity, with the top-level token_a or token.",
        (
            Key("role", "string", "EMSP", "The role the harness declares.", choices=_PARTY_ROLES),
            _COUNTRY,
            _PARTY,
            _BUSINESS,
        ),
    ),
    Table(
        "peer",
        "The first identity's embedded OCPI peer, which answers the target's calls (versions, details, pushes).",
        (
            Key("host", "string", "127.0.0.1", "Address the peer listens on.", check=_not_empty, rule="not empty"),
            Key("port", "integer", 0, "Port the peer listens on; 0 picks a free port.", minimum=0, maximum=65535),
            Key(
                "public_url",
                "string",
                None,
                "Base URL the target must use to reach the peer, when it differs from http://host:port.",
                check=_http_url,
                rule="absolute http(s) URL",
            ),
            Key(
                "receiver_modules",
                "list of strings",
                ["hubclientinfo"],
                "Modules the peer lists as RECEIVER in its version details, for targets that refuse a registration "
                "(status 3003) without them.",
                check=lambda v: None if all(m.strip() for m in v) else "must not hold an empty module identifier",
                rule="module identifiers",
            ),
        ),
    ),
    Table(
        "report",
        "Where the reports go and what they show.",
        (
            Key(
                "dir",
                "string",
                "ocpi-conformance-report",
                "Report folder, relative to this file.",
                check=_not_empty,
                rule="not empty",
            ),
            Key("redact_tokens", "boolean", True, "Hide token values in the reports (encoding and length stay)."),
        ),
    ),
    Table(
        "run",
        "What a run may do.",
        (
            Key("strict", "boolean", False, "SHOULD-level failures fail the run too (same as run --strict)."),
            Key("exclude", "list of strings", [], "Scenario ids not to run (see ocpi-conformance list)."),
            Key(
                "destructive",
                "boolean",
                None,
                "May the harness rotate and delete its credentials? Unset: only when it registered itself.",
            ),
            Key(
                "read_only",
                "boolean",
                False,
                "Write no module objects, neither rotate nor delete credentials (production targets; same as "
                "run --read-only).",
            ),
            Key(
                "versions",
                "list of strings",
                [],
                "The OCPI versions to certify, each in its own pass with its own registration (same as run --version); "
                "left out: every version the target offers that the harness certifies, highest first.",
                choices=versions.KNOWN,
            ),
            Key(
                "broadcast",
                "boolean",
                True,
                "Against a hub: may a write be addressed to the hub itself, which broadcasts it to every connected "
                "party? false: addressed to the harness's own other identity (same as run --no-broadcast).",
            ),
        ),
    ),
)
"""Every table and key target.toml may hold. The loader validates against it and the reference page is rendered from
it, so the two cannot drift."""

_TABLES = {t.name: t for t in SCHEMA if t.name}
_TOP = SCHEMA[0]


def _closest(name: str, valid: list[str]) -> str | None:
    lowered = {v.lower(): v for v in valid}
    if name.lower() in lowered:
        return lowered[name.lower()]
    match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def _path(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _unknown_key(name: str, table: Table, where: str) -> ConfigError:
    """One line: the unknown key, the closest valid one, or the table it belongs in."""
    valid = [k.name for k in table.keys]
    if not table.name:
        valid += list(_TABLES)
    guess = _closest(name, valid)
    if guess is not None:
        shown = f"[{guess}]" if not table.name and guess in _TABLES else f"`{_path(where, guess)}`"
        what = "table" if not table.name and guess in _TABLES else "key"
        return ConfigError(f"unknown {what} `{_path(where, name)}`; did you mean {shown}?")
    elsewhere = [t for t in SCHEMA if t is not table and t.key(name) is not None]
    if elsewhere:
        home = elsewhere[0]
        return ConfigError(f"`{_path(where, name)}` is not a key here; it belongs in {home.title}")
    listing = ", ".join(valid)
    return ConfigError(f"unknown key `{_path(where, name)}` (valid here: {listing})")


def _describe_kind(key: Key) -> str:
    kind = {"boolean": "true or false", "list of strings": 'a list of strings, e.g. ["a", "b"]'}.get(key.kind, "")
    return f"a{'n' if key.kind[0] in 'aeiou' else ''} {key.kind}" + (f" ({kind})" if kind else "")


def _range_text(key: Key) -> str:
    lo, hi = key.minimum, key.maximum
    if lo is not None and hi is not None:
        return f"more than {lo:g} and at most {hi:g}" if key.exclusive_minimum else f"{lo:g}-{hi:g}"
    if lo is not None:
        return f"more than {lo:g}" if key.exclusive_minimum else f"at least {lo:g}"
    return f"at most {hi:g}"


def _value(key: Key, raw: Any, where: str) -> Any:
    """``raw`` checked against ``key``; choices come back upper-cased."""
    name = f"`{_path(where, key.name)}`"
    kind = key.kind
    ok = {
        "string": isinstance(raw, str),
        "integer": isinstance(raw, int) and not isinstance(raw, bool),
        "number": isinstance(raw, int | float) and not isinstance(raw, bool),
        "boolean": isinstance(raw, bool),
        "list of strings": isinstance(raw, list) and all(isinstance(x, str) for x in raw),
        "string or list of strings": isinstance(raw, str)
        or (isinstance(raw, list) and all(isinstance(x, str) for x in raw)),
    }[kind]
    if not ok:
        raise ConfigError(f"{name} must be {_describe_kind(key)}, got {raw!r}")
    if key.minimum is not None or key.maximum is not None:
        low = key.minimum is not None and (raw <= key.minimum if key.exclusive_minimum else raw < key.minimum)
        high = key.maximum is not None and raw > key.maximum
        if low or high:
            raise ConfigError(f"{name} must be {_range_text(key)}, got {raw!r}")
    if key.choices:
        items = [raw] if isinstance(raw, str) else list(raw)
        out = []
        for item in items:
            if item.upper() not in key.choices:
                guess = _closest(item, list(key.choices))
                hint = f"; did you mean {guess}?" if guess else ""
                raise ConfigError(f"{name}: {item!r} is not one of {', '.join(key.choices)}{hint}")
            out.append(item.upper())
        if kind != "string" and not out:
            raise ConfigError(f"{name} must name at least one of {', '.join(key.choices)}")
        raw = out[0] if kind == "string" else out
    if key.check is not None:
        problem = key.check(raw)
        if problem:
            raise ConfigError(f"{name} {problem}, got {raw!r}")
    return raw


def _table(data: Any, table: Table, where: str) -> dict[str, Any]:
    """The keys of one table, validated, with defaults for those left out."""
    if not isinstance(data, dict):
        raise ConfigError(f"`{where}` must be a table ({table.title}), got {data!r}")
    out: dict[str, Any] = {}
    for name, raw in data.items():
        if not table.name and name in _TABLES:
            continue
        key = table.key(name)
        if key is None:
            raise _unknown_key(name, table, where)
        out[name] = _value(key, raw, where)
    for key in table.keys:
        if key.name not in out:
            if key.required:
                raise ConfigError(f"`{_path(where, key.name)}` is required: {key.doc[0].lower()}{key.doc[1:]}")
            out[key.name] = key.default
    return out


def validate(data: dict[str, Any]) -> dict[str, Any]:
    """The whole document checked against :data:`SCHEMA`: ``{"": top-level keys, "peer": {...}, "identities":
    [{...}, ...], ...}`` with every default filled in (tables and arrays left out are absent)."""
    out: dict[str, Any] = {"": _table(data, _TOP, "")}
    for name, value in data.items():
        table = _TABLES.get(name)
        if table is None:
            continue
        if table.array:
            if not isinstance(value, list) or not value or not all(isinstance(t, dict) for t in value):
                raise ConfigError(f"`{name}` must be one or more [[{name}]] tables")
            out[name] = [_table(t, table, f"{name}[{i}]") for i, t in enumerate(value, 1)]
        else:
            if isinstance(value, list):
                raise ConfigError(f"`{name}` is a table: write [{name}], not [[{name}]]")
            out[name] = _table(value, table, name)
    return out


@dataclass(frozen=True)
class PartyIdentity:
    """The OCPI party the harness registers as."""

    country_code: str = "NL"
    """ISO 3166-1 alpha-2 code of the harness party."""
    party_id: str = "CTH"
    """Three-character party id of the harness party."""
    role: str = "EMSP"
    """Role the harness declares in its Credentials (CPO, EMSP, NAP, NSP, OTHER, SCSP)."""
    business_name: str = "OCPI conformance harness"
    """``business_details.name`` in the harness's Credentials."""


@dataclass(frozen=True)
class Identity:
    """One party the harness plays towards the target, with the token that lets it in.

    The first identity is the *primary* one: the transport, versions, credentials and pagination scenarios speak as
    it. Module scenarios pick the identity whose role the module needs (a CPO writes Locations, an eMSP Tokens); each
    identity registers on its own, with its own embedded peer.
    """

    party: PartyIdentity
    token_a: str | None = None
    token: str | None = None
    peer_port: int = 0
    """Port of this identity's own peer (the primary identity's comes from ``[peer]``); 0 picks a free port."""
    peer_public_url: str | None = None
    """Base URL the target must use to reach this identity's peer, when it differs from http://host:port (the
    primary identity's comes from ``[peer] public_url``)."""
    carried: bool = False
    """``token`` is the token C this identity got in the run's previous pass (another version): it registers at this
    pass's version by a credentials PUT, the spec's way of moving a registration to another version, and unregisters
    at the end as if it had registered with token A."""

    @property
    def key(self) -> str:
        return f"{self.party.country_code}/{self.party.party_id} ({self.party.role})"


@dataclass(frozen=True)
class PeerAddress:
    """Where the harness's own OCPI peer listens for the target's callbacks."""

    host: str = "127.0.0.1"
    port: int = 0
    """0 picks a free port."""
    public_url: str | None = None
    """Base URL the target must use to reach the peer, when it differs from http://host:port."""
    receiver_modules: tuple[str, ...] = ("hubclientinfo",)
    """Modules the peer advertises as RECEIVER (accepting any push), for targets that insist on them."""


@dataclass(frozen=True)
class TargetConfig:
    """A parsed ``target.toml``."""

    versions_url: str
    """The target's OCPI versions endpoint, handed over out of band."""
    token_a: str | None = None
    """A registration token A: the harness registers itself (and unregisters at the end)."""
    token: str | None = None
    """An existing credentials token C, when the harness is already registered."""
    name: str = ""
    """Human name of the target, shown in reports."""
    roles: tuple[str, ...] = ("CPO",)
    """What the target is: scenarios tagged for other roles are skipped."""
    party: PartyIdentity = field(default_factory=PartyIdentity)
    peer: PeerAddress = field(default_factory=PeerAddress)
    report_dir: Path = Path("ocpi-conformance-report")
    timeout: float = 10.0
    """Seconds to wait for each response."""
    strict: bool = False
    """Treat SHOULD-level failures as failures."""
    exclude: tuple[str, ...] = ()
    """Scenario ids not to run."""
    destructive: bool | None = None
    """May the harness rotate and delete its credentials? Default: only when it registered itself."""
    redact_tokens: bool = True
    """Hide token values in reports (encoding style and length stay visible)."""
    read_only: bool = False
    """Run nothing that writes module objects to the target (production targets): every writing scenario is skipped,
    saying so. The credentials handshake with token A still runs (it is how the harness gets a token)."""
    identities: tuple[Identity, ...] = ()
    """Every identity, the primary one (``party``, ``token_a``, ``token``) first."""
    broadcast: bool = True
    """May writes to a hub be addressed to the hub itself (a broadcast to every connected party)? With false, the
    harness addresses each Location, Tariff and Token it writes to its own other identity, so nothing reaches a real
    partner of a production hub; the scenarios that judge broadcasts are skipped, saying so."""
    source: Path | None = None
    versions: tuple[str, ...] = ()
    """The versions to certify, each in its own pass, highest first; empty: every version the target offers that the
    harness knows (``[run] versions``, ``run --version``)."""
    version: str = ""
    """The version of the pass this configuration is for (set per pass; empty outside a run)."""
    carried: bool = False
    """The primary identity's ``token`` was carried over from the previous pass (see :attr:`Identity.carried`)."""
    hand_over: str | None = None
    """The version of the next pass: this pass leaves its identities registered and hands their tokens C to it, so
    the unregistration is judged in the last pass only."""

    def identity_for(self, role: str) -> Identity | None:
        """The first identity with this role (CPO, EMSP, ...), or None."""
        for ident in self.identities or (Identity(self.party, self.token_a, self.token),):
            if ident.party.role == role:
                return ident
        return None

    @property
    def display_name(self) -> str:
        return self.name or urlsplit(self.versions_url).netloc or self.versions_url

    @property
    def allow_destructive(self) -> bool:
        if self.destructive is not None:
            return self.destructive
        return self.token_a is not None or self.carried


def parse_target(data: dict[str, Any], *, base_dir: Path | None = None, source: Path | None = None) -> TargetConfig:
    """Validate a decoded TOML document against :data:`SCHEMA` and build a TargetConfig."""
    doc = validate(data)
    top = doc[""]
    identities = _identities(doc)
    party, token_a, token = identities[0].party, identities[0].token_a, identities[0].token

    peer_d = doc.get("peer") or _table({}, _TABLES["peer"], "peer")
    peer = PeerAddress(
        host=peer_d["host"],
        port=peer_d["port"],
        public_url=peer_d["public_url"],
        receiver_modules=tuple(peer_d["receiver_modules"]),
    )
    report_d = doc.get("report") or _table({}, _TABLES["report"], "report")
    report_dir = Path(report_d["dir"])
    if not report_dir.is_absolute() and base_dir is not None:
        report_dir = base_dir / report_dir
    run_d = doc.get("run") or _table({}, _TABLES["run"], "run")
    _known_scenarios(run_d["exclude"])

    return TargetConfig(
        versions_url=top["versions_url"],
        token_a=token_a,
        token=token,
        name=top["name"],
        roles=tuple(top["roles"]),
        party=party,
        peer=peer,
        report_dir=report_dir,
        timeout=float(top["timeout"]),
        strict=run_d["strict"],
        exclude=tuple(run_d["exclude"]),
        destructive=run_d["destructive"],
        redact_tokens=report_d["redact_tokens"],
        read_only=run_d["read_only"],
        broadcast=run_d["broadcast"],
        versions=tuple(versions.order(run_d["versions"])),
        identities=identities,
        source=source,
    )


def _known_scenarios(ids: list[str]) -> None:
    """Every id in ``[run] exclude`` names a scenario (a typo would silently exclude nothing)."""
    if not ids:
        return
    from conformance.catalog import read_catalog

    known = [e.id for e in read_catalog()]
    for i in ids:
        if i not in known:
            guess = _closest(i, known)
            hint = f"; did you mean {guess}?" if guess else " (see ocpi-conformance list)"
            raise ConfigError(f"`run.exclude` names no scenario {i!r}{hint}")


def _party(d: dict[str, Any]) -> PartyIdentity:
    return PartyIdentity(
        country_code=d["country_code"].upper(),
        party_id=d["party_id"].upper(),
        role=d["role"],
        business_name=d["business_name"],
    )


def _tokens(token_a: str | None, token: str | None, where: str) -> None:
    if not token_a and not token:
        raise ConfigError(
            f"give `{where}token_a` (a registration token) or `{where}token` (an existing credentials token)"
        )
    if token_a and token:
        raise ConfigError(f"give either `{where}token_a` or `{where}token`, not both")


def _identities(doc: dict[str, Any]) -> tuple[Identity, ...]:
    """``[[identities]]`` tables, or the single ``[party]`` + top-level token form (one identity)."""
    top = doc[""]
    tables = doc.get("identities")
    if tables is None:
        _tokens(top["token_a"], top["token"], "")
        party_d = doc.get("party") or _table({}, _TABLES["party"], "party")
        return (Identity(_party(party_d), top["token_a"], top["token"]),)
    if top["token_a"] or top["token"] or "party" in doc:
        raise ConfigError("give `[[identities]]` or the single `[party]` + `token_a`/`token` form, not both")
    out: list[Identity] = []
    for i, t in enumerate(tables, 1):
        where = f"identities[{i}]"
        party = _party(t)
        _tokens(t["token_a"], t["token"], f"{where}.")
        if any(o.party.country_code == party.country_code and o.party.party_id == party.party_id for o in out):
            raise ConfigError(f"`{where}`: {party.country_code}/{party.party_id} is given twice")
        out.append(Identity(party, t["token_a"], t["token"], t["peer_port"], t["peer_public_url"]))
    return tuple(out)


def load_target(path: str | Path) -> TargetConfig:
    """Read and validate ``target.toml``; every error is one line that starts with the file's path."""
    p = Path(path).expanduser()
    try:
        with p.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"{p}: no such file (write one with: ocpi-conformance init > {p.name})") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"{p}: is a directory, not a target file") from exc
    except PermissionError as exc:
        raise ConfigError(f"{p}: cannot be read (permission denied)") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: not UTF-8 text") from exc
    try:
        return parse_target(data, base_dir=p.resolve().parent, source=p.resolve())
    except ConfigError as exc:
        raise ConfigError(f"{p}: {exc}") from exc


# -- the reference page ---------------------------------------------------------------------------------------------


def _default_text(key: Key) -> str:
    if key.required:
        return "required"
    if key.default is None:
        return "unset"
    if isinstance(key.default, bool):
        return "`true`" if key.default else "`false`"
    if isinstance(key.default, list):
        return "`[" + ", ".join(f'"{v}"' for v in key.default) + "]`"
    if isinstance(key.default, str):
        return f'`"{key.default}"`' if key.default else '`""`'
    return f"`{key.default}`"


def _allowed_text(key: Key) -> str:
    parts = []
    if key.choices:
        parts.append("one of " + ", ".join(f"`{c}`" for c in key.choices))
    if key.minimum is not None or key.maximum is not None:
        parts.append(_range_text(key))
    if key.rule:
        parts.append(key.rule)
    return "; ".join(parts)


def reference_page() -> str:
    """docs/target-toml.md, rendered from :data:`SCHEMA` (the definition the loader validates against)."""
    lines = [
        "# target.toml reference",
        "",
        "Every table and key `ocpi-conformance` reads from a target file. Generated from `conformance/target.py`",
        "(`SCHEMA`, the definition the loader validates against) by `python -m conformance.target`; a test fails when",
        "this page is stale. `ocpi-conformance init` prints an annotated example.",
        "",
        "The file is read strictly: an unknown table or key, a value of the wrong type or out of range stops the run",
        "before anything is sent, with one line naming the key and the closest valid name (exit code 2).",
        "",
    ]
    for table in SCHEMA:
        lines += [
            f"## {table.title}",
            "",
            table.doc,
            "",
            "| key | type | default | allowed | meaning |",
            "|---|---|---|---|---|",
        ]
        for key in table.keys:
            doc = key.doc.replace("|", "\\|")
            lines.append(f"| `{key.name}` | {key.kind} | {_default_text(key)} | {_allowed_text(key)} | {doc} |")
        lines.append("")
    return "\n".join(lines)


TEMPLATE = """\
# ocpi-conformance target file. Run:  ocpi-conformance run target.toml
# Paths are relative to this file.

# Shown in the reports.
name = "My OCPI platform"

# The target's OCPI versions endpoint (the one URL that is handed over out of band).
versions_url = "http://127.0.0.1:8080/ocpi/versions"

# What the target is: any of CPO, EMSP, HUB, NAP, NSP, OTHER, SCSP. Scenarios written for other
# roles are skipped. HUB marks a roaming hub (hub_party_id and reachable parties are then checked).
roles = ["HUB"]

# Seconds to wait for each response.
timeout = 10

# The parties the harness plays, each registered on its own with its own embedded peer. The harness
# plays the role opposite to the target's: against a CPO an eMSP, against an eMSP a CPO, against a
# hub both at once. The FIRST identity is the primary one: transport, versions, credentials and
# pagination scenarios speak as it. Module scenarios use the identity with the role the module needs
# (a CPO writes Locations, Tariffs, Sessions and CDRs; an eMSP writes Tokens); without one they are
# skipped, saying so. Delete an identity the target has no use for (the CPO against a CPO, ...).
#
# Each identity gives either a registration token A (the harness registers that identity, and
# unregisters it at the end) or a credentials token C it already holds (registration scenarios are
# then skipped, and the harness neither rotates nor deletes it unless [run] destructive = true).
# The harness writes only under these country_code/party_id pairs.
[[identities]]
country_code = "NL"
party_id = "CTH"
role = "EMSP"
business_name = "OCPI conformance harness (eMSP)"
token_a = "PASTE-TOKEN-A-FOR-THE-EMSP-HERE"
# token = "PASTE-TOKEN-C-HERE"

[[identities]]
country_code = "NL"
party_id = "CTC"
role = "CPO"
business_name = "OCPI conformance harness (CPO)"
token_a = "PASTE-TOKEN-A-FOR-THE-CPO-HERE"
# Every identity after the first runs its own peer on another port (the [peer] table below is the
# first identity's). When the target cannot reach 127.0.0.1, give each one its address:
# peer_port = 9001
# peer_public_url = "http://harness.example.net:9001"

# Optional, against a hub: a second eMSP identity. The Session a hub must not show the first eMSP is then
# written for this party (one every hub delivers to) instead of a party that cannot exist.
# [[identities]]
# country_code = "NL"
# party_id = "CTE"
# role = "EMSP"
# token_a = "PASTE-TOKEN-A-FOR-THE-SECOND-EMSP-HERE"

# The older single-identity form still works: a top-level token_a (or token) and a [party] table
# with country_code, party_id, role and business_name.

# The harness runs a small OCPI peer so the target can call back (versions, version details).
# The target must be able to reach it. port = 0 picks a free port.
[peer]
host = "127.0.0.1"
port = 0
# public_url = "http://harness.example.net:9000"   # when the target must use another address
# Modules the peer lists as RECEIVER in its version details (it accepts any push to them), for
# targets that refuse a registration (status 3003) without them.
receiver_modules = ["hubclientinfo"]

[report]
dir = "ocpi-conformance-report"
# Token values are hidden in reports (their encoding and length stay visible).
redact_tokens = true

[run]
# SHOULD-level failures fail the run too.
strict = false
# Scenario ids to leave out (see `ocpi-conformance list`).
exclude = []
# destructive = true   # allow token rotation and DELETE with an existing token C
# Production targets: write no module objects (Locations, Tokens, CDRs, ...); every writing
# scenario is skipped, saying so. Same as `ocpi-conformance run --read-only`.
read_only = false
# Against a hub, a Location, Tariff or Token addressed to the hub itself is broadcast to every
# connected party. false: the harness addresses them to its own other identity instead, so no real
# partner receives them (the broadcast scenarios are skipped). Same as `run --no-broadcast`.
broadcast = true
# The OCPI versions to certify, each in its own pass (2.3.0, 2.2.1). Left out: every version
# the target offers that the harness certifies, highest first. Same as `run --version 2.2.1`.
# versions = ["2.3.0", "2.2.1"]
"""


if __name__ == "__main__":
    print(reference_page(), end="")
