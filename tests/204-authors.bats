#!/usr/bin/env bats
# Who did what: each message records its author (the config's user, else
# on PostgreSQL the role, else $USER), a reply the one who asked; edits,
# reactions and notes theirs.  chat-ls --author finds the sessions one
# wrote in; chat-show and the exports name authors where a session has
# more than one, and a session of one person's reads as it did before.

load helper

setup() {
	common_setup
}

teardown() {
	pg_drop_fresh_dbs 2>/dev/null || :
}

db() {
	store_sql "$1"
}

# tty_run's output without its colours
plain() {
	sed 's/\x1b\[[0-9;]*m//g' <<< "$output"
}

authors() {
	chat-show --json "$1" | jq -sc 'map(.metadata.author)'
}

# A session alice and bob both wrote in, one alice wrote alone.
two_people() {
	S=$(new_session --name shared -p echo)
	T=$(new_session --name alone -p echo)
	as_user alice chat-add -s "$S" "from alice" > /dev/null
	as_user bob chat-add -s "$S" "from bob" > /dev/null
	as_user alice chat-add -s "$T" "on my own" > /dev/null
	as_user alice chat-add -s "$T" -r assistant "a reply" > /dev/null
}

@test "each message records its author: \$USER, else the config's user; a reply's is who asked" {
	two_people
	[ "$(authors "$S")" = '["alice","bob"]' ]
	run -0 as_user carol chat-send -s "$S" hello
	[ "$(authors "$S")" = '["alice","bob","carol","carol"]' ]
	[ "$(chat-show --json "$S" | jq -sc '.[3] | [.role, .metadata.model, .metadata.author]')" = '["assistant","echo","carol"]' ]
	config <<< 'user = Dana Scully'
	USER=carol chat-add -s "$S" "from dana" > /dev/null
	[ "$(chat-show --json -n 1 "$S" | jq -r .metadata.author)" = "Dana Scully" ]
	# the column, not the extra metadata
	[ "$(db "SELECT count(*) FROM messages WHERE extra LIKE '%author%'")" = 0 ]
	[ "$(db "SELECT author FROM messages WHERE content = 'from bob'")" = bob ]
}

@test "chat-add --records: the record's author, none for null, the one adding for a record without" {
	S=$(new_session --name recs)
	jq -nc '{role: "user", content: "a", metadata: {author: "zoe"}},
	        {role: "user", content: "b", metadata: {author: null}},
	        {role: "user", content: "c"}' | as_user alice chat-add --records -s "$S" > /dev/null
	[ "$(chat-show --json "$S" | jq -sc 'map(.metadata | has("author"))')" = '[true,false,true]' ]
	[ "$(authors "$S")" = '["zoe",null,"alice"]' ]
	run -5 --separate-stderr chat-add --records -s "$S" <<< '{"role":"user","content":"d","metadata":{"author":7}}'
	[[ "$stderr" == *"author is not a string"* ]]
}

@test "chat-ls --author: the sessions with a message by NAME, not a reaction" {
	two_people
	U=$(new_session --name none)
	M=$(as_user zed chat-add -s "$U" hi | jq -r .id)
	[ "$(as_user bob chat-ls --author alice --json | jq -r .name | sort | paste -sd,)" = alone,shared ]
	[ "$(chat-ls --author bob --json | jq -r .name)" = shared ]
	as_user bob chat-react "$M" 👍
	[ "$(chat-ls --author bob --json | jq -r .name)" = shared ]
	[ "$(chat-ls --author nobody --json | wc -l)" = 0 ]
	[ "$(chat-ls --author alice --search reply --json | jq -r .name)" = alone ]
}

