#!/usr/bin/env bats
# chat-send -o KEY=VALUE and chat-set -o: values read as JSON when they
# parse, dotted keys nested, each protocol's placement in the request the
# fake provider received, the aliases, session defaults under the
# message's own, what is kept on the message, a malformed -o refused and a
# provider's refusal shown in its own words.

load helper
load send
load confab-tmux

# send.bash's, and the test's own tmux server when it started one
teardown() {
	local p
	for p in "${BG[@]}"; do
		kill -KILL "$p" 2> /dev/null || true
		wait "$p" 2> /dev/null || true
	done
	fake_stop
	[ -z "${SOCK:-}" ] || tm kill-server 2> /dev/null || true
}

last_body() {
	fake_requests | tail -n 1 | jq -c .body
}

user_msg() {
	chat-show --json "$SID" | jq -c 'select(.role == "user")' | tail -n 1
}

@test "values are JSON when they parse, else strings; dotted keys nest (anthropic: at the top)" {
	serve
	session anthropic
	send -o top_k=5 -o stop_sequences='["END"]' -o 'metadata={"user_id":"u1"}' \
		-o flag=true -o word=high -o 'two words=a b' -o thinking.type=enabled \
		-o thinking.budget_tokens=2000 -o n=nan hi
	exit_is 0
	last_body | jq -e '.top_k == 5 and .stop_sequences == ["END"] and
		.metadata == {user_id: "u1"} and .flag == true and .word == "high" and
		.["two words"] == "a b" and .thinking == {type: "enabled", budget_tokens: 2000} and
		.n == "nan" and .model == "claude-test" and (.messages | length) == 1'
	user_msg | jq -e '.metadata.options.thinking.budget_tokens == 2000 and .metadata.options.top_k == 5'
}

@test "openai: at the top; effort is reasoning_effort" {
	serve
	session openai
	send -o effort=low -o seed=7 -o stop='["x"]' hi
	exit_is 0
	last_body | jq -e '.reasoning_effort == "low" and .seed == 7 and .stop == ["x"] and
		(has("effort") | not)'
}

@test "gemini: inside generationConfig but for the request's own fields; thinking_budget and effort are thinkingConfig's" {
	serve
	session gemini
	send -o topK=5 -o 'safetySettings=[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]' \
		-o generationConfig.candidateCount=1 -o thinking_budget=128 hi
	exit_is 0
	last_body | jq -e '.generationConfig.topK == 5 and .generationConfig.candidateCount == 1 and
		.generationConfig.maxOutputTokens == 4096 and
		.generationConfig.thinkingConfig == {thinkingBudget: 128} and
		.safetySettings[0].threshold == "BLOCK_NONE" and (has("topK") | not)'
	send -o effort=low hi
	last_body | jq -e '.generationConfig.thinkingConfig == {thinkingLevel: "low"}'
}

@test "ollama: inside options but for /api/chat's own fields (think, format, keep_alive); effort is think" {
	serve
	session ollama
	send -o top_p=0.5 -o seed=3 -o keep_alive=5m -o think=true hi
	exit_is 0
	last_body | jq -e '.options.top_p == 0.5 and .options.seed == 3 and .options.num_predict == 4096 and
		.keep_alive == "5m" and .think == true and (has("top_p") | not)'
	send -o effort=high hi
	last_body | jq -e '.think == "high"'
}

@test "anthropic: thinking_budget is extended thinking; a thinking.* given too wins" {
	serve
	session anthropic
	send -o thinking_budget=1024 hi
	last_body | jq -e '.thinking == {type: "enabled", budget_tokens: 1024} and (has("thinking_budget") | not)'
	send -o thinking_budget=1024 -o thinking.type=disabled hi
	last_body | jq -e '.thinking == {type: "disabled", budget_tokens: 1024}'
}

