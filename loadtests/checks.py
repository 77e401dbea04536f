"""Verdicts on load-test responses, in the conformance harness's vocabulary.

Every answer under load is judged by the same registered checks the Gherkin scenarios use
(:mod:`conformance.checks`), so a wrong answer fails the run for the same reason it fails certification, not
merely a slow one. No Locust here: the functions take any response with ``status_code``, ``headers`` and ``text``.
"""

from __future__ import annotations

from typing import Any, Protocol

from conformance.checks import run_check
from conformance.model import Exchange, Finding

__all__ = ("Finding", "exchange_of", "expect_success", "expect_unauthorized", "short")


class ResponseLike(Protocol):
    status_code: int
    text: str | None
    headers: Any


class _Exchange(Exchange):
    """An exchange that parses its body once: the checks ask for it several times, and load generators are busy."""

    def json(self) -> Any:
        try:
            return self.__dict__["_parsed"]
        except KeyError:
            parsed = super().json()  # raises ValueError for a body that is not JSON: that is not cached
            self.__dict__["_parsed"] = parsed
            return parsed


def exchange_of(method: str, url: str, response: ResponseLike, *, label: str = "") -> Exchange:
    """The response as an :class:`~conformance.model.Exchange`; status 0 (no HTTP answer) becomes ``error``."""
    status = response.status_code or None
    headers = response.headers
    content_type = headers.get("content-type") if headers is not None else None
    error = None
    if status is None:
        error = str(getattr(response, "error", None) or "no HTTP response")
    return _Exchange(
        direction="outbound",
        method=method,
        url=url,
        status=status,
        response_headers=[("content-type", content_type)] if content_type else [],
        response_body=response.text if status is not None else None,
        error=error,
        label=label,
    )


def expect_success(exchange: Exchange, *, data: str | None = None) -> dict[str, Any]:
    """HTTP 2xx, a well-formed envelope and a 1xxx status_code; returns the envelope.

    ``data``: ``"list"`` or ``"object"`` when the shape of ``data`` is known.
    """
    run_check("envelope", exchange)
    run_check("success", exchange, data=data)
    envelope = exchange.envelope()
    assert envelope is not None  # the envelope check passed
    return envelope


def expect_unauthorized(exchange: Exchange) -> None:
    """HTTP 401 with a well-formed OCPI envelope whose status_code is not a success."""
    run_check("unauthorized", exchange)
    run_check("envelope", exchange)


def short(finding: Finding) -> str:
    """One line for Locust's failure table (rows are grouped by message, so it names the rule, not the secret)."""
    text = f"{finding.check or 'check'}: {finding.message}"
    if finding.expected is not None or finding.actual is not None:
        text += f" (expected {finding.expected}; got {finding.actual})"
    return text
