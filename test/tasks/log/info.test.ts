// log.info: writes its message and data to the run log and echoes the message.
import { describe, expect, it } from 'vitest';
import { logInfo } from '../../../tasks/log/info.js';
import { contextFor } from '../context.js';

describe('log.info', () => {
  it('logs the message with its data at info level', async () => {
    const { ctx, lines } = contextFor(logInfo, { message: 'cloned', data: { repos: 3 } }, { root: '/nonexistent' });
    expect(await logInfo.run(ctx)).toEqual({ message: 'cloned' });
    expect(lines).toEqual([{ level: 'info', message: 'cloned', data: { repos: 3 } }]);
  });
});
