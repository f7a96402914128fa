#!/usr/bin/env bats
# chat-activity: events added by arguments and by JSON lines (all or
# nothing), listed as records and as a table, searched, pruned after
# activity-days, and queued (never lost) while another program holds the
# store's write lock.

load helper

setup() {
	common_setup
	export NO_COLOR=1
	cd "$BATS_TEST_TMPDIR"
	mkdir -p "$(dirname "$CHAT_DB")"
}

teardown() {
	if [ -n "${HOLDER:-}" ]; then
		exec 7>&-
		wait "$HOLDER" 2>/dev/null || true
	fi
}

events() { store_sql "SELECT count(*) FROM activity"; }

# Holds the store's write lock from a sqlite3 shell until release.
hold_lock() {
	sqlite_only "the write lock is SQLite's, held from a sqlite3 shell"
	chat-activity add --kind note "before the lock" >/dev/null
	mkfifo "$BATS_TEST_TMPDIR/lock"
	sqlite3 "$CHAT_DB" < "$BATS_TEST_TMPDIR/lock" > "$BATS_TEST_TMPDIR/lock.out" 2>&1 &
	HOLDER=$!
	exec 7> "$BATS_TEST_TMPDIR/lock"
	echo "BEGIN IMMEDIATE; INSERT INTO activity (id, at, kind, text) VALUES ('held', 0, 'note', 'held'); SELECT 'locked';" >&7
	# the lock is held once sqlite3 answers
	for _ in $(seq 100); do
		grep -q locked "$BATS_TEST_TMPDIR/lock.out" && return 0
		sleep 0.05
	done
	return 1
}

release_lock() {
	echo "ROLLBACK;" >&7
	exec 7>&-
	wait "$HOLDER"
	HOLDER=
}

@test "add TEXT: one event with its kind, source and data, printed by ls as a record" {
	run -0 --separate-stderr chat-activity add --kind error --source make \
		--status 2 --cwd /src --duration-ms 1500 "cc: foo.c:3: error: expected ';'"
	[ -z "$stderr" ]
	run -0 chat-activity ls
	[ "$(jq -c '[.type, .kind, .source, .text, .data]' <<< "$output")" = \
		"[\"activity\",\"error\",\"make\",\"cc: foo.c:3: error: expected ';'\",{\"status\":2,\"cwd\":\"/src\",\"durationMs\":1500}]" ]
	# an RFC 3339 time and a UUIDv7
	jq -e '.at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")' <<< "$output"
	jq -e '.id | test("^[0-9a-f]{8}-[0-9a-f]{4}-7")' <<< "$output"
	# a note by default; the words of the arguments joined
	chat-activity add remember the milk
	[ "$(chat-activity ls --kind note | jq -r '[.kind, .source, .text] | join("|")')" = "note||remember the milk" ]
}

@test "add from stdin: JSON lines, --kind and --source fill what a record lacks, --at kept" {
	at=$(date -u -d '-2 days' +%FT%TZ)
	printf '%s\n' '{"kind":"test","source":"ci","text":"42 passed","data":{"passed":42}}' \
		'' '{"text":"disk almost full","at":"'"$at"'"}' |
		chat-activity add --kind error --source syslog
	[ "$(events)" = 2 ]
	run -0 chat-activity ls
	[ "$(jq -sc 'map([.kind, .source, .text, .at])' <<< "$output")" = \
		'[["error","syslog","disk almost full","'"${at%Z}"'.000Z"],["test","ci","42 passed",'"$(jq -sc '.[1].at' <<< "$output")"']]' ]
}

@test "a journalctl-like pipeline through jq: each entry an error event from its unit" {
	# journalctl -o json writes objects like these, one a line
	printf '%s\n' \
		'{"_SYSTEMD_UNIT":"nginx.service","MESSAGE":"bind() to 0.0.0.0:80 failed","PRIORITY":"3"}' \
		'{"_SYSTEMD_UNIT":"cron.service","MESSAGE":"(root) CMD (backup)","PRIORITY":"6"}' |
		jq -c '{kind: "error", source: ._SYSTEMD_UNIT, text: .MESSAGE}' | chat-activity add
	run -0 chat-activity ls --kind error
	[ "$(jq -sc 'map(.source + ": " + .text)' <<< "$output")" = \
		'["nginx.service: bind() to 0.0.0.0:80 failed","cron.service: (root) CMD (backup)"]' ]
	run -0 chat-activity ls --search nginx
	[ "$(jq -sr 'length' <<< "$output")" = 1 ]
}

