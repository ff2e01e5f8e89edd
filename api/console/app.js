// The braid operator console: plain browser JavaScript against braid's own
// HTTP API (no build step), Chart.js for the charts. The token lives in this
// tab's sessionStorage only.
'use strict';

const state = { token: sessionStorage.getItem('braid-token'), role: null, charts: {}, timer: null };
const $ = (selector) => document.querySelector(selector);

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${state.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
  if (!res.ok) throw new Error(data?.error?.message ?? `${res.status} ${res.statusText}`);
  return data;
}

function showError(where, error) {
  $(where).textContent = error ? String(error.message ?? error) : '';
}

// ---- sign-in ---------------------------------------------------------------

async function signIn(token) {
  state.token = token;
  const who = await api('GET', '/api/whoami');
  sessionStorage.setItem('braid-token', token);
  state.role = who.role;
  document.body.dataset.role = who.role;
  $('#who').textContent = `${who.name ?? 'token'} · ${who.role} `;
  const out = document.createElement('button');
  out.type = 'button';
  out.textContent = 'Sign out';
  out.addEventListener('click', () => {
    sessionStorage.removeItem('braid-token');
    location.hash = '';
    location.reload();
  });
  $('#who').append(out);
  for (const el of document.querySelectorAll('.operator-only')) el.hidden = who.role === 'analyst';
  $('#signin').hidden = true;
  $('#nav').hidden = false;
  $('#page').hidden = false;
  await loadProjects();
  await show();
}

$('#signin-form').addEventListener('submit', (event) => {
  event.preventDefault();
  showError('#signin-error', null);
  signIn($('#token').value.trim()).catch((error) => {
    state.token = null;
    showError('#signin-error', error);
  });
});

async function loadProjects() {
  const { projects } = await api('GET', '/api/projects');
  const select = $('#project');
  select.replaceChildren(...projects.map((p) => new Option(`${p.name} (${p.projectId})`, p.projectId)));
  const wanted = new URLSearchParams(location.search).get('project');
  if (wanted && projects.some((p) => p.projectId === wanted)) select.value = wanted;
}

// ---- pages ------------------------------------------------------------------

const pages = { health: showHealth, rejections: showRejections, operations: showOperations };

async function show() {
  const page = pages[location.hash.slice(1)] ? location.hash.slice(1) : 'health';
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.page === page);
  for (const view of document.querySelectorAll('.view')) view.hidden = view.id !== page;
  $('#window-label').hidden = page !== 'health';
  showError('#page-error', null);
  clearInterval(state.timer);
  try {
    await pages[page]();
  } catch (error) {
    showError('#page-error', error);
  }
  // Progress refreshes itself while something runs.
  if (page === 'operations') state.timer = setInterval(() => showOperations().catch((e) => showError('#page-error', e)), 2000);
}

window.addEventListener('hashchange', () => state.role && show());
$('#project').addEventListener('change', () => show());
$('#window').addEventListener('change', () => show());
$('#refresh').addEventListener('click', () => show());

function chart(id, config) {
  state.charts[id]?.destroy();
  state.charts[id] = new Chart($(`#${id}`), { ...config, options: { animation: false, responsive: true, maintainAspectRatio: true, ...config.options } });
}

const minuteLabel = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

async function showHealth() {
  const project = $('#project').value;
  if (!project) return;
  const { minutes } = await api('GET', `/api/projects/${encodeURIComponent(project)}/health?minutes=${$('#window').value}`);
  const sum = (k) => minutes.reduce((n, m) => n + m[k], 0);
  for (const k of ['received', 'written', 'rejected', 'suppressed', 'duplicates']) document.querySelector(`[data-figure="${k}"]`).textContent = sum(k).toLocaleString('en-US');
  const p99 = minutes.map((m) => m.latencyP99Ms).filter((v) => v !== null);
  document.querySelector('[data-figure="p99"]').textContent = p99.length ? `${Math.max(...p99).toLocaleString('en-US')} ms` : '–';

  // Where the numbers mislead, say so.
  const warnings = [];
  const last = minutes[minutes.length - 1];
  if (last && Date.now() - new Date(last.minute).getTime() < 60_000) warnings.push('The last minute is still filling: its counts will grow.');
  if (sum('received') > sum('written') + sum('rejected') + sum('suppressed') + sum('duplicates')) warnings.push('Some received events are not decided yet (in flight or held for consent): written will catch up.');
  if (minutes.some((m) => m.received > 0 && m.latencyP99Ms === null)) warnings.push('Minutes without a latency figure had no event written yet.');
  $('#health-warning').hidden = warnings.length === 0;
  $('#health-warning').textContent = warnings.join(' ');

  const labels = minutes.map((m) => minuteLabel(m.minute));
  chart('rate-chart', {
    type: 'line',
    data: {
      labels,
      datasets: [
        { label: 'received', data: minutes.map((m) => m.received), borderColor: '#2f6fdb' },
        { label: 'written', data: minutes.map((m) => m.written), borderColor: '#12a150' },
        { label: 'rejected', data: minutes.map((m) => m.rejected), borderColor: '#b42318' },
        { label: 'suppressed', data: minutes.map((m) => m.suppressed), borderColor: '#8a5a00' },
      ],
    },
  });
  chart('latency-chart', {
    type: 'line',
    data: {
      labels,
      datasets: [
        { label: 'p50', data: minutes.map((m) => m.latencyP50Ms), borderColor: '#12a150' },
        { label: 'p95', data: minutes.map((m) => m.latencyP95Ms), borderColor: '#e0a100' },
        { label: 'p99', data: minutes.map((m) => m.latencyP99Ms), borderColor: '#b42318' },
      ],
    },
  });
}

