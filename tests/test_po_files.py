"""Every gettext catalogue is a well-formed .po file: an entry without its msgstr line is dropped with only a
warning in the server's log, so its string falls back to the msgid without anybody noticing."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parents[1] / "clients" / "web" / "locale"
CATALOGS = sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))


def test_there_are_catalogues() -> None:
    assert len(CATALOGS) >= 6


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_every_catalogue_is_well_formed(path: Path) -> None:
    with path.open("rb") as file:
        read_po(file, locale=path.parts[-3], abort_invalid=True)  # raises PoFileError on a missing msgstr
