// screens: the projector made for a hall (issue 16 item 4). Beside the wall while the tables play: the join
// codes and QR codes of every table still in the lobby, the drawn event cards large with their effect in
// mio. kr., a large countdown, and the facilitator's announcements large for a while. Minimum sizes for
// reading from 10 m are in docs/conferences.md ("The projector"); the sizes are in vmin, so 16:9 and 4:3 alike.
import { h, setText } from "../js/dom.js";
import { _, lang, ngettext } from "../js/i18n.js";
import { clock, number } from "../js/format.js";
import { event as eventCard, loadDeck, text } from "../js/deck.js";
import { Connection } from "../js/connection.js";

const ANNOUNCEMENT_SECONDS = 30; // an announcement stays large this long, then goes to the corner

/** The join code cards of the tables still in the lobby (while others already play). */
export function lobbyCards(info, rows) {
  const waiting = info.tables.filter((t) => (rows.get(t.table_id) || {}).phase === "lobby");
  if (!waiting.length) return null;
  return h(
    "section",
    { class: "hall-lobby", "aria-labelledby": "hall-lobby-title" },
    h("h2", { id: "hall-lobby-title" }, ngettext("%(n)s table is still in the lobby: join it", "%(n)s tables are still in the lobby: join them", waiting.length)),
    h(
      "ul",
      { class: "hall-codes" },
      waiting.slice(0, 6).map((t) =>
        h(
          "li",
          { class: "code-card", dataset: { table: t.table_id } },
          h("img", { class: "qr", src: `/join/${encodeURIComponent(t.join_code)}/qr.svg`, alt: _("QR code for %(name)s", { name: t.name }) }),
          h("div", { class: "code-text" }, h("p", { class: "table-name" }, t.name), h("p", { class: "big-code" }, t.join_code)),
        ),
      ),
    ),
  );
}

/** What an event does in mio. kr., from the deck's own figures: a row of years with the amounts under them. */
function effectBlocks(effects, years, condition = "") {
  const blocks = [];
  const amounts = (label, values) =>
    h(
      "div",
      { class: "hall-effect" },
      h("p", { class: "effect-label" }, condition ? `${condition}: ${label}` : label),
      h(
        "ul",
        { class: "effect-years" },
        values.map((value, i) => h("li", null, h("span", { class: "year" }, years[i]), h("strong", null, number(value, 1, { sign: true })))),
      ),
    );
  const line = (words) => h("p", { class: "hall-effect effect-words" }, condition ? `${condition}: ${words}` : words);
  for (const effect of effects) {
    if (effect.kind === "conditional") {
      const cards = effect.if_any_chosen.join(", ");
      blocks.push(...effectBlocks(effect.otherwise, years, _("Without %(cards)s", { cards })));
      blocks.push(...effectBlocks(effect.then, years, _("With %(cards)s", { cards })));
    } else if (effect.kind === "gap") blocks.push(amounts(_("Effect on the budget, mio. kr."), effect.amounts));
    else if (effect.kind === "earmarked_grant") blocks.push(amounts(_("A grant for chosen cards, mio. kr."), effect.amounts));
    else if (effect.kind === "disable_cards") blocks.push(line(ngettext("%(n)s card is out of play", "%(n)s cards are out of play", effect.cards.length)));
    else if (effect.kind === "scale_cards") blocks.push(line(_("%(cards)s: the amounts ×%(factor)s", { cards: effect.cards.join(", "), factor: number(effect.factor, 1) })));
    else if (effect.kind === "delay_cards") blocks.push(line(_("%(cards)s come a year later", { cards: effect.cards.join(", ") })));
  }
  return blocks;
}

let eventTurn = 0; // several tables drew different cards: they take turns (nextEventCard), one large at a time

export function nextEventCard() {
  eventTurn += 1;
}

/** The event card drawn for the tables' current rounds, large; several distinct cards take turns. */
export function eventCards(info, rows) {
  const drawn = new Map();
  for (const row of rows.values()) {
    if (row.phase === "round" && row.event_card) drawn.set(row.event_card, (drawn.get(row.event_card) || 0) + 1);
  }
  const cards = [...drawn].map(([id, count]) => [eventCard(id), count]).filter(([card]) => card);
  if (!cards.length) return null;
  const [card, count] = cards[eventTurn % cards.length];
  const tables = ngettext("%(n)s table", "%(n)s tables", count);
  const turn = _("%(n)s of %(total)s", { n: (eventTurn % cards.length) + 1, total: cards.length });
  return h(
    "section",
    { class: "hall-events", "aria-labelledby": "hall-events-title", dataset: { total: String(cards.length) } },
    h("h2", { id: "hall-events-title", class: "visually-hidden" }, _("Event cards this round")),
    h(
      "article",
      { class: "hall-event", dataset: { event: card.id } },
      h(
        "p",
        { class: "eyebrow" },
        _("Event card %(id)s", { id: card.id }),
        cards.length > 1 ? ` · ${tables} · ${turn}` : "",
      ),
      h("h3", null, text(card.title)),
      h("p", { class: "hall-event-text" }, text(card.description)),
      h("div", { class: "hall-effects" }, effectBlocks(card.effects || [], info.years)),
    ),
  );
}

/** The countdown to the soonest running deadline, large; null when no round runs against a clock. */
export function countdown(rows, now = Date.now()) {
  const running = [...rows.values()].filter((r) => r.phase === "round" && !r.paused && r.deadline);
  if (!running.length) return null;
  const soonest = Math.min(...running.map((r) => Date.parse(r.deadline)));
  const seconds = Math.max(0, (soonest - now) / 1000);
  return { text: clock(seconds), seconds, tables: running.length };
}

export function renderCountdown(el, rows) {
  const left = countdown(rows);
  el.hidden = !left;
  if (!left) return;
  setText(el.querySelector(".hall-clock"), left.text);
  el.dataset.soon = String(left.seconds <= 60);
}

/**
 * The facilitator's announcements, large for ANNOUNCEMENT_SECONDS: one table's socket with the projector's
 * token (an announcement to every table arrives at each; the projector sees no chat).
 */
export function followAnnouncements(info, token, el) {
  const first = info.tables[0];
  if (!first) return;
  let seq = 0;
  let timer = 0;
  let live = false; // events replayed on connecting are the past: only new ones are shown
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const conn = new Connection({
    url: `${scheme}//${location.host}/ws/tables/${encodeURIComponent(first.table_id)}`,
    token,
    lang,
    lastSeq: () => seq,
    onFrame: (frame) => {
      if (frame.type === "snapshot") {
        seq = frame.seq;
        live = true;
      } else if (frame.type === "event") {
        seq = frame.seq;
        if (live && frame.event.type === "announcement_made" && frame.event.text) {
          setText(el.querySelector(".hall-announcement-text"), frame.event.text);
          el.hidden = false;
          el.dataset.fresh = "true";
          clearTimeout(timer);
          timer = setTimeout(() => (el.dataset.fresh = "false"), ANNOUNCEMENT_SECONDS * 1000);
        }
      }
    },
    onStatus: () => {},
  });
  conn.start();
}

export async function loadEvents(info) {
  await loadDeck(`/api/decks/${encodeURIComponent(info.deck)}?lang=${lang}`).catch(() => {});
}
