// docker.build: builds an image from a folder with a Dockerfile, tagged; building the same tag again is safe.
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { formatCommand } from '../support/format.js';
import { resolvePath } from '../support/paths.js';
import { docker, dockerCommand, imageRef } from './support.js';

const input = z.strictObject({
  context: z.string().min(1).describe('The build context: a folder (relative paths from the run root).'),
  tag: imageRef.describe('The tag the image gets, e.g. gravity/gitlab-stand-in:17.5.1.'),
  file: z.string().min(1).optional().describe('The Dockerfile, when it is not <context>/Dockerfile.'),
  buildArgs: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a build arg name'), z.string())
    .optional()
    .describe('--build-arg NAME=value pairs.'),
  labels: z.record(z.string().min(1), z.string()).optional().describe('Labels set on the image.'),
});

const args = (i: z.output<typeof input>, root: string) => [
  'build',
  '--quiet',
  '--tag',
  i.tag,
  ...(i.file ? ['--file', resolvePath(root, i.file)] : []),
  ...Object.entries(i.buildArgs ?? {}).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
  ...Object.entries(i.labels ?? {}).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
  '--',
  resolvePath(root, i.context),
];

/** Builds and tags an image (docker build); outputs its id. */
export const dockerBuild = defineTask({
  id: 'docker.build',
  title: 'Build an image',
  description:
    'Builds an image from a context folder (docker build --quiet --tag), its Dockerfile, build args and labels given; outputs the image id and tag. Building the same tag again is safe (idempotent); the image is kept on rollback (other runs may use it).',
  input,
  output: z.object({
    imageId: z.string().describe('The image id (sha256:...).'),
    tag: z.string().describe('The tag it was given.'),
  }),
  idempotent: true,
  timeoutMs: 30 * 60_000,
  plan: (i) => [formatCommand(dockerCommand(), args(i, '.'))],
  async run(ctx) {
    const r = await docker(ctx, args(ctx.input, ctx.root), { stream: true });
    const imageId = r.stdout.trim().split('\n').pop() ?? '';
    if (!/^sha256:[a-f0-9]{64}$/.test(imageId))
      throw new TaskError(`docker build of ${ctx.input.tag} printed no image id (got ${JSON.stringify(imageId)})`);
    return { imageId, tag: ctx.input.tag };
  },
});