async function showRejections() {
  const project = $('#project').value;
  if (!project) return;
  const { reasons } = await api('GET', `/api/projects/${encodeURIComponent(project)}/rejections`);
  chart('reasons-chart', {
    type: 'bar',
    data: { labels: reasons.map((r) => r.reason), datasets: [{ label: 'messages', data: reasons.map((r) => r.count), backgroundColor: '#b42318' }] },
    options: { indexAxis: 'y' },
  });
  const list = $('#reasons');
  list.replaceChildren(
    ...reasons.map((r) => {
      const card = document.createElement('div');
      card.className = 'card reason';
      card.dataset.reason = r.reason;
      const h = document.createElement('h3');
      h.textContent = `${r.reason} — ${r.count.toLocaleString('en-US')}`;
      const samples = document.createElement('pre');
      samples.textContent = r.samples.map((s) => `${s.receivedAt} ${s.channel ?? '?'} ${s.messageId ?? '(no messageId)'} ${JSON.stringify(s.details)}`).join('\n');
      card.append(h, samples);
      if (state.role !== 'analyst' && r.samples.length > 0) {
        // Once the rule is fixed: replay the range these rejections came from, rejected messages included.
        const replay = document.createElement('button');
        replay.type = 'button';
        replay.textContent = 'Replay these (rule fixed)';
        replay.addEventListener('click', async () => {
          const times = r.samples.map((s) => new Date(s.receivedAt).getTime());
          const op = await api('POST', '/api/replays', {
            projectId: project,
            from: new Date(Math.min(...times) - 24 * 3600_000).toISOString(),
            to: new Date(Date.now() + 1000).toISOString(),
            target: 'production',
            includeRejected: true,
          }).catch((e) => showError('#page-error', e));
          if (op) location.hash = 'operations';
        });
        card.append(replay);
      }
      return card;
    }),
  );
  if (reasons.length === 0) list.textContent = 'No unresolved rejections.';
}

async function showOperations() {
  const project = $('#project').value;
  const { operations } = await api('GET', `/api/operations?limit=50${project ? `&projectId=${encodeURIComponent(project)}` : ''}`);
  const rows = operations.map((op) => {
    const tr = document.createElement('tr');
    tr.dataset.operation = op.id;
    const cell = (text) => {
      const td = document.createElement('td');
      td.textContent = text;
      return td;
    };
    const progress = document.createElement('progress');
    if (op.total) {
      progress.max = op.total;
      progress.value = Math.min(op.total, op.counts?.read ?? op.position ?? 0);
    }
    const progressCell = document.createElement('td');
    progressCell.append(progress, ` ${op.counts?.read ?? 0}${op.total ? ` / ${op.total}` : ''}`);
    const actions = document.createElement('td');
    const running = !['completed', 'failed', 'cancelled'].includes(op.status);
    if (state.role !== 'analyst' && running && op.kind !== 'erasure') {
      const base = op.kind === 'replay' ? '/api/replays' : '/api/backfills';
      for (const action of op.status === 'paused' ? ['resume', 'cancel'] : ['pause', 'cancel']) {
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = action;
        b.dataset.action = action;
        b.addEventListener('click', () => api('POST', `${base}/${op.id}/${action}`).then(showOperations).catch((e) => showError('#page-error', e)));
        actions.append(b);
      }
    }
    const counts = Object.entries(op.counts ?? {}).filter(([, n]) => n).map(([k, n]) => `${k} ${n}`).join(', ');
    const status = cell(op.status);
    status.dataset.status = op.status;
    tr.append(cell(op.id), cell(op.kind + (op.sandboxSchema ? ` → ${op.sandboxSchema}` : '')), status, progressCell, cell(counts), cell(op.requestedBy ?? ''), actions);
    return tr;
  });
  $('#operations-table tbody').replaceChildren(...rows);
}

$('#sandbox-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const op = await api('POST', '/api/replays', {
      projectId: $('#project').value,
      from: new Date($('#sandbox-from').value).toISOString(),
      to: new Date($('#sandbox-to').value).toISOString(),
      target: 'sandbox',
    });
    $('#sandbox-result').textContent = `started ${op.id}`;
    await showOperations();
  } catch (error) {
    showError('#page-error', error);
  }
});

if (state.token) signIn(state.token).catch(() => sessionStorage.removeItem('braid-token'));
