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

@test "a store in a schema whose name must be quoted (search_path \"MiXed\") is made there and used" {
	q 'CREATE SCHEMA "MiXed"'
	export CHAT_DB="$PG?options=-csearch_path%3D%22MiXed%22"
	S=$(new_session --name odd -m echo)
	chat-add -s "$S" "in MiXed"
	[ "$(psql -XAtq "$CHAT_DB" -c 'SELECT content FROM "MiXed".messages')" = "in MiXed" ]
	[ "$(q "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 0 ]
	chat-ls --search MiXed --json | jq -e '.name == "odd"'
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

# Every session whose counts are not its rows': message_count, total_tokens
# and last_updated (never before its latest message).
miscounted() {
	q "SELECT s.name FROM sessions s WHERE s.message_count <> (SELECT count(*)
		FROM messages m WHERE m.session_id = s.id) OR s.total_tokens <>
		(SELECT coalesce(sum(m.tokens), 0) FROM messages m WHERE m.session_id = s.id)
		OR s.last_updated < (SELECT coalesce(max(m.timestamp), 0) FROM messages m
		WHERE m.session_id = s.id) ORDER BY 1"
}

# A bulk write (chat-add --records, import, branch, merge) counts a session's
# rows once at its end, not a row at a time (cf_store_bulk): the counts come
# out as a row at a time would make them, other sessions' too.
@test "bulk writes count each session's messages once, and right" {
	A=$(new_session --name a)
	B=$(new_session --name b)
	# interleaved, so the bulk moves between sessions and back
	jq -nc --arg a "$A" --arg b "$B" 'range(1; 301) as $i | {type: "message",
		sessionId: (if $i % 3 == 0 then $b else $a end), role: "user",
		content: "row \($i)", timestamp: "2030-01-01T00:00:00Z",
		metadata: {tokens: $i}} | if $i == 150 then .timestamp = "2031-06-01T00:00:00Z" else . end' \
		> "$BATS_TEST_TMPDIR/recs"
	chat-add --records < "$BATS_TEST_TMPDIR/recs" > /dev/null
	[ "$(q "SELECT message_count, total_tokens FROM sessions WHERE id = '$A'")" = "200|30000" ]
	[ "$(q "SELECT message_count, total_tokens FROM sessions WHERE id = '$B'")" = "100|15150" ]
	[ "$(q "SELECT last_updated FROM sessions WHERE id = '$B'")" = \
		"$(q "SELECT (extract(epoch FROM timestamptz '2031-06-01T00:00:00Z') * 1000)::bigint")" ]
	# a psql writer beside them counts a row at a time, as before
	q "INSERT INTO messages (id, session_id, seq, role, content, timestamp, tokens)
		VALUES ('psql-1', '$A', 1000, 'user', 'by hand', 1, 7)"
	[ "$(q "SELECT message_count, total_tokens FROM sessions WHERE id = '$A'")" = "201|30007" ]
	# a bad record at the end: nothing of the batch stays, counts included
	{ head -5 "$BATS_TEST_TMPDIR/recs"; jq -nc --arg a "$A" '{sessionId: $a, role: "robot", content: "x"}'; } \
		> "$BATS_TEST_TMPDIR/bad"
	run chat-add --records < "$BATS_TEST_TMPDIR/bad"
	[ "$status" -ne 0 ]
	[ "$(q "SELECT message_count, total_tokens FROM sessions WHERE id = '$A'")" = "201|30007" ]
	# a branch, a merge and an import of the lot
	chat-branch --name a2 "$A" > /dev/null
	chat-merge "$B" "$A" > /dev/null
	export CHAT_DB=$LITE
	chat-new -n lite > /dev/null
	L=$(chat-ls --json | jq -r .id)
	chat-add --records -s "$L" < "$BATS_TEST_TMPDIR/recs" > /dev/null
	export CHAT_DB=$PG
	chat-import "sqlite://$LITE" > /dev/null
	[ "$(q "SELECT message_count, total_tokens FROM sessions WHERE id = '$L'")" = "300|45150" ]
	[ "$(q "SELECT count(*) FROM sessions")" = 4 ]
	run miscounted
	[ "$status" -eq 0 ]
	[ -z "$output" ] || { echo "miscounted: $output"; false; }
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
