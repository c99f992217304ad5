// Small DOM helpers: build elements, swap screens, announce status changes.

/**
 * Create an element. Props: "class", "dataset", "on<event>" handlers; objects and booleans are
 * set as properties when the element has one (srcObject, muted, disabled), the rest as attributes.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (typeof value !== "string" && key in el) el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  appendAll(el, children);
  return el;
}

export function appendAll(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replace an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  return appendAll(el, children);
}

/**
 * Show a new screen, say what it is in the live region, and move keyboard focus to its primary
 * action (the element marked `data-primary` that can take focus), else to its heading.
 */
export function mount(screen, { focus = true } = {}) {
  const main = document.getElementById("app");
  main.replaceChildren(screen);
  document.body.dataset.page = screen.dataset.screen ?? "";
  const heading = main.querySelector("h1");
  if (heading) announce(heading.textContent);
  if (focus) focusPrimary(main, heading);
  window.scrollTo(0, 0);
}

/** Focus the screen's primary action if it is usable, else its heading. */
export function focusPrimary(root, heading = root.querySelector("h1")) {
  const primary = root.querySelector("[data-primary]");
  if (primary && !primary.disabled && !primary.closest("[hidden]")) {
    primary.focus({ preventScroll: true });
  } else if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

/** Say something to screen-reader users through the page's polite live region. */
export function announce(text) {
  const live = document.getElementById("status");
  if (!live) return;
  live.textContent = "";
  requestAnimationFrame(() => {
    live.textContent = text;
  });
}

/** A dialog (real <dialog>, modal, Escape closes it) resolving to the chosen action or null. */
export function confirmDialog({ title, body, confirm, cancel = "Cancel", tone = "primary", warning = null }) {
  return new Promise((resolve) => {
    const ok = h("button", { type: "button", class: `button button-${tone}`, value: "ok" }, confirm);
    const no = h("button", { type: "button", class: "button button-quiet", value: "cancel" }, cancel);
    const dialog = h(
      "dialog",
      { class: "dialog", "aria-labelledby": "dialog-title" },
      h("h2", { id: "dialog-title" }, title),
      warning ? h("p", { class: "callout callout-warning", dataset: { testid: "dialog-warning" } }, warning) : null,
      [].concat(body).map((text) => h("p", {}, text)),
      h("div", { class: "actions" }, ok, no),
    );
    let answer = null;
    ok.addEventListener("click", () => {
      answer = "ok";
      dialog.close();
    });
    no.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(answer === "ok");
    });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}
