// Conveniences only: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // The transcript's times become buttons that play the episode from there.
  const player = document.getElementById("player");
  if (player) {
    document.querySelectorAll("span.cue").forEach((time) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "cue";
      button.textContent = time.textContent;
      button.setAttribute("aria-label", "Play from " + time.textContent);
      button.addEventListener("click", () => {
        player.currentTime = parseFloat(time.dataset.start);
        player.play();
      });
      time.replaceWith(button);
    });
  }
  // A refused form: take keyboard and screen-reader users straight to what went wrong.
  const problems = document.getElementById("problems");
  if (problems) problems.focus();
});
