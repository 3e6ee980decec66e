// The seats this device holds: table id -> {token, player_id, name, code}. Kept in localStorage, never in a URL.

const KEY = "raaderum:seats";
let memory = {};

function read() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || "{}") || {};
  } catch {
    return memory;
  }
}

function write(all) {
  memory = all;
  try {
    localStorage.setItem(KEY, JSON.stringify(all));
  } catch {
    /* private mode: the seat lasts as long as the page */
  }
}

export function allSeats() {
  return Object.values(read()).sort((a, b) => (b.at || 0) - (a.at || 0));
}

export function getSeat(tableId) {
  return read()[tableId] || null;
}

export function seatForCode(code) {
  const wanted = normaliseCode(code);
  return allSeats().find((seat) => seat.code === wanted) || null;
}

export function saveSeat(seat) {
  const all = read();
  all[seat.table_id] = { ...seat, code: normaliseCode(seat.code || ""), at: Date.now() };
  write(all);
}

export function dropSeat(tableId) {
  const all = read();
  delete all[tableId];
  write(all);
}

export function normaliseCode(code) {
  return code.trim().toUpperCase().replace(/[\s-]/g, "");
}

/** Drafts (the composer's text, the builder's cards) survive a reload or a sleeping phone. */
export function loadDraft(tableId, what, fallback) {
  try {
    const value = localStorage.getItem(`raaderum:draft:${tableId}:${what}`);
    return value === null ? fallback : JSON.parse(value);
  } catch {
    return fallback;
  }
}

export function saveDraft(tableId, what, value) {
  try {
    localStorage.setItem(`raaderum:draft:${tableId}:${what}`, JSON.stringify(value));
  } catch {
    /* ignore */
  }
}
