// The table debrief's why, fixes and "Tag dialogen" questions (issue 14), shared by the debrief page and the
// one-page forligsreferat. Every figure and every sentence is the engine's (GET /api/tables/{id}/debrief:
// engine/explain.py); this module only draws them. Also: which token opens a table's debrief on this device.
import { h, s } from "./dom.js";
import { _, lang } from "./i18n.js";
import { short } from "./format.js";
import { getSeat } from "./seats.js";

// ---- the token -----------------------------------------------------------------------------------

function tokenRole(token) {
  try {
    const payload = token.split(".")[0].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload + "===".slice((payload.length + 3) % 4))).role || null;
  } catch {
    return null;
  }
}

function stored(storage, key) {
  try {
    return storage.getItem(key);
  } catch {
    return null;
  }
}

/**
 * The token that opens this table's debrief here, best first: one handed over in the link's fragment
 * (`#token=…`, the control room's "project it": a projector token; kept for this tab only and taken out of
 * the address bar), this device's seat at the table, the facilitator's token for the table's conference
 * (stored by the control room). Returns {token, kind} or null.
 */
export function debriefToken(tableId, conferenceId) {
  const key = `raaderum:debrief:${tableId}`;
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match) {
    const token = decodeURIComponent(match[1]);
    try {
      sessionStorage.setItem(key, token);
    } catch {
      /* private mode: the token lives as long as the page */
    }
    history.replaceState(null, "", location.pathname + location.search);
    return { token, kind: tokenRole(token) || "projector" };
  }
  const handed = stored(sessionStorage, key);
  if (handed) return { token: handed, kind: tokenRole(handed) || "projector" };
  const seat = getSeat(tableId);
  if (seat) return { token: seat.token, kind: "player" };
  const facilitator = conferenceId ? stored(localStorage, `raaderum:conference:${conferenceId}`) : null;
  if (facilitator) return { token: facilitator, kind: "facilitator" };
  return null;
}

// ---- the verdict decides the colour ----------------------------------------------------------------

/** A year's colour: green only when the whole verdict holds; a reached year of a failed verdict is "met"
 * (neutral, no green mark); a year short of the target is "short". */
export function yearStatus(d, reached) {
  if (!reached) return "short";
  return d.verdict.reached ? "ok" : "met";
}

// ---- the why as a decomposition chart ----------------------------------------------------------------

const PART_CLASS = { "why.target": "target", "why.event": "event", "why.levers": "levers" };

function partKey(part) {
  return `${part.code}:${part.id || ""}`;
}

export function partClass(part) {
  return part.code === "why.kind" ? `kind-${part.id}` : PART_CLASS[part.code] || "other";
}

export function partName(part) {
  const name = part.name ? part.name[lang] || part.name.da : part.code;
  return part.code === "why.event" && part.id ? `${part.id} ${name}` : name;
}

/** The parts in a stable order (the first year's), each with its amount per year. */
function partRows(why) {
  const rows = new Map();
  why.forEach((year, index) => {
    for (const part of year.contributions) {
      const key = partKey(part);
      if (!rows.has(key)) rows.set(key, { part, amounts: [0, 0, 0, 0] });
      rows.get(key).amounts[index] = part.amount;
    }
  });
  return [...rows.values()];
}

/**
 * Years × contributions: per year a stacked bar, what carries the result above the zero line and what pulls
 * it down below it (the target, the events, the card groups, the levers), each segment with its figure when
 * there is room; a marker and the figure for the year's result. The same figures are in the table after it
 * (the chart's accessible alternative).
 */
