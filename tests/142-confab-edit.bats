#!/usr/bin/env bats
# confab's /edit MESSAGE (a stored message changed in $EDITOR, as chat-edit
# changes it; /edit without one stays the draft editor) and /retry [P:M]
# (the last reply asked again, the old one kept in its edits), in a real
# terminal (tmux).  The driver is tests/confab-tmux.bash.

load helper
load confab-tmux

setup() {
	common_setup
	command -v tmux > /dev/null || skip "no tmux (make deps)"
	export LANG=C.UTF-8 NO_COLOR=1 USER=alice
	SOCK="edit-$$-$BATS_TEST_NUMBER"
	RUN="$BATS_TEST_TMPDIR/run"
	mkdir -p "$RUN"
}

teardown() {
	tm kill-server 2> /dev/null || true
	fake_stop
}

# An editor script in $VISUAL: $1 its body (the file is "$last").
editor() {
	{
		printf '#!/bin/bash\nlast=${@: -1}\n'
		printf '%s\n' "$1"
	} > "$BATS_TEST_TMPDIR/ed"
	chmod +x "$BATS_TEST_TMPDIR/ed"
	export VISUAL="$BATS_TEST_TMPDIR/ed"
}

# A session "e" with q1 -> one, answered by the fake provider (anthropic),
# which then answers $@; the messages' ids in U1 and A1.
conversation() {
	fake_start "text=one" "$@"
	export ANTHROPIC_BASE_URL=$FAKE_URL ANTHROPIC_API_KEY=sk-ant-test-edit
	new_session -n e -p anthropic -m claude-test > /dev/null
	chat-send -s e q1 < /dev/null > /dev/null
	read -r U1 A1 <<< "$(chat-show --json e | jq -r .id | paste -sd' ')"
}

@test "/edit MESSAGE: the stored message in the editor, the old text kept in its edits" {
	conversation
	editor 'cp "$last" "$BATS_TEST_TMPDIR/seen"; printf "q1, better\n" > "$last"'
	start e
	line "/edit ${U1:0:30}"
	wait_for '^\(edited; chat-edit --history '
	[ "$(< "$BATS_TEST_TMPDIR/seen")" = q1 ]
	[ "$(on_screen '^q1, better$')" -ge 1 ]
	rec=$(chat-show --json e | jq -c "select(.id == \"$U1\")")
	[ "$(jq -c '[.content, (.metadata.edits | map([.content, .editedBy]))]' <<<"$rec")" = "[\"q1, better\",[[\"q1\",\"$(store_user)\"]]]" ]
	# nothing was sent: the edit alone
	[ "$(fake_requests | wc -l)" -eq 1 ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}

@test "/edit MESSAGE: an editor that fails, or no change, changes nothing; other text is still a draft" {
	conversation "text=two"
	editor 'exit 4'
	start e
	line "/edit $A1"
	wait_for "^confab: the editor '.*/ed' failed \(exit 4\); nothing changed"
	editor 'true'
	line "/edit $A1"
	wait_for '^\(the message is unchanged: nothing recorded\)'
	[ "$(chat-show --json e | jq -c "select(.id == \"$A1\") | [.content, .metadata.edits]")" = '["one",[]]' ]
	# a word that names no message is the draft's text, as before
	editor 'printf "drafted\n" > "$last"'
	line "/edit 0000ffff"
	wait_for '^two$'
	[ "$(fake_requests | tail -n 1 | jq -r '.body.messages[-1].content[0].text')" = drafted ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}

@test "/retry: the last reply asked again in its place; /retry PROVIDER:MODEL this time only" {
	conversation "text=uno" "text=eins"
	start e
	line "/retry"
	wait_for '^uno$'
	[ "$(chat-show --json e | jq -c "select(.id == \"$A1\") | [.content, (.metadata.edits | map([.content, .kind]))]")" = '["uno",[["one","retry"]]]' ]
	# the context: q1 alone, not the reply asked again
	[ "$(fake_requests | tail -n 1 | jq -c '.body.messages | map(.role)')" = '["user"]' ]
	line "/retry anthropic:claude-other"
	wait_for '^eins$'
	[ "$(fake_requests | tail -n 1 | jq -r .body.model)" = claude-other ]
	rec=$(chat-show --json e | jq -c "select(.id == \"$A1\")")
	[ "$(jq -c '[.content, .metadata.model, (.metadata.edits | map(.content))]' <<<"$rec")" = '["eins","claude-other",["one","uno"]]' ]
	# the session keeps its own model
	[ "$(chat-ls --json | jq -r 'select(.name == "e") | .model')" = claude-test ]
	[ "$(chat-show --json e | wc -l)" -eq 2 ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}

@test "/retry with nothing to retry, or a bad provider: one line, nothing changed" {
	new_session -n empty -p echo > /dev/null
	start empty
	line "/retry"
	[ "$(on_screen '^confab: nothing to retry: the session has no messages')" = 1 ]
	line "/retry a b"
	[ "$(on_screen '^confab: usage: /retry \[PROVIDER\[:MODEL\]\]')" = 1 ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	[ "$(chat-show --json empty | wc -l)" -eq 0 ]
}
