/*
 * 分期助手 chat widget — plain JS on socket.io-client, talking to Rasa's `secure_socketio` channel.
 *
 *   const chat = FenqiWidget.mount(element, {
 *     url: undefined,                   // this page's origin (relay) or the Rasa server
 *     path: "/socket.io",               // the channel's socketio_path
 *     getToken: async ({refresh}) => token or null,   // the host app's backend mints it
 *     user: {name: "张伟"},             // optional, for the status line
 *   });
 *   chat.setIdentity(getToken, user);   // after the host app signs the user in (or a visitor)
 *   await chat.signOut();               // the host app signs its user out: the server refuses the
 *                                       // user's tokens issued until now, and every other page
 *                                       // of that user is told to sign in again
 *
 * The server decides the conversation (from the verified token), sends the history on
 * connect, and never trusts anything else this script sends. Bot text is rendered with
 * DOM nodes and textContent only (no HTML from the bot is ever interpreted).
 */
(function (global) {
  "use strict";

  var AMOUNT = /(¥\s?-?[\d,]+(?:\.\d+)?|-?[\d,]+(?:\.\d+)?\s?元)/;
  var NUMBERED = /^\s*(\d{1,2})[.、)）]\s*(.+)$/;
  var BULLET = /^\s*[·•\-*]\s*(.+)$/;
  var HEADING = /^\s*【([^】]+)】\s*(.*)$/;
  var STARTERS = ["为什么我不能分期", "分期怎么还款", "我的备用金额度为什么用不了", "提前还款有手续费吗"];
  var TYPING_TIMEOUT_MS = 20000;
  /* A message whose turn did not end (no ack from the server: an instance frozen or killed, the
     connection lost) within REPLY_TIMEOUT_MS, or when the connection drops, gets the busy text
     (the one of fenqi/resilience.py BUSY_TEXT; a test keeps them equal). The server ends a turn
     at 15 s itself; a shopper never waits past 30 s. */
  var REPLY_TIMEOUT_MS = 25000;
  var BUSY_TEXT = "系统繁忙，请稍后再试。刚才这条消息没有处理成功，请稍后重新发送。";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  /* Text with amounts (¥3,999.00 / 500元) wrapped so they stand out. */
  function inline(parent, text) {
    text.split(AMOUNT).forEach(function (part, i) {
      if (!part) return;
      if (i % 2 === 1) parent.appendChild(el("span", "fq-amount", part));
      else parent.appendChild(document.createTextNode(part));
    });
    return parent;
  }

  /* One paragraph of bot text -> headings, numbered steps, bullet lists and lines. */
  function renderParagraph(text) {
    var box = el("div", "fq-paragraph");
    var list = null;
    text.split("\n").forEach(function (line) {
      var m;
      if ((m = NUMBERED.exec(line))) {
        if (!list || list.tagName !== "OL") {
          list = box.appendChild(el("ol", "fq-steps"));
          list.start = parseInt(m[1], 10);
        }
        inline(list.appendChild(el("li")), m[2]);
        return;
      }
      if ((m = BULLET.exec(line))) {
        if (!list || list.tagName !== "UL") list = box.appendChild(el("ul", "fq-bullets"));
        inline(list.appendChild(el("li")), m[1]);
        return;
      }
      list = null;
      if (!line.trim()) return;
      if ((m = HEADING.exec(line))) {
        var p = box.appendChild(el("p", "fq-line"));
        p.appendChild(el("strong", "fq-heading", m[1]));
        if (m[2]) inline(p, " " + m[2]);
        return;
      }
      inline(box.appendChild(el("p", "fq-line")), line);
    });
    return box;
  }

  function splitParagraphs(text) {
    return String(text || "").split(/\n\s*\n/).map(function (s) { return s.trim(); })
      .filter(function (s) { return s.length > 0; });
  }

  function mount(root, options) {
    options = options || {};
    var getToken = options.getToken || function () { return Promise.resolve(null); };
    var user = options.user || null;
    var socket = null;
    var token = null;
    var sessionId = null;
    var typingTimer = null;
    var pendingTimer = null;  // the last message waits for its ack (REPLY_TIMEOUT_MS)
    var refreshing = false;
    var signingOut = false;
    var notice = null;  // shown instead of the connection status (signed out elsewhere)

    root.classList.add("fq-widget");
    root.textContent = "";
    var header = root.appendChild(el("div", "fq-header"));
    header.appendChild(el("span", "fq-title", "分期助手"));
    var status = header.appendChild(el("span", "fq-status", "连接中…"));
    var log = root.appendChild(el("ol", "fq-messages"));
    log.setAttribute("aria-live", "polite");
    log.setAttribute("data-testid", "messages");
    var typing = root.appendChild(el("div", "fq-typing"));
    typing.hidden = true;
    typing.setAttribute("data-testid", "typing");
    typing.appendChild(el("span", "fq-dots"));
    typing.appendChild(el("span", null, "分期助手正在输入…"));
    var form = root.appendChild(el("form", "fq-input"));
    var input = form.appendChild(el("input"));
    input.type = "text";
    input.maxLength = 500;
    input.placeholder = "请输入您的问题，例如：为什么我不能分期";
    input.setAttribute("aria-label", "输入问题");
    input.autocomplete = "off";
    var send = form.appendChild(el("button", "fq-send", "发送"));
    send.type = "submit";

    function scrollDown() { log.scrollTop = log.scrollHeight; }

    function setStatus(text, kind) {
      status.textContent = text;
      status.className = "fq-status" + (kind ? " fq-status-" + kind : "");
    }

    function setTyping(on) {
      clearTimeout(typingTimer);
      typing.hidden = !on;
      if (on) typingTimer = setTimeout(function () { typing.hidden = true; }, TYPING_TIMEOUT_MS);
      scrollDown();
    }

    function clearQuickReplies() {
      Array.prototype.forEach.call(log.querySelectorAll(".fq-quick"), function (row) {
        row.parentNode.removeChild(row);
      });
    }

    function showWelcome() {
      var item = log.appendChild(el("li", "fq-welcome"));
      item.appendChild(el("p", null, user
        ? "您好，" + user.name + "！我是分期助手，可以结合您的账户帮您查原因、给步骤。"
        : "您好！我是分期助手。登录后我可以结合您的账户给出具体原因；现在也可以问通用问题。"));
      var row = item.appendChild(el("div", "fq-quick fq-starters"));
      STARTERS.forEach(function (q) {
        var b = row.appendChild(el("button", "fq-chip", q));
        b.type = "button";
        b.addEventListener("click", function () { sendText(q, q); });
      });
    }

    function appendUser(text) {
      var welcome = log.querySelector(".fq-welcome");
      if (welcome) welcome.parentNode.removeChild(welcome);
      var item = log.appendChild(el("li", "fq-msg fq-user"));
      item.appendChild(el("div", "fq-bubble", text));
      scrollDown();
    }

    function quickReplies(replies) {
      var row = el("div", "fq-quick");
      replies.forEach(function (r) {
        var b = row.appendChild(el("button", "fq-chip", r.title));
        b.type = "button";
        b.addEventListener("click", function () { sendText(r.payload, r.title); });
      });
      return row;
    }

    /* One bot payload (stock socket.io output: text / quick_replies / attachment). */
    function appendBot(message, live) {
      if (live) clearQuickReplies();
      var paragraphs = splitParagraphs(message.text);
      var replies = message.quick_replies || [];
      var src = message.image || (message.attachment && message.attachment.payload &&
                                  message.attachment.payload.src);
      paragraphs.forEach(function (p) {
        var item = log.appendChild(el("li", "fq-msg fq-bot"));
        item.appendChild(el("div", "fq-bubble")).appendChild(renderParagraph(p));
      });
      if (src && /^(https?:|data:image\/)/.test(src)) {
        var img = el("img", "fq-image");
        img.src = src;
        img.alt = "图片";
        log.appendChild(el("li", "fq-msg fq-bot")).appendChild(img);
      }
      if (replies.length) {
        var last = log.lastElementChild || log.appendChild(el("li", "fq-msg fq-bot"));
        last.appendChild(quickReplies(replies));
      }
      scrollDown();
    }

    function showHistory(messages) {
      log.textContent = "";
      if (!messages.length) { showWelcome(); return; }
      messages.forEach(function (m) {
        if (m.sender === "user") appendUser(m.text);
        else appendBot(m, false);
      });
      // only the quick replies of the very last message are still answerable
      var rows = log.querySelectorAll(".fq-quick");
      var lastIsBot = log.lastElementChild && log.lastElementChild.classList.contains("fq-bot");
      Array.prototype.forEach.call(rows, function (row, i) {
        if (!(lastIsBot && i === rows.length - 1 && row.parentNode === log.lastElementChild)) {
          row.parentNode.removeChild(row);
        }
      });
      scrollDown();
    }

    function settle() {
      clearTimeout(pendingTimer);
      pendingTimer = null;
    }

    function showBusy() {
      settle();
      setTyping(false);
      appendBot({ text: BUSY_TEXT }, true);
    }

    function sendText(text, shown) {
      text = String(text || "").trim();
      if (!text || !socket) return;
      clearQuickReplies();
      appendUser(shown || text);
      setTyping(true);
      settle();
      pendingTimer = setTimeout(showBusy, REPLY_TIMEOUT_MS);
      // the ack comes when the server is done with the turn (answered, busy, or kept for an agent)
      socket.emit("user_uttered", { message: text, session_id: sessionId }, settle);
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value;
      input.value = "";
      sendText(text);
      input.focus();
    });

    function signedInLabel() {
      return user ? "已登录 · " + user.name : "已连接";
    }

    async function renewToken() {
      if (refreshing) return;
      refreshing = true;
      try {
        token = await getToken({ refresh: true });
      } catch (e) {
        token = null;
      }
      refreshing = false;
      if (!token) {
        setStatus("登录已失效，请重新登录", "error");
        if (options.onAuthError) options.onAuthError("expired");
        return;
      }
      connect();
    }

    /* The user signed out (here or elsewhere): forget them, their conversation and their token;
       go on as an anonymous visitor. */
    function signedOut(reason) {
      getToken = function () { return Promise.resolve(null); };
      user = null;
      token = null;
      notice = "已退出登录，请重新登录后查询您的账户";
      log.textContent = "";
      showWelcome();
      connect();
      if (options.onAuthError) options.onAuthError(reason);
    }

    async function connect() {
      if (socket) { socket.removeAllListeners(); socket.disconnect(); socket = null; }
      sessionId = null;
      setStatus("连接中…");
      try {
        token = token || await getToken({ refresh: false });
      } catch (e) {
        token = null;
      }
      if (typeof global.io !== "function") {
        setStatus("缺少 socket.io 客户端", "error");
        return;
      }
      socket = global.io(options.url || undefined, {
        path: options.path || "/socket.io",
        transports: ["polling"],  // engine.io WebSocket is broken on Rasa 3.6's Sanic 21.12
        auth: function (cb) { cb(token ? { token: token } : {}); },
      });
      socket.on("connect", function () {
        if (notice) setStatus(notice, "error");
        else setStatus(token ? signedInLabel() : "匿名咨询 · 登录后可查询您的账户", token ? "ok" : "anon");
        socket.emit("session_request", { session_id: sessionId });
      });
      socket.on("session_confirm", function (id) {
        sessionId = id;
        root.setAttribute("data-session-id", id);
      });
      socket.on("history", function (data) {
        var messages = (data && data.messages) || [];
        if (messages.length || !log.querySelector(".fq-msg")) showHistory(messages);
      });
      socket.on("bot_uttered", function (message) {
        appendBot(message || {}, true);
      });
      socket.on("bot_typing", function (data) { setTyping(!!(data && data.typing)); });
      socket.on("auth_error", function (data) {
        setTyping(false);
        var reason = data && data.reason;
        if (reason === "signed_out") { if (!signingOut) signedOut(reason); }
        else if (reason === "expired" || reason === "missing") { token = null; renewToken(); }
        else setStatus("身份校验失败，请重新登录", "error");
      });
      socket.on("session_refused", function () { setStatus("会话已切换为您本人的会话", "anon"); });
      socket.on("connect_error", function (err) {
        var reason = err && err.data && err.data.reason;
        if (reason) {
          socket.disconnect();
          if (reason === "expired") { token = null; renewToken(); return; }
          if (reason === "signed_out") { signedOut(reason); return; }
          setStatus("身份校验失败，请重新登录", "error");
          if (options.onAuthError) options.onAuthError(reason);
        } else {
          setStatus("连接失败，正在重试…", "error");
        }
      });
      socket.on("disconnect", function (reason) {
        // the turn of the last message is lost with the connection
        if (pendingTimer && reason !== "io client disconnect") showBusy();
        setTyping(false);
        if (reason !== "io client disconnect") setStatus("连接已断开，正在重连…", "error");
      });
    }

    showWelcome();
    connect();

    return {
      setIdentity: function (newGetToken, newUser) {
        getToken = newGetToken || function () { return Promise.resolve(null); };
        user = newUser || null;
        token = null;
        notice = null;
        log.textContent = "";
        showWelcome();
        connect();
      },
      signOut: function () {
        /* Tell the server first (acknowledged, or given up after 3 s), then go on anonymously. */
        var current = socket;
        signingOut = true;
        var done = new Promise(function (resolve) {
          if (!current || !token) { resolve({ ok: false }); return; }
          var timer = setTimeout(function () { resolve({ ok: false, reason: "timeout" }); }, 3000);
          current.emit("sign_out", {}, function (answer) { clearTimeout(timer); resolve(answer || {}); });
        });
        return done.then(function (answer) {
          signingOut = false;
          getToken = function () { return Promise.resolve(null); };
          user = null;
          token = null;
          log.textContent = "";
          showWelcome();
          connect();
          return answer;
        });
      },
      send: sendText,
      sessionId: function () { return sessionId; },
      destroy: function () { if (socket) socket.disconnect(); root.textContent = ""; },
    };
  }

  global.FenqiWidget = { mount: mount, renderParagraph: renderParagraph };
})(window);
