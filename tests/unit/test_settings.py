"""Settings layering: defaults, YAML file, OCPI_HUB_* environment, flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from reference_hub.settings import load_settings


def test_defaults_need_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OCPI_HUB_CONFIG", "OCPI_HUB_PORT", "OCPI_HUB_STORE", "OCPI_HUB_FAULTS", "OCPI_HUB_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.port == 8080
    assert settings.store == "sqlite:///data/hub.db"
    assert settings.versions_url == "http://127.0.0.1:8080/ocpi/versions"
    assert settings.hub_party_id == "NLHUB"


def test_file_then_environment_then_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text("port: 9000\ncountry_code: DE\nparty_id: CSH\npublic_url: https://hub.example.com/\n")
    monkeypatch.setenv("OCPI_HUB_PORT", "9100")
    monkeypatch.setenv("OCPI_HUB_FAULTS", "ignore_offset, drop_total_count")
    settings = load_settings(config, store="sqlite:///x.db")
    assert settings.port == 9100  # environment beats the file
    assert settings.country_code == "DE" and settings.hub_party_id == "DECSH"
    assert settings.versions_url == "https://hub.example.com/ocpi/versions"
    assert settings.store == "sqlite:///x.db"  # flags beat everything
    assert settings.faults == ("ignore_offset", "drop_total_count")


def test_typos_are_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OCPI_HUB_FAULTS", raising=False)
    config = tmp_path / "hub.yaml"
    config.write_text("prot: 9000\n")
    with pytest.raises(ValueError, match="prot") as err:
        load_settings(config)
    assert "unknown setting 'prot'; did you mean 'port'?" in str(err.value) and "\n" not in str(err.value)
    config.write_text("port: eighty\n")
    with pytest.raises(ValueError, match=r"invalid setting port: Expected `int`, got `str`"):
        load_settings(config)
    with pytest.raises(ValueError, match="unknown fault"):
        load_settings(faults=("drop_everything",))


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("port: 99999", "invalid setting port: 99999 is not a port number"),
        ("page_limit: -5", "invalid setting page_limit: -5 is outside 1-10000"),
        ("callback_timeout: 0", "invalid setting callback_timeout: 0.0 is outside 0.1-3600"),
    ],
)
def test_values_out_of_range_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str, words: str
) -> None:
    for name in ("OCPI_HUB_PORT", "OCPI_HUB_WORKERS", "OCPI_HUB_PAGE_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "hub.yaml"
    config.write_text(line + "\n")
    with pytest.raises(ValueError, match=words):
        load_settings(config)
