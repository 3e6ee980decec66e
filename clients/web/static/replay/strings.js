// The replay pages' interface strings (gettext catalog replay.po, embedded in the page) and formatting.
const element = document.getElementById("replay-strings");
const catalog = element ? JSON.parse(element.textContent) : { lang: "da", messages: {} };

export const lang = catalog.lang === "en" ? "en" : "da";
export const MINUS = "\u2212";

/** The translation of `msgid`, with %(name)s placeholders filled from `params`. */
export function t(msgid, params = {}) {
  const text = catalog.messages[msgid] || msgid;
  return text.replace(/%\((\w+)\)s/g, (_, name) => (name in params ? String(params[name]) : ""));
}

const numbers = new Intl.NumberFormat(lang === "en" ? "en-GB" : "da-DK", {
  minimumFractionDigits: 1,
  maximumFractionDigits: 1,
});

/** A figure in mio. kr. without the unit (for tables whose caption names it), one decimal, typographic minus. */
export function amount(value) {
  const rounded = Math.round(value * 10) / 10;
  return (rounded < 0 ? MINUS : "") + numbers.format(Math.abs(rounded));
}

/** Mio. kr. as engine/format.py writes them: "12,5 mio. kr." / "DKK 12.5m", with a typographic minus. */
export function mio(value) {
  const rounded = Math.round(value * 10) / 10;
  const digits = numbers.format(Math.abs(rounded));
  const sign = rounded < 0 ? MINUS : "";
  return lang === "en" ? `DKK ${sign}${digits}m` : `${sign}${digits} mio. kr.`;
}

export function percent(share) {
  const value = Math.round(share * 100);
  return lang === "en" ? `${value}%` : `${value} %`;
}

const clock = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "da-DK", {
  dateStyle: "short",
  timeStyle: "medium",
});

export function when(iso) {
  return iso ? clock.format(new Date(iso)) : "";
}

/** A DOM element: el("li", {class: "x", text: "…"}, child, …). Text only, never HTML. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}
