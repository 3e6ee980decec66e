"""A plain `pip install .` (no checkout beside it, as on a platform that builds a wheel) must carry the deck
and the web client: engine/deck.py and server/web/ look for them next to their packages. It carries no
load-test code: the load tester (loadtest/) and the process support (testsupport/) run from a checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `pip install .` would install, built from a copy of the tracked files: an in-tree build would
    reuse whatever an earlier one left in build/."""
    tmp_path = tmp_path_factory.mktemp("wheel")
    tracked = tracked_files()
    source = tmp_path / "source"
    for path in tracked:
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, source / path)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(tmp_path), str(source)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-2000:]
    (built_wheel,) = tmp_path.glob("raaderum-*.whl")
    return built_wheel


def tracked_files() -> list[str]:
    return subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()


def test_the_wheel_carries_every_file_of_the_deck_and_the_web_client(wheel: Path) -> None:
    tracked = tracked_files()
    packaged = set(zipfile.ZipFile(wheel).namelist())
    data = [path for path in tracked if path.startswith(("decks/", "clients/web/"))]
    wanted = {path for path in data if not path.endswith("README.md")}
    assert "decks/korsbaek/cards.toml" in wanted
    assert "clients/web/templates/table.html" in wanted
    assert wanted - packaged == set()
    assert {"engine/rules.py", "server/app.py", "server/store/redis.py"} <= packaged
    assert not any(name.startswith(("tests/", "bench/", "scripts/")) for name in packaged)


def test_the_wheel_carries_no_load_test_code(wheel: Path) -> None:
    packaged = zipfile.ZipFile(wheel).namelist()
    assert any(name.startswith("server/") for name in packaged)
    assert [name for name in packaged if name.startswith(("loadtest/", "testsupport/"))] == []
    assert [name for name in packaged if "loadtest" in name.lower()] == []


def test_raaderum_loadtest_from_the_wheel_says_how_to_install_the_load_tester(wheel: Path, tmp_path: Path) -> None:
    # The wheel unpacked, on its own (no checkout beside it), with this environment's dependencies.
    installed = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(installed)
    result = subprocess.run(
        [sys.executable, "-c", "from server.cli import app; app()", "loadtest", "--tables", "1"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(installed)}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert "pip install -e '.[loadtest]'" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
