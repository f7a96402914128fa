#!/usr/bin/env bats
# Whose file it is, and stores that cannot be written (issue 8, items 6, 7).

load helper

db() { sqlite3 "$CHAT_DB" "$@"; }

# A store made by confab 0.1.0 (schema 1, no application id).
old_store() {
	mkdir -p "$(dirname "$CHAT_DB")"
	sqlite3 "$CHAT_DB" < "$ROOT/tests/fixtures/store/v1.sql"
}

@test "a store confab makes carries its application id" {
	sqlite_only "SQLite's application_id pragma"
	chat-new > /dev/null
	[ "$(db 'PRAGMA application_id')" = 1128677698 ]
}

@test "a store made before the stamp is known by its schema, migrated and stamped" {
	sqlite_only "a schema-1 SQLite file and its application_id"
	old_store
	[ "$(db 'PRAGMA application_id')" = 0 ]
	run -0 chat-ls --json
	[ "${#lines[@]}" -eq 2 ]
	[ "$(db 'PRAGMA application_id')" = 1128677698 ]
	[ "$(db 'PRAGMA user_version')" = 7 ]
	# its old messages are in the rebuilt index, which FTS5 finds whole
	run -0 chat-ls --search zebra --json
	[ "${#lines[@]}" -eq 2 ]
	db "INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)"
}

@test "another program's database (its own application id) is refused, untouched" {
	sqlite_only "SQLite's application_id and the file's checksum"
	mkdir -p "$(dirname "$CHAT_DB")"
	db 'PRAGMA application_id = 12345; CREATE TABLE sessions (x); PRAGMA user_version = 1'
	sum=$(sha256sum < "$CHAT_DB")
	for cmd in chat-new chat-ls "chat-add -s x hi" chat-cost; do
		run -6 --separate-stderr $cmd < /dev/null
		one_error "${cmd%% *}"
		[[ "$stderr" == *"belongs to another program"* ]]
		[ "$(sha256sum < "$CHAT_DB")" = "$sum" ]
	done
	[ ! -e "$CHAT_DB-wal" ]
}

@test "a database with tables and no confab schema is refused, untouched" {
	sqlite_only "the file's checksum, sqlite_master, user_version and journal_mode"
	mkdir -p "$(dirname "$CHAT_DB")"
	db 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ("mine")'
	sum=$(sha256sum < "$CHAT_DB")
	run -6 --separate-stderr chat-new --name x
	one_error chat-new
	[ "$stderr" = "chat-new: $CHAT_DB: not a confab store (it has tables of another program); not touching it" ]
	run -6 --separate-stderr chat-ls
	one_error chat-ls
	[ "$(sha256sum < "$CHAT_DB")" = "$sum" ]
	[ "$(db 'SELECT group_concat(name) FROM sqlite_master')" = notes ]
	# a version number alone does not make it ours
	db 'PRAGMA user_version = 1'
	sum=$(sha256sum < "$CHAT_DB")
	run -6 --separate-stderr chat-new
	[ "$(sha256sum < "$CHAT_DB")" = "$sum" ]
	[ "$(db 'PRAGMA journal_mode')" = delete ]
}

# A store with two sessions in a folder everyone can read.
shared_store() {
	local d
	d=$(mktemp -d /tmp/confab-ro-XXXXXX)
	chmod 755 "$d"
	export RO_DIR=$d
	export CHAT_DB="$d/chat.db"
	export XDG_CONFIG_HOME="$d/config" HOME="$d"
	S=$(new_session --name readable)
	chat-add -s "$S" "a zebra crossing" > /dev/null
	chat-add -s "$S" --role assistant "stripes" > /dev/null
	chmod 644 "$CHAT_DB"
}

teardown() {
	[ -z "${RO_MNT:-}" ] || umount "$RO_MNT" 2> /dev/null || true
	[ -z "${RO_DIR:-}" ] || rm -rf "$RO_DIR"
}

