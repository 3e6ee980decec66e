// The projector's "Tag dialogen" screen (issue 14): the article's three questions with the conference's facts
// (engine/conference.py `dialogue`), the cards × tables heat map, each table's share of the gains from
// administration against the welfare areas beside VIVE's 28.5 % and administration's ≈ 16 % of spending, and,
// where the tables played different rules, the rules compared. No names: the cross-table debrief holds none.
import { $, h, s, setText } from "../js/dom.js";
import { _, lang, loadCatalog } from "../js/i18n.js";
import { number, percent } from "../js/format.js";
import { ruleName } from "../js/deck.js";
import { dialogueList } from "../js/debriefparts.js";
import { call, conferenceUrl, pageToken } from "./common.js";

const root = $("#app");
const conferenceId = root.dataset.conference;
const out = $("#dialogue");
// The article's figures (engine/explain.py BAROMETER_SHARE, SPENDING_SHARE), as the debrief sends them.
const BAROMETER = 0.285;
const SPENDING = 0.16;

/** "16 %", "28,5 %": a reference share with its decimal when it has one. */
function refShare(share) {
  const value = share * 100;
  return `${number(value, Number.isInteger(Math.round(value * 10) / 10) && value % 1 === 0 ? 0 : 1)}\u00a0%`;
}

