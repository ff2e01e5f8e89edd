// The braid operator console: plain browser JavaScript against braid's own
// HTTP API (no build step), Chart.js for the charts. The token lives in this
// tab's sessionStorage only.
'use strict';

const state = { token: sessionStorage.getItem('braid-token'), role: null, charts: {}, timer: null, eventNames: null, ran: {} };
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
  setDefaultPeriod();
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

const pages = {
  health: showHealth,
  rejections: showRejections,
  quality: showQuality,
  consent: showConsent,
  operations: showOperations,
  canaries: showCanaries,
  identity: showIdentity,
  funnel: showFunnel,
  'time-to-convert': showTimeToConvert,
  adoption: showAdoption,
  retention: showRetention,
  'active-persons': showActivePersons,
};
/** The analysts' pages: a period in the toolbar, and the freshness, SQL and guardrails beside each figure. */
const ANALYSIS_PAGES = ['funnel', 'time-to-convert', 'adoption', 'retention', 'active-persons'];

async function show() {
  const page = pages[location.hash.slice(1)] ? location.hash.slice(1) : 'health';
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.page === page);
  for (const view of document.querySelectorAll('.view')) view.hidden = view.id !== page;
  $('#window-label').hidden = page !== 'health';
  $('#period-label').hidden = !ANALYSIS_PAGES.includes(page);
  showError('#page-error', null);
  clearInterval(state.timer);
  try {
    await pages[page]();
  } catch (error) {
    showError('#page-error', error);
  }
  // Progress refreshes itself while something runs.
  if (page === 'operations') state.timer = setInterval(() => showOperations().catch((e) => showError('#page-error', e)), 2000);
  if (page === 'canaries') state.timer = setInterval(() => showCanaries().catch((e) => showError('#page-error', e)), 3000);
}

window.addEventListener('hashchange', () => state.role && show());
$('#project').addEventListener('change', () => {
  state.eventNames = null;
  show();
});
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

  const tail = await api('GET', `/api/projects/${encodeURIComponent(project)}/tail-events?minutes=15&limit=10`);
  const lineage = (e) => `${e.workflowId ?? '?'} · rules v${e.rulesVersion ?? '?'} · ${(e.transforms ?? []).map((t) => t.step).join(' → ')}`;
  const tailRows = (events, figure) =>
    events.map((e) => {
      const tr = document.createElement('tr');
      tr.dataset.event = e.eventId;
      tr.append(cell(`${e.event ?? ''} (${e.eventId})`), cell(e.channel), cell(figure(e)), cell(lineage(e)));
      return tr;
    });
  $('#slowest-table tbody').replaceChildren(...tailRows(tail.slowest, (e) => `${e.latencyMs.toLocaleString('en-US')} ms`));
  $('#latest-table tbody').replaceChildren(...tailRows(tail.latestArriving, (e) => duration(e.lateBySeconds)));
}

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

