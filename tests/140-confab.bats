#!/usr/bin/env bats
# confab in a real terminal: tmux on its own socket, keys in with send-keys,
# the screen out with capture-pane, the fake provider on 127.0.0.1 behind
# it, the store read back with chat-show and sqlite3.

load helper

AKEY=sk-ant-test-Zq7wConfabKey

setup() {
	common_setup
	command -v tmux > /dev/null || skip "no tmux (make deps)"
	[ -x "$ROOT/build/fakeprov" ] || {
		echo "build/fakeprov is missing: make build/fakeprov" >&2
		return 1
	}
	export LANG=C.UTF-8
	export CONFAB_PRICING="$ROOT/share/confab/pricing.json"
	SOCK="test-$$-$BATS_TEST_NUMBER"
	RUN="$BATS_TEST_TMPDIR/run"
	mkdir -p "$RUN"
}

teardown() {
	tm kill-server 2> /dev/null || true
	fake_stop
	[ -z "${MNT:-}" ] || umount "$MNT" 2> /dev/null || true
}

tm() { tmux -L "$SOCK" -f /dev/null "$@"; }

# Starts confab with these arguments in a 100x40 terminal.  The pane runs
# a wrapper that keeps the terminal's modes before and after (stty -g) and
# confab's exit status, in $RUN.  When the pane is killed the wrapper, the
# session's leader, gets the SIGHUP and passes it on as a login shell
# does, then outlives it to write the status.
start() {
	local bin=${CONFAB:-$ROOT/bin/confab} a q=
	for a in "$@"; do q+=" $(printf '%q' "$a")"; done
	cat > "$RUN/wrap" <<-EOF
		#!/bin/bash
		trap "" INT QUIT
		stty -g > "$RUN/stty-before"
		$(printf '%q' "$bin")$q < /dev/tty &
		child=\$!
		trap 'kill -HUP \$child' HUP
		while :; do
			wait \$child
			st=\$?
			kill -0 \$child 2> /dev/null || break
		done
		echo \$st > "$RUN/exit"
		stty -g > "$RUN/stty-after" 2> /dev/null
		echo "EXIT=\$(< "$RUN/exit")"
		sleep 600
	EOF
	chmod +x "$RUN/wrap"
	tm new-session -d -x 100 -y 40 "$RUN/wrap"
	tm pipe-pane -o "cat >> $(printf '%q' "$RUN/out")"
	[ -n "${NOWAIT:-}" ] || wait_for '> ' || { screen; return 1; }
}

# Sends confab's anthropic requests to the fake provider.
use_fake() {
	fake_start "$@"
	export ANTHROPIC_BASE_URL=$FAKE_URL ANTHROPIC_API_KEY=$AKEY
}

keys() { tm send-keys "$@"; }
typed() { tm send-keys -l "$1"; }

# The screen and its scrollback.
screen() { tm capture-pane -p -J -S -2000; }

# Waits up to ${WAIT:-10} s for a line matching an extended regex.
wait_for() {
	local i
	for ((i = 0; i < ${WAIT:-10} * 20; i++)); do
		screen | grep -qE -- "$1" && return 0
		sleep 0.05
	done
	echo "never on the screen: $1" >&2
	screen >&2
	return 1
}

# How many lines match.
on_screen() { screen | grep -cE -- "$1" || true; }

# Waits until the prompt is back $1 times (prompts end with "> ").
prompts() {
	local i
	for ((i = 0; i < ${WAIT:-10} * 20; i++)); do
		[ "$(on_screen '\)> ')" -ge "$1" ] && return 0
		sleep 0.05
	done
	echo "the prompt did not come back $1 times" >&2
	screen >&2
	return 1
}

# confab's process id (the wrapper's child).
confab_pid() { ps --ppid "$(tm display -p '#{pane_pid}')" -o pid= | tr -d ' '; }

# Waits for confab to exit and prints its status.
exited() {
	local i
	for ((i = 0; i < ${WAIT:-10} * 20; i++)); do
		[ -s "$RUN/exit" ] && { cat "$RUN/exit"; return 0; }
		sleep 0.05
	done
	echo "confab did not exit" >&2
	screen >&2
	return 1
}

