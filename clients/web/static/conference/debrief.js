// The cross-table debrief: the tables side by side, from GET /api/conferences/{id}/debrief. Every figure is
// the engine's (engine/conference.py over each table's own debrief); this page only draws them.
import { $, h, s } from "../js/dom.js";
import { _, lang, loadCatalog, ngettext } from "../js/i18n.js";
import { percent, short, timeOfDay } from "../js/format.js";
import { kindName } from "../js/deck.js";
import { call, conferenceUrl, download, pageToken } from "./common.js";

const conferenceId = $("#app").dataset.conference;
const out = $("#xdebrief");
const AREA_NAMES = new Map();

function section(id, title, intro, ...children) {
  return h(
    "section",
    { class: "debrief-section", "aria-labelledby": id },
    h("h2", { id }, title),
    intro ? h("p", { class: "intro" }, intro) : null,
    ...children,
  );
}

const pct = (value) => (value === null || value === undefined ? "–" : percent(value));

// ---- reached per year ----------------------------------------------------------------------------

function reachedSection(d) {
  const total = d.tables.length;
  const rolled = d.reached[0].rolled;
  return section(
    "reached-title",
    _("How many tables reached the target"),
    _("A year is reached when the forlig's cards and the events find at least the target."),
    h(
      "ul",
      { class: "reached-years" },
      d.reached.map((y) =>
        h(
          "li",
          null,
          h("span", { class: "label" }, y.label),
          h("span", { class: "big" }, `${y.reached}/${total}`),
          h("span", { class: "note" }, _("as planned")),
          rolled ? h("span", { class: "after" }, _("%(n)s/%(total)s after the reality check", { n: y.realised, total: y.rolled })) : null,
        ),
      ),
    ),
    h(
      "p",
      null,
      ngettext(
        "%(n)s of %(total)s table adopted a forlig; %(ok)s meet every requirement of the verdict (the budget year, the kinds, the wishes and the capital pool).",
        "%(n)s of %(total)s tables adopted a forlig; %(ok)s meet every requirement of the verdict (the budget year, the kinds, the wishes and the capital pool).",
        total,
        { n: d.with_forlig, total, ok: d.verdict_reached },
      ),
    ),
  );
}

// ---- the tables ----------------------------------------------------------------------------------

function tablesSection(d) {
  return section(
    "tables-title",
    _("The tables"),
    null,
    h(
      "div",
      { class: "scroll", tabindex: "0", role: "group", "aria-label": _("The tables") },
      h(
        "table",
        { class: "figures xtable" },
        h("caption", { class: "visually-hidden" }, _("Each table's forlig against the target per year, in mio. kr.")),
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            h("th", { scope: "col" }, _("Table")),
            h("th", { scope: "col" }, _("Forlig")),
            d.years.map((label) => h("th", { scope: "col" }, label)),
            h("th", { scope: "col" }, _("Verdict")),
            h("th", { scope: "col" }, _("From administration")),
            h("th", { scope: "col" }, _("Chance, all years")),
          ),
        ),
        h(
          "tbody",
          null,
          d.tables.map((t) => {
            const result = t.realised_result || t.result;
            const reached = t.realised_reached || t.reached;
            return h(
              "tr",
              { dataset: { table: t.table_id } },
              h("th", { scope: "row" }, t.name),
              h("td", null, t.forlig ? `${t.forlig} (${ngettext("%(n)s card", "%(n)s cards", t.cards.length)})` : "–"),
              result.map((value, i) => h("td", { class: t.forlig ? (reached[i] ? "ok" : "short") : null }, t.forlig ? short(value, { sign: true }) : "–")),
              h("td", { class: t.verdict_reached ? "ok" : "short" }, t.verdict_reached ? _("reached") : _("not reached")),
              h("td", null, t.forlig ? pct(t.administration_share) : "–"),
              h("td", null, t.forlig ? pct(t.probability_all_years) : "–"),
            );
          }),
        ),
      ),
    ),
    d.tables.some((t) => t.rolled)
      ? h("p", { class: "note" }, _("For tables that had the reality check, the years show the realised result."))
      : null,
  );
}

