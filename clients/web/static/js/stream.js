// The chat stream: messages and the table's life (joins, rounds, event cards, proposals, votes, forlig).
import { h, setText } from "./dom.js";
import { _, ngettext } from "./i18n.js";
import { mio, percent, short, timeOfDay } from "./format.js";
import { card, event as eventCard, role, ruleName, text, years } from "./deck.js";
import { weightText } from "./people.js";
import { mayVote, playerName, votesOf } from "./state.js";
import { cardChip, meterFigures, messageText, sourceList, whyWords, yearStrip } from "./views.js";
import { abilityText } from "./abilities.js";

function statusName(status) {
  return { open: _("Open"), adopted: _("Adopted"), rejected: _("Voted down"), closed: _("Closed") }[status] || status;
}

function names(players) {
  return players.length ? players.map((p) => p.name).join(", ") : "–";
}

const SHOWN_CARDS = 6;

/** The proposal's cards with their budgetår amount; a long list folds away behind "27 cards". */
function cardList(cards, app) {
  const list = h(
    "ul",
    { class: "proposal-cards" },
    // A lever's figures are the meter's (the engine's), so only cards show their budgetår amount here.
    cards.map((c) => h("li", null, cardChip(c, app), card(c) ? h("span", { class: "amount" }, short(card(c).amounts[0], { sign: true })) : null)),
  );
  if (cards.length <= SHOWN_CARDS) return list;
  return h("details", { class: "proposal-card-list" }, h("summary", null, ngettext("%(n)s card", "%(n)s cards", cards.length)), list);
}

class ProposalView {
  constructor(app, id) {
    this.app = app;
    this.id = id;
    this.meterKey = null;
    const p = app.state.proposals.get(id);
    const titleId = `proposal-${id}-title`;
    this.status = h("span", { class: "status" });
    this.by = h("p", { class: "by" });
    this.strip = h("div", { class: "year-strip", "aria-live": "off" }, _("Calculating …"));
    this.details = h("details", { class: "proposal-figures" }, h("summary", null, _("Figures and chart")));
    this.detailsBody = h("div");
    this.details.append(this.detailsBody);
    this.tally = h("p", { class: "tally" });
    this.choices = {};
    const choice = (value, label) => {
      const button = h("button", { type: "button", class: `vote vote-${value}`, "aria-pressed": "false" }, label);
      button.addEventListener("click", () => app.vote(id, value));
      this.choices[value] = button;
      return button;
    };
    this.voteRow = h(
      "div",
      { class: "vote-row", role: "group", "aria-label": _("Your vote on %(id)s", { id }) },
      choice("for", _("For")),
      choice("against", _("Against")),
      choice("abstain", _("Abstain")),
      // Byråd mode: udenfor forliget, neither for it nor a vote still missing.
      app.state.byraad ? choice("outside", _("Outside the forlig")) : null,
    );
    this.noVote = h("p", { class: "note" }, _("Your role has no vote."));
    // Rules 3: the mayor (a role with calls_votes) decides the proposal now on the votes cast.
    this.callVote = h("button", { type: "button", class: "secondary call-vote" }, _("Call the vote"));
    this.callVote.addEventListener("click", () => app.callVote(id));
    this.count = h("p", { class: "vote-count" });
    this.amend = h(
      "button",
      { type: "button", class: "secondary amend" },
      _("Amend this proposal"),
    );
    this.amend.addEventListener("click", () => app.amend(id));
    this.el = h(
      "article",
      { class: "proposal", "aria-labelledby": titleId, dataset: { proposal: id } },
      h("header", null, h("h3", { id: titleId }, _("Proposal %(id)s", { id })), this.status),
      this.by,
      cardList(p.cards, app),
      this.strip,
      this.details,
      this.count,
      this.tally,
      h("div", { class: "actions" }, this.voteRow, this.noVote, this.callVote, this.amend),
    );
    this.rev = -1;
    this.update();
  }