# The last user message the fake provider was sent.
last_sent() { fake_requests | tail -n 1 | jq -r '.body.messages[-1].content | if type == "array" then map(.text // empty) | join("") else . end'; }
nrequests() { if [ -s "$FAKE_LOG" ]; then fake_requests | wc -l; else echo 0; fi; }
only_session() { store_sql 'SELECT id FROM sessions'; }

# The terminal is put back: modes as before, bracketed paste off last.
terminal_restored() {
	[ -s "$RUN/stty-after" ] && [ "$(< "$RUN/stty-before")" = "$(< "$RUN/stty-after")" ]
	local last
	last=$(grep -aoE $'\e\\[\\?2004[hl]' "$RUN/out" | tail -n 1)
	[ "$last" = $'\e[?2004l' ]
}

@test "without a terminal: one line pointing to chat-send, exit 2, nothing stored" {
	run --separate-stderr confab -p echo < /dev/null
	[ "$status" -eq 2 ]
	one_error confab
	[[ "$stderr" == *chat-send* ]]
	[ ! -e "$CHAT_DB" ] || [ "$(count sessions)" = 0 ]
	echo hi | { run --separate-stderr confab s; [ "$status" -eq 2 ]; }
}

@test "a new session: the prompt shows its name and model; a message and its reply" {
	use_fake "text=Hi%20there,%20human."
	start -p anthropic -m claude-test-1
	wait_for '^untitled \(claude-test-1\)> '
	typed "hello model"
	keys Enter
	wait_for '^Hi there, human\.$'
	prompts 2
	[ "$(last_sent)" = "hello model" ]
	[ "$(fake_requests | jq -r .body.model)" = claude-test-1 ]
	sid=$(only_session)
	[ "$(chat-show --json "$sid" | jq -r .content | paste -sd'|')" = "hello model|Hi there, human." ]
	# named from its first message, as chat-send names them
	wait_for '^hello model \(claude-test-1\)> '
	[ "$(store_sql 'SELECT name FROM sessions')" = "hello model" ]
	keys C-d
	[ "$(exited)" = 0 ]
	terminal_restored
}

@test "--new takes chat-new's options; Ctrl-D on an empty line exits 0; an unused session goes" {
	start --new -n scratch -p echo -m echo-1 -S "be brief" --temperature 0.5 -t work
	wait_for '^scratch \(echo-1\)> '
	rec=$(chat-ls --all --json)
	[ "$(jq -c '[.name, .provider, .model, .settings.systemPrompt, .settings.temperature, .metadata.tags]' <<< "$rec")" = \
		'["scratch","echo","echo-1","be brief",0.5,["work"]]' ]
	keys C-d
	[ "$(exited)" = 0 ]
	[ "$(count sessions)" = 0 ]
	terminal_restored
}

@test "bad options and an unknown session: one line, the documented exit, nothing stored" {
	run --separate-stderr confab --temperature 9 -p echo
	[ "$status" -eq 2 ]
	one_error confab
	run --separate-stderr confab --bogus
	[ "$status" -eq 2 ]
	one_error confab
	run --separate-stderr confab -n x some-session
	[ "$status" -eq 2 ]
	one_error confab
	NOWAIT=1 start nosuch
	[ "$(exited)" = 3 ]
	screen | grep -q "^confab: .*nosuch"
	[ "$(count sessions)" = 0 ]
}

@test "resume: the last messages, then the prompt; the next message goes to that session" {
	use_fake "text=Resumed."
	sid=$(new_session -n review -p anthropic -m claude-r)
	for i in $(seq 1 8); do chat-add -s review "question $i" > /dev/null; done
	chat-add -s review -r assistant "answer eight" > /dev/null
	start review
	wait_for '^review \(claude-r\)> '
	wait_for 'earlier messages'
	wait_for '^answer eight$'
	[ "$(on_screen '^question 8$')" = 1 ]
	[ "$(on_screen '^question 1$')" = 0 ]
	typed "and now?"
	keys Enter
	wait_for '^Resumed\.$'
	[ "$(last_sent)" = "and now?" ]
	# the context held the earlier messages, shown or not
	fake_requests | tail -n 1 | grep -q 'question 1[^0-9]'
	fake_requests | tail -n 1 | grep -q 'answer eight'

	[ "$(chat-show --json -n 1 review | jq -r .content)" = Resumed. ]
	[ "$(count sessions)" = 1 ]
}

