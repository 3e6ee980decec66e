// The client's state: a projection of the server's snapshot (engine/views.py TableView) plus the events
// applied since (engine/model.py), one at a time and each only once. `timeline` is what the chat stream shows.
// The events are applied as they say, nothing more: what follows from the rules (who may vote, who is still to
// vote, the tallies) is `derived`, as the snapshot has it, with what the server says each event changed in it
// (the event frame's `derived`) laid over it.
// tests/parity/ folds every game both here (under Node) and in engine/views.py and compares `tableView`.

function noDerived() {
  return { voters: {}, proposals: {} };
}

export function emptyState() {
  return {
    seq: 0,
    ready: false,
    you: null,
    yourRole: null,
    yourHjertesager: [], // only ever from a snapshot: the deck served to browsers carries no hjertesager
    tableName: null,
    deckId: null,
    phase: "lobby",
    rule: null,
    roundsTotal: null,
    target: null,
    round: null,
    eventCards: [],
    players: new Map(),
    proposals: new Map(),
    forlig: null,
    rolls: null,
    derived: noDerived(),
    abilities: [], // every ability in the deck: uses left and whether its moment is now (as the server says)
    abilityUses: [], // the abilities used, in order
    byraad: null, // byråd mode: parties and mandates, seats, how roles are given (game_created)
    timeline: [],
    epoch: 0, // bumped when the timeline is rebuilt from a snapshot
    online: new Set(),
    facilitatorOnline: false,
    removed: null, // {moved_to} once the facilitator removed (or moved) this player
  };
}

function toMs(iso) {
  const value = Date.parse(iso);
  return Number.isNaN(value) ? 0 : value;
}

function proposalFrom(p) {
  return {
    id: p.id,
    round: p.round,
    player_id: p.player_id,
    cards: [...p.cards],
    amends: p.amends,
    status: p.status,
    votes: { ...p.votes },
    at: p.at,
    rev: 0,
  };
}

/** Replace everything with a snapshot's view; the timeline is rebuilt from what the snapshot holds. */
export function applySnapshot(state, seq, view) {
  Object.assign(state, {
    seq,
    ready: true,
    you: view.you,
    yourRole: view.your_role,
    yourHjertesager: [...(view.your_hjertesager || [])],
    tableName: view.table_name,
    deckId: view.deck_id,
    phase: view.phase,
    rule: view.rule,
    roundsTotal: view.rounds_total,
    target: view.target,
    round: view.round ? { ...view.round } : null,
    eventCards: [...view.event_cards],
    players: new Map(view.players.map((p) => [p.id, { ...p }])),
    proposals: new Map(view.proposals.map((p) => [p.id, proposalFrom(p)])),
    forlig: view.forlig ? { ...view.forlig, cards: [...view.forlig.cards] } : null,
    rolls: view.rolls,
    abilities: (view.abilities || []).map((a) => ({ ...a })),
    abilityUses: (view.ability_uses || []).map((u) => ({ ...u })),
    byraad: view.byraad || null,
    derived: {
      voters: { ...view.voters },
      proposals: Object.fromEntries(view.proposals.map((p) => [p.id, { tally: { ...p.tally }, missing: [...p.missing] }])),
    },
    epoch: state.epoch + 1,
  });
  state.timeline = timelineFromSnapshot(state, view);
}

