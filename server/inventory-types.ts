// The answers of the inventory routes (server/inventory.ts): types only, no import, so that the web view (web/types.ts)
// takes them as they are.

/** One project of a platform (platform.json). */
export interface InventoryProject {
  name: string;
  repo: string;
  branch?: string;
}

/** One platform: `<home>/platforms/<name>/platform.json` and its environments (its sub-folders named like one). */
export interface InventoryPlatform {
  name: string;
  domain: string;
  ipRange: string;
  projects: InventoryProject[];
  /** Environment names, sorted (one that env:init left halfway is listed too). */
  environments: string[];
}

/** `GET /api/platforms`. */
export interface PlatformsResponse {
  /** The folder holding platforms/ the server reads. */
  home: string;
  platforms: InventoryPlatform[];
  /** Folders under platforms/ named like a platform whose platform.json is missing or malformed. */
  unreadable: Array<{ name: string; problem: string }>;
}

/** A machine of an environment (platform:status's row). */
export interface InventoryMachine {
  name: string;
  ip: string;
  /**
   * Vagrant's state id (`not_created`, `running`, `stopped`, `poweroff`...), or `unknown` (no Vagrantfile, vagrant
   * failed: the environment's `problem` says why). Absent unless the request asked `?machines=true`.
   */
  state?: string;
}

/** One environment of a platform, as `gravity run platform:status` reports it. */
export interface InventoryEnvironment {
  env: string;
  /** Its homepage: http://<env>.<platform>.<domain>/ */
  url: string;
  /** Its sites: http://<site>.<env>.<platform>.<domain>/ each. */
  sites: Array<{ name: string; url: string }>;
  machines: InventoryMachine[];
  /** Whether the host's Bind serves its zone (stanza in the include file and zone file). */
  dns: boolean;
  /** Whether the host's Apache has its virtual hosts file. */
  apache: boolean;
  /** What could not be read: `not initialised (no etc/gravity/env.json)`, `vagrant status: ...`. */
  problem?: string;
}

/** `GET /api/platforms/:platform/environments[?machines=true]`. */
export interface EnvironmentsResponse {
  platform: string;
  domain: string;
  environments: InventoryEnvironment[];
  /** Whether the machines' states were asked (vagrant status) and, if so, when they were read. */
  machines: { asked: boolean; readAt?: string };
}

/** One GitLab instance, as `gravity run gitlab:list` reports it (plus a few fields of its inventory record). */
export interface InventoryGitlabInstance {
  name: string;
  url?: string;
  ip?: string;
  /** The inventory state (commissioning, active, failed, decommissioned), or `unknown` for a container no record knows. */
  state: string;
  container: string;
  /** running, exited... or `missing`; `unknown` when Docker was not asked or could not answer. */
  containerStatus: string;
  health?: string;
  lastBackup?: string;
  lastBackupAgeHours?: number;
  drift?: string;
  /** From the record (absent for a container no record knows). */
  number?: number;
  version?: string;
  lastBackupAt?: string;
}

/** `GET /api/gitlab/instances[?docker=false]`. */
export interface GitlabInstancesResponse {
  instances: InventoryGitlabInstance[];
  /** Whether Docker was asked (default yes), whether it answered (else `problem`), and when. */
  docker: { asked: boolean; ok: boolean; problem?: string; readAt?: string };
}
