"""The README explains what `make run` prints: every link the demo prints first is named there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_explains_the_proev_selv_link_the_demo_prints_first() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    app = (ROOT / "server" / "app.py").read_text(encoding="utf-8")
    assert "Prøv selv (du og tre bots)" in app, "the demo's first line changed: update the README and this test"
    explained = re.search(r"\*\*Prøv selv\*\* \(du og tre bots\), is a table for one person", readme)
    assert explained, "README: what the demo's first link, Prøv selv, is"
    assert "docs/bots.md" in readme
