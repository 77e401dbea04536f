"""The OCPI versions the hub serves, and what belongs to each: its operations table and its wire models.

2.3.0 is the hub's own shape (its store keeps 2.3.0 objects); 2.2.1 is served beside it, translated at the front
door (``ocpi/translate.py``, ``hub/frontdoor.py``). Versions are listed highest first, the order in which the hub
picks one with a party that offers several.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType

from reference_hub.ocpi import models, models_221, operations, operations_221
from reference_hub.ocpi.operations import Operation

V230 = "2.3.0"
V221 = "2.2.1"
SERVED: tuple[str, ...] = (V230, V221)
"""Highest first."""

OPERATIONS: dict[str, tuple[Operation, ...]] = {V230: operations.OPERATIONS, V221: operations_221.OPERATIONS}
MODELS: dict[str, ModuleType] = {V230: models, V221: models_221}
MODULES: dict[str, frozenset[str]] = {v: frozenset(op.module for op in ops) for v, ops in OPERATIONS.items()}
"""The modules each version has (2.2.1 has no payments, bookings or invoicereconciliation)."""


def highest_common(offered: Iterable[str]) -> str | None:
    """The highest version the hub serves among those offered (None: none)."""
    offered = set(offered)
    return next((v for v in SERVED if v in offered), None)


__all__ = ("MODELS", "MODULES", "OPERATIONS", "SERVED", "V221", "V230", "highest_common")
