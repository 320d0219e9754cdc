/*
 * Orienta chat widget: a provider embeds it with one tag,
 *   <script src="https://orienta.example/widget/orienta-widget.js" data-server="https://orienta.example:5005"
 *           data-lang="pl" data-title="..." data-accent="#0b5394" data-accent-text="#ffffff" defer></script>
 * It talks to Rasa's socket.io channel (bot/orienta_rasa/socketio_channel.py), loads its stylesheet,
 * socket.io-client and its words (/widget/i18n/<lang>.json, from the gettext catalogs) from the server
 * it was loaded from. Security: every text from the learner, the bot or the catalogue goes into the page
 * with textContent/createTextNode, never as HTML; links only for http(s) URLs.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.OrientaWidget) { return; }
  var ASSETS = new URL(".", script.src).href;
  var data = script.dataset;
  var SERVER = (data.server || (location.protocol + "//" + location.hostname + ":5005")).replace(/\/+$/, "");
  var KEY = "orienta-widget:" + SERVER + ":";
  var MAX_HISTORY = 200;
  var CHANGE_LANGUAGE = /^\/change_language\{"language":"([a-z]{2,3})"\}$/;
  var uid = 0;

  // --- small helpers -----------------------------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function store(area, name, value) {
    try {
      var storage = area === "session" ? window.sessionStorage : window.localStorage;
      if (value === undefined) { return storage.getItem(KEY + name); }
      if (value === null) { storage.removeItem(KEY + name); } else { storage.setItem(KEY + name, value); }
    } catch (e) { /* storage disabled: the conversation just does not survive a reload */ }
    return null;
  }

  function safeUrl(value) {
    if (typeof value !== "string") { return null; }
    try {
      var url = new URL(value);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) { return null; }
  }

  function safeColour(value) {
    return value && window.CSS && CSS.supports && CSS.supports("color", value) ? value : null;
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = src;
      tag.onload = resolve;
      tag.onerror = function () { reject(new Error("cannot load " + src)); };
      document.head.appendChild(tag);
    });
  }

  function loadStrings(language) {
    var url = ASSETS + "i18n/" + encodeURIComponent(language || "default") + ".json";
    return fetch(url, { credentials: "omit" }).then(function (response) {
      if (!response.ok) { throw new Error(url + ": " + response.status); }
      return response.json();
    });
  }

  // --- state -----------------------------------------------------------------------------------------------------

  var i18n = null;           // {language, languages: [{code, name}], strings: {id: text}}
  var history = [];          // rendered entries, kept in localStorage
  var sessionId = store("local", "session");
  var socket = null;
  var ui = {};
  var typingTimer = null;

  function t(id) {
    var text = i18n && i18n.strings["widget." + id];
    return typeof text === "string" ? text : "";
  }

  function readHistory() {
    try {
      var saved = JSON.parse(store("local", "history") || "[]");
      return Array.isArray(saved) ? saved.filter(function (e) { return e && typeof e === "object"; }) : [];
    } catch (e) { return []; }
  }

  function saveHistory() {
    history = history.slice(-MAX_HISTORY);
    store("local", "history", JSON.stringify(history));
  }

  // --- rendering (text nodes only) -----------------------------------------------------------------------------

  // Plain text with its line breaks (CSS pre-line), http(s) URLs as links.
  function appendText(parent, text) {
    var pattern = /https?:\/\/[^\s<>"']+/g;
    var last = 0;
    var match;
    while ((match = pattern.exec(text)) !== null) {
      var raw = match[0].replace(/[.,;:!?)\]]+$/, "");
      var href = safeUrl(raw);
      if (!href) { continue; }
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      parent.appendChild(link(href, raw));
      last = match.index + raw.length;
      pattern.lastIndex = last;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function link(href, label) {
    var a = el("a", "ow-link", label);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.appendChild(el("span", "ow-sr", " " + t("new_tab")));
    return a;
  }

  function paragraphs(parent, text, citation) {
    var parts = String(text || "").split(/\n{2,}/);
    parts.forEach(function (part, index) {
      if (!part.trim()) { return; }
      var isCitation = citation && index === parts.length - 1 && parts.length > 1 && part.indexOf(citation) !== -1;
      var p = el("p", isCitation ? "ow-text ow-citation" : "ow-text");
      appendText(p, part);
      parent.appendChild(p);
    });
  }

  function choices(parent, buttons) {
    if (!buttons || !buttons.length) { return; }
    var row = el("div", "ow-choices");
    buttons.forEach(function (button) {
      var b = el("button", "ow-choice", button.title);
      b.type = "button";
      b.addEventListener("click", function () { send(button.payload, button.title); });
      row.appendChild(b);
    });
    parent.appendChild(row);
  }

  function card(parent, text, offer) {
    var article = el("article", "ow-card");
    var heading = el("h3", "ow-card-title", offer.position + ". " + offer.title);
    heading.id = "ow-card-" + (++uid);
    article.setAttribute("aria-labelledby", heading.id);
    article.appendChild(heading);
    var lines = String(text || "").split("\n").slice(1).filter(function (line) {
      return line.trim() && line.trim() !== offer.url;
    });
    if (lines.length) {
      var facts = el("p", "ow-text ow-card-facts");
      appendText(facts, lines.join("\n"));
      article.appendChild(facts);
    }
    var href = safeUrl(offer.url);
    if (href) { article.appendChild(link(href, t("course_page"))).classList.add("ow-card-link"); }
    parent.appendChild(article);
  }

  function renderEntry(entry) {
    var item = el("li", "ow-msg " + (entry.from === "user" ? "ow-user" : "ow-bot") + (entry.card ? " ow-card-msg" : ""));
    item.appendChild(el("span", "ow-sr", (entry.from === "user" ? t("you") : t("bot_name")) + ": "));
    if (entry.card) {
      card(item, entry.text, entry.card);
    } else {
      var bubble = el("div", "ow-bubble");
      paragraphs(bubble, entry.text, entry.citation);
      item.appendChild(bubble);
    }
    if (entry.from !== "user") { choices(item, entry.buttons); }
    return item;
  }

  function renderLog() {
    ui.log.textContent = "";
    if (!history.length) { ui.log.appendChild(el("li", "ow-msg ow-bot ow-intro", t("intro"))); }
    history.forEach(function (entry) { ui.log.appendChild(renderEntry(entry)); });
  }

  function scrollDown() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function add(entry) {
    var intro = ui.log.querySelector(".ow-intro");
    if (intro) { intro.remove(); }
    history.push(entry);
    ui.log.appendChild(renderEntry(entry));
    saveHistory();
    scrollDown();
  }

  // Search results come as one text message per offer, then {"type": "offer_cards", "cards": [...]}:
  // the matching texts become cards (title, facts, a safe link), keeping their buttons.
  function attachCards(cards) {
    var changed = false;
    cards.forEach(function (offer) {
      if (!offer || typeof offer.title !== "string" || typeof offer.position !== "number") { return; }
      var prefix = offer.position + ". " + offer.title;
      for (var i = history.length - 1; i >= Math.max(0, history.length - 40); i--) {
        var entry = history[i];
        if (entry.from === "bot" && !entry.card && typeof entry.text === "string" && entry.text.indexOf(prefix) === 0) {
          entry.card = { position: offer.position, title: offer.title, id: String(offer.id || ""),
                         url: typeof offer.url === "string" ? offer.url : "" };
          changed = true;
          break;
        }
      }
    });
    if (changed) { saveHistory(); renderLog(); scrollDown(); }
  }

  // --- conversation --------------------------------------------------------------------------------------------

  function status(text) {
    ui.status.textContent = text || "";
    ui.status.hidden = !text;
  }

  function typing(on) {
    clearTimeout(typingTimer);
    ui.typing.hidden = !on;
    if (on) { typingTimer = setTimeout(function () { typing(false); }, 30000); }
  }

  function receive(message) {
    if (!message || typeof message !== "object") { return; }
    typing(false);
    var custom = message.custom;
    if (custom && typeof custom === "object") {
      if (custom.type === "offer_cards" && Array.isArray(custom.cards)) { attachCards(custom.cards); }
      return;  // other payloads (offer_details) repeat what the text already says
    }
    var buttons = (message.quick_replies || message.buttons || []).filter(function (b) {
      return b && typeof b.title === "string" && typeof b.payload === "string";
    }).map(function (b) { return { title: b.title, payload: b.payload }; });
    var text = typeof message.text === "string" ? message.text : "";
    if (!text && !buttons.length) { return; }
    var metadata = message.metadata && typeof message.metadata === "object" ? message.metadata : {};
    add({ from: "bot", text: text, buttons: buttons,
          citation: typeof metadata.citation === "string" ? metadata.citation : "" });
  }

  function send(text, shown) {
    text = String(text || "").trim();
    if (!text) { return false; }
    if (!socket || !socket.connected || !sessionId) { status(t("not_sent")); return false; }
    var switched = CHANGE_LANGUAGE.exec(text);
    var language = switched ? switched[1] : i18n.language;
    socket.emit("user_uttered", { message: text, session_id: sessionId, metadata: { language: language } });
    status("");
    add({ from: "user", text: shown || text });
    typing(true);
    if (switched && switched[1] !== i18n.language) { setLanguage(switched[1], false); }
    return true;
  }

  function connect() {
    status(t("connecting"));
    socket = window.io(SERVER, { path: "/socket.io", withCredentials: false });
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: sessionId });
    });
    socket.on("session_confirm", function (id) {
      var confirmed = typeof id === "string" ? id : (id && id.session_id);
      if (confirmed) { sessionId = String(confirmed); store("local", "session", sessionId); }
      status("");
    });
    socket.on("bot_uttered", receive);
    socket.on("disconnect", function () { status(t("connection_lost")); typing(false); });
    socket.on("connect_error", function () { status(t("connection_lost")); });
  }

  function newConversation() {
    history = [];
    saveHistory();
    sessionId = null;
    store("local", "session", null);
    renderLog();
    if (socket && socket.connected) { socket.emit("session_request", { session_id: null }); }
    ui.input.focus();
  }

  // --- the panel -----------------------------------------------------------------------------------------------

  function label() {
    var open = !ui.panel.hidden;
    ui.root.lang = i18n.language;
    ui.toggleText.textContent = open ? t("close") : t("open");
    ui.title.textContent = data.title || t("title");
    ui.close.setAttribute("aria-label", t("close"));
    ui.close.title = t("close");
    ui.log.setAttribute("aria-label", t("log_label"));
    ui.inputLabel.textContent = t("input_label");
    ui.input.placeholder = t("placeholder");
    ui.sendButton.textContent = t("send");
    ui.languageLabel.textContent = t("language_label");
    ui.restart.textContent = t("new_conversation");
    ui.typing.textContent = t("typing");
    ui.language.textContent = "";
    i18n.languages.forEach(function (language) {
      var option = el("option", "", language.name);
      option.value = language.code;
      option.lang = language.code;
      option.selected = language.code === i18n.language;
      ui.language.appendChild(option);
    });
  }

  function setLanguage(language, tellBot) {
    return loadStrings(language).then(function (loaded) {
      i18n = loaded;
      store("local", "language", i18n.language);
      label();
      renderLog();
      if (tellBot) {
        var name = (i18n.languages.filter(function (l) { return l.code === i18n.language; })[0] || {}).name;
        send('/change_language{"language":"' + i18n.language + '"}', name || i18n.language);
      }
    }).catch(function (error) { console.error("Orienta widget:", error); });
  }

  function setOpen(open, focus) {
    ui.panel.hidden = !open;
    ui.toggle.setAttribute("aria-expanded", String(open));
    ui.root.classList.toggle("ow-open", open);
    store("session", "open", open ? "1" : null);
    label();
    if (open) {
      scrollDown();
      if (focus) { ui.input.focus(); }
    } else if (focus) {
      ui.toggle.focus();
    }
  }

  function build() {
    var root = ui.root = el("div", "orienta-widget");
    var accent = safeColour(data.accent);
    var accentText = safeColour(data.accentText);
    if (accent) { root.style.setProperty("--ow-accent", accent); }
    if (accentText) { root.style.setProperty("--ow-accent-text", accentText); }

    var panel = ui.panel = el("section", "ow-panel");
    panel.id = "orienta-widget-panel";
    panel.hidden = true;
    var header = el("div", "ow-header");
    ui.title = el("h2", "ow-title");
    ui.title.id = "orienta-widget-title";
    panel.setAttribute("aria-labelledby", ui.title.id);
    ui.close = el("button", "ow-close", "\u00d7");
    ui.close.type = "button";
    ui.close.addEventListener("click", function () { setOpen(false, true); });
    header.appendChild(ui.title);
    header.appendChild(ui.close);

    var tools = el("div", "ow-tools");
    ui.languageLabel = el("label", "ow-language-label");
    ui.language = el("select", "ow-language");
    ui.language.id = "orienta-widget-language";
    ui.languageLabel.htmlFor = ui.language.id;
    ui.language.addEventListener("change", function () { setLanguage(ui.language.value, true); });
    ui.restart = el("button", "ow-restart");
    ui.restart.type = "button";
    ui.restart.addEventListener("click", newConversation);
    tools.appendChild(ui.languageLabel);
    tools.appendChild(ui.language);
    tools.appendChild(ui.restart);

    ui.status = el("p", "ow-status");
    ui.status.setAttribute("role", "status");
    ui.log = el("ol", "ow-log");
    ui.log.setAttribute("role", "log");
    ui.log.setAttribute("aria-live", "polite");
    ui.log.tabIndex = 0;  // a scrollable region must be reachable by keyboard
    ui.typing = el("p", "ow-typing");
    ui.typing.setAttribute("aria-hidden", "true");
    ui.typing.hidden = true;

    var form = el("form", "ow-form");
    ui.inputLabel = el("label", "ow-sr");
    ui.input = el("input", "ow-input");
    ui.input.type = "text";
    ui.input.id = "orienta-widget-input";
    ui.input.autocomplete = "off";
    ui.input.maxLength = 1000;
    ui.inputLabel.htmlFor = ui.input.id;
    ui.sendButton = el("button", "ow-send");
    ui.sendButton.type = "submit";
    form.appendChild(ui.inputLabel);
    form.appendChild(ui.input);
    form.appendChild(ui.sendButton);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (send(ui.input.value)) { ui.input.value = ""; }
      ui.input.focus();
    });

    [header, tools, ui.status, ui.log, ui.typing, form].forEach(function (part) { panel.appendChild(part); });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { setOpen(false, true); }
    });

    ui.toggle = el("button", "ow-toggle");
    ui.toggle.type = "button";
    ui.toggle.setAttribute("aria-controls", panel.id);
    ui.toggle.setAttribute("aria-expanded", "false");
    ui.toggle.appendChild(el("span", "ow-toggle-icon")).setAttribute("aria-hidden", "true");
    ui.toggleText = ui.toggle.appendChild(el("span", "ow-toggle-text"));
    ui.toggle.addEventListener("click", function () { setOpen(ui.panel.hidden, true); });

    root.appendChild(panel);
    root.appendChild(ui.toggle);
    label();
    renderLog();
    document.body.appendChild(root);
    if (store("session", "open") === "1") { setOpen(true, false); }
  }

  function start() {
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = ASSETS + "orienta-widget.css";
    document.head.appendChild(css);
    var language = store("local", "language") || data.lang || document.documentElement.lang || "";
    var io = window.io ? Promise.resolve() : loadScript(ASSETS + "socket.io.min.js");
    Promise.all([loadStrings(language.toLowerCase()), io]).then(function (results) {
      i18n = results[0];
      history = readHistory();
      build();
      connect();
    }).catch(function (error) { console.error("Orienta widget:", error); });
  }

  // For diagnostics and the browser test: which socket.io transport is in use ("polling" or "websocket").
  window.OrientaWidget = {
    version: "0.1.0",
    transport: function () { return socket && socket.io.engine ? socket.io.engine.transport.name : null; }
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
