// #/runs/<id>: one run. Its diagram with each step coloured by its state, kept live from the run's event stream; a side
// panel with the selected step's input, output, error and log; what an operate token may do to the run.
import { api, followEvents } from './api.js';
import { Diagram, legend, type ElementState } from './diagram.js';
import { badge, duration, fill, h, json, link, note, when } from './dom.js';
import { loadWithDiagram, route, type Page } from './page.js';
import { summarizeSteps } from '../engine/journal.js';
import type { JournalEntry, RunDetail, RunRecord, StepSummary } from './types.js';

const LIVE = new Set(['running', 'waiting']);

/**
 * One summary per step execution, folded from the journal by the engine's own code (bundled), with each step's input
 * (its last `task.started`), as the server's GET /api/runs/:id gives them.
 */
export function summarize(journal: JournalEntry[], finished: boolean): StepSummary[] {
  const inputs = new Map<string, unknown>();
  for (const e of journal)
    if (e.type === 'task.started' && e.step && e.input !== undefined) inputs.set(e.step, e.input);
  return summarizeSteps(journal, finished).map((s) => (inputs.has(s.id) ? { ...s, input: inputs.get(s.id) } : s));
}

/** A step status as a diagram colour. */
function elementState(status: string): ElementState | undefined {
  switch (status) {
    case 'succeeded':
    case 'compensated':
      return 'done';
    case 'failed':
      return 'failed';
    case 'running':
      return 'running';
    case 'waiting':
      return 'waiting';
    case 'cancelled':
    case 'interrupted':
      return 'cancelled';
    default:
      return undefined;
  }
}
const RANK: ElementState[] = ['running', 'waiting', 'failed', 'cancelled', 'done', 'skipped'];

