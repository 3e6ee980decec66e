"""The conference pages' strings: every one in `conference.po` (da and en) and translated to Danish."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "clients" / "web"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def test_every_conference_string_is_in_the_catalogs_and_translated_to_danish() -> None:
    with (WEB / "conference.babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    extracted = {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(str(WEB), method_map=method_map, options_map=options_map)
    }
    assert len(extracted) > 150
    for lang in ("da", "en"):
        with (WEB / "locale" / lang / "LC_MESSAGES" / "conference.po").open("rb") as file:
            catalog = read_po(file, locale=lang)
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
        assert extracted - ids == set(), f"{lang}: not in conference.po; see clients/web/conference.babel.cfg"
        if lang != "da":
            continue
        for message in catalog:
            if not message.id:
                continue
            singular = message.id if isinstance(message.id, str) else message.id[0]
            strings = [message.string] if isinstance(message.string, str) else list(message.string)
            assert all(strings), f"da: {singular!r} is not translated"
            assert not message.fuzzy, f"da: {singular!r} is not translated"
            for string in strings:
                assert set(PLACEHOLDER.findall(string)) <= set(PLACEHOLDER.findall(singular)) | {"n"}, singular
