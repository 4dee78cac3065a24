#!/usr/bin/env bash
# Plain-shell twin of workflows/galaxy/examples/git-flow.scenario.ts: the same git commands on the file transport.
. "${BASH_SOURCE[0]%/*}/lib.sh"

# galaxy: origin with VERSION on main and a develop branch (VERSION, CHANGELOG), cloned by dev and rm
O=$R/remotes/origin.git S=$R/seed/origin D=$R/actors/dev/origin M=$R/actors/rm/origin
init_remote "$O" "$S"
printf '0.9.0\n' >"$S/VERSION"
seed_commit "$S" 'galaxy: initial content of origin'
git -C "$S" checkout --quiet -b develop main
printf '0.9.0\n' >"$S/VERSION"
printf 'develop\n' >"$S/CHANGELOG"
seed_commit "$S" 'galaxy: branch develop of origin'
push_seed "$S" "$O"
git clone --quiet -c 'user.name=Dana Dev' -c user.email=dev@galaxy.invalid "file://$O" "$D"
git clone --quiet -c 'user.name=Rita Release' -c user.email=rm@galaxy.invalid "file://$O" "$M"

# develop gets a feature
git -C "$D" switch -q -c develop origin/develop
printf 'search v1\n' >"$D/search.txt"
git -C "$D" add -A
git -C "$D" commit -q -m 'feature: search'
git -C "$D" push origin refs/heads/develop:refs/heads/develop
# release/1.0 is cut, bumped, merged into main and tagged
git -C "$M" fetch -q origin
git -C "$M" switch -q -c release/1.0 origin/develop
printf '1.0.0\n' >"$M/VERSION"
git -C "$M" add -A
git -C "$M" commit -q -m 'bump version to 1.0.0'
git -C "$M" push --set-upstream origin refs/heads/release/1.0:refs/heads/release/1.0
git -C "$M" switch -q main
git -C "$M" merge --no-edit --no-ff -m 'Merge release/1.0' release/1.0
git -C "$M" tag -a -m 'release 1.0.0' v1.0.0 HEAD
git -C "$M" push --tags origin refs/heads/main:refs/heads/main
git -C "$M" push origin refs/heads/main:refs/heads/main
same_ref "$O" v1.0.0 "$M" main
# hotfix/1.0.1 from the tag, merged into main and develop
git -C "$M" switch -q -c hotfix/1.0.1 v1.0.0
printf 'search v1 (fixed)\n' >"$M/search.txt"
printf '1.0.1\n' >"$M/VERSION"
git -C "$M" add -A
git -C "$M" commit -q -m 'fix: search crash'
git -C "$M" switch -q main
git -C "$M" merge --no-edit --no-ff -m 'Merge hotfix/1.0.1' hotfix/1.0.1
git -C "$M" tag v1.0.1 HEAD
git -C "$M" switch -q -c develop origin/develop
git -C "$M" merge --no-edit --no-ff -m 'Merge hotfix/1.0.1 into develop' hotfix/1.0.1
git -C "$M" push origin refs/heads/develop:refs/heads/develop
git -C "$M" switch -q main
git -C "$M" push --tags origin refs/heads/main:refs/heads/main
git -C "$M" push origin refs/heads/main:refs/heads/main
same_out $'1.0.1\n' git -C "$O" cat-file blob v1.0.1:VERSION
same_out $'search v1 (fixed)\n' git -C "$O" cat-file blob develop:search.txt
same_out $'develop\n' git -C "$O" cat-file blob develop:CHANGELOG