function duration(seconds) {
  if (Math.abs(seconds) < 120) return `${seconds} s`;
  if (Math.abs(seconds) < 7200) return `${Math.round(seconds / 60)} min`;
  if (Math.abs(seconds) < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

async function showQuality() {
  const project = $('#project').value;
  if (!project) return;
  const { hours } = await api('GET', `/api/projects/${encodeURIComponent(project)}/quality?hours=24`);
  const byHour = new Map();
  for (const h of hours) {
    const entry = byHour.get(h.hour) ?? { volume: 0, flagged: 0 };
    entry.volume += h.volume;
    if (h.flags.length > 0) entry.flagged += 1;
    byHour.set(h.hour, entry);
  }
  const order = [...byHour.keys()].sort();
  chart('quality-chart', {
    type: 'bar',
    data: {
      labels: order.map((h) => minuteLabel(h)),
      datasets: [
        { label: 'written events', data: order.map((h) => byHour.get(h).volume), backgroundColor: '#2f6fdb' },
        { label: 'flagged event-hours', data: order.map((h) => byHour.get(h).flagged), backgroundColor: '#b42318' },
      ],
    },
  });
  const flagged = hours.filter((h) => h.flags.length > 0);
  $('#quality-table tbody').replaceChildren(
    ...flagged.map((h) => {
      const tr = document.createElement('tr');
      tr.dataset.flags = h.flags.map((f) => f.kind).join(' ');
      const why = document.createElement('td');
      why.append(...h.flags.map((f) => Object.assign(document.createElement('div'), { textContent: f.why })));
      tr.append(cell(new Date(h.hour).toLocaleString()), cell(h.channel), cell(h.event), cell(String(h.volume)), cell(h.expectedVolume === null ? '–' : String(h.expectedVolume)), why);
      return tr;
    }),
  );
  if (flagged.length === 0) $('#quality-table tbody').replaceChildren(Object.assign(document.createElement('tr'), { textContent: 'Nothing flagged in the last 24 hours.' }));
}

async function showConsent() {
  const project = $('#project').value;
  if (!project) return;
  const [figures, erasures] = await Promise.all([
    api('GET', `/api/projects/${encodeURIComponent(project)}/consent?days=30`),
    api('GET', `/api/operations?kind=erasure&limit=50&projectId=${encodeURIComponent(project)}`),
  ]);
  document.querySelector('[data-figure="held"]').textContent = figures.held.toLocaleString('en-US');
  document.querySelector('[data-figure="suppressed-30d"]').textContent = figures.suppressions.reduce((n, s) => n + s.count, 0).toLocaleString('en-US');
  document.querySelector('[data-figure="erasures"]').textContent = String(erasures.operations.length);
  const days = [...new Set(figures.suppressions.map((s) => s.day))].sort();
  const reasons = [...new Set(figures.suppressions.map((s) => `${s.category}: ${s.reason}`))];
  const colors = ['#b42318', '#8a5a00', '#2f6fdb', '#12a150', '#6b3fa0'];
  chart('consent-chart', {
    type: 'bar',
    data: {
      labels: days,
      datasets: reasons.map((r, i) => ({
        label: r,
        data: days.map((d) => figures.suppressions.filter((s) => s.day === d && `${s.category}: ${s.reason}` === r).reduce((n, s) => n + s.count, 0)),
        backgroundColor: colors[i % colors.length],
      })),
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true } } },
  });
  $('#erasures-table tbody').replaceChildren(
    ...erasures.operations.map((op) => {
      const tr = document.createElement('tr');
      const counts = Object.entries(op.counts ?? {}).filter(([, n]) => n).map(([k, n]) => `${k} ${n}`).join(', ');
      tr.append(cell(op.id), cell(op.status), cell(op.params?.mode ?? ''), cell(op.requestedBy ?? ''), cell(op.createdAt ? new Date(op.createdAt).toLocaleString() : ''), cell(counts));
      return tr;
    }),
  );
}

