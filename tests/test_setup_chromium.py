"""`make test` on a fresh machine: Debian's chromium is installed first when possible, else the run stops at
once with the command that installs it (scripts/ensure-chromium.sh)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "ensure-chromium.sh"


def run(tmp_path: Path, chromium: Path, apt_get: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CHROMIUM_PATH": str(chromium), "APT_GET": apt_get}
    return subprocess.run(
        ["sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30, cwd=tmp_path
    )


def test_a_present_browser_passes_without_installing(tmp_path: Path) -> None:
    browser = tmp_path / "chromium"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    result = run(tmp_path, browser, apt_get=str(tmp_path / "apt-get-must-not-run"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_without_a_way_to_install_it_stops_with_the_command(tmp_path: Path) -> None:
    result = run(tmp_path, tmp_path / "missing-chromium", apt_get=str(tmp_path / "no-apt-get"))
    assert result.returncode == 1
    assert "sudo apt-get install -y chromium" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="installing needs root, as on a CI machine")
def test_as_root_it_installs_chromium_with_apt_get(tmp_path: Path) -> None:
    browser = tmp_path / "bin" / "chromium"
    log = tmp_path / "apt.log"
    fake_apt = tmp_path / "apt-get"
    # A stand-in for apt-get that records its calls and "installs" the browser.
    fake_apt.write_text(
        f'#!/bin/sh\necho "$@" >> {log}\n'
        f'case "$*" in *install*chromium*) mkdir -p {browser.parent}; printf "#!/bin/sh\\n" > {browser}; '
        f"chmod +x {browser};; esac\n"
    )
    fake_apt.chmod(0o755)
    result = run(tmp_path, browser, apt_get=str(fake_apt))
    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines() == ["update -qq", "install -y -qq chromium"]
    assert os.access(browser, os.X_OK)


def test_make_test_checks_for_chromium_before_anything_else() -> None:
    makefile = (ROOT / "Makefile").read_text()
    test_rule = re.search(r"^test:(.*)$", makefile, re.M)
    assert test_rule and test_rule.group(1).split()[0] == "chromium"
    assert re.search(r"^chromium:\n\t@?sh scripts/ensure-chromium\.sh$", makefile, re.M)
    assert re.search(r"^web-test:.*\bchromium\b", makefile, re.M)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test\n" in ci and "apt-get" not in ci  # CI runs the README's command, nothing more
