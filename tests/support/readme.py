"""The command lines of a README walk-through, so a test runs what the documentation says, as it says it."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def walkthrough(name: str, document: Path = ROOT / "README.md") -> list[str]:
    """The lines of the code block after ``<!-- walkthrough: NAME ... -->``, each without its trailing comment."""
    text = document.read_text(encoding="utf-8")
    match = re.search(rf"<!-- walkthrough: {re.escape(name)}\b.*?-->\s*```\w*\n(.*?)```", text, re.DOTALL)
    assert match, f"no walkthrough {name!r} in {document}"
    lines = []
    for line in match.group(1).splitlines():
        command = re.sub(r"\s+#\s.*$", "", line).strip()
        if command:
            lines.append(command)
    return lines


def workspace(target: Path) -> Path:
    """A folder that looks like the repository root to ``make`` and the examples, so that walk-throughs run there
    literally without leaving files (token files, data/) in the real checkout."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("Makefile", ".venv", "examples", "loadtests", "reference_hub", "conformance"):
        (target / name).symlink_to(ROOT / name)
    # A copy of pyproject.toml no newer than the virtual environment's install stamp: make must never reinstall the
    # shared .venv from here (an editable install would then point at this temporary folder).
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    stamp = ROOT / ".venv" / ".installed-stamp"
    if stamp.exists():
        older = stamp.stat().st_mtime - 1
        os.utime(target / "pyproject.toml", (older, older))
    return target