function timelineFromSnapshot(state, view) {
  const items = [];
  const proposals = [...state.proposals.values()];
  const firstOfRound = (n) => {
    const times = proposals.filter((p) => p.round >= n).map((p) => toMs(p.at));
    return times.length ? Math.min(...times) - 1 : null;
  };
  const current = state.round;
  const roundCount = current ? current.number : 0;
  const end = current ? toMs(current.started_at) : Date.now();
  items.push({ key: "snap-players", kind: "present", sort: 0 });
  for (let n = 1; n <= roundCount; n += 1) {
    const isCurrent = current && n === current.number;
    const eventCard = isCurrent ? current.event_card : n >= 2 ? view.event_cards[n - 2] || null : null;
    const sort = isCurrent ? toMs(current.started_at) : (firstOfRound(n) ?? end - (roundCount - n));
    items.push({ key: `r${n}`, kind: "round", round: n, event_card: eventCard, sort });
  }
  for (const p of proposals) {
    items.push({ key: `p${p.id}`, kind: "proposal", proposal_id: p.id, sort: toMs(p.at) });
    if (p.status === "adopted") {
      const forlig = state.forlig && state.forlig.proposal_id === p.id ? state.forlig : null;
      items.push({
        key: `a${p.id}`,
        kind: "adopted",
        proposal_id: p.id,
        share_for: forlig ? forlig.share_for : null,
        forced: forlig ? forlig.forced : false,
        sort: toMs(p.at) + 0.5,
      });
    } else if (p.status === "rejected") {
      items.push({ key: `x${p.id}`, kind: "rejected", proposal_id: p.id, sort: toMs(p.at) + 0.5 });
    }
  }
  for (const line of view.chat) {
    items.push({
      key: `c${line.seq}`,
      kind: line.player_id ? "chat" : "announce",
      seq: line.seq,
      player_id: line.player_id,
      text: line.text,
      mentions: line.mentions,
      at: line.at,
      sort: toMs(line.at),
    });
  }
  if (current && current.ended_at) {
    items.push({ key: `re${current.number}`, kind: "round_ended", round: current.number, sort: toMs(current.ended_at) });
  }
  const last = Number.MAX_SAFE_INTEGER;
  if (state.phase === "reality_check" || state.phase === "debrief") items.push({ key: "ph-reality", kind: "reality", sort: last - 1 });
  if (state.phase === "debrief") items.push({ key: "ph-debrief", kind: "debrief", sort: last });
  items.sort((a, b) => a.sort - b.sort || (a.seq || 0) - (b.seq || 0));
  return items;
}

/**
 * Apply one event, and the frame's `derived` figures when it has them. Returns null when it was applied before
 * (seq <= state.seq), "gap" when events are missing before it (the connection then resumes from state.seq),
 * else the timeline items it added.
 */
