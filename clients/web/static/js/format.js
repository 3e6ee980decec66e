// Money and numbers as people read them, the same as engine/format.py: "12,5 mio. kr." and "DKK 12.5m".
import { lang as pageLang } from "./i18n.js";

export const MINUS = "\u2212";

// Python's round(x, 1): the exact binary value rounded half to even. toFixed(20) gives the exact digits.
function roundDigits(value, decimals) {
  const exact = Math.abs(value).toFixed(20);
  const [whole, fraction] = exact.split(".");
  const kept = whole + fraction.slice(0, decimals);
  const rest = fraction.slice(decimals);
  let up = rest[0] > "5" || (rest[0] === "5" && /[1-9]/.test(rest.slice(1)));
  if (rest[0] === "5" && !/[1-9]/.test(rest.slice(1))) up = Number(kept[kept.length - 1]) % 2 === 1;
  let digits = BigInt(kept) + (up ? 1n : 0n);
  const negative = value < 0 && digits !== 0n;
  let text = digits.toString().padStart(decimals + 1, "0");
  const integer = text.slice(0, text.length - decimals);
  const decimalsPart = decimals ? text.slice(text.length - decimals) : "";
  return { negative, integer, decimals: decimalsPart };
}

function group(integer, separator) {
  return integer.replace(/\B(?=(\d{3})+(?!\d))/g, separator);
}

/** A number with a fixed number of decimals, Danish or English, typographic minus; plus sign on request. */
export function number(value, decimals = 1, { sign = false, lang = pageLang } = {}) {
  const { negative, integer, decimals: fraction } = roundDigits(value, decimals);
  const zero = /^0*$/.test(integer + fraction);
  const grouped = group(integer, lang === "en" ? "," : ".");
  const body = fraction ? `${grouped}${lang === "en" ? "." : ","}${fraction}` : grouped;
  const prefix = negative ? MINUS : sign && !zero ? "+" : "";
  return prefix + body;
}

const NBSP = "\u00a0"; // "12,5 mio. kr." never breaks across lines

/** Mio. kr.: "1.234,6 mio. kr." / "DKK 1,234.6m" (as engine/format.py, with no-break spaces). */
export function mio(value, { sign = false, lang = pageLang } = {}) {
  const text = number(value, 1, { sign, lang });
  if (lang === "en") return `DKK${NBSP}${text}m`;
  return `${text}${NBSP}mio.${NBSP}kr.`;
}

/** The amount alone, for tight spaces (charts): "12,5". */
export function short(value, { sign = false } = {}) {
  return number(value, 1, { sign });
}

export function percent(share, { lang = pageLang } = {}) {
  const text = number(share * 100, 0, { lang });
  return lang === "en" ? `${text}%` : `${text}${NBSP}%`;
}

export function signedInt(value) {
  if (value > 0) return `+${value}`;
  if (value < 0) return `${MINUS}${-value}`;
  return "0";
}

export function clock(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const minutes = Math.floor(total / 60);
  const rest = String(total % 60).padStart(2, "0");
  if (minutes >= 60) return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}:${rest}`;
  return `${minutes}:${rest}`;
}

export function timeOfDay(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleTimeString(pageLang === "en" ? "en-GB" : "da-DK", { hour: "2-digit", minute: "2-digit" });
}

const UNITS = ["mio. kr.", "mio.kr.", "mio kr", "mio.", "kr.", "dkk", "min.", "min", "m"];

/**
 * A number as a person types it, Danish or English: "12,5", "12.5", "1.234,5 mio. kr.", "1,234.5", "−4".
 * null when it is not a number. The same rules as engine/format.py's parse_number (tests/web/test_numbers.py):
 * one separator alone is the decimal separator, unless it is repeated or both appear (then the last kind is).
 */
export function parseNumber(text) {
  let value = String(text ?? "").trim().replaceAll(MINUS, "-").replaceAll("\u00a0", " ");
  for (const unit of UNITS) {
    if (value.toLowerCase().endsWith(unit)) {
      value = value.slice(0, -unit.length).trim();
      break;
    }
  }
  if (value.toLowerCase().startsWith("dkk")) value = value.slice(3).trim();
  value = value.replaceAll(" ", "");
  const commas = value.split(",").length - 1;
  const dots = value.split(".").length - 1;
  let decimal;
  if (commas && dots) decimal = value.lastIndexOf(",") > value.lastIndexOf(".") ? "," : ".";
  else if (commas > 1) decimal = ".";
  else if (dots > 1) decimal = ",";
  else decimal = commas ? "," : ".";
  value = value.replaceAll(decimal === "," ? "." : ",", "").replaceAll(decimal, ".");
  let sign = "";
  if (value && "+-".includes(value[0])) [sign, value] = [value[0], value.slice(1)];
  if (!value || value === "." || !/^[0-9.]+$/.test(value) || value.split(".").length > 2) return null;
  return Number(sign + value);
}
