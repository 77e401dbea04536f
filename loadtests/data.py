"""Load-test data: token files, Authorization headers, unknown tokens and collision-free party ids.

Standard library only: imported both by the Locust process and by the runner, the benchmark and the tests.
"""

from __future__ import annotations

import base64
import hashlib
import math
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

__all__ = (
    "ALNUM",
    "authorization",
    "location",
    "party_country",
    "party_id",
    "percentiles",
    "read_tokens",
    "share",
    "unknown_token",
)

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Country codes for load-test registrations start with Q..Z: `ocpi-hub seed` uses AA, AB, ... and hubs commonly
# use their own country (NL, DE, ...), so these stay clear of both.
_FIRST = "QRSTUVWXYZ"

T = TypeVar("T")


def read_tokens(path: str | Path) -> list[str]:
    """The tokens in a file, one per line.

    Blank lines, ``#`` comments and lines with whitespace inside are skipped, so the output of
    ``ocpi-hub invite --count N`` (a header sentence, then one token per line) can be used as it is.
    """
    tokens = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        token = line.strip()
        if token and not token.startswith("#") and not any(c.isspace() for c in token):
            tokens.append(token)
    return tokens


def share(items: list[T], index: int, count: int) -> list[T]:
    """The slice of ``items`` that load generator ``index`` of ``count`` owns (every ``count``-th item).

    Locust workers read the same file; taking disjoint slices keeps a registration token A from being used twice.
    """
    if count <= 1:
        return list(items)
    return items[index % count :: count]


def authorization(token: str) -> str:
    """``Token <base64(token)>``, as OCPI 2.2 and later require."""
    return "Token " + base64.b64encode(token.encode("utf-8")).decode("ascii")


def unknown_token() -> str:
    """A fresh random token no implementation can know (the same shape as a real one)."""
    return secrets.token_urlsafe(32)


def party_country(tokens: list[str]) -> str:
    """A two-letter country code for this run's registrations, derived from its token file.

    Every registration token file is new, so the code changes from run to run (260 possibilities) and two runs
    against the same target rarely collide; ``--party-country`` fixes it. Derived, not random, so every Locust worker
    of one run computes the same code.
    """
    digest = hashlib.sha256("\n".join(tokens[:4]).encode()).digest()
    return _FIRST[digest[0] % len(_FIRST)] + _LETTERS[digest[1] % len(_LETTERS)]


def party_id(index: int) -> str:
    """Three letters or digits for registration number ``index`` (0 .. 46,655): unique within one run."""
    if not 0 <= index < len(ALNUM) ** 3:
        raise ValueError(f"party index {index} out of range (at most {len(ALNUM) ** 3} registrations per run)")
    return "".join(ALNUM[(index // len(ALNUM) ** k) % len(ALNUM)] for k in (2, 1, 0))


def location(country_code: str, party_id: str, location_id: str) -> dict[str, object]:
    """The smallest valid OCPI 2.3.0 Location (every required field, no EVSEs), last updated now."""
    now = datetime.now(UTC)
    return {
        "country_code": country_code,
        "party_id": party_id,
        "id": location_id,
        "publish": True,
        "address": "Load-test street 1",
        "city": "Loadville",
        "country": "NLD",
        "coordinates": {"latitude": "52.37000", "longitude": "4.89000"},
        "time_zone": "Europe/Amsterdam",
        "last_updated": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
    }


def percentiles(values: Iterable[float]) -> dict[str, float]:
    """Count, mean, p50, p95, p99 and max of ``values`` (nearest rank, rounded to the microsecond when in ms)."""
    ordered = sorted(values)
    if not ordered:
        return {}

    def rank(q: float) -> float:
        return round(ordered[max(math.ceil(q * len(ordered)) - 1, 0)], 3)

    return {
        "count": len(ordered),
        "mean": round(sum(ordered) / len(ordered), 3),
        "p50": rank(0.50),
        "p95": rank(0.95),
        "p99": rank(0.99),
        "max": round(ordered[-1], 3),
    }
