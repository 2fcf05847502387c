// The HTML report's script, inlined into the page: it reads the data block
// (data.ts) and draws the summary, the timeline (one lane per host), the
// failures, the GPU map and the per-host details; the filters hide lanes,
// rows and details by status, group and name. Plain browser JavaScript, no
// library, no request: the page works from a file:// URL, offline.

export const CLIENT_JS = String.raw`
(function () {
  'use strict';
  var t0 = performance.now();
  var D = JSON.parse(document.getElementById('data').textContent);
  var T = D.texts;
  var STATUS = ['ok', 'changed', 'failed', 'unreachable', 'skipped', 'ignored'];
  var SEGKIND = ['connect', 'facts', 'step', 'reboot', 'verify'];
  var total = Math.max(1, D.run.duration_ms);
  function $(id) { return document.getElementById(id); }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; });
  }
  function txt(i) { return i < 0 ? '' : T[i]; }
  function dur(ms) {
    if (ms < 60000) return (ms / 1000).toFixed(1) + 's';
    var s = Math.round(ms / 1000), m = Math.floor(s / 60);
    if (m < 60) return m + 'm' + String(s % 60).padStart(2, '0') + 's';
    return Math.floor(m / 60) + 'h' + String(m % 60).padStart(2, '0') + 'm';
  }

  // ---- summary and run facts
  var r = D.run;
  var sum = r.summary;
  $('verdict').textContent = D.recap.split('\n').slice(-1)[0];
  $('verdict').className = 'verdict ' + (sum.failed + sum.unreachable > 0 || r.interrupted ? 'bad' : 'good');
  $('counts').innerHTML = STATUS.map(function (k) {
    return '<span class="badge st-' + k + '">' + k + ' <b>' + sum[k] + '</b></span>';
  }).join(' ') + ' <span class="badge">hosts <b>' + sum.hosts + '</b></span>';
  var opts = Object.keys(r.options).map(function (k) { return k + '=' + JSON.stringify(r.options[k]); }).join('  ');
  $('runinfo').innerHTML = [
    ['started', new Date(r.started_at).toLocaleString() + ' (' + r.started_at + ')'],
    ['duration', dur(r.duration_ms)],
    ['mode', r.check ? 'check (dry run)' : 'apply'],
    ['passthru', r.passthru],
    ['playbook', r.playbook || '-'],
    ['inventory', r.inventory || '-'],
    ['options', opts || '-'],
    ['plays', r.plays.map(function (p) { return p.name + ' (' + p.hosts + ' hosts, ' + dur(p.duration_ms) + (p.aborted ? ', aborted: ' + p.aborted : '') + ')'; }).join('; ')]
  ].map(function (kv) { return '<dt>' + kv[0] + '</dt><dd>' + esc(kv[1]) + '</dd>'; }).join('');
  $('recap').textContent = D.recap;

  // ---- timeline
  function segTitle(h, s) {
    var name = txt(s[4]), err = txt(s[5]);
    var what = SEGKIND[s[0]] === 'reboot' ? name + ': down ' + dur(s[2]) : name + ': ' + STATUS[s[3]] + ' in ' + dur(s[2]);
    return h.n + ' | ' + what + (err ? '\n' + err : '');
  }
  var ticks = [];
  var step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].map(function (s) { return s * 1000; }).find(function (s) { return total / s <= 10; }) || 7200000;
  for (var x = 0; x <= total; x += step) ticks.push('<span class="tick" style="left:' + (x / total * 100) + '%">' + dur(x) + '</span>');
  $('axis').innerHTML = ticks.join('');
  var lanes = [];
  D.hosts.forEach(function (h, hi) {
    var segs = h.segs.map(function (s, si) {
      var left = s[1] / total * 100, width = s[2] / total * 100;
      // failures carry their error from the start; the other titles are made on hover (17,000 of them at 1000 hosts)
      var title = s[5] >= 0 ? ' title="' + esc(segTitle(h, s)) + '"' : '';
      return '<i class="seg k-' + SEGKIND[s[0]] + ' st-' + STATUS[s[3]] + '" style="left:' + left.toFixed(4) + '%;width:' + width.toFixed(4) + '%" data-ms="' + s[2] + '" data-s="' + si + '"' + title + '></i>';
    }).join('');
    var st = STATUS[h.s];
    var err = txt(h.e);
    lanes.push('<div class="lane st-' + st + '" data-i="' + hi + '"' + (err ? ' title="' + esc(h.n + ': ' + err) + '"' : '') + '><span class="host"><span class="dot st-' + st + '"></span>' + esc(h.n) + (st === 'failed' || st === 'unreachable' ? ' <b class="mark">' + st.toUpperCase() + '</b>' : '') + '</span><span class="track">' + segs + '</span></div>');
  });
  $('lanes').innerHTML = lanes.join('');
  $('lanes').addEventListener('mouseover', function (ev) {
    var el = ev.target;
    if (!el.classList.contains('seg') || el.title) return;
    var h = D.hosts[+el.parentNode.parentNode.dataset.i];
    el.title = segTitle(h, h.segs[+el.dataset.s]);
  });

  // ---- failures
  var fails = D.hosts.filter(function (h) { return h.s === 2 || h.s === 3; });
  $('nfail').textContent = fails.length;
  $('failures').innerHTML = fails.length === 0 ? '<p class="none">No host failed.</p>' : '<table><tr><th>host</th><th>status</th><th>step</th><th>error</th></tr>' + fails.map(function (h) {
    var bad = h.segs.filter(function (s) { return s[3] === 2 || s[3] === 3; })[0];
    return '<tr class="row" data-i="' + D.hosts.indexOf(h) + '"><td>' + esc(h.n) + '</td><td class="st-' + STATUS[h.s] + '">' + STATUS[h.s] + '</td><td>' + esc(bad ? txt(bad[4]) : '') + '</td><td><pre>' + esc(txt(h.e)) + '</pre></td></tr>';
  }).join('') + '</table>';

  // ---- GPU map
  var rows = [];
  D.hosts.forEach(function (h, hi) {
    if (!h.f || !h.f.gpus) return;
    h.f.gpus.forEach(function (g) {
      // a grid of divs, not a table: a table of 1000 rows is laid out whole, these rows only when in view
      rows.push('<div class="row gpurow" data-i="' + hi + '"><span>' + esc(h.n) + '</span><span>' + esc(g.slot) + '<br><small>' + esc((g.name || '') + ' [' + g.model + ']') + '</small></span><span>' + g.functions.map(function (f) {
        return esc(f.address + ' ' + f.id + ' ' + f.kind);
      }).join('<br>') + '</span><span>' + g.functions.map(function (f) { return f.iommu_group === undefined ? '-' : String(f.iommu_group); }).join('<br>') + '</span><span>' + g.functions.map(function (f) { return esc(f.alias || '-'); }).join('<br>') + '</span><span>' + esc(g.flavor || '-') + '</span></div>');
    });
  });
  $('ngpu').textContent = rows.length;
  // the sections below the timeline are drawn when they come near the screen: the page opens with the timeline
  function whenNear(id, draw) {
    var done = false;
    function go() {
      if (done) return;
      done = true;
      draw();
      apply();
    }
    if (!('IntersectionObserver' in window)) return go();
    var io = new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) { io.disconnect(); go(); }
    }, { rootMargin: '1500px 0px' });
    io.observe($(id).parentNode);
  }
  whenNear('gpus', function () {
    $('gpus').innerHTML = rows.length === 0 ? '<p class="none">No GPU was discovered.</p>' : '<div class="gpurow head"><span>host</span><span>GPU</span><span>functions</span><span>IOMMU group</span><span>alias</span><span>flavor</span></div>' + rows.join('');
  });

  // ---- per host details, filled when opened
  whenNear('details', function () {
    $('details').innerHTML = D.hosts.map(function (h, hi) {
      var f = h.f;
      var facts = f ? [f.os, f.boot_mode && f.boot_mode.toUpperCase(), f.cpu_vendor, f.nova_release && 'nova ' + f.nova_release, f.iommu ? 'IOMMU ' + (f.iommu.active ? 'on' : 'off') : ''].filter(Boolean).join(' · ') : '';
      return '<details class="row host-details" data-i="' + hi + '"><summary><span class="dot st-' + STATUS[h.s] + '"></span>' + esc(h.n) + ' <small>' + STATUS[h.s] + (facts ? ' · ' + esc(facts) : '') + ' · ' + h.steps.length + ' step(s) with changes or notes</small></summary></details>';
    }).join('');
  });
  $('details').addEventListener('toggle', function (ev) {
    var el = ev.target;
    if (!el.open || el.dataset.filled) return;
    el.dataset.filled = '1';
    var h = D.hosts[+el.dataset.i];
    var html = h.steps.map(function (s) {
      var out = '<div class="step"><b class="st-' + STATUS[s[1]] + '">' + esc(txt(s[0])) + '</b> ' + STATUS[s[1]];
      if (s[5] >= 0) out += ' <small>(' + esc(txt(s[5])) + ')</small>';
      out += s[2].map(function (c) { return '<div class="change">' + esc(txt(c)) + '</div>'; }).join('');
      out += s[3].map(function (c) { return '<div class="note">' + esc(txt(c)) + '</div>'; }).join('');
      if (s[4] >= 0) out += '<pre class="diff">' + txt(s[4]).split('\n').map(function (l) {
        var c = l.indexOf('+++') === 0 || l.indexOf('---') === 0 ? 'hd' : l[0] === '+' ? 'add' : l[0] === '-' ? 'del' : l.indexOf('@@') === 0 ? 'hunk' : '';
        return '<span class="' + c + '">' + esc(l) + '</span>';
      }).join('\n') + '</pre>';
      return out + '</div>';
    }).join('');
    el.insertAdjacentHTML('beforeend', html || '<p class="none">Nothing changed and nothing to note.</p>');
  }, true);

  // ---- filters
  var groupSel = $('group');
  groupSel.innerHTML = '<option value="-1">every group</option>' + D.groups.map(function (g, i) { return '<option value="' + i + '">' + esc(g) + '</option>'; }).join('');
  $('statuses').innerHTML = STATUS.map(function (k, i) {
    return '<label class="st-' + k + '"><input type="checkbox" value="' + i + '" checked> ' + k + ' (' + D.hosts.filter(function (h) { return h.s === i; }).length + ')</label>';
  }).join(' ');
  var filtered = false;
  function apply() {
    var on = {};
    Array.prototype.forEach.call(document.querySelectorAll('#statuses input'), function (c) { on[c.value] = c.checked; });
    var grp = +groupSel.value;
    var q = $('search').value.trim().toLowerCase();
    var visible = D.hosts.map(function (h) {
      return on[h.s] && (grp < 0 || h.g.indexOf(grp) >= 0) && (q === '' || h.n.toLowerCase().indexOf(q) >= 0);
    });
    var n = 0;
    visible.forEach(function (v) { if (v) n++; });
    // nothing to hide (the page as it opens): no element is touched
    if (n < D.hosts.length || filtered) {
      Array.prototype.forEach.call(document.querySelectorAll('.lane, .row'), function (el) {
        el.classList.toggle('hidden', !visible[+el.dataset.i]);
      });
    }
    filtered = n < D.hosts.length;
    $('shown').textContent = n + ' of ' + D.hosts.length + ' hosts shown';
  }
  $('filters').addEventListener('input', apply);
  apply();
  document.body.dataset.ready = String(Math.round(performance.now() - t0));
})();
`;
