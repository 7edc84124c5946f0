// The plan builder's live preview: as the days, time, window, cron spec or
// time zone change, ask the server for the next calls the scheduler would
// place, and show them. Without this script the form's "preview" button does
// the same by a round trip.
(function () {
  "use strict";
  var form = document.getElementById("enrol-form");
  var out = document.getElementById("preview");
  if (!form || !out) {
    return;
  }
  var fields = ["plan.days", "plan.time", "plan.window", "plan.cron", "plan.paused_until", "person.time_zone"];
  var timer = null;
  var asked = 0;

  function query() {
    var data = new FormData(form);
    var params = new URLSearchParams();
    fields.forEach(function (name) {
      data.getAll(name).forEach(function (v) { params.append(name, v); });
    });
    return params.toString();
  }

  function line(tag, text, cls) {
    var el = document.createElement(tag);
    el.textContent = text;
    if (cls) {
      el.className = cls;
    }
    return el;
  }

  function show(p) {
    out.replaceChildren();
    p.problems.forEach(function (t) { out.appendChild(line("p", t, "problem")); });
    p.warnings.forEach(function (t) { out.appendChild(line("p", t, "warning")); });
    if (!p.head) {
      if (p.problems.length === 0) {
        out.appendChild(line("p", out.dataset.empty));
      }
      return;
    }
    var head = line("p", p.head + " — ");
    head.appendChild(line("code", p.cron));
    out.appendChild(head);
    var list = document.createElement("ol");
    p.slots.forEach(function (s) {
      var li = line("li", " — " + s.text, "slot-" + s.status);
      li.prepend(line("time", s.when));
      list.appendChild(li);
    });
    out.appendChild(list);
  }

  function refresh() {
    var mine = ++asked;
    fetch("/plan/preview?" + query(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (p) {
        if (p && mine === asked) { // only the latest answer counts
          show(p);
        }
      })
      .catch(function () {}); // the preview button still works
  }

  form.addEventListener("input", function (e) {
    if (fields.indexOf(e.target.name) < 0) {
      return;
    }
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
  refresh();
})();
