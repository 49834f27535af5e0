// Small enhancements only: every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // After a refused form, move focus to its list of problems so it is read out first.
  const summary = document.querySelector(".error-summary");
  if (summary instanceof HTMLElement) {
    summary.closest("details")?.setAttribute("open", "");
    summary.focus();
    return;
  }
  // Opening an action's form from a link (My items → "#action-pass") opens and focuses it.
  const target = window.location.hash && document.getElementById(window.location.hash.slice(1));
  if (target instanceof HTMLDetailsElement) {
    target.open = true;
    target.querySelector("input:not([type=hidden]), textarea, button")?.focus();
  }
});
