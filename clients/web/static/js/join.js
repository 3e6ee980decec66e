// The join page: a code (filled in from a QR link) and a name; the seat's token is kept on this device.
import { h } from "./dom.js";
import { _, loadCatalog } from "./i18n.js";
import * as api from "./api.js";
import { allSeats, normaliseCode, saveSeat, seatForCode } from "./seats.js";

const form = document.getElementById("join-form");
const codeInput = document.getElementById("code");
const nameInput = document.getElementById("name");
const error = document.getElementById("join-error");
const button = form.querySelector("button[type=submit]");
const partyField = document.getElementById("party-field");
const partySelect = document.getElementById("party");

/** Byråd mode: offer the code's parties (the server's, with their free mandates); nothing at other tables. */
async function loadParties() {
  const code = normaliseCode(codeInput.value);
  const result = code ? await api.joinParties(code) : { ok: false };
  const parties = result.ok ? result.data.parties : [];
  partySelect.replaceChildren(
    h("option", { value: "" }, _("Not now: the facilitator puts me in it")),
    ...parties.map((p) =>
      h("option", { value: p.id, disabled: p.free <= 0 }, _("%(party)s (%(free)s of %(mandates)s free)", { party: p.name[document.documentElement.lang] || p.name.da, free: p.free, mandates: p.mandates })),
    ),
  );
  partyField.hidden = parties.length === 0;
}

function tableUrl(seat) {
  return `/table/${encodeURIComponent(seat.table_id)}`;
}

function fail(message, field) {
  error.textContent = message;
  error.hidden = false;
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }
}

function errorText(result) {
  switch (result.code) {
    case "join.unknown_code":
      return _("There is no table with that code. Check it and try again.");
    case "seat.table_full":
      return _("The table is full.");
    case "game.ended":
      return _("The game at this table has ended.");
    case "seat.name_invalid":
      return _("The name must be 1-40 characters.");
    case "party.full":
      return _("That party's mandates are all taken. Pick another, or leave it to the facilitator.");
    case "network":
      return _("No connection to the server. Try again in a moment.");
    default:
      return result.message || _("Something went wrong. Try again.");
  }
}

// ---- screens: the name is taken — continue in that seat on this device, with its seat code -----------

const claimForm = document.getElementById("claim-form");
const seatInput = document.getElementById("seat-code");
const claimError = document.getElementById("claim-error");
let claiming = null; // {code, name} of the seat asked for

function offerClaim(code, name) {
  claiming = { code, name };
  document.getElementById("claim-title").textContent = _("Are you %(name)s?", { name });
  document.getElementById("claim-button").textContent = _("Continue on this device");
  claimError.hidden = true;
  claimForm.hidden = false;
  seatInput.focus();
}

function claimFailed(result) {
  const text = {
    "seat.wrong_code": _("That is not the seat code. It is on your first device under Role and table, or ask the facilitator."),
    "seat.unknown": _("Nobody of that name is at the table any more. Sit down with it as a new seat."),
    "seat.rate_limited": _("Too many tries. Wait a minute and try again."),
    network: _("No connection to the server. Try again in a moment."),
  }[result.code];
  claimError.textContent = text || result.message || _("Something went wrong. Try again.");
  claimError.hidden = false;
  seatInput.setAttribute("aria-invalid", "true");
  seatInput.focus();
}

async function claim(code, name, seatCode) {
  const result = await api.claimSeat(code, name, seatCode);
  if (!result.ok) return claimFailed(result);
  saveSeat({ ...result.data, code });
  location.assign(tableUrl(result.data));
}

claimForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const seatCode = normaliseCode(seatInput.value);
  if (!seatCode) return claimFailed({ code: "seat.wrong_code" });
  claim(claiming.code, claiming.name, seatCode);
});

document.getElementById("claim-other").addEventListener("click", () => {
  claimForm.hidden = true;
  nameInput.value = "";
  nameInput.focus();
});

/** The facilitator's "flyt pladsen til en ny enhed" link: /join/CODE#name=Dina&seat=K7M2P. */
function handoverFromLink() {
  const params = new URLSearchParams(location.hash.slice(1));
  const name = params.get("name");
  const seatCode = params.get("seat");
  if (!name || !seatCode) return false;
  history.replaceState(null, "", location.pathname + location.search); // the code is not left in the address bar
  nameInput.value = name;
  offerClaim(normaliseCode(codeInput.value), name);
  seatInput.value = seatCode;
  claim(normaliseCode(codeInput.value), name, normaliseCode(seatCode));
  return true;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  codeInput.removeAttribute("aria-invalid");
  nameInput.removeAttribute("aria-invalid");
  const code = normaliseCode(codeInput.value);
  const name = nameInput.value.trim();
  if (!code) return fail(_("Type the table's code."), codeInput);
  if (!name) return fail(_("Type your name."), nameInput);
  const existing = seatForCode(code);
  if (existing && existing.name === name) {
    location.assign(tableUrl(existing));
    return;
  }
  button.disabled = true;
  const result = await api.join(code, name, partyField.hidden ? null : partySelect.value || null);
  button.disabled = false;
  if (!result.ok && result.code === "seat.name_taken") {
    offerClaim(code, result.details.name || name);
    return;
  }
  if (!result.ok) {
    fail(errorText(result), result.code === "join.unknown_code" ? codeInput : null);
    return;
  }
  saveSeat({ ...result.data, name, code });
  location.assign(tableUrl(result.data));
});

async function main() {
  await loadCatalog(document.body.dataset.catalogUrl).catch(() => {});
  const code = codeInput.value;
  if (code && handoverFromLink()) {
    document.body.dataset.ready = "true";
    return;
  }
  const seat = code ? seatForCode(code) : null;
  if (seat && document.body.dataset.qr === "true") {
    location.replace(tableUrl(seat)); // a later visit by the same QR link: back to the same seat
    return;
  }
  const seats = allSeats();
  const box = document.getElementById("seats");
  if (seats.length) {
    box.querySelector("ul").replaceChildren(
      ...seats.slice(0, 5).map((s) =>
        h(
          "li",
          null,
          h("a", { href: tableUrl(s), class: "button secondary" }, _("Back to table %(code)s as %(name)s", { code: s.code, name: s.name })),
        ),
      ),
    );
    box.hidden = false;
  }
  codeInput.addEventListener("change", loadParties);
  if (code) await loadParties();
  (code ? nameInput : codeInput).focus();
  document.body.dataset.ready = "true";
}

main();
