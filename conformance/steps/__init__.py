"""The Gherkin step vocabulary (sync, httpx). Loaded as pytest plugins by :mod:`conformance.plugin`.

``common`` holds the shared phrases (registration state, sending requests, generic Then checks);
one module per area adds its own.
"""

from __future__ import annotations

STEP_MODULES = (
    "conformance.steps.common",
    "conformance.steps.commands",
    "conformance.steps.credentials",
    "conformance.steps.hub",
    "conformance.steps.objects",
    "conformance.steps.pagination",
    "conformance.steps.routing",
    "conformance.steps.versions",
)

__all__ = ("STEP_MODULES",)