@test "edits, reactions and notes carry their authors" {
	two_people
	M=$(chat-show --json "$S" | jq -rs '.[0].id')
	as_user bob chat-edit "$M" "alice's words, fixed by bob"
	as_user carol chat-react "$M" 🎉
	as_user dave chat-note "$M" "a remark"
	m=$(chat-show --json --message "$M")
	[ "$(jq -r '.metadata.edits[0].editedBy' <<< "$m")" = bob ]
	[ "$(jq -r '.metadata.reactions[0].user' <<< "$m")" = carol ]
	[ "$(jq -r '.metadata.notes[0].author' <<< "$m")" = dave ]
	# the message is still alice's
	[ "$(jq -r .metadata.author <<< "$m")" = alice ]
}

@test "chat-show on a terminal: authors in the headings of a session with two, none in one person's" {
	two_people
	tty_run chat-show "$S"
	[ "$status" -eq 0 ]
	[[ "$(plain)" == *"user · alice"* ]]
	[[ "$(plain)" == *"user · bob"* ]]
	tty_run chat-show "$T"
	[[ "$(plain)" != *alice* ]]
	# as it was before authors were kept
	before=$output
	db "UPDATE messages SET author = NULL WHERE session_id = '$T'"
	tty_run chat-show "$T"
	[ "${output//just now/}" = "${before//just now/}" ]
}

@test "exports: md, txt and html name the authors of a session with two; one person's export is as before" {
	two_people
	as_user carol chat-send -s "$S" question > /dev/null
	run -0 chat-export -f md "$S"
	[[ "$output" == *"## User · alice"* ]]
	[[ "$output" == *"## User · bob"* ]]
	[[ "$output" == *"## Assistant · for carol"* ]]
	run -0 chat-export -f txt "$S"
	[[ "$output" == *"User · alice · "* ]]
	[[ "$output" == *"Assistant · for carol · "* ]]
	chat-export -f html -o "$BATS_TEST_TMPDIR/s.html" "$S"
	heads=$(xmllint --html --xpath '//h2/text()' "$BATS_TEST_TMPDIR/s.html" 2>/dev/null)
	[[ "$heads" == *"User · alice"* ]]
	[[ "$heads" == *"User · bob"* ]]
	if command -v pandoc > /dev/null; then
		[[ "$(pandoc -f html -t plain "$BATS_TEST_TMPDIR/s.html")" == *"User · bob"* ]]
	fi
	# JSON carries the authors whatever their number
	[ "$(chat-export -f json "$T" | jq -c '[.messages[].metadata.author]')" = '["alice","alice"]' ]
	# alice alone: no author anywhere, byte for byte what a session without
	# authors exports
	for f in md txt html; do
		chat-export -f "$f" -o "$BATS_TEST_TMPDIR/one.$f" "$T"
		! grep -q alice "$BATS_TEST_TMPDIR/one.$f"
	done
	db "UPDATE messages SET author = NULL WHERE session_id = '$T'"
	for f in md txt html; do
		chat-export -f "$f" -o "$BATS_TEST_TMPDIR/none.$f" "$T"
		cmp "$BATS_TEST_TMPDIR/one.$f" "$BATS_TEST_TMPDIR/none.$f"
	done
}

@test "import: authors read back from confab JSON, none invented for history without" {
	two_people
	chat-export -f json "$S" > "$BATS_TEST_TMPDIR/s.json"
	chat-rm -f "$S"
	run -0 as_user zed chat-import "$BATS_TEST_TMPDIR/s.json"
	N=$(chat-ls --json | jq -r 'select(.name == "shared") | .id')
	[ "$(authors "$N")" = '["alice","bob"]' ]
	# an export from before authors: none after the import
	jq 'del(.messages[].metadata.author) | .id = "0190aaaa-0000-7000-8000-000000000001"
	    | .name = "old" | .messages |= map(del(.id, .sessionId))' \
		"$BATS_TEST_TMPDIR/s.json" > "$BATS_TEST_TMPDIR/old.json"
	run -0 as_user zed chat-import "$BATS_TEST_TMPDIR/old.json"
	O=$(chat-ls --json | jq -r 'select(.name == "old") | .id')
	[ "$(authors "$O")" = '[null,null]' ]
	[ "$(db "SELECT count(*) FROM messages WHERE session_id = '$O' AND author IS NOT NULL")" = 0 ]
	[ "$(chat-ls --author zed --json | wc -l)" = 0 ]
	# an author that is no string is refused
	jq '.id = "0190aaaa-0000-7000-8000-000000000002" | .messages |= map(del(.id, .sessionId))
	    | .messages[0].metadata.author = 3' "$BATS_TEST_TMPDIR/s.json" > "$BATS_TEST_TMPDIR/bad.json"
	run chat-import "$BATS_TEST_TMPDIR/bad.json"
	[ "$status" -ne 0 ]
	[[ "$output" == *author* ]]
}