@test "Ctrl-C mid-stream stops the reply: kept, marked incomplete; the prompt comes back" {
	long=$(printf 'word%02d\n\n' $(seq 1 60))   # paragraphs: each drawn once closed
	use_fake "text=$(jq -rn --arg t "$long" '$t | @uri') piece=7 delay=100" "text=Second%20reply."
	start -p anthropic -m claude-x
	typed "tell me a long story"
	keys Enter
	wait_for 'word03'
	keys C-c
	prompts 2
	wait_for 'interrupted'
	sid=$(only_session)
	reply=$(chat-show --json -n 1 "$sid")
	[ "$(jq -c '.metadata | [.incomplete, .stopReason]' <<< "$reply")" = '[true,"interrupted"]' ]
	content=$(jq -r .content <<< "$reply")
	[ -n "$content" ]
	[[ "$long" == "$content"* ]]
	[ "$content" != "$long" ]
	# the chat goes on
	typed "next"
	keys Enter
	wait_for '^Second reply\.$'
	[ "$(last_sent)" = next ]
	keys C-d
	[ "$(exited)" = 0 ]
	terminal_restored
}

@test "Ctrl-C at the prompt clears the line" {
	use_fake
	start -p anthropic
	typed "thrown away"
	keys C-c
	prompts 2
	typed "kept"
	keys Enter
	wait_for 'Hello from fakeprov'
	[ "$(nrequests)" = 1 ]
	[ "$(last_sent)" = kept ]
}

@test "Ctrl-C drops a paste whose end marker never comes" {
	use_fake
	start -p anthropic
	tm send-keys -H 1b 5b 32 30 30 7e 61 62 63   # ESC [200~ abc, no end
	sleep 0.2
	keys C-c
	prompts 2
	typed "kept"
	keys Enter
	wait_for 'Hello from fakeprov'
	[ "$(nrequests)" = 1 ]
	[ "$(last_sent)" = kept ]
}

@test "a paste holding newlines stays one message (bracketed paste)" {
	use_fake
	start -p anthropic
	grep -aq $'\e\\[?2004h' "$RUN/out"
	printf 'line one\nline two\n\tline three' > "$RUN/paste"
	tm load-buffer "$RUN/paste"
	tm paste-buffer -p
	wait_for '\[paste 1: 3 lines, 29 bytes\]'
	keys Enter
	wait_for 'Hello from fakeprov'
	[ "$(nrequests)" = 1 ]
	[ "$(last_sent)" = "$(< "$RUN/paste")" ]
	# the sequences sent by hand, a short paste inline
	typed $'\e[200~short one\e[201~'
	wait_for '> short one$'
	typed " more"
	keys Enter
	prompts 3
	wait_for 'Hello from fakeprov.*' 
	sleep 0.3
	[ "$(last_sent)" = "short one more" ]
}

@test "a 10 MB paste is one message" {
	use_fake "text=Got%20it."
	start -p anthropic
	awk 'BEGIN { for (i = 0; i < 100000; i++) printf "%099d\n", i }' > "$RUN/big"
	[ "$(stat -c %s "$RUN/big")" = 10000000 ]
	tm load-buffer "$RUN/big"
	tm paste-buffer -p
	WAIT=60 wait_for '\[paste 1: 100000 lines, 10000000 bytes\]'
	keys Enter
	WAIT=60 wait_for '^Got it\.$'
	[ "$(last_sent | wc -c)" = 10000001 ]   # and echo's newline
	[ "$(store_sql "SELECT length(content) FROM messages WHERE role = 'user'")" = 10000000 ]
	store_sql "SELECT content FROM messages WHERE role = 'user'" | head -c 10000000 | cmp - "$RUN/big"
}

