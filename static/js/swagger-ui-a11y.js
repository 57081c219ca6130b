/* Swagger UI on /api/docs/ (templates/drf_spectacular/swagger_ui.html): what its own markup
   lacks, added as it draws (it redraws whenever an operation opens, runs or closes).
   - A parameter's choice list (an enum: a <select>) has no label (WCAG 4.1.2; axe select-name):
     named after its parameter, "format (query)".
   - A code block wider or taller than its box scrolls, and must be reachable by keyboard
     (WCAG 2.1.1; axe scrollable-region-focusable): while it overflows it is a named, focusable
     region, as static/js/scroll-regions.js does for our tables.
   - Each "copy to clipboard" control is a <div aria-label="Copy ..."> around a <button> that has
     the same aria-label: a plain div may not carry aria-label (axe aria-prohibited-attr, serious),
     and the button inside already gives the control its name, so the div's is removed. */
(function () {
  "use strict";

  function nameParameters(root) {
    root.querySelectorAll("tr[data-param-name] select, tr[data-param-name] input, tr[data-param-name] textarea")
      .forEach(function (field) {
        if (field.labels && field.labels.length) return;
        if (field.hasAttribute("aria-label") || field.type === "hidden" || field.type === "file") return;
        var row = field.closest("tr[data-param-name]");
        var where = row.getAttribute("data-param-in");
        field.setAttribute("aria-label", row.getAttribute("data-param-name") + (where ? " (" + where + ")" : ""));
      });
  }

  function focusableScrolling(root) {
    root.querySelectorAll("pre, .curl").forEach(function (box) {
      var overflows = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
      if (overflows && !box.hasAttribute("tabindex")) {
        var curl = box.closest(".curl-command") || box.classList.contains("curl");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", (curl ? "curl command" : "Code") + ", scrolls");
        box.dataset.scrollRegion = "on";
      } else if (!overflows && box.dataset.scrollRegion === "on") {
        ["tabindex", "role", "aria-label", "data-scroll-region"].forEach(function (a) { box.removeAttribute(a); });
      }
    });
  }

  function unnameWrappers(root) {
    root.querySelectorAll("div.copy-to-clipboard[aria-label]:not([role])").forEach(function (box) {
      var button = box.querySelector("button[aria-label]");
      if (button) box.removeAttribute("aria-label");
    });
  }

  var root = document.getElementById("swagger-ui");
  var pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () {
      pending = false;
      nameParameters(root);
      focusableScrolling(root);
      unnameWrappers(root);
    });
  }

  new MutationObserver(schedule).observe(root, { childList: true, subtree: true });
  window.addEventListener("resize", schedule);
  schedule();
})();
