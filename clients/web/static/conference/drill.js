// One table in the control room's side panel: its live chat and state over the table's own websocket
// (read-only for the facilitator: nothing is sent over it), and moderation through the conference API, so
// every step lands in the table's log as an event.
import { h, setText } from "../js/dom.js";
import { _, lang, ngettext } from "../js/i18n.js";
import { timeOfDay } from "../js/format.js";
import { deck, loadDeck, role, text } from "../js/deck.js";
import { Connection } from "../js/connection.js";
import { applyEvent, applyPresence, applySnapshot, emptyState, playerName } from "../js/state.js";
import { call, phaseText, timerText } from "./common.js";
import { confirmAction } from "../js/confirm.js";
import { tableLinks } from "./tablelinks.js";

const CHAT_SHOWN = 150;

export class TableDrill {
  constructor(app, tableId, panel) {
    Object.assign(this, { app, tableId, panel });
    this.state = emptyState();
    this.body = panel.querySelector("#drill-body");
    this.scheduled = 0;
    this.seatCodes = new Map(); // screens: player id -> {seat_code, handover_url} (GET /api/tables/{id}/seats)
    this.seatsKey = "";
  }

  /** screens: the seats' codes and "flyt pladsen til en ny enhed" links, fetched when the seated change. */
  async fetchSeats(key) {
    if (key === this.seatsKey) return;
    this.seatsKey = key;
    const result = await call("GET", `/api/tables/${encodeURIComponent(this.tableId)}/seats`, this.app.token);
    if (!result.ok || this.seatsKey !== key) return;
    this.seatCodes = new Map(result.data.seats.map((s) => [s.player_id, s]));
    this.keys.players = null;
    this.schedule();
  }

  get row() {
    return this.app.rows.get(this.tableId);
  }

  async open() {
    this.panel.hidden = false;
    document.body.dataset.drill = "open";
    setText(this.panel.querySelector("#drill-title"), this.row ? this.row.name : "");
    this.parts = null;
    this.body.replaceChildren(h("p", { class: "muted" }, _("Connecting …")));
    if (!deck && this.app.info) await loadDeck(`/api/decks/${encodeURIComponent(this.app.info.deck)}?lang=${lang}`).catch(() => {});
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.conn = new Connection({
      url: `${scheme}//${location.host}/ws/tables/${encodeURIComponent(this.tableId)}`,
      token: this.app.token,
      lang,
      lastSeq: () => this.state.seq,
      onFrame: (frame) => this.frame(frame),
      onStatus: () => {},
    });
    this.conn.start();
    this.panel.querySelector("#drill-close").focus();
  }

  close() {
    if (this.conn) {
      this.conn.stopped = true;
      clearInterval(this.conn.watchdog);
      if (this.conn.ws) this.conn.ws.close();
    }
    this.panel.hidden = true;
    delete document.body.dataset.drill;
    if (this.app.drill === this) this.app.drill = null;
  }

  frame(frame) {
    if (frame.type === "snapshot") applySnapshot(this.state, frame.seq, frame.view);
    else if (frame.type === "event") {
      if (applyEvent(this.state, frame.seq, frame.event) === "gap") this.conn.reconnectNow();
    } else if (frame.type === "presence") applyPresence(this.state, frame);
    else return;
    this.schedule();
  }

  rowChanged() {
    this.schedule();
  }

  schedule() {
    if (!this.scheduled) this.scheduled = requestAnimationFrame(() => this.render());
  }

  act(body, label) {
    return this.app.runAction({ ...body, table_ids: [this.tableId] }, label);
  }

  /** Practice bots (docs/bots.md): "Tilføj bot" seats one, "Fjern bot" removes one, through the table's bot API. */
  async bots(method, path, body, label) {
    const out = document.querySelector("#action-result");
    const url = `/api/tables/${encodeURIComponent(this.tableId)}/bots${path}?lang=${lang}`;
    const result = await call(method, url, this.app.token, body);
    if (out) {
      out.dataset.state = result.ok ? "ok" : "partial";
      setText(out, result.ok ? _("%(action)s: done.", { action: label }) : `${label}: ${result.message || result.code}`);
    }
    return result;
  }

  // ---- rendering ---------------------------------------------------------------------------------