async function showIdentity() {
  const fromUrl = new URLSearchParams(location.search).get('person');
  if (fromUrl && !$('#person-id').value) $('#person-id').value = fromUrl;
  const personId = $('#person-id').value.trim();
  const project = $('#project').value;
  if (!personId || !project) return;
  const base = `/api/persons/${encodeURIComponent(project)}/${encodeURIComponent(personId)}`;
  const [journey, merges] = await Promise.all([api('GET', `${base}/journey?limit=1000`), api('GET', `${base}/merges`)]);
  const channels = [...new Set(journey.events.map((e) => e.channel))];
  chart('journey-chart', {
    type: 'scatter',
    data: {
      datasets: channels.map((c, i) => ({
        label: c,
        data: journey.events.filter((e) => e.channel === c).map((e) => ({ x: new Date(e.event_time).getTime(), y: i, event: e.event ?? e.type })),
        backgroundColor: ['#2f6fdb', '#12a150', '#e0a100', '#b42318'][i % 4],
      })),
    },
    options: {
      scales: {
        x: { ticks: { callback: (v) => new Date(v).toLocaleString() } },
        y: { ticks: { stepSize: 1, callback: (v) => channels[v] ?? '' }, min: -0.5, max: channels.length - 0.5 },
      },
      plugins: { tooltip: { callbacks: { label: (ctx) => `${ctx.raw.event} · ${new Date(ctx.raw.x).toLocaleString()}` } } },
    },
  });
  $('#merges-table tbody').replaceChildren(
    ...merges.merges.map((m) => {
      const tr = document.createElement('tr');
      tr.dataset.merge = m.mergeId;
      const state = m.status === 'undone' ? `undone by ${m.undoneBy ?? '?'}` : m.status === 'refused' ? `refused: ${m.reason ?? ''}` : m.status;
      const actions = document.createElement('td');
      if (m.status === 'active' && document.body.dataset.role !== 'analyst') {
        const undo = document.createElement('button');
        undo.type = 'button';
        undo.textContent = 'Undo';
        undo.dataset.action = 'undo';
        undo.addEventListener('click', () =>
          api('POST', `/api/persons/${encodeURIComponent(project)}/unmerge`, { mergeId: m.mergeId })
            .then(showIdentity)
            .catch((e) => showError('#page-error', e)),
        );
        actions.append(undo);
      }
      const stateCell = cell(state);
      stateCell.dataset.status = m.status;
      tr.append(cell(`${m.a.kind}:${m.a.id} + ${m.b.kind}:${m.b.id}`), cell(m.rule), cell(new Date(m.createdAt).toLocaleString()), stateCell, actions);
      return tr;
    }),
  );
}

$('#person-form').addEventListener('submit', (event) => {
  event.preventDefault();
  showIdentity().catch((e) => showError('#page-error', e));
});

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
    if (op.sandboxSchema && op.status === 'completed') {
      const diff = document.createElement('button');
      diff.type = 'button';
      diff.textContent = 'diff against production';
      diff.dataset.action = 'diff';
      diff.addEventListener('click', () => showDiff(op.id).catch((e) => showError('#page-error', e)));
      actions.append(diff);
    }
    const counts = Object.entries(op.counts ?? {}).filter(([, n]) => n).map(([k, n]) => `${k} ${n}`).join(', ');
    const status = cell(op.status);
    status.dataset.status = op.status;
    tr.append(cell(op.id), cell(op.kind + (op.sandboxSchema ? ` → ${op.sandboxSchema}` : '')), status, progressCell, cell(counts), cell(op.requestedBy ?? ''), actions);
    return tr;
  });
  $('#operations-table tbody').replaceChildren(...rows);
}

