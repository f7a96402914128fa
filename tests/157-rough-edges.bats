#!/usr/bin/env bats
# The rough edges a new user hit (issue 10), one test or more per item,
# each named by its item's number.

load helper
load confab-tmux

AKEY=sk-ant-test-Zq7wAnthropicKey

setup() {
	common_setup
	OUT="$BATS_TEST_TMPDIR/stdout"
	export LANG=C.UTF-8
	SOCK="rough-$$-$BATS_TEST_NUMBER"
	RUN="$BATS_TEST_TMPDIR/run"
	mkdir -p "$RUN"
}

teardown() {
	tm kill-server 2> /dev/null || true
	fake_stop
}

use_anthropic() { export ANTHROPIC_BASE_URL=$FAKE_URL ANTHROPIC_API_KEY=$AKEY; }

# ---- 1: a new provider without -m takes that provider's default model ----

@test "1: chat-set -p without -m moves to the provider's default model, and says so" {
	s=$(new_session -n s -p openai -m gpt-4o-mini)
	run -0 --separate-stderr chat-set s -p anthropic
	[ "$(jq -r .provider <<<"$output")" = anthropic ]
	[ "$(jq -r .model <<<"$output")" != gpt-4o-mini ]
	one_line_error chat-set
	[[ "$stderr" == *"claude-sonnet-4-5"* ]]
	[[ "$stderr" == *"anthropic"* ]]
	# the next request asks Anthropic for its own model
	fake_start "text=hi"
	use_anthropic
	chat-send -s "$s" hello < /dev/null > /dev/null
	[ "$(fake_requests | jq -r .body.model)" = claude-sonnet-4-5 ]
	[ "$(fake_requests | jq -r .path)" = /v1/messages ]
}

@test "1: the config's model for the provider is the default it moves to" {
	printf '[anthropic]\nmodel = claude-haiku-4-5\n' | config
	new_session -n s -p openai -m gpt-4o-mini > /dev/null
	run -0 --separate-stderr chat-set s -p anthropic
	[ "$(jq -r .model <<<"$output")" = claude-haiku-4-5 ]
	[[ "$stderr" == *"claude-haiku-4-5"* ]]
}

@test "1: an explicit -m stays, and the same provider keeps its model, quietly" {
	new_session -n s -p openai -m gpt-4o-mini > /dev/null
	run -0 --separate-stderr chat-set s -p anthropic -m claude-x
	[ "$(jq -r .model <<<"$output")" = claude-x ]
	[ -z "$stderr" ]
	run -0 --separate-stderr chat-set s -p anthropic
	[ "$(jq -r .model <<<"$output")" = claude-x ]
	[ -z "$stderr" ]
}

@test "1: confab's /provider moves to the provider's default model as chat-set does" {
	command -v tmux > /dev/null || skip "no tmux (make deps)"
	new_session -n a -p openai -m gpt-4o-mini > /dev/null
	new_session -n b -p openai -m gpt-4o-mini > /dev/null
	start a
	line "/provider anthropic"
	[ "$(on_screen "model 'gpt-4o-mini' is not anthropic's: now 'claude-sonnet-4-5'")" = 1 ]
	line "/provider anthropic"
	[ "$(on_screen "is not anthropic's")" = 1 ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	chat-set -p anthropic b > /dev/null 2>&1
	shape() { chat-ls --all --json | jq -c --arg n "$1" 'select(.name == $n) | [.provider, .model]'; }
	[ "$(shape a)" = '["anthropic",null]' ]
	[ "$(shape a)" = "$(shape b)" ]
}