  render() {
    this.scheduled = 0;
    if (this.panel.hidden) return;
    const row = this.row;
    const state = this.state;
    setText(this.panel.querySelector("#drill-title"), row ? `${row.name} · ${row.join_code}` : state.tableName || "");
    if (!this.parts) {
      // Each part is redrawn only when what it shows changed: a busy chat leaves the buttons (and focus) alone.
      this.parts = { phase: h("p", { class: "drill-phase" }), actions: h("div"), links: h("div"), players: h("div"), proposals: h("div"), chat: h("div") };
      this.keys = {};
      this.body.replaceChildren(...Object.values(this.parts));
    }
    setText(this.parts.phase, row ? `${phaseText(row)} ${timerText(row)}` : "");
    const others = [...this.app.rows.values()].map((r) => `${r.table_id}:${r.seated}`).join(",");
    const players = [...state.players.values()]
      .map((p) => `${p.id}:${p.seated}:${p.role}:${p.party}:${state.online.has(p.id)}`)
      .join(",");
    const proposals = [...state.proposals.values()].map((p) => `${p.id}:${p.status}`).join(",");
    const hidden = state.timeline.filter((item) => item.hidden).length;
    this.update("actions", `${row ? row.phase : state.phase}:${row && row.paused}`, () => this.actions(row));
    // Issue 14: this table's debrief, projector view, replay and log.
    const phase = row ? row.phase : state.phase;
    this.update("links", `${row ? row.name : ""}|${phase === "lobby"}`, () => tableLinks(this.app, this.tableId, row ? row.name : this.tableId, phase));
    this.fetchSeats([...state.players.values()].filter((p) => p.seated).map((p) => p.id).join(","));
    this.update("players", `${players}|${others}|${this.seatCodes.size}`, () => this.players());
    this.update("proposals", `${state.phase}|${proposals}`, () => this.proposals());
    const list = this.parts.chat.querySelector(".drill-chat");
    const keepBottom = !list || list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    if (this.update("chat", `${state.timeline.length}:${hidden}`, () => this.chat())) {
      const fresh = this.parts.chat.querySelector(".drill-chat");
      if (keepBottom && fresh) fresh.scrollTop = fresh.scrollHeight;
    }
  }

  update(part, key, build) {
    if (this.keys[part] === key) return false;
    this.keys[part] = key;
    const content = build();
    this.parts[part].replaceChildren(...(content ? [content] : []));
    return true;
  }

  /** screens: ending this table's game asks first, with what will happen (js/confirm.js). */
  async ask(body, label, row) {
    if (body.action === "end_game") {
      const table = row ? row.name : "";
      const sure = await confirmAction({
        title: _("End the game at %(table)s?", { table }),
        consequences: [
          _("The table goes to the reality check: the dice are rolled for the forlig's cards, and no more proposals or votes can be made."),
          row && !row.forlig ? _("The table has no forlig and ends without one.") : null,
          _("This cannot be undone."),
        ],
        confirm: _("End the game"),
      });
      if (!sure) return;
    }
    this.act(body, label);
  }

  actions(row) {
    const phase = row ? row.phase : this.state.phase;
    const button = (label, body, primary = false) =>
      h("button", { type: "button", class: primary ? "primary" : "secondary", onclick: () => this.ask(body, label, row) }, label);
    const paused = row && row.paused;
    return h(
      "div",
      { class: "drill-actions", role: "group", "aria-label": _("This table") },
      phase === "lobby" ? button(_("Start"), { action: "start_all" }, true) : null,
      phase === "round" || phase === "round_ended" ? button(_("Next round"), { action: "next_round" }) : null,
      phase === "round" ? button(_("End the round"), { action: "end_round" }) : null,
      phase === "round" && !paused ? button(_("Pause"), { action: "pause" }) : null,
      phase === "round" && paused ? button(_("Resume"), { action: "resume" }, true) : null,
      phase === "round" ? button(_("+5 min."), { action: "extend", seconds: 300 }) : null,
      phase === "round" || phase === "round_ended" ? button(_("End the game"), { action: "end_game" }) : null,
      phase === "reality_check" ? button(_("Show the debrief"), { action: "show_debrief" }, true) : null,
    );
  }

