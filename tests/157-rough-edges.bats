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

# ---- 2: a --db that is not there is a typo, not a new store ----

@test "2: chat-ls --db on a missing path is an error and creates nothing" {
	for prog in "chat-ls" "chat-show x" "chat-set -n y x" "chat-add -s x hi" \
		"chat-rm -f x" "chat-cost" "chat-export x" "chat-branch x" "chat-edit x new" \
		"chat-send -s x hi"; do
		run -6 --separate-stderr $prog --db "$BATS_TEST_TMPDIR/typo/chaat.db" < /dev/null
		one_error "${prog%% *}"
		[[ "$stderr" == *"no store at '$BATS_TEST_TMPDIR/typo/chaat.db'"* ]]
		[ ! -e "$BATS_TEST_TMPDIR/typo" ]
	done
	# nor does the default store come into being meanwhile
	[ ! -e "$CHAT_DB" ]
}

@test "2: chat-new --db and chat-import --db create the store, then the others open it" {
	db=$BATS_TEST_TMPDIR/new/dir/one.db
	run -0 chat-new --db "$db" -n s
	[ -f "$db" ]
	[ "$(chat-ls --db "$db" --json | jq -r .name)" = s ]
	db2=$BATS_TEST_TMPDIR/other/two.db
	chat-add --db "$db" -s s hello > /dev/null
	chat-export --db "$db" -f json s | chat-import --db "$db2" > /dev/null
	[ "$(chat-ls --db "$db2" --json | jq -r .name)" = s ]
	[ ! -e "$CHAT_DB" ]
}

@test "2: CHAT_DB and the default path are still created when missing" {
	export CHAT_DB=$BATS_TEST_TMPDIR/env/a/chat.db
	run -0 chat-ls
	[ -f "$CHAT_DB" ]
	unset CHAT_DB
	run -0 chat-ls
	[ -f "$XDG_DATA_HOME/confab/chat.db" ]
}

@test "2: confab --db on a missing path is refused" {
	tty_run confab --db "$BATS_TEST_TMPDIR/typo/chaat.db"
	[ "$status" -eq 6 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "confab: no store at "* ]]
	[ ! -e "$BATS_TEST_TMPDIR/typo" ]
}
