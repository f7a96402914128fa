#!/usr/bin/env bats
# confab and tools in a real terminal (tmux): a call is shown before it
# runs, y runs it, n denies it, a runs it and every later call of that
# tool in the session without asking, Ctrl-C denies and stops; against
# fakeprov, with a test plugin that leaves a marker file when it runs.

load helper
load confab-tmux

setup() {
	common_setup
	command -v tmux > /dev/null || skip "no tmux (make deps)"
	[ -x "$ROOT/build/fakeprov" ] || {
		echo "build/fakeprov is missing: make build/fakeprov" >&2
		return 1
	}
	export LANG=C.UTF-8
	SOCK="tools-$$-$BATS_TEST_NUMBER"
	RUN="$BATS_TEST_TMPDIR/run"
	mkdir -p "$RUN"
	MARK=$BATS_TEST_TMPDIR/ran
	mkdir -p "$XDG_DATA_HOME/confab/plugins"
	cat > "$XDG_DATA_HOME/confab/plugins/chat-plugin-calc" <<-EOF
	#!/bin/sh
	case \$1 in
	--describe)
		echo '{"name":"calc","commands":[],"tools":[{"name":"add","description":"adds two integers","input_schema":{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["a","b"]}}]}'
		;;
	--tool)
		read -r line
		printf '%s\n' "\$line" >> "$MARK"
		printf '{"type":"text","content":"sum: %s"}\n' "\$(printf '%s' "\$line" | jq '.a + .b')"
		;;
	esac
	EOF
	chmod +x "$XDG_DATA_HOME/confab/plugins/chat-plugin-calc"
}

teardown() {
	tm kill-server 2> /dev/null || true
	fake_stop
}

serve() {
	fake_start "$@" || return 1
	export ANTHROPIC_BASE_URL=$FAKE_URL ANTHROPIC_API_KEY=k
}

