#!/usr/bin/env bats
# chat-activity watch: real inotify on real folders: 5,000 files made in a
# loop each recorded once as created (their writes merged), changed and
# removed, a new folder's files, what .gitignore ignores (and ! brings
# back) left out, a folder renamed or moved out (its own removal), a
# watched folder that disappears, SIGTERM flushing what
# is pending, a busy store.  Nothing is timed: each check waits for its
# rows, 20 s at most.

load helper

setup() {
	common_setup
	W="$BATS_TEST_TMPDIR/w"
	mkdir -p "$W"
	chat-activity ls > /dev/null   # the store made before the watcher races for it
	WPID=
}

teardown() {
	if [ -n "${HOLDER:-}" ]; then exec 7>&-; wait "$HOLDER" 2> /dev/null || true; fi
	if [ -n "$WPID" ]; then kill -TERM "$WPID" 2> /dev/null || true; wait "$WPID" 2> /dev/null || true; fi
}

q() { store_sql "$1"; }
files() { q "SELECT count(*) FROM activity WHERE kind = 'file' AND json_extract(data, '\$.path') NOT LIKE 'probe%' $1"; }

# Waits until the query prints want (20 s at most); fails with what it saw.
wait_for() {
	local want=$1 sql=$2 got
	for _ in $(seq 200); do
		got=$(q "$sql")
		[ "$got" = "$want" ] && return 0
		sleep 0.1
	done
	echo "waited for $want, got $got: $sql" >&2
	return 1
}

# Starts the watcher on its folders and waits until it records a probe
# file in the first one, so what follows is seen.
start() {
	chat-activity watch --source t "$@" 2> "$BATS_TEST_TMPDIR/err" &
	WPID=$!
	local tag=probe$RANDOM$RANDOM
	for i in $(seq 200); do
		: > "$1/$tag-$i"
		[ "$(q "SELECT count(*) FROM activity WHERE json_extract(data, '\$.path') LIKE '$tag-%'")" != 0 ] && return 0
		sleep 0.1
	done
	echo "the watcher never started" >&2
	cat "$BATS_TEST_TMPDIR/err" >&2
	return 1
}

@test "5,000 files made while watching: each recorded once, as created, its writes merged" {
	start "$W"
	for i in $(seq 5000); do
		echo one > "$W/f$i.txt"
		echo two >> "$W/f$i.txt"
	done
	wait_for 5000 "SELECT count(DISTINCT json_extract(data, '\$.path')) FROM activity WHERE text LIKE 'created f%'"
	# nothing more comes: once settled, the count stays
	kill -TERM "$WPID"; wait "$WPID"; WPID=
	[ "$(files "")" = 5000 ]
	[ "$(files "AND json_extract(data, '\$.change') = 'created'")" = 5000 ]
	[ "$(q "SELECT source, kind, json_extract(data, '\$.dir') FROM activity WHERE text = 'created f42.txt'")" = "t|file|$W" ]
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
}

@test "changed and removed files; one created and removed at once is nothing" {
	echo a > "$W/keep.c"
	echo a > "$W/gone.c"
	start "$W"
	for i in 1 2 3 4 5; do echo $i >> "$W/keep.c"; done
	rm "$W/gone.c"
	echo x > "$W/brief.c"; rm "$W/brief.c"
	echo late > "$W/last.c"
	wait_for 1 "SELECT count(*) FROM activity WHERE text = 'created last.c'"
	wait_for "changed keep.c" "SELECT text FROM activity WHERE json_extract(data, '\$.path') = 'keep.c'"
	[ "$(q "SELECT json_extract(data, '\$.change') FROM activity WHERE json_extract(data, '\$.path') = 'gone.c'")" = removed ]
	[ "$(files "AND json_extract(data, '\$.path') = 'brief.c'")" = 0 ]
	chat-activity ls --kind file | jq -se 'map(select(.data.path == "keep.c")) | .[0].text == "changed keep.c"'
}

