#!/usr/bin/env bats
# Issue 10's "20 processes editing, reacting and merging on one store at
# once": the programs that reshape conversations, mixed, against one
# SQLite file; none may fail and nothing may be lost.

load helper

@test "twenty programs editing, reacting, noting and merging on one store at once: none fails, nothing is lost" {
	T=$(new_session --name target)
	for i in $(seq 1 6); do chat-add -s "$T" "target $i" > /dev/null; done
	mapfile -t tm < <(chat-show --json target | jq -r .id)
	for k in 1 2 3 4 5; do
		new_session --name "src$k" > /dev/null
		for i in $(seq 1 4); do chat-add -s "src$k" "src$k msg $i" > /dev/null; done
	done
	pids=()
	for i in $(seq 1 20); do
		out="$BATS_TEST_TMPDIR/out$i"
		case $((i % 4)) in
		0) chat-edit "${tm[$((i / 4))]}" "edited $i" < /dev/null > "$out" 2>&1 & ;;
		1) as_user "u$i" chat-react "${tm[0]}" 👍 > "$out" 2>&1 & ;;
		2) chat-note "${tm[1]}" "note $i" > "$out" 2>&1 & ;;
		3) chat-merge "src$(((i + 1) / 4))" target > "$out" 2>&1 & ;;
		esac
		pids+=($!)
	done
	failed=0
	for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
	cat "$BATS_TEST_TMPDIR"/out* | grep -v '^{' || true
	[ "$failed" -eq 0 ]
	# each edit holds, with the old text kept once
	for i in 4 8 12 16 20; do
		m=${tm[$((i / 4))]}
		[ "$(store_sql "SELECT content FROM messages WHERE id = '$m'")" = "edited $i" ]
		[ "$(store_sql "SELECT json_array_length(json(edits)) FROM messages WHERE id = '$m'")" -eq 1 ]
	done
	# every user's reaction, every note
	want=$(for i in $(seq 1 20); do [ $((i % 4)) = 1 ] && echo "u$i"; done | sort | paste -sd,)
	[ "$(store_sql "SELECT json_extract(r.value, '\$.user') FROM messages, json_each(reactions) r WHERE messages.id = '${tm[0]}'" | sort | paste -sd,)" = "$want" ]
	want=$(for i in $(seq 1 20); do [ $((i % 4)) = 2 ] && echo "note $i"; done | sort | paste -sd,)
	[ "$(store_sql "SELECT json_extract(n.value, '\$.text') FROM messages, json_each(extra, '\$.notes') n WHERE messages.id = '${tm[1]}'" | sort | paste -sd,)" = "$want" ]
	# every source merged once, whole, and recorded once
	[ "$(store_sql "SELECT count(*) FROM messages m JOIN sessions s ON s.id = m.session_id WHERE s.name = 'target'")" -eq 26 ]
	for k in 1 2 3 4 5; do
		[ "$(store_sql "SELECT count(*) FROM messages m JOIN sessions s ON s.id = m.session_id WHERE s.name = 'target' AND m.content LIKE 'src$k msg %'")" -eq 4 ]
	done
	[ "$(chat-ls --json --all | jq -r 'select(.name == "target") | .metadata.merges | length')" -eq 5 ]
	# the counts and the index agree with the rows
	[ "$(store_sql "SELECT count(*) FROM sessions s WHERE message_count <> (SELECT count(*) FROM messages WHERE session_id = s.id)")" -eq 0 ]
	# SQLite's checks of its file and of FTS5's index, a table of its own
	if [ "${CONFAB_TEST_DB:-}" != pg ]; then
		store_sql "INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)"
		[ "$(store_sql 'PRAGMA integrity_check')" = ok ]
	fi
	run -0 chat-ls --search edited --json
	[ "${#lines[@]}" -eq 1 ]
}
