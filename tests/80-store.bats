#!/usr/bin/env bats
# The store itself: where it lives, how it is made, its schema and indexes,
# a newer or broken file, and twenty programs writing at once.

load helper

# SQL on the store; the tests of the SQLite file alone pass sqlite3's options
db() {
	if [ $# -eq 1 ]; then store_sql "$1"; else sqlite3 "$CHAT_DB" "$@"; fi
}

# ---- where the file is, and how it is made ----

@test "the database is made with mode 0600, its folders as needed" {
	sqlite_only "the file's mode and folders"
	export CHAT_DB="$BATS_TEST_TMPDIR/a/b/c/chat.db"
	[ ! -e "$BATS_TEST_TMPDIR/a" ]
	run -0 chat-new
	[ "$(stat -c %a "$CHAT_DB")" = 600 ]
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/a")" = 700 ]
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/a/b/c")" = 700 ]
	[ "$(db 'SELECT count(*) FROM sessions')" -eq 1 ]
	# whatever SQLite leaves beside it is the owner's alone too
	for f in "$CHAT_DB-wal" "$CHAT_DB-shm"; do
		[ ! -e "$f" ] || [ "$(stat -c %a "$f")" = 600 ]
	done
	# and the writers' queue
	[ "$(stat -c %a "$CHAT_DB-lock")" = 600 ]
}

@test "the mode is 0600 whatever the umask" {
	sqlite_only "the file's mode"
	umask 000
	run -0 chat-new
	[ "$(stat -c %a "$CHAT_DB")" = 600 ]
	[ "$(stat -c %a "$CHAT_DB-lock")" = 600 ]
}

@test "--db overrides CHAT_DB" {
	sqlite_only "a file path as --db, made where it names"
	run -0 chat-new --db "$BATS_TEST_TMPDIR/other.db" --name via-option
	[ -f "$BATS_TEST_TMPDIR/other.db" ]
	[ ! -e "$CHAT_DB" ]
	[ "$(sqlite3 "$BATS_TEST_TMPDIR/other.db" 'SELECT name FROM sessions')" = via-option ]
	# every program takes it
	run -0 chat-ls --db "$BATS_TEST_TMPDIR/other.db" --json
	[ "$(jq -r .name <<<"$output")" = via-option ]
	[ ! -e "$CHAT_DB" ]
}

@test "CHAT_DB overrides XDG_DATA_HOME" {
	sqlite_only "the default file's place"
	run -0 chat-new --name via-env
	[ "$(db 'SELECT name FROM sessions')" = via-env ]
	[ ! -e "$XDG_DATA_HOME/confab/chat.db" ]
	[ ! -e "$HOME/.local/share/confab/chat.db" ]
}

@test "XDG_DATA_HOME overrides the default under HOME" {
	sqlite_only "the default file's place"
	unset CHAT_DB
	run -0 chat-new --name via-xdg
	[ "$(sqlite3 "$XDG_DATA_HOME/confab/chat.db" 'SELECT name FROM sessions')" = via-xdg ]
	[ "$(stat -c %a "$XDG_DATA_HOME/confab/chat.db")" = 600 ]
	[ ! -e "$HOME/.local/share/confab/chat.db" ]
}

@test "without CHAT_DB or XDG_DATA_HOME: ~/.local/share/confab/chat.db" {
	sqlite_only "the default file's place"
	unset CHAT_DB XDG_DATA_HOME
	run -0 chat-new --name via-home
	[ "$(sqlite3 "$HOME/.local/share/confab/chat.db" 'SELECT name FROM sessions')" = via-home ]
	[ "$(stat -c %a "$HOME/.local/share/confab/chat.db")" = 600 ]
}

@test "an empty CHAT_DB, or a relative XDG_DATA_HOME, is ignored" {
	sqlite_only "the default file's place"
	export CHAT_DB=
	run -0 chat-new --name empty-env
	[ "$(sqlite3 "$XDG_DATA_HOME/confab/chat.db" 'SELECT name FROM sessions')" = empty-env ]
	export XDG_DATA_HOME=relative/data
	cd "$BATS_TEST_TMPDIR"
	run -0 chat-new --name relative
	[ ! -e "$BATS_TEST_TMPDIR/relative" ]
	[ "$(sqlite3 "$HOME/.local/share/confab/chat.db" 'SELECT name FROM sessions')" = relative ]
}

@test "an existing file keeps its mode" {
	sqlite_only "the file's mode"
	touch "$BATS_TEST_TMPDIR/mine.db"
	chmod 640 "$BATS_TEST_TMPDIR/mine.db"
	run -0 chat-new --db "$BATS_TEST_TMPDIR/mine.db"
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/mine.db")" = 640 ]
	# the queue beside it takes its mode and owner, as SQLite's -wal does
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/mine.db-lock")" = 640 ]
}

@test "root writing another user's store leaves the queue's file that user's" {
	sqlite_only "the writers' queue is a file beside SQLite's"
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	# where that user can reach it
	d=$(mktemp -d /tmp/confab-owner.XXXXXX)
	chmod 755 "$d"
	chown 65534:65534 "$d"
	setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$d" XDG_CONFIG_HOME="$d/c" \
		"$ROOT/bin/chat-new" --db "$d/chat.db" --name theirs > /dev/null
	rm -f "$d/chat.db-lock"
	run -0 chat-new --db "$d/chat.db" --name roots
	[ "$(stat -c %u:%g:%a "$d/chat.db-lock")" = 65534:65534:600 ]
	run -0 setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$d" XDG_CONFIG_HOME="$d/c" \
		"$ROOT/bin/chat-new" --db "$d/chat.db" --name theirs-again
	[ "$(sqlite3 "$d/chat.db" 'SELECT count(*) FROM sessions')" -eq 3 ]
	rm -rf "$d"
}