async function showDiff(id) {
  const d = await api('GET', `/api/replays/${id}/diff`);
  const box = $('#diff');
  box.hidden = false;
  box.dataset.replay = id;
  const h = document.createElement('h3');
  h.textContent = `Sandbox ${id} against production`;
  const summary = document.createElement('p');
  summary.dataset.diff = 'summary';
  summary.textContent = `${d.sandboxRows} rows: ${d.same} the same, ${d.changed} changed, ${d.onlyInSandbox} only in the sandbox (e.g. rejected messages the new rules accept).`;
  const list = document.createElement('pre');
  list.textContent = d.samples.map((s) => `${s.eventId}: ${s.columns.join(', ')}`).join('\n') || 'No changed rows.';
  box.replaceChildren(h, summary, list);
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

// ---- canaries: a rules change tried on a share of devices, arm by arm ----

const canaryPath = (suffix = '') => `/api/projects/${encodeURIComponent($('#project').value)}/canaries${suffix}`;

async function showCanaries() {
  const { canaries } = await api('GET', canaryPath());
  const rows = canaries.map((c) => {
    const tr = document.createElement('tr');
    tr.dataset.canary = c.id;
    const status = cell(c.status);
    status.dataset.status = c.status;
    const actions = document.createElement('td');
    const view = document.createElement('button');
    view.type = 'button';
    view.textContent = 'arms';
    view.dataset.action = 'arms';
    view.addEventListener('click', () => showArms(c.id).catch((e) => showError('#page-error', e)));
    actions.append(view);
    if (state.role !== 'analyst' && c.status === 'running') {
      for (const [action, label, body] of [['promote', 'promote', undefined], ['rollback', 'roll back', { replay: false }], ['rollback', 'roll back and replay its events', { replay: true }]]) {
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = label;
        b.dataset.action = body?.replay ? 'rollback-replay' : action;
        b.addEventListener('click', () =>
          api('POST', canaryPath(`/${c.id}/${action}`), body)
            .then(() => Promise.all([showCanaries(), showArms(c.id)]))
            .catch((e) => showError('#page-error', e)),
        );
        actions.append(b);
      }
    }
    tr.append(cell(c.id), status, cell(`${c.percent} %`), cell(JSON.stringify(c.changes)), cell(c.startedAt), cell(c.endedAt ?? ''), actions);
    return tr;
  });
  $('#canaries-table tbody').replaceChildren(...rows);
  const shown = $('#canary-arms').dataset.canary;
  if (shown && canaries.some((c) => c.id === shown)) await showArms(shown);
}

/** Both arms side by side: one row per figure, rejections by reason under their total. */
let armsRequest = 0;
const rateText = (r) => (r === null || r === undefined ? '–' : `${(r * 100).toFixed(1)} %`);
async function showArms(id) {
  // The page refreshes itself and buttons ask too: only the newest answer is drawn.
  const request = ++armsRequest;
  const steps = $('#canary-steps').value.split(',').map((x) => x.trim()).filter(Boolean);
  const query = steps.length >= 2 ? `?${new URLSearchParams([...steps.map((x) => ['steps', x]), ['window', $('#canary-window').value || '1d']])}` : '';
  const c = await api('GET', canaryPath(`/${id}${query}`));
  if (request !== armsRequest) return;
  const box = $('#canary-arms');
  box.hidden = false;
  box.dataset.canary = id;
  const h = document.createElement('h3');
  h.textContent = `Canary ${id}: ${c.status.replace('_', ' ')}, ${c.percent} % of devices (rules version ${c.rulesVersions.canary}, control ${c.rulesVersions.control})`;
  const diff = document.createElement('p');
  diff.textContent = (c.diff ?? []).map((d) => `${d.setting}: ${JSON.stringify(d.from)} → ${JSON.stringify(d.to)}`).join('; ') || `changes: ${JSON.stringify(c.changes)}`;
  const { control, canary } = c.arms;
  const reasons = [...new Set([...Object.keys(control.rejectedByReason), ...Object.keys(canary.rejectedByReason)])].sort();
  const figures = [
    ['devices', control.devices, canary.devices],
    ['written', control.written, canary.written],
    ['rejected', control.rejected, canary.rejected],
    ...reasons.map((r) => [`  ${r}`, control.rejectedByReason[r] ?? 0, canary.rejectedByReason[r] ?? 0]),
    ['suppressed', control.suppressed, canary.suppressed],
    ['sessions per device', control.sessionsPerDevice ?? '–', canary.sessionsPerDevice ?? '–'],
    ...(control.funnel ?? []).map((s, i) => [`funnel ${s.step}. ${s.event}`, `${s.devices} (${rateText(s.conversionRate)})`, `${canary.funnel[i].devices} (${rateText(canary.funnel[i].conversionRate)})`]),
    ...[...new Set([...Object.keys(control.nullRates), ...Object.keys(canary.nullRates)])].sort().map((pair) => [`null ${pair}`, rateText(control.nullRates[pair] ?? null), rateText(canary.nullRates[pair] ?? null)]),
  ];
  const table = document.createElement('table');
  table.id = 'canary-arms-table';
  const head = document.createElement('tr');
  head.append(...['', 'control', 'canary'].map((t) => Object.assign(document.createElement('th'), { textContent: t })));
  table.append(head, ...figures.map(([figure, a, b]) => {
    const tr = document.createElement('tr');
    tr.dataset.figure = figure.trim();
    tr.append(cell(figure), cell(String(a)), cell(String(b)));
    return tr;
  }));
  const replay = document.createElement('p');
  if (c.replayId) replay.textContent = `Replay ${c.replayId} re-ran the canary arm's events under the restored rules (see Replays & backfills).`;
  box.replaceChildren(h, diff, table, replay);
}

$('#canary-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    let changes;
    try {
      changes = JSON.parse($('#canary-changes').value);
    } catch (error) {
      throw new Error(`changes: not JSON (${error.message})`);
    }
    const c = await api('POST', canaryPath(), { changes, percent: Number($('#canary-percent').value) });
    $('#canary-result').textContent = `started ${c.id}`;
    await showCanaries();
    await showArms(c.id);
  } catch (error) {
    showError('#page-error', error);
  }
});

