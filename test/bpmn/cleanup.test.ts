// cleanup() in BPMN: a sub-process with an error boundary and a cancel signal boundary, round-tripped in every dialect.
import { describe, expect, it } from 'vitest';
import {
  cleanup,
  createMemoryStore,
  decide,
  fail,
  parallel,
  sequence,
  startRun,
  task,
  workflow,
  type Definition,
} from '../../engine/index.js';
import { createModdle } from '../../bpmn/moddle.js';
import { dialectNamed, dialectNames, exportBpmn, importBpmn } from '../../bpmn/index.js';
import { createDefaultRegistry } from '../../tasks/index.js';
import { normalize } from './normalize.js';
import { lintBpmn } from '../support/bpmnlint.js';

/** A backup: a cleanup around a body that may fail, a nested cleanup, and cleanup steps that start with a parallel split. */
const backup: Definition = workflow({
  id: 'test:cleanup-bpmn',
  params: { n: { type: 'integer', default: 1 } },
  steps: sequence(
    task('before', 'log.info', { message: 'before' }),
    cleanup(
      'backup',
      sequence(
        task('stop', 'log.info', { message: 'stop' }, { title: 'Stop the instance' }),
        cleanup(
          'snapshot',
          decide(
            'check',
            [{ when: 'n < 0', then: fail('refuse', 'n must not be negative') }],
            task('dump', 'log.info', { message: 'dump' }),
          ),
          task('unlock', 'log.info', { message: 'unlock' }),
        ),
      ),
      parallel(
        'restart',
        task('start_app', 'log.info', { message: 'app' }, { title: 'Start the app' }),
        task('start_db', 'log.info', { message: 'db' }),
      ),
      'Backup with restart',
    ),
    task('finish', 'log.info', { message: 'finish' }),
  ),
});

async function parse(xml: string, dialect: string) {
  return createModdle(dialectNamed(dialect).packages).fromXML(xml);
}

