// Reload the page every N seconds while an element with data-autorefresh="N" is on it (a sampling run in
// progress). Not while the user is typing in a field, so nothing they entered is lost.
(function () {
  "use strict";
  const el = document.querySelector("[data-autorefresh]");
  if (!el) return;
  const seconds = Math.max(2, parseInt(el.dataset.autorefresh, 10) || 5);
  setInterval(function () {
    const active = document.activeElement;
    if (active && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) return;
    window.location.reload();
  }, seconds * 1000);
})();
