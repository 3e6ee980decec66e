// The control room: the grid of all tables (live over /ws/conferences/{id}), actions for every table, and
// one table opened in the side panel (drill.js). The token comes from the secret link's fragment.
import { $, h, setText } from "../js/dom.js";
import { _, loadCatalog, ngettext } from "../js/i18n.js";
import { mio, number, short } from "../js/format.js";
import { ruleName } from "../js/deck.js";
import { fieldValue, wireNumberFields } from "../js/numberfield.js";
import { confirmAction } from "../js/confirm.js";
import { TableDrill } from "./drill.js";
import { tableLinks } from "./tablelinks.js";
import {
  LiveOverview,
  action,
  ago,
  call,
  conferenceUrl,
  flagShort,
  flagText,
  localWarning,
  pageToken,
  phaseText,
  secretLink,
  timerText,
} from "./common.js";

const root = $("#app");
const conferenceId = root.dataset.conference;
const fresh = /[#&]new=1/.test(location.hash);
const tiles = new Map(); // table id -> {li, row}
const app = { conferenceId, token: null, info: null, rows: new Map() };

// ---- the grid ------------------------------------------------------------------------------------

function yearCells(row) {
  const labels = app.info ? app.info.years : ["", "", "", ""];
  return labels.map((label, i) => {
    const value = row.result ? row.result[i] : null;
    // Whether a year is reached comes with the row (engine/monitor.py), never recomputed here.
    const state = value === null ? "none" : row.reached[i] ? "ok" : "short";
    return h(
      "li",
      { class: state, title: label },
      h("span", { class: "year" }, label),
      h("span", { class: "value" }, value === null ? "–" : short(value, { sign: true })),
    );
  });
}

function tile(row) {
  const li = h("li", { class: "tile", dataset: { table: row.table_id } });
  fillTile(li, row);
  return li;
}

function fillTile(li, row) {
  li.dataset.phase = row.phase;
  li.dataset.flags = row.flags.join(" ");
  li.dataset.forlig = row.forlig ? "yes" : "no";
  li.replaceChildren(
    h(
      "header",
      null,
      h(
        "h3",
        null,
        h("button", { type: "button", class: "tile-open", onclick: () => openTable(row.table_id) }, row.name),
      ),
      h("span", { class: "code", title: _("Join code") }, row.join_code),
    ),
    h("p", { class: "phase" }, h("span", null, phaseText(row)), " ", h("span", { class: "timer", dataset: { timer: "" } }, timerText(row))),
    h(
      "p",
      { class: "people" },
      ngettext("%(n)s seated", "%(n)s seated", row.seated),
      " · ",
      h("span", { class: row.online < row.seated ? "some-offline" : null }, _("%(n)s online", { n: row.online })),
    ),
    h(
      "div",
      { class: "forlig" },
      h("span", { class: "label" }, row.forlig ? _("Forlig %(id)s", { id: row.forlig }) : _("No forlig yet")),
      h("ul", { class: "years mini", "aria-label": _("Result against the target per year") }, yearCells(row)),
    ),
    h(
      "p",
      { class: "meta" },
      ngettext("%(n)s proposal open", "%(n)s proposals open", row.proposals_open),
      " · ",
      h("span", { dataset: { ago: "" } }, ago(row.last_activity)),
    ),
    h(
      "ul",
      { class: "flags", hidden: !row.flags.length },
      row.flags.map((flag) => h("li", { class: `flag flag-${flag}`, title: flagText(flag) }, flagShort(flag))),
    ),
    tableLinks(app, row.table_id, row.name, row.phase), // issue 14: its debrief, projector view, replay and log
  );
}

let queued = new Map();
let frame = 0;
function onRows(rows, all) {
  if (all) queued = new Map();
  for (const row of rows) queued.set(row.table_id, row);
  if (!frame) frame = requestAnimationFrame(flush); // many updates in one frame become one DOM pass
}

function flush() {
  frame = 0;
  const grid = $("#grid");
  for (const row of queued.values()) {
    app.rows.set(row.table_id, row);
    const known = tiles.get(row.table_id);
    if (known) fillTile(known.li, row);
    else {
      const li = tile(row);
      tiles.set(row.table_id, { li, row });
      grid.append(li);
    }
    tiles.get(row.table_id).row = row;
  }
  queued = new Map();
  const ordered = [...tiles.values()].sort((a, b) => a.row.number - b.row.number);
  if (ordered.some((t, i) => grid.children[i] !== t.li)) grid.append(...ordered.map((t) => t.li));
  renderSummary();
  if (app.drill) app.drill.rowChanged(app.rows.get(app.drill.tableId));
  document.body.dataset.ready = "true";
}

function renderSummary() {
  const rows = [...app.rows.values()];
  const sum = (f) => rows.reduce((n, r) => n + f(r), 0);
  const flagged = sum((r) => (r.flags.length ? 1 : 0));
  setText(
    $("#summary"),
    [
      ngettext("%(n)s table", "%(n)s tables", rows.length),
      ngettext("%(n)s seated", "%(n)s seated", sum((r) => r.seated)),
      _("%(n)s online", { n: sum((r) => r.online) }),
      _("%(n)s with a forlig", { n: sum((r) => (r.forlig ? 1 : 0)) }),
      flagged ? ngettext("%(n)s table needs a look", "%(n)s tables need a look", flagged) : _("no flags"),
    ].join(" · "),
  );
}

function tickClocks() {
  const now = Date.now();
  for (const { li, row } of tiles.values()) {
    const timer = li.querySelector("[data-timer]");
    if (timer) setText(timer, timerText(row, now));
    const when = li.querySelector("[data-ago]");
    if (when) setText(when, ago(row.last_activity, now));
  }
}

// ---- actions -------------------------------------------------------------------------------------

function describe(result, name) {
  if (!result.ok) return result.message || result.code;
  const results = result.data.results;
  const good = results.filter((r) => r.ok).length;
  const refused = results.filter((r) => !r.ok);
  const tableName = (id) => (app.rows.get(id) || {}).name || id;
  const head = ngettext("%(action)s: done at %(good)s of %(all)s table.", "%(action)s: done at %(good)s of %(all)s tables.", results.length, {
    action: name,
    good,
    all: results.length,
  });
  if (!refused.length) return head;
  const reasons = new Map();
  for (const r of refused) reasons.set(r.message || r.code, [...(reasons.get(r.message || r.code) || []), tableName(r.table_id)]);
  return `${head} ${[...reasons].map(([why, names]) => `${names.join(", ")}: ${why}`).join(" ")}`;
}

export async function runAction(body, label) {
  const out = $("#action-result");
  out.dataset.state = "busy";
  setText(out, _("%(action)s …", { action: label }));
  const result = await action(conferenceId, app.token, body);
  out.dataset.state = result.ok && result.data.results.every((r) => r.ok) ? "ok" : "partial";
  setText(out, describe(result, label));
  return result;
}
app.runAction = runAction;

// screens: what each action with consequences will do, said before it is done (js/confirm.js).
function count(test) {
  return [...app.rows.values()].filter(test).length;
}

const CONFIRM = {
  end_game: () => {
    const playing = count((r) => !["reality_check", "debrief"].includes(r.phase));
    const without = count((r) => !r.forlig && !["reality_check", "debrief"].includes(r.phase));
    return {
      title: _("End the game at every table?"),
      consequences: [
        ngettext("%(n)s table goes to the reality check:", "%(n)s tables go to the reality check:", playing),
        _("the dice are rolled for the forlig's cards, and no more proposals or votes can be made."),
        without ? ngettext("%(n)s table has no forlig and ends without one.", "%(n)s tables have no forlig and end without one.", without) : null,
        _("This cannot be undone."),
      ],
      confirm: _("End the game"),
    };
  },
  next_round: () => ({
    title: _("Start the next round at every table?"),
    consequences: [
      _("Rounds still open are ended first: their open proposals are closed without being adopted."),
      ngettext("%(n)s table has a round open.", "%(n)s tables have a round open.", count((r) => r.phase === "round")),
    ],
    confirm: _("Start the next round"),
    danger: false,
  }),
  end_round: () => ({
    title: _("End the open round at every table?"),
    consequences: [
      ngettext("%(n)s table has a round open.", "%(n)s tables have a round open.", count((r) => r.phase === "round")),
      _("Their open proposals are closed without being adopted, and nobody can propose or vote until you start the next round."),
    ],
    confirm: _("End the round"),
  }),
};
app.confirmAction = confirmAction; // drill.js asks the same way

function wireActions() {
  for (const button of document.querySelectorAll(".global-actions [data-action]")) {
    button.addEventListener("click", async () => {
      const name = button.dataset.action;
      const question = CONFIRM[name];
      if (question && !(await confirmAction(question()))) return;
      const body = { action: name };
      if (button.dataset.seconds) body.seconds = Number(button.dataset.seconds);
      runAction(body, button.textContent.trim());
    });
  }
  $("#timer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const minutes = fieldValue($("#timer-minutes"));
    if (!(minutes > 0)) return setText($("#action-result"), _("The timer needs a number of minutes, e.g. 15 or 7,5."));
    runAction({ action: "set_deadline", seconds: Math.round(minutes * 60) }, _("Set the timer"));
  });
  $("#announce-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("#announce-text");
    const text = input.value.trim();
    if (!text) return;
    const result = await runAction({ action: "announce", text }, _("Announce"));
    if (result.ok) input.value = "";
  });
  $("#open-projector").addEventListener("click", async () => {
    const result = await call("POST", conferenceUrl(conferenceId, "/projector-token"), app.token);
    if (!result.ok) return setText($("#action-result"), result.message || result.code);
    window.open(secretLink(conferenceId, result.data.token, "projector"), "_blank", "noopener");
  });
  // Issue 14: the projector's "Tag dialogen" screen, with a projector token in the link's fragment.
  $("#open-dialogue").addEventListener("click", async () => {
    const opened = window.open("about:blank", "_blank");
    if (opened) opened.opener = null;
    const result = await call("POST", conferenceUrl(conferenceId, "/projector-token"), app.token);
    if (!result.ok) {
      if (opened) opened.close();
      return setText($("#action-result"), result.message || result.code);
    }
    const url = `/projector/${encodeURIComponent(conferenceId)}/dialogue#token=${encodeURIComponent(result.data.token)}`;
    if (opened) opened.location.href = url;
    else location.assign(url);
  });
  $("#delete-conference").addEventListener("click", async () => {
    const sure = await confirmAction({
      title: _("Delete the conference and all its data?"),
      consequences: [
        ngettext(
          "The log of %(n)s table is deleted: names, chat, proposals and results.",
          "The logs of %(n)s tables are deleted: names, chat, proposals and results.",
          app.rows.size,
        ),
        _("The join codes, the projector and this control room stop working. Download the debrief first if you want to keep it."),
        _("This cannot be undone."),
      ],
      confirm: _("Delete everything"),
    });
    if (!sure) return;
    const result = await call("DELETE", conferenceUrl(conferenceId), app.token);
    if (result.ok) location.replace("/conference/new");
    else setText($("#action-result"), result.message || result.code);
  });
}

