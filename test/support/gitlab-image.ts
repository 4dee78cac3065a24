// A stand-in for GitLab's Omnibus Docker image (gitlab/gitlab-ce), built at test time from busybox (no registry is
// reachable here): busybox sh scripts that behave like GitLab where gravity's GitLab workflows touch it.
//
// What it does, and what tests and workflows may rely on:
// - tag `gravity-test/gitlab-ce:<version>-ce.0`; volumes /etc/gitlab, /var/log/gitlab, /var/opt/gitlab; first line of
//   /opt/gitlab/version-manifest.txt `gitlab-ce <version>`; /opt/gitlab/embedded/service/gitlab-rails/VERSION and
//   /RELEASE as GitLab's; users root and git (uid/gid 998, as GitLab's).
// - CMD /assets/wrapper: copies the commented /opt/gitlab/etc/gitlab.rb.template to /etc/gitlab/gitlab.rb (0600) when
//   missing, runs `gitlab-ctl reconfigure` (which also makes gitlab-secrets.json when missing), then keeps running;
//   SIGTERM (docker stop) runs `gitlab-ctl stop` and exits 0. A failed reconfigure ends the container (exit 1).
// - The effective config is GitLab's: `external_url "http://<hostname>"`, then GITLAB_OMNIBUS_CONFIG, then
//   /etc/gitlab/gitlab.rb, the last setting winning (GitLab's docker/assets/gitlab.rb evals the env var and then
//   loads gitlab.rb, so gitlab.rb wins over the env var). Only external_url, nginx['listen_addresses'] and
//   nginx['listen_port'] are read; other settings are ignored.
// - Services puma, sidekiq, nginx, gitlab-workhorse, postgresql, redis, gitaly: one waiting process each, pid files in
//   /run/gitlab (inside the container, wiped at boot). The web service (busybox httpd) runs while nginx,
//   gitlab-workhorse and puma all run, on the external_url's host and port (80 for http, 443 for https, or the URL's),
//   serving /-/health (`GitLab OK`), /-/readiness and /-/liveness (`{"status":"ok"}`) and / (a page naming the
//   external_url and the version). `nginx['listen_addresses'] = ['127.0.0.x']` (one address) and
//   `nginx['listen_port'] = N` override the address and port, as in GitLab. Only a loopback address (127.x.y.z,
//   localhost) is ever bound: anything else fails the reconfigure, as does a URL path (no relative URL root). https
//   URLs are served as plain http on their port.
// - `gitlab-ctl reconfigure|start [svc]|stop [svc]|restart [svc]|status [svc]|tail [svc]`; see GITLAB_CTL_SCRIPT.
// - `gitlab-backup create|restore` (and `gitlab-rake gitlab:backup:create|restore`); see GITLAB_BACKUP_SCRIPT.
// - Data for tests: plain files under /var/opt/gitlab/git-data/repositories/<name>.git/ (write them with docker exec
//   or in the host folder bound to /var/opt/gitlab); a backup carries that tree, a restore puts it back.
import { buildBusyboxImage, type TestDocker } from './docker.js';

/** The GitLab version the stand-in claims when none is asked. */
export const GITLAB_VERSION = '17.5.1';
/** The image's repository; the tag is `<version>-ce.0`, as GitLab's. */
export const GITLAB_IMAGE_REPO = 'gravity-test/gitlab-ce';
/** The tag of the stand-in for `version`. */
export const gitlabStandInTag = (version = GITLAB_VERSION): string => `${GITLAB_IMAGE_REPO}:${version}-ce.0`;

/** GitLab's three volumes, where the workflows bind-mount host folders. */
export const GITLAB_VOLUMES = { config: '/etc/gitlab', logs: '/var/log/gitlab', data: '/var/opt/gitlab' } as const;

/** Paths in the container. */
export const GITLAB_PATHS = {
  gitlabRb: '/etc/gitlab/gitlab.rb',
  secrets: '/etc/gitlab/gitlab-secrets.json',
  versionManifest: '/opt/gitlab/version-manifest.txt',
  /** `<version>` alone, as GitLab's. */
  railsVersion: '/opt/gitlab/embedded/service/gitlab-rails/VERSION',
  /** Where data lives, one folder per repository: `<name>.git/`. */
  repositories: '/var/opt/gitlab/git-data/repositories',
  /** `<id>_gitlab_backup.tar` files. */
  backups: '/var/opt/gitlab/backups',
  /** One line, the UTC time of the last successful reconfigure (`2024-10-17T12:00:00Z`). */
  reconfiguredAt: '/var/opt/gitlab/reconfigured-at',
  healthcheck: '/opt/gitlab/bin/gitlab-healthcheck',
  /** `url='http://<host>:<port>/-/health'`, written by reconfigure, read by the healthcheck. */
  healthcheckRc: '/opt/gitlab/etc/gitlab-healthcheck-rc',
  /** The services' pid files (`<service>.pid`, `web.pid` for httpd) and start/stop times (`<service>.since`). */
  runDir: '/run/gitlab',
} as const;