@test "a message the store never got (no API key) is kept as the draft: /edit opens it" {
	unset ANTHROPIC_API_KEY
	cat > "$RUN/ed" <<-EOF
		#!/bin/sh
		cp "\$1" "$RUN/seen"
	EOF
	chmod +x "$RUN/ed"
	export EDITOR="$RUN/ed"
	unset VISUAL
	start -p anthropic
	head -c 5000 /dev/zero | tr '\0' x > "$RUN/paste"
	tm load-buffer "$RUN/paste"
	tm paste-buffer -p
	wait_for '\[paste 1: 1 line, 5000 bytes\]'
	keys Enter
	wait_for '^confab: no API key .*the message is kept: /edit opens it'
	[ "$(store_sql 'SELECT count(*) FROM messages')" = 0 ]
	typed "/edit"
	keys Enter
	prompts 3
	cmp "$RUN/seen" "$RUN/paste"
}

@test "/multi ... /end and a trailing backslash give multi-line messages" {
	use_fake
	start -p anthropic
	for l in /multi "first line" "  second line" /end; do
		typed "$l"
		keys Enter
	done
	wait_for 'Hello from fakeprov'
	[ "$(last_sent)" = $'first line\n  second line' ]
	typed 'one \'
	keys Enter
	typed 'two'
	keys Enter
	prompts 3
	sleep 0.5
	[ "$(nrequests)" = 2 ]
	[ "$(last_sent)" = $'one \ntwo' ]
	typed /end
	keys Enter
	wait_for '^confab: /end without /multi'
}

@test "/edit: the draft in \$EDITOR (execvp, words split, 0600 file), sent when it exits well" {
	use_fake
	cat > "$RUN/ed" <<-EOF
		#!/bin/sh
		[ "\$1" = --flag ] || exit 9
		stat -c %a "\$2" > "$RUN/mode"
		cp "\$2" "$RUN/seen"
		printf 'edited text\n' > "\$2"
	EOF
	chmod +x "$RUN/ed"
	export EDITOR="$RUN/ed --flag"
	unset VISUAL
	start -p anthropic
	typed "/edit the draft"
	keys Enter
	wait_for 'Hello from fakeprov'
	[ "$(last_sent)" = "edited text" ]
	[ "$(< "$RUN/mode")" = 600 ]
	[ "$(< "$RUN/seen")" = "the draft" ]
	# no draft file is left behind
	[ -z "$(find /tmp "${TMPDIR:-/tmp}" -maxdepth 1 -name 'confab-draft-*' -newer "$RUN/wrap" 2> /dev/null)" ]
}

@test "/edit with an editor that fails or is missing: one line, the draft is kept, the chat goes on" {
	use_fake
	cat > "$RUN/ed" <<-EOF
		#!/bin/sh
		cat "\$1" >> "$RUN/seen"
		echo >> "$RUN/seen"
		exit 3
	EOF
	chmod +x "$RUN/ed"
	export VISUAL="$RUN/ed"
	start -p anthropic
	typed "/edit keep me"
	keys Enter
	wait_for "^confab: the editor '.*/ed' failed \(exit 3\); the draft is kept"
	typed "/edit"
	keys Enter
	for ((i = 0; i < 100; i++)); do
		[ "$(on_screen 'failed \(exit 3\)')" = 2 ] && break
		sleep 0.05
	done
	[ "$(on_screen 'failed \(exit 3\)')" = 2 ]
	[ "$(grep -c '^keep me$' "$RUN/seen")" = 2 ]
	[ "$(nrequests)" = 0 ]
	typed "still here"
	keys Enter
	wait_for 'Hello from fakeprov'
	tm kill-server
	export VISUAL=/nonexistent/editor
	start -p anthropic
	typed "/edit x"
	keys Enter
	wait_for "^confab: cannot start the editor '/nonexistent/editor': No such file or directory; the draft is kept"
	typed "go on"
	keys Enter
	wait_for 'Hello from fakeprov'
	[ "$(last_sent)" = "go on" ]
}

@test "history: a file made 0600, kept across runs; Ctrl-R searches it" {
	use_fake
	start -p anthropic
	typed "alpha unique words"
	keys Enter
	prompts 2
	typed "beta"
	keys Enter
	prompts 3
	h="$XDG_STATE_HOME/confab/history"
	[ "$(stat -c %a "$h")" = 600 ]
	grep -q alpha "$h"
	keys C-d
	exited > /dev/null
	tm kill-server
	rm -f "$RUN/exit"
	start -p anthropic
	keys C-r
	typed "uniq"
	keys Enter
	# the search leaves the line found; Enter again sends it
	sleep 0.3
	[ "$(nrequests)" = 2 ] || keys Enter
	WAIT=5 prompts 2
	sleep 0.3
	[ "$(nrequests)" = 3 ]
	[ "$(last_sent)" = "alpha unique words" ]
	keys Up
	wait_for '> alpha unique words$'
}

