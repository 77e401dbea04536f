"""The scenario catalogue read straight from features/ (for ``ocpi-conformance list``, no pytest needed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from conformance import FEATURES_DIR

__all__ = ("CatalogEntry", "matches", "read_catalog")


@dataclass
class CatalogEntry:
    id: str
    title: str
    level: str
    area: str
    feature_file: str
    line: int
    tags: list[str] = field(default_factory=list)

    @property
    def spec(self) -> list[str]:
        return [t[5:] for t in self.tags if t.startswith("spec.")]

    @property
    def versions(self) -> list[str]:
        """The versions the scenario applies to (``@version.*`` tags); empty: every version."""
        return [t[8:] for t in self.tags if t.startswith("version.")]

    @property
    def roles(self) -> list[str]:
        return [t[5:] for t in self.tags if t.startswith("role.")] or ["any"]


def read_catalog(features_dir: Path = FEATURES_DIR) -> list[CatalogEntry]:
    """Every scenario with its tags (feature tags included), in file order."""
    out: list[CatalogEntry] = []
    for path in sorted(features_dir.rglob("*.feature")):
        feature_tags: list[str] = []
        pending: list[str] = []
        for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = raw.strip()
            if line.startswith("@"):
                pending += [t[1:] for t in line.split() if t.startswith("@")]
            elif line.startswith("Feature:"):
                feature_tags, pending = pending, []
            elif line.startswith(("Scenario:", "Scenario Outline:")):
                tags = feature_tags + pending
                pending = []
                ids = [t[3:] for t in tags if t.startswith("id.")]
                level = next((t for t in tags if t in ("shall", "should", "may")), "?")
                out.append(
                    CatalogEntry(
                        id=ids[0] if ids else "?",
                        title=line.split(":", 1)[1].strip(),
                        level=level,
                        area=path.relative_to(features_dir).parts[0],
                        feature_file=str(path.relative_to(features_dir.parent)),
                        line=lineno,
                        tags=tags,
                    )
                )
    return out


def matches(entry: CatalogEntry, tags: list[str]) -> bool:
    """True when the entry carries every tag (``shall``, ``role.hub``, ``spec.types.datetime``, an area name...)."""
    have = set(entry.tags) | {entry.area, f"area.{entry.area}"}
    return all(t.lstrip("@") in have for t in tags)
