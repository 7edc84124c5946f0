// The listener's list tells them, without reloading under their hands, that it
// has changed: it asks every few seconds (data-poll, 10 s by default) and
// shows a link to the new list.
(function () {
  "use strict";
  var list = document.getElementById("list");
  var news = document.getElementById("list-news");
  if (!list || !news) { return; }
  var seen = list.getAttribute("data-version");
  function ask() {
    fetch("/list/version", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (v) {
        if (v && v.version !== seen) { news.hidden = false; }
      })
      .catch(function () {});
  }
  setInterval(ask, Number(list.getAttribute("data-poll")) || 10000);
})();