// ---- the conference's setup (screens) ----------------------------------------------------------

/** What the tables were set up with, as the server read it: a target typed "12,5" shows "12,5 mio. kr.". */
function showSetup(info) {
  const [budgetYear, ...later] = info.target;
  $("#setup-target").replaceChildren(
    h("strong", null, `${info.years[0]}: ${mio(budgetYear)}`),
    h("span", { class: "later" }, info.years.slice(1).map((year, i) => `${year}: ${mio(later[i])}`).join(" · ")),
  );
  setText($("#setup-rule"), ruleName(info.rule));
  setText($("#setup-rounds"), String(info.rounds));
  const minutes = (info.round_seconds || 0) / 60;
  const shown = number(minutes, Number.isInteger(minutes) ? 0 : 1);
  setText($("#setup-length"), info.round_seconds ? _("%(minutes)s min.", { minutes: shown }) : _("no timer"));
  // Byråd mode (docs/conferences.md, "Byråd"): the parties' mandates, and whether anyone holds a role.
  const byraad = info.byraad;
  if (byraad) {
    const mandates = byraad.parties.reduce((sum, party) => sum + party.mandates, 0);
    setText(
      $("#setup-byraad"),
      [
        mandates ? _("%(mandates)s mandates, %(parties)s parties", { mandates, parties: byraad.parties.length }) : _("one vote each"),
        byraad.roles === "themselves" ? _("everyone as themselves") : _("roles dealt or given by hand"),
      ].join(" · "),
    );
    $("#setup-byraad-row").hidden = false;
  }
  // The timer field starts at the conference's round length, not at a number of its own.
  if (info.round_seconds) $("#timer-minutes").value = shown;
  $("#conf-setup").hidden = false;
}

