"""The debrief as plain text, for a terminal (`raaderum replay FILE`): Danish by default, English on request.

Money is formatted by `engine.format.format_mio` ("12,5 mio. kr." / "DKK 12.5m"); the verdict's reasons
are the debrief's own sentences. Nothing here computes: it only lays out a `Debrief`.
"""

from __future__ import annotations

from engine.debrief import Debrief
from engine.deck import Deck
from engine.format import MINUS, format_mio

_WORDS: dict[str, dict[str, str]] = {
    "title": {"da": "Debriefing", "en": "Debrief"},
    "table": {"da": "Bord", "en": "Table"},
    "phase": {"da": "Fase", "en": "Phase"},
    "forlig": {"da": "Forlig", "en": "Budget agreement"},
    "no_forlig": {"da": "Intet forlig", "en": "No budget agreement"},
    "round": {"da": "runde", "en": "round"},
    "cards": {"da": "kort", "en": "cards"},
    "for": {"da": "for", "en": "in favour"},
    "forced": {"da": "gennemtvunget af facilitator", "en": "forced by the facilitator"},
    "events": {"da": "Hændelseskort", "en": "Event cards"},
    "none": {"da": "ingen", "en": "none"},
    "year": {"da": "År", "en": "Year"},
    "target": {"da": "Mål", "en": "Target"},
    "event_effect": {"da": "Hændelser", "en": "Events"},
    "forlig_effect": {"da": "Forlig", "en": "Agreement"},
    "result": {"da": "Resultat", "en": "Result"},
    "reached": {"da": "Nået", "en": "Reached"},
    "yes": {"da": "ja", "en": "yes"},
    "no": {"da": "nej", "en": "no"},
    "verdict_ok": {"da": "Målet er nået.", "en": "The goal is reached."},
    "verdict_no": {"da": "Målet er ikke nået.", "en": "The goal is not reached."},
    "rules": {"da": "Spillet efter regler version {version}.", "en": "Played under rules version {version}."},
    "service": {"da": "Serviceindeks", "en": "Service index"},
    "fte": {"da": "Årsværk", "en": "Full-time positions"},
    "composition": {"da": "Sammensætning (fuld effekt, sidste år)", "en": "Composition (full effect, last year)"},
    "hjertesager": {"da": "Hjertesager", "en": "Causes close to heart"},
    "negotiation": {"da": "Forhandlingen", "en": "The negotiation"},
    "proposals": {"da": "forslag", "en": "proposals"},
    "messages": {"da": "beskeder", "en": "messages"},
    "votes": {"da": "stemmer", "en": "votes"},
    "adopted_after": {"da": "vedtaget efter", "en": "adopted after"},
    "no_adoption": {"da": "intet vedtaget", "en": "nothing adopted"},
    "minutes": {"da": "min.", "en": "min"},
    "reality": {"da": "Virkelighedstjek", "en": "Reality check"},
    "not_rolled": {"da": "Terningerne er ikke slået endnu.", "en": "The dice have not been rolled yet."},
    "probability": {
        "da": "Sandsynlighed for at nå målet (Monte Carlo, {draws} træk)",
        "en": "Probability of reaching the target (Monte Carlo, {draws} draws)",
    },
    "all_years": {"da": "alle fire år", "en": "all four years"},
    "realised": {"da": "Realiseret", "en": "Realised"},
    "planned": {"da": "Planlagt", "en": "Planned"},
    "roll": {"da": "slag", "en": "roll"},
    "delayed": {"da": "forsinket et år", "en": "delayed a year"},
    "left": {"da": "forlod bordet", "en": "left the table"},
    "open": {"da": "åben", "en": "open"},
    "adopted": {"da": "vedtaget", "en": "adopted"},
    "rejected": {"da": "stemt ned", "en": "voted down"},  # docs/glossary.md
    "closed": {"da": "lukket", "en": "closed"},
}


def _w(key: str, lang: str) -> str:
    return _WORDS[key]["en" if lang == "en" else "da"]


def _percent(share: float, lang: str) -> str:
    value = f"{share * 100:.0f}"
    return f"{value} %" if lang != "en" else f"{value}%"


def _number(value: float, lang: str, sign: bool = False) -> str:
    text = f"{value:+g}" if sign else f"{value:g}"
    text = text.replace("-", MINUS)
    return text.replace(".", ",") if lang != "en" else text


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for index, row in enumerate(rows):
        cells = [cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)]
        out.append("  ".join(cells).rstrip())
        if index == 0:
            out.append("  ".join("-" * width for width in widths))
    return out


def _forlig_lines(result: Debrief, deck: Deck, lang: str) -> list[str]:
    """The forlig (or that there is none) and the event cards drawn."""
    lines: list[str] = []
    forlig = result.forlig
    if forlig is None:
        lines.append(f"{_w('no_forlig', lang)}.")
    else:
        detail = (
            f"{forlig.proposal_id} ({_w('round', lang)} {forlig.round}), {len(forlig.cards)} {_w('cards', lang)}, "
            f"{_percent(forlig.share_for, lang)} {_w('for', lang)}"
        )
        if forlig.forced:
            detail += f", {_w('forced', lang)}"
        lines.append(f"{_w('forlig', lang)}: {detail}")
        lines.append("  " + " ".join(forlig.cards))
    events = ", ".join(f"{event_id} {deck.event(event_id).title.get(lang)}" for event_id in result.event_cards)
    lines.append(f"{_w('events', lang)}: {events or _w('none', lang)}")
    return lines


