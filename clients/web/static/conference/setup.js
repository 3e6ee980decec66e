// The setup form: POST /api/conferences, then on to the control room by its secret link. Before that it
// shows the targets the chosen deck can deliver (GET /api/decks/{id}/feasibility, the engine's figures)
// and offers the three suggested levels; the server refuses a target above the highest.
import { $, h } from "../js/dom.js";
import { _, loadCatalog } from "../js/i18n.js";
import { mio, number as formatNumber } from "../js/format.js";
import { fieldValue, setField, wireNumberFields } from "../js/numberfield.js";
import { secretLink, storeToken } from "./common.js";
import { initCatalog } from "./catalog.js";

const form = $("#setup-form");
const error = $("#setup-error");

/** A number field's value, Danish or English ("12,5" is 12.5): null when empty, NaN when not a number. */
function number(id) {
  return fieldValue($(`#${id}`));
}

function fail(message) {
  error.textContent = message;
  error.hidden = false;
}

/** "Socialdemokratiet 9" per line -> the API's parties ({id, name: {da, en}, mandates}); null when a line is
 * not a name and a number. The server checks the rest (at most 31 mandates, no party twice). */
function partiesFrom(textValue) {
  const parties = [];
  for (const line of textValue.split("\n").map((l) => l.trim()).filter(Boolean)) {
    const match = /^(.*\S)\s+(\d+)$/.exec(line);
    if (!match) return null;
    const name = match[1].slice(0, 40);
    const slug = name.toLowerCase().replace(/æ/g, "ae").replace(/ø/g, "oe").replace(/å/g, "aa").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    const id = (slug || "parti").slice(0, 36) + (parties.some((p) => p.id === slug) ? `-${parties.length + 1}` : "");
    parties.push({ id, name: { da: name, en: name }, mandates: Number(match[2]) });
  }
  return parties;
}

async function submit(event) {
  event.preventDefault();
  error.hidden = true;
  const name = $("#name").value.trim();
  const tables = number("tables");
  if (!name) return fail(_("Give the conference a name."));
  if (!Number.isInteger(tables) || tables < 1 || tables > 100) return fail(_("The number of tables must be 1-100."));
  const body = { name, tables, deck: $("#deck").value, language: $("#language").value };
  const target = number("target");
  const rounds = number("rounds");
  const minutes = number("minutes");
  if ([target, rounds, minutes].some(Number.isNaN)) return fail(_("A number field holds something that is not a number."));
  if (target !== null) body.target = target;
  if ($("#rule").value) body.rule = $("#rule").value;
  if (rounds !== null) body.rounds = rounds;
  if (minutes !== null) body.round_seconds = Math.round(minutes * 60);
  if ($("#bots-fill-to").value) body.bots_fill_to = Number($("#bots-fill-to").value);
  if ($("#byraad-roles").value) {
    const parties = partiesFrom($("#byraad-parties").value);
    if (parties === null) return fail(_("Write each party on its own line: its name, then its mandates (Venstre 7)."));
    body.byraad = { roles: $("#byraad-roles").value, parties };
  }
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  const password = $("#password");
  if (password) headers["X-Admin-Password"] = password.value;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const response = await fetch("/api/conferences", { method: "POST", headers, body: JSON.stringify(body) });
    const data = await response.json().catch(() => null);
    if (response.status === 201 && data) {
      storeToken(data.conference_id, "facilitator", data.facilitator_token);
      location.assign(secretLink(data.conference_id, data.facilitator_token) + "&new=1");
      return;
    }
    const detail = (data && data.detail) || {};
    if (response.status === 401) fail(_("The operator password is wrong."));
    else if (Array.isArray(detail)) fail(_("Check the fields: %(problems)s", { problems: detail.map((d) => `${d.loc.at(-1)}: ${d.msg}`).join("; ") }));
    else fail(detail.message || _("The conference could not be created (%(status)s).", { status: response.status }));
  } catch {
    fail(_("The server cannot be reached."));
  } finally {
    button.disabled = false;
  }
}

const LEVEL_NAMES = { let: () => _("Easy"), middel: () => _("Medium"), svær: () => _("Hard") };
let feasible = null; // the chosen deck's range, once it has arrived

function levelButton(level) {
  const button = h(
    "button",
    { type: "button", class: "secondary level", dataset: { level: level.name, target: String(level.target) }, "aria-pressed": "false" },
    `${LEVEL_NAMES[level.name]()}: ${mio(level.target)}`,
  );
  button.addEventListener("click", () => {
    setField($("#target"), level.target);
    checkTarget();
  });
  return button;
}

function showRange(range) {
  feasible = range;
  const max = mio(range.max_target);
  $("#feasible-range").textContent = range.worst_event
    ? _("The deck can deliver at most %(max)s in the budget year; %(worst)s under the worst event (%(event)s).", {
        max,
        worst: mio(range.max_target_worst_event),
        event: range.worst_event,
      })
    : _("The deck can deliver at most %(max)s in the budget year.", { max });
  const levels = $("#levels");
  levels.replaceChildren(h("span", { class: "levels-label" }, _("Suggested levels:")), ...range.levels.map(levelButton));
  levels.hidden = false;
  $("#target").max = String(range.max_target);
  checkTarget();
}

/** Marks the level the target equals and warns, before submitting, when the deck cannot reach it. */
function checkTarget() {
  const warning = $("#target-warning");
  const target = number("target");
  for (const button of document.querySelectorAll("#levels .level")) {
    button.setAttribute("aria-pressed", String(target !== null && Number(button.dataset.target) === target));
  }
  const over = feasible !== null && target !== null && !Number.isNaN(target) && target > feasible.max_target;
  warning.textContent = over
    ? _("No portfolio reaches %(target)s: the highest target this deck allows is %(max)s", { target: mio(target), max: mio(feasible.max_target) })
    : "";
  warning.hidden = !over;
}

async function loadRange(url) {
  feasible = null;
  $("#levels").hidden = true;
  $("#feasible-range").textContent = _("Working out which targets the deck can deliver …");
  try {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(String(response.status));
    const range = await response.json();
    if ($("#deck").selectedOptions[0]?.dataset.feasibility === url) showRange(range);
  } catch {
    $("#feasible-range").textContent = _("The deck's range could not be fetched; the server still checks the target.");
  }
  checkTarget();
}

function deckDefaults() {
  const option = $("#deck").selectedOptions[0];
  if (!option) return;
  $("#rounds").placeholder = option.dataset.rounds;
  $("#target").placeholder = formatNumber(Number(option.dataset.target), Number.isInteger(Number(option.dataset.target)) ? 0 : 1);
  loadRange(option.dataset.feasibility);
}

async function main() {
  await loadCatalog(document.body.dataset.catalogUrl).catch(() => {});
  form.addEventListener("submit", submit);
  $("#deck").addEventListener("change", deckDefaults);
  $("#target").addEventListener("input", checkTarget);
  wireNumberFields(form);
  initCatalog(deckDefaults);
  deckDefaults();
  document.body.dataset.ready = "true";
}

main();
