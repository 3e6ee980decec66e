// Interface strings: gettext catalogs served as JSON by the server (msgid -> translation; missing: the msgid).
// Placeholders are Python-style, %(name)s, as in the templates.

let messages = {};
export const lang = document.documentElement.lang === "en" ? "en" : "da";

export async function loadCatalog(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`catalog ${response.status}`);
  messages = (await response.json()).messages || {};
}

function fill(text, params) {
  if (!params) return text;
  return text.replace(/%\((\w+)\)s/g, (whole, key) => (key in params ? String(params[key]) : whole));
}

export function _(msgid, params) {
  const translated = messages[msgid];
  return fill(typeof translated === "string" ? translated : msgid, params);
}

export function ngettext(singular, plural, n, params) {
  const forms = messages[singular];
  const index = n === 1 ? 0 : 1; // Danish and English: one form for 1, another for the rest
  const text = Array.isArray(forms) ? forms[index] : index === 0 ? singular : plural;
  return fill(text, { n, ...params });
}
