// #/workflows: the catalog. #/workflows/<id>: one workflow's diagram, a form made from its params that starts a run
// (then shows the run's page), and its recent runs.
import { api, ApiError } from './api.js';
import { Diagram } from './diagram.js';
import { fill, h, link, note } from './dom.js';
import { loadWithDiagram, route, type Page } from './page.js';
import { runsTable } from './runs.js';
import type { ParamSpec, RunSummary, WorkflowSummary } from './types.js';

export async function workflowsPage(page: Page): Promise<void> {
  page.title('Workflows');
  fill(page.main, h('p', { class: 'empty' }, 'Loading workflows…'));
  let workflows: WorkflowSummary[];
  try {
    ({ workflows } = await api<{ workflows: WorkflowSummary[] }>('GET', '/api/workflows', undefined, page.signal));
  } catch (e) {
    if (!page.signal.aborted && !(e instanceof ApiError && e.status === 401))
      fill(page.main, note('error', (e as Error).message));
    return;
  }
  const families = new Map<string, WorkflowSummary[]>();
  for (const w of workflows) {
    const f = w.id.includes(':') ? w.id.slice(0, w.id.indexOf(':')) : 'other';
    families.set(f, [...(families.get(f) ?? []), w]);
  }
  fill(
    page.main,
    h('div', { class: 'page-head' }, h('h1', null, 'Workflows')),
    workflows.length === 0 && h('p', { class: 'empty' }, 'The catalog is empty.'),
    [...families].map(([family, list]) =>
      h(
        'section',
        null,
        h('h2', { class: 'family' }, family),
        h(
          'div',
          { class: 'cards' },
          list.map((w) => {
            const n = Object.keys(w.params).length;
            return h(
              'a',
              { class: 'card wf-card', href: `#${route('workflows', w.id)}`, 'data-workflow': w.id },
              h('div', { class: 'mono wf-id' }, w.id),
              h('div', { class: 'wf-title' }, w.title ?? ''),
              w.description && h('p', { class: 'wf-desc' }, w.description),
              h('div', { class: 'muted small' }, n === 0 ? 'no params' : n === 1 ? '1 param' : `${n} params`),
            );
          }),
        ),
      ),
    ),
  );
}

/** A form field for one param, and how to read its value (undefined: not given). */
function field(name: string, p: ParamSpec): { el: HTMLElement; value: () => unknown } {
  const id = `param-${name}`;
  const required = p.required ?? p.default === undefined;
  const label = h(
    'label',
    { for: id, class: 'field-label' },
    h('span', { class: 'mono' }, name),
    required && h('span', { class: 'req', title: 'required' }, ' *'),
    h('span', { class: 'type' }, p.type),
  );
  const help = p.description && h('div', { class: 'help' }, p.description);
  const def =
    p.default === undefined ? undefined : typeof p.default === 'string' ? p.default : JSON.stringify(p.default);
  let input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
  let value: () => unknown;
  if (p.enum && p.enum.length) {
    const sel = h(
      'select',
      { id, name },
      !required && h('option', { value: '' }, def !== undefined ? `default (${def})` : '—'),
      p.enum.map((v) => h('option', { value: JSON.stringify(v) }, String(v))),
    );
    if (required && p.default !== undefined) sel.value = JSON.stringify(p.default);
    input = sel;
    value = () => (sel.value === '' ? undefined : JSON.parse(sel.value));
  } else if (p.type === 'boolean') {
    const sel = h(
      'select',
      { id, name },
      h('option', { value: '' }, def !== undefined ? `default (${def})` : '—'),
      h('option', { value: 'true' }, 'true'),
      h('option', { value: 'false' }, 'false'),
    );
    input = sel;
    value = () => (sel.value === '' ? undefined : sel.value === 'true');
  } else if (p.type === 'array' || p.type === 'object' || p.type === 'json') {
    const ta = h('textarea', { id, name, rows: 3, placeholder: def ?? 'JSON', spellcheck: 'false' });
    input = ta;
    value = () => {
      const t = ta.value.trim();
      if (!t) return undefined;
      try {
        return JSON.parse(t);
      } catch {
        return t; // the server reads it as the command line would and says what is wrong
      }
    };
  } else {
    const inp = h('input', {
      id,
      name,
      type: 'text',
      inputmode: p.type === 'number' || p.type === 'integer' ? 'decimal' : undefined,
      placeholder: def ?? '',
      autocomplete: 'off',
      spellcheck: 'false',
    });
    input = inp;
    value = () => (inp.value === '' ? undefined : inp.value);
  }
  return { el: h('div', { class: 'field' }, label, input, help), value };
}

