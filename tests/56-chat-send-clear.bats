#!/usr/bin/env bats
# chat-send --clear: the /clear boundary (confab(7)).  The message sent with
# it is stored with metadata.contextReset true; every request after it
# starts its context there, within contextWindow; nothing is deleted.  The
# request bodies are the ones build/fakeprov received.

load helper

setup() {
	common_setup
	[ -x "$ROOT/build/fakeprov" ] || {
		echo "build/fakeprov is missing: make build/fakeprov" >&2
		return 1
	}
	fake_start
	export OPENAI_BASE_URL=$FAKE_URL/v1 OPENAI_API_KEY=sk-test-clear
}

teardown() {
	fake_stop
}

send() { chat-send "$@" < /dev/null; }

# The messages of the last request the fake provider got, as compact JSON.
sent() { fake_requests | tail -n 1 | jq -c .body.messages; }

same_json() {
	local a b
	a=$(jq -cS . <<< "$1") && b=$(jq -cS . <<< "$2") || return 1
	[ "$a" = "$b" ] || { printf 'got:  %s\nwant: %s\n' "$a" "$b"; return 1; }
}

# contextReset of each message of session $1, in order ("-" for none).
resets() {
	chat-show --json "$1" | jq -r '"\(.role):\(.content):\(.metadata.contextReset // "-")"'
}

@test "--clear: the message goes alone (with the system prompt), is marked, and nothing is deleted" {
	new_session --provider openai --name s -S "Be brief." > /dev/null
	chat-add -s s "one" > /dev/null
	chat-add -s s -r assistant "two" > /dev/null
	# without --clear the earlier messages go: the test can tell the two apart
	run -0 send -s s "before"
	same_json "$(sent)" '[{"role":"system","content":"Be brief."},{"role":"user","content":"one"},
		{"role":"assistant","content":"two"},{"role":"user","content":"before"}]'
	run -0 send -s s --clear "fresh start"
	[ "$output" = "Hello from fakeprov." ]
	same_json "$(sent)" '[{"role":"system","content":"Be brief."},{"role":"user","content":"fresh start"}]'
	[ "$(count messages)" = 6 ]
	run -0 resets s
	[ "$output" = "$(printf '%s\n' user:one:- assistant:two:- user:before:- \
		'assistant:Hello from fakeprov.:-' 'user:fresh start:true' 'assistant:Hello from fakeprov.:-')" ]
}

@test "after --clear every request starts at the latest marked message, until the next --clear" {
	new_session --provider openai --name s > /dev/null
	chat-add -s s "old" > /dev/null
	run -0 send -s s --clear "a"
	run -0 send -s s "b"
	same_json "$(sent)" '[{"role":"user","content":"a"},{"role":"assistant","content":"Hello from fakeprov."},
		{"role":"user","content":"b"}]'
	run -0 send -s s --clear "c"
	run -0 send -s s "d"
	same_json "$(sent)" '[{"role":"user","content":"c"},{"role":"assistant","content":"Hello from fakeprov."},
		{"role":"user","content":"d"}]'
	# the records say which messages start a context
	[ "$(chat-show --json s | jq -sc 'map(select(.metadata.contextReset) | .content)')" = '["a","c"]' ]
}

@test "contextWindow still holds after the boundary" {
	new_session --provider openai --name s --context-window 2 > /dev/null
	chat-add -s s "old" > /dev/null
	run -0 send -s s --clear "m1"
	run -0 send -s s "m2"
	run -0 send -s s "m3"
	# five since the boundary (m1, reply, m2, reply) before m3: the last two
	same_json "$(sent)" '[{"role":"user","content":"m2"},{"role":"assistant","content":"Hello from fakeprov."},
		{"role":"user","content":"m3"}]'
}

@test "a marked message from chat-add --records is a boundary too; the record of one sent with --clear holds the mark" {
	new_session --provider openai --name s > /dev/null
	chat-add -s s "before" > /dev/null
	echo '{"role":"user","content":"from here","metadata":{"contextReset":true}}' |
		chat-add -s s --records > /dev/null
	run -0 send -s s --json "next"
	same_json "$(sent)" '[{"role":"user","content":"from here"},{"role":"user","content":"next"}]'
	# --json's message record is the reply's; the user message holds the mark
	[ "$(tail -n 1 <<< "$output" | jq -r '.role')" = assistant ]
	run -0 send -s s --clear --json "marked"
	[ "$(chat-show --json -n 2 s | head -n 1 | jq -c '[.content, .metadata.contextReset]')" = '["marked",true]' ]
}

@test "--clear on a new session, and with an attachment: the message and its file alone" {
	printf 'file text\n' > "$BATS_TEST_TMPDIR/f.txt"
	run -0 send --clear -p openai -a "$BATS_TEST_TMPDIR/f.txt" "see this"
	same_json "$(sent)" '[{"role":"user","content":"see this\n\n<file name=\"f.txt\">\nfile text\n\n</file>"}]'
	[ "$(count sessions)" = 1 ]
	[ "$(store_sql "SELECT json_extract(extra, '$.contextReset') FROM messages WHERE role = 'user'")" = 1 ]
}
