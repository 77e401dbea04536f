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

__all__ = ("ROLES", "TEMPLATE", "ConfigError", "PartyIdentity", "PeerAddress", "TargetConfig", "load_target")

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
    source: Path | None = None

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
    if not token_a and not token:
        raise ConfigError("give `token_a` (a registration token) or `token` (an existing credentials token)")
    if token_a and token:
        raise ConfigError("give either `token_a` or `token`, not both")
    _check_token("token_a", token_a)
    _check_token("token", token)

    roles_raw = data.get("roles", ["CPO"])
    if isinstance(roles_raw, str):
        roles_raw = [roles_raw]
    roles = tuple(str(r).upper() for r in roles_raw)
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ConfigError(f"`roles` must be a non-empty list of {', '.join(ROLES)}; got {roles_raw!r}")

    party_d = data.get("party", {})
    party = PartyIdentity(
        country_code=(_str(party_d, "country_code", "NL") or "NL").upper(),
        party_id=(_str(party_d, "party_id", "CTH") or "CTH").upper(),
        role=(_str(party_d, "role", "EMSP") or "EMSP").upper(),
        business_name=_str(party_d, "business_name", PartyIdentity.business_name) or PartyIdentity.business_name,
    )
    if len(party.country_code) != 2 or not party.country_code.isalpha():
        raise ConfigError("`party.country_code` must be two letters")
    if len(party.party_id) != 3 or not party.party_id.isalnum():
        raise ConfigError("`party.party_id` must be three letters or digits")
    if party.role not in _PARTY_ROLES:
        raise ConfigError(f"`party.role` must be one of {', '.join(_PARTY_ROLES)}")

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
        source=source,
    )


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

# Either a registration token A: the harness registers itself with the credentials module,
# runs everything, rotates its token and unregisters at the end ...
token_a = "PASTE-TOKEN-A-HERE"
# ... or a credentials token C the harness already holds (registration scenarios are then skipped,
# and the harness neither rotates nor deletes it unless [run] destructive = true).
# token = "PASTE-TOKEN-C-HERE"

# What the target is: any of CPO, EMSP, HUB, NAP, NSP, OTHER, SCSP. Scenarios written for other
# roles are skipped. HUB marks a roaming hub (hub_party_id and reachable parties are then checked).
roles = ["CPO"]

# Seconds to wait for each response.
timeout = 10

# The harness's own OCPI party, used in its Credentials during registration.
[party]
country_code = "NL"
party_id = "CTH"
role = "EMSP"
business_name = "OCPI conformance harness"

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
"""
