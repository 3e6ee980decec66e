// A confirmation with its consequences: a modal <dialog> (focus kept inside, the page behind inert) that says
// what will happen before an action that cannot be taken back. Escape or "Cancel" answers no; focus starts on
// Cancel, so Enter never ends a game by accident, and goes back to the button that asked when it closes.
import { h } from "./dom.js";
import { _ } from "./i18n.js";

/**
 * Ask; resolves true only when the person chose `confirm`.
 * consequences: the sentences that say what will happen (each its own line); danger: the confirm button is red.
 */
export function confirmAction({ title, consequences = [], confirm, cancel = _("Cancel"), danger = true }) {
  const opener = document.activeElement;
  const id = `confirm-${Math.random().toString(36).slice(2, 8)}`;
  const yes = h("button", { type: "button", class: danger ? "primary danger-confirm" : "primary", value: "yes" }, confirm);
  const no = h("button", { type: "button", class: "secondary", value: "no" }, cancel);
  const dialog = h(
    "dialog",
    { class: "confirm-dialog", "aria-labelledby": `${id}-title`, "aria-describedby": `${id}-body`, dataset: { confirm: "" } },
    h("h2", { id: `${id}-title` }, title),
    h("div", { id: `${id}-body`, class: "confirm-body" }, consequences.filter(Boolean).map((line) => h("p", null, line))),
    h("div", { class: "dialog-actions" }, no, yes),
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    let answered = false;
    const finish = (answer) => {
      if (answered) return;
      answered = true;
      dialog.close();
      dialog.remove();
      if (opener && typeof opener.focus === "function" && opener.isConnected) opener.focus();
      resolve(answer);
    };
    yes.addEventListener("click", () => finish(true));
    no.addEventListener("click", () => finish(false));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      finish(false);
    });
    // Escape answers this dialog only (the page's own Escape, e.g. closing a side panel, is not triggered).
    dialog.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      event.stopPropagation();
      event.preventDefault();
      finish(false);
    });
    dialog.showModal();
    no.focus();
  });
}
