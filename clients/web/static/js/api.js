// The HTTP calls the pages make: all to this origin, with the seat's token in a header.
import { lang } from "./i18n.js";

async function call(method, url, token, body) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    return { ok: false, status: 0, code: "network", message: "" };
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.ok) return { ok: true, status: response.status, data };
  const detail = (data && data.detail) || {};
  return {
    ok: false,
    status: response.status,
    code: detail.code || `http.${response.status}`,
    message: detail.message || "",
    details: detail.details || {},
  };
}

export function join(code, name, party = null) {
  return call("POST", "/api/join", null, party ? { code, name, party } : { code, name });
}

/** Byråd mode: the parties a member may pick at join, with their free mandates (empty at other tables). */
export function joinParties(code) {
  return call("GET", `/api/join/${encodeURIComponent(code)}/parties`, null);
}

/** Continue in the seat of this name on this device, with its seat code (server/api/seats.py). */
export function claimSeat(code, name, seatCode) {
  return call("POST", "/api/join/claim", null, { code, name, seat_code: seatCode });
}

/** The player's own seat code, for their screen. */
export function ownSeat(tableId, token) {
  return call("GET", `/api/tables/${encodeURIComponent(tableId)}/seat`, token);
}

export function meter(tableId, token, cards) {
  return call("POST", `/api/tables/${encodeURIComponent(tableId)}/meter?lang=${lang}`, token, { cards });
}

/** The engine's cards that cannot go into an empty portfolio now, and why (the meter's why.blocked once a card is picked). */
export function blocked(tableId, token) {
  return call("GET", `/api/tables/${encodeURIComponent(tableId)}/blocked`, token);
}

export function debrief(tableId, token) {
  return call("GET", `/api/tables/${encodeURIComponent(tableId)}/debrief`, token);
}

export function followMove(tableId, token) {
  return call("POST", `/api/tables/${encodeURIComponent(tableId)}/follow-move`, token);
}
