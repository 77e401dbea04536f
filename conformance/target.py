"""``target.toml``: what the harness certifies and who the harness pretends to be.

Relative paths (the report directory) are resolved against the TOML file's folder, so a run
gives the same result from any working directory.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = (
    "ROLES",
    "TEMPLATE",
    "ConfigError",
    "Identity",
    "PartyIdentity",
    "PeerAddress",
    "TargetConfig",
    "load_target",
)

ROLES = ("CPO", "EMSP", "HUB", "NAP", "NSP", "OTHER", "SCSP")
"""Values accepted in ``roles``. ``HUB`` marks a roaming hub (2.3.0 has no HUB role on the wire)."""

_PARTY_ROLES = ("CPO", "EMSP", "NAP", "NSP", "OTHER", "SCSP")


class ConfigError(ValueError):
    """The target file is missing a key or has a wrong value; the message says which."""


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
        return self.token_a is not None


def _str(d: dict[str, Any], key: str, default: str | None = None) -> str | None:
    v = d.get(key, default)
    if v is not None and not isinstance(v, str):
        raise ConfigError(f"`{key}` must be a string, got {v!r}")
    return v


def _check_token(name: str, value: str | None) -> None:
    if value is None:
        return
    if not value or len(value) > 64 or any(not ("!" <= ch <= "~") for ch in value):
        raise ConfigError(f"`{name}` must be 1-64 printable ASCII characters without spaces")


def parse_target(data: dict[str, Any], *, base_dir: Path | None = None, source: Path | None = None) -> TargetConfig:
    """Validate a decoded TOML document and build a TargetConfig."""
    versions_url = _str(data, "versions_url")
    if not versions_url:
        raise ConfigError("`versions_url` is required (the target's OCPI versions endpoint)")
    parts = urlsplit(versions_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"`versions_url` must be an absolute http(s) URL, got {versions_url!r}")
    token_a = _str(data, "token_a")
    token = _str(data, "token")

    roles_raw = data.get("roles", ["CPO"])
    if isinstance(roles_raw, str):
        roles_raw = [roles_raw]
    roles = tuple(str(r).upper() for r in roles_raw)
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ConfigError(f"`roles` must be a non-empty list of {', '.join(ROLES)}; got {roles_raw!r}")

    identities = _identities(data, token_a, token)
    party, token_a, token = identities[0].party, identities[0].token_a, identities[0].token

    peer_d = data.get("peer", {})
    port = peer_d.get("port", 0)
    if not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigError("`peer.port` must be an integer 0-65535 (0 = any free port)")
    modules = peer_d.get("receiver_modules", ["hubclientinfo"])
    if not isinstance(modules, list) or not all(isinstance(m, str) and m for m in modules):
        raise ConfigError("`peer.receiver_modules` must be a list of module identifiers")
    peer = PeerAddress(
        host=_str(peer_d, "host", "127.0.0.1") or "127.0.0.1",
        port=port,
        public_url=_str(peer_d, "public_url"),
        receiver_modules=tuple(modules),
    )

    report_d = data.get("report", {})
    report_dir = Path(_str(report_d, "dir", "ocpi-conformance-report") or "ocpi-conformance-report")
    if not report_dir.is_absolute() and base_dir is not None:
        report_dir = base_dir / report_dir

    run_d = data.get("run", {})
    timeout = data.get("timeout", 10.0)
    if not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError("`timeout` must be a positive number of seconds")
    exclude = run_d.get("exclude", [])
    if not isinstance(exclude, list):
        raise ConfigError("`run.exclude` must be a list of scenario ids")
    destructive = run_d.get("destructive")
    if destructive is not None and not isinstance(destructive, bool):
        raise ConfigError("`run.destructive` must be true or false")

    read_only = run_d.get("read_only", False)
    if not isinstance(read_only, bool):
        raise ConfigError("`run.read_only` must be true or false")
    broadcast = run_d.get("broadcast", True)
    if not isinstance(broadcast, bool):
        raise ConfigError("`run.broadcast` must be true or false")

    return TargetConfig(
        versions_url=versions_url,
        token_a=token_a,
        token=token,
        name=_str(data, "name", "") or "",
        roles=roles,
        party=party,
        peer=peer,
        report_dir=report_dir,
        timeout=float(timeout),
        strict=bool(run_d.get("strict", False)),
        exclude=tuple(str(x) for x in exclude),
        destructive=destructive,
        redact_tokens=bool(report_d.get("redact_tokens", True)),
        read_only=read_only,
        broadcast=broadcast,
        identities=identities,
        source=source,
    )


def _party(d: dict[str, Any], where: str, default_role: str) -> PartyIdentity:
    party = PartyIdentity(
        country_code=(_str(d, "country_code", "NL") or "NL").upper(),
        party_id=(_str(d, "party_id", "CTH") or "CTH").upper(),
        role=(_str(d, "role", default_role) or default_role).upper(),
        business_name=_str(d, "business_name", PartyIdentity.business_name) or PartyIdentity.business_name,
    )
    if len(party.country_code) != 2 or not party.country_code.isalpha():
        raise ConfigError(f"`{where}.country_code` must be two letters")
    if len(party.party_id) != 3 or not party.party_id.isalnum():
        raise ConfigError(f"`{where}.party_id` must be three letters or digits")
    if party.role not in _PARTY_ROLES:
        raise ConfigError(f"`{where}.role` must be one of {', '.join(_PARTY_ROLES)}")
    return party


def _tokens(token_a: str | None, token: str | None, where: str) -> None:
    if not token_a and not token:
        raise ConfigError(
            f"give `{where}token_a` (a registration token) or `{where}token` (an existing credentials token)"
        )
    if token_a and token:
        raise ConfigError(f"give either `{where}token_a` or `{where}token`, not both")
    _check_token(f"{where}token_a", token_a)
    _check_token(f"{where}token", token)


def _identities(data: dict[str, Any], token_a: str | None, token: str | None) -> tuple[Identity, ...]:
    """``[[identities]]`` tables, or the single ``[party]`` + top-level token form (one identity)."""
    tables = data.get("identities")
    if tables is None:
        _tokens(token_a, token, "")
        return (Identity(_party(data.get("party", {}), "party", "EMSP"), token_a, token),)
    if token_a or token or "party" in data:
        raise ConfigError("give `[[identities]]` or the single `[party]` + `token_a`/`token` form, not both")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise ConfigError("`identities` must be one or more [[identities]] tables")
    out: list[Identity] = []
    for i, t in enumerate(tables, 1):
        where = f"identities[{i}]"
        if "role" not in t:
            raise ConfigError(f"`{where}.role` is required (CPO, EMSP, ...)")
        party = _party(t, where, "EMSP")
        ta, tc = _str(t, "token_a"), _str(t, "token")
        _tokens(ta, tc, f"{where}.")
        if any(o.party.country_code == party.country_code and o.party.party_id == party.party_id for o in out):
            raise ConfigError(f"`{where}`: {party.country_code}/{party.party_id} is given twice")
        port = t.get("peer_port", 0)
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise ConfigError(f"`{where}.peer_port` must be an integer 0-65535 (0 = any free port)")
        public = _str(t, "peer_public_url")
        if public is not None and urlsplit(public).scheme not in ("http", "https"):
            raise ConfigError(f"`{where}.peer_public_url` must be an http(s) URL; got {public!r}")
        out.append(Identity(party, ta, tc, port, public))
    return tuple(out)


def load_target(path: str | Path) -> TargetConfig:
    """Read and validate ``target.toml``."""
    p = Path(path).expanduser().resolve()
    try:
        with p.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"target file not found: {p}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from exc
    return parse_target(data, base_dir=p.parent, source=p)


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
"""
