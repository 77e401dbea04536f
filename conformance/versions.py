"""The OCPI versions the harness certifies, and what belongs to each: its description and the order of the passes.

A run certifies each version in its own pass (its own registration, its own peer speaking only that version), so
one target can get a verdict per version. Which versions: those ``[run] versions`` or ``run --version`` name, or by
default every version the target offers that the harness knows, highest first (the order in which OCPI's version
negotiation prefers them).

Each version's oracle is the project's own description of it: ``openapi.yaml`` for 2.3.0, ``openapi-2.2.1.yaml``
for 2.2.1. Versions the target offers that the harness does not certify (2.1.1, 2.0) are named in the report, never
judged.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = (
    "DESCRIPTIONS",
    "KNOWN",
    "V221",
    "V230",
    "certifiable",
    "current",
    "order",
    "unknown",
    "use",
)

V230 = "2.3.0"
V221 = "2.2.1"

KNOWN: tuple[str, ...] = (V230, V221)
"""The versions the harness certifies, highest first."""

DESCRIPTIONS: dict[str, str] = {V230: "openapi.yaml", V221: "openapi-2.2.1.yaml"}
"""File name (at the repository root) of the project's description of each version: that version's oracle."""


def order(versions: Iterable[str]) -> list[str]:
    """``versions`` (known ones only, each once) highest first."""
    wanted = set(versions)
    return [v for v in KNOWN if v in wanted]


def unknown(versions: Iterable[str]) -> list[str]:
    """The versions in ``versions`` the harness does not certify, in their order, each once."""
    return list(dict.fromkeys(v for v in versions if v not in KNOWN))


def certifiable(offered: Iterable[str]) -> list[str]:
    """The versions a target offers that the harness certifies, highest first (the default of a run)."""
    return order(v for v in offered if v in KNOWN)


_current = V230


def current() -> str:
    """The version of the pass being run: the oracle, the peer and discovery read it.

    One process runs the passes one after the other (a pytest session each), so one value at a time is the truth;
    the plugin sets it when a pass is configured.
    """
    return _current


def use(version: str) -> None:
    """Make ``version`` the version of the pass about to run."""
    global _current
    if version not in KNOWN:
        raise ValueError(f"the harness certifies {', '.join(KNOWN)}, not {version}")
    _current = version
