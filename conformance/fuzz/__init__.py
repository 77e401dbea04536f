"""Schemathesis fuzzing of a target, restricted to what its version details advertise."""

from __future__ import annotations

from conformance.fuzz.driver import FuzzOptions, rebase_schema, run_fuzz

__all__ = ("FuzzOptions", "rebase_schema", "run_fuzz")
