// Catalog page: load a chosen JSON file into the textarea (the form works without this).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const file = document.getElementById("catalog-file");
  const text = document.getElementById("catalog-text");
  if (!file || !text) return;
  file.addEventListener("change", () => {
    const chosen = file.files && file.files[0];
    if (!chosen) return;
    chosen.text().then((content) => { text.value = content; });
  });
});
