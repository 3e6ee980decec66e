// The table page: wires the connection, the state and the panels together.
import { $, h, setText } from "./dom.js";
import { _, lang, loadCatalog } from "./i18n.js";
import { clock, mio } from "./format.js";
import { yearStrip } from "./views.js";
import { loadDeck, years } from "./deck.js";
import { applyEvent, applyPresence, applySnapshot, emptyState } from "./state.js";
import { Connection } from "./connection.js";
import { dropSeat, getSeat, saveSeat } from "./seats.js";
import * as api from "./api.js";
import { Stream, announceText } from "./stream.js";
import { Composer } from "./composer.js";
import { Builder } from "./builder.js";
import { renderPeople } from "./people.js";
import { abilityForm, eventAbilityNow } from "./abilities.js";
import { openCard } from "./carddetail.js";

const root = document.getElementById("app");
const tableId = root.dataset.table;
const seat = getSeat(tableId);
const state = emptyState();
const TABS = ["chat", "builder", "people"];

const app = {
  state,
  tableId,
  token: seat ? seat.token : null,
  debriefUrl: `/table/${encodeURIComponent(tableId)}/debrief`,
  meters: new Map(),
  meterKey(cards) {
    return `${cards.join(",")}|${state.eventCards.join(",")}`;
  },
  meterFor(cards) {
    const key = app.meterKey(cards);
    if (!app.meters.has(key)) {
      const request = api.meter(tableId, app.token, cards).then((result) => {
        if (!result.ok && (result.status === 0 || result.status >= 500)) app.meters.delete(key);
        return result;
      });
      app.meters.set(key, request);
    }
    return app.meters.get(key);
  },
  /** The engine's cards that cannot go into an empty portfolio under the events so far, asked once per set of events. */
  blockedFor() {
    const key = `blocked|${state.eventCards.join(",")}`;
    if (!app.meters.has(key)) {
      const request = api.blocked(tableId, app.token).then((result) => {
        if (!result.ok) app.meters.delete(key);
        return result;
      });
      app.meters.set(key, request);
    }
    return app.meters.get(key);
  },
  openCard: (id) => openCard(document.getElementById("card-dialog"), id, app),
  useAbility(frame) {
    app.conn
      .send(frame)
      .then(() => app.toast(_("The ability is used.")))
      .catch((error) => app.toast(error.message));
  },
  vote(proposalId, choice) {
    app.conn
      .send({ type: "vote", proposal_id: proposalId, choice })
      .then(() => app.focusProposal(proposalId)) // screens: focus on the proposal's result (its status)
      .catch((error) => app.toast(error.message));
  },
  /** screens: focus the proposal (the newest of mine when no id is given) once the chat shows it. */
  focusProposal(proposalId) {
    const id = proposalId || [...state.proposals.values()].filter((p) => p.player_id === state.you).map((p) => p.id).at(-1);
    if (!id) return;
    requestAnimationFrame(() => {
      const article = document.querySelector(`#stream [data-proposal="${CSS.escape(id)}"]`);
      if (!article) return;
      article.tabIndex = -1;
      article.focus({ preventScroll: false });
    });
  },
  callVote(proposalId) {
    app.conn.send({ type: "call_vote", proposal_id: proposalId }).catch((error) => app.toast(error.message));
  },
  amend(proposalId) {
    const p = state.proposals.get(proposalId);
    if (!p) return;
    app.builder.load(p.cards, proposalId);
    app.showTab("builder");
    app.toast(_("Proposal %(id)s is in the builder: change it and propose the amendment.", { id: proposalId }));
  },
  toast(message) {
    const el = document.getElementById("toast");
    el.textContent = message;
    el.hidden = !message;
    clearTimeout(app.toastTimer);
    app.toastTimer = setTimeout(() => {
      el.hidden = true;
    }, 5000);
  },
  announce(message) {
    if (!message) return;
    const el = document.getElementById("announcer");
    el.append(h("p", null, message));
    while (el.childElementCount > 5) el.firstElementChild.remove();
  },
  showTab(name) {
    if (!TABS.includes(name)) return;
    const wide = window.matchMedia("(min-width: 900px)").matches;
    if (wide && name === "chat") name = document.body.dataset.side || "builder";
    if (name !== "chat") document.body.dataset.side = name;
    document.body.dataset.tab = name;
    if (app.stream && (name === "chat" || wide)) app.stream.shown();
    for (const tab of TABS) {
      const button = document.getElementById(`tab-${tab}`);
      const selected = tab === name;
      button.setAttribute("aria-selected", String(selected));
      button.tabIndex = selected ? 0 : -1;
    }
  },
};

