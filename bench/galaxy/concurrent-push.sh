#!/usr/bin/env bash
# Plain-shell twin of workflows/galaxy/examples/concurrent-push.scenario.ts: the same git commands on the file transport.
. "${BASH_SOURCE[0]%/*}/lib.sh"

# galaxy: origin with notes.txt, cloned by alice and bob
O=$R/remotes/origin.git S=$R/seed/origin A=$R/actors/alice/origin B=$R/actors/bob/origin
git init --quiet --bare -b main "$O"
git -C "$O" config http.receivepack true
git init --quiet -b main "$S"
printf 'start\n' >"$S/notes.txt"
git -C "$S" add -A
git -C "$S" "${GALAXY_ID[@]}" commit --quiet --allow-empty --no-verify -m 'galaxy: initial content of origin'
git -C "$S" push --quiet --no-verify "$O" 'refs/heads/*:refs/heads/*'
rm -rf "$R/seed"
git clone --quiet -c user.name=alice -c user.email=alice@galaxy.invalid "file://$O" "$A"
git clone --quiet -c user.name=bob -c user.email=bob@galaxy.invalid "file://$O" "$B"

# alice and bob commit on the same base; alice pushes first, bob is rejected, pulls --rebase and pushes again
printf 'from alice\n' >"$A/a.txt"
git -C "$A" add -A
git -C "$A" commit -q -m 'alice: add a.txt'
printf 'from bob\n' >"$B/b.txt"
git -C "$B" add -A
git -C "$B" commit -q -m 'bob: add b.txt'
git -C "$A" push origin refs/heads/main:refs/heads/main
refused git -C "$B" push origin refs/heads/main:refs/heads/main
git -C "$B" pull -q --no-edit --rebase origin main
git -C "$B" push origin refs/heads/main:refs/heads/main
same_ref "$O" main "$B" main
git -C "$A" pull -q --no-edit --no-rebase origin main
same_out $'from bob\n' cat "$A/b.txt"
same_out $'from alice\n' cat "$B/a.txt"
same_ref "$A" main "$B" main