# ---- the schema ----

@test "WAL, schema version 7, foreign keys declared" {
	sqlite_only "journal mode and user_version pragmas, sqlite_master"
	chat-new > /dev/null
	[ "$(db 'PRAGMA journal_mode')" = wal ]
	[ "$(db 'PRAGMA user_version')" = 7 ]
	[ "$(db "SELECT \"table\" || ':' || \"from\" || ':' || on_delete FROM pragma_foreign_key_list('messages')")" = sessions:session_id:CASCADE ]
	[ "$(db "SELECT \"table\" || ':' || \"from\" || ':' || on_delete FROM pragma_foreign_key_list('attachments')")" = messages:message_id:CASCADE ]
	[ "$(db "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('sessions', 'messages', 'attachments', 'messages_fts', 'sessions_fts') ORDER BY name" | paste -sd,)" = \
	  attachments,messages,messages_fts,sessions,sessions_fts ]
}

@test "the tables carry the seed's fields" {
	sqlite_only "pragma_table_info; 171-schema.bats checks PostgreSQL's columns"
	chat-new > /dev/null
	[ "$(db "SELECT group_concat(name) FROM pragma_table_info('sessions')")" = \
	  n,id,name,created,last_updated,provider,model,temperature,max_tokens,system_prompt,auto_context,context_window,message_count,total_tokens,tags,starred,archived,parent_session_id,branch_point,extra,send_history ]
	[ "$(db "SELECT group_concat(name) FROM pragma_table_info('messages')")" = \
	  n,id,session_id,seq,role,content,timestamp,tokens,model,processing_time,reactions,edits,extra,activity_events,plugin_commands,files,pending,parts,author ]
	[ "$(db "SELECT group_concat(name) FROM pragma_table_info('attachments')")" = \
	  n,id,message_id,type,name,size,mime_type,content ]
}

@test "deleting a session removes its messages (chat-rm and SQL with foreign keys on)" {
	S=$(new_session --name doomed)
	T=$(new_session --name kept)
	chat-add -s "$S" one > /dev/null
	chat-add -s "$S" two > /dev/null
	chat-add -s "$T" three > /dev/null
	[ "$(db 'SELECT count(*) FROM messages')" -eq 3 ]
	run -0 chat-rm -f "$S"
	[ "$(db 'SELECT count(*) FROM sessions')" -eq 1 ]
	[ "$(db 'SELECT count(*) FROM messages')" -eq 1 ]
	# the schema itself cascades, whoever deletes
	if [ "${CONFAB_TEST_DB:-}" = pg ]; then
		db "DELETE FROM sessions WHERE id = '$T'"
	else
		db "PRAGMA foreign_keys=ON; DELETE FROM sessions WHERE id = '$T'"
	fi
	[ "$(db 'SELECT count(*) FROM messages')" -eq 0 ]
}

@test "a message for a session that does not exist is refused by the schema" {
	chat-new > /dev/null
	local ins="INSERT INTO messages (id, session_id, seq, role, content, timestamp) VALUES ('m', 'nosuch', 1, 'user', 'x', 0)"
	if [ "${CONFAB_TEST_DB:-}" = pg ]; then
		run store_sql "$ins"
		[ "$status" -ne 0 ]
		[[ "$output" == *"violates foreign key constraint"* ]]
	else
		run sqlite3 "$CHAT_DB" "PRAGMA foreign_keys=ON; $ins"
		[ "$status" -ne 0 ]
		[[ "$output" == *"FOREIGN KEY constraint failed"* ]]
	fi
	[ "$(db 'SELECT count(*) FROM messages')" -eq 0 ]
}

# ---- migrations ----

@test "an empty file at the path is migrated" {
	sqlite_only "an empty file at the path"
	mkdir -p "$(dirname "$CHAT_DB")"
	: > "$CHAT_DB"
	run -0 chat-new --name in-empty
	[ "$(db 'PRAGMA user_version')" = 7 ]
	[ "$(db 'PRAGMA journal_mode')" = wal ]
	[ "$(db 'SELECT name FROM sessions')" = in-empty ]
}

@test "an empty SQLite database (version 0) is migrated" {
	sqlite_only "an empty SQLite file"
	mkdir -p "$(dirname "$CHAT_DB")"
	sqlite3 "$CHAT_DB" 'CREATE TABLE unrelated (x); DROP TABLE unrelated'
	[ "$(db 'PRAGMA user_version')" = 0 ]
	run -0 chat-new --name migrated
	[ "$(db 'PRAGMA user_version')" = 7 ]
	[ "$(db 'SELECT name FROM sessions')" = migrated ]
}

@test "a schema 2 store gains the indexes of marked messages, its reactions found" {
	sqlite_only "SQLite's schemas 2-5 precede PostgreSQL's first"
	S=$(new_session --name two)
	M=$(chat-add -s "$S" hi | jq -r .id)
	db "DROP INDEX messages_reacted; DROP INDEX messages_noted; ALTER TABLE sessions DROP COLUMN extra; ALTER TABLE messages DROP COLUMN parts; DROP INDEX messages_author; ALTER TABLE messages DROP COLUMN author; ALTER TABLE sessions DROP COLUMN send_history; DROP TABLE activity_fts; DROP TABLE activity; PRAGMA user_version = 2;
		UPDATE messages SET reactions = '[{\"emoji\":\"👍\",\"user\":\"ann\",\"timestamp\":\"2026-01-01T00:00:00.000Z\"}]'"
	run -0 chat-ls --json
	[ "$(db 'PRAGMA user_version')" = 7 ]
	[ "$(db "SELECT name FROM sqlite_master WHERE name IN ('messages_reacted', 'messages_noted') ORDER BY name" | paste -sd,)" = messages_noted,messages_reacted ]
	[ "$(jq -c '.metadata.reactions | map([.emoji, .messageId])' <<< "$output")" = "[[\"👍\",\"$M\"]]" ]
}

