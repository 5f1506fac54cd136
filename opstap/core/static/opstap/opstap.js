/*
 * Opstap's only own script; every page works without it.
 *
 * 1. Confirm before a destructive submit: put data-confirm="Question?" on the <form> (or on
 *    the submit <button>). The text comes from the template, so it is translated there.
 *    For htmx requests use htmx's own hx-confirm instead.
 * 3. The language switcher returns to the page as it is now, including a search that htmx
 *    put into the address bar after the page loaded (the server only knows the path).
 * 2. A table container (.utrecht-table-container) that scrolls sideways (phones) becomes
 *    keyboard-focusable, as a region named after the table's caption, so keyboard users
 *    can scroll it too (WCAG 2.1.1; axe rule scrollable-region-focusable).
 * 5. A form that comes back with errors (a page, or a part htmx swapped in) puts keyboard
 *    focus on its first invalid field, so the eye and the screen reader land on the error
 *    rather than at the top of the page (WCAG 3.3.1).
 */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var back = form.querySelector("input[data-current-location]");
    if (back) {
      back.value = window.location.pathname + window.location.search;
    }
    var submitter = event.submitter;
    var question =
      (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  function markScrollableTables() {
    var boxes = document.querySelectorAll(".utrecht-table-container");
    Array.prototype.forEach.call(boxes, function (box) {
      if (box.hasAttribute("tabindex") || box.scrollWidth <= box.clientWidth + 1) {
        return;
      }
      box.setAttribute("tabindex", "0");
      var caption = box.querySelector("caption");
      var name = caption ? caption.textContent.trim() : "";
      if (name && !box.hasAttribute("role")) {
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", name);
      }
    });
  }

  function focusFirstError(root) {
    var invalid = (root || document).querySelector(
      "[aria-invalid='true'], .utrecht-form-fieldset--invalid input"
    );
    if (invalid && typeof invalid.focus === "function") {
      invalid.focus();
      if (invalid.scrollIntoView) { invalid.scrollIntoView({ block: "center" }); }
    }
  }

  var resizeTimer;
  document.addEventListener("DOMContentLoaded", function () {
    markScrollableTables();
    focusFirstError(document.querySelector("main"));
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    focusFirstError(event.detail && event.detail.elt);
  });
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(function () {
      markScrollableTables();
    }, 200);
  });
  document.addEventListener("htmx:afterSettle", markScrollableTables);

  // 4. Route board: drag a card onto another column. It posts the same form as the card's
  //    "Move to" buttons (one service), so keyboard and screen-reader users lose nothing.
  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".opstap-board__card[data-move-url]");
    if (!card) { return; }
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-move-url"));
  });
  document.addEventListener("dragover", function (event) {
    var column = event.target.closest && event.target.closest(".opstap-board__column");
    if (!dragged || !column) { return; }
    var moves = (dragged.getAttribute("data-moves") || "").split(" ");
    if (moves.indexOf(column.getAttribute("data-phase")) !== -1) {
      event.preventDefault();
      column.classList.add("is-drop-target");
    }
  });
  document.addEventListener("dragleave", function (event) {
    var column = event.target.closest && event.target.closest(".opstap-board__column");
    if (column) { column.classList.remove("is-drop-target"); }
  });
  document.addEventListener("drop", function (event) {
    var column = event.target.closest && event.target.closest(".opstap-board__column");
    if (!dragged || !column || !window.htmx) { return; }
    event.preventDefault();
    column.classList.remove("is-drop-target");
    var board = document.getElementById("board");
    window.htmx.ajax("POST", dragged.getAttribute("data-move-url"), {
      source: dragged,
      target: "#board",
      swap: "outerHTML",
      values: { to_phase: column.getAttribute("data-phase"), on: board.getAttribute("data-today"), from: "board" }
    });
    dragged = null;
  });
})();