// ---- analysis: funnel, time to convert, adoption, retention, active persons ----

const percent = (rate) => `${(rate * 100).toFixed(1)} %`;
const count = (n) => n.toLocaleString('en-US');
const projectPath = (suffix) => `/api/projects/${encodeURIComponent($('#project').value)}/analysis/${suffix}`;

/** A datetime-local value for a time (in the browser's time zone). */
const localInput = (date) => new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

function setDefaultPeriod() {
  const to = new Date(Math.ceil(Date.now() / 60_000) * 60_000);
  if (!$('#period-to').value) $('#period-to').value = localInput(to);
  if (!$('#period-from').value) $('#period-from').value = localInput(new Date(to.getTime() - 7 * 86_400_000));
}

/** The toolbar's period as the API takes it: ISO-8601 times, half-open [from, to). */
function period() {
  const [from, to] = [$('#period-from').value, $('#period-to').value];
  if (!from || !to) throw new Error('Pick a period: from and to.');
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

/** The project's event names (most frequent first), into every event picker, keeping what was picked. */
async function loadEventNames() {
  if (!$('#project').value) return [];
  if (!state.eventNames) {
    const { events } = await api('GET', `${projectPath('event-names')}?days=90`);
    state.eventNames = events.map((e) => e.event);
  }
  for (const select of document.querySelectorAll('select.event-name')) fillEventPicker(select, select.value);
  return state.eventNames;
}

function fillEventPicker(select, wanted) {
  const names = state.eventNames ?? [];
  select.replaceChildren(...names.map((name) => new Option(name, name)));
  if (wanted && names.includes(wanted)) select.value = wanted;
}

/** Beside every figure: how fresh it is, the SQL it ran (shown on demand, to copy), and the guardrails. */
function showBeside(page, answer) {
  $(`#${page}-result`).hidden = false;
  const f = answer.freshness;
  const line = $(`#${page}-freshness`);
  const written = f.latestWrittenAt ? `newest event in this period written ${new Date(f.latestWrittenAt).toLocaleString()} (${duration(f.ageSeconds)} ago)` : 'no events written in this period';
  const behind = [
    f.undecided > 0 ? `${count(f.undecided)} messages of the last 15 minutes are not decided yet (in flight or held for consent)` : '',
    f.lakePendingPartitions > 0 ? `the lake export has ${count(f.lakePendingPartitions)} partitions to rewrite` : '',
  ].filter(Boolean);
  line.textContent = `Data as of ${new Date(f.now).toLocaleString()}: ${written}.${behind.length ? ` Catching up: ${behind.join('; ')}.` : ''}`;
  line.classList.toggle('behind', f.behind);
  line.dataset.behind = String(f.behind);

  const items = answer.guardrails.map((g) => {
    const li = document.createElement('li');
    li.className = `severity-${g.severity}`;
    li.dataset.code = g.code;
    li.dataset.severity = g.severity;
    li.dataset.subject = g.subject;
    const label = Object.assign(document.createElement('span'), { className: 'severity', textContent: g.severity });
    li.append(label, g.message);
    return li;
  });
  if (items.length === 0) items.push(Object.assign(document.createElement('li'), { className: 'severity-none', textContent: 'Nothing found that makes these numbers misleading.' }));
  $(`#${page}-guardrails ul`).replaceChildren(...items);

  $(`#${page}-sql`).textContent = answer.sql;
}

/** "Show SQL" and "Copy" on every analysis page. */
for (const page of ANALYSIS_PAGES) {
  const toggle = $(`#${page}-sql-toggle`);
  const pre = $(`#${page}-sql`);
  const copy = $(`#${page}-sql-copy`);
  toggle.addEventListener('click', () => {
    pre.hidden = !pre.hidden;
    copy.hidden = pre.hidden;
    toggle.textContent = pre.hidden ? 'Show SQL' : 'Hide SQL';
    toggle.setAttribute('aria-expanded', String(!pre.hidden));
  });
  copy.addEventListener('click', () => {
    const selectIt = () => window.getSelection()?.selectAllChildren(pre);
    const clipboard = window.navigator.clipboard;
    const copied = clipboard ? clipboard.writeText(pre.textContent) : Promise.reject(new Error('no clipboard'));
    copied.then(
      () => (copy.textContent = 'Copied'),
      () => {
        selectIt();
        copy.textContent = 'Selected: press Ctrl+C';
      },
    );
  });
}

/** Runs a page's figure when its form is sent, and again on refresh once it has run. */
function analysisForm(formId, page, run) {
  $(formId).addEventListener('submit', (event) => {
    event.preventDefault();
    showError('#page-error', null);
    state.ran[page] = true;
    run().catch((error) => showError('#page-error', error));
  });
}
// Funnel: pick 2–10 steps from the project's event names, a window and a breakdown.

const MAX_STEPS = 10;

function addStep(wanted) {
  const box = $('#funnel-steps');
  if (box.children.length >= MAX_STEPS) return;
  const step = document.createElement('div');
  step.className = 'step';
  const select = document.createElement('select');
  select.className = 'event-name';
  select.setAttribute('aria-label', 'funnel step');
  fillEventPicker(select, wanted);
  const remove = Object.assign(document.createElement('button'), { type: 'button', textContent: '×', title: 'remove this step' });
  remove.addEventListener('click', () => {
    if (box.children.length > 2) step.remove();
    numberSteps();
  });
  step.append(Object.assign(document.createElement('span'), { className: 'number' }), select, remove);
  box.append(step);
  numberSteps();
}

function numberSteps() {
  [...$('#funnel-steps').children].forEach((step, i) => {
    step.querySelector('.number').textContent = `${i + 1}.`;
    step.querySelector('select').dataset.step = String(i + 1);
  });
}

$('#funnel-add-step').addEventListener('click', () => addStep());

async function showFunnel() {
  const names = await loadEventNames();
  while ($('#funnel-steps').children.length < 2) addStep(names[$('#funnel-steps').children.length]);
  if (state.ran.funnel) await runFunnel();
}

async function runFunnel() {
  const query = new URLSearchParams(period());
  for (const select of document.querySelectorAll('#funnel-steps select')) query.append('steps', select.value);
  query.set('window', $('#funnel-window').value);
  if ($('#funnel-breakdown').value) query.set('breakdown', $('#funnel-breakdown').value);
  const answer = await api('GET', `${projectPath('funnel')}?${query}`);
  const segments = answer.segments ?? [];
  const colors = ['#2f6fdb', '#12a150', '#e0a100', '#b42318', '#6b3fa0', '#0f8b8d', '#8a5a00', '#5b6475'];
  chart('funnel-chart', {
    type: 'bar',
    data: {
      labels: answer.funnel.map((s) => `${s.step}. ${s.event}`),
      datasets: segments.length
        ? segments.map((seg, i) => ({ label: seg.value, data: seg.steps.map((s) => s.persons), backgroundColor: colors[i % colors.length] }))
        : [{ label: 'persons', data: answer.funnel.map((s) => s.persons), backgroundColor: '#2f6fdb' }],
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
  });

  const head = document.createElement('tr');
  for (const title of ['Step', 'Event', 'Persons', 'Conversion', ...segments.map((seg) => `${answer.breakdown}=${seg.value}`)]) head.append(Object.assign(document.createElement('th'), { textContent: title }));
  $('#funnel-table thead').replaceChildren(head);
  $('#funnel-table tbody').replaceChildren(
    ...answer.funnel.map((s) => {
      const tr = document.createElement('tr');
      tr.dataset.step = String(s.step);
      const persons = cell(count(s.persons));
      persons.dataset.figure = 'persons';
      const rate = cell(percent(s.conversionRate));
      rate.dataset.figure = 'conversion';
      tr.append(cell(String(s.step)), cell(s.event), persons, rate);
      for (const seg of segments) {
        const own = seg.steps.find((x) => x.step === s.step);
        const td = cell(own ? count(own.persons) : '0');
        td.dataset.segment = seg.value;
        tr.append(td);
      }
      return tr;
    }),
  );
  $('#funnel-segments').hidden = segments.length === 0;
  $('#funnel-segments tbody').replaceChildren(
    ...segments.map((seg) => {
      const tr = document.createElement('tr');
      tr.dataset.segment = seg.value;
      tr.append(cell(`${answer.breakdown}=${seg.value}`), cell(count(seg.persons)), cell(count(seg.converted)), cell(percent(seg.conversionRate)));
      return tr;
    }),
  );
  showBeside('funnel', answer);
}

analysisForm('#funnel-form', 'funnel', runFunnel);

// Time to convert: started, converted, percentiles and a histogram.

const seconds = (s) => (s === null || s === undefined ? '–' : duration(Math.round(s)));

async function showTimeToConvert() {
  const names = await loadEventNames();
  if ($('#conversion-from-event').value === $('#conversion-to-event').value && names[1]) $('#conversion-to-event').value = names[1];
  if (state.ran['time-to-convert']) await runTimeToConvert();
}

async function runTimeToConvert() {
  const query = new URLSearchParams({ ...period(), fromEvent: $('#conversion-from-event').value, toEvent: $('#conversion-to-event').value, window: $('#conversion-window').value });
  const answer = await api('GET', `${projectPath('time-to-convert')}?${query}`);
  const figure = (name, text) => (document.querySelector(`[data-figure="ttc-${name}"]`).textContent = text);
  figure('started', count(answer.started));
  figure('converted', count(answer.converted));
  figure('rate', answer.started ? percent(answer.converted / answer.started) : '–');
  figure('p50', seconds(answer.p50Seconds));
  figure('p90', seconds(answer.p90Seconds));
  figure('p99', seconds(answer.p99Seconds));
  chart('conversion-chart', {
    type: 'bar',
    data: {
      labels: answer.histogram.map((b) => `${duration(b.fromSeconds)}–${duration(b.toSeconds)}`),
      datasets: [{ label: 'persons converted', data: answer.histogram.map((b) => b.persons), backgroundColor: '#12a150' }],
    },
    options: { scales: { y: { beginAtZero: true } } },
  });
  showBeside('time-to-convert', answer);
}

analysisForm('#conversion-form', 'time-to-convert', runTimeToConvert);

// Feature adoption per day or week, per channel and app version.

async function showAdoption() {
  await loadEventNames();
  if (state.ran.adoption) await runAdoption();
}

async function runAdoption() {
  const query = new URLSearchParams({ ...period(), event: $('#adoption-event').value, interval: $('#adoption-interval').value });
  const answer = await api('GET', `${projectPath('adoption')}?${query}`);
  const series = (b) => `${b.channel} ${b.appVersion ?? '(no app version)'}`;
  const buckets = [...new Set(answer.buckets.map((b) => b.bucket))].sort();
  const names = [...new Set(answer.buckets.map(series))];
  const colors = ['#2f6fdb', '#12a150', '#e0a100', '#b42318', '#6b3fa0', '#0f8b8d'];
  chart('adoption-chart', {
    type: 'line',
    data: {
      labels: buckets.map((b) => new Date(b).toLocaleDateString()),
      datasets: names.map((name, i) => ({
        label: name,
        data: buckets.map((bucket) => {
          const b = answer.buckets.find((x) => x.bucket === bucket && series(x) === name);
          return b ? b.adoptionRate * 100 : null;
        }),
        borderColor: colors[i % colors.length],
      })),
    },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: '% of active persons' } } } },
  });
  $('#adoption-table tbody').replaceChildren(
    ...answer.buckets.map((b) => {
      const tr = document.createElement('tr');
      tr.append(cell(new Date(b.bucket).toLocaleDateString()), cell(b.channel), cell(b.appVersion ?? '–'), cell(count(b.activePersons)), cell(count(b.adopters)), cell(percent(b.adoptionRate)));
      return tr;
    }),
  );
  showBeside('adoption', answer);
}

