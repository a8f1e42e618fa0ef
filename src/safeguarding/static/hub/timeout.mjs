// The GOV.UK timeout warning: a few minutes before the session ends for want of activity, a modal
// dialog offers "Stay signed in" (a request that renews the session) or "Sign out"; when the time
// is up the page asks for itself again and the hub, whose session has ended, sends it to sign-in,
// which says why and leads back. Another tab's request counts as activity (the tabs share the time
// of the latest in localStorage). The absolute lifetime cannot be extended: near it the dialog only
// warns (its end is read against this device's clock; if that is wrong the hub still decides, and
// the page does not ask again). Without script the dialog never shows and nothing changes.
const dialog = document.getElementById('hub-timeout');

if (dialog && typeof dialog.showModal === 'function') {
  const idleMs = Number(dialog.dataset.idleSeconds) * 1000;
  const warnMs = Number(dialog.dataset.warnSeconds) * 1000;
  const KEY = 'hub-session-last-request';
  const ASKED = 'hub-session-ended-asked';
  let absoluteEnd = Number(dialog.dataset.absoluteEnd) * 1000;
  try {
    // Asked again for the absolute end a moment ago and still signed in: this device's clock is not
    // the hub's, so leave the absolute lifetime to the hub.
    if (Date.now() - (Number(sessionStorage.getItem(ASKED)) || 0) < 60000) absoluteEnd = Infinity;
    sessionStorage.removeItem(ASKED);
  } catch { /* storage refused */ }
  const stay = dialog.querySelector('form[data-keep-alive]');
  const announce = dialog.querySelector('[data-announce]');
  let lastRequest = 0;
  let leaving = false;

  const marked = () => {
    lastRequest = Date.now();
    try { localStorage.setItem(KEY, String(lastRequest)); } catch { /* storage refused: this tab alone */ }
  };
  const latest = () => {
    let shared = 0;
    try { shared = Number(localStorage.getItem(KEY)) || 0; } catch { shared = 0; }
    return Math.max(lastRequest, shared);
  };
  const words = (ms) => {
    const seconds = Math.max(1, Math.ceil(ms / 1000));
    if (seconds >= 60) {
      const minutes = Math.ceil(seconds / 60);
      return `${minutes} minute${minutes === 1 ? '' : 's'}`;
    }
    return `${seconds} second${seconds === 1 ? '' : 's'}`;
  };
  const leave = (absolute) => {
    if (leaving) return;
    leaving = true;
    try { if (absolute) sessionStorage.setItem(ASKED, String(Date.now())); } catch { /* storage refused */ }
    const here = new URL(window.location.href);
    here.hash = ''; // a fragment alone would not ask the hub
    window.location.assign(here.href); // the hub answers with sign-in, saying why
  };

  const tick = () => {
    if (leaving) return;
    const idleEnd = latest() + idleMs;
    const absolute = absoluteEnd <= idleEnd;
    const left = Math.min(idleEnd, absoluteEnd) - Date.now();
    if (left <= -1000) { // a second late, so the session has surely ended on the hub
      leave(absolute);
      return;
    }
    if (left <= warnMs) {
      for (const part of dialog.querySelectorAll('[data-when]')) {
        part.hidden = part.dataset.when !== (absolute ? 'absolute' : 'idle');
      }
      for (const count of dialog.querySelectorAll('[data-countdown]')) count.textContent = words(Math.max(left, 0));
      if (!dialog.open) {
        dialog.showModal();
        announce.textContent = `You will be signed out in ${words(left)}.`;
      }
    } else if (dialog.open) {
      dialog.close();
      announce.textContent = '';
    }
    window.setTimeout(tick, 1000);
  };

  const keepAlive = async () => {
    try {
      const response = await fetch(stay.action, {
        method: 'POST', body: new FormData(stay), credentials: 'same-origin', redirect: 'manual',
      });
      if (response.status !== 204) throw new Error('signed out');
      marked();
      dialog.close();
      announce.textContent = '';
    } catch {
      leave(false);
    }
  };

  stay.addEventListener('submit', (event) => {
    event.preventDefault();
    keepAlive();
  });
  dialog.addEventListener('cancel', (event) => { // Escape: as "Stay signed in", as GOV.UK's pattern does
    event.preventDefault();
    if (!stay.hidden) keepAlive();
  });

  marked();
  tick();
}