function section(id, title, ...children) {
  return h("section", { class: "dialogue-part", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

function heatmap(d) {
  const symbols = { chosen: "●", proposed: "○", never: "" };
  const names = { chosen: _("chosen"), proposed: _("proposed, not adopted"), never: _("never proposed") };
  // The cards some table reached for, most chosen first: the projector has no room for the whole deck.
  const rows = d.heatmap.rows
    .filter((r) => r.chosen || r.proposed)
    .sort((a, b) => b.chosen - a.chosen || b.proposed - a.proposed || a.card.localeCompare(b.card))
    .slice(0, 15);
  return section(
    "heat-title",
    _("The cards at each table"),
    h("p", { class: "legend" }, ["chosen", "proposed"].map((k) => [h("span", { class: `cell-key cell-${k}` }, symbols[k]), " ", names[k], " "])),
    rows.length
      ? h(
          "div",
          { class: "scroll", tabindex: "0", role: "region", "aria-label": _("Cards by table") },
          h(
            "table",
            { class: "heatmap" },
            h("caption", { class: "visually-hidden" }, _("Cards by table")),
            h(
              "thead",
              null,
              h("tr", null, h("th", { scope: "col" }, _("Card")), d.tables.map((t) => h("th", { scope: "col", class: "col-table" }, t.name))),
            ),
            h(
              "tbody",
              null,
              rows.map((r) =>
                h(
                  "tr",
                  { dataset: { card: r.card } },
                  h("th", { scope: "row", class: "card-name" }, h("span", { class: "card-id" }, r.card), " ", lang === "en" ? r.title.en : r.title.da),
                  r.statuses.map((status) =>
                    h("td", { class: `cell cell-${status}` }, symbols[status], h("span", { class: "visually-hidden" }, names[status])),
                  ),
                ),
              ),
            ),
          ),
        )
      : h("p", null, _("No table has proposed anything yet.")),
  );
}

/** Per table: the share of the gains from administration (bar) against 16 % and 28.5 % (lines). */
function administration(d) {
  const tables = d.tables;
  const W = 640;
  const rowH = 30;
  const LEFT = 130;
  const RIGHT = 250;
  const H = 34 + rowH * tables.length;
  const top = Math.max(0.4, ...tables.map((t) => t.administration_share)) * 1.05;
  const x = (share) => LEFT + (share / top) * (W - LEFT - RIGHT);
  const summary = tables
    .map((t) => _("%(table)s: administration %(admin)s, welfare %(welfare)s", { table: t.name, admin: percent(t.administration_share), welfare: percent(t.welfare_share) }))
    .join("; ");
  const svg = s("svg", {
    viewBox: `0 0 ${W} ${H}`,
    class: "chart admin-chart",
    role: "img",
    "aria-label": _("Share of the gains from administration per table, against 16 % and 28.5 %") + ": " + summary,
  });
  for (const [share, cls] of [
    [SPENDING, "ref-spending"],
    [BAROMETER, "ref-barometer"],
  ]) {
    svg.append(
      s("line", { x1: x(share), x2: x(share), y1: 18, y2: H - 4, class: `ref ${cls}` }),
      s("text", { x: x(share), y: 13, class: `ref-label ${cls}`, "text-anchor": "middle" }, refShare(share)),
    );
  }
  tables.forEach((t, i) => {
    const y = 26 + i * rowH;
    svg.append(
      s("text", { x: LEFT - 8, y: y + 15, class: "row-label", "text-anchor": "end" }, t.name),
      s("rect", { x: LEFT, y, width: Math.max(1, x(t.administration_share) - LEFT), height: rowH - 10, class: "admin-bar" }),
      s("text", { x: W - RIGHT + 8, y: y + 15, class: "row-value" }, percent(t.administration_share) + " · " + _("welfare areas") + " " + percent(t.welfare_share)),
    );
  });
  return section(
    "admin-title",
    _("Administration against welfare, per table"),
    h("p", null, _("The bar: each table's share of the forlig's gains taken from administration (not culture, not technical services). Beside it: the welfare areas' share.")),
    svg,
    h(
      "p",
      { class: "legend" },
      h("span", { class: "key ref-key ref-spending" }),
      _("≈ 16 %: administration's share of spending"),
      " ",
      h("span", { class: "key ref-key ref-barometer" }),
      _("28.5 %: what politicians would take (VIVE 2025)"),
    ),
    h(
      "table",
      { class: "figures visually-hidden" },
      h("caption", null, _("Administration against welfare, per table")),
      h("thead", null, h("tr", null, h("th", { scope: "col" }, _("Table")), h("th", { scope: "col" }, _("Administration")), h("th", { scope: "col" }, _("Welfare areas")))),
      h("tbody", null, tables.map((t) => h("tr", null, h("th", { scope: "row" }, t.name), h("td", null, percent(t.administration_share)), h("td", null, percent(t.welfare_share))))),
    ),
  );
}

function rules(d) {
  if (!d.rules_differ) return null;
  const names = new Map(d.tables.map((t) => [t.table_id, t.name]));
  return section(
    "rules-title",
    _("The rules compared"),
    h("p", null, _("The tables did not all play by the same rules:")),
    h(
      "table",
      { class: "figures rules-compared" },
      h("caption", { class: "visually-hidden" }, _("The rules compared")),
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          h("th", { scope: "col" }, _("Voting rule")),
          h("th", { scope: "col" }, _("Rules version")),
          h("th", { scope: "col" }, _("Tables")),
          h("th", { scope: "col" }, _("With a forlig")),
          h("th", { scope: "col" }, _("Target reached")),
          h("th", { scope: "col" }, _("Votes behind the forlig")),
        ),
      ),
      h(
        "tbody",
        null,
        d.rules_compared.map((g) =>
          h(
            "tr",
            null,
            h("th", { scope: "row" }, ruleName(g.rule) || "–"),
            h("td", null, String(g.rules)),
            h("td", null, g.tables.map((id) => names.get(id) || id).join(", ")),
            h("td", null, String(g.with_forlig)),
            h("td", null, String(g.verdict_reached)),
            h("td", null, g.mean_share_for === null ? "–" : percent(g.mean_share_for)),
          ),
        ),
      ),
    ),
  );
}

async function main() {
  const found = pageToken(conferenceId, ["projector", "facilitator"]);
  await loadCatalog(document.body.dataset.catalogUrl).catch(() => {});
  if (!found) {
    $("#no-token").hidden = false;
    out.replaceChildren();
    document.body.dataset.ready = "true";
    return;
  }
  const result = await call("GET", conferenceUrl(conferenceId, "/debrief"), found.token);
  if (!result.ok) {
    out.replaceChildren(h("p", { class: "error" }, result.message || result.code));
    document.body.dataset.ready = "true";
    return;
  }
  const d = result.data.debrief;
  setText($("#headline"), result.data.name + " · " + _("Three questions for the municipality, with what the tables did"));
  out.replaceChildren(
    section("questions-title", _("The three questions"), dialogueList(d.dialogue, { level: "h3" })),
    heatmap(d),
    administration(d),
    rules(d) || "",
  );
  document.body.dataset.ready = "true";
}

main();
