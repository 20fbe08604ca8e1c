// Apply the saved theme before first paint (no flash, no layout jump). A file, not an inline script: the
// Content-Security-Policy allows scripts from this origin only.
(function () {
  try {
    var t = localStorage.getItem("mt.theme");
    if (t !== "light" && t !== "dark") t = matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
    document.documentElement.dataset.theme = t;
  } catch (e) {}
})();