/** The same folders relative to the host folder bound to /var/opt/gitlab. */
export const GITLAB_DATA_DIRS = {
  repositories: 'git-data/repositories',
  backups: 'backups',
  reconfiguredAt: 'reconfigured-at',
} as const;

/** The services `gitlab-ctl status` lists, in its order. */
export const GITLAB_SERVICES = [
  'gitaly',
  'gitlab-workhorse',
  'nginx',
  'postgresql',
  'puma',
  'redis',
  'sidekiq',
] as const;
/** The web service (/-/health) answers while all of these run. */
export const GITLAB_WEB_SERVICES = ['gitlab-workhorse', 'nginx', 'puma'] as const;

/** The image's HEALTHCHECK (GitLab's: 60 s interval, 30 s timeout, 5 retries; faster here for tests). */
export const GITLAB_HEALTHCHECK = {
  command: '/opt/gitlab/bin/gitlab-healthcheck --fail --max-time 10',
  intervalMs: 1000,
  timeoutMs: 3000,
  retries: 3,
  startPeriodMs: 0,
} as const;

/** GitLab's git user, owner of the backups (mode 0600) and of git-data. */
export const GITLAB_GIT_USER = { name: 'git', uid: 998, gid: 998 } as const;

/** A backup archive's name ends so; its id is the name without it. */
export const GITLAB_BACKUP_SUFFIX = '_gitlab_backup.tar';
/** A backup archive made without BACKUP=: `<unix time>_<YYYY>_<MM>_<DD>_<version>_gitlab_backup.tar`. */
export const GITLAB_BACKUP_NAME = /^(\d{10})_(\d{4})_(\d{2})_(\d{2})_(\d+\.\d+\.\d+)_gitlab_backup\.tar$/;

/** A shell script as written: backslashes kept, `\${` written for the shell's `${` (no interpolation). */
const sh = (s: TemplateStringsArray, ...none: never[]): string => s.raw.join('').replaceAll('\\${', '${');

/** Shared by the scripts (sourced): paths, services, the web service. */
const LIB_SCRIPT = sh`# Shared by the GitLab stand-in's scripts (sourced): where things are, the services, the web service.
VERSION=$(cat /opt/gitlab/embedded/service/gitlab-rails/VERSION)
SERVICES='gitaly gitlab-workhorse nginx postgresql puma redis sidekiq'
# the web service answers while these all run (GitLab's nginx -> gitlab-workhorse -> puma)
WEB_CHAIN='gitlab-workhorse nginx puma'
RUN_DIR=/run/gitlab
WEB_ENV=/opt/gitlab/etc/gitlab-web.env
HEALTHCHECK_RC=/opt/gitlab/etc/gitlab-healthcheck-rc
PUBLIC=/opt/gitlab/embedded/service/gitlab-rails/public
DATA=/var/opt/gitlab
BACKUPS=$DATA/backups
REPOSITORIES=$DATA/git-data/repositories
mkdir -p "$RUN_DIR"

# cmdline <pid>: the process's command line; empty when it is gone or a zombie
cmdline() {
  tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" || true
}

# marker <service|web>: what the command line of that process contains
marker() {
  if [ "$1" = web ]; then echo 'httpd -f'; else echo "gitlab-service $1"; fi
}

# is_running <service|web>: its pid file names a live process that is still that service
is_running() {
  [ -f "$RUN_DIR/$1.pid" ] || return 1
  case "$(cmdline "$(cat "$RUN_DIR/$1.pid")")" in
    *"$(marker "$1")"*) return 0 ;;
    *) return 1 ;;
  esac
}

# stop_process <service|web>: TERM, KILL after 5 s, and wait until it is gone
stop_process() {
  if is_running "$1"; then
    _pid=$(cat "$RUN_DIR/$1.pid")
    kill "$_pid" 2>/dev/null || true
    _n=0
    while [ -n "$(cmdline "$_pid")" ] && [ "$_n" -lt 100 ]; do
      _n=$((_n + 1))
      if [ "$_n" -eq 50 ]; then kill -9 "$_pid" 2>/dev/null || true; fi
      sleep 0.1
    done
  fi
  rm -f "$RUN_DIR/$1.pid"
}

start_service() {
  if is_running "$1"; then return 0; fi
  mkdir -p "/var/log/gitlab/$1"
  gitlab-service "$1" </dev/null >>"/var/log/gitlab/$1/current" 2>&1 &
  echo "$!" >"$RUN_DIR/$1.pid"
  date +%s >"$RUN_DIR/$1.since"
  _n=0
  until is_running "$1"; do
    _n=$((_n + 1))
    if [ "$_n" -gt 100 ]; then
      echo "fail: $1: did not start" >&2
      return 1
    fi
    sleep 0.05
  done
}

stop_service() {
  if is_running "$1"; then
    stop_process "$1"
    date +%s >"$RUN_DIR/$1.since"
  elif [ ! -f "$RUN_DIR/$1.since" ]; then
    date +%s >"$RUN_DIR/$1.since"
  fi
}

web_wanted() {
  for _s in $WEB_CHAIN; do
    is_running "$_s" || return 1
  done
}

# start_web: httpd on the address of the last reconfigure, until /-/health answers (fails after 5 s)
start_web() {
  if is_running web; then return 0; fi
  if [ ! -r "$WEB_ENV" ]; then
    echo "fail: nginx: not configured: run gitlab-ctl reconfigure" >&2
    return 1
  fi
  . "$WEB_ENV"
  mkdir -p /var/log/gitlab/nginx
  httpd -f -v -p "$LISTEN" -h "$PUBLIC" </dev/null >>/var/log/gitlab/nginx/current 2>&1 &
  _web=$!
  echo "$_web" >"$RUN_DIR/web.pid"
  _n=0
  # (timeout, not wget -T: Debian's static busybox 1.35 wget crashes with -T)
  until timeout 1 wget -q -O /dev/null "$HEALTH_URL" >/dev/null 2>&1; do
    _n=$((_n + 1))
    if [ -z "$(cmdline "$_web")" ] || [ "$_n" -gt 50 ]; then
      echo "fail: nginx: the web service does not answer on $LISTEN; its last lines:" >&2
      tail -n 3 /var/log/gitlab/nginx/current >&2 || true
      stop_process web
      return 1
    fi
    sleep 0.1
  done
}

# sync_web: the web service runs exactly while nginx, gitlab-workhorse and puma all run
sync_web() {
  if web_wanted; then start_web; else stop_process web; fi
}
`;