  update() {
    const { state } = this.app;
    const p = state.proposals.get(this.id);
    if (!p) return;
    this.el.dataset.status = p.status;
    setText(this.status, statusName(p.status));
    this.status.className = `status status-${p.status}`;
    const by = [_("By %(name)s", { name: playerName(state, p.player_id) }), _("round %(n)s", { n: p.round })];
    if (p.amends) by.push(_("amends %(id)s", { id: p.amends }));
    setText(this.by, by.join(" · "));
    const votes = votesOf(state, p);
    const parts = [
      _("For: %(names)s", { names: names(votes.for) }),
      _("Against: %(names)s", { names: names(votes.against) }),
      _("Abstain: %(names)s", { names: names(votes.abstain) }),
    ];
    if (state.byraad) parts.push(_("Outside the forlig: %(names)s", { names: names(votes.outside) }));
    if (p.status === "open") parts.push(_("Not voted yet: %(names)s", { names: names(votes.missing) }));
    setText(this.tally, parts.join(" · "));
    // The weights behind the names, as the server counts them, and the rule they are counted by.
    const figures = state.derived.proposals[p.id];
    // In a byråd with parties the total is all the byråd's mandates (the server's), present or not.
    const mandates = state.byraad && state.byraad.parties.length;
    const counted = figures
      ? mandates
        ? _("%(for)s of %(total)s mandates for", { for: figures.tally.for_, total: figures.tally.total })
        : _("%(for)s of %(total)s for", { for: figures.tally.for_, total: weightText(figures.tally.total) })
      : "";
    setText(this.count, [counted, state.rule ? ruleName(state.rule) : ""].filter(Boolean).join(" · "));
    const open = p.status === "open" && state.phase === "round" && !(state.round && state.round.paused);
    const voter = mayVote(state);
    const mine = p.votes[state.you];
    for (const [value, button] of Object.entries(this.choices)) {
      button.setAttribute("aria-pressed", String(mine === value));
      button.disabled = !open || !voter;
    }
    this.voteRow.hidden = !voter || !open;
    this.noVote.hidden = voter || !open;
    const myRole = state.yourRole ? role(state.yourRole) : null;
    this.callVote.hidden = !open || !(myRole && myRole.calls_votes);
    this.amend.hidden = state.phase !== "round";
    this.refreshMeter(p);
  }

  refreshMeter(p) {
    const key = this.app.meterKey(p.cards);
    if (key === this.meterKey) return;
    this.meterKey = key;
    this.app.meterFor(p.cards).then((result) => {
      if (this.meterKey !== key) return;
      if (!result.ok) {
        this.strip.replaceChildren(h("p", { class: "error" }, result.message || _("The figures could not be calculated.")));
        this.detailsBody.replaceChildren();
        return;
      }
      const m = result.data;
      this.strip.replaceChildren(yearStrip(m));
      if (m.warnings.length) {
        this.strip.append(h("p", { class: "warning-count" }, ngettext("%(n)s warning", "%(n)s warnings", m.warnings.length)));
      }
      // The engine's why in words, on every proposal (issue 14): which year, by how much, the cheapest fix.
      this.strip.append(whyWords(m));
      this.detailsBody.replaceChildren(meterFigures(m, { title: _("Proposal %(id)s", { id: p.id }), compact: true }));
    });
  }
}

export class Stream {
  constructor(list, jump, app) {
    this.list = list;
    this.jump = jump;
    this.app = app;
    this.epoch = -1;
    this.count = 0;
    this.proposals = new Map();
    this.present = null;
    this.stuck = true; // following the newest message; false once the reader scrolls up
    jump.addEventListener("click", () => this.toBottom());
    list.addEventListener("scroll", () => {
      if (!this.list.clientHeight) return; // hidden (another tab): keep what we had
      this.stuck = this.nearBottom();
      if (this.stuck) this.jump.hidden = true;
    });
  }

  nearBottom() {
    return this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 80;
  }

  toBottom() {
    this.list.scrollTop = this.list.scrollHeight;
    this.jump.hidden = true;
    this.stuck = true;
  }

  /** The chat became visible again: show the newest messages if the reader was following them. */
  shown() {
    if (this.stuck) this.toBottom();
  }