# The results the request N carried: [[content, is_error]].
sent() {
	fake_requests | jq -c --argjson n "$1" 'select(.n == $n) | [.body.messages[].content |
		arrays | .[] | select(.type == "tool_result") | [.content, (.is_error // false)]]'
}

QUESTION='run it\? y(es)?, n(o)?, a(lways)?'

@test "confab: a tool call is shown, y runs it and its result goes back" {
	serve 'tool-use=add:{"a":2,"b":3}' 'text=It%20is%20five.'
	SID=$(new_session -n t -p anthropic -m claude-test)
	start t
	typed "add 2 and 3"
	keys Enter
	wait_for "$QUESTION"
	[ "$(on_screen 'tool add \(plugin calc\) \{"a":2,"b":3\}')" = 1 ]
	[ ! -e "$MARK" ]
	keys y
	wait_for 'It is five.'
	wait_for "$PROMPT"
	[ "$(< "$MARK")" = '{"a":2,"b":3}' ]
	[ "$(on_screen '^ran: sum: 5')" = 1 ]
	[ "$(sent 1)" = '[["sum: 5",false]]' ]
	[ "$(chat-show --json "$SID" | jq -sc 'map(.role)')" = '["user","assistant","user","assistant"]' ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}

@test "confab: n denies a call: the model is told so, the tool never runs" {
	serve 'tool-use=add:{"a":2,"b":3}' 'text=As%20you%20wish.'
	new_session -n t -p anthropic -m claude-test > /dev/null
	start t
	typed "add 2 and 3"
	keys Enter
	wait_for "$QUESTION"
	keys n
	wait_for 'As you wish.'
	wait_for "$PROMPT"
	[ ! -e "$MARK" ]
	[ "$(on_screen "$QUESTION.*no$")" = 1 ]
	[[ $(sent 1) == '[["denied: '*'",true]]' ]]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}

@test "confab: a (always) runs the tool and is not asked again in the session" {
	serve 'tool-use=add:{"a":1,"b":1}' 'text=two' 'tool-use=add:{"a":2,"b":2}' 'text=four'
	new_session -n t -p anthropic -m claude-test > /dev/null
	start t
	typed "first"
	keys Enter
	wait_for "$QUESTION"
	keys a
	wait_for '^two'
	wait_for "$PROMPT"
	typed "second"
	keys Enter
	wait_for '^four'
	wait_for "$PROMPT"
	[ "$(on_screen "$QUESTION")" = 1 ]
	[ "$(on_screen 'allowed: always, in this session')" = 1 ]
	[ "$(wc -l < "$MARK")" -eq 2 ]
	[ "$(sent 3 | jq -c 'map(.[0])')" = '["sum: 2","sum: 4"]' ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}

@test "confab: Ctrl-C at the question denies and stops: nothing more is sent" {
	serve 'tool-use=add:{"a":2,"b":3}' 'text=never'
	SID=$(new_session -n t -p anthropic -m claude-test)
	start t
	typed "add"
	keys Enter
	wait_for "$QUESTION"
	keys C-c
	wait_for "$QUESTION.*stopped$"
	wait_for "$PROMPT"
	[ ! -e "$MARK" ]
	[ "$(fake_requests | wc -l)" -eq 1 ]
	chat-show --json "$SID" | jq -se '.[2].parts[0] | .isError and (.content | startswith("denied"))'
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}

@test "confab: always is for the plugin's tool that was shown, not for any tool of that name" {
	serve 'tool-use=add:{"a":1,"b":1}' 'text=two' 'tool-use=add:{"a":2,"b":2}' 'text=four'
	new_session -n t -p anthropic -m claude-test > /dev/null
	start t
	typed "first"
	keys Enter
	wait_for "$QUESTION"
	keys a
	wait_for '^two'
	wait_for "$PROMPT"
	# calc goes, another plugin's add takes its name
	local dir=$XDG_DATA_HOME/confab/plugins
	sed 's/"name":"calc"/"name":"other"/' "$dir/chat-plugin-calc" > "$dir/chat-plugin-other"
	chmod +x "$dir/chat-plugin-other"
	rm "$dir/chat-plugin-calc"
	typed "second"
	keys Enter
	wait_for "tool add \(plugin other\)"
	wait_for "$QUESTION"
	[ "$(on_screen "$QUESTION")" = 2 ]
	[ "$(wc -l < "$MARK")" -eq 1 ]
	keys n
	wait_for '^four'
	wait_for "$PROMPT"
	[ "$(wc -l < "$MARK")" -eq 1 ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}

@test "confab: Ctrl-C while a tool runs stops it: the call answered, the terminal and the chat go on" {
	cat > "$XDG_DATA_HOME/confab/plugins/chat-plugin-slow" <<-EOF
	#!/bin/sh
	case \$1 in
	--describe)
		echo '{"name":"slow","commands":[],"tools":[{"name":"wait","description":"waits","input_schema":{"type":"object"}}]}'
		;;
	--tool)
		echo started > "$MARK"
		exec sleep 30
		;;
	esac
	EOF
	chmod +x "$XDG_DATA_HOME/confab/plugins/chat-plugin-slow"
	serve 'tool-use=wait:{}' 'text=still%20here'
	SID=$(new_session -n t -p anthropic -m claude-test)
	start t
	typed "wait"
	keys Enter
	wait_for "$QUESTION"
	keys y
	for ((i = 0; i < 200; i++)); do [ -s "$MARK" ] && break; sleep 0.05; done
	[ -s "$MARK" ]
	keys C-c
	wait_for "$PROMPT"
	[ "$(fake_requests | wc -l)" -eq 1 ]
	chat-show --json "$SID" | jq -se '.[2].parts[0].isError'
	# the terminal echoes again, and the chat goes on
	typed "again"
	wait_for "again"
	keys Enter
	wait_for "still here"
	wait_for "$PROMPT"
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}