@test "a history file that cannot be written: one warning, the chat goes on" {
	use_fake
	mkdir -p "$XDG_STATE_HOME/confab/history"   # a folder where the file goes
	start -p anthropic
	typed "one"
	keys Enter
	wait_for 'Hello from fakeprov'
	typed "two"
	keys Enter
	prompts 3
	sleep 0.3
	[ "$(nrequests)" = 2 ]
	[ "$(on_screen '^confab: cannot write the history')" = 1 ]
}

@test "Tab completes slash commands" {
	start -p echo
	typed "/qu"
	keys Tab
	wait_for '> /quit $'
	keys Enter
	[ "$(exited)" = 0 ]
}

@test "SIGTERM mid-stream: the partial reply is kept, the terminal put back, exit 143" {
	long=$(printf 'term%02d\n\n' $(seq 1 60))   # paragraphs: each drawn once closed
	use_fake "text=$(jq -rn --arg t "$long" '$t | @uri') piece=7 delay=100"
	start -p anthropic
	typed "go"
	keys Enter
	wait_for 'term03'
	kill -TERM "$(confab_pid)"
	[ "$(exited)" = 143 ]
	terminal_restored
	reply=$(chat-show --json -n 1 "$(only_session)")
	[ "$(jq .metadata.incomplete <<< "$reply")" = true ]
	[[ "$long" == "$(jq -r .content <<< "$reply")"* ]]
}

@test "SIGTERM while the editor runs: the message is stored, no reply waited for, exit 143" {
	use_fake "gen-bytes=100000 piece=100 delay=100"
	cat > "$RUN/ed" <<-EOF
		#!/bin/sh
		touch "$RUN/editing"
		sleep 1
		printf 'edited text\n' > "\$1"
	EOF
	chmod +x "$RUN/ed"
	export EDITOR="$RUN/ed"
	unset VISUAL
	start -p anthropic
	typed "/edit draft"
	keys Enter
	for ((i = 0; i < 100; i++)); do [ -e "$RUN/editing" ] && break; sleep 0.05; done
	kill -TERM "$(confab_pid)"
	# the reply would take 100 s
	[ "$(WAIT=8 exited)" = 143 ]
	terminal_restored
	[ "$(store_sql "SELECT content FROM messages WHERE role = 'user'")" = "edited text" ]
}

@test "SIGTERM at the prompt: the terminal put back, exit 143" {
	start -p echo
	kill -TERM "$(confab_pid)"
	[ "$(exited)" = 143 ]
	terminal_restored
}

@test "a closed terminal (the pane killed) mid-reply: the partial reply is saved, exit 129" {
	long=$(printf 'hup%02d\n\n' $(seq 1 60))   # paragraphs: each drawn once closed
	use_fake "text=$(jq -rn --arg t "$long" '$t | @uri') piece=7 delay=100"
	start -p anthropic
	typed "go"
	keys Enter
	wait_for 'hup03'
	pid=$(confab_pid)
	tm kill-pane
	st=$(exited)
	[ "$st" = 129 ]
	not kill -0 "$pid" 2> /dev/null
	reply=$(chat-show --json -n 1 "$(only_session)")
	[ "$(jq -c '.metadata | [.incomplete, .stopReason]' <<< "$reply")" = '[true,"interrupted"]' ]
	c=$(jq -r .content <<< "$reply")
	[ -n "$c" ] && [[ "$long" == "$c"* ]]
}

@test "a provider's failure: one line, the terminal as it was, the chat goes on" {
	use_fake "status=500" "status=500" "status=500" "status=500" "text=Fine%20now."
	start -p anthropic
	typed "first"
	keys Enter
	WAIT=20 wait_for '^confab: .*500'
	typed "again"
	keys Enter
	wait_for '^Fine now\.$'
	keys C-d
	[ "$(exited)" = 0 ]
	terminal_restored
}

