// Rendering shared by the table's panels: card chips, message text with mentions, the meter's figures.
import { h } from "./dom.js";
import { _ } from "./i18n.js";
import { mio, number, percent, short, signedInt } from "./format.js";
import { area, card, kindName, lever, MENTION, pick, source, text, years } from "./deck.js";
import { yearChart } from "./chart.js";

/** A card as a small button: "#ÆL-01 Skærmbesøg i hjemmeplejen"; opens the card's detail. */
export function cardChip(id, app, { withTitle = true } = {}) {
  const c = pick(id);
  return h(
    "button",
    {
      type: "button",
      class: `chip kind-${c ? c.kind || "lever" : "unknown"}`,
      dataset: { card: id },
      onclick: () => app.openCard(id),
      "aria-label": c ? _("Card %(id)s: %(title)s", { id, title: text(c.title) }) : id,
    },
    h("span", { class: "chip-id" }, `#${id}`),
    withTitle && c ? h("span", { class: "chip-title" }, text(c.title)) : null,
  );
}

/** A chat message's text: plain text nodes, with known card mentions as chips. Never parsed as HTML. */
export function messageText(value, app) {
  const out = [];
  let last = 0;
  for (const match of value.matchAll(MENTION)) {
    if (!card(match[1])) continue;
    if (match.index > last) out.push(value.slice(last, match.index));
    out.push(cardChip(match[1], app));
    last = match.index + match[0].length;
  }
  if (last < value.length) out.push(value.slice(last));
  return out;
}

export function warningText(w) {
  const label = w.year ? years()[w.year - 1] : "";
  switch (w.code) {
    case "budget.year_below_target":
      return _("%(year)s: %(amount)s short of the target", { year: label, amount: mio(-w.amount) });
    case "budget.kind_missing":
      return _("No %(kind)s in the portfolio: a forlig needs a saving, an efficiency and an investment", {
        kind: kindName(w.kind).toLocaleLowerCase(),
      });
    case "budget.wishes_underfunded":
      return _("%(year)s: wishes are %(amount)s short of the required funding", { year: label, amount: mio(-w.amount) });
    case "budget.capital_exceeded":
      return _("The capital pool is exceeded by %(amount)s", { amount: mio(w.amount) });
    case "budget.kind_share":
      return _("%(kind)s carries too little of %(year)s's gains: %(amount)s more is needed", {
        kind: kindName(w.kind),
        year: years()[3],
        amount: mio(w.amount),
      });
    case "budget.card_pair":
      // The deck's own words for the pair (engine: the card's warns_with), in the page's language.
      return `${w.cards.join(" + ")}: ${text(w.note)}`;
    case "budget.liquidity":
      return _("Liquidity: %(amount)s is drawn from the cash reserve and must be paid back later", {
        amount: mio(w.amount),
      });
    default:
      return w.code;
  }
}

/** found = the cards' effect plus the events' effect; the table compares it with the target. */
export function found(m) {
  return m.forlig_effect.map((v, i) => v + m.event_effect[i]);
}

/** A card's or event's sources from the deck's source table: "S10 Title. Fyens.dk, 2018" with its address
 * as a link; an id the table does not hold (a deck without one) is shown as the id alone. */
export function sourceList(ids) {
  if (!ids.length) return h("p", { class: "sources" }, _("Sources: %(list)s", { list: "–" }));
  return h(
    "ul",
    { class: "sources", "aria-label": _("Sources") },
    ids.map((id) => {
      const s = source(id);
      if (!s) return h("li", null, id);
      const by = [s.publisher, s.year].filter((part) => part !== null && part !== undefined).join(", ");
      return h(
        "li",
        null,
        h("span", { class: "source-id" }, id),
        " ",
        h("a", { href: s.url, target: "_blank", rel: "noopener noreferrer" }, s.title),
        `. ${by}`,
      );
    }),
  );
}

/** Service cuts and improvements apart (the engine never nets them), with the areas they fall in. */
export function serviceFacts(m) {
  const total = _("Service: %(cuts)s in cuts, %(gains)s in improvements", {
    cuts: signedInt(m.service_reductions),
    gains: signedInt(m.service_improvements),
  });
  const areas = m.service_by_area
    .filter((a) => a.reductions || a.improvements)
    .map((a) => `${text(area(a.area)?.name) || a.area} ${signedInt(a.reductions)}/${signedInt(a.improvements)}`);
  return h("span", { class: "service", title: areas.join(" · ") || null }, total);
}

/** The meter's figures: a chart, a table of the four years (planned, then expected after the dice and the
 * chance of reaching the target, both the engine's forecast) and the warnings. */
