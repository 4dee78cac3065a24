// #/platforms: the platforms the server knows (GET /api/platforms) and, for each, its environments with links to their
// homepages and sites (GET /api/platforms/<p>/environments; ?machines=true also asks vagrant for the machines' states).
import { api, ApiError } from './api.js';
import { fill, h, link, note, outLink, when } from './dom.js';
import { route, type Page } from './page.js';
import type { EnvironmentsResponse, PlatformsResponse } from './types.js';

/** A missing route (a server without the inventory routes) or platform, said plainly. */
function problem(e: unknown, what: string): HTMLElement {
  if (e instanceof ApiError && e.status === 404)
    return note('info', `${what}: not found on this server (${e.message}).`);
  return note('error', (e as Error).message);
}

const yesNo = (ok: boolean, yes: string, no: string) =>
  h('span', { class: ok ? 'ok' : 'muted', title: ok ? yes : no }, ok ? '✓' : '—');

export async function platformsPage(page: Page): Promise<void> {
  const focus = page.args[0];
  page.title(focus ? `Platform ${focus}` : 'Platforms');
  fill(page.main, h('p', { class: 'empty' }, 'Loading platforms…'));
  let inv: PlatformsResponse;
  try {
    inv = await api<PlatformsResponse>('GET', '/api/platforms', undefined, page.signal);
  } catch (e) {
    if (page.signal.aborted || (e instanceof ApiError && e.status === 401)) return;
    fill(page.main, h('div', { class: 'page-head' }, h('h1', null, 'Platforms')), problem(e, 'The platforms'));
    return;
  }
  const shown = focus ? inv.platforms.filter((p) => p.name === focus) : inv.platforms;
  const sections = shown.map((p) => {
    const envs = h(
      'div',
      { class: 'envs' },
      p.environments.length
        ? h('p', { class: 'empty' }, 'Loading environments…')
        : h('p', { class: 'empty' }, 'No environments yet (', h('code', null, 'gravity run env:init'), ').'),
    );
    const loadEnvs = async (machines: boolean) => {
      if (!p.environments.length) return;
      try {
        const r = await api<EnvironmentsResponse>(
          'GET',
          `/api/platforms/${encodeURIComponent(p.name)}/environments${machines ? '?machines=true' : ''}`,
          undefined,
          page.signal,
        );
        fill(
          envs,
          r.environments.length === 0
            ? h('p', { class: 'empty' }, 'No environments yet.')
            : h(
                'table',
                { class: 'table env-table' },
                h(
                  'thead',
                  null,
                  h(
                    'tr',
                    null,
                    h('th', null, 'Environment'),
                    h('th', null, 'Homepage'),
                    h('th', null, 'Sites'),
                    h('th', null, 'Machines'),
                    h('th', { class: 'center' }, 'DNS'),
                    h('th', { class: 'center' }, 'Apache'),
                  ),
                ),
                h(
                  'tbody',
                  null,
                  r.environments.map((e) =>
                    h(
                      'tr',
                      { 'data-env': e.env },
                      h(
                        'td',
                        null,
                        h('strong', { class: 'mono' }, e.env),
                        e.problem && h('div', { class: 'sub warn-text' }, e.problem),
                      ),
                      h('td', null, outLink(e.url)),
                      h(
                        'td',
                        null,
                        e.sites.length
                          ? h(
                              'ul',
                              { class: 'plain-list' },
                              e.sites.map((s) => h('li', null, outLink(s.url, s.name))),
                            )
                          : h('span', { class: 'muted' }, '—'),
                      ),
                      h(
                        'td',
                        null,
                        e.machines.length
                          ? h(
                              'ul',
                              { class: 'plain-list' },
                              e.machines.map((m) =>
                                h(
                                  'li',
                                  null,
                                  h('span', { class: 'mono' }, m.name),
                                  ' ',
                                  h('span', { class: 'muted' }, m.ip),
                                  m.state && [' ', h('span', { class: `machine ${m.state}` }, m.state)],
                                ),
                              ),
                            )
                          : h('span', { class: 'muted' }, '—'),
                      ),
                      h('td', { class: 'center' }, yesNo(e.dns, 'the host serves its zone', 'no zone on the host')),
                      h('td', { class: 'center' }, yesNo(e.apache, 'virtual hosts in place', 'no virtual hosts')),
                    ),
                  ),
                ),
              ),
          r.machines.asked &&
            r.machines.readAt &&
            h('p', { class: 'muted small' }, 'machines read ', when(r.machines.readAt)),
        );
      } catch (e) {
        if (!page.signal.aborted && !(e instanceof ApiError && e.status === 401))
          fill(envs, problem(e, `The environments of ${p.name}`));
      }
    };
    void loadEnvs(false);
    return h(
      'section',
      { class: 'card platform', 'data-platform': p.name },
      h(
        'div',
        { class: 'card-head' },
        h('h2', null, link(route('platforms', p.name), p.name)),
        h('span', { class: 'muted' }, p.domain, ' · ', p.ipRange),
        p.environments.length > 0 &&
          h('button', { class: 'btn ghost small', on: { click: () => void loadEnvs(true) } }, 'Read machine states'),
      ),
      p.projects.length > 0 &&
        h(
          'p',
          { class: 'small' },
          'Projects: ',
          p.projects.map((pr, i) => [i > 0 && ', ', h('span', { class: 'mono', title: pr.repo }, pr.name)]),
        ),
      envs,
    );
  });
  fill(
    page.main,
    focus
      ? h('div', { class: 'crumbs' }, link('/platforms', 'Platforms'), ' / ', h('span', { class: 'mono' }, focus))
      : null,
    h(
      'div',
      { class: 'page-head' },
      h('h1', null, focus ?? 'Platforms'),
      h('span', { class: 'muted small' }, 'from ', h('code', null, inv.home)),
    ),
    shown.length === 0 &&
      h(
        'p',
        { class: 'empty' },
        focus ? `No platform named ${focus}.` : 'No platforms yet. Create one with ',
        !focus && h('code', null, 'gravity run platform:init'),
        !focus && '.',
      ),
    sections,
    inv.unreadable.length > 0 &&
      note(
        'warn',
        'Unreadable: ',
        inv.unreadable.map((u, i) => [i > 0 && '; ', `${u.name} (${u.problem})`]),
      ),
  );
}
