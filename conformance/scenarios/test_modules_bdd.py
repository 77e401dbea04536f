"""Scenarios of the functional modules' folders (features/locations, tariffs, sessions, cdrs, tokens, ...).

Every folder of features/ that no other glue file claims is loaded here, so a new module folder cannot be left
unrun.
"""

from pytest_bdd import scenarios

from conformance import FEATURES_DIR

_CLAIMED = {"credentials", "pagination", "transport", "versions"}

for _folder in sorted(p for p in FEATURES_DIR.iterdir() if p.is_dir() and p.name not in _CLAIMED):
    scenarios(str(_folder))
