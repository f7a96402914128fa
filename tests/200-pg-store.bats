#!/usr/bin/env bats
# The PostgreSQL store: CHAT_DB as a libpq URI or key=value string, the
# schema made and versioned on first use, the same records as SQLite's,
# passwords never shown, and PgBouncer in transaction mode in front.

load helper

setup() {
	common_setup
	pg_required
	LITE=$CHAT_DB
	PG=$(pg_fresh_db)
	export CHAT_DB=$PG
}

teardown() {
	pg_drop_fresh_dbs
}

q() {
	psql -XAtq "$PG" -c "$1"
}

@test "a session and its messages go into PostgreSQL and come back" {
	S=$(new_session --name review -m echo)
	chat-add -s "$S" "first words"
	chat-add -s "$S" -r assistant "a reply"
	[ "$(q "SELECT count(*) FROM messages WHERE session_id = '$S'")" = 2 ]
	[ "$(q "SELECT message_count FROM sessions WHERE id = '$S'")" = 2 ]
	run chat-ls --json
	[ "$status" -eq 0 ]
	[ "$(jq -r .name <<< "$output")" = review ]
	run chat-show --json "$S"
	[ "$status" -eq 0 ]
	[ "$(jq -sc 'map(.content)' <<< "$output")" = '["first words","a reply"]' ]
	# nothing went to a SQLite file
	[ ! -e "$LITE" ]
}

@test "the schema is made once, versioned, by many first users at once" {
	for i in 1 2 3 4 5 6 7 8; do
		chat-ls > "$BATS_TEST_TMPDIR/ls.$i" 2>&1 &
	done
	wait
	for i in 1 2 3 4 5 6 7 8; do
		[ ! -s "$BATS_TEST_TMPDIR/ls.$i" ] || { cat "$BATS_TEST_TMPDIR/ls.$i"; false; }
	done
	[ "$(q "SELECT count(*) FROM confab_schema")" = 1 ]
	v=$(q "SELECT version FROM confab_schema")
	[ "$v" -ge 1 ]
	chat-ls
	[ "$(q "SELECT version FROM confab_schema")" = "$v" ]
}

@test "a newer schema than this confab knows is left alone" {
	chat-ls
	q "UPDATE confab_schema SET version = 999"
	run chat-ls
	[ "$status" -eq 6 ]
	[[ $output == *"written by a newer confab (schema 999"* ]]
	[ "$(q "SELECT version FROM confab_schema")" = 999 ]
}

