// The env.* task nodes (one per task file of this folder), listed so tasks/index.ts registers the whole domain by one name.
import { envHomepage } from './homepage.js';
import { envVagrantfile } from './vagrantfile.js';

export { envHomepage, envVagrantfile };

/** Every env.* task node, in catalog order. */
export const envTasks = [envVagrantfile, envHomepage] as const;
