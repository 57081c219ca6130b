// JobCannon customer console: copy buttons. No dependencies; failures are shown, never thrown.
(function () {
  "use strict";

  function announce(button, text) {
    var original = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", original);
    button.textContent = text;
    window.setTimeout(function () { button.textContent = original; }, 2000);
  }

  function selectText(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function fallbackCopy(node) {
    selectText(node);
    try {
      return document.execCommand("copy");
    } catch (e) {
      return false;
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) { return; }
    var target = button.getAttribute("data-copy");
    var node = target ? document.querySelector(target) : button.previousElementSibling;
    if (!node) { return; }
    var text = node.textContent.trim();
    var done = function () { announce(button, "Copied"); };
    var manual = function () {
      if (fallbackCopy(node)) { done(); } else { selectText(node); announce(button, "Press Ctrl+C"); }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, manual);
    } else {
      manual();
    }
  });
})();