@test "a malformed record: one line naming it, exit 5, and nothing added" {
	chat-activity add --kind note "already there"
	for bad in 'not json' '{"text":"no kind"}' '{"kind":"bogus","text":"x"}' \
		'{"kind":"note"}' '{"kind":"note","text":"x","data":[1]}' \
		'{"kind":"note","text":"x","at":"yesterday-ish"}' '{"kind":"note","text":"x","colour":"red"}' \
		'[1,2]'; do
		run -5 --separate-stderr bash -c 'printf "%s\n" "{\"kind\":\"note\",\"text\":\"good one\"}" "" "$1" "{\"kind\":\"note\",\"text\":\"after\"}" | chat-activity add' _ "$bad"
		[ -z "$output" ]
		[ "${#stderr_lines[@]}" = 1 ]
		[[ "$stderr" == "chat-activity: stdin:3: malformed event"* ]]
		[ "$(events)" = 1 ]
	done
	# on the command line: a usage error, nothing added
	run -2 --separate-stderr chat-activity add --kind bogus "x"
	[[ "$stderr" == *"unknown kind 'bogus'"* ]]
	run -2 --separate-stderr chat-activity add --at never "x"
	[ "$(events)" = 1 ]
}

@test "a flood of 100,000 events is stored in one transaction in bounded memory" {
	seq 100000 | awk '{printf "{\"kind\":\"error\",\"source\":\"flood\",\"text\":\"flood event %d\"}\n", $1}' > flood
	seq 1000 | awk '{printf "{\"kind\":\"error\",\"source\":\"flood\",\"text\":\"small event %d\"}\n", $1}' > small
	run -0 --separate-stderr /usr/bin/time -f '%M' chat-activity add < small
	small_kb=${stderr_lines[-1]}
	run -0 --separate-stderr /usr/bin/time -f '%M' chat-activity add < flood
	big_kb=${stderr_lines[-1]}
	[ "$(events)" = 101000 ]
	# a hundred times the events, not a hundred times the memory (a
	# whole-input reader would hold ~5 MB of text and ~40 MB of jv)
	echo "1000 events: $small_kb KB, 100000: $big_kb KB"
	[ "$big_kb" -lt $((small_kb + 8000)) ]
	# and one bad record at the very end takes every one of them back
	{ cat flood; echo '{"kind":"error"}'; } > bad
	run -5 --separate-stderr chat-activity add < bad
	[ "$stderr" = "chat-activity: stdin:100001: malformed event: no text (a string)" ]
	[ "$(events)" = 101000 ]
}

@test "ls: --since, --kind, --search, --limit; oldest first" {
	config <<< "activity-days = 0"   # keep the old one
	printf '%s\n' \
		'{"kind":"note","text":"old one","at":"2020-01-01T00:00:00Z"}' \
		'{"kind":"error","source":"make","text":"link failed: undefined reference to frob","at":"'"$(date -u -d '-3 hours' +%FT%TZ)"'"}' \
		'{"kind":"test","source":"ci","text":"tests passed","at":"'"$(date -u -d '-20 minutes' +%FT%TZ)"'"}' \
		'{"kind":"error","source":"make","text":"compile failed: frob.c","at":"'"$(date -u -d '-5 minutes' +%FT%TZ)"'"}' |
		chat-activity add
	t() { chat-activity ls "$@" | jq -sr 'map(.text) | join(",")'; }
	[ "$(t)" = "old one,link failed: undefined reference to frob,tests passed,compile failed: frob.c" ]
	[ "$(t --since 1h)" = "tests passed,compile failed: frob.c" ]
	[ "$(t --since 2h --kind error)" = "compile failed: frob.c" ]
	[ "$(t --kind error)" = "link failed: undefined reference to frob,compile failed: frob.c" ]
	[ "$(t --search frob)" = "link failed: undefined reference to frob,compile failed: frob.c" ]
	[ "$(t --search ci)" = "tests passed" ]          # the source is searched too
	[ "$(t --limit 2)" = "tests passed,compile failed: frob.c" ]
	[ "$(t --since 2019-06-01 --limit 1)" = "compile failed: frob.c" ]
	[ "$(t --since today --search old)" = "" ]
	run -2 --separate-stderr chat-activity ls --since soon
	[[ "$stderr" == *"--since: not a time: 'soon'"* ]]
	run -2 --separate-stderr chat-activity ls --kind nope
}

