// Number fields as people type them: text inputs (type=number refuses "12,5" in most browsers) read with
// format.js's parseNumber, Danish or English, and a line under each that says what was understood before
// anything is sent ("Forstået: 12,5 mio. kr."). data-number on the input says the kind: mio, minutes, integer.
import { _ } from "./i18n.js";
import { mio, number, parseNumber } from "./format.js";

const SHOW = {
  mio: (value) => mio(value),
  minutes: (value) => _("%(minutes)s min.", { minutes: number(value, Number.isInteger(value) ? 0 : 1) }),
  integer: (value) => number(value, 0),
};

/** The field's number, or null when it is empty; NaN when it is not a number (or not whole where it must be). */
export function fieldValue(input) {
  if (!input.value.trim()) return null;
  const value = parseNumber(input.value);
  if (value === null) return Number.NaN;
  if (input.dataset.number === "integer" && !Number.isInteger(value)) return Number.NaN;
  return value;
}

function understood(input) {
  const out = document.getElementById(`${input.id}-understood`);
  if (!out) return;
  const value = fieldValue(input);
  out.dataset.state = value === null ? "empty" : Number.isNaN(value) ? "bad" : "ok";
  input.setAttribute("aria-invalid", String(Number.isNaN(value)));
  if (value === null) out.textContent = "";
  else if (Number.isNaN(value))
    out.textContent =
      input.dataset.number === "integer" ? _("Not a whole number: %(text)s", { text: input.value.trim() }) : _("Not a number: %(text)s", { text: input.value.trim() });
  else out.textContent = _("Understood: %(value)s", { value: (SHOW[input.dataset.number] || SHOW.integer)(value) });
}

/** Wire every input[data-number] under root: the "understood" line follows what is typed. */
export function wireNumberFields(root = document) {
  for (const input of root.querySelectorAll("input[data-number]")) {
    input.addEventListener("input", () => understood(input));
    understood(input);
  }
}

/** Put a number into a field in the page's format ("32,5") and refresh its line. */
export function setField(input, value) {
  input.value = number(value, Number.isInteger(value) ? 0 : 1);
  understood(input);
}
