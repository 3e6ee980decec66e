// The chat composer: Enter sends, Shift+Enter breaks the line; "#" opens card suggestions (#ÆL-01).
import { h } from "./dom.js";
import { _ } from "./i18n.js";
import { deck, text } from "./deck.js";
import { loadDraft, saveDraft } from "./seats.js";

const MAX_SUGGESTIONS = 8;

function fold(value) {
  // "#ael" and "#æl" both find ÆL-01 on a keyboard without Æ.
  return value.toLocaleLowerCase().replace(/æ/g, "ae").replace(/ø/g, "oe").replace(/å/g, "aa").replace(/-/g, "");
}

export class Composer {
  constructor(form, app) {
    this.form = form;
    this.app = app;
    this.input = form.querySelector("textarea");
    this.list = form.querySelector("[role=listbox]");
    this.error = form.querySelector(".composer-error");
    this.options = [];
    this.active = -1;
    this.input.value = loadDraft(app.tableId, "chat", "");
    this.input.addEventListener("input", () => {
      saveDraft(app.tableId, "chat", this.input.value);
      this.error.hidden = true;
      this.suggest();
    });
    this.input.addEventListener("keydown", (event) => this.key(event));
    this.input.addEventListener("blur", () => setTimeout(() => this.close(), 150));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
  }

  query() {
    const before = this.input.value.slice(0, this.input.selectionStart);
    const match = /(^|\s)#([^\s#]*)$/.exec(before);
    return match ? match[2] : null;
  }

  suggest() {
    const query = this.query();
    if (query === null || !deck) return this.close();
    const q = fold(query);
    const scored = [];
    for (const c of deck.cards) {
      const id = fold(c.id);
      const title = fold(text(c.title));
      const rank = id.startsWith(q) ? 0 : title.includes(q) ? 1 : id.includes(q) ? 2 : -1;
      if (rank >= 0) scored.push([rank, c]);
    }
    scored.sort((a, b) => a[0] - b[0]);
    this.options = scored.slice(0, MAX_SUGGESTIONS).map(([, c]) => c);
    if (!this.options.length) return this.close();
    this.active = 0;
    this.list.replaceChildren(
      ...this.options.map((c, i) =>
        h(
          "li",
          {
            role: "option",
            id: `mention-${i}`,
            "aria-selected": String(i === 0),
            onmousedown: (event) => {
              event.preventDefault();
              this.choose(i);
            },
          },
          h("span", { class: "chip-id" }, `#${c.id}`),
          " ",
          text(c.title),
        ),
      ),
    );
    this.list.hidden = false;
    this.input.setAttribute("aria-activedescendant", "mention-0");
  }

  close() {
    this.options = [];
    this.active = -1;
    this.list.hidden = true;
    this.list.replaceChildren();
    this.input.removeAttribute("aria-activedescendant");
  }

  move(delta) {
    if (!this.options.length) return;
    this.active = (this.active + delta + this.options.length) % this.options.length;
    [...this.list.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === this.active)));
    this.input.setAttribute("aria-activedescendant", `mention-${this.active}`);
  }

  choose(index) {
    const c = this.options[index];
    if (!c) return;
    const caret = this.input.selectionStart;
    const before = this.input.value.slice(0, caret).replace(/#([^\s#]*)$/, `#${c.id} `);
    const after = this.input.value.slice(caret);
    this.input.value = before + after;
    this.input.setSelectionRange(before.length, before.length);
    saveDraft(this.app.tableId, "chat", this.input.value);
    this.close();
    this.input.focus();
  }

  key(event) {
    const open = this.options.length > 0;
    if (open && event.key === "ArrowDown") {
      event.preventDefault();
      this.move(1);
    } else if (open && event.key === "ArrowUp") {
      event.preventDefault();
      this.move(-1);
    } else if (open && (event.key === "Enter" || event.key === "Tab")) {
      event.preventDefault();
      this.choose(this.active);
    } else if (open && event.key === "Escape") {
      event.preventDefault();
      this.close();
    } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.send();
    }
  }

  async send() {
    const value = this.input.value.trim();
    if (!value) return;
    this.input.value = "";
    saveDraft(this.app.tableId, "chat", "");
    this.close();
    try {
      await this.app.conn.send({ type: "chat", text: value });
    } catch (error) {
      if (!this.input.value) this.input.value = value;
      saveDraft(this.app.tableId, "chat", this.input.value);
      this.error.textContent = error.message || _("The message could not be sent.");
      this.error.hidden = false;
    }
  }

  /** Put a mention of a card into the message (from a card's detail). */
  mention(id) {
    const sep = this.input.value && !/\s$/.test(this.input.value) ? " " : "";
    this.input.value += `${sep}#${id} `;
    saveDraft(this.app.tableId, "chat", this.input.value);
  }
}