export function meterFigures(m, { title = "", compact = false } = {}) {
  const labels = years();
  const got = found(m);
  const rows = [
    [_("Target"), m.target],
    [_("Cards"), m.forlig_effect],
    [_("Events"), m.event_effect],
    [_("Result"), m.result],
  ];
  // Levers are no cards: each one's cost per year is a row of its own (the engine's figures).
  const leverRows = m.levers.map((id, i) =>
    h(
      "tr",
      { class: "lever-row" },
      h("th", { scope: "row" }, _("Lever: %(title)s", { title: text(lever(id)?.title) || id })),
      m.lever_amounts[i].map((v) => h("td", null, short(v, { sign: true }))),
    ),
  );
  const forecast = [
    ...leverRows,
    h(
      "tr",
      { class: "expected-row" },
      h("th", { scope: "row" }, _("Expected after the dice")),
      m.expected.map((v) => h("td", null, short(v, { sign: true }))),
    ),
    h(
      "tr",
      { class: "chance-row" },
      h("th", { scope: "row" }, _("Chance of reaching the target")),
      m.reach_probability.map((p) => h("td", null, percent(p))),
    ),
  ];
  const table = h(
    "table",
    { class: "figures" },
    h("caption", { class: "visually-hidden" }, title || _("The four years in mio. kr.")),
    h("thead", null, h("tr", null, h("th", { scope: "col" }, _("mio. kr.")), labels.map((l) => h("th", { scope: "col" }, l)))),
    h(
      "tbody",
      null,
      rows.map(([name, values], r) =>
        h(
          "tr",
          { class: r === 3 ? "result-row" : null },
          h("th", { scope: "row" }, name),
          values.map((v, i) =>
            h("td", { class: r === 3 ? (m.reached[i] ? "ok" : "short") : null }, short(v, { sign: r === 3 })),
          ),
        ),
      ),
      forecast,
    ),
  );
  const areaLines = compact
    ? null
    : m.service_by_area
        .filter((a) => a.reductions || a.improvements)
        .map((a) =>
          h(
            "li",
            null,
            _("%(area)s: %(cuts)s in cuts, %(gains)s in improvements", {
              area: text(area(a.area)?.name) || a.area,
              cuts: signedInt(a.reductions),
              gains: signedInt(a.improvements),
            }),
          ),
        );
  const facts = h(
    "p",
    { class: "facts" },
    h("span", null, _("Capital: %(spent)s", { spent: mio(m.capital_spent) })),
    " · ",
    serviceFacts(m),
    " · ",
    h("span", null, _("FTE: %(value)s", { value: number(m.fte, 1, { sign: true }) })),
  );
  const warnings = m.warnings.length
    ? h("ul", { class: "warnings" }, m.warnings.map((w) => h("li", null, warningText(w))))
    : h("p", { class: "all-good" }, _("No warnings: the portfolio reaches the target in all four years."));
  return h(
    "div",
    { class: compact ? "meter compact" : "meter" },
    yearChart({ labels, target: m.target, found: got, reached: m.reached, title }),
    table,
    facts,
    areaLines && areaLines.length ? h("ul", { class: "service-areas", "aria-label": _("Service per area") }, areaLines) : null,
    warnings,
  );
}

/** The engine's why for a portfolio in words (the meter's `why.lines`): per failed condition the year, the
 * amount, the events and cards behind it and the cheapest fix; one line when every condition is met. */
export function whyWords(m) {
  if (!m.why) return null;
  const ok = !m.why.failed.length;
  return h(
    "div",
    { class: `why-words ${ok ? "ok" : "short"}` },
    h("p", { class: "why-title" }, ok ? _("Why it holds") : _("Why it does not hold yet")),
    h("ul", { class: "why-lines" }, m.why.lines.map((line) => h("li", null, text(line)))),
  );
}

/** The result against the target per year, as four small boxes: "2027 +1,2 ✓". */
export function yearStrip(m) {
  // The verdict decides the colour (issue 14): a reached year is green only when every condition holds.
  const holds = m.why ? !m.why.failed.length : true;
  return h(
    "ul",
    { class: "years", "aria-label": _("Result against the target per year") },
    years().map((label, i) =>
      h(
        "li",
        { class: m.reached[i] ? (holds ? "ok" : "met") : "short" },
        h("span", { class: "year" }, label),
        h("span", { class: "value" }, short(m.result[i], { sign: true })),
        h("span", { class: "mark", "aria-hidden": "true" }, m.reached[i] ? "✓" : "✗"),
        h("span", { class: "visually-hidden" }, m.reached[i] ? _("reached") : _("not reached")),
        h(
          "span",
          { class: "chance", title: _("Chance of reaching the target after the dice") },
          percent(m.reach_probability[i]),
        ),
      ),
    ),
  );
}
