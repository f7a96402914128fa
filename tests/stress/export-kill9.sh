#!/usr/bin/env bash
# export-kill9.sh — chat-export -o killed by SIGKILL at random moments must
# leave no temporary file: after each kill the folder holds the target
# alone, the old one or a whole new one.  Markdown, PDF and zip in turn.
#
#   BIN=bin tests/stress/export-kill9.sh
#
# BIN        the built programs (default: bin beside tests/)
# TRIALS     kills in all (default 50)
# SECONDS_MAX  the bound on the whole run (default 600): past it, exit 1
# DIR        the folder to export into (default: a new one under $TMPDIR);
#            name one on another file system to test that one
# SWEEP=1    for a file system without O_TMPFILE, where a killed export
#            leaves its named temporary file: one more export must remove it
#
# Exit 0: every trial left the folder clean; 1: a leftover, a partial file
# or the time ran out; 2: it could not be set up.
set -u

here=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(cd "${BIN:-$here/bin}" 2>/dev/null && pwd) || { echo "export-kill9: no folder BIN=${BIN:-}" >&2; exit 2; }
for p in chat-new chat-add chat-export; do
	[ -x "$BIN/$p" ] || { echo "export-kill9: $BIN/$p is missing: run make" >&2; exit 2; }
done
for p in pdfinfo unzip awk; do
	command -v "$p" >/dev/null || { echo "export-kill9: $p is needed" >&2; exit 2; }
done
TRIALS=${TRIALS:-50}
SECONDS_MAX=${SECONDS_MAX:-600}
PATH="$BIN:$PATH"
export LC_ALL=C.UTF-8

work=$(mktemp -d "${TMPDIR:-/tmp}/export-kill9.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
export CHAT_DB="$work/chat.db" XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" HOME="$work"
out=${DIR:-$work/out}
mkdir -p "$out" || exit 2
[ -z "$(ls -A "$out")" ] || { echo "export-kill9: $out is not empty" >&2; exit 2; }
cd "$work" || exit 2

# 20 messages of a megabyte (35 MB of Markdown), 1500 short ones (PDF),
# and none (the export that sweeps)
chat-new -n huge >/dev/null || exit 2
awk 'BEGIN { s = "lorem ipsum dolor sit amet "; while (length(s) < 1000000) s = s s
	for (i = 1; i <= 20; i++) printf "{\"role\":\"user\",\"content\":\"%d %s\"}\n", i, s }' |
	chat-add --records -s huge >/dev/null || exit 2
chat-new -n pages >/dev/null || exit 2
seq 1500 | awk '{ printf "{\"role\":\"%s\",\"content\":\"message %d, with **some** words\"}\n", $1 % 2 ? "user" : "assistant", $1 }' |
	chat-add --records -s pages >/dev/null || exit 2
chat-new -n tiny >/dev/null || exit 2

files=(out.md out.pdf out.zip)
declare -A args=([out.md]="huge" [out.pdf]="pages" [out.zip]="huge pages")
declare -A ms
# a whole export of each, to compare with and to time the kills by
for f in "${files[@]}"; do
	t0=$(date +%s%N)
	timeout 120 chat-export -o "$work/whole-$f" ${args[$f]} || { echo "export-kill9: $f: the export failed" >&2; exit 2; }
	ms[$f]=$(( ($(date +%s%N) - t0) / 1000000 + 1 ))
done

whole() {
	case $1 in
	*.pdf) pdfinfo "$1" >/dev/null 2>&1 &&
		[ "$(pdfinfo "$1" | grep ^Pages)" = "$(pdfinfo "$2" | grep ^Pages)" ] ;;
	*.zip) unzip -tq "$1" >/dev/null 2>&1 && [ "$(unzip -Z1 "$1")" = "$(unzip -Z1 "$2")" ] ;;
	*) cmp -s "$1" "$2" ;;
	esac
}

echo old > "$work/old"
start=$(date +%s)
bad=0 killed=0
for ((i = 0; i < TRIALS; i++)); do
	if (( $(date +%s) - start > SECONDS_MAX )); then
		echo "export-kill9: out of time: $i of $TRIALS trials in $SECONDS_MAX s" >&2
		exit 1
	fi
	f=${files[i % 3]}
	find "$out" -mindepth 1 -delete
	cp "$work/old" "$out/$f"
	# no timeout(1) here: the kill must reach chat-export itself
	chat-export -o "$out/$f" ${args[$f]} &
	pid=$!
	delay=$(( RANDOM % (ms[$f] * 6 / 5 + 1) ))
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	kill -KILL "$pid" 2>/dev/null && killed=$((killed + 1))
	{ wait "$pid"; } 2>/dev/null
	if [ "${SWEEP:-}" = 1 ]; then
		timeout 120 chat-export -o "$out/sweep.md" tiny >/dev/null &&
			rm -f "$out/sweep.md"
	fi
	left=$(ls -A "$out")
	if [ "$left" != "$f" ]; then
		echo "export-kill9: trial $i ($f, killed at $delay of ${ms[$f]} ms): left" $left >&2
		bad=$((bad + 1))
	elif ! { cmp -s "$out/$f" "$work/old" || whole "$out/$f" "$work/whole-$f"; }; then
		echo "export-kill9: trial $i ($f, killed at $delay of ${ms[$f]} ms): a partial $f" >&2
		bad=$((bad + 1))
	fi
done
find "$out" -mindepth 1 -delete
echo "export-kill9: $TRIALS trials ($killed killed mid-run) in $(( $(date +%s) - start )) s, $bad failed"
[ "$bad" -eq 0 ]
