"""The dependency files agree: requirements.txt holds the direct runtime pins (no test tools), requirements-test.txt
the test ones, and each hashed lock pins every direct pin at the same version, with a sha256 for every package —
what ``./start.sh`` installs with ``--require-hashes``. A pin changed without re-locking fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    """``name -> version`` of a requirements file, following ``-r`` includes."""
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            out.update(pins(path.parent / line[3:].strip()))
        elif (match := PIN.fullmatch(line)) is not None:
            out[canonical(match.group(1))] = match.group(2)
    return out


def locked(path: Path) -> dict[str, tuple[str, int]]:
    """``name -> (version, number of hashes)`` of a pip-compile lock."""
    out: dict[str, tuple[str, int]] = {}
    current = None
    for line in path.read_text().splitlines():
        if (match := PIN.match(line)) is not None:
            current = canonical(match.group(1))
            out[current] = (match.group(2), 0)
        elif line.strip().startswith("--hash=sha256:") and current is not None:
            version, n = out[current]
            out[current] = (version, n + 1)
    return out


def test_test_tools_are_not_runtime_pins():
    runtime = pins(ROOT / "requirements.txt")
    assert not {"pytest", "schemathesis", "playwright", "cohere"} & set(runtime)
    assert {"pytest", "schemathesis"} <= set(pins(ROOT / "requirements-test.txt"))


@pytest.mark.parametrize(
    ("source", "lock"), [("requirements.txt", "requirements.lock"), ("requirements-test.txt", "requirements-test.lock")]
)
def test_the_lock_pins_every_direct_pin_with_hashes(source, lock):
    direct, closure = pins(ROOT / source), locked(ROOT / lock)
    wrong = {
        name: (version, closure.get(name, ("missing", 0))[0])
        for name, version in direct.items()
        if closure.get(name, (None, 0))[0] != version
    }
    assert not wrong, f"{lock} is stale: {wrong}; re-lock as README 'Dependencies' says"
    unhashed = sorted(name for name, (_, n) in closure.items() if n == 0)
    assert not unhashed, f"{lock}: no hash for {unhashed}"
    assert len(closure) > len(direct)  # the whole closure, not just the direct pins


def test_start_sh_installs_the_locks_with_hashes():
    script = (ROOT / "start.sh").read_text()
    assert "--require-hashes" in script
    assert "ensure_venv requirements.lock" in script and "ensure_venv requirements-test.lock" in script
