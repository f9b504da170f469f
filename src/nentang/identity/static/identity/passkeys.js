/* Passkeys (WebAuthn) for the e-ID pages: add a passkey on the account page, log in
   with one on the login and second-factor pages. No inline script (CSP script-src
   'self'): the pages mark their containers with data-passkey-* attributes and the
   sentences to show, in the page's language. The server keeps the challenges. */
(function () {
  "use strict";

  function toBuffer(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i += 1) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrfToken() {
    var input = document.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  function post(url, body, fallback) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": csrfToken()
      },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new Error(data.error || fallback); }
        return data;
      });
    });
  }

  function creationOptions(options) {
    options.challenge = toBuffer(options.challenge);
    options.user.id = toBuffer(options.user.id);
    (options.excludeCredentials || []).forEach(function (item) { item.id = toBuffer(item.id); });
    return options;
  }

  function requestOptions(options) {
    options.challenge = toBuffer(options.challenge);
    (options.allowCredentials || []).forEach(function (item) { item.id = toBuffer(item.id); });
    return options;
  }

  function registrationJSON(credential) {
    var response = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toBase64url(response.clientDataJSON),
        attestationObject: toBase64url(response.attestationObject),
        transports: response.getTransports ? response.getTransports() : []
      },
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined
    };
  }

  function authenticationJSON(credential) {
    var response = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toBase64url(response.clientDataJSON),
        authenticatorData: toBase64url(response.authenticatorData),
        signature: toBase64url(response.signature),
        userHandle: response.userHandle ? toBase64url(response.userHandle) : null
      },
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined
    };
  }

  function showError(box, message) {
    /* The alert's classes are added only now: a class that sets display would
       override the hidden attribute. */
    var target = box.querySelector("[data-passkey-error]");
    if (!target) { return; }
    target.textContent = message;
    target.className = "alert alert--error";
    target.hidden = false;
    target.focus();
  }

  function explain(box, error) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "AbortError") { return box.dataset.msgCancelled; }
    if (name === "InvalidStateError") { return box.dataset.msgExists || box.dataset.msgFailed; }
    if (name === "Error" && error.message) { return error.message; }  /* the server's sentence */
    return box.dataset.msgFailed;
  }

  function busy(button, on) {
    button.disabled = on;
    button.setAttribute("aria-busy", on ? "true" : "false");
  }

  function startLogin(box, button) {
    busy(button, true);
    post(box.dataset.options, {}, box.dataset.msgFailed)
      .then(function (options) {
        return navigator.credentials.get({ publicKey: requestOptions(options) });
      })
      .then(function (credential) {
        return post(box.dataset.finish, {
          credential: authenticationJSON(credential),
          next: box.dataset.next || ""
        }, box.dataset.msgFailed);
      })
      .then(function (data) { window.location.assign(data.redirect); })
      .catch(function (error) { busy(button, false); showError(box, explain(box, error)); });
  }

  function startRegistration(box, button) {
    var nameInput = document.getElementById(box.dataset.nameInput || "");
    busy(button, true);
    post(box.dataset.options, {}, box.dataset.msgFailed)
      .then(function (options) {
        return navigator.credentials.create({ publicKey: creationOptions(options) });
      })
      .then(function (credential) {
        return post(box.dataset.finish, {
          credential: registrationJSON(credential),
          name: nameInput ? nameInput.value : ""
        }, box.dataset.msgFailed);
      })
      .then(function (data) { window.location.assign(data.redirect); })
      .catch(function (error) { busy(button, false); showError(box, explain(box, error)); });
  }

  function setUp() {
    var supported = typeof window.PublicKeyCredential !== "undefined" &&
      navigator.credentials && typeof navigator.credentials.create === "function";
    document.querySelectorAll("[data-passkey]").forEach(function (box) {
      var button = box.querySelector("[data-passkey-start]");
      var controls = box.querySelector("[data-passkey-controls]");
      var unsupported = box.querySelector("[data-passkey-unsupported]");
      if (!supported) {
        if (unsupported) { unsupported.hidden = false; }
        return;
      }
      if (!button) { return; }
      if (controls) { controls.hidden = false; }
      button.addEventListener("click", function () {
        if (box.dataset.passkey === "register") {
          startRegistration(box, button);
        } else {
          startLogin(box, button);
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
}());
