#!/usr/bin/env bats
# confab's /plugin and /NAME COMMAND in a real terminal (tmux): text shown
# cleaned, context attached to the next message and sent to the model
# (the fake provider's request log), messages added, every command run
# in the next message's context.pluginCommands; Tab completes plugin
# names and their commands; a failing plugin is one line and a hanging
# one stops on Ctrl-C, the chat going on.  The driver is
# tests/confab-tmux.bash.

load helper
load confab-tmux

setup() {
	common_setup
	command -v tmux > /dev/null || skip "no tmux (make deps)"
	[ -x "$ROOT/build/fakeprov" ] || skip "no build/fakeprov (make build/fakeprov)"
	export LANG=C.UTF-8 NO_COLOR=1
	SOCK="plugin-$$-$BATS_TEST_NUMBER"
	RUN="$BATS_TEST_TMPDIR/run"
	mkdir -p "$RUN"
	no_shipped_plugins   # /git would complete beside the test's /gitx
	P="$XDG_DATA_HOME/confab/plugins"
	mkdir -p "$P"
	cat > "$P/chat-plugin-gitx" <<-'EOF'
		#!/bin/sh
		case "$1" in
		--describe) echo '{"name":"gitx","commands":[{"name":"diff","usage":"","description":"the diff"},{"name":"log","usage":"N","description":"the log"},{"name":"hang","usage":"","description":"never ends"},{"name":"boom","usage":"","description":"fails"},{"name":"say","usage":"","description":"a message"}]}' ;;
		diff) echo '{"type":"text","content":"diff shown \u001b[31mred"}'
		      printf '%s\n' '{"type":"context","content":"--- a/f\n+++ b/f\n+the changed line"}' ;;
		log) echo "{\"type\":\"text\",\"content\":\"log of $2\"}" ;;
		hang) sleep 300 & echo $! > "$BGPID"; wait ;;
		boom) echo "it broke" >&2; exit 3 ;;
		say) echo '{"type":"message","role":"assistant","content":"a message from gitx"}' ;;
		esac
	EOF
	chmod +x "$P/chat-plugin-gitx"
	export BGPID="$BATS_TEST_TMPDIR/bgpid"
	fake_start "text=Seen." "text=Again."
	export ANTHROPIC_BASE_URL=$FAKE_URL ANTHROPIC_API_KEY=sk-ant-test-plugin
	new_session -n pl -p anthropic -m claude-test > /dev/null
}

teardown() {
	tm kill-server 2> /dev/null || true
	[ -s "$BGPID" ] && kill "$(cat "$BGPID")" 2> /dev/null
	fake_stop
}

@test "/gitx diff: text shown cleaned, context attached and sent, the command in pluginCommands" {
	start pl
	line "/gitx diff"
	wait_for '^diff shown'
	[ "$(on_screen $'\e')" = 0 ]
	wait_for 'attached for the next message: gitx diff'
	# the prompt says something is attached
	wait_for '\) \+ gitx diff> '
	line "/plugin gitx log 3"
	wait_for '^log of 3$'
	line "what changed?"
	wait_for '^Seen\.$'
	line "and now?"
	wait_for '^Again\.$'
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	# the model got the context in the message, delimited
	first=$(fake_requests | head -n 1 | jq -r '.body.messages[-1].content | if type == "array" then map(.text // empty) | join("") else . end')
	[[ "$first" == "what changed?"*'<file name="plugin gitx diff">'*"+the changed line"*"</file>"* ]]
	# the next message carries nothing of it
	second=$(fake_requests | tail -n 1 | jq -r '.body.messages[-1].content | if type == "array" then map(.text // empty) | join("") else . end')
	[ "$second" = "and now?" ]
	# both commands in the first message's context, none in the second's
	[ "$(chat-show --json pl | jq -c 'select(.content == "what changed?") | .context.pluginCommands | map([.plugin, .command, .args, .exit])')" = \
		'[["gitx","diff",[],0],["gitx","log",["3"],0]]' ]
	[[ "$(chat-show --json pl | jq -r 'select(.content == "what changed?") | .context.pluginCommands[0].at')" =~ ^[0-9]{4}-[0-9-]{5}T[0-9:.]{12}Z$ ]]
	[ "$(chat-show --json pl | jq -c 'select(.content == "and now?") | .context.pluginCommands')" = '[]' ]
	[ "$(chat-show --json pl | jq -r 'select(.content == "what changed?") | .metadata.attachments[0].name')" = "plugin gitx diff" ]
}

