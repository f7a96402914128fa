#!/usr/bin/env bats
# chat-send --context and autoContext: the activity events of a window
# summed up in the message the fake provider receives, exactly those, their
# ids in context.activityEvents; never sent twice to a session unless
# asked; an empty window says so and attaches nothing.

load helper

setup() {
	common_setup
	[ -x "$ROOT/build/fakeprov" ] || skip "no build/fakeprov (make build/fakeprov)"
	fake_start "text=One." "text=Two." "text=Three." "text=Four."
	export ANTHROPIC_BASE_URL=$FAKE_URL ANTHROPIC_API_KEY=sk-ant-test-actctx
	S=$(new_session -n act -p anthropic -m claude-test)
	now=$(date +%s%3N)
}

teardown() {
	fake_stop
}

# An event AGO milliseconds back: id kind source text [data]
event() {
	store_sql "INSERT INTO activity (id, at, kind, source, text, data)
		VALUES ('$1', $now - $2, '$3', '$4', '$5', '${6:-{\}}')"
}

# The text of request N's last message (1 the first)
sent() {
	fake_requests | sed -n "${1}p" | jq -r '.body.messages[-1].content | if type == "array" then map(.text // empty) | join("") else . end'
}

ids() {
	chat-show --json "$S" | jq -sc "[.[] | select(.role == \"user\")] | .[$1].context.activityEvents"
}

@test "--context 30m: exactly the window's events, summed up and delimited; their ids on the message" {
	event e-old 7200000 error bash 'too old to send'
	event e-1 600000 error bash 'make: *** [all] Error 2' '{"status":2}'
	event e-2 60000 file watch 'src/a.c changed'
	run -0 --separate-stderr chat-send -s "$S" --context 30m 'what broke?'
	[ "$stderr" = "chat-send: attached 2 events from the last 30 minutes" ]
	body=$(sent 1)
	[[ $body == 'what broke?'*'<file name="activity">'*'Activity on this machine: 2 events, oldest first.'*'error bash: make: *** [all] Error 2 (exit 2)'*'file watch: src/a.c changed'*'</file>' ]]
	[[ $body != *'too old'* ]]
	# oldest first
	[[ ${body%%src/a.c*} == *'Error 2'* ]]
	[ "$(ids 0)" = '["e-1","e-2"]' ]
}

@test "an event the shell hook queued (add --queue) is in the next --context's request" {
	chat-activity add --queue --kind error --source bash --status 2 'make: the queued one'
	[ "$(store_sql 'SELECT count(*) FROM activity')" = 0 ]
	run -0 --separate-stderr chat-send -s "$S" --context 1h 'what broke?'
	[ "$stderr" = "chat-send: attached 1 event from the last hour" ]
	[[ $(sent 1) == *'error bash: make: the queued one (exit 2)'* ]]
	[ "$(ids 0 | jq length)" = 1 ]
	[ -z "$(ls "$XDG_STATE_HOME/confab/activity-queue")" ]
}

@test "an event is never sent twice to a session, unless --context-again; another session gets it" {
	event e-1 60000 error bash 'it failed'
	run -0 chat-send -s "$S" --context 1h first
	run -0 --separate-stderr chat-send -s "$S" --context 1h second
	[[ $stderr == *"no activity events from the last hour not sent before: nothing attached"* ]]
	[ "$(sent 2)" = second ]
	[ "$(ids 1)" = '[]' ]
	run -0 --separate-stderr chat-send -s "$S" --context 1h --context-again third
	[[ $(sent 3) == *'error bash: it failed'* ]]
	[ "$(ids 2)" = '["e-1"]' ]
	T=$(new_session -n other -p anthropic -m claude-test)
	run -0 chat-send -s "$T" --context 1h fourth
	[[ $(sent 4) == *'it failed'* ]]
}

@test "--context-kind keeps one kind; an empty window attaches nothing" {
	event e-1 60000 error bash 'an error'
	event e-2 30000 note me 'a note'
	run -0 --separate-stderr chat-send -s "$S" --context today --context-kind note hi
	[ "$stderr" = "chat-send: attached 1 event from today on" ]
	[[ $(sent 1) == *'note me: a note'* && $(sent 1) != *'an error'* ]]
	run -0 --separate-stderr chat-send -s "$S" --context 10s --context-kind error again
	[[ $stderr == *'nothing attached'* ]]
	[ "$(sent 2)" = again ]
	[ "$(chat-show --json "$S" | jq -s '[.[] | select(.role == "user")] | .[1].metadata.attachments | length')" = 0 ]
}

@test "the summary is bounded: the newest 50, the rest counted" {
	for i in $(seq 1 60); do
		printf "INSERT INTO activity (id, at, kind, source, text) VALUES ('n-%02d', %s, 'note', 'loop', 'event %02d');\n" "$i" "$((now - 100000 + i))" "$i"
	done | store_sql
	run -0 --separate-stderr chat-send -s "$S" --context 1h many
	[ "$stderr" = "chat-send: attached 50 events from the last hour (10 more left out)" ]
	body=$(sent 1)
	[[ $body == *'(10 older left out)'* && $body == *'event 60'* && $body == *'event 11'* && $body != *'event 10'* ]]
	[ "$(ids 0 | jq length)" = 50 ]
}