// ---- connection status, round and standing --------------------------------------------------------

function statusText(status) {
  return {
    connecting: _("Connecting …"),
    online: _("Connected"),
    reconnecting: _("Reconnecting …"),
    offline: _("Offline. Reconnecting when the network is back …"),
    refused: _("Your seat at this table was not found."),
  }[status];
}

let lastStatus = "connecting";
function showStatus(status) {
  lastStatus = status;
  const el = document.getElementById("conn");
  el.dataset.state = status;
  setText(el, statusText(status));
  if (status === "refused" && app.seatMoved) return seatMoved();
  if (status === "refused") {
    const banner = document.getElementById("phase-banner");
    banner.replaceChildren(
      h("p", null, _("Your seat at this table was not found."), " "),
      h("a", { href: "/", class: "button primary" }, _("Join with the table's code")),
    );
    banner.hidden = false;
  }
}

function renderRound() {
  const el = document.getElementById("round-status");
  const r = state.round;
  let value = "";
  let spoken = "";
  if (state.phase === "lobby") value = _("Waiting for the start");
  else if (state.phase === "round" && r) {
    value = state.roundsTotal ? _("Round %(n)s of %(total)s", { n: r.number, total: state.roundsTotal }) : _("Round %(n)s", { n: r.number });
    if (r.paused) {
      value += " · " + _("paused");
    } else if (r.deadline) {
      const left = clock((Date.parse(r.deadline) - Date.now()) / 1000);
      spoken = value + ", " + _("%(time)s left", { time: left });
      value += " · " + left; // the words are in the label: a phone's header has room for the figures only
    }
  } else if (state.phase === "round_ended" && r) value = _("Round %(n)s is over", { n: r.number });
  else if (state.phase === "reality_check") value = _("The game is over");
  else if (state.phase === "debrief") value = _("Debrief");
  setText(el, value);
  if (spoken) el.setAttribute("aria-label", spoken);
  else el.removeAttribute("aria-label");
}

let standingKey = null;
function renderStanding() {
  const el = document.getElementById("standing");
  const t = state.target;
  if (!state.forlig) {
    standingKey = null;
    el.dataset.state = "none";
    el.replaceChildren(
      h("span", { class: "label" }, _("No forlig yet")),
      t ? h("span", null, _("target in %(year)s: %(amount)s", { year: years()[0], amount: mio(t[0]) })) : null,
    );
    return;
  }
  const key = app.meterKey(state.forlig.cards);
  if (key === standingKey) return;
  standingKey = key;
  const id = state.forlig.proposal_id;
  app.meterFor(state.forlig.cards).then((result) => {
    if (standingKey !== key || !result.ok) return;
    const m = result.data;
    el.dataset.state = (m.why ? !m.why.failed.length : m.all_reached) ? "ok" : "short"; // the verdict decides
    el.replaceChildren(
      h("span", { class: "label" }, _("Forlig %(id)s", { id })),
      yearStrip(m),
    );
  });
}

function renderBanner() {
  if (lastStatus === "refused" || app.seatMoved) return;
  const banner = document.getElementById("phase-banner");
  let content = null;
  if (state.removed) {
    content = [
      state.removed.moved_to ? _("The facilitator has moved you to another table.") : _("The facilitator has removed you from this table."),
      " ",
      h("a", { href: "/", class: "button primary" }, _("Join with the table's code")),
    ];
  } else if (state.phase === "lobby") content = [_("Welcome! The facilitator starts the game when everybody is here. Meanwhile, look at the cards under Proposals.")];
  else if (state.phase === "round" && state.round && state.round.paused)
    content = [_("The facilitator has paused the round. The chat works; proposals and votes wait.")];
  else if (state.phase === "round_ended") content = [_("The round is over. Waiting for the facilitator.")];
  else if (state.phase === "reality_check") content = [_("The game is over. The debrief comes in a moment.")];
  else if (state.phase === "debrief")
    content = [h("strong", null, _("The debrief is ready.")), " ", h("a", { href: app.debriefUrl, class: "button primary" }, _("See the debrief"))];
  // An ability whose moment came with this round's event card (E03, E04): its button is right here.
  const offer = !content && state.phase === "round" ? eventAbilityNow(state) : null;
  if (offer) {
    banner.hidden = false;
    banner.replaceChildren(abilityForm(app, offer.spec, offer.offer));
    return;
  }
  banner.hidden = !content;
  if (content) banner.replaceChildren(h("p", null, ...content));
}

