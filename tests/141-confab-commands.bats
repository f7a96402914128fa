#!/usr/bin/env bats
# confab's slash commands in a real terminal (tmux): each changes the
# session as the matching chat-* program does, each wrong form is one line
# and changes nothing, and Tab completes their arguments.  The commands'
# every form is also in tests/unit/test-repl-cmd.c, against the library.

load helper
load confab-tmux

setup() {
	common_setup
	command -v tmux > /dev/null || skip "no tmux (make deps)"
	export LANG=C.UTF-8
	SOCK="cmds-$$-$BATS_TEST_NUMBER"
	RUN="$BATS_TEST_TMPDIR/run"
	mkdir -p "$RUN"
}

teardown() {
	tm kill-server 2> /dev/null || true
	fake_stop
}

# A session as a record without what differs between two made alike.
shape() { chat-ls --all --json | jq -c --arg n "$1" 'select(.name == $n) | del(.id, .name, .created, .lastUpdated)'; }

@test "/help lists every command the man page documents, /quit exits 0" {
	new_session -n s -p echo > /dev/null
	start s
	line "/help"
	for c in $(sed -n 's/^\.It Ic \(\/[a-z-]*\).*/\1/p' "$ROOT/man/confab.1"); do
		[ "$(on_screen "^  $c( |$)")" = 1 ] || { echo "not in /help: $c" >&2; false; }
	done
	line "/help export"
	[ "$(on_screen '^  /export FORMAT \[FILE\]')" = 2 ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}

@test "the settings commands change a session as chat-set does" {
	new_session -n a -p echo > /dev/null
	new_session -n b -p echo > /dev/null
	start a
	line "/provider openai"
	line "/model gpt-4o-mini"
	line "/system be brief"
	line "/temperature 0.7"
	line "/max-tokens 99"
	line "/context-window 3"
	line "/tag work 'big plans'"
	line "/tag -work"
	line "/star"
	line "/archive"
	line "/archive"
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	chat-set -p openai -m gpt-4o-mini -S "be brief" --temperature 0.7 --max-tokens 99 \
		--context-window 3 -t work -t "big plans" b > /dev/null
	chat-set -u work --star b > /dev/null
	[ -n "$(shape a)" ]
	[ "$(shape a)" = "$(shape b)" ]
	# and back: the empty forms clear as chat-set's '' does
	start a
	line "/system"
	line "/temperature"
	line "/rename renamed"
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	chat-set -S '' --temperature '' -n renamed2 b > /dev/null
	[ "$(shape renamed)" = "$(shape renamed2)" ]
}

@test "every wrong form is one line, the chat goes on, and the store is as it was" {
	sid=$(new_session -n s -p echo)
	chat-add -s s "a first message" > /dev/null
	mkdir -p "$BATS_TEST_TMPDIR/work/adir"
	before=$(store_dump)
	start s
	bad=(
		"/nope" "/" "/clear now" "/export" "/export rtf" "/export md a b"
		"/export md /nonexistent/x.md" "/branch nosuchmessage" "/branch a b"
		"/model" "/provider nope" "/temperature 3" "/temperature warm"
		"/max-tokens 0" "/context-window -1" "/attach missing.txt" "/attach adir"
		"/attach 'open" "/show 0" "/show x" "/cost now" "/rename" "/tag" "/tag a,b"
		"/star now" "/archive now" "/new --bogus" "/new -p nope" "/new extra"
		"/switch" "/switch nosuch" "/sessions x" "/search" "/open 1" "/open"
		"/help nope" "/quit now" "/detach x" "/merge" "/merge a b" "/merge s"
	)
	n=0
	for b in "${bad[@]}"; do
		line "$b"
		n=$((n + 1))
		[ "$(on_screen '^confab: ')" = "$n" ] || { echo "not one line: $b" >&2; screen >&2; false; }
	done
	# still there, still on s
	line "/sessions"
	[ "$(on_screen '^\* 1  s  ')" = 1 ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	[ "$(store_dump)" = "$before" ]
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/work" | grep -v '^adir$')" ]
}

@test "/export writes what chat-export writes, named after the session; /export pdf" {
	new_session -n "notes: today" -p echo > /dev/null
	chat-add -s "notes: today" "# Title

a *point*" > /dev/null
	chat-add -s "notes: today" -r assistant "a reply" > /dev/null
	start "notes: today"
	line "/export md"
	line "/export md"
	line "/export pdf"
	line "/export json out.json"
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	cd "$BATS_TEST_TMPDIR/work"
	chat-export -f markdown "notes: today" > want.md
	# the session's name made safe: no ':' in a file name
	cmp "notes- today.md" want.md
	cmp "notes- today (2).md" want.md
	[ "$(head -c 4 "notes- today.pdf")" = "%PDF" ]
	chat-export -f json "notes: today" | jq -S 'del(.exported)' > want.json
	jq -S 'del(.exported)' out.json | diff - want.json
}

@test "/branch: the chat goes on in the branch, as chat-branch makes it" {
	sid=$(new_session -n trunk -p echo)
	chat-add -s trunk "one" > /dev/null
	mid=$(chat-add -s trunk "two" | jq -r .id)
	chat-add -s trunk "three" > /dev/null
	start trunk
	line "/branch ${mid:0:13}"
	line "after the branch"
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	br=$(chat-ls --all --json | jq -r 'select(.name == "trunk (branch)") | .id')
	[ -n "$br" ]
	[ "$(chat-ls --all --json | jq -r "select(.id == \"$br\") | .parentSessionId, .branchPoint" | paste -sd' ')" = "$sid $mid" ]
	[ "$(chat-show --json "$br" | jq -r 'select(.role == "user") | .content' | paste -sd'|')" = "one|two|after the branch" ]
	[ "$(chat-show --json trunk | jq -r .content | paste -sd'|')" = "one|two|three" ]
}

@test "/merge: SOURCE's messages appended to this session, as chat-merge does; again, nothing" {
	sid=$(new_session -n here -p echo)
	chat-add -s here "mine" > /dev/null
	src=$(new_session -n there -p echo)
	chat-add -s there "theirs one" > /dev/null
	chat-add -s there -r assistant "theirs two" > /dev/null
	start here
	line "/merge there"
	wait_for "^merged 2 messages of 'there'"
	line "/merge there"
	wait_for "^'there' is already merged into this session: nothing changed"
	line "/merge nosuch"
	line "/merge here"
	[ "$(on_screen '^confab: ')" = 2 ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	[ "$(chat-show --json here | jq -r .content | paste -sd'|')" = "mine|theirs one|theirs two" ]
	[ "$(chat-show --json here | jq -r 'select(.metadata.mergedFrom) | .metadata.mergedFrom.session' | sort -u)" = "$src" ]
	[ "$(chat-ls --json | jq -r "select(.id == \"$sid\") | .metadata.merges | length")" = 1 ]
}

@test "/clear: the next request carries nothing from before it" {
	fake_start "text=First." "text=Second."
	export ANTHROPIC_BASE_URL=$FAKE_URL ANTHROPIC_API_KEY=sk-ant-test-cmds
	new_session -n c -p anthropic -m claude-test > /dev/null
	start c
	line "before the clear"
	wait_for '^First\.$'
	line "/clear"
	[ "$(on_screen 'nothing is deleted')" = 1 ]
	line "after the clear"
	wait_for '^Second\.$'
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	[ "$(fake_requests | tail -n 1 | jq '.body.messages | length')" = 1 ]
	# nothing was deleted
	[ "$(chat-show --json c | jq -r .content | paste -sd'|')" = "before the clear|First.|after the clear|Second." ]
}

@test "/attach: the next message carries the files; a missing one is one line" {
	fake_start "text=Seen."
	export ANTHROPIC_BASE_URL=$FAKE_URL ANTHROPIC_API_KEY=sk-ant-test-cmds
	new_session -n at -p anthropic -m claude-test > /dev/null
	mkdir -p "$BATS_TEST_TMPDIR/work"
	echo "the attached words" > "$BATS_TEST_TMPDIR/work/notes.txt"
	start at
	line "/attach notes.txt"
	[ "$(on_screen 'attached for the next message: notes.txt')" = 1 ]
	line "/attach gone.txt"
	[ "$(on_screen "^confab: cannot attach 'gone.txt'")" = 1 ]
	line "read this"
	wait_for '^Seen\.$'
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	fake_requests | tail -n 1 | grep -q "the attached words"
	[ "$(chat-show --json at | jq -r 'select(.role == "user") | .metadata.attachments[0].name')" = notes.txt ]
}

@test "tabs: /new, /sessions, /switch by number and name, /search and /open" {
	new_session -n first -p echo > /dev/null
	s=$(new_session -n "zebra notes" -p echo)
	chat-add -s "$s" "the quagga was a zebra" > /dev/null
	start first
	line "/new -n second -p echo -t x"
	line "/sessions"
	[ "$(on_screen '^  1  first  ')" = 1 ]
	[ "$(on_screen '^\* 2  second  ')" = 1 ]
	line "/switch 1"
	line "/switch second"
	line "/search quagga"
	[ "$(on_screen '^  1  zebra notes  ')" = 1 ]
	line "/open 1"
	line "/sessions"
	[ "$(on_screen '^\* 3  zebra notes  ')" = 1 ]
	# (an unused session /new made goes at the end, as the first one does)
	[ "$(chat-ls --all --json | jq -c 'select(.name == "second") | [.provider, .metadata.tags]')" = '["echo",["x"]]' ]
	line "hello zebra"
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	chat-show --json "$s" | jq -r .content | grep -qx "hello zebra"
}

@test "/show, /cost" {
	new_session -n sc -p echo > /dev/null
	chat-add -s sc "the question" > /dev/null
	chat-add -s sc -r assistant "the answer" > /dev/null
	chat-add -s sc -r assistant "a **bold** word" > /dev/null
	start sc
	line "/show 2"
	[ "$(on_screen '^the answer$')" -ge 2 ]
	# drawn by the renderer, as replies are: no Markdown marks
	[ "$(on_screen '^a bold word$')" -ge 2 ]
	[ "$(on_screen 'a \*\*bold')" = 0 ]
	line "/cost"
	[ "$(on_screen '2 replies, 0 in, 0 out')" = 1 ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}

@test "Tab completes formats, providers, models, session names and paths" {
	new_session -n "Second Session" -p echo > /dev/null
	new_session -n s -p echo > /dev/null
	mkdir -p "$BATS_TEST_TMPDIR/work"
	echo x > "$BATS_TEST_TMPDIR/work/attach-me.txt"
	start s
	typed "/export m"
	keys Tab
	wait_for '> /export markdown *$'
	keys C-u
	typed "/provider gem"
	keys Tab
	wait_for '> /provider gemini *$'
	keys C-u
	typed "/model claude-opus-4-"
	keys Tab Tab
	wait_for 'claude-opus-4-5'
	keys C-u
	typed "/switch Second S"
	keys Tab
	wait_for '> /switch Second Session *$'
	keys C-u
	typed "/attach att"
	keys Tab
	wait_for '> /attach attach-me.txt *$'
	keys Enter
	wait_for 'attached for the next message: attach-me.txt'
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}

@test "/switch to a session whose provider the config now gets wrong: the chat goes on" {
	config <<-EOF
		[mine]
		type = openai
		base-url = http://127.0.0.1:9
	EOF
	new_session -n other -p mine > /dev/null
	config <<-EOF
		[mine]
		type = bogus
	EOF
	start -p echo
	line "/switch other"
	wait_for '^other \(default model\)> '
	line "hello"
	[ "$(on_screen "^confab: .*\[mine\] type 'bogus'")" = 1 ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}

@test "Tab completes a word holding multibyte characters in place" {
	new_session -n "caféteria" -p echo > /dev/null
	new_session -n "cafè2" -p echo > /dev/null
	new_session -n s -p echo > /dev/null
	start s
	# what the two share ends before the character they differ in
	typed "/switch ca"
	keys Tab
	wait_for '> /switch caf$'
	typed "é"
	keys Tab
	wait_for '> /switch caféteria *$'
	keys Enter
	wait_for '^caféteria \(echo\)> '
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}

@test "Tab completes a path holding a blank as one word /attach takes" {
	mkdir -p "$BATS_TEST_TMPDIR/work"
	echo x > "$BATS_TEST_TMPDIR/work/my notes.txt"
	start -p echo
	typed "/attach my"
	keys Tab
	wait_for '> /attach my\\ notes\.txt *$'
	keys Enter
	wait_for 'attached for the next message: my notes\.txt$'
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}
