// Draws one frame of a replay (GET /api/replays/{id}/at/{seq}) into the viewer's panels.
import { amount, el, lang, percent, t, when } from "./strings.js";

const CHOICES = { for: "for", against: "against", abstain: "abstain", outside: "outside the forlig" };

function names(view) {
  return Object.fromEntries(view.players.map((player) => [player.id, player.name]));
}

function cardTitle(deck, id) {
  const card = deck.cards[id];
  return card ? `${id} ${card.title}` : id;
}

function eventTitle(deck, id) {
  const event = deck.events[id];
  return event ? `${id} ${event.title}` : id;
}

function roleTitle(deck, id) {
  return id && deck.roles[id] ? deck.roles[id].title : id || "";
}

function choiceText(choice) {
  return t(CHOICES[choice] || choice);
}

/** m:ss for a number of seconds (the time left in a paused round). */
function minutes(seconds) {
  const whole = Math.max(0, Math.round(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

/** What the chat shows instead of a line the facilitator hid (at every position of the replay). */
export function hiddenText() {
  return t("Hidden by the facilitator");
}

/** The sentence for a message_hidden event: whose line was hidden, when the chat still holds it. */
function hiddenLine(event, view, name) {
  const line = view.chat.find((candidate) => candidate.seq === event.seq);
  if (line && line.player_id) return t("The facilitator hid a message from %(name)s (event %(seq)s)", { name: name(line.player_id), seq: event.seq });
  if (line) return t("The facilitator hid an announcement (event %(seq)s)", { seq: event.seq });
  return t("The facilitator hid a message (event %(seq)s)", { seq: event.seq });
}

/** A timeline marker's label in words: the vote's choice translated, the end by what ended it. */
export function markerLabel(kind, label) {
  if (kind === "vote") {
    const [id, choice] = label.split(":");
    return `${id} ${choiceText(choice)}`;
  }
  if (kind === "end") return t(label === "reality_checked" ? "phase.reality_check" : "phase.debrief");
  return label;
}

/**
 * One sentence for the event at this position: what just happened at the table. `hidden`: the event is a
 * chat line the facilitator hid (the server sends it without its text); every event type has its sentence.
 */
export function describe(event, view, deck, hidden = false) {
  const who = names(view);
  const name = (id) => who[id] || id;
  switch (event.type) {
    case "game_created":
      return t("The game was created: %(table)s", { table: event.table_name });
    case "player_joined":
      return event.bot
        ? t("%(name)s (a practice bot) sat down at the table", { name: event.name })
        : t("%(name)s sat down at the table", { name: event.name });
    case "player_left":
      return t("%(name)s left the table", { name: name(event.player_id) });
    case "roles_dealt": {
      // One assignment after the lobby's deal, or any by the facilitator's hand (assign_role), names who got what.
      const given = Object.entries(event.assignments);
      return given.length === 1
        ? t("%(name)s got the role %(role)s", { name: name(given[0][0]), role: roleTitle(deck, given[0][1]) })
        : t("The roles were dealt");
    }
    case "party_assigned":
      return t("%(name)s was put in the party %(party)s", { name: name(event.player_id), party: event.party });
    case "round_started":
      return event.event_card
        ? t("Round %(n)s began with the event card %(card)s", { n: event.round, card: eventTitle(deck, event.event_card) })
        : t("Round %(n)s began", { n: event.round });
    case "message_posted":
      return `${name(event.player_id)}: ${hidden ? hiddenText() : event.text}`;
    case "announcement_made":
      return `${t("Facilitator")}: ${hidden ? hiddenText() : event.text}`;
    case "proposal_made":
      return event.amends
        ? t("%(name)s proposed %(id)s, amending %(amends)s", { name: name(event.player_id), id: event.proposal_id, amends: event.amends })
        : t("%(name)s proposed %(id)s", { name: name(event.player_id), id: event.proposal_id });
    case "vote_cast":
      return t("%(name)s voted %(choice)s on %(id)s", {
        name: name(event.player_id),
        choice: choiceText(event.choice),
        id: event.proposal_id,
      });
    case "proposal_adopted":
      return event.forced
        ? t("The facilitator adopted %(id)s as the forlig", { id: event.proposal_id })
        : t("%(id)s was adopted as the forlig with %(share)s in favour", {
            id: event.proposal_id,
            share: percent(event.share_for),
          });
    case "proposal_rejected":
      return t("%(id)s was voted down", { id: event.proposal_id });
    case "round_ended":
      return t("Round %(n)s ended (%(reason)s)", { n: event.round, reason: t(`reason.${event.reason}`) });
    case "rule_changed":
      return t("The adoption rule is now: %(rule)s", { rule: t(`rule.${event.rule}`) });
    case "deadline_set":
      return t("The deadline moved to %(time)s", { time: when(event.deadline) });
    case "reality_checked":
      return t("The game ended: the dice decide how much of the forlig is realised");
    case "debrief_shown":
      return t("The facilitator showed the debrief");
    case "message_hidden":
      return hiddenLine(event, view, name);
    case "player_removed":
      return event.moved_to
        ? t("The facilitator moved %(name)s to another table", { name: name(event.player_id) })
        : t("The facilitator removed %(name)s from the table", { name: name(event.player_id) });
    case "seat_handed_over":
      return t("%(name)s continued on another device", { name: name(event.player_id) });
    case "round_paused":
      return event.remaining === null || event.remaining === undefined
        ? t("The facilitator paused round %(n)s", { n: event.round })
        : t("The facilitator paused round %(n)s with %(left)s left", { n: event.round, left: minutes(event.remaining) });
    case "round_resumed":
      return event.deadline
        ? t("Round %(n)s resumed; the deadline is now %(time)s", { n: event.round, time: when(event.deadline) })
        : t("Round %(n)s resumed", { n: event.round });
    case "ability_used": {
      const ability = abilityTitle(deck, event.ability);
      const args = { name: name(event.player_id), ability, card: event.card, event: event.event };
      if (event.moved === "in") return t("%(name)s used %(ability)s: %(card)s moved into the forlig without a vote", args);
      if (event.moved === "out") return t("%(name)s used %(ability)s: %(card)s taken out of the forlig without a vote", args);
      if (event.card) return t("%(name)s used %(ability)s on %(card)s", args);
      if (event.event) return t("%(name)s used %(ability)s on %(event)s", args);
      return t("%(name)s used %(ability)s", args);
    }
    default:
      return event.type;
  }
}

/** An ability's name from the deck (its id when the deck has none by that id). */
function abilityTitle(deck, id) {
  return deck.abilities && deck.abilities[id] ? deck.abilities[id].title : id;
}

function yearsTable(caption, years, rows) {
  const head = el("tr", {}, el("th", { scope: "col", text: t("Year") }), ...years.map((y) => el("th", { scope: "col", text: y })));
  const body = rows.map(([label, values, marks]) =>
    el(
      "tr",
      {},
      el("th", { scope: "row", text: label }),
      ...values.map((value, index) => el("td", { class: marks ? (marks[index] ? "rp-ok" : "rp-short") : "", text: amount(value) })),
    ),
  );
  const table = el("table", { class: "replay-years" }, el("caption", { text: `${caption} (${t("mio. kr.")})` }), el("thead", {}, head), el("tbody", {}, ...body));
  // A scrolling region must be reachable by keyboard (WCAG 2.1.1): it takes focus and is named by its caption.
  return el("div", { class: "rp-table-scroll", tabindex: "0", role: "group", "aria-label": caption }, table);
}

function meterTable(caption, meter, years) {
  return yearsTable(caption, years, [
    [t("Target"), meter.target],
    [t("Events"), meter.event_effect],
    [t("Portfolio"), meter.forlig_effect],
    [t("Result"), meter.result, meter.reached],
  ]);
}

function cardList(cards, deck) {
  return el("ul", { class: "replay-cards" }, ...cards.map((id) => el("li", { text: cardTitle(deck, id), title: deck.cards[id]?.kind || "" })));
}

export function renderRound(target, view, deck) {
  const round = view.round;
  const parts = [
    el("p", {}, el("strong", { text: t(`phase.${view.phase}`) })),
    round
      ? el("p", { text: t("Round %(n)s of %(total)s", { n: round.number, total: view.rounds_total ?? "?" }) })
      : null,
    round && round.paused ? el("p", { class: "rp-paused", text: t("The round is paused.") }) : null,
    view.rule ? el("p", { text: t("Adoption rule: %(rule)s", { rule: t(`rule.${view.rule}`) }) }) : null,
  ];
  if (view.event_cards.length) {
    parts.push(el("p", { text: t("Event cards drawn:") }));
    parts.push(el("ul", { class: "replay-events" }, ...view.event_cards.map((id) => el("li", { text: eventTitle(deck, id) }))));
  }
  target.replaceChildren(...parts.filter(Boolean));
}

export function renderPlayers(target, view, deck) {
  target.replaceChildren(
    ...view.players.map((player) =>
      el(
        "li",
        { class: player.seated ? "" : "rp-left" },
        el("span", { class: "rp-name", text: player.name }),
        player.role ? el("span", { class: "rp-role", text: roleTitle(deck, player.role) }) : null,
        player.seated ? null : el("span", { class: "muted", text: t("(left)") }),
      ),
    ),
  );
}

export function renderForlig(target, meterTarget, frame, deck) {
  const view = frame.view;
  const years = deck.years;
  if (view.forlig && view.meter) {
    const forlig = view.forlig;
    target.replaceChildren(
      el("p", {
        class: "rp-forlig-line",
        text: t("Forlig %(id)s from round %(round)s: %(count)s cards, %(share)s in favour", {
          id: forlig.proposal_id,
          round: forlig.round,
          count: forlig.cards.length,
          share: percent(forlig.share_for),
        }) + (forlig.forced ? ` (${t("forced by the facilitator")})` : ""),
      }),
      meterTable(t("The forlig on the meter"), view.meter, years),
      el("details", {}, el("summary", { text: t("The forlig's cards") }), cardList(forlig.cards, deck)),
    );
  } else {
    target.replaceChildren(el("p", { class: "muted", text: t("No forlig yet.") }));
  }
  const newest = view.proposals[view.proposals.length - 1];
  if (frame.proposal_meter && newest && (!view.forlig || newest.id !== view.forlig.proposal_id)) {
    meterTarget.replaceChildren(meterTable(t("The newest proposal, %(id)s, on the meter", { id: newest.id }), frame.proposal_meter, years));
  } else {
    meterTarget.replaceChildren();
  }
}

export function renderProposals(target, view, deck) {
  const who = names(view);
  if (!view.proposals.length) {
    target.replaceChildren(el("li", { class: "muted", text: t("No proposals yet.") }));
    return;
  }
  target.replaceChildren(
    ...[...view.proposals].reverse().map((proposal) => {
      const tally = proposal.tally;
      const votes = Object.entries(proposal.votes).map(([id, choice]) => `${who[id] || id}: ${choiceText(choice)}`);
      return el(
        "li",
        { class: `rp-proposal rp-status-${proposal.status}`, id: `proposal-${proposal.id}` },
        el(
          "p",
          { class: "rp-proposal-head" },
          el("strong", { text: proposal.id }),
          ` · ${t("round %(n)s", { n: proposal.round })} · ${who[proposal.player_id] || proposal.player_id}`,
          proposal.amends ? ` · ${t("amends %(id)s", { id: proposal.amends })}` : "",
          " ",
          el("span", { class: "rp-status", text: t(`status.${proposal.status}`) }),
        ),
        el("p", {
          class: "rp-tally",
          text: t("For %(for)s · against %(against)s · abstain %(abstain)s · of %(total)s", {
            for: tally.for_,
            against: tally.against,
            abstain: tally.abstain,
            total: tally.total,
          }) + (tally.outside ? ` · ${t("outside the forlig %(n)s", { n: tally.outside })}` : ""),
        }),
        votes.length ? el("p", { class: "rp-votes muted", text: votes.join(" · ") }) : null,
        el("details", {}, el("summary", { text: t("%(n)s cards", { n: proposal.cards.length }) }), cardList(proposal.cards, deck)),
      );
    }),
  );
}

/** The chat up to this position; `hidden` holds the seqs of the lines the facilitator hid (sent without text). */
export function renderChat(target, view, hidden = []) {
  const who = names(view);
  if (!view.chat.length) {
    target.replaceChildren(el("li", { class: "muted", text: t("Nothing has been said yet.") }));
    return;
  }
  target.replaceChildren(
    ...view.chat.map((line) =>
      el(
        "li",
        { class: `rp-chat-line${line.player_id ? "" : " rp-announcement"}${hidden.includes(line.seq) ? " rp-hidden" : ""}` },
        el("span", { class: "rp-who", text: line.player_id ? who[line.player_id] || line.player_id : t("Facilitator") }),
        hidden.includes(line.seq)
          ? el("span", { class: "rp-text rp-hidden-text", text: hiddenText() })
          : el("span", { class: "rp-text", text: line.text }),
        el("time", { datetime: line.at, text: when(line.at) }),
      ),
    ),
  );
  target.scrollTop = target.scrollHeight;
}

export function renderDebrief(panel, target, debrief, deck) {
  if (!debrief) {
    panel.hidden = true;
    target.replaceChildren();
    return;
  }
  panel.hidden = false;
  const years = deck.years;
  const rows = debrief.years;
  const parts = [
    el("p", { class: debrief.verdict.reached ? "rp-verdict rp-ok" : "rp-verdict rp-short", text: debrief.verdict.reached ? t("The goal is reached.") : t("The goal is not reached.") }),
    yearsTable(t("The four years"), years, [
      [t("Target"), rows.map((row) => row.target)],
      [t("Events"), rows.map((row) => row.event_effect)],
      [t("Forlig"), rows.map((row) => row.forlig_effect)],
      [t("Result"), rows.map((row) => row.result), rows.map((row) => row.reached)],
    ]),
    el("ul", { class: "rp-reasons" }, ...debrief.verdict.reasons.map((reason) =>
      el("li", { class: reason.ok ? "rp-ok" : "rp-short" }, el("span", { "aria-hidden": "true", text: reason.ok ? "✓ " : "✗ " }), reason[lang] || reason.da),
    )),
  ];
  const check = debrief.reality_check;
  if (check.rolled) {
    parts.push(
      yearsTable(t("Reality check: the dice"), years, [
        [t("Planned"), check.years.map((row) => row.planned_effect)],
        [t("Realised"), check.years.map((row) => row.realised_effect)],
        [t("Result"), check.years.map((row) => row.result), check.years.map((row) => row.reached)],
      ]),
    );
  }
  parts.push(
    el("p", {
      class: "muted",
      text: t("Probability of reaching the target in all four years: %(p)s", { p: percent(check.probability_all_years) }),
    }),
  );
  target.replaceChildren(...parts);
}