/** One service: a process that waits until it is stopped. */
const SERVICE_SCRIPT = sh`#!/bin/sh
# One service of the GitLab stand-in (puma, sidekiq...): a process that waits until it is stopped (TERM).
set -eu
child=
trap 'if [ -n "$child" ]; then kill "$child" 2>/dev/null || true; fi; echo "$(date -u) $1: stopped"; exit 0' TERM INT
echo "$(date -u) $1: started"
while :; do
  sleep 3600 &
  child=$!
  wait "$child" || true
done
`;

/** gitlab-ctl: reconfigure and the services, printing as GitLab's (runit's sv) does. */
export const GITLAB_CTL_SCRIPT = sh`#!/bin/sh
# gitlab-ctl of the GitLab stand-in, printing as GitLab's does (runit's sv lines):
#   reconfigure            read external_url (default http://<hostname>, then GITLAB_OMNIBUS_CONFIG, then
#                          /etc/gitlab/gitlab.rb: the last one wins) and nginx['listen_addresses'|'listen_port'], make
#                          gitlab-secrets.json and the data folders when missing, start every service, (re)start the
#                          web service on the URL's host:port (or nginx's listen address and port), write
#                          /var/opt/gitlab/reconfigured-at, print "gitlab Reconfigured!". A bad external_url fails
#                          (exit 1, "There was an error running gitlab-ctl reconfigure:" and the reason on stderr)
#                          and changes nothing.
#   start|stop|restart [service]   "ok: run: puma: (pid 123) 0s" / "ok: down: puma: 0s, normally up" per service
#   status [service]       "run: puma: (pid 123) 42s" or "down: puma: 5s, normally up" per service; exit 0
#   tail [service]         follow the services' logs (/var/log/gitlab/<service>/current)
set -eu
. /opt/gitlab/embedded/lib/gitlab-stand-in.sh

usage() {
  echo "gitlab-ctl: command (subcommand)"
  echo "reconfigure"
  echo "  Reconfigure the application."
  echo "start, stop, restart, status, tail [service]"
  echo "  Start, stop or restart the services, show their status, watch their logs."
  echo "  Services: $SERVICES"
  exit 1
}

# services [service]: that one (checked) or all
services() {
  if [ $# -eq 0 ]; then
    echo "$SERVICES"
    return 0
  fi
  case " $SERVICES " in
    *" $1 "*) echo "$1" ;;
    *)
      echo "fail: $1: unknown service (the services: $SERVICES)" >&2
      exit 1
      ;;
  esac
}

status_line() {
  _now=$(date +%s)
  _since=$(cat "$RUN_DIR/$1.since" 2>/dev/null || echo "$_now")
  if is_running "$1"; then
    echo "run: $1: (pid $(cat "$RUN_DIR/$1.pid")) $((_now - _since))s"
  else
    echo "down: $1: $((_now - _since))s, normally up"
  fi
}

# setting <ERE>: \1 of the last line of the effective config matching ^<ERE>: GitLab's docker defaults
# (external_url "http://<hostname>"), then GITLAB_OMNIBUS_CONFIG, then /etc/gitlab/gitlab.rb (later ones win)
setting() {
  {
    echo "external_url \"http://$(hostname)\""
    printf '%s\n' "\${GITLAB_OMNIBUS_CONFIG:-}"
    cat /etc/gitlab/gitlab.rb 2>/dev/null || true
  } | tr ';' '\n' | sed -n -E "s/^[[:space:]]*$1.*/\1/p" | tail -n 1
}

reconfigure_failed() {
  {
    echo
    echo "There was an error running gitlab-ctl reconfigure:"
    echo
    echo "$1"
    echo
  } >&2
  exit 1
}

random_hex() {
  od -An -v -tx1 -N"$1" /dev/urandom | tr -d ' \n'
}

write_secrets() {
  cat <<EOF
{
  "gitlab_workhorse": { "secret_token": "$(random_hex 32)" },
  "gitlab_shell": { "secret_token": "$(random_hex 64)" },
  "gitlab_rails": {
    "secret_key_base": "$(random_hex 64)",
    "db_key_base": "$(random_hex 64)",
    "otp_key_base": "$(random_hex 64)",
    "encrypted_settings_key_base": "$(random_hex 64)"
  },
  "gitlab_pages": { "api_secret_key": "$(random_hex 32)" },
  "registry": { "http_secret": "$(random_hex 64)" }
}
EOF
}

write_index() {
  cat >"$PUBLIC/index.html" <<EOF
<!DOCTYPE html>
<html>
<head><title>GitLab</title></head>
<body>
<h1>GitLab Community Edition $VERSION</h1>
<p>This is the GitLab instance at $1 (a stand-in for gravity's tests).</p>
</body>
</html>
EOF
}

reconfigure() {
  echo "[$(date -u '+%Y-%m-%dT%H:%M:%S+00:00')] INFO: Started the reconfigure of the GitLab stand-in (gitlab-ce $VERSION)"
  url=$(setting "external_url[[:space:](]+['\"]([^'\"]*)['\"]")
  # nginx['listen_addresses'] = ['127.0.0.11'] and nginx['listen_port'] = 8080, as GitLab's nginx takes them
  addresses=$(setting "nginx\[['\"]listen_addresses['\"]\][[:space:]]*=[[:space:]]*\[([^]]*)\]" | tr -d " '\"")
  listen_port=$(setting "nginx\[['\"]listen_port['\"]\][[:space:]]*=[[:space:]]*['\"]?([0-9]+)")
  fqdn='GitLab external URL must include a schema and FQDN, e.g. http://gitlab.example.com/'
  case $url in
    *://*) ;;
    *) reconfigure_failed "$fqdn" ;;
  esac
  scheme=\${url%%://*}
  rest=\${url#*://}
  hostport=\${rest%%/*}
  path=\${rest#"$hostport"}
  host=\${hostport%%:*}
  port=\${hostport#"$host"}
  port=\${port#:}
  if [ -z "$host" ]; then reconfigure_failed "$fqdn"; fi
  case $scheme in
    http) default_port=80 ;;
    https) default_port=443 ;;
    *) reconfigure_failed "Unsupported external URL scheme: $scheme" ;;
  esac
  case $port in
    '') port=$default_port ;;
    *[!0-9]*) reconfigure_failed "bad URI(is not URI?): \"$url\"" ;;
  esac
  case $path in
    '' | /) ;;
    *) reconfigure_failed "The GitLab stand-in serves no relative URL root: external_url '$url' has the path $path" ;;
  esac
  if [ -n "$listen_port" ]; then port=$listen_port; fi
  # the address: nginx['listen_addresses'] when set (one only), else external_url's host
  case $addresses in
    '') if [ "$host" = localhost ]; then bind=127.0.0.1; else bind=$host; fi ;;
    *,*) reconfigure_failed "The GitLab stand-in listens on one address: nginx['listen_addresses'] has $addresses" ;;
    *) bind=$addresses ;;
  esac
  if ! echo "$bind" | grep -Eq '^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$'; then
    reconfigure_failed "The GitLab stand-in serves only on a loopback address (127.x.y.z or localhost), not $bind: set external_url's host or nginx['listen_addresses'] to one"
  fi

  mkdir -p "$REPOSITORIES" "$BACKUPS" /var/log/gitlab/reconfigure
  chown git:git "$DATA/git-data" "$REPOSITORIES" "$BACKUPS"
  chmod 0700 "$DATA/git-data" "$BACKUPS"
  chmod 2770 "$REPOSITORIES"
  if [ ! -e /etc/gitlab/gitlab-secrets.json ]; then
    (umask 077 && write_secrets >/etc/gitlab/gitlab-secrets.json)
    echo "Generated /etc/gitlab/gitlab-secrets.json"
  fi
  {
    echo "EXTERNAL_URL='$url'"
    echo "LISTEN='$bind:$port'"
    echo "HEALTH_URL='http://$bind:$port/-/health'"
  } >"$WEB_ENV"
  echo "url='http://$bind:$port/-/health'" >"$HEALTHCHECK_RC"
  write_index "$url"

  stop_process web
  for s in $SERVICES; do start_service "$s"; done
  start_web || reconfigure_failed "The web service did not start on $bind:$port"
  date -u '+%Y-%m-%dT%H:%M:%SZ' >"$DATA/reconfigured-at"
  echo "external_url $url: the web service answers on $bind:$port"
  echo "Running handlers complete"
  echo "gitlab Reconfigured!"
}

cmd=\${1:-help}
if [ $# -gt 0 ]; then shift; fi
case $cmd in
  start | stop | restart | status | tail) targets=$(services "$@") ;;
esac
case $cmd in
  reconfigure)
    if [ $# -gt 0 ]; then
      echo "The command reconfigure does not accept any arguments"
      exit 2
    fi
    reconfigure
    ;;
  start)
    for s in $targets; do start_service "$s"; done
    sync_web
    for s in $targets; do echo "ok: $(status_line "$s")"; done
    ;;
  stop)
    for s in $targets; do stop_service "$s"; done
    sync_web
    for s in $targets; do echo "ok: $(status_line "$s")"; done
    ;;
  restart)
    for s in $targets; do stop_service "$s"; done
    sync_web
    for s in $targets; do start_service "$s"; done
    sync_web
    for s in $targets; do echo "ok: $(status_line "$s")"; done
    ;;
  status)
    for s in $targets; do status_line "$s"; done
    ;;
  tail)
    logs=
    for s in $targets; do logs="$logs /var/log/gitlab/$s/current"; done
    # shellcheck disable=SC2086
    exec tail -F $logs
    ;;
  help) usage ;;
  *)
    echo "I don't know that command."
    usage
    ;;
esac
`;

