/* Wide tables scroll sideways inside .table-wrap on narrow screens (375 px). A region that
   scrolls must be reachable by keyboard (WCAG 2.1.1; axe rule scrollable-region-focusable):
   while it overflows, the wrapper is a named, focusable region (arrow keys scroll it); when it
   fits, it is a plain box again, so wide screens get no extra tab stop. Runs on load, on
   resize and after htmx swaps in a fresh table. */
(function () {
  "use strict";

  function nameOf(wrap) {
    var table = wrap.querySelector("table");
    var caption = table && table.caption ? table.caption.textContent.trim() : "";
    if (caption) return caption;
    var heading = wrap.closest("section, .card, main");
    heading = heading && heading.querySelector("h1, h2, h3");
    return (heading ? heading.textContent.trim() + ": " : "") + "table, scrolls sideways";
  }

  function update() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        if (!wrap.hasAttribute("tabindex")) {
          wrap.setAttribute("tabindex", "0");
          wrap.setAttribute("role", "region");
          wrap.setAttribute("aria-label", nameOf(wrap));
          wrap.dataset.scrollRegion = "on";
        }
      } else if (wrap.dataset.scrollRegion === "on") {
        ["tabindex", "role", "aria-label", "data-scroll-region"].forEach(function (a) { wrap.removeAttribute(a); });
      }
    });
  }

  var pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; update(); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", update);
  else update();
  window.addEventListener("load", schedule);  // web fonts and images can widen a table
  window.addEventListener("resize", schedule);
  document.addEventListener("htmx:afterSettle", schedule);
})();
