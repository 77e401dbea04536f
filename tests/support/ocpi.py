"""Small helpers for talking OCPI from tests."""

from __future__ import annotations

import base64
from typing import Any


def auth(token: str, *, raw: bool = False) -> dict[str, str]:
    """Authorization header: ``Token <base64>`` (or the raw token, as old peers send it)."""
    value = token if raw else base64.b64encode(token.encode()).decode()
    return {"Authorization": f"Token {value}"}


def credentials_body(token: str, url: str, *roles: tuple[str, str, str], **extra: Any) -> dict[str, Any]:
    """A Credentials object with roles given as (role, country_code, party_id)."""
    return {
        "token": token,
        "url": url,
        "roles": [
            {"role": r, "country_code": cc, "party_id": pid, "business_details": {"name": f"{cc}-{pid}"}}
            for r, cc, pid in roles
        ],
        **extra,
    }
