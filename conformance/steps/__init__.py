"""The Gherkin step vocabulary (sync, httpx). Loaded as pytest plugins by :mod:`conformance.plugin`.

``common`` holds the shared phrases (registration state, sending requests, generic Then checks);
one module per area adds its own.
"""

from __future__ import annotations

STEP_MODULES = (
    "conformance.steps.common",
    "conformance.steps.credentials",
    "conformance.steps.objects",
    "conformance.steps.pagination",
    "conformance.steps.routing",
    "conformance.steps.versions",
    # these import the modules above: loaded after them, so each is loaded (and assertion-rewritten) once as a plugin
    "conformance.steps.commands",
    "conformance.steps.hub",
    "conformance.steps.invoicereconciliation",
    "conformance.steps.bookings",
)

__all__ = ("STEP_MODULES",)
