// The deck as the server serves it (/api/decks/{id}?lang=..): texts are plain strings in the page's language.
import { _, lang } from "./i18n.js";

export const KINDS = ["besparelse", "effektivisering", "investering", "udvidelse"];
export const MENTION = /#([A-ZÆØÅ]{2}-[A-Z0-9]+)/g;

export let deck = null;
let cards = new Map();
let events = new Map();
let roles = new Map();
let areas = new Map();
let sources = new Map();
let levers = new Map();

export async function loadDeck(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`deck ${response.status}`);
  useDeck(await response.json());
  return deck;
}

export function useDeck(data) {
  deck = data;
  cards = new Map(data.cards.map((c) => [c.id, c]));
  events = new Map(data.events.map((e) => [e.id, e]));
  roles = new Map(data.roles.map((r) => [r.id, r]));
  areas = new Map(data.scenario.areas.map((a) => [a.id, a]));
  sources = new Map((data.sources || []).map((s) => [s.id, s])); // a deck may have no source table
  levers = new Map((data.levers || []).map((l) => [l.id, l])); // kassetræk, skat, grønthøster (L- ids)
}

/** A deck text: a string already, or {da, en} when the full deck was loaded. */
export function text(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : value[lang] || value.da;
}

export const card = (id) => cards.get(id);
export const event = (id) => events.get(id);
export const role = (id) => roles.get(id);
export const area = (id) => areas.get(id);
export const source = (id) => sources.get(id);
export const lever = (id) => levers.get(id);
/** A card or a lever: both go in a portfolio by id. */
export const pick = (id) => cards.get(id) || levers.get(id);
export const years = () => deck.scenario.years;

export function kindName(kind) {
  return (
    {
      besparelse: _("Saving"),
      effektivisering: _("Efficiency"),
      investering: _("Investment"),
      udvidelse: _("Wish (expansion)"),
    }[kind] || kind
  );
}

export function uncertaintyName(value) {
  return { lav: _("low"), medium: _("medium"), høj: _("high") }[value] || value;
}

export function serviceName(value) {
  return (
    {
      "-2": _("clearly lower service"),
      "-1": _("somewhat lower service"),
      0: _("unchanged service"),
      1: _("somewhat better service"),
      2: _("clearly better service"),
    }[String(value)] || String(value)
  );
}

export function ruleName(rule) {
  return (
    {
      consensus: _("consensus: everyone for, nobody against"),
      broad: _("broad agreement: two thirds of the votes"),
      majority: _("majority: more than half of the votes"),
    }[rule] || rule || ""
  );
}

export function cardMatches(c, query) {
  if (!query) return true;
  const q = query.toLocaleLowerCase();
  return c.id.toLocaleLowerCase().includes(q) || text(c.title).toLocaleLowerCase().includes(q);
}