  players() {
    const state = this.state;
    const others = [...this.app.rows.values()].filter((r) => r.table_id !== this.tableId).sort((a, b) => a.number - b.number);
    const seated = [...state.players.values()].filter((p) => p.seated).sort((a, b) => a.number - b.number);
    const ended = ["reality_check", "debrief"].includes(state.phase);
    const seats = deck && deck.scenario ? deck.scenario.max_players : 8;
    const byraad = state.byraad;
    const online = seated.filter((p) => state.online.has(p.id)).length;
    return h(
      "section",
      { class: "drill-section", "aria-labelledby": "drill-players" },
      h("h3", { id: "drill-players" }, ngettext("%(n)s player", "%(n)s players", seated.length)),
      // Who is connected now (the table's presence frames): a byråd session is remote, so it matters.
      h("p", { class: "drill-online" }, _("%(online)s of %(seated)s connected", { online, seated: seated.length })),
      !ended && !byraad && seated.length < seats
        ? h(
            "button",
            { type: "button", class: "add-bot", onclick: () => this.bots("POST", "", { count: 1 }, _("Add bot")) },
            _("Add bot"),
          )
        : null,
      seated.length
        ? h(
            "ul",
            { class: "players drill-players" },
            seated.map((p) => {
              const online = state.online.has(p.id);
              const r = p.role ? role(p.role) : null;
              const select = h(
                "select",
                { "aria-label": _("Move %(name)s to", { name: p.name }) },
                h("option", { value: "" }, _("Move to …")),
                others.map((o) => h("option", { value: o.table_id }, `${o.name} (${o.seated})`)),
              );
              select.addEventListener("change", async () => {
                const to = select.value;
                if (!to) return;
                const target = this.app.rows.get(to);
                const table = target ? target.name : to;
                const sure = await confirmAction({
                  title: _("Move %(name)s to %(table)s?", { name: p.name, table }),
                  consequences: [
                    _("%(name)s leaves this table: the seat and the role are freed and their votes on open proposals are withdrawn.", { name: p.name }),
                    _("They continue at %(table)s.", { table }),
                  ],
                  confirm: _("Move"),
                  danger: false,
                });
                select.value = "";
                if (sure) this.act({ action: "move_player", player_id: p.id, to_table: to }, _("Move"));
              });
              return h(
                "li",
                { class: online ? "online" : "away", dataset: { player: p.id } },
                h("span", { class: "dot", "aria-hidden": "true" }),
                h("span", { class: "name" }, p.name),
                p.bot ? h("span", { class: "bot-badge" }, _("bot")) : null,
                p.bot ? null : h("span", { class: "state" }, online ? _("online") : _("not online")),
                r ? h("span", { class: "their-role" }, text(r.title)) : null,
                !p.bot && this.seatCodes.has(p.id) ? this.seatLine(p, this.seatCodes.get(p.id)) : null,
                p.bot
                  ? h(
                      "span",
                      { class: "moderate" },
                      h(
                        "button",
                        {
                          type: "button",
                          class: "link remove-bot",
                          onclick: () => this.bots("DELETE", `/${encodeURIComponent(p.id)}`, undefined, _("Remove bot")),
                        },
                        _("Remove bot"),
                      ),
                    )
                  : h(
                  "span",
                  { class: "moderate" },
                  select,
                  h(
                    "button",
                    {
                      type: "button",
                      class: "link",
                      onclick: async () => {
                        const sure = await confirmAction({
                          title: _("Remove %(name)s from the table?", { name: p.name }),
                          consequences: [
                            r
                              ? _("%(name)s loses the seat and the role %(role)s; their votes on open proposals are withdrawn.", { name: p.name, role: text(r.title) })
                              : _("%(name)s loses the seat; their votes on open proposals are withdrawn.", { name: p.name }),
                            _("Their phone can no longer act at the table. They can join again with the join code."),
                          ],
                          confirm: _("Remove %(name)s", { name: p.name }),
                        });
                        if (sure) this.act({ action: "remove_player", player_id: p.id }, _("Remove"));
                      },
                    },
                    _("Remove"),
                  ),
                ),
                // After the moderation, on a line of its own: the party and the role, by hand.
                !p.bot && !ended ? this.seatChoices(p, seated) : null,
              );
            }),
          )
        : h("p", { class: "muted" }, _("Nobody is at the table yet.")),
    );
  }

