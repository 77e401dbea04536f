"""Schemathesis extension loaded into the fuzz run (``hooks = "conformance.fuzz.hooks"``).

Registers the harness's fuzz-relevant checks (those registered with ``fuzz=True``) as schemathesis
checks, next to schemathesis' own. Pagination-header checks run only on operations marked
``x-ocpi-paginated`` by the driver; the rest on every response.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis

from conformance.checks import CHECKS
from conformance.model import Blocked, Exchange, Finding

__all__ = ("OCPI_CHECK_NAMES", "to_exchange")

_PAGINATION = {"total_count_header", "limit_header", "link_header"}


def to_exchange(response: Any, case: Any = None) -> Exchange:
    """A schemathesis Response as a harness Exchange."""
    req = response.request
    body = req.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    headers = [(k, v) for k, values in response.headers.items() for v in values]
    return Exchange(
        direction="outbound",
        method=str(req.method),
        url=str(req.url),
        request_headers=[(k, v) for k, v in req.headers.items()],
        request_body=body,
        status=response.status_code,
        response_headers=headers,
        response_body=response.content.decode("utf-8", "replace"),
        label=f"fuzz case {getattr(case, 'operation', None) and case.operation.label}",
    )


def _raw(case: Any) -> dict[str, Any]:
    definition = getattr(case.operation, "definition", None)
    raw = getattr(definition, "raw", None)
    return raw if isinstance(raw, dict) else {}


def _is_success(response: Any) -> bool:
    """HTTP 2xx with a 1xxx status_code: only a successful page must carry the pagination headers."""
    if not 200 <= response.status_code < 300:
        return False
    try:
        code = json.loads(response.content).get("status_code")
    except (ValueError, AttributeError):
        return False
    return isinstance(code, int) and 1000 <= code < 2000


def _register(name: str) -> str:
    spec = CHECKS[name]
    pagination = name in _PAGINATION

    def ocpi_check(ctx: Any, response: Any, case: Any) -> bool | None:
        if pagination and not (_raw(case).get("x-ocpi-paginated") and _is_success(response)):
            return None
        try:
            spec.func(to_exchange(response, case))
        except Blocked:
            # A redirect: only ocpi_not_redirected judges it, so one response gives one finding, not one per check.
            return None
        except Finding as finding:
            detail = f"{finding.message}"
            if finding.expected:
                detail += f"\nexpected: {finding.expected}"
            if finding.actual:
                detail += f"\nactual:   {finding.actual}"
            detail += f"\nspec:     {finding.spec}"
            raise AssertionError(detail) from None
        return True

    ocpi_check.__name__ = f"ocpi_{name}"
    ocpi_check.__doc__ = spec.summary
    schemathesis.check(ocpi_check)
    return ocpi_check.__name__


OCPI_CHECK_NAMES = tuple(_register(name) for name, spec in CHECKS.items() if spec.fuzz)
"""Names under which the OCPI checks are registered with schemathesis."""
