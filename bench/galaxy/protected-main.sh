#!/usr/bin/env bash
# Plain-shell twin of workflows/galaxy/examples/protected-main.scenario.ts: the same git commands on the file transport.
. "${BASH_SOURCE[0]%/*}/lib.sh"

# galaxy: origin with app.conf and a pre-receive hook refusing force pushes to main, cloned by alice and mallory
O=$R/remotes/origin.git S=$R/seed/origin A=$R/actors/alice/origin M=$R/actors/mallory/origin
init_remote "$O" "$S"
printf 'port=80\n' >"$S/app.conf"
seed_commit "$S" 'galaxy: initial content of origin'
push_seed "$S" "$O"
cat >"$O/hooks/pre-receive" <<'HOOK'
#!/bin/sh
zero=0000000000000000000000000000000000000000
default=$(git symbolic-ref HEAD)
while read old new ref; do
  if [ "$ref" = "$default" ] && [ "$old" != "$zero" ] && ! git merge-base --is-ancestor "$old" "$new"; then
    echo "pre-receive: force pushes to $ref are not allowed" >&2
    exit 1
  fi
done
exit 0
HOOK
chmod 755 "$O/hooks/pre-receive"
git clone --quiet -c user.name=alice -c user.email=alice@galaxy.invalid "file://$O" "$A"
git clone --quiet -c user.name=Mallory -c user.email=mallory@galaxy.invalid "file://$O" "$M"

# alice pushes; mallory's rewrite of main is refused twice (assertion, then expected-rejected push); her pull conflicts
printf 'port=8080\n' >"$A/app.conf"
git -C "$A" add -A
git -C "$A" commit -q -m 'listen on 8080'
git -C "$A" push origin refs/heads/main:refs/heads/main
same_ref "$O" main "$A" main
printf 'port=22\n' >"$M/app.conf"
git -C "$M" add -A
git -C "$M" commit -q -m 'rewrite history'
refused git -C "$M" push --force origin refs/heads/main:refs/heads/main
refused git -C "$M" push --force origin refs/heads/main:refs/heads/main
same_ref "$O" main "$A" main
same_out $'port=8080\n' git -C "$O" cat-file blob main:app.conf
git -C "$M" pull -q --no-edit --rebase origin main || true
same_out $'app.conf\n' git -C "$M" diff --name-only --diff-filter=U
