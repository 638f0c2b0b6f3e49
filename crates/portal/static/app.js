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
(function () {
  var form = document.getElementById("chat-form");
  if (!form || !window.fetch || !window.TextDecoder) return;
  var log = document.getElementById("chat-log");
  var history = document.getElementById("history");
  var message = document.getElementById("message");
  var send = document.getElementById("send");
  var reset = document.getElementById("new-chat");
  var conversation = document.getElementById("conversation");
  var KEY = "ki-reise-chat";
  var turns = [];
  try { turns = JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { turns = []; }
  if (history.value) { try { turns = JSON.parse(history.value); } catch (e) { /* keep stored */ } }
  else { try { conversation.value = localStorage.getItem(KEY + "-gespraech") || ""; } catch (e) { /* private mode */ } }

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
  function copyButton(target, getText) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "secondary copy";
    b.textContent = "Antwort kopieren";
    b.addEventListener("click", function () {
      if (navigator.clipboard) navigator.clipboard.writeText(getText());
      b.textContent = "Kopiert";
    });
    target.parentNode.appendChild(b);
  }
  function save() {
    history.value = JSON.stringify(turns);
    try {
      localStorage.setItem(KEY, history.value);
      localStorage.setItem(KEY + "-gespraech", conversation.value);
    } catch (e) { /* private mode */ }
    reset.hidden = turns.length === 0;
  }
  // Earlier turns from this browser: shown as plain text (no HTML from storage).
  if (log.children.length === 0) {
    turns.forEach(function (t) {
      item("user", "Sie:").textContent = t.q;
      var a = item("ai", "KI:");
      a.textContent = t.a;
      copyButton(a, function () { return t.a; });
    });
  }
  save();
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

  form.addEventListener("submit", function (event) {
    var text = message.value.trim();
    if (!text) return;
    event.preventDefault();
    send.disabled = true;
    item("user", "Sie:").textContent = text;
    var answer = item("ai", "KI:");
    answer.textContent = "…";
    var raw = "";
    var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
    var body = new URLSearchParams(new FormData(form));
    fetch("/assistent/stream", {
      method: "POST",
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString(),
    }).then(function (response) {
      if (!response.ok) {
        return response.json().then(function (e) { throw new Error(e.error && e.error.message || response.statusText); });
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
            if (msg.text) { raw += msg.text; answer.textContent = raw; }
            if (msg.error) { throw new Error(msg.error); }
            if (msg.done) {
              // Sanitised on the server (ammonia) before it is inserted.
              answer.innerHTML = msg.html;
              copyButton(answer, function () { return raw; });
              turns.push({ q: text, a: raw });
              if (msg.conversation) conversation.value = msg.conversation;
              save();
              message.value = "";
            }
          });
          return pump();
        });
      }
      return pump();
    }).catch(function (e) {
      answer.textContent = "Fehler: " + e.message;
    }).then(function () { send.disabled = false; message.focus(); });
  });
})();
