// Save-as-you-go for the candidate page. Without JavaScript the page still works: the
// Next / Previous buttons post the whole page. With it, each answer is saved the moment it
// is chosen (POST JSON to data-save-url), so closing the tab loses nothing.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form) return;
  var url = form.getAttribute("data-save-url");
  var pending = new Set();
  var statusEl = form.querySelector("[data-save-status]");
  var bar = document.querySelector("[data-progress]");
  var barFill = bar ? bar.querySelector(".progress-bar") : null;
  var barText = document.querySelector("[data-progress-text]");

  function setStatus(text) { if (statusEl) statusEl.textContent = text; }

  function updateProgress(answered, total) {
    if (!bar) return;
    bar.setAttribute("aria-valuenow", String(answered));
    bar.setAttribute("aria-valuetext", answered + " of " + total + " answered");
    if (barFill) barFill.style.width = Math.round(answered * 100 / total) + "%";
    if (barText) barText.textContent = answered + " of " + total + " answered";
  }

  // Saves go out one after another: two in flight could land out of order and keep the older answer.
  var lastSave = Promise.resolve();

  function save(input) {
    var fieldset = input.closest("fieldset");
    var itemStatus = fieldset ? fieldset.querySelector("[data-status]") : null;
    setStatus("Saving…");
    var request = lastSave.then(function () { return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ item_id: fieldset.getAttribute("data-item"), value: parseInt(input.value, 10) }),
      credentials: "same-origin"
    }); }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.ok) {
          if (itemStatus) itemStatus.textContent = "";
          fieldset.classList.remove("has-error");
          fieldset.removeAttribute("aria-invalid");
          updateProgress(body.answered, body.total);
          setStatus("All answers saved.");
        } else {
          var message = (body.error && body.error.message) || "Your answer could not be saved.";
          if (itemStatus) itemStatus.textContent = message;
          setStatus(message);
          if (response.status === 409 || response.status === 404) window.location.reload();
        }
      });
    }).catch(function () {
      // Offline: the answer is still in the form and is saved by the Next button.
      setStatus("Could not reach the server. Your answer will be saved when you continue.");
    });
    lastSave = request;
    pending.add(request);
    request.finally(function () { pending.delete(request); });
    return request;
  }

  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input && input.type === "radio") save(input);
  });

  // Let in-flight autosaves finish before the page form posts, so both never race.
  form.addEventListener("submit", function (event) {
    if (!pending.size) return;
    event.preventDefault();
    var submitter = event.submitter;
    Promise.allSettled(Array.from(pending)).then(function () {
      if (submitter && form.requestSubmit) form.requestSubmit(submitter); else form.submit();
    });
  });

  var errorBox = document.getElementById("page-error");
  if (errorBox) errorBox.focus();
})();