// ---- one table -----------------------------------------------------------------------------------

function openTable(tableId) {
  if (app.drill) app.drill.close();
  app.drill = new TableDrill(app, tableId, $("#drill"));
  app.drill.open();
}

// ---- start ---------------------------------------------------------------------------------------

function showStatus(status) {
  const el = $("#conn");
  el.dataset.state = status;
  setText(
    el,
    {
      connecting: _("Connecting …"),
      online: _("Live"),
      reconnecting: _("Reconnecting …"),
      refused: _("No access"),
    }[status] || status,
  );
}

async function main() {
  const found = pageToken(conferenceId, ["facilitator"]);
  await loadCatalog(document.body.dataset.catalogUrl).catch(() => {});
  if (!found) {
    $("#no-token").hidden = false;
    showStatus("refused");
    document.body.dataset.ready = "true";
    return;
  }
  app.token = found.token;
  const secret = $("#secret");
  $("#secret-link").value = secretLink(conferenceId, app.token);
  secret.hidden = false;
  secret.open = fresh;
  $("#copy-secret").addEventListener("click", async () => {
    $("#secret-link").select();
    try {
      await navigator.clipboard.writeText($("#secret-link").value);
    } catch {
      document.execCommand("copy");
    }
  });
  const info = await call("GET", conferenceUrl(conferenceId), app.token);
  if (!info.ok) {
    $("#no-token").hidden = false;
    setText($("#no-token"), info.message || info.code);
    showStatus("refused");
    document.body.dataset.ready = "true";
    return;
  }
  app.info = info.data;
  localWarning($("#local-warning"), app.info.join_base);
  setText($("#conf-name"), app.info.name);
  showSetup(app.info);
  document.title = `${app.info.name} · ${_("Control room")} · Råderum`;
  wireActions();
  wireNumberFields($("#timer-form"));
  $("#drill-close").addEventListener("click", () => app.drill && app.drill.close());
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && app.drill) app.drill.close();
  });
  app.live = new LiveOverview({ conferenceId, token: app.token, onRows, onStatus: showStatus });
  app.live.start();
  setInterval(tickClocks, 1000);
  window.raaderumControl = app; // for the browser tests and the curious
}

main();
