// Document viewer of the application page: opens a photo in the page, zoom, rotate, download.
// Progressive enhancement: without this script each thumbnail is a plain link to the file.
(function () {
  "use strict";
  var viewer = document.getElementById("viewer");
  if (!viewer) return;
  var img = viewer.querySelector(".stage img");
  var name = viewer.querySelector(".name");
  var download = viewer.querySelector("[data-act=download]");
  var scale = 1, turn = 0;

  function draw() {
    img.style.transform = "scale(" + scale + ") rotate(" + turn + "deg)";
  }
  function fit() {
    var stage = viewer.querySelector(".stage");
    var w = img.naturalWidth || 1, h = img.naturalHeight || 1;
    if (turn % 180 !== 0) { var t = w; w = h; h = t; }
    scale = Math.min(1, (stage.clientWidth - 20) / w, (stage.clientHeight - 20) / h);
    draw();
  }
  function open(src, label) {
    turn = 0; scale = 1;
    img.onload = fit;
    img.src = src;
    img.alt = label;
    name.textContent = label;
    download.href = src;
    viewer.classList.add("open");
    viewer.querySelector("[data-act=close]").focus();
  }
  function close() { viewer.classList.remove("open"); img.removeAttribute("src"); }

  document.querySelectorAll("a.view").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      open(link.dataset.src, link.dataset.name || "");
    });
  });
  viewer.addEventListener("click", function (event) {
    var act = event.target.closest("[data-act]");
    if (!act) { if (event.target === viewer) close(); return; }
    var what = act.dataset.act;
    if (what === "in") { scale = Math.min(scale * 1.25, 8); draw(); }
    else if (what === "out") { scale = Math.max(scale / 1.25, 0.1); draw(); }
    else if (what === "rotate") { turn = (turn + 90) % 360; fit(); }
    else if (what === "fit") { fit(); }
    else if (what === "close") { close(); }
  });
  document.addEventListener("keydown", function (event) {
    if (!viewer.classList.contains("open")) return;
    if (event.key === "Escape") close();
    else if (event.key === "+" || event.key === "=") { scale = Math.min(scale * 1.25, 8); draw(); }
    else if (event.key === "-") { scale = Math.max(scale / 1.25, 0.1); draw(); }
    else if (event.key === "r") { turn = (turn + 90) % 360; fit(); }
  });
}());
