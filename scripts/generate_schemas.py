"""Write the JSON Schemas under docs/ from the pydantic models, so the documented formats cannot drift.

Usage: python scripts/generate_schemas.py [--check]
With --check nothing is written; the exit code is 1 if any schema file is missing or out of date.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pydantic import BaseModel

from engine.deck import Deck

ROOT = Path(__file__).resolve().parent.parent

# One entry per published schema, path relative to the repository root; add the websocket protocol here.
SCHEMAS: dict[str, type[BaseModel]] = {
    "docs/deck.schema.json": Deck,
}


def render(model: type[BaseModel]) -> str:
    # Sorted keys and a trailing newline keep the file byte-stable, so a test can compare it exactly.
    return json.dumps(model.model_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only report schema files that are out of date")
    args = parser.parse_args(argv)
    stale = []
    for relative, model in SCHEMAS.items():
        path = ROOT / relative
        text = render(model)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(relative)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {relative}")
    for relative in stale:
        print(f"out of date: {relative} (run python scripts/generate_schemas.py)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
