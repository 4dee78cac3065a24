// #/runs: the runs, newest first, filtered by workflow and status, read again every few seconds.
import { api, ApiError } from './api.js';
import { badge, duration, fill, h, link, note, when } from './dom.js';
import { every, route, type Page } from './page.js';
import type { RunSummary, WorkflowSummary } from './types.js';

const STATUSES = [
  'running',
  'waiting',
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
  'needs-attention',
  'detached',
  'rolled-back',
];

/** The runs table (also used by a workflow's page). */
export function runsTable(runs: RunSummary[], o: { workflow?: boolean } = {}): HTMLElement {
  return h(
    'table',
    { class: 'table runs-table' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', null, 'Status'),
        h('th', null, 'Run'),
        o.workflow !== false && h('th', null, 'Workflow'),
        h('th', null, 'Started'),
        h('th', { class: 'num' }, 'Duration'),
        h('th', null, 'By'),
      ),
    ),
    h(
      'tbody',
      null,
      runs.map((r) =>
        h(
          'tr',
          { 'data-run': r.runId },
          h('td', null, badge(r.status)),
          h(
            'td',
            null,
            link(route('runs', r.runId), h('span', { class: 'mono' }, r.runId)),
            r.title && h('div', { class: 'sub' }, r.title),
          ),
          o.workflow !== false && h('td', null, link(route('workflows', r.workflow), r.workflow)),
          h('td', null, when(r.createdAt)),
          h('td', { class: 'num' }, duration(r.durationMs)),
          h('td', { class: 'muted' }, r.startedBy ?? 'cli'),
        ),
      ),
    ),
  );
}

export async function runsPage(page: Page): Promise<void> {
  page.title('Runs');
  const workflow = page.query.get('workflow') ?? '';
  const status = page.query.get('status') ?? '';
  const go = (w: string, s: string) => {
    const q = new URLSearchParams();
    if (w) q.set('workflow', w);
    if (s) q.set('status', s);
    const qs = q.toString();
    location.hash = `#/runs${qs ? `?${qs}` : ''}`;
  };
  const wfSelect = h(
    'select',
    { id: 'filter-workflow', on: { change: () => go(wfSelect.value, stSelect.value) } },
    h('option', { value: '' }, 'all workflows'),
  );
  const stSelect = h(
    'select',
    { id: 'filter-status', on: { change: () => go(wfSelect.value, stSelect.value) } },
    h('option', { value: '' }, 'any status'),
    STATUSES.map((s) => h('option', { value: s, selected: s === status }, s === 'succeeded' ? 'done' : s)),
  );
  const body = h('div', { class: 'card flush' }, h('p', { class: 'empty' }, 'Loading runs…'));
  fill(
    page.main,
    h(
      'div',
      { class: 'page-head' },
      h('h1', null, 'Runs'),
      h(
        'div',
        { class: 'filters' },
        h('label', null, 'Workflow ', wfSelect),
        h('label', null, 'Status ', stSelect),
        (workflow || status) && h('button', { class: 'btn ghost', on: { click: () => go('', '') } }, 'Clear'),
      ),
    ),
    body,
  );

  api<{ workflows: WorkflowSummary[] }>('GET', '/api/workflows', undefined, page.signal)
    .then(({ workflows }) => {
      const ids = workflows.map((w) => w.id);
      if (workflow && !ids.includes(workflow)) ids.unshift(workflow);
      for (const id of ids) wfSelect.append(h('option', { value: id, selected: id === workflow }, id));
    })
    .catch(() => undefined);

  const load = async () => {
    const q = new URLSearchParams({ limit: '100' });
    if (workflow) q.set('workflow', workflow);
    if (status) q.set('status', status);
    try {
      const { runs, unreadable } = await api<{ runs: RunSummary[]; unreadable: unknown[] }>(
        'GET',
        `/api/runs?${q}`,
        undefined,
        page.signal,
      );
      if (page.signal.aborted) return;
      fill(
        body,
        runs.length
          ? runsTable(runs)
          : h(
              'p',
              { class: 'empty' },
              workflow || status ? 'No run matches these filters.' : 'No runs yet. Start one from ',
              !(workflow || status) && link('/workflows', 'a workflow'),
              !(workflow || status) && '.',
            ),
        unreadable.length > 0 && note('warn', `${unreadable.length} run record(s) could not be read.`),
      );
    } catch (e) {
      if (page.signal.aborted || (e instanceof ApiError && e.status === 401)) return;
      fill(body, note('error', (e as Error).message));
    }
  };
  await load();
  every(page, 3000, () => void load());
}