/** gitlab-backup: create and restore, printing as GitLab's does. */
export const GITLAB_BACKUP_SCRIPT = sh`#!/bin/sh
# gitlab-backup of the GitLab stand-in: create and restore as GitLab's (gitlab-rake gitlab:backup:create|restore).
# Options are KEY=VALUE words (or environment variables), as GitLab's: SKIP=db,repositories BACKUP=<id> force=yes
# GITLAB_ASSUME_YES=1. GitLab's messages go to stdout, as GitLab prints them; the stand-in's own refusals to stderr.
#   create    needs the web service (puma, gitlab-workhorse, nginx), postgresql and gitaly running; writes
#             /var/opt/gitlab/backups/<id>_gitlab_backup.tar (git:git, 0600), id <unix time>_<YYYY_MM_DD>_<version> or
#             BACKUP=<id>, holding backup_information.yml, db/database.sql.gz and repositories/default/ (a copy of
#             /var/opt/gitlab/git-data/repositories); never /etc/gitlab. Ends with "Backup <id> is done."
#   restore   finds the archive (BACKUP=<id>, or the only one), refuses another GitLab version, needs puma and sidekiq
#             stopped and postgresql and gitaly running, asks "Do you want to continue (yes/no)?" unless force=yes
#             (no answer: "Quitting...", exit 1), then replaces git-data/repositories with the archive's. Ends with
#             "Restore task is done."
set -eu
. /opt/gitlab/embedded/lib/gitlab-stand-in.sh
SUFFIX=_gitlab_backup.tar

say() {
  echo "$(date -u '+%Y-%m-%d %H:%M:%S UTC') -- $*"
}

usage() {
  echo "Usage: gitlab-backup create|restore [OPTIONS]"
  echo "  create: make a backup (SKIP=db,repositories BACKUP=<id>)"
  echo "  restore: restore a backup (BACKUP=<id> force=yes)"
  exit 1
}

refuse() {
  echo "gitlab-backup: $*" >&2
  exit 1
}

skipped() {
  case ",\${SKIP:-}," in
    *",$1,"*) return 0 ;;
    *) return 1 ;;
  esac
}

create() {
  for s in puma gitlab-workhorse nginx postgresql gitaly; do
    is_running "$s" || refuse "$s is down: the stand-in makes a backup only of a running GitLab (gitlab-ctl start)"
  done
  if skipped tar; then refuse "SKIP=tar is not supported by the GitLab stand-in"; fi
  now=$(date +%s)
  default_id=\${now}_$(date -u -d "@$now" +%Y_%m_%d)_$VERSION
  id=$(basename "\${BACKUP:-$default_id}")
  stage=$BACKUPS/tmp/$id
  trap 'rm -rf "$stage"' EXIT
  rm -rf "$stage"
  mkdir -p "$stage"
  contents=backup_information.yml
  if skipped db; then
    say "Dumping database ... [SKIPPED]"
  else
    say "Dumping database ... "
    mkdir "$stage/db"
    echo "-- GitLab stand-in $VERSION: no database" | gzip >"$stage/db/database.sql.gz"
    say "Dumping PostgreSQL database gitlabhq_production ... [DONE]"
    say "Dumping database ... done"
    contents="$contents db"
  fi
  if skipped repositories; then
    say "Dumping repositories ... [SKIPPED]"
  else
    say "Dumping repositories ... "
    mkdir -p "$stage/repositories/default"
    cp -a "$REPOSITORIES/." "$stage/repositories/default/"
    say "Dumping repositories ... done"
    contents="$contents repositories"
  fi
  cat >"$stage/backup_information.yml" <<EOF
---
:backup_id: $id
:db_version: '20241004000000'
:backup_created_at: $(date -u -d "@$now" '+%Y-%m-%d %H:%M:%S') +0000
:gitlab_version: $VERSION
:tar_version: tar (busybox) 1.35.0
:installation_type: omnibus-gitlab-docker
:skipped: '\${SKIP:-}'
:repositories_storages: ''
:repositories_paths: ''
:skip_repositories_paths: ''
:repositories_server_side: false
EOF
  tar_file=$id$SUFFIX
  say "Creating backup archive: $tar_file ... "
  (umask 077 && cd "$stage" && tar -cf "$BACKUPS/.$tar_file.tmp" $contents)
  chown git:git "$BACKUPS/.$tar_file.tmp"
  chmod 0600 "$BACKUPS/.$tar_file.tmp"
  mv "$BACKUPS/.$tar_file.tmp" "$BACKUPS/$tar_file"
  say "Creating backup archive: $tar_file ... done"
  say "Uploading backup archive to remote storage  ... [SKIPPED]"
  say "Deleting old backups ... [SKIPPED]"
  say "Deleting tar staging files ... "
  rm -rf "$stage"
  say "Deleting tar staging files ... done"
  say "Deleting backups/tmp ... "
  rmdir "$BACKUPS/tmp" 2>/dev/null || true
  say "Deleting backups/tmp ... done"
  say "Warning: Your gitlab.rb and gitlab-secrets.json files contain sensitive data "
  echo "and are not included in this backup. You will need these files to restore a backup."
  echo "Please back them up manually."
  say "Backup $id is done."
}

ask_to_continue() {
  if [ "\${force:-}" = yes ] || [ "\${GITLAB_ASSUME_YES:-}" = 1 ] || [ "\${GITLAB_ASSUME_YES:-}" = true ]; then
    return 0
  fi
  say "Be sure to stop Puma, Sidekiq, and any other process that"
  echo "connects to the database before proceeding. For Omnibus"
  echo "installs, see the following link for more information:"
  echo "https://docs.gitlab.com/ee/raketasks/backup_restore.html#restore-for-omnibus-gitlab-installations"
  echo
  echo "Before restoring the database, we will remove all existing"
  echo "tables to avoid future upgrade problems. Be aware that if you have"
  echo "custom tables in the GitLab database these tables and all data will be"
  echo "removed."
  echo
  while :; do
    printf 'Do you want to continue (yes/no)? '
    if ! read -r answer; then
      echo
      say "Quitting..."
      exit 1
    fi
    case $answer in
      yes) return 0 ;;
      no)
        say "Quitting..."
        exit 1
        ;;
    esac
  done
}

restore() {
  cd "$BACKUPS"
  # shellcheck disable=SC2046
  set -- $(ls -1 | grep -E "^[^.].*$SUFFIX\$" || true)
  if [ $# -eq 0 ]; then
    say "No backups found in $BACKUPS"
    say "Please make sure that file name ends with $SUFFIX"
    exit 1
  fi
  if [ -n "\${BACKUP:-}" ]; then
    tar_file=$(basename "$BACKUP")$SUFFIX
  elif [ $# -gt 1 ]; then
    say "Found more than one backup:"
    for f in "$@"; do say " \${f%"$SUFFIX"}"; done
    say "Please specify which one you want to restore:"
    say "rake gitlab:backup:restore BACKUP=timestamp_of_backup"
    exit 1
  else
    tar_file=$1
  fi
  if [ ! -f "$tar_file" ]; then
    say "The backup file $tar_file does not exist!"
    exit 1
  fi

  work=$BACKUPS/tmp/restore-$$
  trap 'rm -rf "$work"; rmdir "$BACKUPS/tmp" 2>/dev/null || true' EXIT
  mkdir -p "$work"
  say "Unpacking backup ... "
  if ! tar -xf "$tar_file" -C "$work"; then
    say "Unpacking backup failed"
    exit 1
  fi
  say "Unpacking backup ... done"
  if [ ! -f "$work/backup_information.yml" ]; then
    say "$tar_file is not a GitLab backup: it holds no backup_information.yml"
    exit 1
  fi
  backup_version=$(sed -n -E "s/^:gitlab_version: *['\"]?([^'\"]*)['\"]?\$/\1/p" "$work/backup_information.yml")
  if [ "$backup_version" != "$VERSION" ]; then
    say "GitLab version mismatch:"
    echo "  Your current GitLab version ($VERSION) differs from the GitLab version in the backup!"
    echo "  Please switch to the following version and try again:"
    echo "  version: $backup_version"
    echo
    say "Hint: git checkout v$backup_version"
    exit 1
  fi
  for s in puma sidekiq; do
    if is_running "$s"; then
      refuse "$s is running: stop puma and sidekiq before a restore (gitlab-ctl stop puma; gitlab-ctl stop sidekiq), as GitLab's restore steps say"
    fi
  done
  for s in postgresql gitaly; do
    is_running "$s" || refuse "$s is down: a restore needs it running (gitlab-ctl start $s)"
  done

  if [ -d "$work/db" ]; then
    say "Restoring database ... "
    ask_to_continue
    say "Restoring database ... done"
  fi
  if [ -d "$work/repositories" ]; then
    say "Restoring repositories ... "
    find "$REPOSITORIES" -mindepth 1 -maxdepth 1 -exec rm -rf {} \;
    if [ -d "$work/repositories/default" ]; then
      cp -a "$work/repositories/default/." "$REPOSITORIES/"
    fi
    say "Restoring repositories ... done"
  fi
  say "Warning: Your gitlab.rb and gitlab-secrets.json files contain sensitive data "
  echo "and are not included in this backup. You will need to restore these files manually."
  say "Restore task is done."
}

if [ $# -eq 0 ]; then usage; fi
action=$1
shift
for arg in "$@"; do
  case $arg in
    [A-Za-z_]*=*) export "$arg" ;;
    *) refuse "unexpected argument $arg: options are KEY=VALUE (SKIP=db, BACKUP=<id>, force=yes)" ;;
  esac
done
case $action in
  create) create ;;
  restore) restore ;;
  *) usage ;;
esac
`;

