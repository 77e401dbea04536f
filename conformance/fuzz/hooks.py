"""Schemathesis extension loaded into the fuzz run (``hooks = "conformance.fuzz.hooks"``).

Registers the harness's fuzz-relevant checks (those registered with ``fuzz=True``) as schemathesis
checks, next to schemathesis' own. Pagination-header checks run only on operations marked
``x-ocpi-paginated`` by the driver; the rest on every response.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import schemathesis

from conformance.checks import CHECKS
from conformance.model import Blocked, Exchange, Finding, NotJudged

__all__ = ("OCPI_CHECK_NAMES", "to_exchange")

_PAGINATION = {"total_count_header", "limit_header", "link_header"}


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    """A fuzzed write (``--allow-writes``) carries its URL's object id in the body, as the spec requires; the driver
    names the pair on the operation (``x-ocpi-body-id``), and a Token its ``?type=``."""
    link = case.operation.definition.raw.get("x-ocpi-body-id")
    body, params = case.body, case.path_parameters or {}
    if not link or not isinstance(body, dict):
        return case
    # a generated last_updated is mostly a minimal one (year 0000) that a receiver may refuse as a date it cannot
    # store: the write would test only that refusal. Now is always storable; every other field stays generated.
    body["last_updated"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if link["param"] in params and case.method.upper() == "PUT":
        body[link["field"]] = unquote(str(params[link["param"]]))
        if q := link.get("query"):
            body[q["name"]] = (case.query or {}).get(q["name"], q["default"])
    return case


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


def _detail(finding: Finding) -> str:
    detail = f"{finding.message}"
    if finding.expected:
        detail += f"\nexpected: {finding.expected}"
    if finding.actual:
        detail += f"\nactual:   {finding.actual}"
    return detail + f"\nspec:     {finding.spec}"


class _Verdicts:
    """Every OCPI check's verdict on the response being judged, computed once when the first check sees it.

    schemathesis calls each registered check separately; one bad response (an error without the envelope, say) would
    then be counted once per rule it breaks. Here the first failing check reports every rule that response breaks,
    and the others stay silent for it: one response, one finding.
    """

    def __init__(self) -> None:
        self.response: Any = None
        self.failures: list[tuple[str, str]] = []

    def of(self, response: Any, case: Any) -> list[tuple[str, str]]:
        if response is not self.response:
            self.response = response
            self.failures = []
            exchange = to_exchange(response, case)
            for name, spec in CHECKS.items():
                if not spec.fuzz:
                    continue
                if name in _PAGINATION and not (_raw(case).get("x-ocpi-paginated") and _is_success(response)):
                    continue
                try:
                    spec.func(exchange)
                except (Blocked, NotJudged):
                    continue  # a redirect: judged by ocpi_not_redirected alone
                except Finding as finding:
                    self.failures.append((name, _detail(finding)))
        return self.failures


_VERDICTS = _Verdicts()


def _register(name: str) -> str:
    spec = CHECKS[name]

    def ocpi_check(ctx: Any, response: Any, case: Any) -> bool | None:
        failures = _VERDICTS.of(response, case)
        if not failures or failures[0][0] != name:
            return None if failures else True
        if len(failures) == 1:
            raise AssertionError(failures[0][1])
        others = "\n\n".join(f"[ocpi_{n}] {d}" for n, d in failures[1:])
        raise AssertionError(
            f"{failures[0][1]}\n\nthe same response also breaks {len(failures) - 1} other rule(s) "
            f"(counted once, here):\n{others}"
        )

    ocpi_check.__name__ = f"ocpi_{name}"
    ocpi_check.__doc__ = spec.summary
    schemathesis.check(ocpi_check)
    return ocpi_check.__name__


OCPI_CHECK_NAMES = tuple(_register(name) for name, spec in CHECKS.items() if spec.fuzz)
"""Names under which the OCPI checks are registered with schemathesis."""