as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
}

@test "another user's 0644 store: reading programs work, writers say read-only (exit 6)" {
	sqlite_only "the file's mode and owner"
	command -v setpriv > /dev/null || skip "no setpriv"
	shared_store
	sum=$(sha256sum < "$CHAT_DB")
	run -0 as_nobody "$ROOT/bin/chat-ls" --json
	[ "$(jq -r .name <<< "$output")" = readable ]
	run -0 as_nobody "$ROOT/bin/chat-ls" --search zebra --json
	[ "$(jq -r .match.snippet <<< "$output")" = "a **zebra** crossing" ]
	run -0 as_nobody "$ROOT/bin/chat-show" --json readable
	[ "${#lines[@]}" -eq 2 ]
	run -0 as_nobody "$ROOT/bin/chat-export" -f markdown readable
	[[ "$output" == *"a zebra crossing"* ]]
	run -0 as_nobody "$ROOT/bin/chat-cost" --json
	for cmd in "chat-add -s readable more" "chat-new --name x" "chat-set --star readable" "chat-rm -f readable"; do
		run -6 --separate-stderr as_nobody "$ROOT/bin/${cmd%% *}" ${cmd#* } < /dev/null
		one_error "${cmd%% *}"
		[ "$stderr" = "${cmd%% *}: $CHAT_DB: the store is read-only" ]
	done
	[ "$(sha256sum < "$CHAT_DB")" = "$sum" ]
}

@test "a store on a read-only mount: read (immutable, no WAL files made), writers exit 6" {
	sqlite_only "a read-only mount under the file"
	d=$(mktemp -d /tmp/confab-mnt-XXXXXX)
	mount -t tmpfs -o size=8m tmpfs "$d" 2> /dev/null || { rmdir "$d"; skip "cannot mount a tmpfs here"; }
	export RO_MNT=$d RO_DIR=$d
	export CHAT_DB="$d/chat.db"
	S=$(new_session --name mounted)
	chat-add -s "$S" "on a mount" > /dev/null
	mount -o remount,ro "$d"
	[ ! -e "$CHAT_DB-shm" ]
	run -0 chat-ls --json
	[ "$(jq -r .name <<< "$output")" = mounted ]
	run -0 chat-show mounted --json
	[ "$(jq -r 'select(.type == "message") | .content' <<< "$output")" = "on a mount" ]
	run -0 chat-export -f json mounted
	run -0 chat-cost
	run -6 --separate-stderr chat-add -s mounted more
	[ "$stderr" = "chat-add: $CHAT_DB: the store is read-only" ]
	[ ! -e "$CHAT_DB-shm" ] && [ ! -e "$CHAT_DB-wal" ]
}

@test "another program's database in WAL mode: no -wal or -shm made beside it" {
	sqlite_only "SQLite's WAL files"
	mkdir -p "$(dirname "$CHAT_DB")"
	db 'PRAGMA journal_mode = WAL; PRAGMA application_id = 42; CREATE TABLE t (x); INSERT INTO t VALUES (1)' > /dev/null
	[ ! -e "$CHAT_DB-wal" ]
	sum=$(sha256sum < "$CHAT_DB")
	for cmd in chat-ls chat-new "chat-show x"; do
		run -6 --separate-stderr $cmd
		[[ "$stderr" == *"belongs to another program"* ]]
	done
	[ ! -e "$CHAT_DB-wal" ] && [ ! -e "$CHAT_DB-shm" ]
	[ "$(sha256sum < "$CHAT_DB")" = "$sum" ]
	# without an id, tables of its own
	rm "$CHAT_DB"
	db 'PRAGMA journal_mode = WAL; CREATE TABLE t (x)' > /dev/null
	run -6 chat-ls
	[ ! -e "$CHAT_DB-wal" ] && [ ! -e "$CHAT_DB-shm" ]
}
