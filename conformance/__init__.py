"""OCPI 2.3.0 and 2.2.1 conformance harness: Gherkin scenarios, fuzzing and certification reports for any platform.

Independent of ``reference_hub``: its oracle is the project's description of the version under test
(``openapi.yaml``, ``openapi-2.2.1.yaml``) and the specification.
Entry points: the ``ocpi-conformance`` CLI (:mod:`conformance.__main__`) and the pytest plugin
(:mod:`conformance.plugin`).
"""

from __future__ import annotations

import os
from pathlib import Path

__version__ = "0.1.0"

FEATURES_DIR = Path(os.environ.get("OCPI_CONFORMANCE_FEATURES") or Path(__file__).resolve().parents[1] / "features")
"""The Gherkin features (``features/`` at the repository root unless OCPI_CONFORMANCE_FEATURES says otherwise)."""

SCENARIOS_DIR = Path(__file__).resolve().parent / "scenarios"

__all__ = ("FEATURES_DIR", "SCENARIOS_DIR", "__version__")
