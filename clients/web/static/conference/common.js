// Shared by the conference pages: the secret link's token, the conference API, the live overview socket,
// and the words for phases and flags. Tokens never go into a URL the server sees: the secret link carries
// the token in the fragment (#token=…), which the page moves to localStorage and takes out of the address bar.
import { h } from "../js/dom.js";
import { _, lang } from "../js/i18n.js";
import { clock } from "../js/format.js";

const KEYS = { facilitator: "raaderum:conference:", projector: "raaderum:projector:" };

function randomId() {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromFragment() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  return match ? decodeURIComponent(match[1]) : null;
}

function tokenKind(token) {
  try {
    const payload = token.split(".")[0].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload + "===".slice((payload.length + 3) % 4))).role;
  } catch {
    return null;
  }
}

export function storeToken(conferenceId, kind, token) {
  try {
    localStorage.setItem(KEYS[kind] + conferenceId, token);
  } catch {
    /* private mode: the token lives as long as the page */
  }
}

export function storedToken(conferenceId, kind) {
  try {
    return localStorage.getItem(KEYS[kind] + conferenceId);
  } catch {
    return null;
  }
}

/**
 * The token for this page: from the fragment (then stored and removed from the address bar), else stored.
 * `kinds` lists the roles the page accepts, best first (the facilitator's pages also take nothing else).
 */
export function pageToken(conferenceId, kinds) {
  const given = fromFragment();
  if (given) {
    const kind = tokenKind(given);
    if (kinds.includes(kind)) storeToken(conferenceId, kind, given);
    history.replaceState(null, "", location.pathname + location.search);
    if (kinds.includes(kind)) return { token: given, kind };
  }
  for (const kind of kinds) {
    const token = storedToken(conferenceId, kind);
    if (token) return { token, kind };
  }
  return null;
}

export function secretLink(conferenceId, token, page = "control") {
  return `${location.origin}/${page}/${encodeURIComponent(conferenceId)}#token=${encodeURIComponent(token)}`;
}

// ---- HTTP ----------------------------------------------------------------------------------------

export async function call(method, url, token, body) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    return { ok: false, status: 0, code: "network", message: _("The server cannot be reached.") };
  }
  let data = null;
  try {
    data = response.status === 204 ? null : await response.json();
  } catch {
    data = null;
  }
  if (response.ok) return { ok: true, status: response.status, data };
  const detail = (data && data.detail) || {};
  return {
    ok: false,
    status: response.status,
    code: detail.code || `http.${response.status}`,
    message: detail.message || (Array.isArray(detail) ? detail.map((d) => d.msg).join("; ") : ""),
  };
}

export const conferenceUrl = (id, rest = "") => `/api/conferences/${encodeURIComponent(id)}${rest}`;

/** A facilitator action; sent again with the same action id when the network failed, so it applies once. */
export async function action(conferenceId, token, body) {
  const request = { ...body, action_id: randomId() };
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const result = await call("POST", `${conferenceUrl(conferenceId, "/actions")}?lang=${lang}`, token, request);
    if (result.ok || result.status !== 0) return result;
    await new Promise((resolve) => setTimeout(resolve, 800 * (attempt + 1)));
  }
  return { ok: false, status: 0, code: "network", message: _("The server cannot be reached.") };
}

/** Fetch a download with the token in a header and save it under the server's file name. */
export async function download(url, token) {
  const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(String(response.status));
  const disposition = response.headers.get("Content-Disposition") || "";
  const name = (/filename="([^"]+)"/.exec(disposition) || [])[1] || "raaderum";
  const blob = await response.blob();
  const link = h("a", { href: URL.createObjectURL(blob), download: name, hidden: true });
  document.body.append(link);
  link.click();
  setTimeout(() => {
    URL.revokeObjectURL(link.href);
    link.remove();
  }, 1000);
}

// ---- the live overview ---------------------------------------------------------------------------

const BACKOFF = [500, 1000, 2000, 4000, 8000];

/** `/ws/conferences/{id}`: the whole grid once, then changed rows. Reconnects by itself. */
export class LiveOverview {
  constructor({ conferenceId, token, onRows, onStatus }) {
    Object.assign(this, { conferenceId, token, onRows, onStatus });
    this.rows = new Map();
    this.attempt = 0;
    this.stopped = false;
    this.lastHeard = 0;
    setInterval(() => {
      // Nothing for a minute (the server sends a heartbeat every 25 s): the connection is gone.
      if (this.ws && Date.now() - this.lastHeard > 60000) this.ws.close();
    }, 5000);
  }

