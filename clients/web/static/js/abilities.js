// The abilities on the player's role card: offered when the server says their moment has come (the view's
// `abilities`, `now`), used with a use_ability command. What each does is the engine's (engine/abilities.py).
import { h } from "./dom.js";
import { _ } from "./i18n.js";
import { deck, card, event as eventCard, role, text } from "./deck.js";

const EVENT_EFFECTS = new Set(["pause_event", "soften_event"]);

/** The abilities printed on this player's role card, with what the server says about each. */
export function myAbilities(state) {
  const mine = state.yourRole ? role(state.yourRole) : null;
  if (!mine || !mine.abilities) return [];
  return mine.abilities.map((spec) => ({ spec, offer: state.abilities.find((a) => a.id === spec.id) || null }));
}

/** An ability's name, from the deck (the role card's own words). */
export function abilityName(id) {
  for (const r of deck.roles) {
    const spec = (r.abilities || []).find((a) => a.id === id);
    if (spec) return text(spec.title);
  }
  return id;
}

/** The cards the ability can be used on (the engine decides in the end). */
function choices(state, spec) {
  const all = deck.cards;
  switch (spec.effect) {
    case "move_card": {
      const inForlig = new Set(state.forlig ? state.forlig.cards : []);
      return [
        ...[...inForlig].map((id) => ({ id, label: _("%(card)s out of the forlig", { card: id }) })),
        ...all.filter((c) => !inForlig.has(c.id)).map((c) => ({ id: c.id, label: _("%(card)s into the forlig", { card: c.id }) })),
      ];
    }
    case "lower_uncertainty":
      return all.filter((c) => spec.card_kinds.includes(c.kind) && c.uncertainty !== "lav").map((c) => ({ id: c.id }));
    case "loan":
    case "bring_forward":
      return spec.cards.map((id) => ({ id }));
    case "hearing":
      return all.map((c) => ({ id: c.id }));
    default:
      return [];
  }
}

function cardLabel(choice) {
  if (choice.label) return choice.label;
  const c = card(choice.id);
  return c ? `${c.id} ${text(c.title)}` : choice.id;
}

/** What the ability works on now, in words: the event of the round for the event abilities. */
function eventLine(state, spec) {
  const id = state.round ? state.round.event_card : null;
  if (!id || !spec.events.includes(id)) return null;
  const e = eventCard(id);
  return h("p", null, _("This round's event: %(event)s", { event: `${id} ${e ? text(e.title) : ""}` }));
}

/** A use_ability form for one ability: a card to choose when it needs one, and the button. */
export function abilityForm(app, spec, offer) {
  const { state } = app;
  const usable = offer && offer.now && offer.uses_left > 0;
  const status = !offer
    ? ""
    : offer.uses_left <= 0
      ? _("Used.")
      : offer.now
        ? _("You can use it now.")
        : EVENT_EFFECTS.has(spec.effect)
          ? _("It can be used in the round %(events)s is drawn.", { events: spec.events.join(", ") })
          : spec.effect === "move_card"
            ? _("It can be used once there is a forlig.")
            : _("It can be used during a round.");
  const form = h("form", { class: "ability-use", dataset: { ability: spec.id } });
  form.append(h("h3", null, abilityName(spec.id)), h("p", { class: "note" }, status));
  let select = null;
  if (usable && EVENT_EFFECTS.has(spec.effect)) {
    const line = eventLine(state, spec);
    if (line) form.append(line);
  } else if (usable) {
    const id = `ability-card-${spec.id}`;
    select = h(
      "select",
      { id, name: "card", required: true },
      h("option", { value: "" }, _("Choose a card")),
      choices(state, spec).map((choice) => h("option", { value: choice.id }, cardLabel(choice))),
    );
    form.append(h("label", { for: id }, _("Card")), select);
  }
  if (usable) {
    form.append(h("button", { type: "submit", class: "button primary" }, _("Use %(ability)s", { ability: abilityName(spec.id) })));
    form.addEventListener("submit", (submitted) => {
      submitted.preventDefault();
      const frame = { type: "use_ability", ability: spec.id };
      if (select) {
        if (!select.value) return;
        frame.card = select.value;
      }
      app.useAbility(frame);
    });
  }
  return form;
}

/** The abilities' part of the role card. */
export function abilitiesSection(app) {
  const mine = myAbilities(app.state);
  if (!mine.length) return null;
  return h(
    "div",
    { class: "abilities" },
    mine.map(({ spec, offer }) => abilityForm(app, spec, offer)),
  );
}

/** An ability of this player's whose moment came with an event card (E03, E04): offered in the banner too. */
export function eventAbilityNow(state) {
  return myAbilities(state).find(({ spec, offer }) => EVENT_EFFECTS.has(spec.effect) && offer && offer.now && offer.uses_left > 0) || null;
}

/** The stream's line for an ability used (who used which, on what). */
export function abilityText(state, item, playerName) {
  const who = playerName(state, item.player_id);
  const r = role(item.role);
  const holder = r ? `${who} (${text(r.title)})` : who;
  const name = abilityName(item.ability);
  if (item.moved === "in") return _("%(who)s used %(ability)s: %(card)s is moved into the forlig without a vote.", { who: holder, ability: name, card: item.card });
  if (item.moved === "out") return _("%(who)s used %(ability)s: %(card)s is taken out of the forlig without a vote.", { who: holder, ability: name, card: item.card });
  if (item.event) return _("%(who)s used %(ability)s on %(event)s.", { who: holder, ability: name, event: item.event });
  if (item.card) return _("%(who)s used %(ability)s on %(card)s.", { who: holder, ability: name, card: item.card });
  return _("%(who)s used %(ability)s.", { who: holder, ability: name });
}
