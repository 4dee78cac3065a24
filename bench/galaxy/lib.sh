# Sourced by the plain-shell twins of the galaxy example scenarios (bench/galaxy/<name>.sh); never run alone.
# Sets up what galaxy.build does before the remotes: a temp root removed on exit (success or failure, like the
# scenario's teardown), git's environment as the git.* task nodes set it, and the assertion helpers.
set -euo pipefail
export GIT_TERMINAL_PROMPT=0 GIT_EDITOR=true GIT_MERGE_AUTOEDIT=no LC_ALL=C

# identity of the seed commits (galaxy.build's GALAXY_IDENTITY)
GALAXY_ID=(-c user.name=galaxy -c user.email=galaxy@galaxy.invalid -c commit.gpgsign=false)

R=$(mktemp -d "${TMPDIR:-/tmp}/gravity-galaxy-sh-XXXXXX")
trap 'rm -rf "$R"' EXIT
mkdir "$R/remotes" "$R/actors"

# init_remote <bare dir> <seed dir>: the bare remote (pushes over HTTP allowed) and the seed work tree galaxy.build fills.
init_remote() {
  git init --quiet --bare -b main "$1"
  git -C "$1" config http.receivepack true
  git init --quiet -b main "$2"
}

# seed_commit <seed dir> <message>: commits the seed's content as the galaxy identity.
seed_commit() {
  git -C "$1" add -A
  git -C "$1" "${GALAXY_ID[@]}" commit --quiet --allow-empty --no-verify -m "$2"
}

# push_seed <seed dir> <bare dir>: pushes every seeded branch, then drops the seed.
push_seed() {
  git -C "$1" push --quiet --no-verify "$2" 'refs/heads/*:refs/heads/*'
  rm -rf "$R/seed"
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# same_ref <repo> <ref> <other repo> <other ref>: both refs name the same commit (assert.branch-head).
same_ref() {
  local a b
  a=$(git -C "$1" rev-parse --verify -q "$2^{commit}") || fail "$1 has no $2"
  b=$(git -C "$3" rev-parse --verify -q "$4^{commit}") || fail "$3 has no $4"
  [ "$a" = "$b" ] || fail "$1 $2 is $a, expected $b ($3 $4)"
}

# same_out <expected> <command...>: the command succeeds and prints exactly <expected>, trailing newlines included.
same_out() {
  local want=$1 got
  shift
  got=$("$@" && printf x) || fail "$* failed"
  [ "$got" = "${want}x" ] || fail "$* printed '${got%x}', expected '$want'"
}

# refused <command...>: a push that git refuses (non-fast-forward, hook), not one that fails for another reason.
refused() {
  local out
  if out=$("$@" 2>&1); then fail "$* was accepted, expected it to be rejected"; fi
  [[ $out =~ \[rejected\]|\[remote\ rejected\]|hook\ declined|non-fast-forward|fetch\ first ]] || fail "$* failed for another reason: $out"
}
