// The plan builder's conveniences; the form reads the same without them.
// Choosing "Monday to Friday" or "every day" ticks those days, ticking a day
// chooses "certain days"; choosing "another time zone" in the list opens the
// field to type it, choosing a place empties that field.
(function () {
  "use strict";
  var plan = document.getElementById("plan");
  if (plan) {
    var ticks = { weekdays: ["MON", "TUE", "WED", "THU", "FRI"], every_day: ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"] };
    plan.addEventListener("change", function (e) {
      var el = e.target;
      if (el.name === "plan.repeat" && ticks[el.value]) {
        plan.querySelectorAll('input[name="plan.days"]').forEach(function (box) {
          box.checked = ticks[el.value].indexOf(box.value) >= 0;
        });
      } else if (el.name === "plan.days") {
        var days = plan.querySelector('input[name="plan.repeat"][value="days"]');
        if (days) { days.checked = true; }
      }
    });
  }
  var zone = document.getElementById("person.time_zone");
  var other = document.getElementById("person.time_zone_other");
  var box = document.getElementById("other-zone");
  if (zone && other && box) {
    zone.addEventListener("change", function () {
      if (zone.value === "other") {
        box.open = true;
        other.focus();
      } else {
        other.value = "";
        box.open = false;
      }
    });
  }
})();
