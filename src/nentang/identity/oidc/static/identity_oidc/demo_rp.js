// The demo relying party (a public client): PKCE S256, state, nonce, code exchange,
// userinfo. Loaded from our origin only (CSP script-src 'self'); writes text, never HTML.
(function () {
  "use strict";
  var root = document.getElementById("demo-rp");
  if (!root) { return; }
  var cfg = root.dataset;

  function b64url(bytes) {
    var text = "";
    bytes.forEach(function (b) { text += String.fromCharCode(b); });
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function random(n) { var a = new Uint8Array(n); crypto.getRandomValues(a); return b64url(a); }
  function show(id, value) {
    var el = document.getElementById(id);
    if (el) { el.textContent = typeof value === "string" ? value : JSON.stringify(value, null, 2); el.hidden = false; }
  }
  function fail(message) { show("demo-error", message); }
  // A failed callback: the page's own (translated) sentence for the case, a retry link;
  // the protocol's error code only as a code, never its English description.
  function problem(kind, code) {
    var box = document.getElementById("demo-problem");
    var working = document.getElementById("demo-working");
    if (working) { working.hidden = true; }
    if (!box) { fail(code || kind); return; }
    var known = box.querySelector('[data-problem="' + kind + '"]');
    (known || box.querySelector('[data-problem="other"]')).hidden = false;
    if (!known) { document.getElementById("demo-error-code").textContent = code || kind; }
    box.hidden = false;
  }
  function claimsOf(jwt) {
    var part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(part);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return JSON.parse(new TextDecoder().decode(bytes));
  }

  async function start() {
    var verifier = random(32);
    var digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
    var state = random(16), nonce = random(16);
    sessionStorage.setItem("demo_rp", JSON.stringify({ verifier: verifier, state: state, nonce: nonce }));
    var query = new URLSearchParams({
      response_type: "code", client_id: cfg.clientId, redirect_uri: cfg.redirectUri,
      scope: cfg.scope, state: state, nonce: nonce,
      code_challenge: b64url(new Uint8Array(digest)), code_challenge_method: "S256",
      ui_locales: document.documentElement.lang || "vi"
    });
    window.location.assign(cfg.authorize + "?" + query.toString());
  }

  async function callback() {
    var params = new URLSearchParams(window.location.search);
    var saved = JSON.parse(sessionStorage.getItem("demo_rp") || "null");
    sessionStorage.removeItem("demo_rp");
    var error = params.get("error");
    if (error) { problem(error === "access_denied" ? "access_denied" : "other", error); return; }
    if (!saved || params.get("state") !== saved.state) { problem("state"); return; }
    var answer = await fetch(cfg.token, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code", code: params.get("code"), redirect_uri: cfg.redirectUri,
        client_id: cfg.clientId, code_verifier: saved.verifier
      })
    });
    var tokens = await answer.json();
    if (!answer.ok) { problem("other", tokens.error); return; }
    var claims = claimsOf(tokens.id_token);
    if (claims.nonce !== saved.nonce) { problem("other", "nonce"); return; }
    var info = await fetch(cfg.userinfo, { headers: { Authorization: "Bearer " + tokens.access_token } });
    if (!info.ok) { problem("other", "userinfo " + info.status); return; }
    show("demo-id-token", claims);
    show("demo-userinfo", await info.json());
    document.getElementById("demo-working").hidden = true;
    document.getElementById("demo-received").hidden = false;
    var logout = document.getElementById("demo-logout");
    if (logout) {
      logout.href = cfg.logout + "?" + new URLSearchParams({
        id_token_hint: tokens.id_token, post_logout_redirect_uri: cfg.home, client_id: cfg.clientId
      }).toString();
      logout.hidden = false;
    }
  }

  var button = document.getElementById("demo-login");
  if (button) { button.addEventListener("click", function () { start().catch(function (e) { fail(String(e)); }); }); }
  if (cfg.page === "callback") { callback().catch(function (e) { problem("other", String(e)); }); }
})();
