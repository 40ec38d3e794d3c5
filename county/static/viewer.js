// Document viewer of the application page: opens a photo in the page, zoom, rotate, download.
// Progressive enhancement: without this script each thumbnail is a plain link to the file.
// A document still uploading shows its preview (when it came first) with how much of the full
// page is here; the page asks /app/NO/documents every few seconds and swaps in the full page
// once it is complete (without the script: reload the page).
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

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.view");
    if (!link) return;
    event.preventDefault();
    open(link.dataset.src, link.dataset.name || "");
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

  var docs = document.querySelector(".docs[data-progress]");
  var every = 3000;

  function figure(sha) {
    return document.querySelector("figure.pending[data-doc='" + sha + "']");
  }
  function thumb(fig, src, name) {
    var link = document.createElement("a");
    link.href = src; link.target = "_blank"; link.className = "view";
    link.dataset.src = src; link.dataset.name = name;
    var pic = document.createElement("img");
    pic.src = src; pic.alt = name;
    link.appendChild(pic);
    var old = fig.querySelector("a.view, .file");
    if (old) fig.replaceChild(link, old); else fig.insertBefore(link, fig.firstChild);
  }
  function complete(fig) {
    var url = fig.dataset.full, name = fig.dataset.name;
    if (fig.dataset.image === "1") thumb(fig, url, name);
    else {
      var file = document.createElement("a");
      file.href = url; file.target = "_blank"; file.className = "file"; file.textContent = "文件 file";
      fig.replaceChild(file, fig.querySelector("a.view, .file"));
    }
    var caption = fig.querySelector("figcaption");
    caption.textContent = name + " · ";
    var down = document.createElement("a");
    down.href = url; down.setAttribute("download", ""); down.textContent = "下载 download";
    caption.appendChild(down);
    fig.classList.remove("pending");
    fig.removeAttribute("data-doc");
  }
  function previewLabel(fig) {
    var label = fig.querySelector(".upload");
    label.className = "upload preview";
    label.innerHTML = "";
    label.appendChild(document.createTextNode("预览图，完整图片上传中 "));
    var b = document.createElement("b"); b.className = "pct"; label.appendChild(b);
    label.appendChild(document.createTextNode("% "));
    var en = document.createElement("small");
    en.appendChild(document.createTextNode("Preview — full image still uploading, "));
    var b2 = document.createElement("b"); b2.className = "pct"; en.appendChild(b2);
    en.appendChild(document.createTextNode("%"));
    label.appendChild(en);
  }
  function update(states) {
    states.forEach(function (st) {
      var fig = figure(st.sha256);
      if (!fig) return;
      if (st.complete) { complete(fig); return; }
      if (st.preview && fig.dataset.image === "1" && !fig.querySelector("img")) {
        thumb(fig, "/v1/staff/blobs/" + st.preview, fig.dataset.name + " · 预览 preview");
        previewLabel(fig);
      }
      fig.querySelectorAll(".pct").forEach(function (b) { b.textContent = String(st.percent); });
    });
  }
  function poll() {
    if (!document.querySelector("figure.pending[data-doc]")) return;
    fetch(docs.dataset.progress, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body) update(body.documents); })
      .catch(function () { /* the link to the hub dropped: ask again later */ })
      .then(function () { window.setTimeout(poll, every); });
  }
  if (docs && document.querySelector("figure.pending[data-doc]")) window.setTimeout(poll, every);
}());