@test "a schema-2 store (sqlite3 from the old DDL) migrates to 5, its data intact" {
	sqlite_only "SQLite's schemas 2-5 precede PostgreSQL's first"
	mkdir -p "$(dirname "$CHAT_DB")"
	sqlite3 "$CHAT_DB" < "$ROOT/tests/fixtures/store/v2.sql"
	[ "$(db 'PRAGMA user_version')" = 2 ]
	old_cols=$(db "SELECT group_concat(name) FROM pragma_table_info('sessions')")
	[[ "$old_cols" != *extra* ]]
	sessions=$(db -quote "SELECT $old_cols FROM sessions ORDER BY n")
	old_mcols=$(db "SELECT group_concat(name) FROM pragma_table_info('messages')")
	messages=$(db -quote "SELECT $old_mcols FROM messages ORDER BY n")
	attachments=$(db -quote 'SELECT n, id, message_id, type, name, size, mime_type, hex(content) FROM attachments ORDER BY n')
	[ "$(db 'SELECT count(*) FROM attachments')" -eq 1 ]
	run -0 chat-ls --json
	[ "${#lines[@]}" -eq 2 ]
	[ "$(db 'PRAGMA user_version')" = 7 ]
	[ "$(db 'PRAGMA application_id')" = 1128677698 ]
	[ "$(db -quote "SELECT $old_cols FROM sessions ORDER BY n")" = "$sessions" ]
	[ "$(db -quote "SELECT $old_mcols FROM messages ORDER BY n")" = "$messages" ]
	[ "$(db 'SELECT count(*) FROM messages WHERE parts IS NOT NULL')" = 0 ]
	[ "$(db -quote 'SELECT n, id, message_id, type, name, size, mime_type, hex(content) FROM attachments ORDER BY n')" = "$attachments" ]
	[ "$(db "SELECT group_concat(DISTINCT extra) FROM sessions")" = '{}' ]
	# the records: no new key where nothing was merged, counts as stored
	for l in "${lines[@]}"; do
		[ "$(jq -c '.metadata | keys' <<< "$l")" = '["archived","messageCount","reactions","starred","tags","totalTokens"]' ]
	done
	S=$(db "SELECT id FROM sessions WHERE name = 'old store'")
	[ "$(chat-ls --json | jq -r "select(.id == \"$S\") | .metadata.messageCount")" -eq "$(db "SELECT count(*) FROM messages WHERE session_id = '$S'")" ]
	# reactions, notes and the attachment's bytes come out as they went in
	run -0 chat-export -f json "$S"
	m=$(jq -c '.messages[] | select(.content == "with file")' <<< "$output")
	[ "$(jq -r '.metadata.reactions[0].emoji' <<< "$m")" = 👍 ]
	[ "$(jq -r '.metadata.notes[0].text' <<< "$m")" = "a note" ]
	[ "$(jq -r '.metadata.attachments[0].data | @base64d' <<< "$m")" = hello ]
	# the index still finds the old messages and holds together
	run -0 chat-ls --search zebra --json
	[ "${#lines[@]}" -eq 2 ]
	db "INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)"
	# and the migrated store takes a session's metadata
	T=$(chat-new --name after | jq -r .id)
	db "UPDATE sessions SET extra = '{\"k\":1}' WHERE id = '$T'"
	[ "$(chat-ls --json | jq -r "select(.id == \"$T\") | .metadata.k")" = 1 ]
}

@test "a schema-3 store migrates to 5: messages gain parts, none set, the records unchanged" {
	sqlite_only "SQLite's schemas 2-5 precede PostgreSQL's first"
	S=$(new_session --name three)
	chat-add -s "$S" hello > /dev/null
	chat-add -s "$S" -r assistant there > /dev/null
	# authors came with schema 7: the older store had none to keep
	before=$(chat-show --json "$S" | jq -c 'del(.metadata.author)')
	db "ALTER TABLE messages DROP COLUMN parts; DROP INDEX messages_author; ALTER TABLE messages DROP COLUMN author; ALTER TABLE sessions DROP COLUMN send_history; DROP TABLE activity_fts; DROP TABLE activity; PRAGMA user_version = 3"
	cols=$(db "SELECT group_concat(name) FROM pragma_table_info('messages')")
	[[ "$cols" != *parts* ]]
	rows=$(db -quote "SELECT $cols FROM messages ORDER BY n")
	run -0 chat-show --json "$S"
	[ "$output" = "$before" ]
	[ "$(db 'PRAGMA user_version')" = 7 ]
	[ "$(db "SELECT group_concat(name) FROM pragma_table_info('messages')")" = "$cols,parts,author" ]
	[ "$(db -quote "SELECT $cols FROM messages ORDER BY n")" = "$rows" ]
	[ "$(db 'SELECT count(*) FROM messages WHERE parts IS NOT NULL')" = 0 ]
	# and the migrated store takes parts
	jq -nc '{role: "assistant", content: "x", parts: [{type: "thinking", thinking: "t"}]}' | chat-add --records -s "$S" > /dev/null
	[ "$(chat-show --json "$S" | jq -sc '.[2].parts')" = '[{"type":"thinking","thinking":"t"}]' ]
}

@test "opening a current store again changes nothing" {
	sqlite_only "the file's bytes and user_version"
	chat-new --name once > /dev/null
	sum=$(db .dump | sha256sum)
	run -0 chat-ls --json
	[ "$(db .dump | sha256sum)" = "$sum" ]
	[ "$(db 'PRAGMA user_version')" = 7 ]
}

@test "a store from a newer confab: every program exits 6 naming 'newer', the file unchanged" {
	sqlite_only "user_version and the file's checksum; 200-pg-store.bats has PostgreSQL's"
	S=$(new_session --name old)
	chat-add -s "$S" hi > /dev/null
	M=$(db 'SELECT id FROM messages')
	db 'PRAGMA user_version = 99'
	sum=$(sha256sum < "$CHAT_DB")
	for cmd in "chat-new" "chat-ls" "chat-show $S" "chat-branch $S" "chat-rm -f $S" \
	           "chat-set --star $S" "chat-add -s $S more" "chat-show --message $M $S"; do
		run -6 --separate-stderr $cmd < /dev/null
		one_error "${cmd%% *}"
		[[ "$stderr" == *"newer"* ]]
		[[ "$stderr" == *"$CHAT_DB"* ]]
		[ "$(sha256sum < "$CHAT_DB")" = "$sum" ]
	done
	[ "$(db 'PRAGMA user_version')" = 99 ]
	[ "$(db 'SELECT count(*) FROM sessions')" -eq 1 ]
	[ "$(db 'SELECT count(*) FROM messages')" -eq 1 ]
}

@test "a path that is a folder: exit 6" {
	sqlite_only "a folder at the file's path"
	mkdir -p "$CHAT_DB"
	run -6 --separate-stderr chat-new
	one_error chat-new
	[ "$stderr" = "chat-new: '$CHAT_DB' is a folder, not a database" ]
	run -6 --separate-stderr chat-ls
	one_error chat-ls
	[ -z "$(ls -A "$CHAT_DB")" ]
}

@test "a file that is not a database: exit 6, the file unchanged" {
	sqlite_only "a file that is no database"
	mkdir -p "$(dirname "$CHAT_DB")"
	echo 'not a database, just text' > "$CHAT_DB"
	sum=$(sha256sum < "$CHAT_DB")
	run -6 --separate-stderr chat-new
	one_error chat-new
	[[ "$stderr" == "chat-new: $CHAT_DB: "* ]]
	[ "$(sha256sum < "$CHAT_DB")" = "$sum" ]
}

@test "a location where no folder can be made: exit 6" {
	sqlite_only "the file's folders"
	touch "$BATS_TEST_TMPDIR/plainfile"
	export CHAT_DB="$BATS_TEST_TMPDIR/plainfile/sub/chat.db"
	run -6 --separate-stderr chat-new
	one_error chat-new
	[ "$stderr" = "chat-new: cannot create folder '$BATS_TEST_TMPDIR/plainfile/sub': Not a directory" ]
	export CHAT_DB="$BATS_TEST_TMPDIR/plainfile/chat.db"
	run -6 --separate-stderr chat-new
	one_error chat-new
	[ "$stderr" = "chat-new: cannot create '$CHAT_DB': Not a directory" ]
	[ ! -s "$BATS_TEST_TMPDIR/plainfile" ]
}

@test "an unwritable folder: exit 6" {
	sqlite_only "the file's folder"
	[ "$(id -u)" -ne 0 ] || skip "root writes anywhere"
	mkdir "$BATS_TEST_TMPDIR/ro"
	chmod 500 "$BATS_TEST_TMPDIR/ro"
	export CHAT_DB="$BATS_TEST_TMPDIR/ro/chat.db"
	run -6 --separate-stderr chat-new
	one_error chat-new
	[[ "$stderr" == "chat-new: cannot create '$CHAT_DB': Permission denied" ]]
	export CHAT_DB="$BATS_TEST_TMPDIR/ro/sub/chat.db"
	run -6 --separate-stderr chat-new
	one_error chat-new
	[ ! -e "$BATS_TEST_TMPDIR/ro/sub" ]
}

@test "a read-only database: exit 6, and it is unchanged" {
	sqlite_only "a read-only file"
	[ "$(id -u)" -ne 0 ] || skip "root writes anywhere"
	chat-new > /dev/null
	chmod 400 "$CHAT_DB"
	sum=$(sha256sum < "$CHAT_DB")
	run -6 --separate-stderr chat-new
	one_error chat-new
	[ "$(sha256sum < "$CHAT_DB")" = "$sum" ]
}

# ---- twenty programs at once ----

@test "20 chat-new and 20 chat-add at once all succeed and every row is there" {
	S=$(new_session --name shared)
	pids=()
	for i in $(seq 1 20); do
		chat-new --name "par$i" > "$BATS_TEST_TMPDIR/new$i" 2>&1 &
		pids+=($!)
		# by id and by name: both read the session before they write
		ref=$S
		[ $((i % 2)) -eq 0 ] && ref=shared
		chat-add -s "$ref" "message $i" > "$BATS_TEST_TMPDIR/add$i" 2>&1 &
		pids+=($!)
	done
	failed=0
	for p in "${pids[@]}"; do
		wait "$p" || failed=$((failed + 1))
	done
	cat "$BATS_TEST_TMPDIR"/new* "$BATS_TEST_TMPDIR"/add* | grep -v '^{' || true
	[ "$failed" -eq 0 ]
	[ "$(db 'SELECT count(*) FROM sessions')" -eq 21 ]
	[ "$(db 'SELECT count(*) FROM messages')" -eq 20 ]
	[ "$(db "SELECT message_count FROM sessions WHERE id = '$S'")" -eq 20 ]
	[ "$(db "SELECT count(DISTINCT seq) || ',' || min(seq) || ',' || max(seq) FROM messages WHERE session_id = '$S'")" = 20,1,20 ]
	[ "$(db "SELECT count(DISTINCT name) FROM sessions WHERE name LIKE 'par%'")" -eq 20 ]
	# each program printed its record
	for i in $(seq 1 20); do
		[ "$(jq -r .name "$BATS_TEST_TMPDIR/new$i")" = "par$i" ]
		[ "$(jq -r .content "$BATS_TEST_TMPDIR/add$i")" = "message $i" ]
	done
}

@test "20 chat-new at once on a database that does not exist yet" {
	sqlite_only "making the file, its mode and pragmas"
	export CHAT_DB="$BATS_TEST_TMPDIR/fresh/deeper/chat.db"
	pids=()
	for i in $(seq 1 20); do
		chat-new --name "first$i" > "$BATS_TEST_TMPDIR/out$i" 2>&1 &
		pids+=($!)
	done
	failed=0
	for p in "${pids[@]}"; do
		wait "$p" || failed=$((failed + 1))
	done
	grep -hv '^{' "$BATS_TEST_TMPDIR"/out* || true
	[ "$failed" -eq 0 ]
	[ "$(db 'SELECT count(*) FROM sessions')" -eq 20 ]
	[ "$(db 'PRAGMA user_version')" = 7 ]
	[ "$(db 'PRAGMA journal_mode')" = wal ]
	[ "$(stat -c %a "$CHAT_DB")" = 600 ]
}

@test "20 chat-set at once on the same session all succeed" {
	S=$(new_session --name contested)
	pids=()
	for i in $(seq 1 20); do
		chat-set --tag "t$i" "$S" > /dev/null 2> "$BATS_TEST_TMPDIR/err$i" &
		pids+=($!)
	done
	failed=0
	for p in "${pids[@]}"; do
		wait "$p" || failed=$((failed + 1))
	done
	cat "$BATS_TEST_TMPDIR"/err*
	[ "$failed" -eq 0 ]
	# each change read the session inside its own transaction: none lost
	[ "$(db "SELECT json_array_length(json(tags)) FROM sessions WHERE id = '$S'")" -eq 20 ]
}

# ---- the writers' queue ----

# A confab export of one session of N messages of W random words each, big
# enough that importing it takes a while: body N W writes the messages
# once, export FILE ID wraps them in a session.
body() {
	awk -v n="$1" -v w="$2" 'BEGIN {
		srand(1)
		for (i = 1; i <= n; i++) {
			s = ""
			for (j = 0; j < w; j++)
				s = s sprintf("w%x ", int(rand() * 200000))
			printf "%s{\"role\":\"%s\",\"content\":\"%s\",\"timestamp\":\"2025-01-01T00:00:00Z\"}",
				(i > 1 ? "," : ""), (i % 2 ? "user" : "assistant"), s
		}
	}' > "$BATS_TEST_TMPDIR/body"
}
export_file() {
	{
		printf '{"type":"session","id":"%s","name":"load %s","messages":[' "$2" "$2"
		cat "$BATS_TEST_TMPDIR/body"
		echo ']}'
	} > "$1"
}
sid() { printf '0d1a2b3c-0000-4000-8000-%012d' "$1"; }

# How many writers hold a ticket in the queue, waiting or writing: the
# write locks from byte 8 of PATH-lock, as /proc/locks lists them.
tickets() {
	local ino
	ino=$(stat -c %i "$CHAT_DB-lock" 2> /dev/null) || { echo 0; return; }
	awk -v ino=":$ino" '$2 == "OFDLCK" && $4 == "WRITE" && $7 >= 8 &&
		substr($6, length($6) - length(ino) + 1) == ino' /proc/locks | wc -l
}
# Waits up to 30 s for a shell condition.
wait_for() {
	local i
	for ((i = 0; i < 3000; i++)); do
		eval "$1" && return 0
		sleep 0.01
	done
	echo "still not: $1" >&2
	return 1
}
# Starts an import that takes a while and stops it while it holds the
# store; its pid in $HOLDER.
hold_store() {
	body 1500 200
	export_file "$BATS_TEST_TMPDIR/hold.json" "$(sid 999)"
	chat-import "$BATS_TEST_TMPDIR/hold.json" > /dev/null 2> "$BATS_TEST_TMPDIR/hold.err" &
	HOLDER=$!
	wait_for '[ "$(tickets)" -ge 1 ]'
	kill -STOP "$HOLDER"
	[ "$(tickets)" -eq 1 ]
}
teardown() {
	if [ -n "${HOLDER:-}" ]; then
		kill -CONT "$HOLDER" 2> /dev/null || true
		kill "$HOLDER" 2> /dev/null || true
	fi
}

@test "32 big imports and 20 chat-add at once: all succeed, the adds in the order they came" {
	# 32 transactions of over a second each (5.8 MB exports), one after
	# another: before the queue, SQLite's busy timeout (30 s) ran out for
	# the last ones (8 failed on an idle machine), and the waiting chat-adds
	# went in any order.  On PostgreSQL, where no busy timeout runs out
	# and an import of these is some 12 s, 8 of them queue the adds as well
	local n=32
	[ "${CONFAB_TEST_DB:-}" != pg ] || n=8
	S=$(new_session --name shared)
	body 2800 300
	for i in $(seq 1 "$n"); do
		export_file "$BATS_TEST_TMPDIR/imp$i.json" "$(sid "$i")"
	done
	pids=()
	for i in $(seq 1 "$n"); do
		chat-import "$BATS_TEST_TMPDIR/imp$i.json" > "$BATS_TEST_TMPDIR/imp$i.out" 2>&1 &
		pids+=($!)
	done
	# in the middle: after a few imports, while the rest are queued
	wait_for '[ "$(db "SELECT count(*) FROM sessions")" -ge 5 ]'
	for i in $(seq 1 20); do
		chat-add -s shared "message $i" > "$BATS_TEST_TMPDIR/add$i.out" 2>&1 &
		pids+=($!)
		sleep 0.3
	done
	failed=0
	for p in "${pids[@]}"; do
		wait "$p" || failed=$((failed + 1))
	done
	cat "$BATS_TEST_TMPDIR"/imp*.out "$BATS_TEST_TMPDIR"/add*.out | grep -v '^{' || true
	[ "$failed" -eq 0 ]
	[ "$(db 'SELECT count(*), sum(message_count) FROM sessions')" = "$((n + 1))|$((n * 2800 + 20))" ]
	[ "$(db 'SELECT count(*) FROM messages')" -eq $((n * 2800 + 20)) ]
	for i in $(seq 1 "$n"); do
		[ "$(db "SELECT message_count FROM sessions WHERE id = '$(sid "$i")'")" -eq 2800 ]
	done
	# each chat-add waited its turn: stored in the order they started
	[ "$(db "SELECT group_concat(content, ',') FROM (SELECT content FROM messages WHERE session_id = '$S' ORDER BY seq) AS t")" = \
	  "$(seq -f 'message %g' 1 20 | paste -sd,)" ]
}

@test "a chat-add that comes while an import writes goes before the imports that come after it" {
	sqlite_only "the writers' queue is a lock file beside SQLite's; PostgreSQL orders writers itself"
	S=$(new_session --name first)
	hold_store
	chat-add -s "$S" "came second" > "$BATS_TEST_TMPDIR/add.out" 2>&1 &
	add=$!
	wait_for '[ "$(tickets)" -eq 2 ]'
	echo '{"type":"session","id":"'"$(sid 1)"'","name":"third","messages":[{"role":"user","content":"came third"}]}' > "$BATS_TEST_TMPDIR/third.json"
	echo '{"type":"session","id":"'"$(sid 2)"'","name":"fourth","messages":[{"role":"user","content":"came fourth"}]}' > "$BATS_TEST_TMPDIR/fourth.json"
	chat-import "$BATS_TEST_TMPDIR/third.json" > /dev/null 2>&1 &
	third=$!
	wait_for '[ "$(tickets)" -eq 3 ]'
	chat-import "$BATS_TEST_TMPDIR/fourth.json" > /dev/null 2>&1 &
	fourth=$!
	wait_for '[ "$(tickets)" -eq 4 ]'
	kill -CONT "$HOLDER"
	wait "$HOLDER"
	wait "$add"
	wait "$third"
	wait "$fourth"
	HOLDER=
	# the order they were stored in: rowids follow inserts
	[ "$(db "SELECT group_concat(content, ',') FROM (SELECT content FROM messages WHERE content LIKE 'came %' ORDER BY n) AS t")" = \
	  "came second,came third,came fourth" ]
	[ "$(db "SELECT group_concat(name, ',') FROM (SELECT name FROM sessions ORDER BY n) AS t")" = \
	  "first,load $(sid 999),third,fourth" ]
}

@test "a writer killed while it writes or waits holds up no one, and leaves nothing behind" {
	sqlite_only "the writers' queue is a lock file beside SQLite's; PostgreSQL orders writers itself"
	S=$(new_session --name s)
	hold_store
	chat-add -s "$S" "killed while waiting" > /dev/null 2>&1 &
	doomed=$!
	wait_for '[ "$(tickets)" -eq 2 ]'
	chat-add -s "$S" "survivor" > "$BATS_TEST_TMPDIR/add.out" 2>&1 &
	survivor=$!
	wait_for '[ "$(tickets)" -eq 3 ]'
	kill -KILL "$doomed"
	kill -KILL "$HOLDER"
	wait "$survivor"
	HOLDER=
	[ "$(jq -r .content "$BATS_TEST_TMPDIR/add.out")" = survivor ]
	[ "$(db 'SELECT count(*) FROM sessions')" -eq 1 ]
	[ "$(db "SELECT group_concat(content) FROM messages")" = survivor ]
	[ "$(tickets)" -eq 0 ]
	# and the next one finds the queue empty
	config <<< 'busy-timeout = 1'
	run -0 chat-add -s "$S" after
}

@test "busy-timeout: a writer that waits longer ends with exit 6 naming the holder, and changes nothing" {
	sqlite_only "the writers' queue is a lock file beside SQLite's; PostgreSQL orders writers itself"
	S=$(new_session --name s)
	config <<< 'busy-timeout = 1'
	hold_store
	t0=$(date +%s%N)
	run -6 --separate-stderr chat-add -s "$S" "too late"
	t1=$(date +%s%N)
	one_error chat-add
	[[ "$stderr" =~ ^"chat-add: $CHAT_DB: gave up after 1."[0-9]" s waiting for its turn to write, behind chat-import (pid $HOLDER), which has held the store for "[0-9.]+" s; see busy-timeout in confab(5)"$ ]]
	[ $(((t1 - t0) / 1000000)) -ge 1000 ]
	[ $(((t1 - t0) / 1000000)) -lt 5000 ]
	# with another writer queued ahead (one that waits longer), it says so
	mkdir -p "$BATS_TEST_TMPDIR/patient/confab"
	echo 'busy-timeout = 60' > "$BATS_TEST_TMPDIR/patient/confab/config"
	XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/patient chat-add -s "$S" "queued" > /dev/null 2>&1 &
	queued=$!
	wait_for '[ "$(tickets)" -eq 2 ]'
	run -6 --separate-stderr chat-set --star "$S"
	one_error chat-set
	[[ "$stderr" == *", behind chat-import (pid $HOLDER), which has held the store for "*" s, and 1 more writer; see busy-timeout in confab(5)" ]]
	[ "$(db 'SELECT count(*) FROM messages')" -eq 0 ]
	[ "$(db "SELECT starred FROM sessions WHERE id = '$S'")" -eq 0 ]
	kill -CONT "$HOLDER"
	wait "$HOLDER"
	HOLDER=
	wait "$queued"
	# the holder was not disturbed, the patient one got in, and the queue
	# is free again
	[ "$(db 'SELECT count(*) FROM sessions')" -eq 2 ]
	[ "$(db "SELECT group_concat(content) FROM messages WHERE session_id = '$S'")" = queued ]
	run -0 chat-add -s "$S" "in time"
}

@test "busy-timeout: a program outside the queue holding SQLite's lock is named" {
	sqlite_only "SQLite's write lock"
	S=$(new_session --name s)
	config <<< 'busy-timeout = 1'
	mkfifo "$BATS_TEST_TMPDIR/sql"
	sqlite3 "$CHAT_DB" < "$BATS_TEST_TMPDIR/sql" > /dev/null 2>&1 &
	HOLDER=$!
	exec 7> "$BATS_TEST_TMPDIR/sql"
	echo 'BEGIN IMMEDIATE; SELECT 1;' >&7
	sleep 0.2
	run -6 --separate-stderr chat-add -s "$S" "too late"
	one_error chat-add
	[[ "$stderr" =~ ^"chat-add: $CHAT_DB: gave up after 1."[0-9]" s waiting for the write lock, held by sqlite3 (pid $HOLDER) outside confab's queue; see busy-timeout in confab(5)"$ ]]
	echo 'COMMIT;' >&7
	exec 7>&-
	wait "$HOLDER"
	HOLDER=
	[ "$(db 'SELECT count(*) FROM messages')" -eq 0 ]
	run -0 chat-add -s "$S" "in time"
}

@test "busy-timeout must be a whole number of seconds from 1 to 86400 (exit 7)" {
	S=$(new_session --name s)
	for v in 0 -1 1.5 abc 86401 ''; do
		config <<< "busy-timeout = $v"
		run -7 --separate-stderr chat-add -s "$S" hi
		one_error chat-add
		[ "$stderr" = "chat-add: $XDG_CONFIG_HOME/confab/config: invalid busy-timeout '$v'" ]
	done
	[ "$(db 'SELECT count(*) FROM messages')" -eq 0 ]
	config <<< 'busy-timeout = 86400'
	run -0 chat-add -s "$S" hi
}

@test "a queue file that cannot be used (a symlink) leaves the queueing to SQLite" {
	sqlite_only "the writers' queue is a lock file beside SQLite's"
	S=$(new_session --name s)
	ln -sf "$BATS_TEST_TMPDIR/elsewhere" "$CHAT_DB-lock"
	pids=()
	for i in $(seq 1 10); do
		chat-add -s "$S" "m$i" > /dev/null &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p"
	done
	[ "$(db "SELECT message_count FROM sessions WHERE id = '$S'")" -eq 10 ]
	[ ! -e "$BATS_TEST_TMPDIR/elsewhere" ]
	[ -L "$CHAT_DB-lock" ]
}

@test "readers take no part in the queue: they run while a writer holds the store" {
	sqlite_only "the writers' queue is a lock file beside SQLite's"
	S=$(new_session --name s)
	chat-add -s "$S" hello > /dev/null
	rm -f "$CHAT_DB-lock"
	# a store nothing has written since: reading makes no lock file
	run -0 chat-ls --json
	[ ! -e "$CHAT_DB-lock" ]
	config <<< 'busy-timeout = 1'
	hold_store
	SECONDS=0
	run -0 chat-ls --json
	[ "$(jq -r .name <<< "$output")" = s ]
	run -0 chat-show --json "$S"
	[ "$(jq -r .content <<< "$output")" = hello ]
	run -0 chat-ls --search hello --json
	[ "$SECONDS" -lt 2 ]
}

# ---- FTS5 in step ----

@test "the message index follows adds and deletes" {
	sqlite_only "FTS5's tables, kept by triggers; PostgreSQL's tsvector is a generated column (201 searches it)"
	S=$(new_session --name fts)
	fts() {
		db "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '$1'"
	}
	[ "$(fts zebra)" -eq 0 ]
	chat-add -s "$S" "a zebra crossing" > /dev/null
	chat-add -s "$S" "another zebra" > /dev/null
	chat-add -s "$S" "no stripes" > /dev/null
	[ "$(fts zebra)" -eq 2 ]
	[ "$(fts stripes)" -eq 1 ]
	[ "$(db "SELECT content FROM messages WHERE n IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'crossing')")" = 'a zebra crossing' ]
	run -0 chat-rm -f "$S"
	[ "$(fts zebra)" -eq 0 ]
	[ "$(fts stripes)" -eq 0 ]
	# the index is consistent with its table
	db "INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)"
}

