// The preference page's contact session token, held in memory only.
//
// Read once from the page (then removed from the DOM) and never written anywhere else: no
// storage, cookie, URL, htmx history or console. Every htmx request to /preferences/ gets
// the key and token headers. A token with under a minute left (counted from the server's
// expires_in on the monotonic clock) is replaced first; a 401 from the relay gets one new
// token and one replay. One mint serves every request waiting for it; an idle tab mints
// nothing. Changes go one after another, so each answer is newer than the last, and
// switches still waiting keep the customer's choice when an earlier answer re-renders.
(function () {
  "use strict";

  var REFRESH_MARGIN_MS = 60 * 1000;
  var PREFERENCE_PATH = "/preferences/";
  var TOKEN_REJECTED = "X-Contact-Token-Rejected";

  var holder = document.getElementById("contact-session");
  if (!holder || !window.htmx) {
    return;
  }

  var publishableKey = holder.dataset.publishableKey;
  var token = holder.dataset.token;
  // Monotonic: a wrong or changed wall clock does not matter.
  var deadline = performance.now() + Number(holder.dataset.expiresIn) * 1000;
  var minting = null;
  holder.remove();
  forgetRenderedTokens(document);

  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = csrfMeta ? csrfMeta.content : "";
  var replays = new WeakSet();
  var sentWith = new WeakMap();
  var queue = Promise.resolve();
  var waiting = [];

  function forgetRenderedTokens(root) {
    // Hidden token fields are for the no-JavaScript forms only.
    root.querySelectorAll('input[name="contact_token"]').forEach(function (input) {
      input.remove();
    });
  }

  function tokenIsFresh() {
    return Boolean(token) && deadline - performance.now() > REFRESH_MARGIN_MS;
  }

  function MintError(signedOut) {
    this.signedOut = signedOut;
  }

  // Single flight: callers during a mint share it.
  function mint() {
    if (!minting) {
      minting = fetch("/api/contact-session", {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: { "X-CSRFToken": csrfToken, Accept: "application/json" },
      })
        .then(function (response) {
          if (!response.ok) {
            // 401: signed out; 403: CSRF token stale. Only signing in again helps.
            throw new MintError(response.status === 401 || response.status === 403);
          }
          return response.json();
        })
        .then(function (issued) {
          token = issued.token;
          deadline = performance.now() + Number(issued.expires_in) * 1000;
        })
        .finally(function () {
          minting = null;
        });
    }
    return minting;
  }

  function ensureFreshToken() {
    return tokenIsFresh() ? Promise.resolve() : mint();
  }

  function enqueue(task) {
    var run = queue.then(task, task);
    queue = run.catch(function () {});
    return run;
  }

  function replayEvent(elt) {
    return elt.getAttribute("hx-trigger") || (elt.tagName === "FORM" ? "submit" : "click");
  }

  function isPreferenceRequest(path) {
    return typeof path === "string" && path.indexOf(PREFERENCE_PATH) === 0;
  }

  function switchIn(elt) {
    var form = elt.closest("form");
    return form ? form.querySelector('input[role="switch"]') : null;
  }

  function setBusy(elt, busy) {
    var form = elt.closest("form") || elt;
    form.setAttribute("aria-busy", busy ? "true" : "false");
    var control = switchIn(elt);
    if (control) {
      control.setAttribute("aria-busy", busy ? "true" : "false");
    }
    if (!busy) {
      form.removeAttribute("aria-busy");
    }
  }

  function announce(text, signIn) {
    var status = document.getElementById("status");
    if (!status) {
      return;
    }
    status.className = "notice notice-error";
    status.textContent = text + " ";
    if (signIn) {
      var link = document.createElement("a");
      link.href = "/login?next=/preferences";
      link.textContent = "Sign in again";
      status.appendChild(link);
    }
  }

  // Not saved: back to the state Spotzee last confirmed.
  function notSaved(elt, error) {
    var form = elt.closest("form");
    var control = switchIn(elt);
    var previous = form ? form.querySelector('input[name="previous_state"]') : null;
    if (control && previous) {
      control.checked = previous.value === "1" || previous.value === "2";
    }
    setBusy(elt, false);
    var label = form ? form.querySelector('input[name="name"]') : null;
    var subject = label ? label.value : "Your change";
    if (error && error.signedOut) {
      announce(subject + ": not saved. You've been signed out.", true);
    } else {
      announce(
        subject + ": not saved. We couldn't reach our messaging service. Please try again.",
        false
      );
    }
  }

  // A busy switch ignores the customer's clicks (and Space); our own replay goes through.
  document.addEventListener(
    "click",
    function (event) {
      var target = event.target;
      if (event.isTrusted && target instanceof Element && target.closest('[aria-busy="true"]')) {
        event.preventDefault();
      }
    },
    true
  );

  // Before sending: confirm if asked, queue, make sure the token is fresh, then go.
  document.body.addEventListener("htmx:confirm", function (event) {
    var detail = event.detail;
    if (!isPreferenceRequest(detail.path)) {
      return;
    }
    event.preventDefault();
    var replay = replays.has(detail.elt);
    if (detail.question && !replay && !window.confirm(detail.question)) {
      return;
    }
    setBusy(detail.elt, true);
    enqueue(function () {
      return ensureFreshToken().then(
        function () {
          return detail.issueRequest(true);
        },
        function (error) {
          notSaved(detail.elt, error);
        }
      );
    });
  });

  document.body.addEventListener("htmx:configRequest", function (event) {
    if (!isPreferenceRequest(event.detail.path)) {
      return;
    }
    var headers = event.detail.headers;
    sentWith.set(event.detail.elt, token);
    headers["Authorization"] = "Bearer " + publishableKey;
    headers["X-Spotzee-Contact-Token"] = token;
    headers["X-Spotzee-User-Token"] = token;
    headers["X-CSRFToken"] = csrfToken;
  });

  // Spotzee refused the token: one new token, one replay, never a loop.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var elt = event.detail.requestConfig.elt;
    if (!isPreferenceRequest(event.detail.requestConfig.path)) {
      return;
    }
    if (xhr.status !== 401) {
      var answered = elt.closest("form");
      waiting = Array.prototype.filter.call(
        document.querySelectorAll('#preferences form[aria-busy="true"]'),
        function (form) {
          return form !== answered;
        }
      );
      return;
    }
    event.detail.shouldSwap = false;
    if (xhr.getResponseHeader(TOKEN_REJECTED) !== "true" || replays.has(elt)) {
      replays.delete(elt);
      notSaved(elt, new MintError(xhr.getResponseHeader(TOKEN_REJECTED) !== "true"));
      return;
    }
    replays.add(elt);
    // Only a request sent with the token we still hold asks for a new one.
    var renewed = sentWith.get(elt) === token ? mint() : Promise.resolve();
    renewed.then(
      function () {
        htmx.trigger(elt, replayEvent(elt));
      },
      function (error) {
        replays.delete(elt);
        notSaved(elt, error);
      }
    );
  });

  document.body.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    var replaying = event.detail.xhr && event.detail.xhr.status === 401 && replays.has(elt);
    if (!replaying) {
      replays.delete(elt);
      setBusy(elt, false);
    }
  });

  document.body.addEventListener("htmx:sendError", function (event) {
    notSaved(event.detail.elt, null);
  });

  document.body.addEventListener("htmx:afterSwap", function (event) {
    waiting.forEach(function (form) {
      var rendered = document.getElementById(form.id);
      if (rendered && rendered !== form) {
        rendered.replaceWith(form);
      }
    });
    waiting = [];
    forgetRenderedTokens(document);
  });
})();
