"""``python -m loadtests``: headless load runs against any OCPI 2.3.0 versions URL (see loadtests/run.py)."""

from __future__ import annotations

import sys

from loadtests.run import main

if __name__ == "__main__":
    sys.exit(main())
