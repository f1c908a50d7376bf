#!/usr/bin/env bash
# scripts/results_4q.sh --bag refuses an --out holding a run that was not made with the member's data.val_fold (the
# sweep would skip it and count it as the member), and refuses --seeds with --bag; no run is trained for either.
set -u
root=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/runs/clip_stats_4q/seed1-fold0" "$tmp/data"
echo '{"data": {"dataset": "fourq", "fold": 0}}' >"$tmp/runs/clip_stats_4q/seed1-fold0/config.json"
fail() { echo "FAIL: $*" >&2; exit 1; }
err=$("$root/scripts/results_4q.sh" "$tmp/data" --configs "$root/configs/clip_stats_4q.json" --bag 2 --out "$tmp/runs" 2>&1 >/dev/null)
[ $? = 1 ] || fail "an ordinary run in the --out was accepted as member 0: $err"
[ "$err" = "scripts/results_4q.sh: $tmp/runs/clip_stats_4q/seed1-fold0/config.json was not made with data.val_fold=0: give --bag its own --out" ] || fail "$err"
echo '{"data": {"dataset": "fourq", "fold": 0, "val_fold": 0}}' >"$tmp/runs/clip_stats_4q/seed1-fold0/config.json"
mkdir -p "$tmp/runs/clip_stats_4q/seed2-fold3"
echo '{"data": {"dataset": "fourq", "fold": 3, "val_fold": 0}}' >"$tmp/runs/clip_stats_4q/seed2-fold3/config.json"
err=$("$root/scripts/results_4q.sh" "$tmp/data" --configs "$root/configs/clip_stats_4q.json" --bag 2 --out "$tmp/runs" 2>&1 >/dev/null)
[ $? = 1 ] || fail "member 1's run made with val_fold 0 was accepted: $err"
case "$err" in *"seed2-fold3/config.json was not made with data.val_fold=1"*) ;; *) fail "$err" ;; esac
err=$("$root/scripts/results_4q.sh" "$tmp/data" --bag 2 --seeds "1 2" --out "$tmp/runs" 2>&1 >/dev/null)
[ $? = 2 ] || fail "--seeds with --bag was accepted"
[ ! -e "$tmp/runs/clip_stats_4q/seed1-fold0/train.out" ] || fail "a run was trained"
echo "results_4q.sh --bag: refuses runs of another val_fold and --seeds"
