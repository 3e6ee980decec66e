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
    case "network":
      return _("No connection to the server. Try again in a moment.");
    default:
      return result.message || _("Something went wrong. Try again.");
  }
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
  const result = await api.join(code, name);
  button.disabled = false;
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
  (code ? nameInput : codeInput).focus();
  document.body.dataset.ready = "true";
}

main();
