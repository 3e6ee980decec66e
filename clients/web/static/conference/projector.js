// The projector in the hall: no names, no chat, no secrets, large type. Lobby: join codes and QR codes.
// Playing: an anonymous overview of every table. At the end: the results wall from the cross-table debrief.
import { $, h, setText } from "../js/dom.js";
import { _, loadCatalog, ngettext } from "../js/i18n.js";
import { percent, short } from "../js/format.js";
import { LiveOverview, call, conferenceUrl, pageToken, phaseText, stage, timerText } from "./common.js";
import { eventCards, followAnnouncements, loadEvents, lobbyCards, nextEventCard, renderCountdown } from "./hall.js";

const root = $("#app");
const conferenceId = root.dataset.conference;
const PAGE = 12; // QR codes on one screen; more tables take turns
const PAGE_SECONDS = 12;
const app = { token: null, info: null, rows: new Map(), page: 0, debrief: null, debriefKey: "" };

// ---- lobby: join codes and QR codes ----------------------------------------------------------------

function renderLobby() {
  const tables = app.info.tables;
  const pages = Math.max(1, Math.ceil(tables.length / PAGE));
  app.page %= pages;
  const shown = tables.slice(app.page * PAGE, app.page * PAGE + PAGE);
  $("#codes").dataset.count = String(Math.min(tables.length, PAGE));
  $("#codes").replaceChildren(
    ...shown.map((t) => {
      const row = app.rows.get(t.table_id);
      return h(
        "li",
        { class: "code-card", dataset: { table: t.table_id } },
        h("img", { class: "qr", src: `/join/${encodeURIComponent(t.join_code)}/qr.svg`, alt: _("QR code for %(name)s", { name: t.name }) }),
        h("div", { class: "code-text" }, h("p", { class: "table-name" }, t.name), h("p", { class: "big-code" }, t.join_code), row ? h("p", { class: "seated" }, ngettext("%(n)s seated", "%(n)s seated", row.seated)) : null),
      );
    }),
  );
  setText($("#pages"), pages > 1 ? _("Page %(n)s of %(total)s", { n: app.page + 1, total: pages }) : "");
}

// ---- playing: the anonymous wall ---------------------------------------------------------------------

function cells(values, reached, compact = false) {
  // Compact (many tables): a mark per year under the wall's one row of year labels; else figures too.
  return h(
    "ul",
    { class: compact ? "years big compact" : "years big" },
    app.info.years.map((label, i) => {
      const value = values ? values[i] : null;
      const ok = value !== null && reached[i]; // the engine's, sent with the figures (engine/monitor.py)
      const mark = value === null ? "–" : ok ? "✓" : "✗";
      return h(
        "li",
        { class: value === null ? "none" : ok ? "ok" : "short", title: label },
        compact ? h("span", { class: "visually-hidden" }, label) : h("span", { class: "year" }, label),
        h("span", { class: "value" }, compact || value === null ? mark : `${short(value, { sign: true })} ${mark}`),
      );
    }),
  );
}

function yearsKey(compact) {
  return compact
    ? h("p", { class: "years-key", "aria-hidden": "true" }, _("Each table's forlig, year by year:"), " ", app.info.years.join(" · "))
    : null;
}

/** How big the tiles are: a few tables fill the screen, 60 still fit on it. */
function size(count) {
  return count <= 6 ? "l" : count <= 16 ? "m" : count <= 30 ? "s" : "xs";
}

/** "Runde 1/3" where 60 tiles share the screen. */
function shortPhase(row) {
  if (row.phase !== "round") return phaseText(row);
  const n = row.rounds_total ? row.round + "/" + row.rounds_total : row.round;
  const round = _("Round %(n)s", { n });
  return row.paused ? `${round} · ${_("paused")}` : round;
}