export function whyChart(d, { compact = false } = {}) {
  // A narrow viewBox keeps the figures legible when a phone scales the chart down.
  const W = compact ? 520 : 460;
  const H = compact ? 200 : 280;
  const TOP = 24;
  const BOTTOM = 36;
  const LEFT = 8;
  const ups = d.why.map((y) => y.contributions.reduce((n, p) => n + Math.max(0, p.amount), 0));
  const downs = d.why.map((y) => y.contributions.reduce((n, p) => n + Math.min(0, p.amount), 0));
  const max = Math.max(1, ...ups) * 1.08;
  const min = Math.min(-1, ...downs) * 1.08;
  const plot = H - TOP - BOTTOM;
  const y = (v) => TOP + ((max - v) / (max - min)) * plot;
  const slot = (W - 2 * LEFT) / d.why.length;
  const bar = Math.min(compact ? 64 : 80, slot * 0.62);
  const summary = d.why.map((row) => (lang === "en" ? row.en : row.da)).join(" ");
  const svg = s("svg", {
    viewBox: `0 0 ${W} ${H}`,
    class: `chart why-chart${compact ? " compact" : ""}`,
    role: "img",
    "aria-label": _("Why each year ends where it does") + " (" + _("mio. kr.") + "): " + summary,
  });
  svg.append(s("line", { x1: LEFT, x2: W - LEFT, y1: y(0), y2: y(0), class: "axis" }));
  d.why.forEach((row, i) => {
    const cx = LEFT + slot * (i + 0.5);
    let up = 0;
    let down = 0;
    for (const part of row.contributions) {
      if (!part.amount) continue;
      const from = part.amount > 0 ? up : down;
      const to = from + part.amount;
      if (part.amount > 0) up = to;
      else down = to;
      const top = y(Math.max(from, to));
      const height = Math.max(1, Math.abs(y(from) - y(to)));
      const segment = s("rect", { x: cx - bar / 2, y: top, width: bar, height, class: `seg seg-${partClass(part)}` });
      segment.append(s("title", null, `${partName(part)}: ${short(part.amount, { sign: true })}`));
      svg.append(segment);
      // The figure sits on the segment it belongs to, when the segment is tall enough to hold it.
      if (height >= (compact ? 11 : 14)) {
        svg.append(
          s(
            "text",
            { x: cx, y: top + height / 2 + 4, class: `seg-value seg-value-${partClass(part)}`, "text-anchor": "middle" },
            short(part.amount, { sign: true }),
          ),
        );
      }
    }
    const status = yearStatus(d, row.reached);
    const ry = y(row.result);
    svg.append(
      s("line", { x1: cx - bar / 2 - 6, x2: cx + bar / 2 + 6, y1: ry, y2: ry, class: `result-line ${status}` }),
      s("text", { x: cx, y: y(up) - 6, class: `result ${status}`, "text-anchor": "middle" }, `= ${short(row.result, { sign: true })}`),
      s("text", { x: cx, y: H - BOTTOM + 22, class: "label", "text-anchor": "middle" }, row.label),
    );
  });
  return svg;
}

/** The legend: one key per kind of part that occurs. */
export function whyLegend(d) {
  const seen = new Map();
  for (const row of d.why) for (const part of row.contributions) if (!seen.has(partClass(part))) seen.set(partClass(part), part);
  const label = (part) =>
    part.code === "why.event" ? _("events") : part.code === "why.target" ? _("the target") : part.name ? part.name[lang] || part.name.da : part.code;
  return h(
    "p",
    { class: "legend why-legend" },
    [...seen].map(([cls, part]) => h("span", { class: "legend-item" }, h("span", { class: `key seg-key seg-${cls}` }), label(part))),
    h("span", { class: "legend-item" }, h("span", { class: "key result-key" }), _("result (= the sum)")),
  );
}

