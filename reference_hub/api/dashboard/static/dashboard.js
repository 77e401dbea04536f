// Progressive enhancement only: every page works without it.
"use strict";
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const text = source.textContent.trim();
  const done = () => { button.textContent = "Copied"; setTimeout(() => { button.textContent = "Copy"; }, 2000); };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => select(source));
  } else {
    select(source);
    try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected for a manual copy */ }
  }
});
function select(node) {
  const range = document.createRange();
  range.selectNodeContents(node);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}
document.addEventListener("submit", (event) => {
  const button = event.submitter || event.target.querySelector("button[data-confirm]");
  const question = button && button.dataset ? button.dataset.confirm : null;
  if (question && !window.confirm(question)) event.preventDefault();
});