@test "the session-name index follows create, rename and delete" {
	sqlite_only "FTS5's tables, kept by triggers; PostgreSQL's tsvector is a generated column (201 searches it)"
	fts() {
		db "SELECT count(*) FROM sessions_fts WHERE sessions_fts MATCH '$1'"
	}
	S=$(new_session --name 'quarterly budget')
	[ "$(fts budget)" -eq 1 ]
	[ "$(fts forecast)" -eq 0 ]
	run -0 chat-set --name 'yearly forecast' "$S"
	[ "$(fts budget)" -eq 0 ]
	[ "$(fts forecast)" -eq 1 ]
	[ "$(fts yearly)" -eq 1 ]
	# a change that is not a rename leaves the index alone
	run -0 chat-set --star "$S"
	[ "$(fts forecast)" -eq 1 ]
	run -0 chat-rm -f "$S"
	[ "$(fts forecast)" -eq 0 ]
	db "INSERT INTO sessions_fts(sessions_fts, rank) VALUES ('integrity-check', 1)"
}

@test "chat-ls --search finds through both indexes" {
	S=$(new_session --name 'kiwi plans')
	T=$(new_session --name other)
	chat-add -s "$T" "we talked about mango" > /dev/null
	run -0 chat-ls --search kiwi --json
	[ "$(jq -r .id <<<"$output")" = "$S" ]
	run -0 chat-ls --search mango --json
	[ "$(jq -r .id <<<"$output")" = "$T" ]
}

