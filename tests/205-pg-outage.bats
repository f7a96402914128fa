#!/usr/bin/env bats
# A PostgreSQL server that goes away: a reply that was streaming when it
# died is kept in the local spool and stored by the next program that opens
# the store once the server is back; nothing the provider sent is lost.
# Each test has a cluster of its own, to kill.

load helper
load send

own_cluster() {
	pg_required
	OWN=$BATS_TEST_TMPDIR/own
	"$ROOT/tests/pg-cluster" start "$OWN" 2> /dev/null
	# shellcheck disable=SC1091
	. "$OWN/env"
	export CHAT_DB=$CONFAB_TEST_PG
}

teardown() {
	local p
	for p in "${BG[@]}"; do kill -KILL "$p" 2> /dev/null || true; done
	fake_stop
	[ -z "${OWN:-}" ] || "$ROOT/tests/pg-cluster" stop "$OWN"
}

@test "the database killed mid-reply: exit 12, the reply spooled, stored once it is back" {
	own_cluster
	local long="$TEXT $TEXT"
	serve "text=$(jq -rn --arg t "$long" '$t | @uri') piece=8 delay=150"
	session
	send_bg hi
	await_file "$OUT"
	"$ROOT/tests/pg-cluster" crash "$OWN"
	reap "$pid" 300
	exit_is 12
	grep -q 'kept in .*spool' "$ERR"
	# what the terminal showed is the whole reply
	[ "$(cat "$OUT")" = "$long" ]
	"$ROOT/tests/pg-cluster" revive "$OWN"
	# the next program to open the store stores it, and says so
	chat-show --json "$SID" > "$BATS_TEST_TMPDIR/shown" 2> "$BATS_TEST_TMPDIR/said"
	grep -q '^chat-show: stored the turn kept in ' "$BATS_TEST_TMPDIR/said"
	[ "$(jq -sc 'map([.role, .content])' "$BATS_TEST_TMPDIR/shown")" = "$(jq -nc --arg t "$long" '[["user","hi"],["assistant",$t]]')" ]
	[ "$(jq -s '.[1].metadata.incomplete' "$BATS_TEST_TMPDIR/shown")" = false ]
	# replayed once: a second program adds nothing
	chat-ls > /dev/null
	[ "$(chat-show --json "$SID" | jq -s length)" -eq 2 ]
	[ -z "$(ls -A "$XDG_STATE_HOME/confab/spool" 2> /dev/null)" ]
}

@test "the database down before the send: exit 6 at once, one line, nothing sent" {
	own_cluster
	serve "text=never"
	session
	"$ROOT/tests/pg-cluster" crash "$OWN"
	send hi
	exit_is 6
	[ "${#stderr_lines[@]}" -eq 1 ]
	error_says "cannot connect"
	[ "$(requests)" = 0 ]
	"$ROOT/tests/pg-cluster" revive "$OWN"
}
