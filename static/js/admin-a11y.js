/* Accessibility fixes for markup the Django admin's own scripts build (loaded by
   templates/admin/base_site.html).

   SelectFilter2.js (the two-list picker of "filter_horizontal" fields: a group's or a user's
   permissions) puts aria-label on a <span> icon inside the search box's <label>. A plain span
   may not carry aria-label (axe aria-prohibited-attr), so the name is lost; as role="img" it
   is allowed and names the search box. The picker is built on window load, so watch for it. */
(function () {
  "use strict";

  function fix(root) {
    root.querySelectorAll("span.search-label-icon[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }

  fix(document);
  new MutationObserver(function (mutations) {
    mutations.forEach(function (m) {
      m.addedNodes.forEach(function (node) {
        if (node.nodeType === 1) fix(node.parentNode || node);
      });
    });
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
