#!/usr/bin/env bats
# confab's /context and autoContext in a real terminal (tmux): the line
# saying what was attached, /context --show, and the request that reached
# the fake provider holding exactly the events expected.  The driver is
# tests/confab-tmux.bash.

load helper
load confab-tmux

setup() {
	common_setup
	command -v tmux > /dev/null || skip "no tmux (make deps)"
	[ -x "$ROOT/build/fakeprov" ] || skip "no build/fakeprov (make build/fakeprov)"
	export LANG=C.UTF-8 NO_COLOR=1
	SOCK="actctx-$$-$BATS_TEST_NUMBER"
	RUN="$BATS_TEST_TMPDIR/run"
	mkdir -p "$RUN"
	fake_start "text=Seen." "text=Again." "text=Third."
	export ANTHROPIC_BASE_URL=$FAKE_URL ANTHROPIC_API_KEY=sk-ant-test-actctx
	S=$(new_session -n ctx -p anthropic -m claude-test)
	now=$(date +%s%3N)
}

teardown() {
	tm kill-server 2> /dev/null || true
	fake_stop
}

event() {
	store_sql "INSERT INTO activity (id, at, kind, source, text)
		VALUES ('$1', $now - $2, '$3', '$4', '$5')"
}

sent() {
	fake_requests | sed -n "${1}p" | jq -r '.body.messages[-1].content | if type == "array" then map(.text // empty) | join("") else . end'
}

@test "/context 15m attaches the window's events; --show lists them; the next message only" {
	event e-old 3600000 error bash 'an hour ago'
	event e-1 300000 error bash 'make failed'
	event e-2 60000 test ci 'test_parse failed'
	start ctx
	line "/context 15m"
	wait_for 'attached 2 events from the last 15 minutes'
	line "/context --show"
	wait_for 'attached for the next message: 2 activity events'
	wait_for 'error bash: make failed'
	wait_for 'test ci: test_parse failed'
	line "what broke?"
	wait_for '^Seen\.$'
	line "/context --show"
	wait_for 'no activity events attached'
	line "and now?"
	wait_for '^Again\.$'
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	first=$(sent 1)
	[[ $first == 'what broke?'*'<file name="activity">'*'error bash: make failed'*'test ci: test_parse failed'*'</file>' ]]
	[[ $first != *'an hour ago'* ]]
	[ "$(sent 2)" = 'and now?' ]
	[ "$(chat-show --json "$S" | jq -sc '[.[] | select(.role == "user") | .context.activityEvents]')" = '[["e-1","e-2"],[]]' ]
}

@test "/context: a window with nothing new says so and attaches nothing; --kind; bad input" {
	event e-1 60000 note me 'a note'
	start ctx
	line "/context 15m --kind error"
	wait_for 'no activity events from the last 15 minutes not sent before: nothing attached'
	line "/context soon"
	wait_for "invalid window 'soon'"
	line "/context 2h --kind note"
	wait_for 'attached 1 event from the last 2 hours'
	line "hi"
	wait_for '^Seen\.$'
	line "/context 2h"
	wait_for 'no activity events from the last 2 hours not sent before'
	line "/context 2h --again"
	wait_for 'attached 1 event from the last 2 hours'
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	[[ $(sent 1) == 'hi'*'note me: a note'* ]]
}

@test "autoContext: each message attaches the events since the session's last message" {
	run -0 chat-set --auto-context "$S"
	start ctx
	line "first"
	wait_for '^Seen\.$'
	now=$(date +%s%3N)
	event e-1 -1000 error bash 'after the first reply'
	# the event's time is a second ahead: it is after the reply's
	sleep 1.1
	line "second"
	wait_for 'attached 1 event since the last message'
	wait_for '^Again\.$'
	line "third"
	wait_for '^Third\.$'
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	[ "$(sent 1)" = first ]
	[[ $(sent 2) == 'second'*'error bash: after the first reply'* ]]
	[ "$(sent 3)" = third ]
	[ "$(chat-show --json "$S" | jq -sc '[.[] | select(.role == "user") | .context.activityEvents]')" = '[[],["e-1"],[]]' ]
}