@test "ls on a terminal: a table, control characters in the text made harmless" {
	chat-activity add --kind command --source bash --status 127 $'frobnicate\e[2J --all'
	run -0 on_tty chat-activity ls
	[[ "$output" == *"command"*"bash"*"127"*"frobnicate"*"--all"* ]]
	[[ "$output" != *$'\e[2J'* ]]
	# --json on a terminal: records still
	run -0 on_tty chat-activity ls --json
	[[ "$output" == *'"type":"activity"'* ]]
}

@test "events older than activity-days are pruned as events are added; 0 keeps them" {
	printf '%s\n' \
		'{"kind":"note","text":"ancient","at":"2020-01-01T00:00:00Z"}' \
		'{"kind":"note","text":"last week","at":"'"$(date -u -d '-8 days' +%FT%TZ)"'"}' |
		chat-activity add
	# added then pruned in the same transaction with the default of 30 days
	[ "$(chat-activity ls | jq -sr 'map(.text) | join(",")')" = "last week" ]
	config <<< "activity-days = 7"
	chat-activity add "now"
	[ "$(chat-activity ls | jq -sr 'map(.text) | join(",")')" = "now" ]
	config <<< "activity-days = 0"
	chat-activity add --at 2019-01-01T00:00:00Z "kept forever"
	[ "$(events)" = 2 ]
	# prune --before, whatever the config
	run -0 chat-activity prune --before 2020-01-01
	[ "$(chat-activity ls | jq -sr 'map(.text) | join(",")')" = "now" ]
	config <<< "activity-days = lots"
	run -7 --separate-stderr chat-activity add "x"
	[[ "$stderr" == *"invalid activity-days 'lots'"* ]]
	[ "$(events)" = 1 ]
}

@test "the store locked by another program: add --queue queues at once, the next add stores it, nothing lost" {
	hold_lock
	# queued is what --queue asks for: status 0, not a word
	run -0 --separate-stderr chat-activity add --queue --kind error --source bash "while locked"
	[ -z "$stderr" ]
	# records on stdin too, all of them checked first
	run -5 --separate-stderr bash -c 'printf "%s\n" "{\"kind\":\"note\",\"text\":\"a\"}" "{\"kind\":\"x\"}" | chat-activity add --queue'
	printf '{"kind":"note","text":"queued %d"}\n' 1 2 3 | { run -0 chat-activity add --queue; }
	[ "$(ls "$XDG_STATE_HOME/confab/activity-queue" | wc -l)" = 2 ]
	release_lock
	[ "$(events)" = 1 ]
	# the next chat-activity that gets the store drains the queue
	chat-activity add "after the lock"
	[ "$(ls "$XDG_STATE_HOME/confab/activity-queue" | wc -l)" = 0 ]
	[ "$(chat-activity ls | jq -sr 'map(.text) | join(",")')" = \
		"before the lock,while locked,queued 1,queued 2,queued 3,after the lock" ]
}

@test "ls drains the queue too; a batch queued for another store stays for it" {
	hold_lock
	run -0 chat-activity add --queue "for this store"
	release_lock
	# a batch of another store's, in the same queue folder
	CHAT_DB="$BATS_TEST_TMPDIR/other.db" chat-activity add "other's first"
	q=$(ls "$XDG_STATE_HOME/confab/activity-queue")
	run -0 chat-activity ls --search store
	[ "$(jq -r .text <<< "$output")" = "for this store" ]
	[ -z "$(ls "$XDG_STATE_HOME/confab/activity-queue")" ]
	[ "$(CHAT_DB="$BATS_TEST_TMPDIR/other.db" chat-activity ls | jq -sr 'map(.text) | join(",")')" = "other's first" ]
	: "$q"
}