analysisForm('#adoption-form', 'adoption', runAdoption);

// Retention: weekly cohorts of first-seen persons.

async function showRetention() {
  state.ran.retention = true;
  await runRetention();
}

async function runRetention() {
  const weeks = Number($('#retention-weeks').value);
  const answer = await api('GET', `${projectPath('retention')}?${new URLSearchParams({ ...period(), weeks: String(weeks) })}`);
  const head = document.createElement('tr');
  for (const title of ['Cohort (week of)', 'Persons', ...Array.from({ length: weeks }, (_, i) => `Week ${i + 1}`)]) head.append(Object.assign(document.createElement('th'), { textContent: title }));
  $('#retention-table thead').replaceChildren(head);
  $('#retention-table tbody').replaceChildren(
    ...answer.cohorts.map((c) => {
      const tr = document.createElement('tr');
      tr.dataset.cohort = c.week;
      tr.append(cell(c.week), cell(count(c.persons)));
      for (const w of c.weeks) {
        const td = cell(w.share === null ? '–' : percent(w.share));
        td.className = `share${w.complete ? '' : ' partial'}`;
        if (w.share !== null) td.style.background = `rgba(47, 111, 219, ${Math.min(0.8, w.share)})`;
        td.title = w.share === null ? 'this week has not begun' : `${count(w.active)} of ${count(c.persons)}${w.complete ? '' : ' (week still running)'}`;
        tr.append(td);
      }
      return tr;
    }),
  );
  if (answer.cohorts.length === 0) $('#retention-table tbody').replaceChildren(Object.assign(document.createElement('tr'), { textContent: 'Nobody was first seen in this period.' }));
  const colors = ['#2f6fdb', '#12a150', '#e0a100', '#b42318', '#6b3fa0', '#0f8b8d'];
  chart('retention-chart', {
    type: 'line',
    data: {
      labels: Array.from({ length: weeks }, (_, i) => `week ${i + 1}`),
      datasets: answer.cohorts.map((c, i) => ({ label: c.week, data: c.weeks.map((w) => (w.share === null ? null : w.share * 100)), borderColor: colors[i % colors.length] })),
    },
    options: { scales: { y: { beginAtZero: true, max: 100, title: { display: true, text: '% of the cohort' } } } },
  });
  showBeside('retention', answer);
}