def _year_lines(result: Debrief, lang: str) -> list[str]:
    """The four years against their targets, the verdict with its reasons, service index and positions."""
    rows = [[_w(key, lang) for key in ("year", "target", "event_effect", "forlig_effect", "result", "reached")]]
    for year in result.years:
        rows.append(
            [
                year.label,
                format_mio(year.target, lang),
                format_mio(year.event_effect, lang),
                format_mio(year.forlig_effect, lang),
                format_mio(year.result, lang),
                _w("yes" if year.reached else "no", lang),
            ]
        )
    lines = _table(rows)
    lines.append("")
    lines.append(_w("verdict_ok" if result.verdict.reached else "verdict_no", lang))
    lines.append(_w("rules", lang).format(version=result.rules))
    for reason in result.verdict.reasons:
        lines.append(f"  {'✓' if reason.ok else '✗'} {reason.en if lang == 'en' else reason.da}")
    lines.append("")
    lines.append(
        f"{_w('service', lang)}: {_number(result.service_index, lang, sign=True)} · "
        f"{_w('fte', lang)}: {_number(result.net_fte, lang, sign=True)}"
    )
    return lines


def _people_lines(result: Debrief, lang: str) -> list[str]:
    """The composition of the savings and each role's hjertesager, when there are any."""
    lines: list[str] = []
    if result.composition.by_kind:
        lines += ["", f"{_w('composition', lang)}:"]
        for slice_ in result.composition.by_kind:
            lines.append(
                f"  {slice_.name.get(lang)}: {format_mio(slice_.year4, lang)} ({_percent(slice_.share, lang)})"
            )
    if result.hjertesager:
        lines += ["", f"{_w('hjertesager', lang)}:"]
        for outcome in result.hjertesager:
            lines.append(f"  {outcome.title.get(lang)} ({outcome.name}):")
            for sag in outcome.hjertesager:
                lines.append(f"    {'✓' if sag.met else '✗'} {sag.text.get(lang)}")
    return lines


def _negotiation_lines(result: Debrief, deck: Deck, lang: str) -> list[str]:
    """Round by round, proposal by proposal, player by player."""
    negotiation = result.negotiation
    names = {player.id: player.name for player in negotiation.players}
    lines = ["", f"{_w('negotiation', lang)}:"]
    for round_ in negotiation.rounds:
        text = f"  {_w('round', lang).capitalize()} {round_.number}"
        if round_.event_card:
            text += f" ({round_.event_card})"
        if round_.adopted and round_.seconds_to_forlig is not None:
            minutes = _number(round(round_.seconds_to_forlig / 60, 1), lang)
            text += f": {round_.adopted} {_w('adopted_after', lang)} {minutes} {_w('minutes', lang)}"
        else:
            text += f": {_w('no_adoption', lang)}"
        lines.append(text)
    for proposal in negotiation.proposals:
        amends = f" ← {proposal.amends}" if proposal.amends else ""
        lines.append(
            f"  {proposal.id}{amends} ({names.get(proposal.by, proposal.by)}, {_w('round', lang)} {proposal.round}): "
            f"{_WORDS.get(proposal.status, {}).get(lang, proposal.status)}, {len(proposal.cards)} {_w('cards', lang)}, "
            f"{len(proposal.votes_for)}/{len(proposal.votes_against)}/{len(proposal.votes_abstain)}"
        )
    for player in negotiation.players:
        role = f", {deck.role(player.role).title.get(lang)}" if player.role else ""
        left = "" if player.seated else f", {_w('left', lang)}"
        lines.append(
            f"  {player.name}{role}{left}: {player.messages} {_w('messages', lang)}, "
            f"{player.proposals} {_w('proposals', lang)}, {player.votes} {_w('votes', lang)}"
        )
    return lines


def _reality_lines(result: Debrief, deck: Deck, lang: str) -> list[str]:
    """The Monte Carlo probability, then the dice and the realised years once they are rolled."""
    check = result.reality_check
    lines = ["", f"{_w('reality', lang)}:"]
    probability = ", ".join(
        f"{label} {_percent(share, lang)}" for label, share in zip(deck.scenario.years, check.probability, strict=True)
    )
    lines.append(f"  {_w('probability', lang).format(draws=f'{check.draws:,}'.replace(',', '.'))}:")
    lines.append(f"    {probability}; {_w('all_years', lang)} {_percent(check.probability_all_years, lang)}")
    if not check.rolled:
        lines.append(f"  {_w('not_rolled', lang)}")
        return lines
    for card in check.cards:
        delayed = f", {_w('delayed', lang)}" if card.delayed else ""
        lines.append(f"  {card.card}: {_w('roll', lang)} {card.roll} → {_percent(card.factor, lang)}{delayed}")
    rows = [[_w(key, lang) for key in ("year", "target", "planned", "realised", "result", "reached")]]
    for row in check.years:
        rows.append(
            [
                row.label,
                format_mio(row.target, lang),
                format_mio(row.planned_effect, lang),
                format_mio(row.realised_effect, lang),
                format_mio(row.result, lang),
                _w("yes" if row.reached else "no", lang),
            ]
        )
    lines += ["  " + line for line in _table(rows)]
    return lines


def debrief_text(result: Debrief, deck: Deck, *, table_name: str | None = None, lang: str = "da") -> str:
    """The debrief laid out for a terminal: forlig, the four years, the verdict, people, the reality check."""
    lang = "en" if lang == "en" else "da"
    heading = f"{_w('title', lang)} · {deck.scenario.municipality.get(lang)}"
    if table_name:
        heading += f" · {table_name}"
    lines = [heading, "=" * len(heading), ""]
    lines += _forlig_lines(result, deck, lang)
    lines.append("")
    lines += _year_lines(result, lang)
    lines += _people_lines(result, lang)
    lines += _negotiation_lines(result, deck, lang)
    lines += _reality_lines(result, deck, lang)
    return "\n".join(lines) + "\n"
