// The web view of gravity serve: a page per hash route (#/runs, #/runs/<id>, #/workflows, #/workflows/<id>,
// #/platforms), each drawn from the JSON API with the token kept in sessionStorage. Without a token it shows the token
// prompt and asks the API for nothing.
import { ApiError, onUnauthorized, token, whoAmI, type Me } from './api.js';
import { fill, h, note } from './dom.js';
import type { Page } from './page.js';
import { platformsPage } from './platforms.js';
import { runPage } from './run.js';
import { runsPage } from './runs.js';
import { workflowPage, workflowsPage } from './workflows.js';

const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const who = document.getElementById('who') as HTMLElement;

let current: AbortController | undefined;
let me: Me | undefined;

/** The token prompt: the only thing shown without a token. */
function prompt(message?: string): void {
  current?.abort();
  me = undefined;
  document.body.classList.add('signed-out');
  fill(nav);
  fill(who);
  document.title = 'gravity: token';
  const input = h('input', {
    id: 'token',
    type: 'password',
    name: 'token',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'paste the token here',
    required: true,
  });
  const err = h('div', { class: 'form-error', 'aria-live': 'assertive' }, message && note('error', message));
  const submit = h('button', { class: 'btn primary', type: 'submit' }, 'Open');
  fill(
    main,
    h(
      'form',
      {
        class: 'card token-card',
        id: 'token-form',
        on: {
          submit: (ev) => {
            ev.preventDefault();
            const t = input.value.trim();
            if (!t) return;
            submit.disabled = true;
            whoAmI(t)
              .then((m) => {
                token.set(t);
                me = m;
                void show();
              })
              .catch((e: unknown) => {
                submit.disabled = false;
                fill(
                  err,
                  note(
                    'error',
                    e instanceof ApiError && e.status === 401
                      ? 'This server does not know that token.'
                      : (e as Error).message,
                  ),
                );
              });
          },
        },
      },
      h('h1', null, 'Token needed'),
      h(
        'p',
        null,
        'This gravity server answers only with a token. Its tokens are in the file ',
        h('code', null, 'tokens.json'),
        ' of its data dir (',
        h('code', null, '$GRAVITY_HOME'),
        ' or ',
        h('code', null, '~/.gravity'),
        '); ',
        h('code', null, 'gravity serve'),
        ' prints where.',
      ),
      h('label', { for: 'token' }, 'Token'),
      h('div', { class: 'token-row' }, input, submit),
      h(
        'p',
        { class: 'muted small' },
        'It is kept in this tab only (sessionStorage) and sent in a header, never in an address.',
      ),
      err,
    ),
  );
  input.focus();
}

onUnauthorized(() => prompt('The server refused the token (unknown or changed): give it again.'));

const PAGES: Array<{ name: string; label: string }> = [
  { name: 'runs', label: 'Runs' },
  { name: 'workflows', label: 'Workflows' },
  { name: 'platforms', label: 'Platforms' },
];

function chrome(active: string): void {
  document.body.classList.remove('signed-out');
  fill(
    nav,
    PAGES.map((p) => h('a', { href: `#/${p.name}`, class: p.name === active ? 'active' : undefined }, p.label)),
  );
  fill(
    who,
    h('span', { class: 'who-name', title: `token "${me!.name}"` }, me!.name),
    h('span', { class: `role role-${me!.role}` }, me!.role),
    h(
      'button',
      {
        class: 'btn ghost small',
        id: 'sign-out',
        on: {
          click: () => {
            token.clear();
            prompt();
          },
        },
      },
      'Forget token',
    ),
  );
}

/** Draws the page of the current hash. */
async function show(): Promise<void> {
  current?.abort();
  if (!token.get()) return prompt();
  const ac = new AbortController();
  current = ac;
  if (!me) {
    try {
      me = await whoAmI();
    } catch (e) {
      if (ac.signal.aborted) return;
      if (e instanceof ApiError && e.status === 401) return; // the prompt is shown
      fill(main, note('error', `The server did not answer: ${(e as Error).message}`));
      return;
    }
    if (ac.signal.aborted) return;
  }
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, qs] = hash.split('?', 2) as [string, string | undefined];
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const name = parts[0] ?? 'runs';
  const page: Page = {
    main,
    signal: ac.signal,
    me,
    args: parts.slice(1),
    query: new URLSearchParams(qs ?? ''),
    title: (t) => (document.title = `${t} · gravity`),
  };
  chrome(name);
  window.scrollTo(0, 0);
  try {
    if (name === 'runs') await (page.args.length ? runPage(page) : runsPage(page));
    else if (name === 'workflows') await (page.args.length ? workflowPage(page) : workflowsPage(page));
    else if (name === 'platforms') await platformsPage(page);
    else fill(main, note('error', `There is no page "${name}".`));
  } catch (e) {
    if (!ac.signal.aborted && !(e instanceof ApiError && e.status === 401))
      fill(main, note('error', (e as Error).message));
  }
}

window.addEventListener('hashchange', () => void show());
void show();