@test "the key=value form of a connection string names a PostgreSQL store too" {
	db=${PG##*/}
	hostport=${PG#*@}
	hostport=${hostport%%/*}
	export CHAT_DB="host=127.0.0.1 port=${hostport#*:} user=confab dbname=$db"
	S=$(new_session --name kv)
	[ "$(q "SELECT name FROM sessions WHERE id = '$S'")" = kv ]
}

@test "chat-export -f json gives the same bytes from both backends" {
	export CHAT_DB=$LITE
	S=$(new_session --name "both ways" -m echo -t alpha)
	chat-add -s "$S" --time 2026-01-02T03:04:05.006Z "hello, 世界"
	chat-add -s "$S" -r assistant --tokens 7 -m echo --time 2026-01-02T03:04:06Z \
		$'| a | b |\n|---|---|\n| 1 | 2 |'
	chat-export -f json "$S" > "$BATS_TEST_TMPDIR/lite.json"
	export CHAT_DB=$PG
	chat-import "$BATS_TEST_TMPDIR/lite.json"
	chat-export -f json "$S" > "$BATS_TEST_TMPDIR/pg.json"
	cmp "$BATS_TEST_TMPDIR/lite.json" "$BATS_TEST_TMPDIR/pg.json"
	# a second import adds nothing
	chat-import "$BATS_TEST_TMPDIR/lite.json"
	[ "$(q "SELECT count(*) FROM messages")" = 2 ]
	[ "$(q "SELECT count(*) FROM sessions")" = 1 ]
}

@test "a password never reaches an error line" {
	[ -n "${CONFAB_TEST_PG_PW_URI:-}" ] || skip "no password role"
	pw=$CONFAB_TEST_PG_PASSWORD
	# the right password from PGPASSWORD works
	PGPASSWORD=$pw CHAT_DB=$CONFAB_TEST_PG_PW_URI run chat-ls
	[ "$status" -eq 0 ]
	# a wrong one written into the URI is refused, and not repeated
	base=${CONFAB_TEST_PG_PW_URI#postgresql://confab_pw@}
	CHAT_DB="postgresql://confab_pw:wrong-$pw@$base" run chat-ls
	[ "$status" -eq 6 ]
	[[ $output == chat-ls:* ]]
	[[ $output == *"password authentication failed"* ]]
	[[ $output != *"$pw"* ]]
	[ "${#lines[@]}" -eq 1 ]
	# nor a server that is not there, in either form
	CHAT_DB="postgresql://confab_pw:$pw@127.0.0.1:1/x" run chat-ls
	[ "$status" -eq 6 ]
	[[ $output != *"$pw"* ]]
	[[ $output == *"postgresql://confab_pw@127.0.0.1:1/x"* ]]
	CHAT_DB="host=127.0.0.1 port=1 password=$pw dbname=x" run chat-ls
	[ "$status" -eq 6 ]
	[[ $output != *"$pw"* ]]
}

@test "an attachment's bytes go into PostgreSQL and come back whole" {
	S=$(new_session --name files -p echo)
	# a PNG's signature, then bytes no text encoding would survive
	{ printf '\211PNG\r\n\032\n'; head -c 3000000 /dev/urandom; } > "$BATS_TEST_TMPDIR/blob.png"
	chat-send -s "$S" --attach "$BATS_TEST_TMPDIR/blob.png" "look" > /dev/null
	[ "$(q "SELECT octet_length(content) FROM attachments")" = 3000008 ]
	chat-export -f json "$S" |
		jq -r '.messages[0].metadata.attachments[0].data' |
		base64 -d | cmp - "$BATS_TEST_TMPDIR/blob.png"
}

@test "through PgBouncer in transaction mode" {
	[ -n "${CONFAB_TEST_PGBOUNCER:-}" ] || skip "no pgbouncer"
	export CHAT_DB=$(pg_fresh_db -b)
	S=$(new_session --name pooled -p echo)
	chat-add -s "$S" "one"
	chat-send -s "$S" "two" > /dev/null
	run chat-show --json "$S"
	[ "$status" -eq 0 ]
	[ "$(jq -s length <<< "$output")" -eq 3 ]
}

@test "fifty writers at once: every message is stored, none fails" {
	S=$(new_session --name crowd)
	for i in $(seq 50); do
		chat-add -s "$S" "message $i" > /dev/null 2> "$BATS_TEST_TMPDIR/err.$i" &
	done
	wait
	cat "$BATS_TEST_TMPDIR"/err.* > "$BATS_TEST_TMPDIR/errs"
	[ ! -s "$BATS_TEST_TMPDIR/errs" ] || { cat "$BATS_TEST_TMPDIR/errs"; false; }
	[ "$(q "SELECT count(*) FROM messages WHERE session_id = '$S'")" = 50 ]
	[ "$(q "SELECT count(DISTINCT seq) FROM messages WHERE session_id = '$S'")" = 50 ]
	[ "$(q "SELECT message_count FROM sessions WHERE id = '$S'")" = 50 ]
}

# A store with a bit of everything: a branch, an edit, a reaction, a
# note, an attachment, an archived session.
rich_store() {
	S=$(new_session --name "rich" -p echo -t team)
	chat-send -s "$S" "first question" > /dev/null
	M=$(chat-show --json "$S" | jq -r 'select(.role == "user") | .id')
	chat-edit "$M" "first question, edited" > /dev/null
	R=$(chat-show --json "$S" | jq -r 'select(.role == "assistant") | .id')
	chat-react "$R" 👍 > /dev/null
	chat-note "$R" "worth keeping" > /dev/null
	printf '\211PNG\r\n\032\n%s' "$(head -c 2000 /dev/urandom | base64)" > "$BATS_TEST_TMPDIR/pic.png"
	chat-send -s "$S" --attach "$BATS_TEST_TMPDIR/pic.png" "see this" > /dev/null
	B=$(chat-branch --at "$R" --name "rich, branched" "$S" | jq -r .id)
	chat-add -s "$B" "only on the branch" > /dev/null
	A=$(new_session --name "old one")
	chat-add -s "$A" "long ago" > /dev/null
	chat-set --archive "$A" > /dev/null
}

# Every session of the store in $CHAT_DB as JSON, oldest first.
all_json() {
	chat-ls --all --json | jq -sr 'sort_by(.created, .id) | .[].id' |
		while read -r id; do chat-export -f json "$id"; echo; done
}

@test "chat-import moves a whole store, SQLite to PostgreSQL and back, same ids, same bytes" {
	export CHAT_DB=$LITE
	rich_store
	chat-activity add --kind error --source make "the build broke" > /dev/null
	chat-activity add --kind note "a note, ünïcode" > /dev/null
	all_json > "$BATS_TEST_TMPDIR/lite.json"
	chat-activity ls > "$BATS_TEST_TMPDIR/lite.act"
	[ "$(grep -c '"type":"session"' "$BATS_TEST_TMPDIR/lite.json")" -eq 3 ]
	[ "$(wc -l < "$BATS_TEST_TMPDIR/lite.act")" -eq 2 ]
	export CHAT_DB=$PG
	run chat-import --json "sqlite://$LITE"
	[ "$status" -eq 0 ]
	[ "$(jq -s length <<< "$output")" -eq 3 ]
	all_json > "$BATS_TEST_TMPDIR/pg.json"
	cmp "$BATS_TEST_TMPDIR/lite.json" "$BATS_TEST_TMPDIR/pg.json"
	[ "$(q "SELECT count(*) FROM attachments")" -eq 1 ]
	# the activity log, ids and all
	chat-activity ls | cmp "$BATS_TEST_TMPDIR/lite.act" -
	# a second move adds nothing
	chat-import "sqlite://$LITE" 2> "$BATS_TEST_TMPDIR/again"
	grep -q '3 sessions already in the store, skipped' "$BATS_TEST_TMPDIR/again"
	[ "$(q "SELECT count(*) FROM sessions")" -eq 3 ]
	[ "$(q "SELECT count(*) FROM activity")" -eq 2 ]
	# and back, into a new SQLite store
	export CHAT_DB=$BATS_TEST_TMPDIR/back/chat.db
	chat-import "$PG" > /dev/null
	all_json > "$BATS_TEST_TMPDIR/back.json"
	cmp "$BATS_TEST_TMPDIR/lite.json" "$BATS_TEST_TMPDIR/back.json"
	chat-activity ls | cmp "$BATS_TEST_TMPDIR/lite.act" -
}

@test "moving from a store that is not there changes nothing and says so in one line" {
	run chat-import "sqlite://$BATS_TEST_TMPDIR/none.db"
	[ "$status" -eq 6 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == "chat-import: "*none.db* ]]
	[ ! -e "$BATS_TEST_TMPDIR/none.db" ]
	pw=secret-$RANDOM
	run chat-import "postgresql://nobody:$pw@127.0.0.1:1/x"
	[ "$status" -eq 6 ]
	[[ $output != *"$pw"* ]]
	# the store to move into was not even made
	[ "$(q "SELECT to_regclass('sessions') IS NULL")" = t ]
}

@test "the SQLite functions the PostgreSQL schema defines answer as sqlite3 does" {
	PGDATABASE=${PG##*/} run "$ROOT/tests/pg-sql/compat.sh"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ $output == *"checks alike"* ]]
	PGDATABASE=${PG##*/} run "$ROOT/tests/pg-sql/statements.sh"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}