function renderAll() {
  setText(document.getElementById("table-name"), state.tableName || "Råderum");
  renderRound();
  renderStanding();
  renderBanner();
  app.stream.sync();
  renderPeople(document.getElementById("people"), app);
}

// ---- frames --------------------------------------------------------------------------------------

let knownEvents = "";
let knownPhase = "";
function afterChange() {
  renderAll();
  const events = state.eventCards.join(",");
  const changed = events !== knownEvents;
  if (changed || state.phase !== knownPhase) app.builder.stateChanged(changed);
  knownEvents = events;
  knownPhase = state.phase;
}

function handle(frame) {
  if (frame.type === "snapshot") {
    applySnapshot(state, frame.seq, frame.view);
    const me = state.you ? state.players.get(state.you) : null;
    if (me && !me.seated && !state.removed) state.removed = { moved_to: null }; // gone while away: moved?
    afterChange();
    if (state.removed && !followed) followMove();
    if (!document.body.dataset.ready) {
      document.body.dataset.ready = "true";
      performance.mark("raaderum:usable");
    }
  } else if (frame.type === "event") {
    const added = applyEvent(state, frame.seq, frame.event, frame.derived);
    if (added === "gap") {
      app.conn.reconnectNow();
      return;
    }
    if (!added) return;
    afterChange();
    for (const item of added) app.announce(announceText(state, item));
    if (state.removed && !followed) followMove();
  } else if (frame.type === "presence") {
    applyPresence(state, frame);
    renderPeople(document.getElementById("people"), app);
  } else if (frame.type === "error" && !frame.id && frame.code === "seat.moved") {
    app.seatMoved = true;
    seatMoved();
  } else if (frame.type === "error" && !frame.id) {
    app.toast(frame.message);
  }
}

// ---- screens: skip links, and the warning before a deadline (WCAG 2.2.1) ---------------------------

function wireSkipLinks() {
  for (const link of document.querySelectorAll(".skip-links a")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      app.showTab(link.dataset.tab);
      let target = document.querySelector(link.getAttribute("href"));
      if (link.dataset.votes) {
        const open = [...document.querySelectorAll("#stream .proposal .vote-row button:not([disabled])")];
        target = open.at(-1) || target;
      }
      if (!target) return;
      if (target.tabIndex < 0 && !/^(INPUT|TEXTAREA|BUTTON|A|SELECT)$/.test(target.tagName)) target.tabIndex = -1;
      target.focus();
    });
  }
}

const WARN_AT = [60, 20]; // seconds before the deadline: said aloud and shown (at least 20 s, WCAG 2.2.1)
const warned = new Set();
function warnDeadline() {
  const r = state.round;
  if (state.phase !== "round" || !r || r.paused || !r.deadline) return;
  const left = (Date.parse(r.deadline) - Date.now()) / 1000;
  for (const at of WARN_AT) {
    const key = `${r.number}:${r.deadline}:${at}`;
    if (left <= at && left > 0 && !warned.has(key)) {
      warned.add(key);
      const text = _("%(time)s left of round %(n)s. The facilitator can give more time.", { time: clock(left), n: r.number });
      app.announce(text);
      app.toast(text);
      document.body.dataset.deadline = "near";
    }
  }
  if (left > WARN_AT[0]) delete document.body.dataset.deadline;
}

// ---- screens: the seat moved to another device (server/api/seats.py) ------------------------------

