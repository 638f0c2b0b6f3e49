// Progressive enhancement only: every form works without this file.
// htmx requests carry the CSRF token from the page's meta tag.
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
  }
});

// KI-Assistent: stream the answer instead of reloading the page, and keep
// the conversation in this browser (localStorage); the server keeps it only
// where an administrator has turned that on (then it names the conversation).
// While an answer streams it can be stopped (the part so far is kept and
// marked); the last answer can be made anew and the last question edited;
// the conversation can be saved as Markdown or JSON.
(function () {
  var form = document.getElementById("chat-form");
  if (!form || !window.fetch || !window.TextDecoder || !window.AbortController) return;
  var box = document.getElementById("chat-box");
  var log = document.getElementById("chat-log");
  var history = document.getElementById("history");
  var message = document.getElementById("message");
  var send = document.getElementById("send");
  var stop = document.getElementById("stop");
  var reset = document.getElementById("new-chat");
  var exportMd = document.getElementById("export-md");
  var exportJson = document.getElementById("export-json");
  var model = document.getElementById("model");
  var conversation = document.getElementById("conversation");
  var KEY = "ki-reise-chat";
  var turns = [];
  var controller = null;
  try { turns = JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { turns = []; }
  if (history.value) { try { turns = JSON.parse(history.value); } catch (e) { /* keep stored */ } }
  else { try { conversation.value = localStorage.getItem(KEY + "-gespraech") || ""; } catch (e) { /* private mode */ } }

  function nearEnd() { return box.scrollHeight - box.scrollTop - box.clientHeight < 48; }
  function toEnd() { box.scrollTop = box.scrollHeight; }
  function item(cls, who) {
    var li = document.createElement("li");
    li.className = "msg " + cls;
    var w = document.createElement("span");
    w.className = "who";
    w.textContent = who;
    li.appendChild(w);
    li.appendChild(document.createTextNode(" "));
    var text = document.createElement("div");
    text.className = "text doc-text";
    li.appendChild(text);
    log.appendChild(li);
    return text;
  }
  function tools(li) {
    var t = li.querySelector(".tools");
    if (!t) { t = document.createElement("div"); t.className = "tools"; li.appendChild(t); }
    return t;
  }
  function button(li, label, cls, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "secondary " + cls;
    b.textContent = label;
    b.addEventListener("click", onClick);
    tools(li).appendChild(b);
    return b;
  }
  function copyButton(li, getText) {
    var b = button(li, "Antwort kopieren", "copy", function () {
      if (navigator.clipboard) navigator.clipboard.writeText(getText());
      b.textContent = "Kopiert";
    });
  }
  function save() {
    history.value = JSON.stringify(turns);
    try {
      localStorage.setItem(KEY, history.value);
      localStorage.setItem(KEY + "-gespraech", conversation.value);
    } catch (e) { /* private mode */ }
    reset.hidden = exportMd.hidden = exportJson.hidden = turns.length === 0;
  }
  function markStopped(li) {
    li.classList.add("stopped");
    var note = document.createElement("p");
    note.className = "stop-note";
    note.textContent = "Angehalten: Die Antwort ist unvollständig.";
    li.insertBefore(note, li.querySelector(".tools"));
  }
  // The log's items of turn i: the question and the answer.
  function turnItems(i) { return log.querySelectorAll('li[data-turn="' + i + '"]'); }
  // "Neu erzeugen" on the last answer, "Bearbeiten" on the last question.
  function decorate() {
    log.querySelectorAll("button.turn-action").forEach(function (b) { b.remove(); });
    log.querySelectorAll(".tools:empty").forEach(function (t) { t.remove(); });
    var last = turns.length - 1;
    if (last < 0 || controller) return;
    var items = turnItems(last);
    if (items.length !== 2) return;
    button(items[0], "Bearbeiten", "turn-action edit", function () {
      var t = turns.pop();
      turnItems(last).forEach(function (li) { li.remove(); });
      save();
      decorate();
      message.value = t.q;
      message.focus();
    });
    button(items[1], "Neu erzeugen", "turn-action regenerate", function () {
      var t = turns.pop();
      turnItems(last).forEach(function (li) { li.remove(); });
      save();
      ask(t.q);
    });
  }
  // Earlier turns from this browser: shown as plain text (no HTML from storage);
  // turns the server rendered (no-JS history, a stored conversation) stay.
  if (log.children.length === 0) {
    turns.forEach(function (t) {
      item("user", "Sie:").textContent = t.q;
      var a = item("ai", "KI:");
      a.textContent = t.a;
      if (t.stopped) markStopped(a.parentNode);
    });
  }
  Array.prototype.forEach.call(log.children, function (li, n) {
    var i = Math.floor(n / 2);
    li.setAttribute("data-turn", String(i));
    if (li.classList.contains("ai") && turns[i]) copyButton(li, function () { return turns[i].a; });
  });
  save();
  decorate();
  toEnd();
  // An assistant's data class is preselected when it is stricter than the
  // chosen one (the classes are listed from least to most protected); the
  // server applies the stricter one anyway.
  var assistant = document.getElementById("assistant");
  var dataClass = document.getElementById("class");
  assistant.addEventListener("change", function () {
    var wanted = assistant.options[assistant.selectedIndex].getAttribute("data-class");
    if (!wanted) return;
    for (var i = 0; i < dataClass.options.length; i++) {
      if (dataClass.options[i].value === wanted && i > dataClass.selectedIndex) dataClass.selectedIndex = i;
    }
  });
  reset.addEventListener("click", function () {
    turns = [];
    log.textContent = "";
    conversation.value = "";
    save();
  });
  stop.addEventListener("click", function () { if (controller) controller.abort(); });

  function download(name, type, text) {
    var url = URL.createObjectURL(new Blob([text], { type: type }));
    var a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }
  function fileName(ext) { return "gespraech-" + new Date().toISOString().slice(0, 10) + "." + ext; }
  exportMd.addEventListener("click", function () {
    var md = "# Gespräch mit dem KI-Assistenten\n\n" +
      "Die Antworten hat ein KI-System erzeugt; prüfen Sie sie, bevor Sie sie verwenden.\n";
    turns.forEach(function (t) {
      md += "\n## Frage\n\n" + t.q.trim() + "\n\n## Antwort (KI)\n\n" + t.a.trim() + "\n";
      if (t.stopped) md += "\n_(Antwort angehalten, unvollständig)_\n";
    });
    download(fileName("md"), "text/markdown;charset=utf-8", md);
  });
  exportJson.addEventListener("click", function () {
    var data = { turns: turns.map(function (t) { return { question: t.q, answer: t.a, stopped: !!t.stopped }; }) };
    download(fileName("json"), "application/json", JSON.stringify(data, null, 2));
  });

  function failed(e) {
    var err = new Error(e.error && e.error.message || "Anfrage abgelehnt");
    err.code = e.error && e.error.code;
    err.local = e.error && e.error.local_model;
    return err;
  }
  // Sends `text` with the turns so far; the answer streams into the log.
  function ask(text) {
    log.querySelectorAll("li.failed").forEach(function (li) { li.remove(); });
    var turn = turns.length;
    var q = item("user", "Sie:");
    q.textContent = text;
    var answer = item("ai", "KI:");
    answer.textContent = "…";
    toEnd();
    var raw = "";
    var done = false;
    controller = new AbortController();
    decorate();
    send.disabled = true;
    stop.hidden = false;
    var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
    var body = new URLSearchParams(new FormData(form));
    body.set("message", text);
    body.set("history", JSON.stringify(turns.map(function (t) { return { q: t.q, a: t.a }; })));
    function keep(stopped) {
      var t = { q: text, a: raw };
      if (stopped) t.stopped = true;
      turns.push(t);
      q.parentNode.setAttribute("data-turn", String(turn));
      answer.parentNode.setAttribute("data-turn", String(turn));
      copyButton(answer.parentNode, function () { return t.a; });
      save();
    }
    fetch("/assistent/stream", {
      method: "POST",
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString(),
      signal: controller.signal,
    }).then(function (response) {
      if (!response.ok) {
        return response.json().then(function (e) { throw failed(e); });
      }
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) return;
          buffer += decoder.decode(chunk.value, { stream: true });
          var events = buffer.split("\n\n");
          buffer = events.pop();
          events.forEach(function (e) {
            var data = e.split("\n").filter(function (l) { return l.indexOf("data:") === 0; })
              .map(function (l) { return l.slice(5).trim(); }).join("");
            if (!data) return;
            var msg = JSON.parse(data);
            var follow = nearEnd();
            // What the personal-data check found and where the message
            // went because of it, shown under the question.
            if (msg.notice) {
              var note = document.createElement("p");
              note.className = "notice pending pii-notice";
              note.setAttribute("role", "status");
              note.textContent = msg.notice;
              q.parentNode.appendChild(note);
            }
            if (msg.text) { raw += msg.text; answer.textContent = raw; }
            if (msg.error) { throw new Error(msg.error); }
            if (msg.done) {
              done = true;
              // Sanitised on the server (ammonia) before it is inserted.
              answer.innerHTML = msg.html;
              if (msg.conversation) conversation.value = msg.conversation;
              keep(false);
            }
            if (follow) toEnd();
          });
          return pump();
        });
      }
      return pump();
    }).catch(function (e) {
      if (e.name === "AbortError") {
        answer.textContent = raw;
        keep(true);
        markStopped(answer.parentNode);
        return;
      }
      if (done) return;
      q.parentNode.classList.add("failed");
      answer.parentNode.classList.add("failed");
      answer.textContent = "Fehler: " + e.message;
      if (!message.value) message.value = text;
      // A refusal by data class names a local model that may take the
      // message: offer to send it there.
      if (e.code === "policy_violation" && e.local && e.local.id) {
        var local = e.local;
        button(answer.parentNode, "Lokal senden", "local-send", function () {
          for (var i = 0; i < model.options.length; i++) {
            if (model.options[i].value === local.id) model.selectedIndex = i;
          }
          message.value = "";
          ask(text);
        }).setAttribute("aria-label", "Lokal senden an " + local.label);
      }
    }).then(function () {
      controller = null;
      send.disabled = false;
      stop.hidden = true;
      decorate();
      toEnd();
      message.focus();
    });
  }

  form.addEventListener("submit", function (event) {
    var text = message.value.trim();
    if (!text || controller) { if (text) event.preventDefault(); return; }
    event.preventDefault();
    message.value = "";
    ask(text);
  });
})();
