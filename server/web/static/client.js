// printgate live client: follows /api/user/v1/events (Server-Sent Events) and shows the
// balance, a low-credit warning, each held job's question with its answers, and denied
// jobs with the reason. Answers are POSTed with the session's CSRF token. The server
// decides everything; this page only shows and answers what the server asks.
'use strict';
(function () {
  var root = document.getElementById('live');
  if (!root) return;
  var csrf = root.getAttribute('data-csrf');
  var status = document.getElementById('live-status');
  var balances = document.getElementById('live-balances');
  var warning = document.getElementById('live-warning');
  var questions = document.getElementById('live-questions');
  var denied = document.getElementById('live-denied');
  var state = null;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function answer(jobId, action, body, box) {
    var msg = box.querySelector('.answer-msg');
    msg.textContent = 'Sending…';
    fetch('/api/user/v1/jobs/' + encodeURIComponent(jobId) + '/' + action, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().then(function (j) {
        msg.textContent = r.ok ? (action === 'cancel' ? 'Cancelled.' : 'Sent to the printer.') : (j.message || 'Refused');
        msg.className = 'answer-msg notice ' + (r.ok ? 'ok' : 'error');
      });
    }).catch(function () { msg.textContent = 'The server did not answer.'; });
  }

  function renderQuestion(q) {
    var box = el('div', { 'class': 'card question', 'data-job': q.jobId });
    box.appendChild(el('p', {}, (q.title || '(untitled)') + ' on ' + q.printer + ', ' + (q.pages === null ? '?' : q.pages) + ' page(s) × ' + q.copies));
    box.appendChild(el('p', { 'class': 'ask' }, q.question));
    if (q.expiresAt) box.appendChild(el('p', { 'class': 'muted' }, 'Cancelled without charge at ' + q.expiresAt.slice(11, 16) + ' UTC if nobody answers.'));
    var form = el('form', { 'class': 'row' });
    var select = null;
    var pin = null;
    if (q.holdKind === 'CHOOSE_ACCOUNT') {
      var d = el('div');
      var id = 'acc-' + q.jobId;
      d.appendChild(el('label', { 'for': id }, 'Account'));
      select = el('select', { id: id, name: 'account' });
      state.accounts.forEach(function (a) {
        select.appendChild(el('option', { value: a.name }, a.name + (a.shared ? ' (shared)' : '') + (a.hasPin ? ' — PIN' : '')));
      });
      d.appendChild(select);
      form.appendChild(d);
      if (state.accounts.some(function (a) { return a.hasPin; })) {
        var p = el('div');
        p.appendChild(el('label', { 'for': 'pin-' + q.jobId }, 'PIN (accounts that have one)'));
        pin = el('input', { id: 'pin-' + q.jobId, type: 'password', autocomplete: 'off' });
        p.appendChild(pin);
        form.appendChild(p);
      }
    }
    var go = el('button', { type: 'submit' }, q.holdKind === 'CLAIM' ? 'Claim and print' : q.holdKind === 'RELEASE' ? 'Release' : 'Print');
    var no = el('button', { type: 'button', 'class': 'secondary' }, 'Cancel');
    form.appendChild(go);
    form.appendChild(no);
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var body = {};
      if (select) body.account = select.value;
      if (pin && pin.value) body.pin = pin.value;
      answer(q.jobId, 'release', body, box);
    });
    no.addEventListener('click', function () { answer(q.jobId, 'cancel', {}, box); });
    box.appendChild(form);
    box.appendChild(el('p', { 'class': 'answer-msg', role: 'status' }));
    return box;
  }

  function render() {
    balances.textContent = '';
    state.balances.forEach(function (b) {
      var c = el('div', { 'class': 'card' });
      c.appendChild(el('h2', {}, b.account));
      c.appendChild(el('p', { 'class': 'big', 'data-balance': b.account }, b.balance + ' ' + state.currency));
      balances.appendChild(c);
    });
    warning.hidden = !state.lowBalance;
    warning.textContent = state.lowBalance ? 'Your balance is low (below ' + state.threshold + ' ' + state.currency + ').' : '';
    // Keep a question that is being answered; add new ones; drop answered ones.
    var keep = {};
    state.held.forEach(function (q) { keep[q.jobId] = q; });
    Array.prototype.slice.call(questions.querySelectorAll('[data-job]')).forEach(function (n) {
      if (!keep[n.getAttribute('data-job')]) n.remove(); else delete keep[n.getAttribute('data-job')];
    });
    state.held.forEach(function (q) { if (keep[q.jobId]) questions.appendChild(renderQuestion(q)); });
    document.getElementById('live-none').hidden = state.held.length > 0;
  }

  var source = new EventSource('/api/user/v1/events');
  source.addEventListener('open', function () { status.textContent = 'Connected'; });
  source.addEventListener('error', function () { status.textContent = 'Reconnecting…'; });
  source.addEventListener('state', function (ev) { state = JSON.parse(ev.data); render(); });
  source.addEventListener('denied', function (ev) {
    var d = JSON.parse(ev.data);
    var li = el('li', { 'class': 'notice error' }, (d.title || '(untitled)') + ' on ' + d.printer + ' was refused: ' + d.reason);
    denied.insertBefore(li, denied.firstChild);
  });
})();