describe('cleanup() in BPMN', () => {
  it.each(dialectNames)(
    'exports the body as a sub-process with an error boundary and a gravity.cancel signal boundary (%s)',
    async (dialect) => {
      // given the backup workflow, when exported
      const xml = await exportBpmn(backup, { dialect });
      const { warnings, elementsById } = await parse(xml, dialect);
      // then it reads back without warnings, the body is a sub-process, and both boundaries lead to the failure copy
      expect(warnings).toEqual([]);
      expect(elementsById.backup.$type).toBe('bpmn:SubProcess');
      expect(elementsById.backup.name).toBe('Backup with restart');
      const error = elementsById.backup_error;
      const cancel = elementsById.backup_cancel;
      expect(error.attachedToRef.id).toBe('backup');
      expect(error.eventDefinitions[0].$type).toBe('bpmn:ErrorEventDefinition');
      expect(cancel.attachedToRef.id).toBe('backup');
      expect(cancel.eventDefinitions[0].signalRef.name).toBe('gravity.cancel');
      // the failure copy starts with a parallel split that two paths lead to: entered through an exclusive merge
      expect(error.outgoing[0].targetRef.id).toBe('restart_failed_in');
      expect(cancel.outgoing[0].targetRef.id).toBe('restart_failed_in');
      expect(elementsById.backup_rethrow.eventDefinitions[0].$type).toBe('bpmn:ErrorEventDefinition');
      // the nested cleanup is a sub-process inside the first, with its own boundaries; one signal element serves both
      expect(elementsById.snapshot.$parent?.id).toBe('backup');
      expect(elementsById.snapshot_cancel.attachedToRef.id).toBe('snapshot');
      expect(xml.match(/<bpmn:signal /g)).toHaveLength(1);
      // and every element is drawn
      const drawn = Object.values(elementsById)
        .filter((e) => e.$type === 'bpmndi:BPMNShape')
        .map((e) => e.bpmnElement.id);
      expect(drawn).toEqual(
        expect.arrayContaining(['backup', 'backup_error', 'backup_cancel', 'snapshot', 'snapshot_cancel']),
      );
    },
  );

  it.each(dialectNames)('gives back the same definition through the %s dialect, and stays stable', async (dialect) => {
    // given the backup workflow exported, when imported and exported again
    const first = await importBpmn(await exportBpmn(backup, { dialect }), { dialect });
    const again = await importBpmn(await exportBpmn(first.definition, { dialect }), { dialect });
    // then nothing was lost or added
    expect(first.warnings).toEqual([]);
    expect(normalize(first.definition)).toEqual(normalize(backup));
    expect(normalize(again.definition)).toEqual(normalize(first.definition));
  });

  it.each(dialectNames)('runs the cleanup imported from the %s dialect as the definition runs', async (dialect) => {
    // given the backup workflow imported back from BPMN
    const { definition } = await importBpmn(await exportBpmn(backup, { dialect }), { dialect });
    const engine = { store: createMemoryStore(), registry: createDefaultRegistry(), persist: false };
    const ran = async (n: number) => {
      const r = await startRun(engine, definition, { params: { n } });
      return { status: r.status, steps: r.steps.map((x) => x.id), error: r.error?.message };
    };
    // when it succeeds, then both cleanups ran on their success paths and the run carried on
    expect(await ran(1)).toMatchObject({
      status: 'succeeded',
      steps: expect.arrayContaining(['dump', 'unlock', 'start_app', 'start_db', 'finish']),
    });
    // when its body fails, then both cleanups ran on their failure paths and the run failed with the body's message
    const failed = await ran(-1);
    expect(failed).toMatchObject({ status: 'failed', error: 'n must not be negative' });
    expect(failed.steps).toEqual(expect.arrayContaining(['unlock_failed', 'start_app_failed', 'start_db_failed']));
    expect(failed.steps).not.toContain('finish');
  });

  it.each(dialectNames)(
    'draws a diagram Camunda Modeler accepts: camunda-compat clean, boundaries side by side (%s)',
    async (dialect) => {
      // given the backup workflow exported, when linted as Camunda Modeler lints it (recommended + camunda-compat)
      const xml = await exportBpmn(backup, { dialect });
      const problems = await lintBpmn(xml, dialect);
      // then the engine the dialect targets accepts every element, and no two shapes overlap (two boundary events of
      // one host sit side by side, not on top of each other)
      expect(problems.filter((p) => p.rule.startsWith('camunda-compat/') && p.category === 'error')).toEqual([]);
      expect(problems.filter((p) => p.rule === 'no-overlapping-elements')).toEqual([]);
      // and each flow leaving a boundary event starts under that event
      const { elementsById } = await parse(xml, dialect);
      const shapes = Object.values(elementsById).filter((e) => e.$type === 'bpmndi:BPMNShape');
      const edges = Object.values(elementsById).filter((e) => e.$type === 'bpmndi:BPMNEdge');
      for (const id of ['backup_error', 'backup_cancel', 'snapshot_error', 'snapshot_cancel']) {
        const b = shapes.find((s) => s.bpmnElement.id === id)!.bounds;
        const flow = elementsById[id].outgoing[0].id;
        const first = edges.find((e) => e.bpmnElement.id === flow)!.waypoint[0];
        expect({ id, x: first.x }).toEqual({ id, x: b.x + b.width / 2 });
      }
    },
  );

  it('refuses a signal boundary on a sub-process that is not the run cancel, naming it', async () => {
    // given the export with the cancel signal renamed
    const xml = (await exportBpmn(backup)).replace(/name="gravity\.cancel"/, 'name="acme.stop"');
    // when imported, then the boundary is refused by id with what is supported
    await expect(importBpmn(xml)).rejects.toThrow(
      /<backup_cancel> \(bpmn:BoundaryEvent\): bpmn:SignalEventDefinition boundary events on a sub-process are not supported \(error boundaries and an interrupting signal boundary named gravity\.cancel are\)/,
    );
  });
});