@test "chat-set -o: session defaults, under the message's own; KEY= removes them" {
	serve
	session openai
	run chat-set -o seed=1 -o 'logit_bias.50256=-100' -o user=me "$SID"
	[ "$status" = 0 ]
	[ "$(jq -c .metadata.options <<< "$output")" = '{"seed":1,"logit_bias":{"50256":-100},"user":"me"}' ]
	send -o seed=2 hi
	exit_is 0
	last_body | jq -e '.seed == 2 and .logit_bias == {"50256": -100} and .user == "me"'
	user_msg | jq -e '.metadata.options == {seed: 2, logit_bias: {"50256": -100}, user: "me"}'
	# this message without a default
	send -o user= hi
	last_body | jq -e '.seed == 1 and (has("user") | not)'
	# removed for good; the last one takes the key away
	run chat-set -o user= -o logit_bias.50256= "$SID"
	[ "$(jq -c .metadata.options <<< "$output")" = '{"seed":1,"logit_bias":{}}' ]
	run chat-set -o seed= -o logit_bias= "$SID"
	jq -e '.metadata | has("options") | not' <<< "$output"
	[ "$(store_sql "SELECT CASE WHEN json_type(extra, '$.options') IS NULL THEN 1 ELSE 0 END FROM sessions WHERE id = '$SID'")" = 1 ]
	send hi
	last_body | jq -e 'has("seed") or has("logit_bias") | not'
	# other settings with it, in one change
	run chat-set -o seed=9 -m gpt-other "$SID"
	jq -e '.metadata.options == {seed: 9} and .model == "gpt-other"' <<< "$output"
}

@test "a malformed -o: exit 2, one line, nothing stored or sent" {
	serve
	session openai
	local bad
	for bad in seed '=1' 'a..b=1' '.a=1' 'a.=1'; do
		send -o "$bad" hi
		exit_is 2
		one_line_error "chat-send: invalid -o '$bad'"
	done
	run --separate-stderr chat-set -o nokey "$SID"
	[ "$status" = 2 ]
	one_line_error "chat-set: invalid -o 'nokey': expected KEY=VALUE"
	[ "$(requests)" = 0 ]
	[ "$(stored)" = '[]' ]
	[ "$(store_sql "SELECT CASE WHEN json_type(extra, '$.options') IS NULL THEN 1 ELSE 0 END FROM sessions WHERE id = '$SID'")" = 1 ]
}

@test "a -o naming what confab sends itself (model, messages, stream, system, ...) is refused: exit 2, nothing stored or sent" {
	serve
	session anthropic
	local bad
	for bad in stream=false model=other 'messages=[]' system=x contents.0=x; do
		send -o "$bad" hi
		exit_is 2
		one_line_error "chat-send: invalid -o '$bad': ${bad%%[.=]*} is confab's own"
	done
	run --separate-stderr chat-set -o stream=false "$SID"
	[ "$status" = 2 ]
	one_line_error "chat-set: invalid -o 'stream=false': stream is confab's own (--no-stream)"
	[ "$(requests)" = 0 ]
	[ "$(stored)" = '[]' ]
}

@test "an option the provider refuses (400): its own message on one line, exit 8, the user's message kept with its options" {
	local f=$PROVIDER_STREAMS/openai-chat/error-400-unsupported-parameter.json
	[ -f "$f" ] || skip "no recorded fixture $f"
	serve "status=400 body=$f"
	session openai
	send -o 'stop=["x"]' hi
	exit_is 8
	[ "${#stderr_lines[@]}" = 1 ]
	error_says "Unsupported parameter: 'stop' is not supported with this model."
	[ "$(requests)" = 1 ]
	only_user_stored
	user_msg | jq -e '.metadata.options == {stop: ["x"]}'
}

@test "options and --schema together: the schema's mechanism and the options both in the request" {
	serve "text=%7B%22a%22%3A1%7D"
	session openai
	send -o seed=4 --schema '{"type":"object","properties":{"a":{"type":"integer"}}}' --json hi
	exit_is 0
	last_body | jq -e '.seed == 4 and .response_format.type == "json_schema"'
	[ "$(tail -n 1 "$OUT" | jq -r .value.a)" = 1 ]
}

@test "confab's /option sets the session's options as chat-set -o does, and the next message sends them" {
	command -v tmux > /dev/null || skip "no tmux (make deps)"
	export LANG=C.UTF-8
	SOCK="opts-$$-$BATS_TEST_NUMBER"
	RUN="$BATS_TEST_TMPDIR/run"
	mkdir -p "$RUN"
	serve
	session openai
	chat-set -n s "$SID" > /dev/null
	start s
	line "/option seed=5 'stop=[\"x\"]'"
	[ "$(on_screen 'options: \{"seed":5,"stop":\["x"\]\}')" = 1 ]
	line "/option stop="
	line "/option"
	[ "$(on_screen '^options: \{"seed":5\}$')" = 2 ]
	line "/option nokey"
	[ "$(on_screen "invalid -o 'nokey'")" = 1 ]
	line "hello"
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	last_body | jq -e '.seed == 5 and (has("stop") | not)'
	[ "$(store_sql "SELECT json_extract(extra, '$.options.seed') FROM sessions WHERE id = '$SID'")" = 5 ]
}