@test "a folder made while watching: its files, and those of folders inside it" {
	start "$W"
	mkdir -p "$W/new/deeper/still"
	echo a > "$W/new/a.c"
	echo b > "$W/new/deeper/still/b.c"
	wait_for 2 "SELECT count(*) FROM activity WHERE text IN ('created new/a.c', 'created new/deeper/still/b.c')"
	# and a folder moved in whole
	mkdir -p "$BATS_TEST_TMPDIR/outside/in"
	echo c > "$BATS_TEST_TMPDIR/outside/in/c.c"
	mv "$BATS_TEST_TMPDIR/outside" "$W/moved"
	wait_for 1 "SELECT count(*) FROM activity WHERE text = 'created moved/in/c.c'"
	echo d > "$W/moved/in/d.c"
	wait_for 1 "SELECT count(*) FROM activity WHERE text = 'created moved/in/d.c'"
}

@test "a folder renamed: its removal under the old name, its files created under the new; moved out: its removal" {
	mkdir -p "$W/sub/in"
	echo a > "$W/sub/a.c"
	echo b > "$W/sub/in/b.c"
	start "$W"
	mv "$W/sub" "$W/sub2"
	wait_for 2 "SELECT count(*) FROM activity WHERE text IN ('created sub2/a.c', 'created sub2/in/b.c')"
	wait_for 1 "SELECT count(*) FROM activity WHERE text = 'removed sub/' AND json_extract(data, '\$.path') = 'sub/' AND json_extract(data, '\$.change') = 'removed' AND CAST(json_extract(data, '\$.folder') AS INTEGER) = 1"
	# the old names' files are not listed one by one
	[ "$(files "AND text IN ('removed sub/a.c', 'removed sub/in/b.c')")" = 0 ]
	# moved out of the tree: the removal, and nothing under it seen any more
	mkdir -p "$BATS_TEST_TMPDIR/elsewhere"
	mv "$W/sub2" "$BATS_TEST_TMPDIR/elsewhere/"
	wait_for 1 "SELECT count(*) FROM activity WHERE text = 'removed sub2/' AND CAST(json_extract(data, '\$.folder') AS INTEGER) = 1"
	echo c > "$BATS_TEST_TMPDIR/elsewhere/sub2/in/c.c"
	echo z > "$W/zz-end.c"
	wait_for 1 "SELECT count(*) FROM activity WHERE text = 'created zz-end.c'"
	[ "$(files "AND text LIKE '%c.c'")" = 0 ]
}

@test ".gitignore: ignored files and folders left out, ! brings one back, nested files, .git always" {
	printf '%s\n' '# build output' '*.o' '!keep.o' '/build/' 'logs/' 'doc/**/*.tmp' > "$W/.gitignore"
	mkdir -p "$W/sub" "$W/build" "$W/logs" "$W/doc/a" "$W/.git"
	printf '%s\n' '*.log' > "$W/sub/.gitignore"
	start "$W"
	for f in x.o keep.o build/out.c logs/l.c doc/a/t.tmp doc/a/t.md sub/s.log s.log sub/s.c .git/HEAD; do
		echo x > "$W/$f"
	done
	mkdir -p "$W/sub/build"; echo x > "$W/sub/build/ok.c"   # /build/ is the root's only
	echo end > "$W/zz-end.c"
	wait_for 1 "SELECT count(*) FROM activity WHERE text = 'created zz-end.c'"
	wait_for 1 "SELECT count(*) FROM activity WHERE text = 'created sub/build/ok.c'"
	got=$(q "SELECT json_extract(data, '\$.path') FROM activity WHERE json_extract(data, '\$.path') NOT LIKE 'probe%' ORDER BY 1" | tr '\n' ' ')
	[ "$got" = "doc/a/t.md keep.o s.log sub/build/ok.c sub/s.c zz-end.c " ]
	# a .gitignore changed while watching is read again
	echo '*.md' >> "$W/.gitignore"
	wait_for 1 "SELECT count(*) FROM activity WHERE text = 'changed .gitignore'"
	echo x > "$W/new.md"; echo x > "$W/zz-end2.c"
	wait_for 1 "SELECT count(*) FROM activity WHERE text = 'created zz-end2.c'"
	[ "$(files "AND json_extract(data, '\$.path') = 'new.md'")" = 0 ]
}

