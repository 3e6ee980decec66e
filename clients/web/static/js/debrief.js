// The debrief page: verdict and reasons, the four years against the target, composition, service and
// årsværk, the hjertesager, the reality check and the negotiation's timeline. All figures from the engine.
import { h } from "./dom.js";
import { _, lang, loadCatalog, ngettext } from "./i18n.js";
import { mio, number, percent, short, signedInt, timeOfDay } from "./format.js";
import { card, deck, event as eventCard, kindName, loadDeck, text } from "./deck.js";
import * as api from "./api.js";
import { shareBar, yearChart } from "./chart.js";
import {
  debriefToken,
  dialogueList,
  notLoaded,
  fixesList,
  noRoles,
  roleScore,
  tableScore,
  whyChart,
  whyLegend,
  whyTable,
  whyWords,
  yearStatus,
} from "./debriefparts.js";

const root = document.getElementById("app");
const tableId = root.dataset.table;
const out = document.getElementById("debrief");

function section(id, title, ...children) {
  return h("section", { class: "debrief-section", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

function verdictSection(d) {
  const v = d.verdict;
  return h(
    "section",
    { class: `verdict ${v.reached ? "ok" : "short"}`, "aria-labelledby": "verdict-title" },
    h("h2", { id: "verdict-title" }, v.reached ? _("The target is reached") : _("The target is not reached")),
    d.forlig
      ? h(
          "p",
          null,
          d.forlig.forced
            ? _("Forlig %(id)s was adopted by the facilitator in round %(round)s.", { id: d.forlig.proposal_id, round: d.forlig.round })
            : _("Forlig %(id)s was adopted in round %(round)s with %(share)s of the votes.", {
                id: d.forlig.proposal_id,
                round: d.forlig.round,
                share: percent(d.forlig.share_for),
              }),
        )
      : h("p", null, _("The table adopted no forlig.")),
    h(
      "ul",
      { class: "reasons" },
      v.reasons.map((r) =>
        h(
          "li",
          { class: r.ok ? "ok" : r.required ? "short" : "note" },
          h("span", { class: "mark", "aria-hidden": "true" }, r.ok ? "✓" : r.required ? "✗" : "!"),
          h("span", { class: "visually-hidden" }, r.ok ? _("Fulfilled:") : _("Not fulfilled:")),
          " ",
          lang === "en" ? r.en : r.da,
        ),
      ),
    ),
  );
}

function yearsSection(d) {
  const labels = d.years.map((y) => y.label);
  const target = d.years.map((y) => y.target);
  const found = d.years.map((y) => y.forlig_effect + y.event_effect);
  return section(
    "years-title",
    _("The four years against the target"),
    // The verdict decides the colour: a year is green only when every condition holds (issue 14).
    yearChart({ labels, target, found, reached: d.years.map((y) => yearStatus(d, y.reached)), title: _("Råderum found per year against the target") }),
    h(
      "p",
      { class: "legend" },
      h("span", { class: `key bar-key ${d.verdict.reached ? "" : "met-key"}` }),
      d.verdict.reached
        ? _("råderum found (cards and events); green: the target is reached")
        : _("råderum found (cards and events); grey: the year reaches its target, but the verdict fails on another condition; red: short of the target"),
      " ",
      h("span", { class: "key target-key" }),
      _("target"),
    ),
    h(
      "table",
      { class: "figures" },
      h("caption", { class: "visually-hidden" }, _("The four years in mio. kr.")),
      h("thead", null, h("tr", null, h("th", { scope: "col" }, _("mio. kr.")), labels.map((l) => h("th", { scope: "col" }, l)))),
      h(
        "tbody",
        null,
        [
          [_("Target"), (y) => short(y.target)],
          [_("Cards"), (y) => short(y.forlig_effect, { sign: true })],
          [_("Events"), (y) => short(y.event_effect, { sign: true })],
          [_("Result"), (y) => short(y.result, { sign: true })],
        ].map(([name, cell], row) =>
          h("tr", { class: row === 3 ? "result-row" : null }, h("th", { scope: "row" }, name), d.years.map((y) => h("td", { class: row === 3 ? yearStatus(d, y.reached) : null }, cell(y)))),
        ),
      ),
    ),
    deck?.scenario.price_level ? h("p", { class: "price-level" }, _("Price level: %(level)s", { level: text(deck.scenario.price_level) })) : null,
  );
}

// ---- issue 14: the why, the fixes and the dialogue --------------------------------------------------

function whySection(d) {
  return section(
    "why-title",
    _("Why each year ends where it does"),
    h("p", null, _("Each bar adds up the year: what carries it above the line, what pulls it below; the result is their sum.")),
    whyChart(d),
    whyLegend(d),
    whyWords(d),
    h("details", { class: "why-figures" }, h("summary", null, _("The figures as a table")), whyTable(d)),
  );
}

function fixesSection(d) {
  return section("fixes-title", _("What would have closed the gap"), fixesList(d));
}

function dialogueSection(d) {
  return section(
    "dialogue-title",
    _("Tag dialogen: three questions for the municipality"),
    h("p", null, _("The article's three questions, each with this table's own facts.")),
    dialogueList(d.dialogue),
  );
}

function toolbar(kind) {
  const links = [h("a", { class: "button primary", href: `/table/${encodeURIComponent(tableId)}/referat` }, _("Forligsreferat (print / save as PDF)"))];
  if (kind === "facilitator" && root.dataset.conference) {
    links.push(h("a", { class: "button secondary", href: `/control/${encodeURIComponent(root.dataset.conference)}` }, _("Back to the control room")));
  }
  return h("nav", { class: "debrief-tools no-print", "aria-label": _("The debrief") }, links);
}

// ---- ------------------------------------------------------------------------------------------

function compositionSection(d) {
  const c = d.composition;
  const kinds = h(
    "ul",
    { class: "bars" },
    c.by_kind.map((k) =>
      h(
        "li",
        null,
        h("span", { class: "bar-label" }, text(k.name) || kindName(k.id)),
        shareBar(k.share),
        h("span", { class: "bar-value" }, `${percent(k.share)} · ${mio(k.year4)}`),
      ),
    ),
  );
  const areas = h(
    "ul",
    { class: "bars" },
    c.by_area
      .filter((a) => a.gains > 0 || a.year1 !== 0 || a.year4 !== 0)
      .map((a) =>
        h(
          "li",
          null,
          h("span", { class: "bar-label" }, text(a.name)),
          shareBar(a.share, a.service_budget_share),
          h(
            "span",
            { class: "bar-value" },
            _("%(share)s of the gains · %(budget)s of the service budget", { share: percent(a.share), budget: percent(a.service_budget_share) }),
          ),
        ),
      ),
  );
  return section(
    "composition-title",
    _("What the forlig is made of"),
    h("h3", null, _("By kind (year 4 gains)")),
    kinds,
    h("h3", null, _("By area, against the area's share of the service budget")),
    h("p", { class: "legend" }, h("span", { class: "key fill-key" }), _("share of the forlig's gains"), " ", h("span", { class: "key compare-key" }), _("share of the service budget")),
    areas,
    h(
      "p",
      null,
      _("Welfare areas: %(welfare)s of the gains; administration (not culture, not technical services): %(admin)s.", {
        welfare: percent(c.welfare_share),
        admin: percent(c.administration_share),
      }),
    ),
  );
}

function serviceSection(d) {
  return section(
    "service-title",
    _("Service and staff"),
    h(
      "div",
      { class: "big-numbers" },
      h("p", null, h("span", { class: "big" }, signedInt(d.service_index)), h("span", null, _("service index: the sum of the cards' effect on service citizens notice"))),
      h("p", null, h("span", { class: "big" }, number(d.net_fte, 1, { sign: true })), h("span", null, _("årsværk (FTE) at full effect"))),
    ),
  );
}

/** Byråd mode: the parties, their mandates, and who voted for the forlig or stood outside it (the engine's). */
function byraadSection(d) {
  const b = d.byraad;
  if (!b) return null;
  const names = new Map(d.negotiation.players.map((p) => [p.id, p.name]));
  const who = (ids) => (ids.length ? ids.map((id) => names.get(id) || "?").join(", ") : "–");
  return section(
    "byraad-title",
    _("The byråd"),
    b.mandates ? h("p", null, _("%(n)s mandates; the rule was counted in all of them.", { n: b.mandates })) : null,
    b.parties.length
      ? h(
          "ul",
          { class: "parties" },
          b.parties.map((party) =>
            h(
              "li",
              null,
              h("strong", null, text(party.name)),
              " ",
              _("%(members)s of %(mandates)s mandates at the table", { members: party.members.length, mandates: party.mandates }),
              ". ",
              _("For the forlig: %(names)s", { names: who(party.for_forlig) }),
              party.outside_forlig.length ? " · " + _("Outside the forlig: %(names)s", { names: who(party.outside_forlig) }) : "",
            ),
          ),
        )
      : null,
    h("p", null, _("Outside the forlig: %(names)s", { names: who(b.outside_forlig) })),
  );
}

function hjertesagerSection(d) {
  if (noRoles(d)) return null;
  return section(
    "hjertesager-title",
    _("The roles' hjertesager"),
    h("p", { class: "table-score" }, tableScore(d)),
    h(
      "ul",
      { class: "roles" },
      d.hjertesager.map((r) =>
        h(
          "li",
          null,
          h("h3", null, `${r.name} – ${text(r.title)}`),
          h("p", { class: "role-score" }, roleScore(r)),
          h(
            "ul",
            { class: "reasons" },
            r.hjertesager.map((sag) =>
              h(
                "li",
                { class: sag.met ? "ok" : "short" },
                h("span", { class: "mark", "aria-hidden": "true" }, sag.met ? "✓" : "✗"),
                h("span", { class: "visually-hidden" }, sag.met ? _("Met:") : _("Not met:")),
                " ",
                text(sag.text),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

function realitySection(d) {
  const rc = d.reality_check;
  const labels = d.years.map((y) => y.label);
  const parts = [
    h("p", null, _("Card gains are uncertain. In %(draws)s simulated outcomes, this is how often the forlig reaches the target:", { draws: number(rc.draws, 0) })),
    h(
      "ul",
      { class: "bars" },
      labels.map((label, i) =>
        h("li", null, h("span", { class: "bar-label" }, label), shareBar(rc.probability[i]), h("span", { class: "bar-value" }, percent(rc.probability[i]))),
      ),
      h("li", { class: "all-years" }, h("span", { class: "bar-label" }, _("All four years")), shareBar(rc.probability_all_years), h("span", { class: "bar-value" }, percent(rc.probability_all_years))),
    ),
  ];
  if (rc.rolled && rc.years.length) {
    parts.push(
      h("h3", null, _("The dice at this table")),
      h(
        "table",
        { class: "figures" },
        h("thead", null, h("tr", null, h("th", { scope: "col" }, _("mio. kr.")), labels.map((l) => h("th", { scope: "col" }, l)))),
        h(
          "tbody",
          null,
          h("tr", null, h("th", { scope: "row" }, _("Planned")), rc.years.map((y) => h("td", null, short(y.planned_effect, { sign: true })))),
          h("tr", null, h("th", { scope: "row" }, _("Realised")), rc.years.map((y) => h("td", null, short(y.realised_effect, { sign: true })))),
          h("tr", { class: "result-row" }, h("th", { scope: "row" }, _("Result")), rc.years.map((y) => h("td", { class: yearStatus(d, y.reached) }, short(y.result, { sign: true })))),
        ),
      ),
      h(
        "details",
        { class: "rolls-box" },
        h("summary", null, ngettext("The dice for %(n)s card", "The dice for each of the %(n)s cards", rc.cards.length)),
        h(
        "ul",
        { class: "rolls" },
        rc.cards.map((c) =>
          h(
            "li",
            null,
            h("span", { class: "chip-id" }, c.card),
            ` ${text(card(c.card)?.title)}: `,
            _("rolled %(roll)s, %(share)s of the gains", { roll: c.roll, share: percent(c.factor) }),
            c.delayed ? " · " + _("a year late") : "",
          ),
        ),
      ),
      ),
    );
  }
  return section("reality-title", _("Reality check"), ...parts);
}

function timelineSection(d) {
  const names = new Map(d.negotiation.players.map((p) => [p.id, p.name]));
  const who = (ids) => (ids.length ? ids.map((id) => names.get(id) || "?").join(", ") : "–");
  const statusName = { open: _("Open"), adopted: _("Adopted"), rejected: _("Voted down"), closed: _("Closed") };
  const items = d.negotiation.rounds.map((r) => {
    const e = r.event_card ? eventCard(r.event_card) : null;
    const proposals = d.negotiation.proposals.filter((p) => p.round === r.number);
    return h(
      "li",
      null,
      h("h3", null, _("Round %(n)s", { n: r.number }), r.started_at ? h("span", { class: "time" }, ` ${timeOfDay(r.started_at)}`) : null),
      e ? h("p", { class: "event-line" }, _("Event card: %(title)s", { title: text(e.title) })) : null,
      proposals.length
        ? h(
            "ul",
            null,
            proposals.map((p) =>
              h(
                "li",
                { class: `status-${p.status}` },
                h("strong", null, _("Proposal %(id)s", { id: p.id })),
                ` (${statusName[p.status] || p.status}) – `,
                _("by %(name)s", { name: names.get(p.by) || "?" }),
                p.amends ? ", " + _("amends %(id)s", { id: p.amends }) : "",
                ", " + ngettext("%(n)s card", "%(n)s cards", p.cards.length) + ". ",
                _("For: %(names)s", { names: who(p.votes_for) }),
                " · ",
                _("Against: %(names)s", { names: who(p.votes_against) }),
                p.votes_abstain.length ? " · " + _("Abstain: %(names)s", { names: who(p.votes_abstain) }) : "",
                (p.votes_outside || []).length ? " · " + _("Outside the forlig: %(names)s", { names: who(p.votes_outside) }) : "",
              ),
            ),
          )
        : h("p", null, _("No proposals.")),
      r.seconds_to_forlig !== null
        ? h("p", null, _("Forlig after %(minutes)s minutes.", { minutes: number(r.seconds_to_forlig / 60, 1) }))
        : null,
    );
  });
  const people = h(
    "ul",
    { class: "people-stats" },
    d.negotiation.players.map((p) =>
      // One plural each (ngettext): "1 besked, 2 forslag, 1 stemme", never "1 beskeder".
      h(
        "li",
        null,
        `${p.name}: `,
        [
          ngettext("%(n)s message", "%(n)s messages", p.messages),
          ngettext("%(n)s proposal", "%(n)s proposals", p.proposals),
          ngettext("%(n)s vote", "%(n)s votes", p.votes),
        ].join(", "),
      ),
    ),
  );
  return section("timeline-title", _("The negotiation"), h("ol", { class: "timeline" }, items), h("h3", null, _("Who did what")), people);
}

async function main() {
  const found = debriefToken(tableId, root.dataset.conference);
  if (found) document.body.dataset.viewer = found.kind; // "projector": the hall's big-type layout
  const ready = Promise.all([loadCatalog(root.dataset.catalogUrl), loadDeck(root.dataset.deckUrl)]);
  const result = found ? await api.debrief(tableId, found.token) : { ok: false, code: "no_seat" };
  await ready;
  if (!result.ok) {
    out.replaceChildren(notLoaded(result));
    document.body.dataset.ready = "true";
    return;
  }
  const d = result.data;
  out.replaceChildren(
    found.kind === "projector" ? "" : toolbar(found.kind),
    verdictSection(d),
    whySection(d),
    fixesSection(d),
    dialogueSection(d),
    yearsSection(d),
    compositionSection(d),
    serviceSection(d),
    byraadSection(d),
    hjertesagerSection(d),
    realitySection(d),
    timelineSection(d),
  );
  document.body.dataset.ready = "true";
  performance.mark("raaderum:usable");
}

main();
