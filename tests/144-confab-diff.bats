#!/usr/bin/env bats
# confab's /diff SESSION: this session against another, as chat-diff shows
# them, in a real terminal (tmux); every wrong form one line, the chat goes
# on and the store is as it was.  The driver is tests/confab-tmux.bash.

load helper
load confab-tmux

setup() {
	common_setup
	command -v tmux > /dev/null || skip "no tmux (make deps)"
	export LANG=C.UTF-8
	SOCK="diff-$$-$BATS_TEST_NUMBER"
	RUN="$BATS_TEST_TMPDIR/run"
	mkdir -p "$RUN"
	new_session -n main -p echo > /dev/null
	chat-add -s main 'Hello there' > /dev/null
	chat-add -s main -r assistant -m m1 'Hi, how can I help?' > /dev/null
	chat-branch -n side main > /dev/null
	chat-add -s main 'Tell me about cats.' > /dev/null
	chat-add -s side 'Tell me about dogs.' > /dev/null
	chat-add -s side -r assistant -m m2 'Dogs bark.' > /dev/null
}

teardown() {
	tm kill-server 2> /dev/null || true
}

@test "/diff SESSION: the common part, then each message that differs, as chat-diff shows it" {
	export NO_COLOR=1
	before=$(store_dump)
	start main
	line "/diff side"
	[ "$(on_screen '^--- a: main \(.*, 3 messages\)$')" = 1 ]
	[ "$(on_screen '^\+\+\+ b: side \(.*, 4 messages\)$')" = 1 ]
	[ "$(on_screen '^# b is a branch of a, made at message 2$')" = 1 ]
	[ "$(on_screen '^= 2 messages the same \(1-2\)$')" = 1 ]
	[ "$(on_screen '^@@ -3 \+3 @@ user$')" = 1 ]
	[ "$(on_screen '^Tell me about \[-cats-\]\{\+dogs\+\}\.$')" = 1 ]
	[ "$(on_screen '^@@ \+4 @@ assistant · m2$')" = 1 ]
	[ "$(on_screen '^\+Dogs bark\.$')" = 1 ]
	# what chat-diff prints, line for line
	want=$(chat-diff main side || true)
	got=$(screen | sed -n '/^--- a: main/,/^+Dogs bark\.$/p')
	[ "$got" = "$want" ]
	# the same session: the same
	line "/diff main"
	[ "$(on_screen '^= 3 messages the same \(1-3\)$')" = 1 ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	[ "$(store_dump)" = "$before" ]
}

@test "/diff: every wrong form is one line and the chat goes on; Tab completes the session" {
	export NO_COLOR=1
	new_session -n twin > /dev/null
	new_session -n twin > /dev/null
	before=$(store_dump)
	start main
	line "/diff"
	[ "$(on_screen '^confab: usage: /diff SESSION$')" = 1 ]
	line "/diff nosuch"
	[ "$(on_screen "^confab: unknown session 'nosuch'$")" = 1 ]
	line "/diff twin"
	[ "$(on_screen "^confab: ambiguous session name 'twin' matches ")" = 1 ]
	typed "/diff si"
	keys Tab
	wait_for '> /diff side $'
	keys Enter
	wait_for '^@@ -3 \+3 @@ user$'
	line "/help diff"
	[ "$(on_screen '^  /diff SESSION ')" = 1 ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	[ "$(store_dump)" = "$before" ]
}

@test "/diff in color on a color terminal, plain with --plain" {
	unset NO_COLOR
	start main
	line "/diff side"
	tm capture-pane -e -p -J -S -2000 > "$BATS_TEST_TMPDIR/colored"
	# tmux writes the screen's SGR its own way: cyan somewhere on the line
	grep -F '@@ -3 +3 @@' "$BATS_TEST_TMPDIR/colored" | grep -q $'\e\\[[0-9;]*36m'
	grep -q $'\e\\[31mcats' "$BATS_TEST_TMPDIR/colored"
	[ "$(grep -c '\[-cats-\]' "$BATS_TEST_TMPDIR/colored")" = 0 ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	tm kill-server 2> /dev/null || true
	start --plain main
	line "/diff side"
	[ "$(on_screen '^Tell me about \[-cats-\]\{\+dogs\+\}\.$')" = 1 ]
	tm capture-pane -e -p -J -S -2000 > "$BATS_TEST_TMPDIR/plain"
	[ "$(grep -c $'\e\\[31m' "$BATS_TEST_TMPDIR/plain")" = 0 ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}
