// The portfolio builder: pick cards from the deck, watch the engine's live meter, propose or amend.
import { $, h, setText } from "./dom.js";
import { _, ngettext } from "./i18n.js";
import { mio, short } from "./format.js";
import { KINDS, area, card, cardMatches, deck, kindName, pick, text, years } from "./deck.js";
import { loadDraft, saveDraft } from "./seats.js";
import { cardChip, meterFigures, whyWords, yearStrip } from "./views.js";

const METER_DELAY = 150;

export class Builder {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    const draft = loadDraft(app.tableId, "builder", { cards: [], amends: null });
    this.cards = (draft.cards || []).filter((id) => pick(id));
    this.amends = draft.amends || null;
    this.meterEl = $("#meter", root);
    this.selectedEl = $("#selected", root);
    this.amendingEl = $("#amending", root);
    this.proposeButton = $("#propose", root);
    this.clearButton = $("#clear-builder", root);
    this.hint = $("#propose-hint", root);
    this.error = $("#builder-error", root);
    this.list = $("#deck-list", root);
    this.filterText = $("#filter-text", root);
    this.filterArea = $("#filter-area", root);
    this.filterKind = $("#filter-kind", root);
    this.count = document.getElementById("builder-count");
    this.timer = null;
    this.meterKey = null;
    this.meterOk = false;
    this.checkboxes = new Map();
    this.bar = $("#builder-bar", root);
    this.barSummary = $("#bar-summary", root);
    $("#bar-top", root).addEventListener("click", () => {
      root.scrollTop = 0;
      this.proposeButton.disabled ? this.selectedEl.querySelector("button")?.focus() : this.proposeButton.focus();
    });