@test "branches and merges keep the authors" {
	two_people
	B=$(chat-branch "$S" | jq -r .id)
	[ "$(authors "$B")" = '["alice","bob"]' ]
}

@test "a schema-6 store gains the column: its messages have no author, their records unchanged" {
	sqlite_only "the SQLite migration"
	S=$(new_session --name six)
	chat-add -s "$S" hello > /dev/null
	sqlite3 "$CHAT_DB" "DROP INDEX messages_author; ALTER TABLE messages DROP COLUMN author; PRAGMA user_version = 6"
	before=$(chat-show --json "$S")
	[[ "$before" != *author* ]]
	run -0 chat-show --json "$S"
	[ "$(sqlite3 "$CHAT_DB" 'PRAGMA user_version')" = 7 ]
	[ "$output" = "$before" ]
	as_user alice chat-add -s "$S" again > /dev/null
	[ "$(authors "$S")" = '[null,"alice"]' ]
}

# ---- PostgreSQL: the role ----

@test "PostgreSQL: the author is the role connected as, unless the config names one" {
	pg_available || skip "no PostgreSQL cluster (CONFAB_TEST_PG unset)"
	export CHAT_DB=$(pg_fresh_db)
	S=$(new_session --name pg -p echo)
	USER=alice chat-add -s "$S" "as confab" > /dev/null
	USER=alice chat-send -s "$S" asking > /dev/null
	M=$(chat-show --json "$S" | jq -rs '.[0].id')
	USER=alice chat-react "$M" 👍
	USER=alice chat-note "$M" noted
	USER=alice chat-edit "$M" "as confab, edited"
	[ "$(authors "$S")" = '["confab","confab","confab"]' ]
	m=$(chat-show --json --message "$M")
	[ "$(jq -c '[.metadata.reactions[0].user, .metadata.notes[0].author, .metadata.edits[0].editedBy]' <<< "$m")" = '["confab","confab","confab"]' ]
	[ "$(chat-ls --author confab --json | jq -r .name)" = pg ]
	config <<< 'user = alice'
	chat-add -s "$S" "as alice" > /dev/null
	[ "$(chat-show --json -n 1 "$S" | jq -r .metadata.author)" = alice ]
	tty_run chat-show "$S"
	[[ "$(plain)" == *"user · alice"* ]]
	[[ "$(plain)" == *"user · confab"* ]]
	[[ "$(plain)" == *"assistant · echo · for confab"* ]]
}

@test "PostgreSQL: a password role's messages are that role's" {
	pg_available || skip "no PostgreSQL cluster (CONFAB_TEST_PG unset)"
	[ -n "${CONFAB_TEST_PG_PW_URI:-}" ] || skip "no password role (CONFAB_TEST_PG_PW_URI unset)"
	export PGPASSWORD=$CONFAB_TEST_PG_PASSWORD
	export CHAT_DB=$(pg_fresh_db -o confab_pw)
	[[ $CHAT_DB == *confab_pw@* ]]
	S=$(new_session --name pw)
	USER=alice chat-add -s "$S" "from the password role" > /dev/null
	[ "$(authors "$S")" = '["confab_pw"]' ]
	[ "$(psql -XAtq "$CHAT_DB" -c "SELECT author FROM messages")" = confab_pw ]
}
