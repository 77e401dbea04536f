"""Small registered checks of single exchanges, shared by Gherkin steps, fuzzing and load tests.

Each check takes an :class:`~conformance.model.Exchange` (plus keyword options) and raises a
:class:`~conformance.model.Finding` naming the rule, the spec anchor and the evidence.
"""

from __future__ import annotations

from conformance.checks import datetime, envelope, headers, pagination, schema, shape, status
from conformance.checks._registry import CHECKS, CheckSpec, check, fail, judged, run_check

__all__ = (
    "CHECKS",
    "CheckSpec",
    "check",
    "datetime",
    "envelope",
    "fail",
    "headers",
    "judged",
    "pagination",
    "run_check",
    "schema",
    "shape",
    "status",
)
