#!/usr/bin/env bash
# Plain-shell twin of workflows/galaxy/examples/concurrent-push.scenario.ts: the same git commands on the file transport.
. "${BASH_SOURCE[0]%/*}/lib.sh"

# galaxy: origin with notes.txt, cloned by alice and bob
O=$R/remotes/origin.git S=$R/seed/origin A=$R/actors/alice/origin B=$R/actors/bob/origin
init_remote "$O" "$S"
printf 'start\n' >"$S/notes.txt"
seed_commit "$S" 'galaxy: initial content of origin'
push_seed "$S" "$O"
git clone --quiet -c user.name=alice -c user.email=alice@galaxy.invalid "file://$O" "$A"
git clone --quiet -c user.name=bob -c user.email=bob@galaxy.invalid "file://$O" "$B"

# alice and bob commit on the same base and push at the same moment; the loser rebases on the winner and pushes again
printf 'from alice\n' >"$A/a.txt"
git -C "$A" add -A
git -C "$A" commit -q -m 'alice: add a.txt'
printf 'from bob\n' >"$B/b.txt"
git -C "$B" add -A
git -C "$B" commit -q -m 'bob: add b.txt'
git -C "$A" push origin refs/heads/main:refs/heads/main 2>/dev/null & pa=$!
git -C "$B" push origin refs/heads/main:refs/heads/main 2>/dev/null & pb=$!
for pair in "$pa:$A" "$pb:$B"; do
  if ! wait "${pair%%:*}"; then
    git -C "${pair#*:}" pull -q --no-edit --rebase origin main
    git -C "${pair#*:}" push origin refs/heads/main:refs/heads/main
  fi
done
same_out $'from alice\n' git -C "$O" show main:a.txt
same_out $'from bob\n' git -C "$O" show main:b.txt
git -C "$A" pull -q --no-edit --no-rebase origin main
git -C "$B" pull -q --no-edit --no-rebase origin main
same_ref "$A" main "$B" main
same_ref "$A" main "$O" main