export function applyEvent(state, seq, event, derived = null) {
  if (seq <= state.seq) return null;
  if (seq !== state.seq + 1) return "gap";
  state.seq = seq;
  if (derived) {
    if (derived.voters) state.derived.voters = derived.voters;
    Object.assign(state.derived.proposals, derived.proposals);
    if (derived.abilities) state.abilities = derived.abilities.map((a) => ({ ...a }));
  }
  const added = [];
  const add = (item) => {
    const full = { at: event.at, seq, ...item };
    state.timeline.push(full);
    added.push(full);
  };
  const players = state.players;
  switch (event.type) {
    case "game_created":
      Object.assign(state, {
        tableName: event.table_name,
        target: event.target,
        rule: event.rule,
        roundsTotal: event.rounds,
        deckId: event.deck_id,
        byraad: event.byraad || null,
      });
      break;
    case "player_joined": {
      const before = players.get(event.player_id);
      players.set(event.player_id, {
        id: event.player_id,
        name: event.name,
        number: before ? before.number : players.size + 1,
        seated: true,
        role: null,
        bot: Boolean(event.bot),
        party: event.party ?? null,
      });
      add({ key: `s${seq}`, kind: "joined", player_id: event.player_id });
      break;
    }
    case "player_left": {
      const player = players.get(event.player_id);
      if (player) Object.assign(player, { seated: false, role: null });
      if (event.player_id === state.you) Object.assign(state, { yourRole: null, yourHjertesager: [] });
      for (const p of state.proposals.values()) {
        if (p.status === "open" && event.player_id in p.votes) {
          delete p.votes[event.player_id];
          p.rev += 1;
        }
      }
      add({ key: `s${seq}`, kind: "left", player_id: event.player_id });
      break;
    }
    case "roles_dealt":
      for (const [playerId, roleId] of Object.entries(event.assignments)) {
        const player = players.get(playerId);
        if (player) player.role = roleId;
        if (playerId === state.you) state.yourRole = roleId;
      }
      if (state.you && state.you in event.assignments) add({ key: `s${seq}`, kind: "role", role: event.assignments[state.you] });
      break;
    case "party_assigned": {
      const player = players.get(event.player_id);
      if (player) player.party = event.party;
      break;
    }
    case "round_started":
      state.round = {
        number: event.round,
        event_card: event.event_card,
        started_at: event.at,
        deadline: event.deadline,
        ended_at: null,
        adopted: null,
      };
      state.phase = "round";
      if (event.event_card) state.eventCards = [...state.eventCards, event.event_card];
      add({ key: `r${event.round}`, kind: "round", round: event.round, event_card: event.event_card });
      break;
    // A line is never empty (the rules refuse that): an empty text is one the server kept from this viewer.
    case "message_posted":
      add({ key: `c${seq}`, kind: "chat", player_id: event.player_id, text: event.text, mentions: event.mentions, hidden: !event.text });
      break;
    case "announcement_made":
      add({ key: `c${seq}`, kind: "announce", player_id: null, text: event.text, mentions: [], hidden: !event.text });
      break;
    case "proposal_made":
      state.proposals.set(
        event.proposal_id,
        proposalFrom({
          id: event.proposal_id,
          round: event.round,
          player_id: event.player_id,
          cards: event.cards,
          amends: event.amends,
          status: "open",
          votes: {},
          at: event.at,
        }),
      );
      add({ key: `p${event.proposal_id}`, kind: "proposal", proposal_id: event.proposal_id });
      break;
    case "vote_cast": {
      const p = state.proposals.get(event.proposal_id);
      if (p) {
        p.votes[event.player_id] = event.choice;
        p.rev += 1;
      }
      break;
    }
    case "proposal_adopted": {
      const p = state.proposals.get(event.proposal_id);
      if (p) {
        p.status = "adopted";
        p.rev += 1;
        state.forlig = {
          proposal_id: p.id,
          round: p.round,
          cards: [...p.cards],
          share_for: event.share_for,
          forced: event.forced,
        };
      }
      add({ key: `a${event.proposal_id}`, kind: "adopted", proposal_id: event.proposal_id, share_for: event.share_for, forced: event.forced });
      break;
    }
    case "proposal_rejected": {
      const p = state.proposals.get(event.proposal_id);
      if (p) {
        p.status = "rejected";
        p.rev += 1;
      }
      add({ key: `x${event.proposal_id}`, kind: "rejected", proposal_id: event.proposal_id });
      break;
    }
    case "round_ended":
      for (const p of state.proposals.values()) {
        if (p.status === "open") {
          p.status = "closed";
          p.rev += 1;
        }
      }
      state.phase = "round_ended";
      if (state.round) {
        // The round's forlig is the one adopted in it (a forlig of an earlier round still holds, but is not its).
        const adopted = state.forlig && state.forlig.round === state.round.number ? state.forlig.proposal_id : null;
        Object.assign(state.round, { ended_at: event.at, adopted, paused: false, remaining: null });
      }
      add({ key: `re${event.round}`, kind: "round_ended", round: event.round, reason: event.reason });
      break;
    case "rule_changed":
      state.rule = event.rule;
      add({ key: `s${seq}`, kind: "rule", rule: event.rule });
      break;
    case "deadline_set":
      // While paused the clock stands still: the new deadline is kept as the time left at resume.
      if (state.round && state.round.paused) state.round.remaining = Math.max(0, (toMs(event.deadline) - toMs(event.at)) / 1000);
      else if (state.round) state.round.deadline = event.deadline;
      add({ key: `s${seq}`, kind: "deadline", deadline: event.deadline });
      break;
    case "reality_checked":
      state.phase = "reality_check";
      state.rolls = event.rolls;
      add({ key: "ph-reality", kind: "reality" });
      break;
    case "debrief_shown":
      state.phase = "debrief";
      add({ key: "ph-debrief", kind: "debrief" });
      break;
    case "message_hidden": {
      // The event stream cannot take a message back: the client drops it (snapshots leave it out).
      const line = state.timeline.find((item) => item.key === `c${event.seq}`);
      if (line) Object.assign(line, { hidden: true, text: "", mentions: [] });
      add({ key: `h${seq}`, kind: "hidden", target: `c${event.seq}` });
      break;
    }
    case "player_removed": {
      const player = players.get(event.player_id);
      if (player) Object.assign(player, { seated: false, role: null });
      if (event.player_id === state.you) {
        Object.assign(state, { yourRole: null, yourHjertesager: [] });
        state.removed = { moved_to: event.moved_to };
      }
      for (const p of state.proposals.values()) {
        if (p.status === "open" && event.player_id in p.votes) {
          delete p.votes[event.player_id];
          p.rev += 1;
        }
      }
      add({ key: `s${seq}`, kind: "removed", player_id: event.player_id, moved: Boolean(event.moved_to) });
      break;
    }
    case "round_paused":
      if (state.round) Object.assign(state.round, { paused: true, deadline: null, remaining: event.remaining });
      add({ key: `s${seq}`, kind: "paused" });
      break;
    case "round_resumed":
      if (state.round) Object.assign(state.round, { paused: false, deadline: event.deadline, remaining: null });
      add({ key: `s${seq}`, kind: "resumed", deadline: event.deadline });
      break;
    case "ability_used": {
      const use = {
        seq,
        player_id: event.player_id,
        role: event.role,
        ability: event.ability,
        effect: event.effect,
        round: event.round,
        card: event.card ?? null,
        event: event.event ?? null,
        moved: event.moved ?? null,
        at: event.at,
      };
      state.abilityUses = [...state.abilityUses, use];
      // A borgmesterkompromis moves one card into or out of the forlig, without a vote.
      if (use.moved && use.card && state.forlig) {
        const cards = state.forlig.cards.filter((card) => card !== use.card);
        state.forlig = { ...state.forlig, cards: use.moved === "in" ? [...state.forlig.cards, use.card] : cards };
      }
      add({ key: `ab${seq}`, kind: "ability", ...use });
      break;
    }
    default:
      break; // an event type this client does not know: the seq still counts
  }
  return added;
}