  start() {
    if (this.stopped) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/ws/conferences/${encodeURIComponent(this.conferenceId)}`);
    this.ws = ws;
    this.onStatus("connecting");
    ws.onopen = () => {
      this.lastHeard = Date.now();
      ws.send(JSON.stringify({ type: "hello", token: this.token, lang }));
    };
    ws.onmessage = (message) => {
      this.lastHeard = Date.now();
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      if (frame.type === "overview") {
        this.attempt = 0;
        this.rows = new Map(frame.tables.map((row) => [row.table_id, row]));
        this.onStatus("online");
        this.onRows([...this.rows.values()], true);
      } else if (frame.type === "tables") {
        for (const row of frame.tables) this.rows.set(row.table_id, row);
        this.onRows(frame.tables, false);
      } else if (frame.type === "error" && ["auth.not_conference", "auth.invalid_token", "conference.unknown"].includes(frame.code)) {
        this.stopped = true;
        this.onStatus("refused", frame.code);
      }
    };
    ws.onclose = (event) => {
      if (ws !== this.ws) return;
      this.ws = null;
      if (this.stopped || [4000, 4001, 4004].includes(event.code)) {
        this.stopped = true;
        this.onStatus("refused");
        return;
      }
      this.onStatus("reconnecting");
      const delay = BACKOFF[Math.min(this.attempt, BACKOFF.length - 1)] * (0.75 + Math.random() * 0.5);
      this.attempt += 1;
      setTimeout(() => this.start(), delay);
    };
  }
}

// ---- words -----------------------------------------------------------------------------------------

export function phaseText(row) {
  if (row.phase === "lobby") return _("In the lobby");
  if (row.phase === "round") {
    const round = row.rounds_total
      ? _("Round %(n)s of %(total)s", { n: row.round, total: row.rounds_total })
      : _("Round %(n)s", { n: row.round });
    return row.paused ? `${round} · ${_("paused")}` : round;
  }
  if (row.phase === "round_ended") return _("Round %(n)s is over", { n: row.round });
  if (row.phase === "reality_check") return _("Reality check");
  if (row.phase === "debrief") return _("Debrief");
  return row.phase;
}

export function timerText(row, now = Date.now()) {
  if (row.phase !== "round") return "";
  if (row.paused) return row.remaining === null ? "" : clock(row.remaining);
  if (!row.deadline) return "";
  return clock((Date.parse(row.deadline) - now) / 1000);
}

export function flagText(flag) {
  return (
    {
      stalled: _("Stalled: nothing has happened for 5 minutes"),
      no_forlig_near_deadline: _("No forlig and the deadline is near"),
      offline: _("Players offline"),
    }[flag] || flag
  );
}

export function flagShort(flag) {
  return { stalled: _("Stalled"), no_forlig_near_deadline: _("No forlig"), offline: _("Offline") }[flag] || flag;
}

export function ago(iso, now = Date.now()) {
  if (!iso) return "–";
  const seconds = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (seconds < 60) return _("just now");
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return _("%(n)s min. ago", { n: minutes });
  return _("%(n)s h ago", { n: Math.floor(minutes / 60) });
}

/** "lobby" while every table waits, "results" once every table has ended, else "playing". */
export function stage(rows) {
  if (!rows.length) return "lobby";
  if (rows.every((row) => row.phase === "lobby")) return "lobby";
  if (rows.every((row) => row.phase === "reality_check" || row.phase === "debrief")) return "results";
  return "playing";
}

export function langSwitch(path, otherLang) {
  return h("a", { class: "lang-switch", href: `${path}?lang=${otherLang}`, lang: otherLang, hreflang: otherLang }, otherLang === "en" ? "English" : "Dansk");
}

/** A join link phones cannot open: the server was reached as localhost (set RAADERUM_PUBLIC_URL). */
export function localOnly(base) {
  try {
    const host = new URL(base).hostname;
    return /^(localhost|127\.|0\.0\.0\.0$|\[?::1\]?$)/.test(host) ? host : null;
  } catch {
    return null;
  }
}

export function localWarning(el, base) {
  const host = localOnly(base);
  if (!host) return;
  el.textContent = _(
    "Phones cannot reach this address (%(host)s). Open the control room by the computer's network address, or set RAADERUM_PUBLIC_URL, before you print the sheets or show the QR codes.",
    { host },
  );
  el.hidden = false;
}
