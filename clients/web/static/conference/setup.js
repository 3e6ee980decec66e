// The setup form: POST /api/conferences, then on to the control room by its secret link.
import { $ } from "../js/dom.js";
import { _, loadCatalog } from "../js/i18n.js";
import { secretLink, storeToken } from "./common.js";

const form = $("#setup-form");
const error = $("#setup-error");

function number(id) {
  const value = $(`#${id}`).value.trim().replace(",", ".");
  return value === "" ? null : Number(value);
}

function fail(message) {
  error.textContent = message;
  error.hidden = false;
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
  if (target !== null) body.target = target;
  if ($("#rule").value) body.rule = $("#rule").value;
  if (rounds !== null) body.rounds = rounds;
  if (minutes !== null) body.round_seconds = Math.round(minutes * 60);
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

function deckDefaults() {
  const option = $("#deck").selectedOptions[0];
  if (!option) return;
  $("#rounds").placeholder = option.dataset.rounds;
  $("#target").placeholder = option.dataset.target;
}

async function main() {
  await loadCatalog(document.body.dataset.catalogUrl).catch(() => {});
  form.addEventListener("submit", submit);
  $("#deck").addEventListener("change", deckDefaults);
  deckDefaults();
  document.body.dataset.ready = "true";
}

main();