export function applyPresence(state, frame) {
  state.online = new Set(frame.online);
  state.facilitatorOnline = frame.facilitator;
}

/** Who voted how, by head, and who is still to vote (as the server says: a player without a vote never is). */
export function votesOf(state, proposal) {
  const out = { for: [], against: [], abstain: [], outside: [], missing: [] };
  for (const player of state.players.values()) {
    const choice = proposal.votes[player.id];
    if (player.seated && choice) out[choice].push(player);
  }
  const figures = state.derived.proposals[proposal.id];
  for (const id of figures ? figures.missing : []) if (state.players.has(id)) out.missing.push(state.players.get(id));
  return out;
}

/** Whether this player is among those the server says may vote now (never the facilitator or the projector). */
export function mayVote(state) {
  return state.you !== null && state.derived.voters[state.you] > 0;
}

const CHAT_IN_SNAPSHOT = 200; // engine/views.py keeps the last 200 lines in a snapshot

/**
 * The state in the shape of the server's TableView (engine/views.py), for the parity test: everything the
 * client keeps. Left out: `viewer` and `meter` (the page asks the server for the forlig's meter).
 */
export function tableView(state) {
  const players = [...state.players.values()];
  const chat = state.timeline
    .filter((item) => (item.kind === "chat" || item.kind === "announce") && !item.hidden)
    .sort((a, b) => a.seq - b.seq)
    .slice(-CHAT_IN_SNAPSHOT)
    .map((item) => ({ seq: item.seq, player_id: item.player_id, text: item.text, mentions: [...item.mentions], at: item.at }));
  const round = state.round
    ? {
        number: state.round.number,
        event_card: state.round.event_card,
        started_at: state.round.started_at,
        deadline: state.round.deadline,
        ended_at: state.round.ended_at,
        adopted: state.round.adopted,
        paused: Boolean(state.round.paused),
        remaining: state.round.remaining ?? null,
      }
    : null;
  return {
    you: state.you,
    your_role: state.yourRole,
    your_hjertesager: state.yourHjertesager,
    seq: state.seq,
    table_name: state.tableName,
    deck_id: state.deckId,
    phase: state.phase,
    rule: state.rule,
    rounds_total: state.roundsTotal,
    target: state.target,
    round,
    event_cards: [...state.eventCards],
    players: players.map((p) => ({
      id: p.id,
      name: p.name,
      number: p.number,
      seated: p.seated,
      role: p.role,
      bot: Boolean(p.bot),
      party: p.party ?? null,
    })),
    chat,
    proposals: [...state.proposals.values()].map((p) => {
      const figures = state.derived.proposals[p.id] || { tally: null, missing: null };
      return {
        id: p.id,
        round: p.round,
        player_id: p.player_id,
        cards: [...p.cards],
        amends: p.amends,
        status: p.status,
        votes: { ...p.votes },
        tally: figures.tally,
        missing: figures.missing,
        at: p.at,
      };
    }),
    forlig: state.forlig,
    rolls: state.rolls,
    voters: { ...state.derived.voters },
    you_may_vote: mayVote(state),
    abilities: state.abilities.map((a) => ({ ...a })),
    ability_uses: state.abilityUses.map((u) => ({ ...u })),
    byraad: state.byraad,
  };
}

export function playerName(state, playerId) {
  const player = state.players.get(playerId);
  return player ? player.name : "?";
}