@test "a watched folder removed: one line, the others still watched; the last one gone ends it (status 1)" {
	mkdir -p "$W/one" "$W/two"
	start "$W/one" "$W/two"
	rm -rf "$W/two"
	for _ in $(seq 200); do grep -q gone "$BATS_TEST_TMPDIR/err" && break; sleep 0.1; done
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = "chat-activity: $W/two: the watched folder is gone; watching the others" ]
	echo a > "$W/one/still.c"
	wait_for 1 "SELECT count(*) FROM activity WHERE text = 'created still.c'"
	kill -0 "$WPID"
	rm -rf "$W/one"
	st=0; wait "$WPID" || st=$?
	WPID=
	[ "$st" = 1 ]
	[ "$(sed -n 2p "$BATS_TEST_TMPDIR/err")" = "chat-activity: $W/one: the watched folder is gone; watching nothing" ]
	[ "$(sed -n 3p "$BATS_TEST_TMPDIR/err")" = "chat-activity: watch: no folder left to watch" ]
}

@test "SIGTERM, SIGINT and SIGHUP flush what is still pending, then exit 0" {
	start "$W"
	for i in $(seq 50); do echo x > "$W/t$i.c"; done
	kill -TERM "$WPID"
	st=0; wait "$WPID" || st=$?
	WPID=
	[ "$st" = 0 ]
	[ "$(files "AND text LIKE 'created t%'")" = 50 ]
	start "$W"
	echo y > "$W/int.c"
	kill -INT "$WPID"
	st=0; wait "$WPID" || st=$?
	WPID=
	[ "$st" = 0 ]
	[ "$(files "AND text = 'created int.c'")" = 1 ]
	start "$W"
	echo y > "$W/hup.c"
	kill -HUP "$WPID"
	st=0; wait "$WPID" || st=$?
	WPID=
	[ "$st" = 0 ]
	[ "$(files "AND text = 'created hup.c'")" = 1 ]
}

# Holds the store's write lock from a sqlite3 shell until release_lock.
hold_lock() {
	sqlite_only "the write lock is SQLite's, held from a sqlite3 shell"
	mkfifo "$BATS_TEST_TMPDIR/lock"
	sqlite3 "$CHAT_DB" < "$BATS_TEST_TMPDIR/lock" > "$BATS_TEST_TMPDIR/lock.out" 2>&1 &
	HOLDER=$!
	exec 7> "$BATS_TEST_TMPDIR/lock"
	echo "BEGIN IMMEDIATE; INSERT INTO activity (id, at, kind, text) VALUES ('held', 0, 'note', 'held'); SELECT 'locked';" >&7
	for _ in $(seq 200); do
		grep -q locked "$BATS_TEST_TMPDIR/lock.out" && return 0
		sleep 0.1
	done
	return 1
}
release_lock() {
	echo "ROLLBACK;" >&7
	exec 7>&-
	wait "$HOLDER"
	HOLDER=
	rm -f "$BATS_TEST_TMPDIR/lock"
}

@test "a busy store: the batch waits and is stored once the lock goes; at SIGTERM it goes to the queue" {
	start "$W"
	hold_lock
	for i in $(seq 20); do echo x > "$W/b$i.c"; done
	for _ in $(seq 200); do grep -q 'wait:' "$BATS_TEST_TMPDIR/err" && break; sleep 0.1; done
	[[ "$(cat "$BATS_TEST_TMPDIR/err")" == "chat-activity: "*" wait: "*"waiting for the write lock"* ]]
	release_lock
	wait_for 20 "SELECT count(*) FROM activity WHERE text LIKE 'created b%'"
	# stopped while the store is held: queued, then stored by the next chat-activity
	hold_lock
	for i in $(seq 7); do echo x > "$W/q$i.c"; done
	kill -TERM "$WPID"
	st=0; wait "$WPID" || st=$?
	WPID=
	[ "$st" = 0 ]
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/err")" = "chat-activity: 7 file events queued for the store" ]
	release_lock
	[ "$(files "AND text LIKE 'created q%'")" = 0 ]
	chat-activity ls > /dev/null
	[ "$(files "AND text LIKE 'created q%'")" = 7 ]
	[ "$(files "AND text LIKE 'created b%'")" = 20 ]
}

@test "a folder that is not there: one line, exit 3, nothing recorded; none named: usage" {
	run -3 --separate-stderr chat-activity watch "$W/nope"
	[[ "$stderr" == "chat-activity: $W/nope: No such file or directory" ]]
	run -2 --separate-stderr chat-activity watch
	[ "$(q "SELECT count(*) FROM activity")" = 0 ]
}