    for (const a of deck.scenario.areas) this.filterArea.append(h("option", { value: a.id }, text(a.name)));
    for (const k of KINDS) this.filterKind.append(h("option", { value: k }, kindName(k)));
    for (const input of [this.filterText, this.filterArea, this.filterKind]) {
      input.addEventListener("input", () => this.renderDeck());
    }
    this.proposeButton.addEventListener("click", () => this.propose());
    this.clearButton.addEventListener("click", () => this.load([], null));
    this.renderDeck();
    this.refresh();
  }

  has(id) {
    return this.cards.includes(id);
  }

  toggle(id, on = !this.has(id)) {
    if (on && !this.has(id)) this.cards = [...this.cards, id];
    if (!on) this.cards = this.cards.filter((c) => c !== id);
    this.refresh();
  }

  load(cards, amends) {
    this.cards = cards.filter((id) => pick(id));
    this.amends = amends;
    this.refresh();
  }

  save() {
    saveDraft(this.app.tableId, "builder", { cards: this.cards, amends: this.amends });
  }

  renderDeck() {
    const query = this.filterText.value.trim();
    const areaId = this.filterArea.value;
    const kind = this.filterKind.value;
    const out = deck.cards.filter(
      (c) => (!areaId || c.area === areaId) && (!kind || c.kind === kind) && cardMatches(c, query),
    );
    this.checkboxes.clear();
    this.reasons = new Map(); // card id -> the element that says why it cannot be added (the engine's words)
    this.list.replaceChildren(
      ...out.map((c) => {
        const box = h("input", { type: "checkbox", id: `pick-${c.id}`, class: "pick" });
        box.checked = this.has(c.id);
        box.addEventListener("change", () => this.toggle(c.id, box.checked));
        this.checkboxes.set(c.id, box);
        const outOfPlay = h("span", { class: "out-of-play", hidden: true }, " · " + _("out of play"));
        const reason = h("span", { class: "blocked-why", id: `why-${c.id}`, hidden: true });
        box.setAttribute("aria-describedby", reason.id);
        const li = h(
          "li",
          { class: `deck-card kind-${c.kind}` },
          box,
          h(
            "label",
            { for: `pick-${c.id}` },
            h("span", { class: "title" }, h("span", { class: "chip-id" }, c.id), " ", text(c.title)),
            h(
              "span",
              { class: "meta" },
              `${kindName(c.kind)} · ${text(area(c.area)?.name)}`,
              outOfPlay,
            ),
            // screens: each amount under its year, in mio. kr. (the sign: docs/glossary.md, the note above).
            h(
              "span",
              { class: "amounts" },
              c.amounts.map((v, i) =>
                h(
                  "span",
                  { class: v >= 0 ? "pos" : "neg" },
                  h("span", { class: "y" }, years()[i]),
                  h("span", { class: "visually-hidden" }, ": "),
                  short(v, { sign: true }),
                  h("span", { class: "visually-hidden" }, " mio. kr."),
                ),
              ),
            ),
            reason,
          ),
          h(
            "button",
            {
              type: "button",
              class: "link details",
              "aria-label": _("Details of %(id)s", { id: c.id }),
              onclick: () => this.app.openCard(c.id),
            },
            _("Details"),
          ),
        );
        this.reasons.set(c.id, { li, reason, outOfPlay });
        return li;
      }),
    );
    this.showBlocked();
    if (!out.length) this.list.append(h("li", { class: "empty" }, _("No cards match the filter.")));
    if (!areaId && !kind) this.list.append(...this.leverItems(query));
    setText($("#deck-count", this.root), ngettext("%(n)s card", "%(n)s cards", out.length));
  }

  /** The engine's words for each card that cannot be added to the portfolio as it stands (the meter's
   * `why.blocked`, or GET /api/tables/{id}/blocked for an empty builder: requires, excludes, disabled by an
   * event), on the card in the deck list; a card an event disables is struck through as out of play. */
  showBlocked() {
    const found = new Map((this.blocked || []).map((b) => [b.card, b]));
    for (const [id, { li, reason, outOfPlay }] of this.reasons || []) {
      const b = found.get(id);
      const said = b ? text(b) : "";
      const disabled = Boolean(b) && b.code === "portfolio.card_disabled";
      reason.textContent = said;
      reason.hidden = !said;
      outOfPlay.hidden = !disabled;
      li.classList.toggle("blocked", Boolean(said));
      li.classList.toggle("disabled", disabled);
    }
  }

  /** The deck's levers (kassetræk, skatteforhøjelse, grønthøster): picked like cards, shown after them. */
  leverItems(query) {
    const words = query.toLocaleLowerCase();
    return (deck.levers || [])
      .filter((l) => !words || `${l.id} ${text(l.title)}`.toLocaleLowerCase().includes(words))
      .map((l) => {
        const box = h("input", { type: "checkbox", id: `pick-${l.id}`, class: "pick" });
        box.checked = this.has(l.id);
        box.addEventListener("change", () => this.toggle(l.id, box.checked));
        this.checkboxes.set(l.id, box);
        return h(
          "li",
          { class: "deck-card kind-lever" },
          box,
          h(
            "label",
            { for: `pick-${l.id}` },
            h("span", { class: "title" }, h("span", { class: "chip-id" }, l.id), " ", text(l.title)),
            h("span", { class: "meta" }, _("Lever, not a card"), l.political_cost ? ` · ${text(l.political_cost)}` : ""),
            h("span", { class: "meta" }, text(l.description)),
          ),
          h(
            "button",
            { type: "button", class: "link details", "aria-label": _("Details of %(id)s", { id: l.id }), onclick: () => this.app.openCard(l.id) },
            _("Details"),
          ),
        );
      });
  }

  refresh() {
    this.save();
    for (const [id, box] of this.checkboxes) box.checked = this.has(id);
    setText(this.count, this.cards.length ? String(this.cards.length) : "");
    this.count.hidden = !this.cards.length;
    this.amendingEl.replaceChildren();
    if (this.amends) {
      this.amendingEl.append(
        h("p", null, _("You are amending proposal %(id)s.", { id: this.amends }), " "),
        h("button", { type: "button", class: "link", onclick: () => { this.amends = null; this.refresh(); } }, _("Make it a new proposal instead")),
      );
    }
    this.amendingEl.hidden = !this.amends;
    this.selectedEl.replaceChildren(
      ...this.cards.map((id) =>
        h(
          "li",
          null,
          cardChip(id, this.app),
          card(id) ? h("span", { class: "amount" }, short(card(id).amounts[0], { sign: true })) : null,
          h(
            "button",
            { type: "button", class: "remove", "aria-label": _("Remove %(id)s", { id }), onclick: () => this.toggle(id, false) },
            "×",
          ),
        ),
      ),
    );
    if (!this.cards.length) {
      const t = this.app.state.target;
      this.selectedEl.append(
        h(
          "li",
          { class: "empty" },
          t
            ? _("Pick cards below. The target is %(target)s in %(year)s, the budget year.", { target: mio(t[0]), year: years()[0] })
            : _("Pick cards below."),
        ),
      );
    }
    this.updateMeter();
    this.updateButton();
  }

  updateButton() {
    const { state } = this.app;
    let reason = "";
    if (state.phase !== "round") reason = _("Proposals can be made while a round is open.");
    else if (!this.cards.length) reason = _("Pick at least one card.");
    else if (!this.meterOk) reason = _("Fix the portfolio first.");
    this.proposeButton.disabled = Boolean(reason);
    setText(this.proposeButton, this.amends ? _("Propose amendment to %(id)s", { id: this.amends }) : _("Propose to the table"));
    setText(this.hint, reason);
    this.hint.hidden = !reason;
  }

  updateMeter() {
    const key = this.app.meterKey(this.cards);
    if (key === this.meterKey) return;
    this.meterKey = key;
    clearTimeout(this.timer);
    this.barSummary.replaceChildren(ngettext("%(n)s card", "%(n)s cards", this.cards.length));
    this.bar.hidden = !this.cards.length;
    if (!this.cards.length) {
      this.meterOk = false;
      this.error.hidden = true;
      this.meterEl.replaceChildren();
      this.meterEl.setAttribute("aria-busy", "false");
      // Nothing picked: the engine still says which cards cannot go in (requires, out of play by an event).
      this.app.blockedFor().then((result) => {
        if (this.meterKey !== key || !result.ok) return;
        this.blocked = result.data.blocked;
        this.showBlocked();
      });
      return;
    }
    this.meterEl.setAttribute("aria-busy", "true");
    this.timer = setTimeout(async () => {
      const before = this.lastResult; // screens: what the meter said, to announce only what changed
      const cards = [...this.cards];
      const result = await this.app.meterFor(cards);
      if (this.meterKey !== key) return; // a newer selection is on its way
      this.meterEl.setAttribute("aria-busy", "false");
      this.meterOk = result.ok;
      if (result.ok) {
        this.error.hidden = true;
        this.meterEl.replaceChildren(whyWords(result.data) || "", meterFigures(result.data, { title: _("Your portfolio") }));
        this.announceChange(before, result.data);
        this.lastResult = result.data;
        this.barSummary.replaceChildren(yearStrip(result.data));
        this.blocked = result.data.why ? result.data.why.blocked : [];
        this.showBlocked();
      } else {
        this.error.textContent = result.message || _("The figures could not be calculated.");
        this.error.hidden = false;
        this.meterEl.replaceChildren();
      }
      this.updateButton();
    }, METER_DELAY);
  }

  /** screens: the meter says only the years that changed ("2027: mangler 3,4 mio. kr."), not the whole box. */
  announceChange(before, m) {
    const labels = years();
    const lines = m.result
      .map((value, i) => {
        const was = before ? before.result[i] : null;
        if (was !== null && short(was) === short(value) && before.reached[i] === m.reached[i]) return null;
        return m.reached[i]
          ? _("%(year)s: reached, %(amount)s to spare", { year: labels[i], amount: mio(value) })
          : _("%(year)s: %(amount)s missing", { year: labels[i], amount: mio(-value) });
      })
      .filter(Boolean);
    const out = document.getElementById("meter-news");
    if (out && lines.length) out.textContent = lines.join(". ") + ".";
  }

  /** The state changed (a new round, an event card): the button, the deck's out-of-play marks, the meter. */
  stateChanged(eventsChanged) {
    if (eventsChanged) {
      this.renderDeck();
      this.meterKey = null;
      this.updateMeter();
    }
    this.updateButton();
  }

  async propose() {
    const command = { type: "propose", cards: [...this.cards] };
    if (this.amends) command.amends = this.amends;
    this.proposeButton.disabled = true;
    try {
      await this.app.conn.send(command);
      this.load([], null);
      this.root.scrollTop = 0;
      this.app.toast(_("Your proposal is on the table."));
      this.app.showTab("chat");
      this.app.focusProposal(); // screens: focus goes to the result, the new proposal in the chat
    } catch (error) {
      this.error.textContent = error.message || _("The proposal could not be made.");
      this.error.hidden = false;
      this.updateButton();
    }
  }
}