# ---- order and the last-N index ----

@test "messages have a stable order: seq 1..N in the order added" {
	S=$(new_session)
	for i in 1 2 3 4 5; do
		chat-add -s "$S" --time "2030-01-0$((6 - i))T00:00:00Z" "m$i" > /dev/null
	done
	[ "$(db "SELECT group_concat(content) FROM (SELECT content FROM messages WHERE session_id = '$S' ORDER BY seq) AS t")" = m1,m2,m3,m4,m5 ]
	[ "$(db "SELECT group_concat(CAST(seq AS TEXT)) FROM (SELECT seq FROM messages WHERE session_id = '$S' ORDER BY n) AS t")" = 1,2,3,4,5 ]
	run -0 chat-show --json "$S"
	[ "$(jq -sc 'map(.content)' <<<"$output")" = '["m1","m2","m3","m4","m5"]' ]
	run -0 chat-show --json --last 2 "$S"
	[ "$(jq -sc 'map(.content)' <<<"$output")" = '["m4","m5"]' ]
}

@test "the last-N query walks the (session_id, seq) index" {
	sqlite_only "SQLite's EXPLAIN QUERY PLAN"
	chat-new > /dev/null
	# the `tail` query of lib/message.c, as prepared there
	sql="SELECT * FROM (SELECT m.id, m.session_id, m.role, m.content, m.timestamp, m.tokens,
	 m.model, m.processing_time, m.reactions, m.edits, m.extra,
	 m.activity_events, m.plugin_commands, m.files,
	 (SELECT json_group_array(json_object('id', a.id, 'type', a.type,
	  'name', a.name, 'size', a.size, 'mimeType', a.mime_type))
	  FROM attachments a WHERE a.message_id = m.id), m.seq AS k FROM messages m
	 WHERE m.session_id = ?1 AND m.seq <= coalesce((SELECT seq FROM
	 messages WHERE id = ?2), 9223372036854775807)
	 ORDER BY m.seq DESC LIMIT ?3) ORDER BY k"
	run -0 sqlite3 "$CHAT_DB" "EXPLAIN QUERY PLAN $sql"
	echo "$output"
	[[ "$output" == *"SEARCH m USING INDEX sqlite_autoindex_messages_2 (session_id=? AND seq<?)"* ]]
	[[ "$output" == *"SEARCH messages USING INDEX sqlite_autoindex_messages_1 (id=?)"* ]]
	[[ "$output" == *"SEARCH a USING INDEX attachments_message (message_id=?)"* ]]
	# no full pass over the messages, and no sort of the session's rows
	[[ "$output" != *"SCAN m"* ]]
	[[ "$output" != *"SCAN messages"* ]]
	# sqlite_autoindex_messages_2 is UNIQUE (session_id, seq)
	[ "$(db "SELECT group_concat(name) FROM pragma_index_info('sqlite_autoindex_messages_2')")" = session_id,seq ]
}

@test "deleting a parent leaves its branches whole, with no dangling references" {
	new_session -n parent >/dev/null
	chat-add -s parent "one" >/dev/null
	chat-add -s parent "two" >/dev/null
	bid=$(chat-branch parent | jq -r .id)
	run -0 chat-show "$bid" --json
	[ "$(jq -r .parentSessionId <<< "$(chat-ls --json | jq -c "select(.id == \"$bid\")")")" != null ]
	chat-rm -f parent >/dev/null
	run -0 chat-ls --json
	[ "$(jq -r '[.parentSessionId, .branchPoint, .metadata.messageCount] | @csv' <<< "$output")" = ',,2' ]
	run -0 chat-show "$bid" --json
	[ "$(jq -r .content <<< "$output" | paste -sd,)" = "one,two" ]
}
