// Upload a log (POST /api/replays, the file as the body) and open its replay.
import { el, lang, t } from "./strings.js";

const form = document.getElementById("upload");
const input = document.getElementById("file");
const status = document.getElementById("upload-status");
const errorBox = document.getElementById("upload-error");
const result = document.getElementById("upload-result");

function fail(message) {
  status.textContent = "";
  errorBox.textContent = message;
  errorBox.hidden = false;
  input.setAttribute("aria-invalid", "true");
  input.focus();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  errorBox.hidden = true;
  input.removeAttribute("aria-invalid");
  result.replaceChildren();
  const file = input.files && input.files[0];
  if (!file) {
    fail(t("Choose a log file first."));
    return;
  }
  status.textContent = t("Checking the log …");
  let response;
  try {
    response = await fetch("/api/replays", {
      method: "POST",
      headers: { "Content-Type": "application/x-ndjson" },
      body: file,
    });
  } catch {
    fail(t("The server could not be reached."));
    return;
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = body.detail || {};
    const reason = detail.line ? detail.message.replace(/^line \d+: /, "") : detail.message || response.status;
    fail(
      detail.line
        ? t("The log was refused (line %(line)s): %(reason)s. Nothing was imported.", { line: detail.line, reason })
        : t("The log was refused: %(reason)s", { reason }),
    );
    return;
  }
  const replays = body.replays;
  if (replays.length === 1) {
    status.textContent = t("The log is fine. Opening the replay …");
    window.location.assign(`${replays[0].url}?lang=${lang}`);
    return;
  }
  status.textContent = t("The log holds %(n)s tables:", { n: replays.length });
  result.replaceChildren(
    ...replays.map((replay) =>
      el(
        "li",
        {},
        el("a", { href: `${replay.url}?lang=${lang}`, text: replay.table_name }),
        ` (${t("%(n)s events", { n: replay.events })})`,
      ),
    ),
  );
});