/** This device no longer holds the seat: say so, stop acting, and forget the seat here. */
function seatMoved() {
  if (app.conn) app.conn.stopped = true;
  dropSeat(tableId);
  const banner = document.getElementById("phase-banner");
  banner.replaceChildren(
    h("p", null, _("Your seat has moved to another device. This device can no longer act at the table."), " "),
    h("a", { href: "/", class: "button secondary" }, _("Join with the table's code")),
  );
  banner.hidden = false;
  banner.dataset.state = "moved";
  document.getElementById("composer").hidden = true;
  for (const control of document.querySelectorAll("#panel-builder button, #panel-builder input, #votes button")) control.disabled = true;
  const status = document.getElementById("conn");
  status.dataset.state = "refused";
  setText(status, _("Moved to another device"));
  if (app.seatCode) {
    app.seatCode = null; // the code belongs to the device that holds the seat now
    renderPeople(document.getElementById("people"), app);
  }
  if (!app.toldMoved) app.toast(_("Your seat has moved to another device. This device can no longer act at the table."));
  app.toldMoved = true;
}

/** The seat's code on the player's own screen: the proof that moves the seat to a new device. */
async function showSeatCode() {
  const result = await api.ownSeat(tableId, app.token);
  if (!result.ok) return;
  app.seatCode = result.data.seat_code;
  renderPeople(document.getElementById("people"), app);
}

// ---- moved by the facilitator --------------------------------------------------------------------

let followed = false;
async function followMove() {
  followed = true;
  let result = await api.followMove(tableId, app.token);
  for (let tries = 0; !result.ok && result.status === 0 && tries < 5; tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 1000)); // the network dropped: try again
    result = await api.followMove(tableId, app.token);
  }
  if (!result.ok) return; // the banner says they were moved; joining with the new table's code works too
  saveSeat({ ...result.data, name: seat.name, code: result.data.join_code });
  location.replace(`/table/${encodeURIComponent(result.data.table_id)}`);
}

// ---- start ---------------------------------------------------------------------------------------

async function main() {
  if (!seat) {
    document.body.dataset.ready = "true";
    const banner = document.getElementById("phase-banner");
    await loadCatalog(root.dataset.catalogUrl).catch(() => {});
    banner.replaceChildren(
      h("p", null, _("You have no seat at this table on this device."), " "),
      h("a", { href: "/", class: "button primary" }, _("Join with the table's code")),
    );
    banner.hidden = false;
    document.getElementById("composer").hidden = true;
    return;
  }
  const buffered = [];
  let started = false;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  app.conn = new Connection({
    url: `${scheme}//${location.host}/ws/tables/${encodeURIComponent(tableId)}`,
    token: seat.token,
    lang,
    lastSeq: () => state.seq,
    onFrame: (frame) => (started ? handle(frame) : buffered.push(frame)),
    onStatus: (status) => (started ? showStatus(status) : (lastStatus = status)),
  });
  app.conn.start(); // in parallel with the catalog and the deck
  await Promise.all([loadCatalog(root.dataset.catalogUrl), loadDeck(root.dataset.deckUrl)]);

  app.stream = new Stream(document.getElementById("stream"), document.getElementById("jump"), app);
  app.composer = new Composer(document.getElementById("composer"), app);
  app.builder = new Builder(document.getElementById("panel-builder"), app);
  for (const tab of TABS) {
    const button = document.getElementById(`tab-${tab}`);
    button.addEventListener("click", () => app.showTab(tab));
    button.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      const visible = TABS.filter((t) => document.getElementById(`tab-${t}`).offsetParent !== null);
      const next = visible[(visible.indexOf(tab) + step + visible.length) % visible.length];
      app.showTab(next);
      document.getElementById(`tab-${next}`).focus();
    });
  }
  app.showTab("chat");
  window.matchMedia("(min-width: 900px)").addEventListener("change", () => app.showTab(document.body.dataset.tab));
  setInterval(renderRound, 1000);
  setInterval(warnDeadline, 1000);
  wireSkipLinks();
  started = true;
  showStatus(lastStatus);
  for (const frame of buffered.splice(0)) handle(frame);
  showSeatCode();
  window.raaderum = app; // for the browser tests and the curious
}

main();