// ---- the heat map ----------------------------------------------------------------------------------

function heatSection(d) {
  const symbols = { chosen: "●", proposed: "○", never: "" };
  const names = { chosen: _("chosen"), proposed: _("proposed, not adopted"), never: _("never proposed") };
  const rows = [...d.heatmap.rows].sort((a, b) => b.chosen - a.chosen || b.proposed - a.proposed || a.card.localeCompare(b.card));
  return section(
    "heat-title",
    _("The cards at each table"),
    _("Which cards each table chose, proposed without adopting, or never proposed. Most chosen first."),
    h(
      "p",
      { class: "legend" },
      ["chosen", "proposed", "never"].map((k) => [h("span", { class: `cell-key cell-${k}` }, symbols[k]), " ", names[k], " "]),
    ),
    h(
      "div",
      { class: "scroll", tabindex: "0", role: "group", "aria-label": _("Cards by table") },
      h(
        "table",
        { class: "heatmap" },
        h("caption", { class: "visually-hidden" }, _("Cards by table")),
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            h("th", { scope: "col" }, _("Card")),
            d.tables.map((t) => h("th", { scope: "col", class: "col-table", title: t.name }, String(t.number))),
            h("th", { scope: "col" }, "●"),
            h("th", { scope: "col" }, "○"),
          ),
        ),
        h(
          "tbody",
          null,
          rows.map((r) =>
            h(
              "tr",
              { dataset: { card: r.card } },
              h("th", { scope: "row", class: "card-name" }, h("span", { class: "card-id" }, r.card), " ", lang === "en" ? r.title.en : r.title.da),
              r.statuses.map((status, i) =>
                h("td", { class: `cell cell-${status}`, title: `${d.tables[i].name}: ${names[status]}` }, symbols[status]),
              ),
              h("td", { class: "num" }, String(r.chosen)),
              h("td", { class: "num" }, String(r.proposed)),
            ),
          ),
        ),
      ),
    ),
  );
}

// ---- composition -------------------------------------------------------------------------------------

const KIND_ORDER = ["besparelse", "effektivisering", "investering", "udvidelse"];

function stacked(shares, label) {
  const width = 300;
  const svg = s("svg", { viewBox: `0 0 ${width} 16`, class: "chart stacked", role: "img", "aria-label": label, preserveAspectRatio: "none" });
  svg.append(s("rect", { x: 0, y: 0, width, height: 16, class: "track" }));
  let x = 0;
  for (const kind of KIND_ORDER) {
    const w = Math.max(0, (shares[kind] || 0) * width);
    if (w > 0) svg.append(s("rect", { x, y: 0, width: w, height: 16, class: `kind-${kind}` }));
    x += w;
  }
  return svg;
}

function kindsLabel(shares) {
  return KIND_ORDER.map((k) => `${kindName(k)} ${pct(shares[k] || 0)}`).join(", ");
}

