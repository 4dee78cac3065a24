#!/usr/bin/env bash
# Plain-shell twin of workflows/galaxy/examples/feature-branch.scenario.ts: the same git commands on the file transport.
. "${BASH_SOURCE[0]%/*}/lib.sh"

# galaxy: origin with README.md and src/cart.txt, cloned by alice and bob
O=$R/remotes/origin.git S=$R/seed/origin A=$R/actors/alice/origin B=$R/actors/bob/origin
init_remote "$O" "$S"
mkdir "$S/src"
printf '# shop\n' >"$S/README.md"
printf 'empty cart\n' >"$S/src/cart.txt"
seed_commit "$S" 'galaxy: initial content of origin'
push_seed "$S" "$O"
git clone --quiet -c 'user.name=Alice Dev' -c user.email=alice@galaxy.invalid "file://$O" "$A"
git clone --quiet -c 'user.name=Bob Maintainer' -c user.email=bob@galaxy.invalid "file://$O" "$B"

# alice pushes a feature branch; bob merges it with --no-ff and pushes; alice pulls the result
git -C "$A" switch -q -c feature/discount
printf 'cart with discounts\n' >"$A/src/cart.txt"
printf '10%%\n' >"$A/src/discount.txt"
git -C "$A" add -A
git -C "$A" commit -q -m 'add discounts to the cart'
git -C "$A" push --set-upstream origin refs/heads/feature/discount:refs/heads/feature/discount
same_ref "$O" feature/discount "$A" feature/discount
git -C "$B" fetch -q origin
git -C "$B" merge --no-edit --no-ff -m 'Merge branch feature/discount (MR !1)' origin/feature/discount
git -C "$B" push origin refs/heads/main:refs/heads/main
[[ $(git -C "$B" log -1 --format=%B HEAD) =~ ^Merge\ branch\ feature/discount ]] || fail "bob HEAD is not the merge commit"
same_ref "$O" main "$B" main
git -C "$A" switch -q main
git -C "$A" pull -q --no-edit --no-rebase origin main
same_out $'10%\n' cat "$A/src/discount.txt"
same_ref "$A" main "$O" main
[ -z "$(git -C "$A" status --porcelain=v1 --untracked-files=all)" ] || fail "alice's tree is not clean"
