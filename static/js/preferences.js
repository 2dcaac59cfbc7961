// The preference page's script. It holds the contact session token in memory only (read
// once, then removed from the page), sends it with each change, renews it a minute before
// it expires (one mint for every change waiting) or once after Spotzee refuses it, and
// sends changes one after another. Its words come from templates in the page.
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

  const REFRESH_MARGIN_MS = 60 * 1000;
  const TOKEN_REJECTED = "X-Contact-Token-Rejected";
  const { publishableKey, mintUrl, changesUrl } = holder.dataset;
  let token = holder.dataset.token;
  // From the server's expires_in, on the monotonic clock: the wall clock may be wrong.
  let deadline = performance.now() + Number(holder.dataset.expiresIn) * 1000;
  let minting = null;
  holder.remove();
  // The hidden token fields are for plain forms; this script sends a header instead.
  for (const field of document.querySelectorAll('input[name="contact_token"]')) {
    field.remove();
  }

  const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
  const replayed = new WeakSet(); // requests already replayed once with a new token
  const sentWith = new WeakMap(); // the token each element's last request carried
  let queue = Promise.resolve();
  let waiting = [];

  // Why a mint failed, as the page's message template that says so (403: stale CSRF).
  const MINT_FAILURES = { 401: "signed-out", 403: "session-changed" };

  const tokenIsFresh = () => Boolean(token) && deadline - performance.now() > REFRESH_MARGIN_MS;
  const isChange = (path) => typeof path === "string" && path.startsWith(changesUrl);
  const formOf = (elt) => elt.closest("form");
  const switchOf = (form) => form?.querySelector('input[role="switch"]') ?? null;

  // Single flight: every change waiting for a token shares one mint.
  function mint() {
    minting ??= (async () => {
      let response;
      try {
        response = await fetch(mintUrl, {
          method: "POST",
          credentials: "same-origin",
          cache: "no-store",
          headers: { "X-CSRFToken": csrfToken, Accept: "application/json" },
        });
      } catch {
        throw new Error("unavailable");
      }
      if (!response.ok) {
        throw new Error(MINT_FAILURES[response.status] ?? "unavailable");
      }
      const issued = await response.json();
      token = issued.token;
      deadline = performance.now() + Number(issued.expires_in) * 1000;
    })().finally(() => {
      minting = null;
    });
    return minting;
  }

  function enqueue(task) {
    const run = queue.then(task, task);
    queue = run.catch(() => {});
    return run;
  }

  // The one place a change is marked busy (its switch then ignores the customer) or done.
  function setBusy(elt, busy) {
    const form = formOf(elt) ?? elt;
    for (const node of [form, switchOf(form)]) {
      if (busy) {
        node?.setAttribute("aria-busy", "true");
      } else {
        node?.removeAttribute("aria-busy");
      }
    }
  }

  // Say in the live region what happened, in the page's own words.
  function announce(kind, subject) {
    const status = document.getElementById("status");
    const find = (name) => document.querySelector(`#script-messages [data-message="${name}"]`);
    const template = find(kind) ?? find("unavailable");
    if (!status || !template) {
      return;
    }
    const message = template.content.cloneNode(true);
    for (const slot of message.querySelectorAll("[data-subject]")) {
      slot.textContent = subject;
    }
    status.className = "notice notice-error";
    status.replaceChildren(message);
  }

  // Not sent, or no answer came: the switch goes back to its saved state, and we say why.
  function putBack(elt, kind) {
    const form = formOf(elt);
    const control = switchOf(form);
    const saved = form?.querySelector('input[name="previous_state"]');
    if (control && saved) {
      control.checked = saved.value !== "0";
    }
    setBusy(elt, false);
    announce(kind, form?.dataset.subject ?? "");
  }

  function replayEvent(elt) {
    return elt.getAttribute("hx-trigger") || (elt.tagName === "FORM" ? "submit" : "click");
  }

  // Cancelled first: clicks (and Space) on a busy switch, and any plain submit of a
  // switch's form (Enter on a switch, say), whose answer would be a whole new page.
  const cancel = (type, selector) =>
    document.addEventListener(
      type,
      (event) => event.isTrusted && event.target.closest?.(selector) && event.preventDefault(),
      true
    );
  cancel("click", '[aria-busy="true"]');
  cancel("submit", "#preferences form.preference");

  // Before a change is sent: confirm if asked, wait its turn, renew the token if due.
  document.body.addEventListener("htmx:confirm", (event) => {
    const { elt, path, question, issueRequest } = event.detail;
    if (!isChange(path)) {
      return;
    }
    event.preventDefault();
    if (question && !replayed.has(elt) && !window.confirm(question)) {
      return;
    }
    setBusy(elt, true);
    enqueue(async () => {
      if (!tokenIsFresh()) {
        try {
          await mint();
        } catch (failure) {
          replayed.delete(elt);
          putBack(elt, failure.message);
          return;
        }
      }
      await issueRequest(true);
    });
  });

  document.body.addEventListener("htmx:configRequest", (event) => {
    const { elt, path, headers } = event.detail;
    if (!isChange(path)) {
      return;
    }
    sentWith.set(elt, token);
    headers.Authorization = `Bearer ${publishableKey}`;
    headers["X-Spotzee-User-Token"] = token;
    headers["X-CSRFToken"] = csrfToken;
  });

  document.body.addEventListener("htmx:beforeSwap", (event) => {
    const { xhr, requestConfig } = event.detail;
    if (!isChange(requestConfig.path)) {
      return;
    }
    const elt = requestConfig.elt;
    if (xhr.status === 401 && xhr.getResponseHeader(TOKEN_REJECTED) === "true" && !replayed.has(elt)) {
      // Spotzee refused the token: one new token, one replay; a second refusal is swapped
      // in (it says the session has ended).
      event.detail.shouldSwap = false;
      replayed.add(elt);
      // No new mint if another change renewed the token meanwhile.
      const renewed = sentWith.get(elt) === token ? mint() : Promise.resolve();
      renewed.then(
        () => htmx.trigger(elt, replayEvent(elt)),
        (failure) => {
          replayed.delete(elt);
          putBack(elt, failure.message);
        }
      );
      return;
    }
    replayed.delete(elt);
    // Switches still waiting their turn keep the customer's choice: this answer's list
    // was rendered before they were sent. They are put back after the swap.
    const answered = formOf(elt);
    waiting = [...document.querySelectorAll('#preferences form[aria-busy="true"]')].filter(
      (form) => form !== answered
    );
  });

  document.body.addEventListener("htmx:afterSwap", () => {
    for (const form of waiting) {
      const rendered = document.getElementById(form.id);
      if (rendered && rendered !== form) {
        rendered.replaceWith(form);
      }
    }
    waiting = [];
  });

  document.body.addEventListener("htmx:afterRequest", (event) => {
    const elt = event.detail.elt;
    if (!(event.detail.xhr?.status === 401 && replayed.has(elt))) {
      setBusy(elt, false);
    }
  });

  // The app did not answer: nobody can say whether the change was made.
  document.body.addEventListener("htmx:sendError", (event) => {
    putBack(event.detail.elt, "connection-lost");
  });
})();
