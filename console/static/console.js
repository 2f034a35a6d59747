// Agent console: polls the queue / the ticket's live messages; posts with the session's CSRF token.
(function () {
  "use strict";
  var body = document.body;
  var csrf = body.dataset.csrf;
  var POLL_MS = 1000;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function post(url, data) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify(data || {})
    }).then(function (r) { return r.json().catch(function () { return {ok: r.ok}; }); });
  }

  function renderQueue(data) {
    var tbody = document.getElementById("queue");
    tbody.textContent = "";
    if (!data.tickets.length) {
      var empty = el("tr"); var td = el("td", "muted", "暂无排队的会话"); td.colSpan = 7;
      empty.appendChild(td); tbody.appendChild(empty);
    }
    data.tickets.forEach(function (t) {
      var tr = el("tr", "ticket " + t.state);
      tr.dataset.testid = "queue-row"; tr.dataset.ticket = t.id;
      tr.appendChild(el("td", null, "#" + t.id));
      tr.appendChild(el("td", null, t.state_label + (t.agent ? "（" + t.agent + "）" : "")));
      tr.appendChild(el("td", null, t.waiting));
      tr.appendChild(el("td", null, t.channel));
      tr.appendChild(el("td", null, t.verified ? "已验证用户" : "未登录访客"));
      tr.appendChild(el("td", "summary", t.summary));
      var open = el("td"); var a = el("a", "button", "查看"); a.href = "/tickets/" + t.id;
      a.dataset.testid = "open-ticket"; open.appendChild(a); tr.appendChild(open);
      tbody.appendChild(tr);
    });
    var online = document.querySelector("[data-testid=online]");
    if (online) online.textContent = "在线客服 " + data.online + " 人";
  }

  function pollQueue() {
    fetch("/api/queue", {credentials: "same-origin"}).then(function (r) {
      if (r.status === 401) { location.href = "/login"; throw new Error("signed out"); }
      return r.json();
    }).then(renderQueue).catch(function () {}).then(function () { setTimeout(pollQueue, 2000); });
  }

  var AUTHORS = {shopper: "用户", agent: "客服", system: "系统"};
  var shown = {};
  var lastId = 0;

  function renderMessage(m) {
    var list = document.getElementById("live");
    var li = shown[m.id];
    if (!li) {
      li = el("li", "msg " + m.author);
      li.dataset.testid = "live-" + m.author;
      li.appendChild(el("b", null, (m.author === "agent" && m.agent ? m.agent : AUTHORS[m.author]) + " " + m.at));
      li.appendChild(el("span", "text", m.text));
      li.appendChild(el("small", "delivery"));
      list.appendChild(li); shown[m.id] = li;
      list.scrollTop = list.scrollHeight;
    }
    var d = li.querySelector(".delivery");
    d.textContent = m.delivery_label + (m.delivery_error ? "：" + m.delivery_error : "");
    d.className = "delivery " + m.delivery;
    li.dataset.delivery = m.delivery;
    lastId = Math.max(lastId, m.id);
  }

  function renderTicket(data) {
    document.getElementById("state").textContent =
      data.state_label + (data.agent ? "（" + data.agent + "）" : "") + (data.rating ? " · 评分 " + data.rating : "");
    body.dataset.state = data.state;
    body.dataset.mine = data.mine ? "1" : "0";
    data.messages.forEach(renderMessage);
    var can = {accept: data.state === "queued", release: data.mine && data.state === "accepted",
               handback: data.mine && data.state === "accepted",
               close: data.state === "queued" || (data.mine && data.state === "accepted")};
    document.querySelectorAll("form.action").forEach(function (f) { f.hidden = !can[f.dataset.action]; });
    document.getElementById("send").hidden = !(data.mine && data.state === "accepted");
  }

  function oldestPending() {
    // a message shown as pending may since have been delivered, failed or expired: ask again
    var ids = Object.keys(shown).filter(function (id) { return shown[id].dataset.delivery === "pending"; })
      .map(Number);
    return ids.length ? Math.min.apply(null, ids) : 0;
  }

  function pollTicket() {
    var pending = oldestPending();
    fetch("/api/tickets/" + body.dataset.ticket + "?after=" + lastId + (pending ? "&pending=" + pending : ""),
          {credentials: "same-origin"})
      .then(function (r) {
        if (r.status === 401) { location.href = "/login"; throw new Error("signed out"); }
        return r.json();
      }).then(renderTicket).catch(function () {}).then(function () { setTimeout(pollTicket, POLL_MS); });
  }

  function notice(text) { document.getElementById("notice").textContent = text || ""; }

  if (body.dataset.page === "queue") pollQueue();
  if (body.dataset.page === "ticket") {
    document.querySelectorAll("form.action").forEach(function (f) {
      f.addEventListener("submit", function (ev) {
        ev.preventDefault();
        post(f.action).then(function (r) { notice(r.ok ? "" : r.error); });
      });
    });
    var form = document.getElementById("send");
    var box = form.querySelector("textarea");
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = box.value.trim();
      if (!text) return;
      post(form.action, {text: text}).then(function (r) {
        if (r.ok) { box.value = ""; notice(""); } else { notice(r.error); }
      });
    });
    box.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); form.requestSubmit(); }
    });
    pollTicket();
  }
})();