export async function workflowPage(page: Page): Promise<void> {
  const id = page.args[0] ?? '';
  page.title(id);
  fill(page.main, h('p', { class: 'empty' }, 'Loading workflow…'));
  const loaded = await loadWithDiagram<WorkflowSummary>(
    page,
    `/api/workflows/${encodeURIComponent(id)}`,
    `/api/workflows/${encodeURIComponent(id)}/bpmn`,
    [link('/workflows', 'Workflows'), ' / ', h('span', { class: 'mono' }, id)],
  );
  if (!loaded) return;
  const { data: wf, xml, xmlError } = loaded;

  const operate = page.me.role === 'operate';
  const fields = Object.entries(wf.params ?? {}).map(([name, p]) => ({ name, ...field(name, p) }));
  const errorEl = h('div', { class: 'form-error', 'aria-live': 'assertive' });
  const submit = h('button', { class: 'btn primary', type: 'submit', disabled: !operate }, 'Start run');
  const form = h(
    'form',
    {
      class: 'run-form',
      novalidate: true,
      on: {
        submit: (ev) => {
          ev.preventDefault();
          void start();
        },
      },
    },
    fields.length ? fields.map((f) => f.el) : h('p', { class: 'muted' }, 'This workflow takes no params.'),
    h('div', { class: 'form-actions' }, submit),
    !operate && note('info', 'Starting a run needs an operate token; this one may read only.'),
    errorEl,
  );
  const start = async () => {
    fill(errorEl);
    const params: Record<string, unknown> = {};
    for (const f of fields) {
      const v = f.value();
      if (v !== undefined) params[f.name] = v;
    }
    submit.disabled = true;
    try {
      const r = await api<{ runId: string }>('POST', '/api/runs', { workflow: wf.id, params });
      location.hash = `#${route('runs', r.runId)}`;
    } catch (e) {
      fill(errorEl, note('error', (e as Error).message));
    } finally {
      submit.disabled = !operate;
    }
  };

  const diagram = new Diagram('wf-diagram');
  page.signal.addEventListener('abort', () => diagram.destroy());
  const recent = h('div', { class: 'card flush' }, h('p', { class: 'empty' }, 'Loading…'));
  fill(
    page.main,
    h('div', { class: 'crumbs' }, link('/workflows', 'Workflows'), ' / ', h('span', { class: 'mono' }, wf.id)),
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        null,
        h('h1', null, wf.title ?? wf.id),
        h('div', { class: 'meta' }, h('span', { class: 'mono' }, wf.id)),
        wf.description && h('p', { class: 'lead' }, wf.description),
      ),
    ),
    h(
      'div',
      { class: 'wf-grid' },
      h(
        'section',
        { class: 'card diagram-card' },
        h(
          'div',
          { class: 'card-head' },
          h('h2', null, 'Diagram'),
          h('button', { class: 'btn ghost small', on: { click: () => diagram.fit() } }, 'Fit'),
        ),
        xml ? diagram.element : note('warn', `No diagram: ${xmlError ?? 'unavailable'}`),
      ),
      h('section', { class: 'card panel' }, h('h2', null, 'Start a run'), form),
    ),
    h('section', null, h('h2', null, 'Recent runs'), recent),
  );
  if (xml) {
    try {
      await diagram.load(xml);
    } catch (e) {
      diagram.element.replaceWith(note('error', `The diagram could not be shown: ${(e as Error).message}`));
    }
  }
  try {
    const { runs } = await api<{ runs: RunSummary[] }>(
      'GET',
      `/api/runs?workflow=${encodeURIComponent(wf.id)}&limit=10`,
      undefined,
      page.signal,
    );
    fill(recent, runs.length ? runsTable(runs, { workflow: false }) : h('p', { class: 'empty' }, 'No runs yet.'));
  } catch (e) {
    if (!page.signal.aborted) fill(recent, note('error', (e as Error).message));
  }
}