/** gitlab-rake: only the backup tasks, as gitlab-backup. */
const GITLAB_RAKE_SCRIPT = sh`#!/bin/sh
# gitlab-rake of the GitLab stand-in: only gitlab:backup:create and gitlab:backup:restore (gitlab-backup's).
set -eu
task=\${1:-}
if [ $# -gt 0 ]; then shift; fi
case $task in
  gitlab:backup:create) exec gitlab-backup create "$@" ;;
  gitlab:backup:restore) exec gitlab-backup restore "$@" ;;
  *)
    echo "rake aborted!" >&2
    echo "Don't know how to build task '$task' (the GitLab stand-in knows gitlab:backup:create and gitlab:backup:restore)" >&2
    exit 1
    ;;
esac
`;

/** The HEALTHCHECK command: GitLab's runs curl with the flags given; this one wget, --max-time through timeout. */
const HEALTHCHECK_SCRIPT = sh`#!/bin/sh
# gitlab-healthcheck of the GitLab stand-in: asks the web service for /-/health where the last reconfigure put it.
set -eu
rc=/opt/gitlab/etc/gitlab-healthcheck-rc
max_time=10
while [ $# -gt 0 ]; do
  case $1 in
    --max-time)
      max_time=$2
      shift 2
      ;;
    --fail | --silent | --insecure | -f | -s | -k) shift ;;
    *)
      echo "gitlab-healthcheck: unknown option $1" >&2
      exit 2
      ;;
  esac
done
if [ ! -r "$rc" ]; then
  echo "gitlab-healthcheck: $rc is missing: GitLab was not reconfigured yet" >&2
  exit 1
fi
. "$rc"
# (timeout, not wget -T: Debian's static busybox 1.35 wget crashes with -T)
exec timeout "$max_time" wget -q -O - "$url"
`;

