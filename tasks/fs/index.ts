// The fs.* task nodes (one per task file of this folder), listed so tasks/index.ts registers the whole domain by one name.
import { fsCopy } from './copy.js';
import { fsCopyFiles } from './copy-files.js';
import { fsMkdir } from './mkdir.js';
import { fsMove } from './move.js';
import { fsRemove } from './remove.js';
import { fsRender } from './render.js';
import { fsWrite } from './write.js';

export { fsCopy, fsCopyFiles, fsMkdir, fsMove, fsRemove, fsRender, fsWrite };

/** Every fs.* task node, in catalog order. */
export const fsTasks = [fsMkdir, fsWrite, fsCopy, fsCopyFiles, fsMove, fsRemove, fsRender] as const;
