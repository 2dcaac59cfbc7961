// The preference page's script: the contact session token, held in memory only, and the
// order in which changes reach the server.
//
// The token is read once from the page (then removed from the DOM) and never written
// anywhere else: no storage, cookie, URL, htmx history or console. Every htmx request for a
// change carries the publishable key, the token and the CSRF token as headers. A token
// with under a minute left is replaced first; a change the relay answers with "token
// rejected" gets one new token and one replay. One mint serves every change waiting for
// it, and an idle tab mints nothing. Changes go one after another, so each answer is newer
// than the one before. Every word the customer reads comes from the server: this script
// copies the page's own message templates into the live region.
(() => {
  "use strict";

  const holder = document.getElementById("contact-session");
  if (!holder) {
    return;
  }
  if (!window.htmx) {
    // htmx is missing or failed to load: the page stays the plain-form page (Save buttons
    // shown, forms post normally), so every change is saved or visibly not.
    document.documentElement.classList.add("without-htmx");
    return;
  }

  const REFRESH_MARGIN_MS = 60 * 1000;
  const TOKEN_REJECTED = "X-Contact-Token-Rejected";
  const { publishableKey, mintUrl, changesUrl } = holder.dataset;
  let token = holder.dataset.token;
  // Counted on the monotonic clock from the server's expires_in: the browser's wall clock,
  // which may be wrong, is never consulted.
  let deadline = performance.now() + Number(holder.dataset.expiresIn) * 1000;
  let minting = null;
  holder.remove();
  // The hidden token fields are for the plain forms only; this script sends a header.
  for (const field of document.querySelectorAll('input[name="contact_token"]')) {
    field.remove();
  }

  const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
  const replayed = new WeakSet(); // requests already replayed once with a new token
  const sentWith = new WeakMap(); // the token each element's last request carried
  let queue = Promise.resolve();
  let waiting = [];

  class MintFailed extends Error {
    constructor(reason) {
      super(reason);
      this.reason = reason; // the name of the page's message template to show
    }
  }

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
        throw new MintFailed("unavailable");
      }
      if (response.status === 401) {
        throw new MintFailed("signed-out");
      }
      if (response.status === 403) {
        throw new MintFailed("session-changed"); // the CSRF token no longer matches
      }
      if (!response.ok) {
        throw new MintFailed("unavailable");
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

  // The one place a change is marked busy or done. A busy form's switch ignores the
  // customer's clicks and Space until Spotzee has answered (our own replay goes through).
  function setBusy(elt, busy) {
    const form = formOf(elt) ?? elt;
    for (const node of [form, switchOf(form)]) {
      if (!node) {
        continue;
      }
      if (busy) {
        node.setAttribute("aria-busy", "true");
      } else {
        node.removeAttribute("aria-busy");
      }
    }
  }

  // Say in the live region what happened, in the words of the page's message template.
  function announce(kind, subject) {
    const status = document.getElementById("status");
    const template = document.querySelector(`#script-messages template[data-message="${kind}"]`);
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

  // The change was not sent, or its answer never came: its switch goes back to the state
  // Spotzee last confirmed, and the live region says why.
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

  // A busy switch ignores the customer's clicks (and Space, which clicks it).
  document.addEventListener(
    "click",
    (event) => {
      const target = event.target;
      if (event.isTrusted && target instanceof Element && target.closest('[aria-busy="true"]')) {
        event.preventDefault();
      }
    },
    true
  );

  // Enter on a switch, or anything else, must never submit a switch's form the plain way:
  // that is the path for pages without htmx, and its answer is a whole new page.
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches?.('#preferences input[role="switch"]')) {
      event.preventDefault();
    }
  });
  document.addEventListener(
    "submit",
    (event) => {
      if (event.target.matches?.("#preferences form.preference")) {
        event.preventDefault();
      }
    },
    true
  );

  // Before a change is sent: confirm if asked, wait its turn, make sure the token is fresh.
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
          putBack(elt, failure.reason ?? "unavailable");
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
      // Spotzee refused the token: one new token, one replay. A second refusal is swapped
      // in like any other answer (it says the session has ended).
      event.detail.shouldSwap = false;
      replayed.add(elt);
      // Only a change sent with the token we still hold asks for a new one; another change
      // may have renewed it meanwhile.
      const renewed = sentWith.get(elt) === token ? mint() : Promise.resolve();
      renewed.then(
        () => htmx.trigger(elt, replayEvent(elt)),
        (failure) => {
          replayed.delete(elt);
          putBack(elt, failure.reason ?? "unavailable");
        }
      );
      return;
    }
    replayed.delete(elt);
    // Switches still waiting their turn keep the customer's choice: the list this answer
    // brings was rendered before they were sent, so it shows them as they were. They are
    // put back after the swap and sent in their turn.
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

  // The app itself did not answer: nobody can say whether the change was made.
  document.body.addEventListener("htmx:sendError", (event) => {
    putBack(event.detail.elt, "connection-lost");
  });
})();
