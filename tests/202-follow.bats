#!/usr/bin/env bats
# chat-show --follow: messages other processes add, printed as they are
# committed, each once and in order, on SQLite and on PostgreSQL; a
# dropped PostgreSQL connection is made again and misses nothing.

load helper

setup() {
	common_setup
}

teardown() {
	[ -z "${FPID:-}" ] || kill "$FPID" 2> /dev/null || true
	pg_drop_fresh_dbs 2> /dev/null || true
}

use_pg() {
	pg_required
	CHAT_DB=$(pg_fresh_db)
	export CHAT_DB
}

# Starts a follower of session $1 writing to $BATS_TEST_TMPDIR/out.
follow() {
	chat-show --follow --json "$@" > "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err" &
	FPID=$!
}

# Waits until the follower has printed $1 lines.
lines_reach() {
	for _ in $(seq 200); do
		[ "$(wc -l < "$BATS_TEST_TMPDIR/out")" -ge "$1" ] && return 0
		sleep 0.05
	done
	echo "follower printed:" >&2
	cat "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" >&2
	return 1
}

contents() {
	jq -sc 'map(.content)' "$BATS_TEST_TMPDIR/out"
}

follow_across_processes() {
	S=$(new_session --name watched -p echo)
	chat-add -s "$S" "before"
	follow -n 1 "$S"
	lines_reach 1
	chat-add -s "$S" "from another process"
	lines_reach 2
	chat-send -s "$S" "a turn" > /dev/null
	lines_reach 4
	# another session's messages are not this one's
	T=$(new_session --name other)
	chat-add -s "$T" "elsewhere"
	for i in 1 2 3 4 5; do chat-add -s "$S" "burst $i" & done
	wait $(jobs -p | grep -v "^$FPID$") 2> /dev/null || true
	lines_reach 9
	sleep 0.3
	[ "$(wc -l < "$BATS_TEST_TMPDIR/out")" -eq 9 ]
	run contents
	[[ $output == '["before","from another process","a turn","echo: a turn",'* ]]
	[[ $output != *elsewhere* ]]
	# each once, in seq order
	[ "$(jq -s 'map(.id) | unique | length' "$BATS_TEST_TMPDIR/out")" -eq 9 ]
	[ "$(chat-show --json "$S" | jq -sc 'map(.id)')" = "$(jq -sc 'map(.id)' "$BATS_TEST_TMPDIR/out")" ]
	kill "$FPID"
}

@test "--follow prints what other processes add, on SQLite" {
	follow_across_processes
}

@test "--follow prints what other processes add, on PostgreSQL" {
	use_pg
	follow_across_processes
}

@test "--follow ends with 3 when the session is deleted" {
	S=$(new_session --name doomed)
	follow "$S"
	sleep 0.3
	chat-rm --force "$S" > /dev/null 2>&1 || chat-rm "$S" > /dev/null
	for _ in $(seq 100); do kill -0 "$FPID" 2> /dev/null || break; sleep 0.05; done
	run wait "$FPID"
	[ "$status" -eq 3 ]
	grep -q '^chat-show: .*deleted' "$BATS_TEST_TMPDIR/err"
	FPID=
}

@test "--follow takes one session, and not --message" {
	S=$(new_session --name a)
	T=$(new_session --name b)
	run chat-show --follow "$S" "$T"
	[ "$status" -eq 2 ]
	[[ $output == "chat-show: --follow: expected one session, got 2"* ]]
	run chat-show --follow --message x "$S"
	[ "$status" -eq 2 ]
}

@test "a follower whose PostgreSQL connection is killed comes back and misses nothing" {
	use_pg
	S=$(new_session --name resilient)
	follow "$S"
	sleep 0.5
	q() { psql -XAtq "$CHAT_DB" -c "$1"; }
	who="SELECT pid FROM pg_stat_activity WHERE datname = current_database()
		AND application_name = 'chat-show'"
	for _ in $(seq 50); do old=$(q "$who"); [ -n "$old" ] && break; sleep 0.1; done
	[ -n "$old" ]
	q "SELECT pg_terminate_backend($old)" > /dev/null
	# committed while the follower has no connection
	chat-add -s "$S" "while it was away"
	lines_reach 1
	chat-add -s "$S" "after it came back"
	lines_reach 2
	run contents
	[ "$output" = '["while it was away","after it came back"]' ]
	new=$(q "$who")
	[ -n "$new" ] && [ "$new" != "$old" ]
}