@test "add --queue never opens the store: nothing in it until a reader drains the queue, then once" {
	chat-activity add "stored"
	run -0 --separate-stderr chat-activity add --queue --kind error --source bash --status 2 "queued"
	[ -z "$stderr" ]
	[ "$(events)" = 1 ]
	q="$XDG_STATE_HOME/confab/activity-queue"
	b=$(ls "$q")
	[ "$(stat -c %a "$q/$b")" = 600 ]
	# the header names the store as a drain names it; the event has its id and time
	[ "$(head -1 "$q/$b" | jq -r .store)" = "$(store_key)" ]
	[ "$(sed -n 2p "$q/$b" | jq -r '(.id | length > 0), (.at > 0), .data.status' | tr '\n' ,)" = true,true,2, ]
	run -0 chat-activity ls
	[ "$(jq -sr 'map(.text) | join(",")' <<< "$output")" = "stored,queued" ]
	[ -z "$(ls "$q")" ]
	run -0 chat-activity ls
	[ "$(jq -s length <<< "$output")" = 2 ]
	# no store yet: --queue does not make one; the first reader does, and stores it
	export CHAT_DB="$BATS_TEST_TMPDIR/new/chat.db"
	run -0 chat-activity add --queue "before any store"
	[ ! -e "$CHAT_DB" ] && [ ! -e "$BATS_TEST_TMPDIR/new" ]
	run -0 chat-activity ls
	[ "$(jq -r .text <<< "$output")" = "before any store" ]
	# a --db naming no file is a typo, as for every program
	run -6 --separate-stderr chat-activity add --queue --db "$BATS_TEST_TMPDIR/typo.db" "x"
	[[ $stderr == "chat-activity: no store at '$BATS_TEST_TMPDIR/typo.db'"* ]]
	[ -z "$(ls "$q")" ]
}

@test "prune drains the queue first: a queued old event is pruned as a stored one" {
	config <<< "activity-days = 0"
	chat-activity add "kept"
	chat-activity add --queue --at 2019-01-01T00:00:00Z "old and queued"
	run -0 chat-activity prune --before 2020-01-01
	[ -z "$(ls "$XDG_STATE_HOME/confab/activity-queue")" ]
	[ "$(store_sql 'SELECT group_concat(text) FROM activity')" = kept ]
}

@test "without --queue, add waits a little for the lock, then queues" {
	hold_lock
	run -12 --separate-stderr chat-activity add "patient"
	[[ "$stderr" == *"waiting for the write lock, held by sqlite3"*"1 event queued"* ]]
	release_lock
	run -0 chat-activity ls --search patient
	[ "$(jq -r .text <<< "$output")" = patient ]
}

@test "usage: commands and their options" {
	run -2 --separate-stderr chat-activity
	run -2 --separate-stderr chat-activity frob
	run -2 --separate-stderr chat-activity ls --status 3
	run -2 --separate-stderr chat-activity add --since 1h x
	run -2 --separate-stderr chat-activity hook tcsh
	[[ "$stderr" == *"no hook for 'tcsh'"* ]]
	run -2 --separate-stderr chat-activity watch
	run -0 chat-activity --help
	[[ "$output" == *"chat-activity hook bash|zsh|fish"* ]]
}

@test "a schema-4 store gains the activity table and its index on first use" {
	sqlite_only "SQLite's schema 4 and its migrations; PostgreSQL's schema starts whole"
	chat-new --name four > /dev/null
	store_sql "DROP INDEX messages_author; ALTER TABLE messages DROP COLUMN author; ALTER TABLE sessions DROP COLUMN send_history; DROP TABLE activity_fts; DROP TABLE activity; PRAGMA user_version = 4"
	run -0 chat-activity ls
	[ -z "$output" ]
	[ "$(store_sql 'PRAGMA user_version')" = 7 ]
	chat-activity add --kind error "after the upgrade"
	[ "$(chat-activity ls --search upgrade | jq -r .text)" = "after the upgrade" ]
	[ "$(store_sql "SELECT count(*) FROM activity_fts WHERE activity_fts MATCH 'upgrade'")" = 1 ]
	# the session is untouched
	[ "$(chat-ls --json | jq -r .name)" = four ]
}

