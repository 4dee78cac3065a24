#!/usr/bin/env bash
# Plain-shell twin of workflows/galaxy/examples/rebase-conflict.scenario.ts: the same git commands on the file transport.
. "${BASH_SOURCE[0]%/*}/lib.sh"

# galaxy: origin with config.yml, cloned by alice and bob
O=$R/remotes/origin.git S=$R/seed/origin A=$R/actors/alice/origin B=$R/actors/bob/origin
init_remote "$O" "$S"
printf 'replicas: 1\n' >"$S/config.yml"
seed_commit "$S" 'galaxy: initial content of origin'
push_seed "$S" "$O"
git clone --quiet -c user.name=alice -c user.email=alice@galaxy.invalid "file://$O" "$A"
git clone --quiet -c user.name=bob -c user.email=bob@galaxy.invalid "file://$O" "$B"

# alice's branch and bob's pushed main change the same line; the rebase stops, is resolved and continued
git -C "$A" switch -q -c scale
printf 'replicas: 3\n' >"$A/config.yml"
git -C "$A" add -A
git -C "$A" commit -q -m 'scale to 3'
printf 'replicas: 2\n' >"$B/config.yml"
git -C "$B" add -A
git -C "$B" commit -q -m 'scale to 2'
git -C "$B" push origin refs/heads/main:refs/heads/main
git -C "$A" fetch -q origin
git -C "$A" rebase origin/main || true
same_out $'config.yml\n' git -C "$A" diff --name-only --diff-filter=U
printf 'replicas: 3\n' >"$A/config.yml"
git -C "$A" add -A -- config.yml
git -C "$A" rebase --continue
same_out '' git -C "$A" diff --name-only --diff-filter=U
same_out $'replicas: 3\n' cat "$A/config.yml"
same_out $'1\t0\n' git -C "$A" rev-list --left-right --count HEAD...refs/remotes/origin/main
git -C "$A" switch -q main
git -C "$A" merge --no-edit scale
git -C "$A" push origin refs/heads/main:refs/heads/main
same_out $'replicas: 3\n' git -C "$O" cat-file blob main:config.yml