/** /assets/wrapper: the container's command, as GitLab's. */
const WRAPPER_SCRIPT = sh`#!/bin/sh
# The GitLab stand-in's entrypoint, as GitLab's /assets/wrapper: gitlab.rb when missing, reconfigure, keep running.
set -eu
. /opt/gitlab/embedded/lib/gitlab-stand-in.sh
trap 'echo "SIGTERM signal received, try to gracefully shutdown all services..."; gitlab-ctl stop; exit 0' TERM INT

echo "Thank you for using GitLab Docker Image!"
echo "Current version: gitlab-ce=$VERSION-ce.0"
echo "(a stand-in for gravity's tests: busybox scripts, no GitLab inside)"
echo
echo "Configure GitLab for your system by editing /etc/gitlab/gitlab.rb file"
echo "And restart this container to reload settings."
echo

echo "Cleaning stale PIDs & sockets"
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"

if [ ! -e /etc/gitlab/gitlab.rb ]; then
  echo "Installing gitlab.rb config..."
  cp /opt/gitlab/etc/gitlab.rb.template /etc/gitlab/gitlab.rb
  chmod 0600 /etc/gitlab/gitlab.rb
fi
mkdir -p "$REPOSITORIES" "$BACKUPS"

echo "Configuring GitLab..."
gitlab-ctl reconfigure

# the services run; wait for SIGTERM
while :; do
  sleep 1 &
  wait $! || true
done
`;

