import { $, clear } from './dom.js';

// One modal <dialog>: the browser traps focus in it, Esc closes it, and focus returns to the opener.

let opener = null;

export function openDialog(title, ...content) {
  const d = $('#dialog');
  opener = document.activeElement;
  $('#dialog-title').textContent = title;
  clear($('#dialog-body'), ...content);
  if (!d.open) d.showModal();
  $('#dialog-close').focus();
}

export function initDialog() {
  const d = $('#dialog');
  $('#dialog-close').addEventListener('click', () => d.close());
  d.addEventListener('close', () => {
    clear($('#dialog-body'));
    if (opener && document.contains(opener)) opener.focus();
    opener = null;
  });
  d.addEventListener('click', (e) => {
    if (e.target === d) d.close(); // a click on the backdrop
  });
}
