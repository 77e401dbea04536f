"""Scenarios of features/pagination/."""

from pytest_bdd import scenarios

from conformance import FEATURES_DIR

scenarios(str(FEATURES_DIR / "pagination"))