function compositionSection(d) {
  const c = d.composition;
  const names = new Map(d.tables.map((t) => [t.table_id, t.name]));
  const avg = c.average;
  const areas = Object.keys(avg.by_area);
  const rows = c.tables.filter((t) => t.has_forlig);
  return section(
    "composition-title",
    _("What the tables' forlig is made of"),
    _("Shares of the headroom the forlig frees at full effect (the last year's gains), by kind and by area, against the average of the tables with a forlig (%(n)s).", { n: c.averaged_over }),
    h("p", { class: "legend" }, KIND_ORDER.map((k) => [h("span", { class: `key kind-key kind-${k}` }), " ", kindName(k), " "])),
    h(
      "ul",
      { class: "stack-list" },
      h("li", { class: "average" }, h("span", { class: "bar-label" }, _("Average")), stacked(avg.by_kind, kindsLabel(avg.by_kind)), h("span", { class: "bar-value" }, kindsLabel(avg.by_kind))),
      rows.map((t) =>
        h(
          "li",
          null,
          h("span", { class: "bar-label" }, names.get(t.table_id)),
          stacked(t.shares.by_kind, kindsLabel(t.shares.by_kind)),
          h("span", { class: "bar-value" }, kindsLabel(t.shares.by_kind)),
        ),
      ),
    ),
    h("h3", null, _("By area")),
    h(
      "div",
      { class: "scroll", tabindex: "0", role: "group", "aria-label": _("By area") },
      h(
        "table",
        { class: "figures areas" },
        h("caption", { class: "visually-hidden" }, _("Share of the headroom by area, per table")),
        h("thead", null, h("tr", null, h("th", { scope: "col" }, _("Table")), areas.map((a) => h("th", { scope: "col" }, AREA_NAMES.get(a) || a)))),
        h(
          "tbody",
          null,
          h("tr", { class: "result-row" }, h("th", { scope: "row" }, _("Average")), areas.map((a) => h("td", null, pct(avg.by_area[a])))),
          rows.map((t) =>
            h(
              "tr",
              null,
              h("th", { scope: "row" }, names.get(t.table_id)),
              areas.map((a) => {
                const diff = t.shares.by_area[a] - avg.by_area[a];
                return h("td", { class: diff > 0.1 ? "above" : diff < -0.1 ? "below" : null }, pct(t.shares.by_area[a]));
              }),
            ),
          ),
        ),
      ),
    ),
    h("p", { class: "note" }, _("Marked: more than 10 percentage points above (bold) or below (faint) the average.")),
  );
}

// ---- administration against welfare --------------------------------------------------------------------

function splitBar(admin, welfare, average, label) {
  const width = 300;
  const svg = s("svg", { viewBox: `0 0 ${width} 18`, class: "chart split", role: "img", "aria-label": label, preserveAspectRatio: "none" });
  svg.append(s("rect", { x: 0, y: 2, width, height: 14, class: "track" }));
  svg.append(s("rect", { x: 0, y: 2, width: admin * width, height: 14, class: "admin" }));
  svg.append(s("rect", { x: admin * width, y: 2, width: welfare * width, height: 14, class: "welfare" }));
  svg.append(s("rect", { x: Math.max(0, average * width - 1.5), y: 0, width: 3, height: 18, class: "average-mark" }));
  return svg;
}

function headroomSection(d) {
  const c = d.composition;
  const names = new Map(d.tables.map((t) => [t.table_id, t.name]));
  const avg = c.average.administration_share;
  return section(
    "headroom-title",
    _("Administration or welfare?"),
    _("The share of the headroom each table took from administration against the welfare areas: the question KL's own survey raises."),
    h(
      "p",
      { class: "legend" },
      h("span", { class: "key admin-key" }),
      " ",
      _("administration"),
      " ",
      h("span", { class: "key welfare-key" }),
      " ",
      _("welfare areas"),
      " ",
      h("span", { class: "key average-key" }),
      " ",
      _("average from administration: %(p)s", { p: pct(avg) }),
    ),
    h(
      "ul",
      { class: "stack-list" },
      c.tables
        .filter((t) => t.has_forlig)
        .map((t) => {
          const label = _("%(admin)s from administration, %(welfare)s from welfare", {
            admin: pct(t.shares.administration_share),
            welfare: pct(t.shares.welfare_share),
          });
          return h(
            "li",
            null,
            h("span", { class: "bar-label" }, names.get(t.table_id)),
            splitBar(t.shares.administration_share, t.shares.welfare_share, avg, label),
            h("span", { class: "bar-value" }, label),
          );
        }),
    ),
  );
}

// ---- the reality check -------------------------------------------------------------------------------------

