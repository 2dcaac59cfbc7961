// The preference page's script: docs/DECISIONS.md says what it does and why. It keeps the
// contact session token in memory only, renews it before expiry (one mint for all) or once
// after a refusal, sends changes one at a time, and has no words of its own.
(() => {
  "use strict";

  const holder = document.getElementById("contact-session");
  if (!holder) {
    return;
  }
  if (!window.htmx) {
    // No htmx: the page stays the plain-form page (Save buttons shown, forms post).
    document.documentElement.classList.add("without-htmx");
    return;
  }

  const { publishableKey, mintUrl, changesUrl } = holder.dataset;
  let token = holder.dataset.token;
  // On the monotonic clock, from the server's expires_in: the wall clock may be wrong.
  let expiry = performance.now() + holder.dataset.expiresIn * 1000;
  let minting = null;
  let queue = Promise.resolve();
  let waiting = [];
  let focused = null;
  holder.remove();
  // Token fields are for plain forms; this script sends a header.
  document.querySelectorAll('input[name="contact_token"]').forEach((field) => field.remove());

  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const replayed = new WeakSet(); // changes already replayed once with a new token
  const sentWith = new WeakMap(); // the token each change was sent with
  const answered = new Map(); // change → ends its turn in the queue
  // A failed mint's status → the page's message template (403: a stale CSRF token).
  const MINT_FAILURES = { 401: "signed-out", 403: "session-changed" };

  const on = (name, handler) => document.body.addEventListener(`htmx:${name}`, handler);
  const isChange = (config) => String(config.path).startsWith(changesUrl);
  const formOf = (elt) => elt.closest("form");
  // The element that asked (a swap that removed it makes htmx tell its parent instead).
  const asker = (event) => event.detail.requestConfig?.elt ?? event.detail.elt;

  // Single flight: every change waiting for a token shares one mint.
  function mint() {
    minting ??= (async () => {
      const response = await fetch(mintUrl, {
        method: "POST",
        headers: { "X-CSRFToken": csrf, Accept: "application/json" },
      }).catch(() => ({}));
      if (!response.ok) {
        throw new Error(MINT_FAILURES[response.status] ?? "unavailable");
      }
      const issued = await response.json();
      token = issued.token;
      expiry = performance.now() + issued.expires_in * 1000;
    })().finally(() => {
      minting = null;
    });
    return minting;
  }

  // The one place a change is marked busy (its switch then ignores the customer) or done.
  function setBusy(elt, busy) {
    const form = formOf(elt) ?? elt;
    for (const node of [form, form.querySelector('[role="switch"]')]) {
      node?.setAttribute("aria-busy", busy);
    }
  }

  // Not sent, or no answer: the switch goes back to its saved state and the live region
  // says why (the page's message template `kind`).
  function putBack(elt, kind) {
    const form = formOf(elt);
    const control = form?.querySelector('[role="switch"]');
    if (control) {
      control.checked = form.elements.previous_state.value !== "0";
    }
    setBusy(elt, false);
    const find = (name) => document.querySelector(`#script-messages [data-message="${name}"]`);
    const message = (find(kind) ?? find("unavailable")).content.cloneNode(true);
    message.querySelectorAll("[data-subject]").forEach((slot) => {
      slot.textContent = form?.dataset.subject ?? "";
    });
    document.getElementById("status").replaceChildren(message);
  }

  // Cancelled first: clicks (and Space) on a busy switch, and a plain submit of a switch's
  // form (Enter on a switch), whose answer would be a whole new page.
  for (const [type, selector] of [
    ["click", "[aria-busy=true]"],
    ["submit", "#preferences form.preference"],
  ]) {
    document.addEventListener(
      type,
      (event) => event.isTrusted && event.target.closest?.(selector) && event.preventDefault(),
      true
    );
  }

  // Asked in the page's own dialog: whether the answer is yes.
  const dialog = document.getElementById("confirm-dialog");
  const confirmed = (question) =>
    new Promise((resolve) => {
      dialog.querySelector("[data-question]").textContent = question;
      dialog.returnValue = "";
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
      dialog.showModal();
    });

  // Before a change is sent: confirm if asked, wait its turn, renew the token if due.
  on("confirm", async (event) => {
    const { elt, question, issueRequest } = event.detail;
    if (!isChange(event.detail)) {
      return;
    }
    event.preventDefault();
    if (question && !replayed.has(elt) && !(await confirmed(question))) {
      return;
    }
    setBusy(elt, true);
    const run = queue.then(async () => {
      if (expiry - performance.now() < 60_000) {
        try {
          await mint();
        } catch (failure) {
          replayed.delete(elt);
          return putBack(elt, failure.message);
        }
      }
      // The turn ends when the answer is in (htmx returns no promise here), or at once if
      // htmx sent nothing (the element went away, say).
      const done = new Promise((resolve) => answered.set(elt, resolve));
      issueRequest(true);
      await (sentWith.has(elt) ? done : null);
    });
    queue = run.catch(() => {});
  });

  on("configRequest", (event) => {
    const { elt, headers } = event.detail;
    if (isChange(event.detail)) {
      sentWith.set(elt, token);
      headers.Authorization = `Bearer ${publishableKey}`;
      headers["X-Spotzee-User-Token"] = token;
      headers["X-CSRFToken"] = csrf;
    }
  });

  on("beforeSwap", (event) => {
    const { xhr, requestConfig } = event.detail;
    const elt = requestConfig.elt;
    if (!isChange(requestConfig)) {
      return;
    }
    if (xhr.status === 401 && xhr.getResponseHeader("X-Contact-Token-Rejected") && !replayed.has(elt)) {
      // Spotzee refused the token: one new token (unless another change already renewed
      // it), one replay. A second refusal is swapped in: it says the session has ended.
      event.detail.shouldSwap = false;
      replayed.add(elt);
      (sentWith.get(elt) === token ? mint() : Promise.resolve()).then(
        () => htmx.trigger(elt, elt.getAttribute("hx-trigger") || (elt.form ? "click" : "submit")),
        (failure) => {
          replayed.delete(elt);
          putBack(elt, failure.message);
        }
      );
      return;
    }
    replayed.delete(elt);
    focused = document.activeElement;
    if (xhr.status > 399 && !xhr.getResponseHeader("HX-Retarget")) {
      // A proxy's error page (not the app's): never swapped in, the outcome unknown.
      event.detail.shouldSwap = false;
      return putBack(elt, "connection-lost");
    }
    // Switches still waiting their turn keep the customer's choice: this answer's list was
    // rendered before they were sent. They are put back after the swap.
    waiting = [...document.querySelectorAll("#preferences form[aria-busy=true]")].filter(
      (form) => form !== formOf(elt)
    );
  });

  on("afterSwap", () => {
    for (const form of waiting) {
      const rendered = document.getElementById(form.id);
      if (rendered !== form) {
        rendered?.replaceWith(form);
      }
    }
    waiting = [];
    // Focus was swapped out: back to the same control, else where the answer says.
    if (document.activeElement === document.body) {
      (document.getElementById(focused?.id) ?? document.querySelector("[data-focus]"))?.focus();
    }
  });

  on("afterRequest", (event) => {
    const elt = asker(event);
    if (!(event.detail.xhr.status === 401 && replayed.has(elt))) {
      setBusy(elt, false);
    }
    sentWith.delete(elt);
    answered.get(elt)?.();
    answered.delete(elt);
  });

  // No answer from the app: nobody can say whether the change was made.
  on("sendError", (event) => putBack(asker(event), "connection-lost"));
})();
