// The one-page forligsreferat (issue 14): the forlig, the four years, the why, the hjertesager and the three
// "Tag dialogen" questions with the table's facts, on one A4 page to print or save as PDF and carry into the
// real budget process. Every figure and sentence is the engine's (GET /api/tables/{id}/debrief).
import { h } from "./dom.js";
import { _, lang, loadCatalog } from "./i18n.js";
import { percent, short, signedInt } from "./format.js";
import { kindName, loadDeck, pick, text } from "./deck.js";
import * as api from "./api.js";
import { debriefToken, dialogueList, noRoles, notLoaded, roleScore, tableScore, whyChart, whyLegend, whyWords, yearStatus } from "./debriefparts.js";

const root = document.getElementById("app");
const tableId = root.dataset.table;
const out = document.getElementById("referat");

function part(id, title, ...children) {
  return h("section", { class: "referat-part", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

function verdictLine(d) {
  const failed = d.verdict.reasons.filter((r) => r.required && !r.ok);
  return h(
    "div",
    { class: `referat-verdict ${d.verdict.reached ? "ok" : "short"}` },
    h("p", { class: "verdict-head" }, d.verdict.reached ? _("The target is reached") : _("The target is not reached")),
    failed.length ? h("ul", { class: "failed" }, failed.map((r) => h("li", null, lang === "en" ? r.en : r.da))) : null,
  );
}

function forligPart(d) {
  if (!d.forlig) return part("r-forlig", _("The forlig"), h("p", null, _("The table adopted no forlig.")));
  const f = d.forlig;
  return part(
    "r-forlig",
    _("The forlig"),
    h(
      "p",
      null,
      f.forced
        ? _("Forlig %(id)s was adopted by the facilitator in round %(round)s.", { id: f.proposal_id, round: f.round })
        : _("Forlig %(id)s was adopted in round %(round)s with %(share)s of the votes.", { id: f.proposal_id, round: f.round, share: percent(f.share_for) }),
    ),
    h(
      "ul",
      { class: "referat-cards" },
      f.cards.map((id) => {
        const c = pick(id);
        return h("li", null, h("strong", null, id), " ", c ? text(c.title) : "", c && c.kind ? h("span", { class: "muted" }, ` · ${kindName(c.kind)}`) : null);
      }),
    ),
    h(
      "p",
      { class: "muted" },
      _("Service index %(service)s · %(fte)s årsværk", { service: signedInt(d.service_index), fte: short(d.net_fte, { sign: true }) }),
    ),
  );
}

function yearsPart(d) {
  const rolled = d.reality_check.rolled;
  const rows = [
    [_("Target"), d.why.map((y) => short(y.target))],
    [_("Planned"), d.why.map((y) => short(y.planned, { sign: true }))],
    [_("Result"), d.why.map((y) => short(y.result, { sign: true })), true],
  ];
  if (rolled) rows.push([_("After the dice"), d.why.map((y) => (y.realised === null ? "–" : short(y.realised, { sign: true })))]);
  return part(
    "r-years",
    _("The four years (mio. kr.)"),
    h(
      "table",
      { class: "figures referat-years" },
      h("thead", null, h("tr", null, h("th", { scope: "col" }, _("mio. kr.")), d.why.map((y) => h("th", { scope: "col" }, y.label)))),
      h(
        "tbody",
        null,
        rows.map(([name, cells, result]) =>
          h(
            "tr",
            { class: result ? "result-row" : null },
            h("th", { scope: "row" }, name),
            cells.map((cell, i) => h("td", { class: result ? yearStatus(d, d.why[i].reached) : null }, cell)),
          ),
        ),
      ),
    ),
  );
}

function whyPart(d) {
  return part("r-why", _("Why"), whyChart(d, { compact: true }), whyLegend(d), whyWords(d));
}

function hjertesagerPart(d) {
  if (noRoles(d)) return null;
  return part(
    "r-hjertesager",
    _("The roles' hjertesager"),
    h("p", { class: "table-score" }, tableScore(d)),
    h(
      "ul",
      { class: "referat-roles" },
      d.hjertesager.map((r) =>
        h(
          "li",
          null,
          h("strong", null, `${text(r.title)} (${r.name})`),
          h("span", { class: "score" }, ` · ${roleScore(r)}`),
          h(
            "ul",
            { class: "reasons compact" },
            r.hjertesager.map((sag) =>
              h(
                "li",
                { class: sag.met ? "ok" : "short" },
                h("span", { class: "mark", "aria-hidden": "true" }, sag.met ? "✓" : "✗"),
                h("span", { class: "visually-hidden" }, sag.met ? _("Met:") : _("Not met:")),
                " ",
                text(sag.text),
                typeof sag.score === "number" ? ` (${sag.score})` : "",
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

function dialoguePart(d) {
  return part("r-dialogue", _("Tag dialogen"), dialogueList(d.dialogue, { level: "h3" }));
}

async function main() {
  document.getElementById("print").addEventListener("click", () => window.print());
  const found = debriefToken(tableId, root.dataset.conference);
  const ready = Promise.all([loadCatalog(root.dataset.catalogUrl), loadDeck(root.dataset.deckUrl)]);
  const result = found ? await api.debrief(tableId, found.token) : { ok: false, code: "no_seat" };
  await ready;
  document.getElementById("referat-date").textContent = new Date().toLocaleDateString(lang === "en" ? "en-GB" : "da-DK", {
    day: "numeric",
    month: "long",
    year: "numeric",
  });
  if (!result.ok) {
    out.replaceChildren(notLoaded(result));
    document.body.dataset.ready = "true";
    return;
  }
  const d = result.data;
  out.replaceChildren(
    verdictLine(d),
    h("div", { class: "referat-columns" }, h("div", null, forligPart(d), yearsPart(d), whyPart(d)), h("div", null, hjertesagerPart(d), dialoguePart(d))),
  );
  document.body.dataset.ready = "true";
}

main();
