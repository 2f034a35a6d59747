/*
 * The demo host page: stands in for the 小米商城 app's help screen.
 * DEMO ONLY: it signs in through /api/dev-login, which the server disables in production.
 * A real host app gets the token from its own backend for its logged-in user instead.
 */
(function () {
  "use strict";
  var KEY = "fenqi.demoLogin";

  function saved() {
    try {
      var login = JSON.parse(sessionStorage.getItem(KEY) || "null");
      return login && login.expires_at * 1000 > Date.now() ? login : null;
    } catch (e) {
      return null;
    }
  }

  async function devLogin(userId) {
    var r = await fetch("/api/dev-login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user_id: userId }),
    });
    if (!r.ok) throw new Error("dev-login " + r.status);
    var login = await r.json();
    sessionStorage.setItem(KEY, JSON.stringify(login));
    return login;
  }

  function tokenSource(login) {
    if (!login) return null;
    return async function (opts) {
      var current = saved();
      if (opts && opts.refresh) current = await devLogin(login.user.user_id); // demo: mint anew
      return current ? current.token : null;
    };
  }

  async function main() {
    var config = await (await fetch("/api/config")).json();
    var login = saved();
    var bar = document.getElementById("demo-login");
    var picker = document.getElementById("demo-user");
    var who = document.getElementById("demo-who");
    var signIn = document.getElementById("demo-login-btn");
    var signOut = document.getElementById("demo-logout");

    var chat = FenqiWidget.mount(document.getElementById("fenqi-chat"), {
      url: config.socket_url || undefined,  // empty: this page's origin (relayed to Rasa)
      path: config.socket_path,
      getToken: tokenSource(login) || undefined,
      user: login && login.user,
      onAuthError: function () { sessionStorage.removeItem(KEY); show(null); },
    });

    function show(current) {
      who.textContent = current ? "当前：" + current.user.name + "（" + current.user.user_id + "）" : "未登录（匿名）";
      signOut.hidden = !current;
    }
    show(login);

    if (!config.dev_login) return;
    bar.hidden = false;
    try {
      var list = await (await fetch("/api/demo-users")).json();
      list.users.forEach(function (u) {
        var option = document.createElement("option");
        option.value = u.user_id;
        option.textContent = u.name + " · " + u.user_id + " · " + u.region + " · 信用" + u.credit_rating +
          (u.account_status === "正常" ? "" : " · " + u.account_status);
        picker.appendChild(option);
      });
      if (login) picker.value = login.user.user_id;
    } catch (e) {
      who.textContent = "演示账户库不可用（请先 make db）";
    }
    signIn.addEventListener("click", async function () {
      try {
        login = await devLogin(picker.value);
      } catch (e) {
        who.textContent = "登录失败";
        return;
      }
      show(login);
      chat.setIdentity(tokenSource(login), login.user);
    });
    signOut.addEventListener("click", async function () {
      sessionStorage.removeItem(KEY);
      login = null;
      show(null);
      await chat.signOut();  // the server ends this user's chat on every page and device
    });
  }

  main();
})();
