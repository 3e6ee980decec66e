// One table's debrief, projector view, replay and log, from the control room's tile and its drill-down
// (issue 14). The facilitator's token opens a table's debrief at any time: the debrief page finds it in this
// browser's storage by the table's conference; the projector gets a projector token in the link's fragment
// (never sent to the server, taken out of the address bar), so it sees every player as "Spiller N".
import { h } from "../js/dom.js";
import { _ } from "../js/i18n.js";
import { downloadLog } from "../replay/download.js";
import { call, conferenceUrl } from "./common.js";

const tableUrl = (tableId, tail) => `/table/${encodeURIComponent(tableId)}${tail}`;

/** A window opened by the click itself (a popup blocker allows that), pointed at its address once known. */
function openLater() {
  const opened = window.open("about:blank", "_blank");
  if (opened) opened.opener = null;
  return opened;
}

function report(app, message) {
  const out = document.getElementById("action-result");
  if (out) out.textContent = message;
}

/** Open the table's debrief on the projector: a projector token in the fragment, anonymised names. */
export async function projectDebrief(app, tableId) {
  const opened = openLater();
  const result = await call("POST", conferenceUrl(app.conferenceId, "/projector-token"), app.token);
  if (!result.ok) {
    if (opened) opened.close();
    return report(app, result.message || result.code);
  }
  const url = `${tableUrl(tableId, "/debrief")}#token=${encodeURIComponent(result.data.token)}`;
  if (opened) opened.location.href = url;
  else window.location.assign(url);
}

/** The table's log as a read-only replay: exported with the facilitator's token, imported, opened. */
export async function openReplay(app, tableId) {
  const opened = openLater();
  const headers = { Authorization: `Bearer ${app.token}` };
  try {
    const log = await fetch(`/api/tables/${encodeURIComponent(tableId)}/export`, { headers });
    if (!log.ok) throw new Error((await log.json().catch(() => ({}))).detail?.message || String(log.status));
    const imported = await fetch("/api/replays", { method: "POST", headers: { ...headers, "Content-Type": "application/x-ndjson" }, body: await log.blob() });
    const body = await imported.json().catch(() => ({}));
    if (!imported.ok) throw new Error(body.detail?.message || String(imported.status));
    const url = body.replays[0].url;
    if (opened) opened.location.href = url;
    else window.location.assign(url);
  } catch (error) {
    if (opened) opened.close();
    report(app, _("The replay could not be opened: %(why)s", { why: error.message }));
  }
}

export async function downloadTableLog(app, tableId) {
  try {
    const name = await downloadLog(`/api/tables/${encodeURIComponent(tableId)}/export`, app.token);
    report(app, _("Downloaded %(name)s.", { name }));
  } catch (error) {
    report(app, _("The log could not be downloaded: %(why)s", { why: error.message }));
  }
}

/** The four buttons for one table; `name` makes their accessible names unique in the grid. While the table is
 * in the lobby nothing has been played, so there is no debrief to open or project and no game to replay: those
 * three wait until it starts. The log stays: it already holds who joined and took which seat, which is what a
 * facilitator asks about while people are still sitting down. */
export function tableLinks(app, tableId, name, phase) {
  const label = (text) => `${text}: ${name}`;
  const waiting = phase === "lobby";
  return h(
    "div",
    { class: "table-links", role: "group", "aria-label": _("%(table)s: debrief, replay and log", { table: name }) },
    h(
      "a",
      { class: "button secondary", href: tableUrl(tableId, "/debrief"), target: "_blank", rel: "noopener", "aria-label": label(_("Debrief")), dataset: { link: "debrief" }, hidden: waiting },
      _("Debrief"),
    ),
    h(
      "button",
      { type: "button", class: "secondary", "aria-label": label(_("Project the debrief")), dataset: { link: "project" }, hidden: waiting, onclick: () => projectDebrief(app, tableId) },
      _("Project"),
    ),
    h(
      "button",
      { type: "button", class: "secondary", "aria-label": label(_("Replay")), dataset: { link: "replay" }, hidden: waiting, onclick: () => openReplay(app, tableId) },
      _("Replay"),
    ),
    h(
      "button",
      { type: "button", class: "secondary", "aria-label": label(_("Download the log")), dataset: { link: "log" }, onclick: () => downloadTableLog(app, tableId) },
      _("Log"),
    ),
  );
}