@test "a NUL in a record's text or source, escaped or raw: one line naming it, nothing added" {
	chat-activity add --kind note "already there"
	for bad in '{"kind":"note","text":"a\u0000b"}' '{"kind":"note","text":"x","source":"s\u0000t"}'; do
		run -5 --separate-stderr bash -c 'printf "%s\n" "{\"kind\":\"note\",\"text\":\"good one\"}" "$1" | chat-activity add' _ "$bad"
		[ "${#stderr_lines[@]}" = 1 ]
		[[ "$stderr" == "chat-activity: stdin:2: malformed event"*NUL* ]]
		[ "$(events)" = 1 ]
	done
	run -5 --separate-stderr bash -c 'printf "{\"kind\":\"note\",\"text\":\"a\0b\"}\n" | chat-activity add'
	[[ "$stderr" == "chat-activity: stdin:1: malformed event"* ]]
	[ "$(events)" = 1 ]
}

@test "the queue trusts only its own regular files: a FIFO, a symlink or another user's file is left alone" {
	chat-activity add "first"
	key=$(store_key)
	q="$XDG_STATE_HOME/confab/activity-queue"
	mkdir -p "$q"
	batch() { printf '{"store":"%s"}\n{"kind":"note","text":"%s","id":"%s"}\n' "$key" "$1" "$(cat /proc/sys/kernel/random/uuid)"; }
	batch "via a symlink" > "$BATS_TEST_TMPDIR/elsewhere.jsonl"
	ln -s "$BATS_TEST_TMPDIR/elsewhere.jsonl" "$q/0000000000001-1-0.jsonl"
	mkfifo "$q/0000000000002-1-0.jsonl"
	batch "not mine" > "$q/0000000000003-1-0.jsonl"
	chown 65534 "$q/0000000000003-1-0.jsonl" 2>/dev/null || rm "$q/0000000000003-1-0.jsonl"
	batch "mine" > "$q/0000000000004-1-0.jsonl"
	# a FIFO once made every add (the shell hook's too) wait forever
	run -0 timeout 20 chat-activity add "second"
	[ "$(chat-activity ls | jq -sr 'map(.text) | join(",")')" = "first,second,mine" ]
	[ -L "$q/0000000000001-1-0.jsonl" ]
	[ -p "$q/0000000000002-1-0.jsonl" ]
}

@test "ls --since a span longer than the clock goes back: every event, not an overflow" {
	chat-activity add "one"
	chat-activity add "two"
	for s in 9999999999999999s 99999999999999d 999999999999999w; do
		run -0 chat-activity ls --since "$s"
		[ "$(jq -s length <<< "$output")" = 2 ]
	done
}

@test "a queued batch whose first line is not a header: set aside with one line, not read again by every add" {
	chat-activity add "first"
	q="$XDG_STATE_HOME/confab/activity-queue"
	mkdir -p "$q"
	printf 'garbage\n{"kind":"note","text":"in a broken batch"}\n' > "$q/0000000000001-1-0.jsonl"
	run -0 --separate-stderr chat-activity add "second"
	[[ "$stderr" == "chat-activity: the queued events $q/0000000000001-1-0.jsonl cannot be stored"*"kept as $q/.unusable-0000000000001-1-0.jsonl" ]]
	[ -f "$q/.unusable-0000000000001-1-0.jsonl" ]
	[ ! -e "$q/0000000000001-1-0.jsonl" ]
	run -0 --separate-stderr chat-activity add "third"
	[ -z "$stderr" ]
	[ "$(events)" = 3 ]
}

@test "a queued batch with events lacking an id is set aside: drains at once would each store it under new ids" {
	chat-activity add "first"
	q="$XDG_STATE_HOME/confab/activity-queue"
	mkdir -p "$q"
	printf '{"store":"%s"}\n{"kind":"note","text":"no id"}\n' "$(store_key)" > "$q/0000000000001-1-0.jsonl"
	run -0 --separate-stderr chat-activity add "second"
	[[ "$stderr" == *"cannot be stored"*"no id"*"kept as $q/.unusable-0000000000001-1-0.jsonl" ]]
	[ "$(events)" = 2 ]
}

@test "a record with invalid UTF-8: one line naming it, nothing added (not stored with its bytes replaced)" {
	chat-activity add "first"
	run -5 --separate-stderr bash -c 'printf "{\"kind\":\"note\",\"text\":\"ok\"}\n{\"kind\":\"note\",\"text\":\"bad \xff\xfe\"}\n" | chat-activity add'
	[ "${#stderr_lines[@]}" = 1 ]
	[[ "$stderr" == "chat-activity: stdin:2: malformed event"*UTF-8* ]]
	[ "$(events)" = 1 ]
}