/** /etc/gitlab/gitlab.rb on first start: all comments, as GitLab's (whose external_url line is commented too). */
const GITLAB_RB_TEMPLATE = `## GitLab configuration settings
##! This file is generated during initial installation and **is not** modified
##! during upgrades.
##! (GitLab stand-in for gravity's tests: only external_url is read; GITLAB_OMNIBUS_CONFIG is evaluated before
##! this file, so a setting here wins over the same setting there.)

## GitLab URL
##! URL on which GitLab will be reachable.
# external_url 'GENERATED_EXTERNAL_URL'

### Backup Settings
# gitlab_rails['manage_backup_path'] = true
# gitlab_rails['backup_path'] = "/var/opt/gitlab/backups"
# gitlab_rails['backup_archive_permissions'] = 0600
# gitlab_rails['backup_keep_time'] = 604800
`;

const READY = '{"status":"ok"}';

/** The image's files for `version`. */
function standInFiles(version: string): Record<string, string> {
  return {
    '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\ngit:x:998:998::/var/opt/gitlab:/bin/sh\n',
    '/etc/group': 'root:x:0:\ngit:x:998:\n',
    '/RELEASE': `RELEASE_PACKAGE=gitlab-ce\nRELEASE_VERSION=${version}-ce.0\n`,
    '/opt/gitlab/version-manifest.txt': `gitlab-ce ${version}\n`,
    '/opt/gitlab/embedded/service/gitlab-rails/VERSION': `${version}\n`,
    '/opt/gitlab/etc/gitlab.rb.template': GITLAB_RB_TEMPLATE,
    '/opt/gitlab/embedded/lib/gitlab-stand-in.sh': LIB_SCRIPT,
    '/opt/gitlab/embedded/bin/gitlab-service': SERVICE_SCRIPT,
    '/opt/gitlab/bin/gitlab-ctl': GITLAB_CTL_SCRIPT,
    '/opt/gitlab/bin/gitlab-backup': GITLAB_BACKUP_SCRIPT,
    '/opt/gitlab/bin/gitlab-rake': GITLAB_RAKE_SCRIPT,
    '/opt/gitlab/bin/gitlab-healthcheck': HEALTHCHECK_SCRIPT,
    '/assets/wrapper': WRAPPER_SCRIPT,
    '/opt/gitlab/embedded/service/gitlab-rails/public/-/health': 'GitLab OK',
    '/opt/gitlab/embedded/service/gitlab-rails/public/-/readiness': READY,
    '/opt/gitlab/embedded/service/gitlab-rails/public/-/liveness': READY,
  };
}

