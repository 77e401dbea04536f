"""The one registry of checks: BDD steps, the fuzz driver and the load tests all call through it."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from conformance.model import Exchange, Finding, Level

__all__ = ("CHECKS", "NOT_JUDGED", "CheckSpec", "check", "fail", "judged", "judged_count", "run_check")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class CheckSpec:
    """A registered check: a function of one exchange that raises :class:`Finding` on a violation."""

    name: str
    func: Callable[..., Any]
    spec: str
    """Spec anchor (see :mod:`conformance.specref`)."""
    level: Level
    summary: str
    fuzz: bool
    """Also run on every response of a fuzz run."""


CHECKS: dict[str, CheckSpec] = {}

NOT_JUDGED = object()
"""What a check returns when the answer is outside what it judges (e.g. a status openapi.yaml does not describe):
the call is then not counted as something checked."""

_JUDGED: list[tuple[str, str]] = []
"""(check, exchange label) of every answer a check looked at in this process, so that a pass can say what it checked
and a scenario that checked nothing is skipped instead of passed (see the pytest plugin)."""


def judged(what: str, exchange: Exchange | None = None) -> None:
    """Record that ``what`` was checked (on ``exchange``): for steps that judge without a registered check."""
    _JUDGED.append((what, exchange.label if exchange is not None else ""))


def judged_count() -> int:
    """How many judgements were recorded so far (the plugin compares before and after a scenario)."""
    return len(_JUDGED)


def judged_since(mark: int) -> list[tuple[str, str]]:
    return _JUDGED[mark:]


def fail(message: str, *, expected: str | None = None, actual: str | None = None, **kw: Any) -> NoReturn:
    """Raise a Finding; the registry fills in check name, spec anchor and exchange."""
    raise Finding(message, expected=expected, actual=actual, **kw)


def check(*, spec: str, level: Level = Level.SHALL, name: str | None = None, fuzz: bool = False) -> Callable[[F], F]:
    """Register ``func(exchange, **options)`` under ``name`` (default: the function name).

    A name registered twice is a programming error and raises at import time.
    """

    def decorator(func: F) -> F:
        check_name = name or func.__name__
        if check_name in CHECKS:
            raise ValueError(f"check {check_name!r} registered twice")

        @functools.wraps(func)
        def wrapper(exchange: Exchange, *args: Any, **kwargs: Any) -> Any:
            try:
                out = func(exchange, *args, **kwargs)
                if out is NOT_JUDGED:
                    return None
                _JUDGED.append((check_name, exchange.label))
                return out
            except Finding as finding:
                finding.check = finding.check or check_name
                finding.spec = finding.spec or spec
                if not finding.exchanges:
                    finding.exchanges = [exchange]
                raise

        summary = (func.__doc__ or check_name).strip().splitlines()[0]
        CHECKS[check_name] = CheckSpec(check_name, wrapper, spec, level, summary, fuzz)
        return wrapper  # type: ignore[return-value]

    return decorator


def run_check(name: str, exchange: Exchange, *args: Any, **kwargs: Any) -> Any:
    """Call a registered check by name."""
    return CHECKS[name].func(exchange, *args, **kwargs)
