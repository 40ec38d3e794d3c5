// Queue page: a "select all" box for the bulk action. Without this script each row's box
// still works on its own.
(function () {
  "use strict";
  var all = document.getElementById("pick-all");
  if (!all) return;
  all.addEventListener("change", function () {
    document.querySelectorAll("input[name=pick]").forEach(function (box) {
      box.checked = all.checked;
    });
  });
}());