@test "a session deleted by another program while open: one line, the chat moves on" {
	use_fake
	start -n doomed -p anthropic
	chat-rm --force doomed > /dev/null 2>&1 || chat-rm doomed > /dev/null
	[ "$(count sessions)" = 0 ]
	typed "are you there"
	keys Enter
	wait_for "^confab: the session 'doomed' was deleted by another program"
	wait_for 'Hello from fakeprov'
	[ "$(count sessions)" = 1 ]
	[ "$(store_sql 'SELECT count(*) FROM messages')" = 2 ]
}

@test "a store locked by a long writer: the turn waits for it" {
	sqlite_only "the writer holds SQLite's file lock, from a sqlite3 shell"
	use_fake "text=After%20the%20wait."
	start -p anthropic
	printf 'BEGIN IMMEDIATE;\nSELECT 1;\n.shell sleep 2\nCOMMIT;\n' | sqlite3 "$CHAT_DB" > /dev/null &
	sleep 0.3
	typed "wait for it"
	keys Enter
	WAIT=15 wait_for '^After the wait\.$'
	wait
	[ "$(chat-show --json -n 1 "$(only_session)" | jq -r .content)" = "After the wait." ]
}

# Types lines into confab without waiting for each, then a marker line,
# and waits until confab has answered the marker (the prompt after it).
batch() {
	local l
	for l in "$@"; do
		typed "$l"
		keys Enter
	done
	MARK=$((${MARK:-0} + 1))
	typed "/mark-$MARK"
	keys Enter
	WAIT=120 wait_for "mark-$MARK'"
}

