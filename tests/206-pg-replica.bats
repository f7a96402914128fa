#!/usr/bin/env bats
# Reading from a PostgreSQL hot standby (--db-read, CHAT_DB_READ): chat-ls,
# chat-show and chat-export read the replica, every writer the primary.
# The file's own primary and a standby streaming from it (pg-cluster
# standby), so that a paused replay shows which one was read.

load helper

setup_file() {
	pg_available || return 0
	export PRIM=$BATS_FILE_TMPDIR/primary REPL=$BATS_FILE_TMPDIR/standby
	"$ROOT/tests/pg-cluster" start "$PRIM" 2> /dev/null
	"$ROOT/tests/pg-cluster" standby "$REPL" "$PRIM" 2> /dev/null
}

teardown_file() {
	[ -z "${REPL:-}" ] || "$ROOT/tests/pg-cluster" stop "$REPL"
	[ -z "${PRIM:-}" ] || "$ROOT/tests/pg-cluster" stop "$PRIM"
}

setup() {
	common_setup
	pg_required
	# shellcheck disable=SC1091
	. "$PRIM/env"
	RPORT=$(sed -n 's/^export PGPORT=//p' "$REPL/env")
	[ -n "$RPORT" ]
	# a database of the test's own, on both (the standby replays the
	# CREATE DATABASE)
	DBN=t$BATS_TEST_NUMBER
	createdb -h 127.0.0.1 -p "$PGPORT" -U confab "$DBN"
	export CHAT_DB=postgresql://confab@127.0.0.1:$PGPORT/$DBN
	R=postgresql://confab@127.0.0.1:$RPORT/$DBN
	caught_up
}

teardown() {
	resume_replay
}

prim_sql() { psql -XAtq -v ON_ERROR_STOP=1 "$CHAT_DB" -c "$1"; }
replica_sql() { psql -XAtq -v ON_ERROR_STOP=1 "$R" -c "$1"; }

# Until the standby has replayed everything the primary has written: its
# insert position, as with synchronous_commit off (the test cluster's) a
# commit may not have reached the write position yet.
caught_up() {
	local want
	want=$(psql -XAtq -h 127.0.0.1 -p "$PGPORT" -U confab postgres -c 'SELECT pg_current_wal_insert_lsn()')
	for _ in $(seq 100); do
		[ "$(psql -XAtq -h 127.0.0.1 -p "$RPORT" -U confab postgres -c "SELECT pg_last_wal_replay_lsn() >= '$want'")" = t ] && return 0
		sleep 0.1
	done
	echo "the standby did not replay up to $want in 10 s" >&2
	return 1
}

pause_replay() { replica_sql 'SELECT pg_wal_replay_pause()' > /dev/null; PAUSED=1; }
resume_replay() { [ -z "${PAUSED:-}" ] || replica_sql 'SELECT pg_wal_replay_resume()' > /dev/null; PAUSED=; }

@test "the standby is one: in recovery, and refuses a write" {
	[ "$(replica_sql 'SELECT pg_is_in_recovery()')" = t ]
	[ "$(prim_sql 'SELECT pg_is_in_recovery()')" = f ]
	chat-ls > /dev/null   # the schema, on the primary
	caught_up
	run -6 --separate-stderr env CHAT_DB="$R" chat-new --name nowhere
	one_error chat-new
	[ "$(prim_sql "SELECT count(*) FROM sessions WHERE name = 'nowhere'")" = 0 ]
}

@test "--db-read: chat-ls, chat-show and chat-export read the replica, the same bytes as the primary" {
	S=$(chat-new --name replicated -t team | jq -r .id)
	chat-add -s "$S" "a message for the replica" > /dev/null
	caught_up
	[ "$(chat-ls --db-read "$R" --json | jq -r .name)" = replicated ]
	[ "$(chat-ls --db-read "$R" --json -s replica | jq -r .id)" = "$S" ]
	[ "$(chat-show --db-read "$R" --json "$S" | jq -r .content)" = "a message for the replica" ]
	diff <(chat-export -f json "$S") <(chat-export --db-read "$R" -f json "$S")
}

@test "what the replica has not replayed is not seen through it, and is through the primary" {
	S=$(chat-new --name before | jq -r .id)
	caught_up
	pause_replay
	chat-add -s "$S" "after the pause" > /dev/null
	chat-new --name after-the-pause > /dev/null
	# CHAT_DB_READ does what --db-read does
	[ "$(CHAT_DB_READ=$R chat-ls --json | jq -r .name | sort | paste -sd,)" = before ]
	[ "$(CHAT_DB_READ=$R chat-show --json "$S" | wc -l)" = 0 ]
	[ "$(chat-ls --json | jq -r .name | sort | paste -sd,)" = after-the-pause,before ]
	resume_replay
	caught_up
	[ "$(CHAT_DB_READ=$R chat-ls --json | jq -r .name | sort | paste -sd,)" = after-the-pause,before ]
}

@test "writers write to the primary whatever CHAT_DB_READ says; chat-show --follow listens on the primary" {
	export CHAT_DB_READ=$R
	S=$(chat-new --name w | jq -r .id)
	chat-add -s "$S" "written" > /dev/null
	[ "$(prim_sql "SELECT count(*) FROM messages WHERE session_id = '$S'")" = 1 ]
	# a standby runs no LISTEN: --follow would fail there at once
	timeout 3 chat-show --follow --json "$S" > "$BATS_TEST_TMPDIR/f" 2> "$BATS_TEST_TMPDIR/e" &
	pid=$!
	sleep 1
	chat-add -s "$S" "followed" > /dev/null
	wait "$pid" || [ $? = 124 ]
	[ "$(jq -r .content "$BATS_TEST_TMPDIR/f" | paste -sd,)" = written,followed ]
	[ ! -s "$BATS_TEST_TMPDIR/e" ]
}

@test "a replica behind the primary's schema: one line saying what to do, exit 6" {
	S=$(chat-new --name old | jq -r .id)
	v=$(prim_sql 'SELECT version FROM confab_schema')
	prim_sql "UPDATE confab_schema SET version = $((v - 1))" > /dev/null
	caught_up
	run -6 --separate-stderr chat-ls --db-read "$R"
	one_error chat-ls
	[[ "$stderr" == *"replica's schema is $((v - 1))"*"primary"* ]]
	[ -z "$output" ]
	# the primary's next program migrates it again; then the replica serves
	prim_sql "UPDATE confab_schema SET version = $v" > /dev/null
	caught_up
	run -0 chat-ls --db-read "$R" --json
	[ "$(jq -r .id <<< "$output")" = "$S" ]
}

@test "--db-read that is not PostgreSQL, or not there: one line, nothing shown of a password" {
	run -2 --separate-stderr chat-ls --db-read "$BATS_TEST_TMPDIR/chat.db"
	one_error chat-ls
	[[ "$stderr" == *"replica"*"PostgreSQL"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/chat.db" ]
	run -2 --separate-stderr chat-ls --db-read "postgresq://confab:s3cret-pw@127.0.0.1:$RPORT/confab"
	one_error chat-ls
	[[ "$stderr" != *s3cret-pw* ]]
	run -6 --separate-stderr chat-export -f json --db-read "postgresql://confab:s3cret-pw@127.0.0.1:1/confab" x
	one_error chat-export
	[[ "$stderr" != *s3cret-pw* ]]
}
