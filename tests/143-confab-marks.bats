#!/usr/bin/env bats
# confab's /react [-]EMOJI [MESSAGE], /note TEXT and /rm [MESSAGE] (marks.c,
# as chat-react, chat-note and chat-rm --message change the store), in a
# real terminal (tmux), and their wrong forms, which change nothing.  The
# driver is tests/confab-tmux.bash.

load helper
load confab-tmux

setup() {
	common_setup
	command -v tmux > /dev/null || skip "no tmux (make deps)"
	export LANG=C.UTF-8 NO_COLOR=1 USER=alice
	ME=$(store_user)
	SOCK="marks-$$-$BATS_TEST_NUMBER"
	RUN="$BATS_TEST_TMPDIR/run"
	mkdir -p "$RUN"
	new_session -n k -p echo > /dev/null
	U1=$(chat-add -s k "first question" | jq -r .id)
	A1=$(chat-add -s k -r assistant "first answer" | jq -r .id)
}

teardown() {
	tm kill-server 2> /dev/null || true
}

field() { chat-show --json k | jq -c "select(.id == \"$1\") | $2"; }

@test "/react: on the last message, or on MESSAGE; -EMOJI takes it off" {
	start k
	line "/react 👍"
	wait_for "^\\(message .{8}: 👍 $ME\\)"
	[ "$(field "$A1" '.metadata.reactions | map([.emoji, .user])')" = "[[\"👍\",\"$ME\"]]" ]
	line "/react 🎉 ${U1:0:24}"
	[ "$(field "$U1" '.metadata.reactions | map(.emoji)')" = '["🎉"]' ]
	line "/react 👍"
	wait_for 'already has your 👍: nothing changed'
	[ "$(field "$A1" '.metadata.reactions | length')" = 1 ]
	line "/react -👍"
	[ "$(field "$A1" '.metadata.reactions')" = '[]' ]
	[ "$(chat-ls --json | jq -c '.metadata.reactions | map(.emoji)')" = '["🎉"]' ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}

@test "/note: a note on the last message, never its content" {
	start k
	line "/note check this one"
	wait_for '^\(note [0-9a-f-]{36} on message .{13}; chat-note --rm removes it\)'
	[ "$(chat-note --ls "$A1" | jq -c '[.author, .text]')" = "[\"$ME\",\"check this one\"]" ]
	nid=$(chat-note --ls "$A1" | jq -r .id)
	[ "$(on_screen "^\\(note $nid on message ${A1:0:13};")" = 1 ]
	[ "$(field "$A1" .content)" = '"first answer"' ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}

@test "/rm: the last message, or MESSAGE; counts follow" {
	U2=$(chat-add -s k "second question" | jq -r .id)
	start k
	line "/rm"
	wait_for "^\(deleted message $U2\)"
	[ "$(chat-show --json k | jq -r .id | paste -sd' ')" = "$U1 $A1" ]
	line "/rm ${U1:0:24}"
	wait_for "^\(deleted message $U1\)"
	[ "$(chat-show --json k | jq -r .id)" = "$A1" ]
	[ "$(chat-ls --json | jq -r .metadata.messageCount)" = 1 ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}

@test "wrong forms: one line each, the chat goes on, the store unchanged" {
	T=$(new_session -n other -p echo)
	O1=$(chat-add -s "$T" "elsewhere" | jq -r .id)
	start k
	before=$(store_dump)
	line "/react"
	[ "$(on_screen '^confab: usage: /react EMOJI \[MESSAGE\]$')" = 1 ]
	line "/react yes"
	[ "$(on_screen "^confab: invalid reaction 'yes': expected one emoji")" = 1 ]
	line "/react 👍👍"
	[ "$(on_screen "^confab: invalid reaction '👍👍'")" = 1 ]
	line "/react 👍 0000ffff"
	[ "$(on_screen "^confab: unknown message '0000ffff' in this session$")" = 1 ]
	# a message of another session is not this one's
	line "/react 👍 $O1"
	[ "$(on_screen "^confab: unknown message '$O1' in this session$")" = 1 ]
	line "/react 👍 a b"
	[ "$(on_screen '^confab: usage: /react EMOJI \[MESSAGE\]$')" = 2 ]
	line "/note"
	[ "$(on_screen '^confab: usage: /note TEXT')" = 1 ]
	line "/rm a b"
	[ "$(on_screen '^confab: usage: /rm \[MESSAGE\]')" = 1 ]
	line "/rm 0000ffff"
	[ "$(on_screen "^confab: unknown message '0000ffff' in this session$")" = 2 ]
	line "/rm $O1"
	[ "$(store_dump)" = "$before" ]
	# a message deleted meanwhile by another program
	chat-rm -f -m "$A1" > /dev/null
	before=$(store_dump)
	line "/react 👍 $A1"
	[ "$(on_screen "^confab: unknown message '$A1' in this session$")" = 1 ]
	[ "$(store_dump)" = "$before" ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}

@test "an empty session: nothing to react to, note or delete" {
	new_session -n empty -p echo > /dev/null
	start empty
	before=$(store_dump)
	line "/react 👍"
	line "/note hello"
	line "/rm"
	[ "$(on_screen '^confab: this session has no message yet$')" = 3 ]
	[ "$(store_dump)" = "$before" ]
	line "/help react"
	[ "$(on_screen '^  /react \[-\]EMOJI \[MESSAGE\] ')" = 1 ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}