analysisForm('#retention-form', 'retention', runRetention);

// Active persons per day or week and channel.

async function showActivePersons() {
  state.ran['active-persons'] = true;
  await runActivePersons();
}

async function runActivePersons() {
  const answer = await api('GET', `${projectPath('active-persons')}?${new URLSearchParams({ ...period(), interval: $('#active-interval').value })}`);
  const label = (b) => b.channel ?? 'all channels';
  const buckets = [...new Set(answer.buckets.map((b) => b.bucket))].sort();
  const channels = [...new Set(answer.buckets.map(label))];
  const colors = ['#1d2330', '#2f6fdb', '#12a150', '#e0a100', '#b42318', '#6b3fa0'];
  chart('active-chart', {
    type: 'line',
    data: {
      labels: buckets,
      datasets: channels.map((c, i) => ({
        label: c,
        data: buckets.map((bucket) => answer.buckets.find((b) => b.bucket === bucket && label(b) === c)?.activePersons ?? 0),
        borderColor: colors[i % colors.length],
      })),
    },
    options: { scales: { y: { beginAtZero: true } } },
  });
  $('#active-table tbody').replaceChildren(
    ...answer.buckets.map((b) => {
      const tr = document.createElement('tr');
      tr.append(cell(b.bucket), cell(label(b)), cell(count(b.activePersons)));
      return tr;
    }),
  );
  showBeside('active-persons', answer);
}

analysisForm('#active-form', 'active-persons', runActivePersons);

if (state.token) signIn(state.token).catch(() => sessionStorage.removeItem('braid-token'));
