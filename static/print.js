/* Printable reports: show the Print buttons (hidden without JavaScript) and
 * open the browser's print dialog when one is pressed. No inline script: the
 * Content-Security-Policy forbids it. */
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var buttons = document.querySelectorAll(".print-button");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener("click", function () { window.print(); });
  }
});
