// The player's role card with its hjertesager, and who is at the table and online.
import { h } from "./dom.js";
import { _, ngettext } from "./i18n.js";
import { deck, role, ruleName, text } from "./deck.js";
import { abilitiesSection } from "./abilities.js";

function roleCard(r, { secret, own, weight, hjertesager, app }) {
  return h(
    "section",
    { class: "role-card", "aria-labelledby": "role-title" },
    h("p", { class: "eyebrow" }, own ? _("Your role") : _("Role")),
    h("h2", { id: "role-title" }, text(r.title)),
    h("p", null, text(r.description)),
    r.ability ? h("p", { class: "ability" }, h("strong", null, _("Ability:")), " ", text(r.ability)) : null,
    own && app ? abilitiesSection(app) : null,
    h(
      "p",
      { class: "weight" },
      // The weight is the server's (its `voters`): the rules decide who votes, not the role card.
      weight > 0
        ? weight === 1
          ? _("You have 1 vote.")
          : _("You have %(n)s votes.", { n: weight })
        : _("Your role has no vote."),
    ),
    // The hjertesager come in the player's own view only (the deck served to browsers has none).
    hjertesager.length
      ? h(
          "div",
          { class: "hjertesager" },
          h("h3", null, _("Your hjertesager")),
          secret ? h("p", { class: "note" }, _("Secret: only you can see them.")) : null,
          h("ul", null, hjertesager.map((sag) => h("li", null, text(sag)))),
        )
      : null,
  );
}

/** A player's vote weight as the server counts it (its `voters`): public at the table, as in a byråd. */
export function weightText(weight) {
  return weight > 0 ? ngettext("%(n)s vote", "%(n)s votes", weight) : _("no vote");
}

/** The voting rule and when a vote is decided (rules 3): everyone has voted, or the vote is called. */
export function votingRule(state) {
  const byraad = state.byraad;
  const mandates = byraad ? byraad.parties.reduce((sum, party) => sum + party.mandates, 0) : 0;
  return h(
    "p",
    { class: "voting-rule" },
    h("strong", null, _("Voting rule:")),
    " ",
    ruleName(state.rule),
    ". ",
    _("A proposal is decided when everyone with a vote has voted, or when the mayor or the facilitator calls the vote; a forlig needs at least two players for it."),
    byraad
      ? " " +
          (mandates
            ? _("A byråd: every member has one mandate, and the rule is counted in all %(n)s mandates, present or not.", { n: mandates })
            : _("A byråd: every member has one vote."))
      : null,
  );
}

/** Byråd mode: a party's name by its id (the table's parties, from game_created). */
export function partyName(state, id) {
  const party = state.byraad && id ? state.byraad.parties.find((x) => x.id === id) : null;
  return party ? text(party.name) : "";
}

// screens: the seat code, the proof that moves this seat to a new device (server/api/seats.py).
function seatCodeBox(code) {
  return h(
    "section",
    { class: "seat-code", "aria-labelledby": "seat-code-title" },
    h("h2", { id: "seat-code-title" }, _("Your seat code")),
    h("p", { class: "code", id: "own-seat-code" }, code),
    h("p", { class: "note" }, _("Changing phone? Join with your name on the new device and type this code: your seat, role and votes move with you.")),
  );
}

export function renderPeople(root, app) {
  const { state } = app;
  const secret = deck.scenario.secret_roles;
  const mine = state.yourRole ? role(state.yourRole) : null;
  const themselves = state.byraad && state.byraad.roles === "themselves";
  const me = state.you ? state.players.get(state.you) : null;
  const myParty = me ? partyName(state, me.party) : "";
  const partyLine = state.byraad && state.byraad.parties.length
    ? h("p", { class: "your-party" }, myParty ? _("Your party: %(party)s", { party: myParty }) : _("The facilitator puts you in your party."))
    : null;
  const roleBox = mine
    ? roleCard(mine, { secret, own: true, weight: state.derived.voters[state.you] || 0, hjertesager: state.yourHjertesager, app })
    : themselves
      ? h(
          "section",
          { class: "role-card pending" },
          h("h2", null, _("You play as yourself")),
          h("p", null, _("No roles at this table: every member has one vote.")),
          partyLine,
        )
      : h(
          "section",
          { class: "role-card pending" },
          h("h2", null, _("Your role")),
          h("p", null, _("The roles are dealt when the facilitator starts the first round.")),
          partyLine,
        );
  if (mine && partyLine) roleBox.append(partyLine);
  const players = [...state.players.values()].sort((a, b) => a.number - b.number);
  const list = h(
    "ul",
    { class: "players" },
    players.map((p) => {
      const online = state.online.has(p.id);
      const r = p.role ? role(p.role) : null;
      return h(
        "li",
        { class: `${online ? "online" : "away"}${p.seated ? "" : " gone"}`, dataset: { player: p.id } },
        h("span", { class: "dot", "aria-hidden": "true" }),
        h("span", { class: "name" }, p.name),
        p.id === state.you ? h("span", { class: "you" }, " (" + _("you") + ")") : null,
        p.bot ? h("span", { class: "bot-badge" }, _("bot")) : null,
        h(
          "span",
          { class: "state" },
          !p.seated ? _("has left") : p.bot ? _("plays by itself") : online ? _("online") : _("not online"),
        ),
        p.seated && state.phase !== "lobby" ? h("span", { class: "weight" }, weightText(state.derived.voters[p.id] || 0)) : null,
        r && p.id !== state.you ? h("span", { class: "their-role" }, text(r.title)) : null,
        p.party ? h("span", { class: "their-party" }, partyName(state, p.party)) : null,
      );
    }),
  );
  root.replaceChildren(
    roleBox,
    h(
      "section",
      { class: "people", "aria-labelledby": "people-title" },
      h("h2", { id: "people-title" }, _("At the table")),
      state.rule ? votingRule(state) : null,
      list,
      h("p", { class: "facilitator" }, state.facilitatorOnline ? _("The facilitator is watching.") : _("The facilitator is not online.")),
      secret ? h("p", { class: "note" }, _("The roles and the votes are public; the hjertesager are secret until the debrief.")) : null,
    ),
    app.seatCode ? seatCodeBox(app.seatCode) : null,
  );
}