@test "/plugin lists; a failing plugin is one line and is recorded; messages are added" {
	start pl
	line "/plugin"
	wait_for '^  gitx +diff, log, hang, boom, say'
	line "/plugin gitx"
	wait_for '/gitx log N +the log'
	line "/gitx boom"
	wait_for "^confab: plugin 'gitx' failed \(exit 3\): it broke$"
	line "/gitx nope"
	wait_for "^confab: plugin 'gitx' has no command 'nope'"
	line "/plugin nosuch go"
	wait_for "^confab: no plugin 'nosuch'"
	line "/gitx say"
	wait_for '^a message from gitx$'
	line "hello"
	wait_for '^Seen\.$'
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	[ "$(chat-show --json pl | jq -r 'select(.metadata.plugin == "gitx") | .content')" = "a message from gitx" ]
	[ "$(chat-show --json pl | jq -c 'select(.content == "hello") | .context.pluginCommands | map([.command, .exit])')" = \
		'[["boom",3],["say",0]]' ]
	# the model saw the plugin's message in the context
	[ "$(fake_requests | tail -n 1 | jq '.body.messages | map(.content | tostring) | any(test("a message from gitx"))')" = true ]
}

@test "Tab completes plugin names and their commands" {
	start pl
	typed "/gi"
	keys Tab
	wait_for '> /gitx *$'
	keys C-u
	typed "/gitx l"
	keys Tab
	wait_for '> /gitx log *$'
	keys C-u
	typed "/plugin gi"
	keys Tab
	wait_for '> /plugin gitx *$'
	typed "d"
	keys Tab
	wait_for '> /plugin gitx diff *$'
	keys C-u
	typed "/plugin config g"
	keys Tab
	wait_for '> /plugin config gitx *$'
	keys C-u
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}

@test "Ctrl-C stops a hanging plugin and its children; the chat goes on" {
	start pl
	typed "/gitx hang"
	keys Enter
	for i in $(seq 100); do [ -s "$BGPID" ] && break; sleep 0.05; done
	[ -s "$BGPID" ]
	keys C-c
	wait_for "^(\^C)?confab: plugin 'gitx' interrupted: stopped$"
	bg=$(cat "$BGPID")
	for i in $(seq 50); do kill -0 "$bg" 2> /dev/null || break; sleep 0.1; done
	not kill -0 "$bg" 2> /dev/null
	line "still here"
	wait_for '^Seen\.$'
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	# it ran, so it is recorded, killed
	[ "$(chat-show --json pl | jq -c 'select(.content == "still here") | .context.pluginCommands | map(.command)')" = '["hang"]' ]
}

@test "/plugin config writes the plugin's section; the plugin sees it" {
	start pl
	line "/plugin config gitx token s3cret"
	wait_for "set token in \[plugin.gitx\]"
	[ "$(on_screen s3cret)" = 1 ]   # the line typed, not the answer
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	grep -qx 'token = s3cret' "$XDG_CONFIG_HOME/confab/config"
	[ "$(stat -c %a "$XDG_CONFIG_HOME/confab/config")" = 600 ]
	# the value, a token maybe, is not kept in the history file
	hist="${XDG_STATE_HOME:-$HOME/.local/state}/confab/history"
	[ -e "$hist" ]
	not grep -q s3cret "$hist"
	# (history(3) writes a blank as \040)
	grep -qxF '/plugin\040config\040gitx\040token\040' "$hist"
}