// screens: the hall's column (hall.js): tables still in the lobby, the event cards, the countdown.
/** Every table that started has ended: the game is over, even if an unused table never left the lobby. */
function gameOver(rows) {
  const used = rows.filter((row) => row.phase !== "lobby");
  return used.length > 0 && used.every((row) => row.phase === "reality_check" || row.phase === "debrief");
}

function renderHall() {
  // Once the game is over an unused table is left alone: no "still in the lobby: join it" with its QR code.
  const lobby = gameOver([...app.rows.values()]) ? null : lobbyCards(app.info, app.rows);
  const events = eventCards(app.info, app.rows);
  $("#hall-lobby").replaceChildren(...(lobby ? [lobby] : []));
  $("#hall-events").replaceChildren(...(events ? [events] : []));
  renderCountdown($("#hall-countdown"), app.rows);
  $("#playing").dataset.hall = lobby || events || !$("#hall-countdown").hidden ? "on" : "off";
}

function renderWall() {
  renderHall();
  const rows = [...app.rows.values()].sort((a, b) => a.number - b.number);
  const compact = rows.length > 16;
  // Beside the hall's column the tiles are a size smaller (screens).
  $("#wall").dataset.size = size($("#playing").dataset.hall === "on" ? Math.max(rows.length, 7) : rows.length);
  $("#wall-key").replaceChildren(...[yearsKey(compact)].filter(Boolean));
  $("#wall").replaceChildren(
    ...rows.map((row) =>
      h(
        "li",
        { class: "wall-tile", dataset: { table: row.table_id, phase: row.phase, forlig: row.forlig ? "yes" : "no" } },
        h("p", { class: "table-name" }, row.name),
        h("p", { class: "phase" }, compact ? shortPhase(row) : phaseText(row), " ", h("span", { dataset: { timer: "" } }, timerText(row))),
        compact ? null : h("p", { class: "seated" }, ngettext("%(n)s seated", "%(n)s seated", row.seated)),
        cells(row.result, row.reached, compact),
      ),
    ),
  );
}

function headline(rows) {
  const withForlig = rows.filter((r) => r.forlig).length;
  const reached = rows.filter((r) => r.reached && r.reached[0]).length;
  const rounds = rows.filter((r) => r.phase === "round").map((r) => r.round);
  const parts = [];
  if (rounds.length) parts.push(_("Round %(n)s", { n: Math.max(...rounds) }));
  parts.push(ngettext("%(n)s of %(total)s table has a forlig", "%(n)s of %(total)s tables have a forlig", rows.length, { n: withForlig, total: rows.length }));
  parts.push(_("%(n)s reach the target in %(year)s", { n: reached, year: app.info.years[0] }));
  return parts.join(" · ");
}

// ---- results wall ------------------------------------------------------------------------------------

async function loadResults() {
  const key = [...app.rows.values()].map((r) => `${r.table_id}:${r.seq}`).join(",");
  if (key === app.debriefKey) return;
  app.debriefKey = key;
  const result = await call("GET", conferenceUrl(conferenceId, "/debrief"), app.token);
  if (!result.ok) return;
  app.debrief = result.data.debrief;
  renderResults();
}