@test "one confab under ASan takes 1,000 bad commands, is still there, and leaks nothing" {
	[ -x "$ROOT/build/asan/confab" ] || {
		echo "build/asan/confab is missing: make build/asan/confab" >&2
		return 1
	}
	MNT=$(mktemp -d "$BATS_TEST_TMPDIR/mnt.XXXXXX")
	mount -t tmpfs -o size=4m tmpfs "$MNT" 2> /dev/null || skip "cannot mount a tmpfs here"
	export CHAT_DB=$MNT/chat.db
	printf '[defaults]\nretries = 0\n' | config
	local spec=() i
	for ((i = 0; i < 400; i++)); do spec+=("status=500"); done
	use_fake "${spec[@]}"
	sid=$(new_session -n target -p anthropic)
	chat-add -s target "an earlier message" > /dev/null
	export ASAN_OPTIONS="detect_leaks=1:log_path=$RUN/asan:abort_on_error=1"
	export UBSAN_OPTIONS="print_stacktrace=1:log_path=$RUN/ubsan"
	CONFAB=$ROOT/build/asan/confab WAIT=30 start target
	pid=$(confab_pid)
	local n=0 round lines
	# with room on the disk: unknown sessions, bad formats, missing
	# files, a provider answering 500
	for ((round = 0; round < 15; round++)); do
		lines=()
		for ((i = 0; i < 10; i++)); do
			lines+=("/switch nosuch-$round-$i" "/export bogus$i" \
				"/attach /nonexistent/file-$i" "message $round $i" \
				"/react no$i" "/rm 0000ffff$i")
		done
		batch "${lines[@]}"
		n=$((n + ${#lines[@]} + 1))
	done
	[ "$(on_screen '^confab: .*500')" -ge 1 ]
	# a full disk: every message goes to the spool
	free=$(( $(stat -f -c '%a * %S' "$MNT") ))
	head -c "$free" /dev/zero > "$MNT/filler" 2> /dev/null || true
	while [ "$n" -lt 1000 ]; do
		lines=()
		for ((i = 0; i < 10 && n + ${#lines[@]} + 1 < 1000; i++)); do
			lines+=("/export md $MNT/out-$n-$i.md" "full disk $n $i" \
				"/switch nosuch-full-$i" "/attach /nonexistent/f$i" \
				"/note full $n $i")
		done
		batch "${lines[@]}"
		n=$((n + ${#lines[@]} + 1))
	done
	[ "$n" -ge 1000 ]
	kill -0 "$pid"
	typed /quit
	keys Enter
	st=$(WAIT=60 exited)
	rm -f "$MNT/filler"
	report=$(cat "$RUN"/asan.* "$RUN"/ubsan.* 2> /dev/null || true)
	[ -z "$report" ] || { head -n 80 <<< "$report"; return 1; }
	[ "$st" = 0 ] || { echo "exit $st"; screen | tail -n 30; return 1; }
	# every message was offered to the provider and refused
	[ "$(nrequests)" -ge 150 ]
	umount "$MNT"
}

@test "a resize (SIGWINCH) re-wraps what is drawn after it" {
	local words p
	words=$(printf 'alpha beta gamma delta %.0s' 1 2 3 4 5 6 7 8)
	p=$(for i in 1 2 3 4 5 6; do printf 'para%d %s\n\n' "$i" "$words"; done)
	use_fake "text=$(jq -rn --arg t "$p" '$t | @uri') piece=20 delay=150"
	start -p anthropic
	typed go
	keys Enter
	wait_for '^para1 '
	tm resize-window -x 50
	WAIT=20 prompts 2
	# drawn at 100 columns before, at 50 after, broken between words
	[ "$(screen | awk '/^para1 / { print length($0) }')" -gt 50 ]
	screen | awk '/^para5 /, /> $/' | grep -v '> $' > "$RUN/after"
	[ "$(wc -l < "$RUN/after")" -ge 8 ]
	awk 'length($0) > 50 { bad = 1 } END { exit bad }' "$RUN/after"
	grep -q '^delta' "$RUN/after" || grep -q '^alpha\|^beta\|^gamma' "$RUN/after"
	not grep -qE '^(lpha|eta|amma|elta)' "$RUN/after"
}

@test "the prompt shows what is attached; the next message carries it, then the prompt is bare" {
	use_fake
	printf 'the notes\n' > "$RUN/notes.txt"
	start -p anthropic -n att -m claude-a
	typed "/attach $RUN/notes.txt"
	keys Enter
	wait_for '^att \(claude-a\) \+ notes\.txt> '
	typed "read this"
	keys Enter
	wait_for 'Hello from fakeprov'
	prompts 2
	fake_requests | tail -n 1 | grep -q 'the notes'
	[ "$(last_sent | head -n 1)" = "read this" ]
	# used: the prompt after the reply shows nothing attached
	[ "$(screen | grep -v '^$' | tail -n 1)" = "att (claude-a)> " ]
}

@test "Tab completes commands' arguments: formats and session names" {
	new_session -n review-alpha -p echo > /dev/null
	start -p echo
	typed "/export mar"
	keys Tab
	wait_for '> /export markdown $'
	keys C-c
	typed "/switch review-a"
	keys Tab
	wait_for '> /switch review-alpha $'
	keys Enter
	wait_for '^review-alpha \(echo\)> '
}

@test "Ctrl-Z, then fg: the line is drawn again in libedit's modes, not echoed twice" {
	use_fake
	tm new-session -d -x 100 -y 40 "env PS1='$ ' bash --norc --noprofile -i"
	wait_for '^\$ '
	typed "$(printf '%q' "$ROOT/bin/confab") -p anthropic"
	keys Enter
	wait_for '\)> '
	typed "half "
	keys C-z
	wait_for 'Stopped'
	typed "fg"
	keys Enter
	wait_for '\)> half $'
	typed "whole"
	keys Enter
	wait_for 'Hello from fakeprov'
	[ "$(last_sent)" = "half whole" ]
	# typed once: the terminal does not echo it besides libedit
	[ "$(on_screen '^(half )?whole$')" = 0 ]
	[ "$(on_screen '\)> half whole$')" = 1 ]
}

@test "TERM=dumb: no escape sequence reaches the terminal, bracketed paste neither" {
	{ sleep 1; printf 'hi\r'; sleep 1; printf '\004'; sleep 0.5; } |
		TERM=dumb script -qfc "$(printf '%q' "$ROOT/bin/confab") -p echo" "$RUN/typescript" > /dev/null
	grep -q '^echo: hi' "$RUN/typescript"
	run grep -c $'\e' "$RUN/typescript"
	[ "$output" = 0 ]
}
