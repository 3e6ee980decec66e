"""The names of the cross-table debrief's downloads in the conference's language (docs/conferences.md).

A Danish conference's CSV and JSON files have Danish column names, keys and values (`bord`, `fase`: `runde`,
`status`: `valgt`, `type`: `besparelse`), an English conference's English ones (`table`, `phase`: `round`,
`status`: `chosen`, `kind`: `saving`). One table of names serves both files, so a column in the CSV is the same
word as the key in the JSON. Numbers stay numbers (mio. kr., shares 0-1) and flags 1/0 in the CSV (true/false in
the JSON) in both languages; ids (tables, cards, areas, forlig) are ids.
"""

from __future__ import annotations

from typing import Any, Literal

Lang = Literal["da", "en"]

# canonical (the API's field) -> (Danish, English)
NAMES: dict[str, tuple[str, str]] = {
    # CSV columns and the JSON's table rows
    "table_number": ("bord_nr", "table_number"),
    "table": ("bord", "table"),
    "table_id": ("bord_id", "table_id"),
    "phase": ("fase", "phase"),
    "players": ("spillere", "players"),
    "forlig": ("forlig", "forlig"),
    "cards": ("kort", "cards"),
    "proposals": ("forslag", "proposals"),
    "rounds": ("runder", "rounds"),
    "result": ("resultat", "result"),
    "reached": ("nået", "reached"),
    "verdict_reached": ("dom_opfyldt", "verdict_reached"),
    "reality_checked": ("virkelighedstjekket", "reality_checked"),
    "realised_result": ("realiseret_resultat", "realised_result"),
    "realised_reached": ("realiseret_nået", "realised_reached"),
    "administration_share": ("andel_administration", "administration_share"),
    "welfare_share": ("andel_velfærd", "welfare_share"),
    "share": ("andel", "share"),
    "probability": ("sandsynlighed", "probability"),
    "probability_all_years": ("sandsynlighed_alle_år", "probability_all_years"),
    "card": ("kort_id", "card"),
    "title": ("titel", "title"),
    "kind": ("type", "kind"),
    "area": ("område", "area"),
    "status": ("status", "status"),
    # the JSON's other keys
    "conference_id": ("konference_id", "conference_id"),
    "name": ("navn", "name"),
    "generated_at": ("dannet", "generated_at"),
    "debrief": ("debriefing", "debrief"),
    "scenario": ("scenarie", "scenario"),
    "years": ("år", "years"),
    "target": ("mål", "target"),
    "tables": ("borde", "tables"),
    "number": ("nummer", "number"),
    "rolled": ("virkelighedstjekket", "reality_checked"),
    "year": ("år", "year"),
    "label": ("betegnelse", "label"),
    "realised": ("realiseret", "realised"),
    "with_forlig": ("med_forlig", "with_forlig"),
    "heatmap": ("varmekort", "heatmap"),
    "rows": ("rækker", "rows"),
    "statuses": ("status_pr_bord", "statuses"),
    "chosen": ("valgt", "chosen"),
    "proposed": ("foreslået", "proposed"),
    "never": ("aldrig", "never"),
    "composition": ("sammensætning", "composition"),
    "has_forlig": ("har_forlig", "has_forlig"),
    "shares": ("andele", "shares"),
    "by_kind": ("efter_type", "by_kind"),
    "by_area": ("efter_område", "by_area"),
    "total_gains": ("gevinst_i_alt", "total_gains"),
    "average": ("gennemsnit", "average"),
    "averaged_over": ("gennemsnit_af_borde", "averaged_over"),
    "spread": ("spredning", "spread"),
    "lowest": ("laveste", "lowest"),
    "median": ("median", "median"),
    "mean": ("middel", "mean"),
    "highest": ("højeste", "highest"),
    "da": ("da", "da"),
    "en": ("en", "en"),
    # the rules compared and the three questions (issue 14 item 4)
    "rules_compared": ("regler_sammenlignet", "rules_compared"),
    "rules_differ": ("forskellige_regler", "rules_differ"),
    "rule": ("afstemningsregel", "rule"),
    "rules": ("regelversion", "rules"),
    "mean_share_for": ("gennemsnitlig_andel_for", "mean_share_for"),
    "dialogue": ("dialog", "dialogue"),
    "id": ("id", "id"),
    "question": ("spørgsmål", "question"),
    "facts": ("fakta", "facts"),
}

# Values that are words, by the key they stand under.
PHASES: dict[str, tuple[str, str]] = {
    "lobby": ("venter", "lobby"),
    "round": ("runde", "round"),
    "round_ended": ("runde_slut", "round_ended"),
    "reality_check": ("virkelighedstjek", "reality_check"),
    "debrief": ("debriefing", "debrief"),
}
STATUSES: dict[str, tuple[str, str]] = {
    "chosen": ("valgt", "chosen"),
    "proposed": ("foreslået", "proposed"),
    "never": ("aldrig", "never"),
}
KINDS: dict[str, tuple[str, str]] = {
    "besparelse": ("besparelse", "saving"),
    "effektivisering": ("effektivisering", "efficiency"),
    "investering": ("investering", "investment"),
    "udvidelse": ("ønske", "wish"),
}


def _pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[1] if lang == "en" else pair[0]


def name(key: str, lang: Lang) -> str:
    """A column's or key's name in the language (KeyError for a name not in the table: every one is)."""
    return _pick(NAMES[key], lang)


def column(key: str, lang: Lang, suffix: str) -> str:
    """A column per year or kind: `resultat_2027`, `andel_besparelse` / `share_saving`."""
    return f"{name(key, lang)}_{suffix}"


def phase(value: str, lang: Lang) -> str:
    return _pick(PHASES[value], lang)


def status(value: str, lang: Lang) -> str:
    return _pick(STATUSES[value], lang)


def kind(value: str, lang: Lang) -> str:
    return _pick(KINDS[value], lang) if value in KINDS else value


def localised_json(data: Any, lang: Lang, key: str | None = None) -> Any:
    """The debrief's JSON with every key, and the words among the values, in the language. The keys of
    `by_kind` are kinds (named as values are); those of `by_area` and the texts' `da`/`en` stay ids."""
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for k, v in data.items():
            if key == "by_kind":
                out[kind(k, lang)] = localised_json(v, lang)
            elif key == "by_area":
                out[k] = localised_json(v, lang)
            else:
                out[name(k, lang)] = localised_json(v, lang, k)
        return out
    if isinstance(data, list):
        return [localised_json(item, lang, key) for item in data]
    if isinstance(data, str):
        if key == "phase":
            return phase(data, lang)
        if key == "statuses":
            return status(data, lang)
        if key == "kind":
            return kind(data, lang)
    return data