export async function runPage(page: Page): Promise<void> {
  const id = page.args[0] ?? '';
  page.title(id);
  const operate = page.me.role === 'operate';
  fill(page.main, h('p', { class: 'empty' }, 'Loading run…'));

  const loaded = await loadWithDiagram<RunDetail>(
    page,
    `/api/runs/${encodeURIComponent(id)}`,
    `/api/runs/${encodeURIComponent(id)}/bpmn`,
    [link('/runs', 'Runs'), ' / ', h('span', { class: 'mono' }, id)],
  );
  if (!loaded) return;
  const { data: detail, xml, xmlError } = loaded;

  let run: RunRecord = detail.run;
  let journal: JournalEntry[] | undefined;
  let steps: StepSummary[] = detail.steps;
  let children = detail.children;
  let selected: string | undefined;
  const liveLog = new Map<string, string>();

  // ------------------------------------------------------------------------------------------------ the page's frame
  const headEl = h('div', { class: 'run-head' });
  const actionsEl = h('div', { class: 'actions', 'aria-label': 'actions' });
  const actionMsg = h('div', { class: 'action-msg', 'aria-live': 'polite' });
  const bannersEl = h('div', { class: 'banners' });
  const diagram = new Diagram('run-diagram');
  const liveEl = h('span', { class: 'live', title: 'live updates' }, 'connecting…');
  const panelEl = h('aside', { class: 'panel', 'aria-label': 'step' });
  const stepsEl = h('div', { class: 'card flush' });
  const childrenEl = h('div');
  const extraEl = h('div');
  fill(
    page.main,
    h('div', { class: 'crumbs' }, link('/runs', 'Runs'), ' / ', h('span', { class: 'mono' }, run.id)),
    h('div', { class: 'page-head' }, headEl, h('div', { class: 'actions-wrap' }, actionsEl, actionMsg)),
    bannersEl,
    h(
      'div',
      { class: 'run-grid' },
      h(
        'section',
        { class: 'card diagram-card' },
        h(
          'div',
          { class: 'card-head' },
          h('h2', null, 'Diagram'),
          legend(),
          liveEl,
          h('button', { class: 'btn ghost small', on: { click: () => diagram.fit() } }, 'Fit'),
        ),
        xml ? diagram.element : note('warn', `No diagram: ${xmlError ?? 'unavailable'}`),
      ),
      panelEl,
    ),
    h('section', null, h('h2', null, 'Steps'), stepsEl),
    childrenEl,
    extraEl,
  );
  page.signal.addEventListener('abort', () => diagram.destroy());

  // ------------------------------------------------------------------------------------------------ rendering
  const ended = () => !LIVE.has(run.status);
  const stepsOf = (elementId: string) => steps.filter((s) => (diagram.elementOf(s.id) ?? s.id) === elementId);
  const waitingAt = () => new Set((run.waiting ?? []).map((w) => w.step));

  const renderHead = () => {
    const end = run.finishedAt ?? (ended() ? run.updatedAt : undefined);
    const ms = Date.parse(end ?? new Date().toISOString()) - Date.parse(run.createdAt);
    fill(
      headEl,
      h('h1', null, run.title ?? run.workflow, ' ', badge(run.status)),
      h(
        'div',
        { class: 'meta' },
        h('span', null, 'workflow ', link(route('workflows', run.workflow), run.workflow)),
        h('span', null, 'started ', when(run.createdAt)),
        h('span', { class: 'run-duration' }, 'took ', duration(ms)),
        run.startedBy && h('span', null, 'by ', run.startedBy),
        run.parent && h('span', null, 'child of ', link(route('runs', run.parent), run.parent)),
      ),
    );
  };

  const act = async (
    button: HTMLButtonElement,
    what: string,
    body: Record<string, unknown>,
    done: string,
  ): Promise<boolean> => {
    button.disabled = true;
    fill(actionMsg, `${done}…`);
    try {
      await api('POST', `/api/runs/${encodeURIComponent(run.id)}/${what}`, body);
      fill(actionMsg, done);
      return true;
    } catch (e) {
      fill(actionMsg, note('error', (e as Error).message));
      return false;
    } finally {
      button.disabled = false;
    }
  };

  const renderActions = () => {
    if (!operate) return fill(actionsEl);
    const s = run.status;
    const buttons: HTMLElement[] = [];
    if (LIVE.has(s)) {
      const b: HTMLButtonElement = h(
        'button',
        { class: 'btn danger', 'data-action': 'cancel', on: { click: () => void act(b, 'cancel', {}, 'Cancelled') } },
        'Cancel',
      );
      buttons.push(b);
    }
    if (['interrupted', 'cancelled', 'detached', 'needs-attention'].includes(s)) {
      const force = h('input', { type: 'checkbox', id: 'resume-force' });
      const b: HTMLButtonElement = h(
        'button',
        {
          class: 'btn primary',
          'data-action': 'resume',
          on: { click: () => void act(b, 'resume', force.checked ? { force: true } : {}, 'Resumed') },
        },
        'Resume',
      );
      buttons.push(
        b,
        h(
          'label',
          { class: 'check', title: 'run again the interrupted steps that are not idempotent' },
          force,
          ' force',
        ),
      );
    }
    if (!LIVE.has(s) && s !== 'rolled-back') {
      const b: HTMLButtonElement = h(
        'button',
        {
          class: 'btn',
          'data-action': 'rollback',
          on: {
            click: () => {
              const yes: HTMLButtonElement = h(
                'button',
                {
                  class: 'btn danger',
                  'data-action': 'rollback-confirm',
                  on: { click: () => void act(yes, 'rollback', {}, 'Rolled back').then(() => renderActions()) },
                },
                'Undo the finished steps',
              );
              fill(
                actionsEl,
                h('span', { class: 'confirm' }, 'Roll back this run? '),
                yes,
                h('button', { class: 'btn ghost', on: { click: () => renderActions() } }, 'Keep it'),
              );
            },
          },
        },
        'Roll back',
      );
      buttons.push(b);
    }
    fill(actionsEl, buttons);
  };

  const renderBanners = () => {
    const parts: HTMLElement[] = [];
    for (const w of run.waiting ?? []) {
      if (w.kind === 'approval') {
        const reason = h('input', { type: 'text', placeholder: 'reason (required to reject)', class: 'reason' });
        const approve: HTMLButtonElement = h(
          'button',
          {
            class: 'btn primary',
            'data-action': 'approve',
            on: {
              click: () =>
                void act(
                  approve,
                  'approve',
                  { step: w.step, ...(reason.value.trim() ? { reason: reason.value.trim() } : {}) },
                  'Approved',
                ),
            },
          },
          'Approve',
        );
        const reject: HTMLButtonElement = h(
          'button',
          {
            class: 'btn danger',
            'data-action': 'reject',
            on: {
              click: () => {
                if (!reason.value.trim()) {
                  fill(actionMsg, note('error', 'A rejection needs a reason.'));
                  reason.focus();
                  return;
                }
                void act(reject, 'reject', { step: w.step, reason: reason.value.trim() }, 'Rejected');
              },
            },
          },
          'Reject',
        );
        parts.push(
          note(
            'warn',
            h('strong', null, w.step),
            ' waits for approval: ',
            w.message,
            w.until && [' (until ', when(w.until), ')'],
            operate && h('div', { class: 'approve-row' }, reason, approve, reject),
          ),
        );
      } else
        parts.push(
          note(
            'warn',
            h('strong', null, w.step),
            ' waits for message ',
            h('code', null, w.message),
            w.key && [' with key ', h('code', null, w.key)],
          ),
        );
    }
    if (run.error)
      parts.push(
        note(
          'error',
          h('strong', null, run.error.step ? `Failed at ${run.error.step}: ` : 'Failed: '),
          run.error.message,
        ),
      );
    if (run.attention) parts.push(note('warn', h('strong', null, 'Needs attention: '), run.attention.message));
    fill(bannersEl, parts);
  };

  const paint = () => {
    const states = new Map<string, ElementState>();
    const put = (el: string | undefined, st: ElementState | undefined) => {
      if (!el || !st) return;
      const had = states.get(el);
      if (!had || RANK.indexOf(st) < RANK.indexOf(had)) states.set(el, st);
    };
    for (const s of steps) put(diagram.elementOf(s.id), elementState(s.status));
    for (const w of run.waiting ?? []) put(diagram.elementOf(w.step), 'waiting');
    // the way in once a step ran, the way out once the run succeeded
    const { start, end } = diagram.events();
    if (steps.length || run.status === 'succeeded') for (const e of start) put(e, 'done');
    if (run.status === 'succeeded') for (const e of end) put(e, 'done');
    diagram.paint(states, ended());
  };

  const renderSteps = () => {
    if (!steps.length) return fill(stepsEl, h('p', { class: 'empty' }, 'No step has started yet.'));
    fill(
      stepsEl,
      h(
        'table',
        { class: 'table steps-table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', null, 'Status'),
            h('th', null, 'Step'),
            h('th', null, 'Task'),
            h('th', null, 'Started'),
            h('th', { class: 'num' }, 'Duration'),
            h('th', { class: 'num' }, 'Attempts'),
          ),
        ),
        h(
          'tbody',
          null,
          steps.map((s) => {
            const el = diagram.elementOf(s.id) ?? s.id;
            return h(
              'tr',
              {
                class: `clickable${el === selected ? ' selected' : ''}`,
                'data-step': s.id,
                on: { click: () => select(el) },
              },
              h('td', null, badge(s.status)),
              h('td', { class: 'mono' }, s.id),
              h('td', { class: 'muted mono' }, s.task),
              h('td', null, when(s.startedAt)),
              h('td', { class: 'num' }, duration(s.durationMs)),
              h('td', { class: 'num' }, String(s.attempts)),
            );
          }),
        ),
      ),
    );
  };

  const renderChildren = () => {
    fill(
      childrenEl,
      children.length > 0 && [
        h('h2', null, 'Child runs'),
        h(
          'div',
          { class: 'card flush' },
          h(
            'ul',
            { class: 'plain-list' },
            children.map((c) =>
              h('li', null, badge(c.status), ' ', link(route('runs', c.runId), h('span', { class: 'mono' }, c.runId))),
            ),
          ),
        ),
      ],
    );
  };

  const renderExtra = () => {
    fill(
      extraEl,
      h(
        'details',
        { class: 'card' },
        h('summary', null, 'Params and output'),
        h('h3', null, 'Params'),
        json(run.params ?? {}),
        h('h3', null, 'Output'),
        json(run.output),
      ),
    );
  };

  // ------------------------------------------------------------------------------------------------ the side panel
  const logPre = h('pre', { class: 'code log' });
  const logNote = h('div', { class: 'muted small' });
  let panelKey = '';
  let logFor: string | undefined;
  const loadLog = async (stepId: string) => {
    logFor = stepId;
    fill(logNote, 'loading…');
    try {
      const r = await api<{ text: string; truncated: boolean }>(
        'GET',
        `/api/runs/${encodeURIComponent(run.id)}/steps/${encodeURIComponent(stepId)}/log`,
        undefined,
        page.signal,
      );
      if (logFor !== stepId) return;
      const live = liveLog.get(stepId) ?? '';
      logPre.textContent = r.text || live || '';
      logPre.hidden = !logPre.textContent;
      fill(logNote, r.truncated ? 'the start is cut: only its end is shown' : !r.text && !live ? 'no output' : '');
    } catch (e) {
      if (logFor === stepId) fill(logNote, note('error', (e as Error).message));
    }
  };

  const renderPanel = () => {
    if (!selected) {
      panelKey = '';
      return fill(
        panelEl,
        h('h2', null, 'Step'),
        h(
          'p',
          { class: 'empty' },
          'Select a step in the diagram or in the list below to see its input, output and log.',
        ),
      );
    }
    const execs = stepsOf(selected);
    // the step itself (a for-each's own execution) before its items; the last execution of a step run again
    const own = execs.filter((x) => x.id === selected);
    const s = own.length ? own[own.length - 1] : execs[execs.length - 1];
    const items = execs.filter((x) => x.id !== selected);
    const waiting = waitingAt().has(selected);
    const key = JSON.stringify([selected, execs, waiting, ended()]);
    if (key === panelKey) return;
    panelKey = key;
    const status = s ? (waiting && s.status === 'running' ? 'waiting' : s.status) : waiting ? 'waiting' : undefined;
    const skipped = !s && !waiting && ended();
    fill(
      panelEl,
      h(
        'div',
        { class: 'panel-head' },
        h('h2', { class: 'mono', 'data-selected': selected }, selected),
        h('div', { class: 'sub' }, diagram.nameOf(selected) ?? ''),
      ),
      h(
        'dl',
        { class: 'facts' },
        h('dt', null, 'Status'),
        h('dd', null, status ? badge(status) : skipped ? badge('skipped') : h('span', { class: 'muted' }, 'not run')),
        s && [
          h('dt', null, 'Task'),
          h('dd', { class: 'mono' }, s.task),
          h('dt', null, 'Started'),
          h('dd', null, when(s.startedAt)),
          h('dt', null, 'Duration'),
          h('dd', null, duration(s.durationMs)),
          h('dt', null, 'Attempts'),
          h('dd', null, String(s.attempts)),
          own.length > 1 && [h('dt', null, 'Executions'), h('dd', null, `${own.length} (the last is shown)`)],
          items.length > 0 && [
            h('dt', null, 'Items'),
            h(
              'dd',
              null,
              h(
                'ul',
                { class: 'plain-list items' },
                items.map((x) =>
                  h(
                    'li',
                    null,
                    badge(x.status),
                    ' ',
                    h('span', { class: 'mono' }, x.id),
                    ' ',
                    h('span', { class: 'muted' }, duration(x.durationMs)),
                    x.error && h('div', { class: 'error-message' }, x.error.message),
                  ),
                ),
              ),
            ),
          ],
          s.child && [h('dt', null, 'Child run'), h('dd', null, link(route('runs', s.child), s.child))],
        ],
      ),
      s?.error &&
        h(
          'section',
          { class: 'step-error' },
          h('h3', null, 'Error'),
          h(
            'div',
            { class: 'error-box' },
            h('div', { class: 'error-title' }, `${s.error.name} (${s.error.code})`),
            h('pre', { class: 'error-message' }, s.error.message),
            s.error.details && h('details', null, h('summary', null, 'details'), json(s.error.details)),
          ),
        ),
      s &&
        h(
          'section',
          null,
          h(
            'div',
            { class: 'section-head' },
            h('h3', null, 'Log'),
            h('button', { class: 'btn ghost small', on: { click: () => void loadLog(s.id) } }, 'Refresh'),
          ),
          logNote,
          logPre,
        ),
      s && s.status !== 'running' && !s.error && h('section', null, h('h3', null, 'Output'), json(s.output)),
      s && h('section', null, h('h3', null, 'Input'), json(s.input)),
    );
    if (s && (logFor !== s.id || s.status !== 'running')) {
      logPre.textContent = liveLog.get(s.id) ?? '';
      logPre.hidden = !logPre.textContent;
      void loadLog(s.id);
    }
  };

  function select(elementId: string | undefined) {
    selected = elementId;
    diagram.select(elementId);
    panelKey = '';
    renderPanel();
    for (const tr of stepsEl.querySelectorAll('tr[data-step]')) {
      const stepId = tr.getAttribute('data-step') ?? '';
      tr.classList.toggle('selected', (diagram.elementOf(stepId) ?? stepId) === elementId);
    }
  }
  diagram.onSelect((elementId) => select(elementId));

  // ------------------------------------------------------------------------------------------------ live updates
  let pending = false;
  const render = () => {
    if (pending) return;
    pending = true;
    setTimeout(() => {
      pending = false;
      if (page.signal.aborted) return;
      if (journal) steps = summarize(journal, ended());
      const at = waitingAt();
      for (const s of steps) if (at.has(s.id) && s.status === 'running') s.status = 'waiting';
      renderHead();
      paint();
      renderSteps();
      renderPanel();
    }, 40);
  };
  let lastStatus = run.status;
  const refreshChildren = async () => {
    try {
      const d = await api<RunDetail>('GET', `/api/runs/${encodeURIComponent(run.id)}`, undefined, page.signal);
      children = d.children;
      renderChildren();
    } catch {
      // the next change tries again
    }
  };

  renderHead();
  renderActions();
  renderBanners();
  renderSteps();
  renderChildren();
  renderExtra();
  renderPanel();
  if (xml) {
    try {
      await diagram.load(xml);
    } catch (e) {
      diagram.element.replaceWith(note('error', `The diagram could not be shown: ${(e as Error).message}`));
    }
  }
  paint();
  if (run.error?.step) select(diagram.elementOf(run.error.step) ?? run.error.step);

  const tick = setInterval(() => {
    if (!ended()) renderHead();
  }, 1000);
  page.signal.addEventListener('abort', () => clearInterval(tick));

  void followEvents(
    `/api/runs/${encodeURIComponent(run.id)}/events`,
    page.signal,
    (e) => {
      let data: unknown;
      try {
        data = JSON.parse(e.data);
      } catch {
        return;
      }
      if (e.event === 'journal') {
        const { index, entry } = data as { index: number; entry: JournalEntry };
        journal ??= [];
        if (index === journal.length) journal.push(entry);
        else if (index < journal.length) journal[index] = entry;
        else return; // a gap cannot happen (the stream resumes after the last id); ignore rather than guess
        render();
      } else if (e.event === 'run') {
        run = data as RunRecord;
        renderActions();
        renderBanners();
        renderExtra();
        if (run.status !== lastStatus) {
          lastStatus = run.status;
          void refreshChildren();
        }
        render();
      } else if (e.event === 'log') {
        const { step, text } = data as { step: string; text: string };
        liveLog.set(step, ((liveLog.get(step) ?? '') + text).slice(-256 * 1024));
        if (logFor === step) {
          logPre.textContent = liveLog.get(step) ?? '';
          logPre.hidden = false;
          fill(logNote, '');
        }
      }
    },
    (connected) => {
      liveEl.textContent = connected ? 'live' : 'reconnecting…';
      liveEl.classList.toggle('on', connected);
    },
  );
}
