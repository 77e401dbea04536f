"""The install scripts behind ``make browser``, ``make postgres`` and ``make valgrind``, run as real bash processes.

Their one package manager call lives in ``tools/apt_install.sh``. Here ``apt-get`` and ``sudo`` are fakes (stand-ins
written to a temporary bin folder that record their arguments), so the tests install nothing: they check what the
scripts would ask apt for, that a non-root user goes through sudo, and that a machine without apt-get gets the hint
of what to install by hand and exit 1.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FAKE_APT_GET = """#!/bin/bash
echo "apt-get $*" >> "$CALLS"
if [ "$1" = install ]; then
    for package in "$@"; do
        case "$package" in
            valgrind) printf '#!/bin/bash\\necho valgrind-fake\\n' > "$BIN/valgrind"; chmod +x "$BIN/valgrind" ;;
            chromium)
                printf '#!/bin/bash\\necho Chromium-fake\\n' > "$OCPI_TEST_CHROMIUM"
                chmod +x "$OCPI_TEST_CHROMIUM" ;;
        esac
    done
fi
"""
FAKE_SUDO = """#!/bin/bash
echo "sudo $1" >> "$CALLS"
exec "$@"
"""


def _bin(tmp_path: Path, *, apt: bool, uid: int) -> Path:
    """A PATH of the few programs the scripts use, with fakes for apt-get, sudo and id (the user the script sees)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("dirname", "env", "cat", "ls", "sort", "tail", "mkdir", "tee", "chmod"):
        found = shutil.which(program)
        assert found, program
        (bin_dir / program).symlink_to(found)
    fakes = {"sudo": FAKE_SUDO, "id": f"#!/bin/bash\necho {uid}\n"}
    if apt:
        fakes["apt-get"] = FAKE_APT_GET
    for name, text in fakes.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return bin_dir


def _run(
    script: str, tmp_path: Path, *, apt: bool = True, uid: int = 1000
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    bin_dir = _bin(tmp_path, apt=apt, uid=uid)
    calls = tmp_path / "calls"
    env = {
        "PATH": str(bin_dir),
        "CALLS": str(calls),
        "BIN": str(bin_dir),
        "OCPI_TEST_CHROMIUM": str(tmp_path / "chromium"),
    }
    bash = shutil.which("bash")
    assert bash
    result = subprocess.run(
        [bash, str(ROOT / "tools" / script)], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    return result, calls.read_text().splitlines() if calls.exists() else []


def test_valgrind_is_installed_through_sudo_by_a_user_and_found_afterwards(tmp_path: Path) -> None:
    result, calls = _run("install_valgrind.sh", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "valgrind: valgrind-fake" in result.stdout
    assert calls == [
        "sudo apt-get",
        "apt-get update -qq",
        "sudo env",
        "apt-get install -y -qq --no-install-recommends valgrind",
    ]


def test_root_installs_chromium_without_sudo(tmp_path: Path) -> None:
    result, calls = _run("install_browser.sh", tmp_path, uid=0)
    assert result.returncode == 0, result.stderr
    assert f"chromium: Chromium-fake at {tmp_path / 'chromium'}" in result.stdout
    assert calls == ["apt-get update -qq", "apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core"]


@pytest.mark.parametrize(
    ("script", "hint"),
    [
        ("install_valgrind.sh", "install valgrind yourself"),
        ("install_browser.sh", "install Chromium yourself and set OCPI_TEST_CHROMIUM"),
    ],
)
def test_without_apt_get_the_script_says_what_to_install_and_fails(tmp_path: Path, script: str, hint: str) -> None:
    result, calls = _run(script, tmp_path, apt=False)
    assert result.returncode == 1
    assert "no apt-get" in result.stderr and hint in result.stderr
    assert calls == []


def test_a_present_program_is_not_installed_again(tmp_path: Path) -> None:
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/bash\necho Chromium-present\n")
    chromium.chmod(0o755)
    result, calls = _run("install_browser.sh", tmp_path)
    assert result.returncode == 0 and "Chromium-present" in result.stdout
    assert calls == []
