"""What a user reads from the command line: ``--help``, ``--version`` and ``make help``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clvlib._version import __version__

PROJECT_ROOT = Path(__file__).resolve().parents[1]
#: reStructuredText a terminal would print as it is: ``code``, :func:`x`, |subst|, **bold**
RST_MARKUP = re.compile(r"``|:(func|class|meth|mod|attr|data|ref):`|`_|\*\*")


def _clvlib(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "clvlib", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=120,
    )


@pytest.mark.parametrize("args", [["--help"], ["report", "--help"]], ids=["main", "report"])
def test_help_is_plain_text(args: list[str]) -> None:
    done = _clvlib(*args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: python -m clvlib")
    assert not RST_MARKUP.search(done.stdout), done.stdout
    assert "--params" in done.stdout


def test_main_help_says_what_it_does_and_how_it_ends() -> None:
    text = _clvlib("--help").stdout
    assert "order log" in text and "report" in text
    assert "python -m clvlib report --params params/default.yaml --out reports" in text
    assert "exit status: 0" in text and "--version" in text


def test_version_prints_the_package_version() -> None:
    done = _clvlib("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"clvlib {__version__}"


def test_no_command_is_a_usage_error() -> None:
    done = _clvlib()
    assert done.returncode == 2 and "usage:" in done.stderr


@pytest.fixture
def make() -> str:
    found = shutil.which("make")
    if found is None:
        pytest.skip("make is not installed")
    return found


def _make_help(make: str, *args: str, **kwargs) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "NO_COLOR")}
    done = subprocess.run(
        [make, "--no-print-directory", "-C", str(PROJECT_ROOT), "help", *args],
        env=env,
        timeout=60,
        **kwargs,
    )
    assert done.returncode == 0
    return done.stdout if isinstance(done.stdout, str) else ""


def test_make_help_outside_a_terminal_is_plain_with_values(make: str) -> None:
    text = _make_help(make, capture_output=True, text=True)
    assert "\033[" not in text, "colour codes outside a terminal"
    assert "$(" not in text, "a variable shown unexpanded"
    lines = {line.split()[0]: line for line in text.splitlines() if line.strip()}
    assert {"help", "reports", "test", "verdict", "screenshots"} <= set(lines)
    assert "for params/default.yaml " in lines["reports"] and "into reports/ " in lines["reports"]
    assert "into reports/verdict/ " in lines["verdict"]
    given = _make_help(make, "PARAMS=params/cdnow_sample.yaml", "OUT=out", capture_output=True,
                       text=True)  # fmt: skip
    assert "for params/cdnow_sample.yaml " in given and "into out/ " in given


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal")
def test_make_help_on_a_terminal_is_coloured(make: str) -> None:
    import pty

    leader, follower = pty.openpty()
    try:
        _make_help(make, stdout=follower, stderr=subprocess.DEVNULL)
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the other end is closed: all read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    text = b"".join(chunks).decode()
    assert "\033[36mreports" in text and "$(" not in text
