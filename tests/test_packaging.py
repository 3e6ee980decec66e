"""A plain `pip install .` (no checkout beside it, as on a platform that builds a wheel) must carry the deck
and the web client: engine/deck.py and server/web.py look for them next to their packages."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_carries_every_file_of_the_deck_and_the_web_client(tmp_path: Path) -> None:
    # Built from a copy of the tracked files: an in-tree build would reuse whatever an earlier one left in build/.
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    source = tmp_path / "source"
    for path in tracked:
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, source / path)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(tmp_path), str(source)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("raaderum-*.whl")
    packaged = set(zipfile.ZipFile(wheel).namelist())
    data = [path for path in tracked if path.startswith(("decks/", "clients/web/"))]
    wanted = {path for path in data if not path.endswith("README.md")}
    assert "decks/korsbaek/cards.toml" in wanted and "clients/web/templates/table.html" in wanted
    assert wanted - packaged == set()
    assert {"engine/rules.py", "server/app.py", "server/store/redis.py"} <= packaged
    assert not any(name.startswith(("tests/", "bench/", "scripts/")) for name in packaged)