function renderResults() {
  const d = app.debrief;
  if (!d) return;
  const total = d.tables.length;
  const rolled = d.reached[0].rolled;
  const counts = h(
    "ul",
    { class: "result-counts" },
    d.reached.map((y) =>
      h(
        "li",
        null,
        h("span", { class: "figure" }, `${rolled ? y.realised : y.reached}/${total}`),
        h("span", { class: "what" }, _("reached the target in %(year)s", { year: y.label })),
        rolled ? h("span", { class: "planned" }, _("%(n)s as planned", { n: y.reached })) : null,
      ),
    ),
  );
  const compact = total > 16;
  const tiles = h(
    "ul",
    { class: "wall results-wall", dataset: { size: size(total) } },
    d.tables.map((t) =>
      h(
        "li",
        { class: `wall-tile ${t.verdict_reached ? "won" : "lost"}`, dataset: { table: t.table_id } },
        h("p", { class: "table-name" }, t.name),
        h("p", { class: "wall-verdict" }, t.forlig ? (t.verdict_reached ? _("The target is reached") : _("The target is not reached")) : _("No forlig")),
        t.forlig ? cells(t.realised_result || t.result, t.realised_reached || t.reached, compact) : null,
        t.forlig && !compact ? h("p", { class: "seated" }, _("Chance of reaching the target every year: %(p)s", { p: percent(t.probability_all_years) })) : null,
      ),
    ),
  );
  const top = [...d.heatmap.rows].filter((r) => r.chosen).sort((a, b) => b.chosen - a.chosen).slice(0, 5);
  const popular = top.length
    ? h(
        "p",
        { class: "popular" },
        h("strong", null, _("Chosen most often:")),
        " ",
        top.map((r) => `${r.card} (${r.chosen})`).join(" · "),
      )
    : null;
  $("#results-body").replaceChildren(
    h("p", { class: "lead" }, rolled ? _("After the reality check") : _("As planned")),
    counts,
    popular,
    yearsKey(compact),
    tiles,
  );
}

// ---- stages -------------------------------------------------------------------------------------------

function render() {
  const rows = [...app.rows.values()];
  const now = stage(rows);
  root.dataset.stage = now;
  // The game has ended: an announcement made during it ("Fem minutter tilbage") is no longer true.
  const over = now === "results" || gameOver(rows);
  if (over && !app.over) $("#hall-announcement").hidden = true;
  app.over = over;
  $("#lobby").hidden = now !== "lobby";
  $("#playing").hidden = now !== "playing";
  $("#results").hidden = now !== "results";
  if (now === "lobby") {
    setText($("#headline"), _("Find your table"));
    renderLobby();
  } else if (now === "playing") {
    setText($("#headline"), headline(rows));
    renderWall();
  } else {
    setText($("#headline"), _("The tables' results"));
    loadResults();
  }
  document.body.dataset.ready = "true";
}

let frame = 0;
function onRows(rows) {
  for (const row of rows) app.rows.set(row.table_id, row);
  if (!frame) {
    frame = requestAnimationFrame(() => {
      frame = 0;
      render();
    });
  }
}

async function main() {
  const found = pageToken(conferenceId, ["projector", "facilitator"]);
  await loadCatalog(document.body.dataset.catalogUrl).catch(() => {});
  const info = found ? await call("GET", conferenceUrl(conferenceId), found.token) : null;
  if (!info || !info.ok) {
    $("#no-token").hidden = false;
    document.body.dataset.ready = "true";
    return;
  }
  app.token = found.token;
  app.info = info.data;
  setText($("#conf-name"), app.info.name);
  setText($("#join-host"), `${app.info.join_base.replace(/^https?:\/\//, "")}/join`);
  document.title = `${app.info.name} · Råderum`;
  await loadEvents(app.info); // the event cards' texts and effects
  new LiveOverview({ conferenceId, token: app.token, onRows, onStatus: () => {} }).start();
  followAnnouncements(app.info, app.token, $("#hall-announcement"));
  setInterval(() => {
    if (root.dataset.stage !== "playing") return;
    nextEventCard(); // different cards at different tables take turns
    renderHall();
  }, PAGE_SECONDS * 1000);
  setInterval(() => {
    if (root.dataset.stage !== "lobby" || app.info.tables.length <= PAGE) return;
    app.page += 1;
    renderLobby();
  }, PAGE_SECONDS * 1000);
  setInterval(() => {
    const now = Date.now();
    for (const el of document.querySelectorAll("[data-timer]")) {
      const row = app.rows.get(el.closest("[data-table]").dataset.table);
      if (row) setText(el, timerText(row, now));
    }
    if (root.dataset.stage === "playing") renderCountdown($("#hall-countdown"), app.rows);
  }, 1000);
  window.raaderumProjector = app;
  app.renderHall = renderHall; // the browser tests draw every event card in turn
}

main();
