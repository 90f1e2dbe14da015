/* dajia-dash: live updates for the dashboard's pages (compiled into dajia-dash).
   Every page works without this script; with it, new escalations appear at the top of
   their table, the figures and bulletin pages fetch themselves again when the feed
   changes them, and the broker banner follows the dashboard's state. One EventSource
   per page, on /events; it reconnects by itself (Last-Event-ID). */
(function () {
  'use strict';
  var body = document.body;
  var live = body.getAttribute('data-live');
  if (!live || !window.EventSource || !window.fetch) {
    return;
  }
  var since = body.getAttribute('data-events') || '0';
  var stream = new EventSource('/events?since=' + encodeURIComponent(since));
  body.setAttribute('data-stream', 'connecting');
  stream.addEventListener('open', function () {
    body.setAttribute('data-stream', 'open');
  });
  stream.addEventListener('hello', function () {
    body.setAttribute('data-stream', 'open');
  });
  stream.addEventListener('error', function () {
    body.setAttribute('data-stream', 'retrying');
  });

  var refreshing = false;
  var again = false;
  function refresh() {
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = true;
    fetch(window.location.href, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html) {
          var doc = new DOMParser().parseFromString(html, 'text/html');
          var fresh = doc.querySelector('main');
          var old = document.querySelector('main');
          if (fresh && old) {
            old.replaceWith(document.importNode(fresh, true));
          }
          var seq = doc.body.getAttribute('data-seq');
          if (seq) {
            body.setAttribute('data-seq', seq);
          }
        }
      })
      .catch(function () {})
      .then(function () {
        refreshing = false;
        if (again) {
          again = false;
          window.setTimeout(refresh, 300);
        }
      });
  }

  stream.addEventListener('status', function (e) {
    var s = JSON.parse(e.data);
    var banner = document.getElementById('broker-status');
    if (!banner) {
      return;
    }
    banner.className = 'banner ' + (s.up ? 'up' : 'down');
    banner.hidden = !!s.up;
    if (!s.up) {
      banner.textContent = (document.documentElement.lang === 'en'
        ? 'Not following the broker: ' : '未连接到数据中心（broker）：') + s.reason;
    }
  });

  var added = 0;
  stream.addEventListener('escalation', function (e) {
    if (live !== 'escalations') {
      return;
    }
    var row = JSON.parse(e.data);
    var note = document.getElementById('live-note');
    var tbody = document.getElementById('escalations-body');
    if (!tbody || document.getElementById(row.id)) {
      return;
    }
    if (note && note.getAttribute('data-filtered') === '1') {
      added += 1;
      note.textContent = (document.documentElement.lang === 'en'
        ? 'New escalations: ' : '新的督办事项：') + added;
      return;
    }
    var tr = document.createElement('tr');
    tr.id = row.id;
    tr.className = 'live' + (row.especially ? ' especially' : '');
    var cells = [row.time, row.rule, row.rule_name, row.level, row.unit, row.subject,
                 row.reason, row.action, row.due, row.source];
    cells.forEach(function (text, i) {
      var cell = document.createElement(i === 0 ? 'th' : 'td');
      if (i === 0) {
        cell.setAttribute('scope', 'row');
      }
      cell.textContent = text;
      tr.appendChild(cell);
    });
    tbody.insertBefore(tr, tbody.firstChild);
    var empty = document.querySelector('#t-escalations .empty');
    if (empty) {
      empty.remove();
    }
  });
  stream.addEventListener('figures', function () {
    if (live === 'figures') {
      refresh();
    }
  });
  stream.addEventListener('bulletin', function () {
    if (live === 'bulletins' || live === 'figures') {
      refresh();
    }
  });
  stream.addEventListener('compliance', function () {
    if (live === 'compliance') {
      refresh();
    }
  });
  stream.addEventListener('matter', function () {
    if (live === 'matters') {
      refresh();
    }
  });
  stream.addEventListener('reload', function () {
    window.location.reload();
  });
}());
