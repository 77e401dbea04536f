"""conformance/urls.py: advertised URLs are used as published; suffixes join with exactly one slash."""

from __future__ import annotations

import pytest

from conformance.urls import endpoint_url, origin, path_of


@pytest.mark.parametrize(
    ("advertised", "suffix", "expected"),
    [
        ("http://h/ocpi/2.3.0/credentials/", "", "http://h/ocpi/2.3.0/credentials/"),
        ("http://h/ocpi/2.3.0/credentials", "", "http://h/ocpi/2.3.0/credentials"),
        ("http://h/tokens/", "/NL/ABC", "http://h/tokens/NL/ABC"),
        ("http://h/tokens", "/NL/ABC", "http://h/tokens/NL/ABC"),
        ("http://h/commands", "START_SESSION", "http://h/commands/START_SESSION"),
        ("HTTP://H:8080/Ocpi/Tokens/", "/{uid}/authorize", "HTTP://H:8080/Ocpi/Tokens/{uid}/authorize"),
    ],
)
def test_endpoint_url_keeps_the_advertised_url(advertised: str, suffix: str, expected: str) -> None:
    assert endpoint_url(advertised, suffix) == expected


def test_origin_and_path() -> None:
    assert origin("https://h.example:8443/ocpi/versions/") == "https://h.example:8443"
    assert path_of("https://h.example/ocpi/versions/") == "/ocpi/versions/"
    assert path_of("https://h.example") == "/"


def test_loadtests_build_urls_through_the_same_module() -> None:
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for name in ("loadtests/users.py", "loadtests/run.py", "conformance/session.py", "conformance/fuzz/driver.py"):
        source = (root / name).read_text(encoding="utf-8")
        imported = {
            node.module for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom) and node.module
        }
        assert "conformance.urls" in imported, name
        # (the harness's own peer may match paths leniently; a target's URL is never trimmed)
        assert 'url.rstrip("/")' not in source and "base.rstrip" not in source, f"{name} normalises a URL"