function spreadChart(values, spread, label) {
  const width = 320;
  const x = (p) => 10 + p * (width - 20);
  const svg = s("svg", { viewBox: `0 0 ${width} 40`, class: "chart spread", role: "img", "aria-label": label });
  svg.append(s("line", { x1: x(0), x2: x(1), y1: 28, y2: 28, class: "axis" }));
  for (const p of [0, 0.5, 1]) {
    svg.append(s("text", { x: x(p), y: 39, "text-anchor": "middle", class: "tick" }, percent(p)));
  }
  if (spread.tables) {
    svg.append(s("line", { x1: x(spread.lowest), x2: x(spread.highest), y1: 14, y2: 14, class: "range" }));
    svg.append(s("rect", { x: x(spread.median) - 1.5, y: 5, width: 3, height: 18, class: "median" }));
  }
  for (const value of values) svg.append(s("circle", { cx: x(value), cy: 14, r: 4.5, class: "dot" }));
  return svg;
}

function probabilitySection(d) {
  const withForlig = d.tables.filter((t) => t.forlig);
  return section(
    "probability-title",
    _("How likely the forlig holds: the spread"),
    _("The chance that each table's forlig reaches the target when the dice decide how much each card delivers (10,000 simulated reality checks per table). A dot per table; the line from lowest to highest; the bar marks the median."),
    h(
      "ul",
      { class: "spread-list" },
      d.probability.spread.map((sp, i) => {
        const values = withForlig.map((t) => (sp.year === null ? t.probability_all_years : t.probability[i]));
        const label = sp.year === null ? _("All four years") : sp.label;
        const summary = sp.tables
          ? _("lowest %(low)s · median %(median)s · mean %(mean)s · highest %(high)s", {
              low: pct(sp.lowest),
              median: pct(sp.median),
              mean: pct(sp.mean),
              high: pct(sp.highest),
            })
          : _("no table has a forlig");
        return h("li", null, h("span", { class: "bar-label" }, label), spreadChart(values, sp, `${label}: ${summary}`), h("span", { class: "bar-value" }, summary));
      }),
    ),
  );
}

// ---- start ---------------------------------------------------------------------------------------------------

async function main() {
  const found = pageToken(conferenceId, ["facilitator", "projector"]);
  await loadCatalog(document.body.dataset.catalogUrl).catch(() => {});
  $("#print").addEventListener("click", () => window.print());
  if (!found) {
    $("#no-token").hidden = false;
    out.replaceChildren();
    document.body.dataset.ready = "true";
    return;
  }
  for (const button of document.querySelectorAll("[data-download]")) {
    button.hidden = found.kind !== "facilitator";
    button.addEventListener("click", () => download(conferenceUrl(conferenceId, button.dataset.download), found.token).catch(() => {}));
  }
  const [result, info] = await Promise.all([
    call("GET", conferenceUrl(conferenceId, "/debrief"), found.token),
    call("GET", conferenceUrl(conferenceId), found.token),
  ]);
  if (!result.ok || !info.ok) {
    out.replaceChildren(h("p", { class: "error" }, (result.ok ? info : result).message || result.code));
    document.body.dataset.ready = "true";
    return;
  }
  const deck = await fetch(`/api/decks/${encodeURIComponent(info.data.deck)}?lang=${lang}`).then((r) => r.json()).catch(() => null);
  if (deck) for (const area of deck.scenario.areas) AREA_NAMES.set(area.id, area.name);
  const d = result.data.debrief;
  $("#conf-name").textContent = result.data.name;
  document.title = `${result.data.name} · ${_("Cross-table debrief")} · Råderum`;
  $("#generated").textContent = ngettext("%(n)s table · made %(time)s", "%(n)s tables · made %(time)s", d.tables.length, { time: timeOfDay(result.data.generated_at) });
  out.replaceChildren(reachedSection(d), tablesSection(d), heatSection(d), compositionSection(d), headroomSection(d), probabilitySection(d));
  document.body.dataset.ready = "true";
}

main();