  sync(force = false) {
    const { state } = this.app;
    const stick = force || this.stuck || this.epoch !== state.epoch;
    if (this.epoch !== state.epoch) {
      this.list.replaceChildren();
      this.count = 0;
      this.proposals.clear();
      this.present = null;
      this.epoch = state.epoch;
    }
    let mineAdded = false;
    for (; this.count < state.timeline.length; this.count += 1) {
      const item = state.timeline[this.count];
      const li = this.item(item);
      if (li) this.list.append(li);
      if (item.kind === "chat" && item.player_id === state.you) mineAdded = true;
    }
    for (const view of this.proposals.values()) view.update();
    if (this.present) this.updatePresent();
    if (stick || mineAdded) this.toBottom();
    else if (this.list.scrollHeight > this.list.clientHeight) this.jump.hidden = false;
  }

  item(item) {
    const { state } = this.app;
    const li = h("li", { class: `item item-${item.kind}`, dataset: { key: item.key } });
    if (item.seq) li.dataset.seq = String(item.seq);
    const system = (...children) => li.append(h("p", { class: "system" }, ...children));
    switch (item.kind) {
      case "present":
        this.present = h("p", { class: "system" });
        li.append(this.present);
        this.updatePresent();
        break;
      case "joined":
        system(_("%(name)s sat down at the table", { name: playerName(state, item.player_id) }));
        break;
      case "left":
        system(_("%(name)s left the table", { name: playerName(state, item.player_id) }));
        break;
      case "removed":
        system(
          item.moved
            ? _("The facilitator moved %(name)s to another table", { name: playerName(state, item.player_id) })
            : _("The facilitator removed %(name)s from the table", { name: playerName(state, item.player_id) }),
        );
        break;
      case "hidden": {
        // The facilitator hid a chat line: it goes, and leaves no trace but this note.
        const gone = this.list.querySelector(`li[data-key="${item.target}"]`);
        if (gone) gone.remove();
        system(_("The facilitator hid a message."));
        break;
      }
      case "paused":
        li.classList.add("milestone");
        system(h("strong", null, _("The round is paused.")), " ", _("The chat works; proposals and votes wait until the facilitator resumes the round."));
        break;
      case "resumed":
        system(_("The round goes on."));
        break;
      case "role": {
        const r = role(item.role);
        system(_("The roles have been dealt. You are %(role)s.", { role: r ? text(r.title) : item.role }));
        break;
      }
      case "round":
        li.append(this.roundItem(item));
        break;
      case "chat":
      case "announce":
        if (item.hidden) return null;
        li.append(this.message(item));
        break;
      case "proposal": {
        const view = new ProposalView(this.app, item.proposal_id);
        this.proposals.set(item.proposal_id, view);
        li.append(view.el);
        break;
      }
      case "adopted": {
        const share = item.share_for === null || item.share_for === undefined ? "" : percent(item.share_for);
        // "Forlig!" only when the forlig meets every condition (the engine's verdict, on the meter): otherwise
        // a plain "Forlig adopted" and the first condition it fails (issue 14).
        const head = h("strong", null, _("Forlig adopted."));
        const adopted = this.app.state.proposals.get(item.proposal_id);
        if (adopted) {
          this.app.meterFor(adopted.cards).then((result) => {
            if (!result.ok || !result.data.why) return;
            const failed = result.data.why.failed;
            li.classList.toggle("milestone", !failed.length);
            li.classList.toggle("milestone-short", Boolean(failed.length));
            head.textContent = failed.length ? _("Forlig adopted, but a condition fails:") + " " + text(failed[0]) : _("Forlig!");
          });
        }
        system(
          head,
          " ",
          item.forced
            ? _("The facilitator adopted proposal %(id)s.", { id: item.proposal_id })
            : _("Proposal %(id)s is adopted with %(share)s of the votes.", { id: item.proposal_id, share }),
        );
        break;
      }
      case "rejected":
        system(_("Proposal %(id)s was voted down.", { id: item.proposal_id }));
        break;
      case "round_ended": {
        const why = {
          adopted: _("a forlig was adopted"),
          deadline: _("the time ran out"),
          facilitator: _("ended by the facilitator"),
        }[item.reason];
        system(why ? _("Round %(n)s is over: %(why)s.", { n: item.round, why }) : _("Round %(n)s is over.", { n: item.round }));
        break;
      }
      case "rule":
        system(_("New voting rule: %(rule)s.", { rule: ruleName(item.rule) }));
        break;
      case "deadline":
        system(_("New deadline for the round: %(time)s.", { time: timeOfDay(item.deadline) }));
        break;
      case "reality":
        system(_("The game is over. The reality check has rolled the dice for every card in the forlig."));
        break;
      case "ability": {
        li.classList.add("milestone");
        system(h("strong", null, _("Ability:")), " ", abilityText(state, item, playerName));
        // A høringssvar: the card's consequences are read aloud while the round waits.
        const c = item.effect === "hearing" && item.card ? card(item.card) : null;
        if (c) li.append(h("blockquote", { class: "consequences" }, h("p", null, `${c.id} ${text(c.title)}: ${text(c.consequences)}`)));
        break;
      }
      case "debrief":
        li.classList.add("milestone");
        li.append(
          h(
            "p",
            { class: "system" },
            h("strong", null, _("The debrief is ready.")),
            " ",
            h("a", { href: this.app.debriefUrl, class: "button primary" }, _("See the debrief")),
          ),
        );
        break;
      default:
        return null;
    }
    return li;
  }