const DOCKERFILE_TAIL = [
  // /assets is not a bin folder: buildBusyboxImage leaves it 0644
  'RUN ["/bin/sh", "-c", "chmod 755 /assets/wrapper && mkdir -p /tmp /run/gitlab /etc/gitlab /var/log/gitlab /var/opt/gitlab && chmod 1777 /tmp"]',
  'ENV PATH=/opt/gitlab/embedded/bin:/opt/gitlab/bin:/assets:/bin',
  'VOLUME ["/etc/gitlab", "/var/opt/gitlab", "/var/log/gitlab"]',
  `HEALTHCHECK --interval=${GITLAB_HEALTHCHECK.intervalMs / 1000}s --timeout=${GITLAB_HEALTHCHECK.timeoutMs / 1000}s` +
    ` --retries=${GITLAB_HEALTHCHECK.retries} CMD ${GITLAB_HEALTHCHECK.command}`,
  'CMD ["/assets/wrapper"]',
].join('\n');

/** The versions built, by dockerd (its DOCKER_HOST). */
const built = new Map<string, Set<string>>();

/**
 * Builds the GitLab stand-in for `version` on dockerd `d` (once per dockerd and version) and returns its tag,
 * `gravity-test/gitlab-ce:<version>-ce.0`.
 */
export function buildGitlabStandIn(d: TestDocker, version = GITLAB_VERSION): string {
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`a GitLab version is major.minor.patch, not ${version}`);
  const tag = gitlabStandInTag(version);
  const versions = built.get(d.host) ?? new Set<string>();
  if (!versions.has(version)) {
    buildBusyboxImage(d, tag, standInFiles(version), DOCKERFILE_TAIL);
    versions.add(version);
    built.set(d.host, versions);
  }
  return tag;
}