  /** Byråd mode and roles by hand: the member's party and role, chosen here (assign_party, assign_role); the
   * engine refuses a full party or a role someone else holds, and the answer says so under the action bar. */
  seatChoices(p, seated) {
    const state = this.state;
    const byraad = state.byraad;
    const choices = [];
    if (byraad && byraad.parties.length) {
      const members = (id) => seated.filter((o) => o.party === id).length;
      const party = h(
        "select",
        { "aria-label": _("Party of %(name)s", { name: p.name }), class: "assign-party" },
        p.party ? null : h("option", { value: "" }, _("Party …")),
        byraad.parties.map((x) =>
          h("option", { value: x.id, selected: x.id === p.party }, `${text(x.name)} (${members(x.id)}/${x.mandates})`),
        ),
      );
      party.addEventListener("change", () => {
        if (party.value) this.act({ action: "assign_party", player_id: p.id, party: party.value }, _("Party"));
      });
      choices.push(party);
    }
    const themselves = byraad && byraad.roles === "themselves";
    if (!themselves && deck && deck.roles) {
      const held = new Set(seated.filter((o) => o.id !== p.id && o.role).map((o) => o.role));
      const pick = h(
        "select",
        { "aria-label": _("Role of %(name)s", { name: p.name }), class: "assign-role" },
        p.role ? null : h("option", { value: "" }, _("Role …")),
        deck.roles
          .filter((x) => !held.has(x.id))
          .map((x) => h("option", { value: x.id, selected: x.id === p.role }, text(x.title))),
      );
      pick.addEventListener("change", () => {
        if (pick.value) this.act({ action: "assign_role", player_id: p.id, role: pick.value }, _("Role"));
      });
      choices.push(pick);
    }
    return choices.length ? h("span", { class: "seat-choices" }, ...choices) : null;
  }

  /** screens: the seat code and the link that moves the seat to a new device (copied, not opened here). */
  seatLine(p, seat) {
    const status = h("span", { class: "copied", role: "status" });
    const link = h(
      "a",
      { href: seat.handover_url, class: "handover" },
      _("Move the seat to a new device"),
      h("span", { class: "visually-hidden" }, ` (${p.name})`),
    );
    link.addEventListener("click", async (event) => {
      event.preventDefault();
      try {
        await navigator.clipboard.writeText(seat.handover_url);
        setText(status, _("Link copied: open it on the new device."));
      } catch {
        setText(status, seat.handover_url);
      }
    });
    return h(
      "span",
      { class: "seat-line" },
      h("span", null, _("Seat code"), " ", h("strong", { class: "seat-code" }, seat.seat_code)),
      " · ",
      link,
      " ",
      status,
    );
  }

  proposals() {
    const list = [...this.state.proposals.values()];
    if (!list.length) return null;
    const status = { open: _("Open"), adopted: _("Adopted"), rejected: _("Voted down"), closed: _("Closed") };
    return h(
      "section",
      { class: "drill-section", "aria-labelledby": "drill-proposals" },
      h("h3", { id: "drill-proposals" }, _("Proposals")),
      h(
        "ul",
        { class: "drill-proposals" },
        list.reverse().map((p) =>
          h(
            "li",
            { class: `status-line status-${p.status}` },
            h("strong", null, p.id),
            " ",
            _("by %(name)s", { name: playerName(this.state, p.player_id) }),
            " · ",
            ngettext("%(n)s card", "%(n)s cards", p.cards.length),
            " · ",
            h("span", { class: `status status-${p.status}` }, status[p.status] || p.status),
            // Rules 3: the facilitator, like the mayor, may decide an open proposal now on the votes cast.
            p.status === "open" && this.state.phase === "round"
              ? h(
                  "button",
                  {
                    type: "button",
                    class: "link call-vote",
                    onclick: () => this.act({ action: "call_vote", proposal_id: p.id }, _("Call the vote")),
                    "aria-label": _("Call the vote on %(id)s", { id: p.id }),
                  },
                  _("Call the vote"),
                )
              : null,
          ),
        ),
      ),
    );
  }

  chat() {
    const lines = this.state.timeline.filter((item) => (item.kind === "chat" || item.kind === "announce") && !item.hidden);
    return h(
      "section",
      { class: "drill-section drill-chat-box", "aria-labelledby": "drill-chat-title" },
      h("h3", { id: "drill-chat-title" }, _("Chat")),
      lines.length
        ? h(
            "ol",
            { class: "drill-chat" },
            lines.slice(-CHAT_SHOWN).map((item) =>
              h(
                "li",
                { class: item.player_id ? "line" : "line announcement", dataset: { seq: String(item.seq) } },
                h(
                  "p",
                  { class: "meta" },
                  h("span", { class: "who" }, item.player_id ? playerName(this.state, item.player_id) : _("Facilitator")),
                  item.at ? ` ${timeOfDay(item.at)}` : "",
                  h(
                    "button",
                    {
                      type: "button",
                      class: "link hide",
                      onclick: () => this.act({ action: "hide_message", seq: item.seq }, _("Hide")),
                      "aria-label": _("Hide this message"),
                    },
                    _("Hide"),
                  ),
                ),
                h("p", { class: "text" }, item.text),
              ),
            ),
          )
        : h("p", { class: "muted" }, _("No messages yet.")),
    );
  }
}