/** The chart's figures as a table: a row per contribution, a column per year, the result last. */
export function whyTable(d, { caption } = {}) {
  const rows = partRows(d.why);
  return h(
    "div",
    { class: "scroll", tabindex: "0", role: "region", "aria-label": caption || _("The why in figures (mio. kr.)") },
    h(
      "table",
      { class: "figures why-table" },
      h("caption", null, caption || _("The why in figures (mio. kr.)")),
      h("thead", null, h("tr", null, h("th", { scope: "col" }, _("mio. kr.")), d.why.map((row) => h("th", { scope: "col" }, row.label)))),
      h(
        "tbody",
        null,
        rows.map(({ part, amounts }) =>
          h(
            "tr",
            null,
            h("th", { scope: "row" }, h("span", { class: `key seg-key seg-${partClass(part)}`, "aria-hidden": "true" }), " ", partName(part), part.cards && part.cards.length > 1 ? h("span", { class: "muted" }, ` (${part.cards.join(", ")})`) : part.cards && part.cards.length === 1 ? h("span", { class: "muted" }, ` (${part.cards[0]})`) : null),
            amounts.map((v) => h("td", null, short(v, { sign: true }))),
          ),
        ),
        h(
          "tr",
          { class: "result-row" },
          h("th", { scope: "row" }, _("Result")),
          d.why.map((row) => h("td", { class: yearStatus(d, row.reached) }, short(row.result, { sign: true }))),
        ),
      ),
    ),
  );
}

/** The years' why in words (the engine's sentences). */
export function whyWords(d) {
  return h("ul", { class: "why-lines" }, d.why.map((row) => h("li", { class: yearStatus(d, row.reached) }, lang === "en" ? row.en : row.da)));
}

// ---- fixes and the dialogue ---------------------------------------------------------------------------

/** For each failed condition the cheapest changes that would have met it (engine: `fixes`). */
export function fixesList(d) {
  const failed = d.verdict.reasons.filter((r) => r.required && !r.ok);
  if (!failed.length) return h("p", { class: "muted" }, _("Every condition holds: nothing to fix."));
  return h(
    "ul",
    { class: "fixes" },
    failed.map((reason) => {
      const mine = d.fixes.filter((f) => f.condition === reason.code && f.year === reason.year && f.kind === reason.kind);
      return h(
        "li",
        null,
        h("p", { class: "fix-reason" }, lang === "en" ? reason.en : reason.da),
        mine.length
          ? h("ol", { class: "fix-options" }, mine.map((f) => h("li", null, lang === "en" ? f.en : f.da)))
          : h("p", { class: "muted" }, _("No single change of one card would have met it.")),
      );
    }),
  );
}

/** The article's three questions ("Tag dialogen"), each with the table's own facts. */
export function dialogueList(questions, { level = "h3" } = {}) {
  return h(
    "ol",
    { class: "dialogue" },
    questions.map((q) =>
      h(
        "li",
        { dataset: { question: q.id } },
        h(level, { class: "question" }, q.question[lang] || q.question.da),
        h("ul", { class: "facts-lines" }, q.facts.map((fact) => h("li", null, fact[lang] || fact.da))),
      ),
    ),
  );
}

// ---- the hjertesager's points ------------------------------------------------------------------------

// The engine's scores in the debrief's words: a point per hjertesag met, less what the role's abilities cost.
/** A byråd where everyone played as themselves had no roles: no hjertesager to show (page and referat alike). */
export function noRoles(d) {
  return !d.hjertesager.length && Boolean(d.byraad) && d.byraad.roles === "themselves";
}

export function tableScore(d) {
  const most = d.hjertesager.reduce((sum, r) => sum + r.hjertesager.length, 0);
  return _("The table's score: %(score)s of %(max)s", { score: d.table_score ?? 0, max: most });
}

export function roleScore(r) {
  const score = _("Score: %(score)s of %(max)s", { score: r.score ?? 0, max: r.hjertesager.length });
  return r.ability_cost ? `${score} ${_("(%(n)s off for an ability)", { n: r.ability_cost })}` : score;
}

// Why a debrief could not be shown, in the reader's words (the page and the referat say it alike).
export function notLoaded(result) {
  const message =
    result.code === "debrief.not_shown"
      ? _("The debrief has not been shown yet. It appears when the facilitator shows it.")
      : result.code === "no_seat"
        ? _("You have no seat at this table on this device.")
        : result.message || _("The debrief could not be loaded.");
  return h("p", { class: "banner" }, message);
}