@test "bad --context: a usage error, nothing sent or stored" {
	run -2 --separate-stderr chat-send -s "$S" --context soon hi
	[[ $stderr == *"invalid --context 'soon'"* ]]
	run -2 --separate-stderr chat-send -s "$S" --context-kind error hi
	[[ $stderr == *"--context-kind needs --context"* ]]
	run -2 --separate-stderr chat-send -s "$S" --context 1h --context-kind nope hi
	[ "$(fake_requests | wc -l)" = 0 ]
	[ "$(chat-show --json "$S" | wc -l)" = 0 ]
}

@test "autoContext: each message attaches the events since the session's last message" {
	event e-before 600000 note me 'before the session'
	run -0 chat-set --auto-context "$S"
	run -0 --separate-stderr chat-send -s "$S" one
	# a session without messages: since it was made, not every event kept
	[ "$(sent 1)" = one ]
	sleep 0.01
	now=$(date +%s%3N)
	event e-1 0 error bash 'after the first'
	run -0 --separate-stderr chat-send -s "$S" two
	[[ $stderr == *"attached 1 event since the last message"* ]]
	[[ $(sent 2) == 'two'*'error bash: after the first'* ]]
	[ "$(ids 1)" = '["e-1"]' ]
	run -0 chat-send -s "$S" three
	[ "$(sent 3)" = three ]
	# off again: nothing
	run -0 chat-set --no-auto-context "$S"
	sleep 0.01
	now=$(date +%s%3N)
	event e-2 0 error bash 'later'
	run -0 chat-send -s "$S" four
	[ "$(sent 4)" = four ]
}

@test "-a files are the message's context.files; chat-show and the exports say what it carried" {
	event e-1 60000 error bash 'it failed'
	echo 'some notes' > "$BATS_TEST_TMPDIR/notes.txt"
	run -0 chat-send -s "$S" --context 1h -a "$BATS_TEST_TMPDIR/notes.txt" look
	[ "$(chat-show --json "$S" | jq -sc '.[0].context | [.activityEvents, .files]')" = "[[\"e-1\"],[\"$BATS_TEST_TMPDIR/notes.txt\"]]" ]
	run -0 on_tty NO_COLOR=1 chat-show "$S"
	[[ $output == *'[context: 1 activity event, 1 file]'* ]]
	[ -x "$ROOT/bin/chat-export" ] || skip "chat-export is not built"
	run -0 chat-export -f plaintext "$S"
	[[ $output == *'context: 1 activity event, 1 file'* ]]
	run -0 chat-export -f html "$S"
	[[ $output == *'<em>context: 1 activity event, 1 file</em>'* ]]
	run -0 chat-export -f markdown "$S"
	[[ $output == *$'\n*context: 1 activity event, 1 file*\n'* ]]
	run -0 chat-export -f json "$S"
	[ "$(jq -c '.messages[0].context.activityEvents' <<< "$output")" = '["e-1"]' ]
}

@test "a plugin's activity records are recorded with the plugin as their source, with its messages" {
	P="$XDG_DATA_HOME/confab/plugins"
	mkdir -p "$P"
	cat > "$P/chat-plugin-ci" <<-'EOF2'
		#!/bin/sh
		case "$1" in
		--describe) echo '{"name":"ci","commands":[{"name":"check","usage":"","description":"a check"},{"name":"bad","usage":"","description":"bad"}]}' ;;
		check) echo '{"type":"activity","kind":"test","source":"not me","text":"test_parse failed"}'
		       echo '{"type":"message","role":"assistant","content":"the build is red"}' ;;
		bad) echo '{"type":"activity","kind":"nonsense","text":"x"}'
		     echo '{"type":"message","role":"assistant","content":"never added"}' ;;
		esac
	EOF2
	chmod +x "$P/chat-plugin-ci"
	run -0 chat-plugin run ci check -s "$S"
	[ "$(store_sql "SELECT kind || '|' || source || '|' || text FROM activity")" = 'test|ci|test_parse failed' ]
	[ "$(chat-show --json "$S" | jq -r .content)" = 'the build is red' ]
	# a bad activity record: nothing of the run is added
	run chat-plugin run ci bad -s "$S"
	[ "$status" -ne 0 ]
	[ "$(store_sql 'SELECT count(*) FROM activity')" = 1 ]
	[ "$(chat-show --json "$S" | wc -l)" = 1 ]
	# and the event goes to the model like any other
	run -0 chat-send -s "$S" --context 1h --context-kind test what now
	[[ $(sent 1) == *'test ci: test_parse failed'* ]]
}
