// Rendering shared by the table's panels: card chips, message text with mentions, the meter's figures.
import { h } from "./dom.js";
import { _ } from "./i18n.js";
import { mio, number, short, signedInt } from "./format.js";
import { card, kindName, MENTION, text, years } from "./deck.js";
import { yearChart } from "./chart.js";

/** A card as a small button: "#ÆL-01 Skærmbesøg i hjemmeplejen"; opens the card's detail. */
export function cardChip(id, app, { withTitle = true } = {}) {
  const c = card(id);
  return h(
    "button",
    {
      type: "button",
      class: `chip kind-${c ? c.kind : "unknown"}`,
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
    default:
      return w.code;
  }
}

/** found = the cards' effect plus the events' effect; the table compares it with the target. */
export function found(m) {
  return m.forlig_effect.map((v, i) => v + m.event_effect[i]);
}

/** The meter's figures: a chart, a table of the four years and the warnings. */
export function meterFigures(m, { title = "", compact = false } = {}) {
  const labels = years();
  const got = found(m);
  const rows = [
    [_("Target"), m.target],
    [_("Cards"), m.forlig_effect],
    [_("Events"), m.event_effect],
    [_("Result"), m.result],
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
    ),
  );
  const facts = h(
    "p",
    { class: "facts" },
    h("span", null, _("Capital: %(spent)s", { spent: mio(m.capital_spent) })),
    " · ",
    h("span", null, _("Service: %(value)s", { value: signedInt(m.service) })),
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
    warnings,
  );
}

/** The result against the target per year, as four small boxes: "2027 +1,2 ✓". */
export function yearStrip(m) {
  return h(
    "ul",
    { class: "years", "aria-label": _("Result against the target per year") },
    years().map((label, i) =>
      h(
        "li",
        { class: m.reached[i] ? "ok" : "short" },
        h("span", { class: "year" }, label),
        h("span", { class: "value" }, short(m.result[i], { sign: true })),
        h("span", { class: "mark", "aria-hidden": "true" }, m.reached[i] ? "✓" : "✗"),
        h("span", { class: "visually-hidden" }, m.reached[i] ? _("reached") : _("not reached")),
      ),
    ),
  );
}