  updatePresent() {
    const { state } = this.app;
    const seated = [...state.players.values()].filter((p) => p.seated);
    setText(
      this.present,
      seated.length
        ? _("At the table: %(names)s.", { names: seated.map((p) => p.name).join(", ") })
        : _("Nobody is at the table yet."),
    );
  }

  roundItem(item) {
    const { state } = this.app;
    const box = h(
      "div",
      { class: "round-start" },
      h(
        "h3",
        null,
        state.roundsTotal
          ? _("Round %(n)s of %(total)s begins", { n: item.round, total: state.roundsTotal })
          : _("Round %(n)s begins", { n: item.round }),
      ),
    );
    const e = item.event_card ? eventCard(item.event_card) : null;
    if (e) {
      box.append(
        h(
          "section",
          { class: "event-card", "aria-label": _("Event card") },
          h("p", { class: "eyebrow" }, _("Event card %(id)s", { id: e.id })),
          h("h4", null, text(e.title)),
          h("p", null, text(e.description)),
          h(
            "details",
            null,
            h("summary", null, _("Background")),
            h("p", null, text(e.background)),
            e.scaled ? h("p", { class: "scaled" }, h("strong", null, _("Scaled:")), " ", text(e.scaled)) : null,
            e.sources.length ? sourceList(e.sources) : null,
          ),
        ),
      );
    }
    return box;
  }

  message(item) {
    const { state } = this.app;
    const mine = item.player_id && item.player_id === state.you;
    const who = item.player_id ? playerName(state, item.player_id) : _("Facilitator");
    return h(
      "div",
      { class: `message${mine ? " mine" : ""}${item.player_id ? "" : " announcement"}` },
      h(
        "p",
        { class: "meta" },
        h("span", { class: "who" }, who),
        mine ? h("span", { class: "you" }, " (" + _("you") + ")") : null,
        item.at ? h("time", { datetime: item.at }, ` ${timeOfDay(item.at)}`) : null,
      ),
      h("p", { class: "text" }, messageText(item.text, this.app)),
    );
  }
}

export function announceText(state, item) {
  if (item.kind === "chat" && item.player_id !== state.you) return `${playerName(state, item.player_id)}: ${item.text}`;
  if (item.kind === "announce") return _("Facilitator") + ": " + item.text;
  if (item.kind === "round") {
    const drawn = item.event_card ? eventCard(item.event_card) : null;
    const begins = _("Round %(n)s begins", { n: item.round });
    // screens: the event card is said too, not only shown
    return drawn ? `${begins}. ${_("Event card %(id)s", { id: drawn.id })}: ${text(drawn.title)}. ${text(drawn.description)}` : begins;
  }
  if (item.kind === "proposal") {
    const p = state.proposals.get(item.proposal_id);
    return p ? _("%(name)s proposed %(id)s", { name: playerName(state, p.player_id), id: p.id }) : "";
  }
  if (item.kind === "adopted") return _("Proposal %(id)s is adopted.", { id: item.proposal_id });
  if (item.kind === "rejected") return _("Proposal %(id)s was voted down.", { id: item.proposal_id });
  if (item.kind === "debrief") return _("The debrief is ready.");
  if (item.kind === "ability") return abilityText(state, item, playerName);
  return "";
}

