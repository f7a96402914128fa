#!/usr/bin/env bats
# chat-send: every provider over real HTTP (libcurl to tests/fake/fakeprov on
# 127.0.0.1), streamed and whole; every recorded provider response replayed;
# the options, the context sent, the choice of provider, keys, cost, and the
# store afterwards.  The faults (retries, fallbacks, signals, cuts, many
# senders at once) are in 57-chat-send-faults.bats.

load helper

# Keys with a shape nothing else in a store or an output has.
AKEY=sk-ant-test-Zq7wAnthropicKey
OKEY=sk-test-Xj4kOpenAIKey
GKEY=AIzaTest-Gemini9KeyQ
GOOGKEY=AIzaTest-Google3KeyW

setup() {
	common_setup
	[ -x "$ROOT/build/fakeprov" ] || {
		echo "build/fakeprov is missing: make build/fakeprov" >&2
		return 1
	}
	unset GROQ_API_KEY MISTRAL_API_KEY
	OUT="$BATS_TEST_TMPDIR/stdout"
	PRICES="$ROOT/share/confab/pricing.json"
	# the price list the tests compute costs from is the one chat-send reads
	export CONFAB_PRICING="$PRICES"
}

teardown() {
	fake_stop
}

# ---- helpers ----

# chat-send with nothing on stdin (bats may hand tests a pipe that stays open).
send() {
	chat-send "$@" < /dev/null
}

# chat-send with its stdout, byte for byte, in $OUT.
send_out() {
	chat-send "$@" < /dev/null > "$OUT"
}

# The recorded fixtures, or skip saying why.
need_fixtures() {
	[ -d "$PROVIDER_STREAMS" ] ||
		skip "the recorded provider responses are missing: no $PROVIDER_STREAMS (../shared/fixtures)"
}

use_anthropic() { export ANTHROPIC_BASE_URL=$FAKE_URL ANTHROPIC_API_KEY=$AKEY; }
use_openai() { export OPENAI_BASE_URL=$FAKE_URL/v1 OPENAI_API_KEY=$OKEY; }
use_gemini() { export GOOGLE_GEMINI_BASE_URL=$FAKE_URL GEMINI_API_KEY=$GKEY; }
use_ollama() { export OLLAMA_HOST=127.0.0.1:$FAKE_PORT; }
use_all() { use_anthropic; use_openai; use_gemini; use_ollama; }

# The requests the fake server got: the last one, or how many.
last_request() { fake_requests | tail -n 1; }
nrequests() { if [ -s "$FAKE_LOG" ]; then fake_requests | wc -l; else echo 0; fi; }

# fakeprov's input tokens for a logged request: its body's bytes / 4.
fake_in() { jq -r '.headers["content-length"] | tonumber / 4 | floor' <<< "$1"; }

# The last message of a session, as stored.
last_message() { chat-show --json -n 1 "$1"; }

# A session's stored record.
session() { chat-ls --all --json | jq -c --arg id "$1" 'select(.id == $id)'; }

# The one session there is (made by chat-send itself).
only_session() {
	[ "$(count sessions)" = 1 ] || { echo "want 1 session, have $(count sessions)"; return 1; }
	store_sql 'SELECT id FROM sessions'
}

# Two JSON texts are the same value (key order aside); says how when not.
same_json() {
	local a b
	a=$(jq -cS . <<< "$1") && b=$(jq -cS . <<< "$2") || return 1
	[ "$a" = "$b" ] || { printf 'got:  %s\nwant: %s\n' "$a" "$b"; return 1; }
}

# What the price list says MODEL costs for IN and OUT tokens, computed here
# from pricing.json: the exact name, else the longest listed name it starts
# with followed by '-'; null when unlisted.
# With a fourth argument, the reply's metadata: its cache reads and writes
# (parts of IN) and reasoning tokens (part of OUT) at their own prices, or
# at the input and output price where the list has none.
want_cost() {
	jq -n --arg m "$1" --argjson i "$2" --argjson o "$3" --argjson md "${4:-{\}}" --slurpfile p "$PRICES" '
		$p[0].models as $ms
		| ($ms[$m] // ([$ms | to_entries[] | select(.key as $k | $m | startswith($k + "-"))]
			| max_by(.key | length) | .value?)) as $e
		| ($md.cacheReadTokens // 0) as $r | ($md.cacheWrite5mTokens // 0) as $w5
		| ($md.cacheWrite1hTokens // 0) as $w1 | ($md.reasoningTokens // 0) as $rs
		| if $e == null then null else
			($i - $r - $w5 - $w1) / 1e6 * $e.input + $r / 1e6 * ($e.cacheRead // $e.input)
			+ $w5 / 1e6 * ($e.cacheWrite5m // $e.input) + $w1 / 1e6 * ($e.cacheWrite1h // $e.input)
			+ ($o - $rs) / 1e6 * $e.output + $rs / 1e6 * ($e.reasoning // $e.output) end'
}

# The stored message $1 (a record) costs what the list says for its model and
# token counts (to 1e-9 of a dollar: the store keeps tenths of a nanodollar).
cost_right() {
	local m=$1 model in out want
	model=$(jq -r .metadata.model <<< "$m")
	in=$(jq -r .metadata.inputTokens <<< "$m")
	out=$(jq -r .metadata.outputTokens <<< "$m")
	want=$(want_cost "$model" "$in" "$out" "$(jq -c .metadata <<< "$m")")
	if [ "$want" = null ]; then
		[ "$(jq -c .metadata.cost <<< "$m")" = null ] ||
			{ echo "cost of unpriced $model: $(jq -c .metadata.cost <<< "$m")"; return 1; }
	else
		jq -e --argjson w "$want" '.metadata.cost | type == "number" and (. - $w | fabs) < 1e-9' <<< "$m" > /dev/null ||
			{ echo "cost of $model $in/$out: $(jq -c .metadata.cost <<< "$m"), want $want"; return 1; }
	fi
}

# The reply stored last in session $1 is complete, said $2, by provider $3 and
# model $4 (as the server reported), with stop reason $5, $6 output tokens,
# the input tokens fakeprov counted for the last request, and its cost.
check_reply() {
	local sid=$1 text=$2 prov=$3 model=$4 stop=$5 outk=$6 m in
	in=$(fake_in "$(last_request)")
	m=$(last_message "$sid")
	echo "stored: $m"
	same_json "$(jq -c '{role, content, model: .metadata.model, provider: .metadata.provider,
		inputTokens: .metadata.inputTokens, outputTokens: .metadata.outputTokens,
		tokens: .metadata.tokens, incomplete: .metadata.incomplete,
		stopReason: .metadata.stopReason, error: .metadata.error, fallback: .metadata.fallback,
		pt: (.metadata.processing_time | type)}' <<< "$m")" \
		"$(jq -nc --arg t "$text" --arg p "$prov" --arg mo "$model" --arg st "$stop" \
			--argjson in "$in" --argjson out "$outk" '{role: "assistant", content: $t,
			model: $mo, provider: $p, inputTokens: $in, outputTokens: $out,
			tokens: ($in + $out), incomplete: false, stopReason: $st, error: null,
			fallback: false, pt: "number"}')"
	cost_right "$m"
}

# stdout ($OUT) is the text and a newline (none added after one already there).
stdout_is() {
	local want
	if [ -z "$1" ]; then
		[ ! -s "$OUT" ] || { echo "stdout: $(od -c "$OUT" | head)"; return 1; }
		return 0
	fi
	want=$1
	[[ "$want" == *$'\n' ]] || want+=$'\n'
	cmp "$OUT" <(printf '%s' "$want") || { echo "stdout: $(od -c "$OUT" | head)"; return 1; }
}

# Deltas fakeprov makes of an ASCII text with piece=N.
pieces() { echo $(( (${#1} + $2 - 1) / $2 )); }

# Does the request body mention temperature anywhere?
has_temperature() { jq -e '[.. | objects | has("temperature")] | any' <<< "$1" > /dev/null; }

TEXT="Ottawa is the capital of Canada."
ENC=${TEXT// /%20}

# ---- each provider, streamed and whole ----

@test "anthropic streams: stdout is the reply, the store has it, the request is a Messages one" {
	fake_start "text=$ENC piece=4"
	use_anthropic
	run -0 --separate-stderr send_out -p anthropic "What is the capital?"
	[ -z "$stderr" ]
	stdout_is "$TEXT"
	sid=$(only_session)
	check_reply "$sid" "$TEXT" anthropic claude-sonnet-4-5 end_turn "$(pieces "$TEXT" 4)"
	[ "$(nrequests)" = 1 ]
	req=$(last_request)
	echo "$req"
	[ "$(jq -r '[.method, .path, .query] | join(" ")' <<< "$req")" = "POST /v1/messages " ]
	[ "$(jq -r '.headers["x-api-key"]' <<< "$req")" = "$AKEY" ]
	[ "$(jq -r '.headers["anthropic-version"]' <<< "$req")" = 2023-06-01 ]
	[ "$(jq -r '.headers | has("authorization") or has("x-goog-api-key")' <<< "$req")" = false ]
	same_json "$(jq -c .body <<< "$req")" '{"model":"claude-sonnet-4-5","max_tokens":4096,
		"stream":true,"messages":[{"role":"user","content":[{"type":"text","text":"What is the capital?"}]}]}'
	# the user's message is stored before it, in the same session
	run -0 chat-show --json "$sid"
	[ "$(jq -sc 'map([.role, .content])' <<< "$output")" = "[[\"user\",\"What is the capital?\"],[\"assistant\",\"$TEXT\"]]" ]
}

@test "anthropic --no-stream: one whole reply, no stream flag in the request" {
	fake_start "text=$ENC piece=4"
	use_anthropic
	run -0 --separate-stderr send_out -p anthropic --no-stream "What is the capital?"
	[ -z "$stderr" ]
	stdout_is "$TEXT"
	check_reply "$(only_session)" "$TEXT" anthropic claude-sonnet-4-5 end_turn "$(pieces "$TEXT" 4)"
	req=$(last_request)
	[ "$(jq -r .path <<< "$req")" = /v1/messages ]
	[ "$(jq -r '.headers["x-api-key"]' <<< "$req")" = "$AKEY" ]
	same_json "$(jq -c .body <<< "$req")" '{"model":"claude-sonnet-4-5","max_tokens":4096,
		"messages":[{"role":"user","content":[{"type":"text","text":"What is the capital?"}]}]}'
}

@test "openai streams: Chat Completions with a Bearer key, include_usage, max_completion_tokens" {
	fake_start "text=$ENC piece=5"
	use_openai
	run -0 --separate-stderr send_out -p openai "What is the capital?"
	[ -z "$stderr" ]
	stdout_is "$TEXT"
	check_reply "$(only_session)" "$TEXT" openai gpt-4o-mini stop "$(pieces "$TEXT" 5)"
	req=$(last_request)
	echo "$req"
	[ "$(jq -r '[.method, .path] | join(" ")' <<< "$req")" = "POST /v1/chat/completions" ]
	[ "$(jq -r .headers.authorization <<< "$req")" = "Bearer $OKEY" ]
	[ "$(jq -r '.headers | has("x-api-key")' <<< "$req")" = false ]
	same_json "$(jq -c .body <<< "$req")" '{"model":"gpt-4o-mini","max_completion_tokens":4096,
		"stream":true,"stream_options":{"include_usage":true},
		"messages":[{"role":"user","content":"What is the capital?"}]}'
}

@test "openai --no-stream: a whole chat.completion, no stream flags" {
	fake_start "text=$ENC piece=5"
	use_openai
	run -0 --separate-stderr send_out -p openai --no-stream "What is the capital?"
	[ -z "$stderr" ]
	stdout_is "$TEXT"
	check_reply "$(only_session)" "$TEXT" openai gpt-4o-mini stop "$(pieces "$TEXT" 5)"
	same_json "$(last_request | jq -c .body)" '{"model":"gpt-4o-mini","max_completion_tokens":4096,
		"messages":[{"role":"user","content":"What is the capital?"}]}'
}

@test "gemini streams: streamGenerateContent?alt=sse with x-goog-api-key; the model from the path" {
	fake_start "text=$ENC piece=6"
	use_gemini
	run -0 --separate-stderr send_out -p gemini "What is the capital?"
	[ -z "$stderr" ]
	stdout_is "$TEXT"
	check_reply "$(only_session)" "$TEXT" gemini gemini-2.5-flash STOP "$(pieces "$TEXT" 6)"
	req=$(last_request)
	echo "$req"
	[ "$(jq -r '[.method, .path, .query] | join(" ")' <<< "$req")" = \
		"POST /v1beta/models/gemini-2.5-flash:streamGenerateContent alt=sse" ]
	[ "$(jq -r '.headers["x-goog-api-key"]' <<< "$req")" = "$GKEY" ]
	[ "$(jq -r '.headers | has("authorization") or has("x-api-key")' <<< "$req")" = false ]
	same_json "$(jq -c .body <<< "$req")" '{"contents":[{"role":"user","parts":[{"text":"What is the capital?"}]}],
		"generationConfig":{"maxOutputTokens":4096}}'
}

@test "gemini --no-stream: generateContent; GOOGLE_API_KEY alone is the key" {
	fake_start "text=$ENC piece=6" "text=$ENC piece=6"
	export GOOGLE_GEMINI_BASE_URL=$FAKE_URL GOOGLE_API_KEY=$GOOGKEY
	run -0 --separate-stderr send_out -p gemini --no-stream "What is the capital?"
	[ -z "$stderr" ]
	stdout_is "$TEXT"
	sid=$(only_session)
	check_reply "$sid" "$TEXT" gemini gemini-2.5-flash STOP "$(pieces "$TEXT" 6)"
	req=$(last_request)
	[ "$(jq -r '[.path, .query] | join(" ")' <<< "$req")" = "/v1beta/models/gemini-2.5-flash:generateContent " ]
	[ "$(jq -r '.headers["x-goog-api-key"]' <<< "$req")" = "$GOOGKEY" ]
	# with both, GEMINI_API_KEY is the one sent
	export GEMINI_API_KEY=$GKEY
	run -0 send -s "$sid" -p gemini "again"
	[ "$(last_request | jq -r '.headers["x-goog-api-key"]')" = "$GKEY" ]
}

@test "ollama streams NDJSON from /api/chat at OLLAMA_HOST without a scheme; no key needed" {
	fake_start "text=$ENC piece=3"
	use_ollama
	run -0 --separate-stderr send_out -p ollama "What is the capital?"
	[ -z "$stderr" ]
	stdout_is "$TEXT"
	check_reply "$(only_session)" "$TEXT" ollama llama3.2 stop "$(pieces "$TEXT" 3)"
	req=$(last_request)
	echo "$req"
	[ "$(jq -r '[.method, .path] | join(" ")' <<< "$req")" = "POST /api/chat" ]
	[ "$(jq -r '.headers | has("authorization")' <<< "$req")" = false ]
	same_json "$(jq -c .body <<< "$req")" '{"model":"llama3.2","stream":true,"options":{"num_predict":4096},
		"messages":[{"role":"user","content":"What is the capital?"}]}'
}

@test "ollama --no-stream at OLLAMA_HOST=http://...: stream false, one whole reply" {
	fake_start "text=$ENC piece=3"
	export OLLAMA_HOST=$FAKE_URL
	run -0 --separate-stderr send_out -p ollama --no-stream "What is the capital?"
	[ -z "$stderr" ]
	stdout_is "$TEXT"
	check_reply "$(only_session)" "$TEXT" ollama llama3.2 stop "$(pieces "$TEXT" 3)"
	same_json "$(last_request | jq -c .body)" '{"model":"llama3.2","stream":false,"options":{"num_predict":4096},
		"messages":[{"role":"user","content":"What is the capital?"}]}'
}

@test "echo works offline: no request, the reply repeats the message, stored like any other" {
	fake_start
	use_all
	run -0 --separate-stderr send_out -p echo "hello  there world"
	[ -z "$stderr" ]
	stdout_is "echo: hello  there world"
	[ "$(nrequests)" = 0 ]
	m=$(last_message "$(only_session)")
	echo "$m"
	[ "$(jq -c '[.role, .content, .metadata.provider, .metadata.model, .metadata.incomplete,
		.metadata.stopReason, .metadata.cost, (.metadata.tokens == .metadata.inputTokens + .metadata.outputTokens)]' <<< "$m")" = \
		'["assistant","echo: hello  there world","echo","echo",false,"end_turn",null,true]' ]
	# and in a pipe the same: no network at all, not even a closed port
	unset ANTHROPIC_BASE_URL OPENAI_BASE_URL GOOGLE_GEMINI_BASE_URL
	export OLLAMA_HOST=127.0.0.1:1
	run -0 send -p echo --new "x"
	[ "$output" = "echo: x" ]
}

@test "text with quotes, backslashes, tabs, newlines and multibyte characters arrives whole, each provider" {
	local t=$'Sure \xe2\x80\x94 "quoted", back\\slash,\ttab\nnew line, \xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80 done.'
	local enc
	enc=$(jq -rn --arg t "$t" '$t | @uri')
	fake_start "text=$enc" "text=$enc" "text=$enc" "text=$enc" "text=$enc" "text=$enc" "text=$enc" "text=$enc"
	use_all
	local p ns
	for p in anthropic openai gemini ollama; do
		for ns in "" --no-stream; do
			run -0 --separate-stderr send_out -p "$p" $ns --new "say it"
			[ -z "$stderr" ]
			stdout_is "$t"
			run -0 store_sql "SELECT content FROM messages WHERE role = 'assistant' ORDER BY n DESC LIMIT 1"
			[ "$output" = "$t" ] || { echo "$p $ns: $output"; return 1; }
		done
	done
	[ "$(nrequests)" = 8 ]
}

@test "the system prompt goes where each protocol wants it; temperature only when set" {
	fake_start
	use_all
	# the protocols' defaults: no system prompt, no temperature
	local p req
	for p in anthropic openai gemini ollama; do
		run -0 send -p "$p" --new "plain"
		req=$(last_request)
		! has_temperature "$req" || { echo "$p: $req"; return 1; }
		[ "$(jq -c '[.body.system, .body.systemInstruction, ([.body.messages[]?.role] | index("system"))]' <<< "$req")" = '[null,null,null]' ] ||
			{ echo "$p: $req"; return 1; }
	done
	run -0 send -p anthropic --new -S "Be brief." --temperature 0.5 "q"
	req=$(last_request)
	[ "$(jq -c '[.body.system, .body.temperature, .body.messages]' <<< "$req")" = \
		'["Be brief.",0.5,[{"role":"user","content":[{"type":"text","text":"q"}]}]]' ]
	run -0 send -p openai --new -S "Be brief." --temperature 0.5 "q"
	req=$(last_request)
	[ "$(jq -c '[.body.temperature, .body.messages]' <<< "$req")" = \
		'[0.5,[{"role":"system","content":"Be brief."},{"role":"user","content":"q"}]]' ]
	run -0 send -p gemini --new -S "Be brief." --temperature 0.5 "q"
	req=$(last_request)
	[ "$(jq -c '[.body.systemInstruction, .body.generationConfig.temperature, .body.contents]' <<< "$req")" = \
		'[{"parts":[{"text":"Be brief."}]},0.5,[{"role":"user","parts":[{"text":"q"}]}]]' ]
	run -0 send -p ollama --new -S "Be brief." --temperature 0.5 "q"
	req=$(last_request)
	[ "$(jq -c '[.body.options.temperature, .body.messages]' <<< "$req")" = \
		'[0.5,[{"role":"system","content":"Be brief."},{"role":"user","content":"q"}]]' ]
	# temperature 0 is a temperature
	run -0 send -p openai --new --temperature 0 "q"
	[ "$(last_request | jq -c .body.temperature)" = 0 ]
}

@test "a named OpenAI-compatible provider: its own key variable and base URL, max_tokens" {
	fake_start
	config <<-EOF
	[groq]
	type = openai
	base-url = $FAKE_URL/v1
	api-key-env = GROQ_API_KEY
	model = llama-3.3-70b-versatile
	EOF
	export GROQ_API_KEY=gsk_test-Groq5Key OPENAI_API_KEY=$OKEY
	run -0 --separate-stderr send_out -p groq "hi groq"
	[ -z "$stderr" ]
	stdout_is "Hello from fakeprov."
	req=$(last_request)
	echo "$req"
	[ "$(jq -r .path <<< "$req")" = /v1/chat/completions ]
	[ "$(jq -r .headers.authorization <<< "$req")" = "Bearer gsk_test-Groq5Key" ]
	same_json "$(jq -c .body <<< "$req")" '{"model":"llama-3.3-70b-versatile","max_tokens":4096,
		"stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi groq"}]}'
	m=$(last_message "$(only_session)")
	[ "$(jq -c '[.metadata.provider, .metadata.model]' <<< "$m")" = '["groq","llama-3.3-70b-versatile"]' ]
	[ "$(session "$(only_session)" | jq -c '[.provider, .model]')" = '["groq","llama-3.3-70b-versatile"]' ]
	# OpenAI's key never goes to another server: without its own key, groq
	# is sent none (or refused for want of one, as confab(5) has it)
	unset GROQ_API_KEY
	run --separate-stderr send -p groq "again"
	[ "$status" -eq 0 ] || [ "$status" -eq 9 ]
	[ "$(last_request | jq -r '.headers.authorization // "none"')" != "Bearer $OKEY" ]
	[ "$(fake_requests | jq -r '.headers.authorization // empty' | grep -c -F "$OKEY")" = 0 ]
}

@test "OPENAI_BASE_URL at a local server with no key: works, and sends no Authorization" {
	fake_start
	export OPENAI_BASE_URL=$FAKE_URL/v1
	run -0 --separate-stderr send_out -p openai -m local-model "hi"
	[ -z "$stderr" ]
	stdout_is "Hello from fakeprov."
	req=$(last_request)
	[ "$(jq -r .path <<< "$req")" = /v1/chat/completions ]
	[ "$(jq -r '.headers | has("authorization")' <<< "$req")" = false ]
	[ "$(last_message "$(only_session)" | jq -c '[.metadata.model, .metadata.incomplete]')" = '["local-model",false]' ]
}

# ---- every recorded response, replayed ----

# The data payloads of a recorded SSE stream, one a line.
sse_data() {
	grep '^data:' "$1" | sed 's/^data: \{0,1\}//' | tr -d '\r'
}

# Replays each recording of a provider through chat-send and checks the
# stored reply and stdout against what a jq program, written here, reads
# from the recording.  $1 the provider, $2 the path the request must take,
# $3 a function printing a recording's events (JSON, one a line), $4 the jq
# program over them as an array, $5 a function run once the server is up
# (to point the provider at it), then the files.  $NOSTREAM: --no-stream.
replay() {
	local prov=$1 path=$2 reader=$3 prog=$4 hook=$5 f script=() want got m id
	shift 5
	for f in "$@"; do
		script+=("body=$f")
	done
	fake_start "${script[@]}"
	"$hook"
	for f in "$@"; do
		want=$("$reader" "$f" | jq -sc "$prog") || { echo "bad recording $f"; return 1; }
		want=$(jq -c '. + {tokens: (.inputTokens + .outputTokens), incomplete: false}' <<< "$want")
		run -0 --separate-stderr send_out -p "$prov" ${NOSTREAM:-} --new "replay ${f##*/}"
		[ -z "$stderr" ] || { echo "$f: $stderr"; return 1; }
		[ "$(last_request | jq -r .path)" = "$path" ] || { echo "$f: $(last_request | jq -r .path)"; return 1; }
		id=$(store_sql "SELECT id FROM messages WHERE role = 'assistant' ORDER BY n DESC LIMIT 1")
		m=$(chat-show --json "$(newest_session)" -M "$id")
		got=$(jq -c '{content, model: .metadata.model, inputTokens: .metadata.inputTokens,
			outputTokens: .metadata.outputTokens, stopReason: .metadata.stopReason,
			tokens: .metadata.tokens, incomplete: .metadata.incomplete}' <<< "$m")
		same_json "$got" "$want" || { echo "replaying $f"; return 1; }
		stdout_is_json "$(jq -c .content <<< "$want")" || { echo "stdout replaying $f"; return 1; }
		cost_right "$m" || { echo "replaying $f"; return 1; }
	done
	[ "$(nrequests)" = "$#" ]
}

# The newest session's id.
newest_session() { store_sql 'SELECT id FROM sessions ORDER BY n DESC LIMIT 1'; }

# stdout ($OUT) is the JSON string $1, and a newline unless it ends in one or is empty.
stdout_is_json() {
	local got
	got=$(jq -Rsc . "$OUT")
	[ "$got" = "$(jq -c 'if . == "" or endswith("\n") then . else . + "\n" end' <<< "$1")" ] ||
		{ echo "stdout: $got, reply: $1"; return 1; }
}

# A recording's events: SSE data payloads (without [DONE]), or JSON lines.
sse_events() { sse_data "$1" | grep -v '^\[DONE\]$'; }
json_lines() { cat "$1"; }
json_doc() { jq -c . "$1"; }

ANTHROPIC_WANT='{
	content: (map(select(.type == "content_block_delta" and .delta.type == "text_delta") | .delta.text) | join("")),
	model: (map(select(.type == "message_start") | .message.model) | last),
	inputTokens: ([.[] | if .type == "message_start" then .message.usage elif .type == "message_delta" then .usage else empty end
		| select(.input_tokens) | .input_tokens + (.cache_read_input_tokens // 0) + (.cache_creation_input_tokens // 0)] | last),
	outputTokens: ([.[] | if .type == "message_start" then .message.usage elif .type == "message_delta" then .usage else empty end
		| .output_tokens // empty] | last),
	stopReason: (map(select(.type == "message_delta") | .delta.stop_reason) | last)}'

# Only the first choice is the reply (n=2 streams interleave two).
OPENAI_WANT='{
	content: ([.[] | .choices[]? | select(.index == 0) | .delta.content // empty] | join("")),
	model: (map(.model // empty) | last),
	inputTokens: (map(.usage.prompt_tokens // empty) | last),
	outputTokens: (map(.usage.completion_tokens // empty) | last),
	stopReason: ([.[] | .choices[]? | select(.index == 0) | .finish_reason // empty] | last)}'

# Thoughts are not the reply; output tokens are the reply's and the
# thoughts' (what Google bills as output, and totalTokenCount - prompt).
GEMINI_WANT='{
	content: ([.[] | .candidates[0].content.parts[]? | select(.thought != true) | .text // empty] | join("")),
	model: (map(.modelVersion // empty) | last),
	inputTokens: (map(.usageMetadata.promptTokenCount // empty) | last),
	outputTokens: (map(.usageMetadata | select(.candidatesTokenCount != null)
		| .candidatesTokenCount + (.thoughtsTokenCount // 0)) | last),
	stopReason: (map(.candidates[0].finishReason // empty) | last)}'

OLLAMA_WANT='{
	content: (map(.message.content // empty) | join("")),
	model: (map(.model // empty) | last),
	inputTokens: (map(select(.done) | .prompt_eval_count) | last),
	outputTokens: (map(select(.done) | .eval_count) | last),
	stopReason: (map(select(.done) | .done_reason) | last)}'

# The whole (non-streamed) replies, one JSON document each.
ANTHROPIC_WHOLE='.[0] | {content: ([.content[] | select(.type == "text") | .text] | join("")), model,
	inputTokens: (.usage | .input_tokens + (.cache_read_input_tokens // 0) + (.cache_creation_input_tokens // 0)),
	outputTokens: .usage.output_tokens, stopReason: .stop_reason}'
OPENAI_WHOLE='.[0] | {content: .choices[0].message.content, model,
	inputTokens: .usage.prompt_tokens, outputTokens: .usage.completion_tokens,
	stopReason: .choices[0].finish_reason}'

point_anthropic() { use_anthropic; }
point_openai() { use_openai; }
point_gemini() { use_gemini; }
point_ollama() { use_ollama; }
point_mistral() {
	config <<-EOF
	[mistral]
	type = openai
	base-url = $FAKE_URL/v1
	api-key-env = MISTRAL_API_KEY
	EOF
	export MISTRAL_API_KEY=mistral-test-Mk2Key
}

@test "every recorded Anthropic stream replays to its exact text, usage, model and stop reason" {
	need_fixtures
	files=("$PROVIDER_STREAMS"/anthropic/*.sse)
	[ "${#files[@]}" -ge 4 ]
	replay anthropic /v1/messages sse_events "$ANTHROPIC_WANT" point_anthropic "${files[@]}"
}

@test "every recorded OpenAI Chat Completions stream replays exactly (first choice only)" {
	need_fixtures
	files=("$PROVIDER_STREAMS"/openai-chat/*.sse)
	[ "${#files[@]}" -ge 4 ]
	replay openai /v1/chat/completions sse_events "$OPENAI_WANT" point_openai "${files[@]}"
}

@test "every recorded OpenAI-compatible stream replays exactly through a provider from the config" {
	need_fixtures
	files=("$PROVIDER_STREAMS"/openai-compatible/*.sse)
	[ "${#files[@]}" -ge 1 ]
	replay mistral /v1/chat/completions sse_events "$OPENAI_WANT" point_mistral "${files[@]}"
	[ "$(last_request | jq -r .headers.authorization)" = "Bearer mistral-test-Mk2Key" ]
}

@test "every recorded Gemini SSE stream replays exactly: thoughts left out, CRLF events" {
	need_fixtures
	files=("$PROVIDER_STREAMS"/gemini/stream-sse-*.sse)
	[ "${#files[@]}" -ge 2 ]
	replay gemini /v1beta/models/gemini-2.5-flash:streamGenerateContent sse_events "$GEMINI_WANT" point_gemini "${files[@]}"
}

@test "every recorded Ollama chat stream replays exactly: thinking left out" {
	need_fixtures
	files=("$PROVIDER_STREAMS"/ollama/chat-*.ndjson)
	[ "${#files[@]}" -ge 2 ]
	replay ollama /api/chat json_lines "$OLLAMA_WANT" point_ollama "${files[@]}"
}

# The recorded whole replies (status 200, JSON) of the protocols chat-send
# speaks, as their directory: the Gemini stream recorded without alt=sse is
# a stream, and chat-send always asks for SSE.
whole_replies() {
	local dir=$1 meta
	for meta in "$PROVIDER_STREAMS/$dir"/*.meta.json; do
		jq -r --arg d "$PROVIDER_STREAMS/$dir" 'select(.response.status == 200
			and (.response.body_file | endswith(".json"))
			and (.request.path | contains("streamGenerateContent") | not))
			| "\($d)/\(.response.body_file)"' "$meta"
	done
}

@test "every recorded whole reply replays with --no-stream, each protocol" {
	need_fixtures
	local n=0
	NOSTREAM=--no-stream
	mapfile -t files < <(whole_replies anthropic)
	[ "${#files[@]}" -ge 1 ]
	replay anthropic /v1/messages json_doc "$ANTHROPIC_WHOLE" point_anthropic "${files[@]}"
	n=$((n + ${#files[@]}))
	fake_stop
	mapfile -t files < <(whole_replies openai-chat)
	[ "${#files[@]}" -ge 1 ]
	replay openai /v1/chat/completions json_doc "$OPENAI_WHOLE" point_openai "${files[@]}"
	n=$((n + ${#files[@]}))
	fake_stop
	mapfile -t files < <(whole_replies gemini)
	[ "${#files[@]}" -ge 1 ]
	replay gemini /v1beta/models/gemini-2.5-flash:generateContent json_doc "$GEMINI_WANT" point_gemini "${files[@]}"
	n=$((n + ${#files[@]}))
	fake_stop
	mapfile -t files < <(whole_replies ollama)
	[ "${#files[@]}" -ge 1 ]
	replay ollama /api/chat json_doc "$OLLAMA_WANT" point_ollama "${files[@]}"
	n=$((n + ${#files[@]}))
	[ "$n" -ge 4 ]
}

# ---- which session ----

@test "-s takes a session by full id, by a prefix of it, and by name" {
	sid=$(new_session --provider echo --name review)
	other=$(new_session --provider echo --name other)
	run -0 send -s "$sid" "by id"
	[ "$output" = "echo: by id" ]
	run -0 send -s "${sid:0:13}" "by prefix"
	[ "$output" = "echo: by prefix" ]
	run -0 send -s review "by name"
	[ "$output" = "echo: by name" ]
	run -0 chat-show --json "$sid"
	[ "$(jq -sc 'map([.role, .content])' <<< "$output")" = \
		'[["user","by id"],["assistant","echo: by id"],["user","by prefix"],["assistant","echo: by prefix"],["user","by name"],["assistant","echo: by name"]]' ]
	[ "$(count sessions)" = 2 ]
	[ "$(store_sql "SELECT count(*) FROM messages WHERE session_id = '$other'")" = 0 ]
}

@test "-s - takes the session record from stdin: chat-new | chat-send -s -" {
	run -0 --separate-stderr bash -c 'chat-new --provider echo --name piped | chat-send -s - "hi"'
	[ -z "$stderr" ]
	[ "$output" = "echo: hi" ]
	[ "$(count sessions)" = 1 ]
	run -0 chat-show --json piped
	[ "$(jq -sc 'map([.role, .content])' <<< "$output")" = '[["user","hi"],["assistant","echo: hi"]]' ]
	# the record chat-ls prints works the same
	run -0 bash -c 'chat-ls --json | chat-send -s - "again"'
	[ "$output" = "echo: again" ]
	[ "$(count sessions)" = 1 ]
	[ "$(count messages)" = 4 ]
}

@test "--new and no session both make a new session, each time" {
	run -0 send -p echo --new "first"
	run -0 send -p echo --new "first"
	run -0 send -p echo "first"
	[ "$(count sessions)" = 3 ]
	[ "$(store_sql 'SELECT DISTINCT name FROM sessions')" = first ]
	[ "$(store_sql 'SELECT count(DISTINCT session_id) FROM messages')" = 3 ]
	# a made session has the provider and model that answered, and the defaults
	run -0 chat-ls --json --limit 1
	[ "$(jq -c '[.provider, .model, .settings.maxTokens, .settings.contextWindow, .metadata.messageCount]' <<< "$output")" = \
		'["echo","echo",4096,50,2]' ]
}

# Sends MESSAGE with echo to a new session; its name must be WANT.
named() {
	local name
	run -0 send -p echo --new "$1"
	name=$(store_sql 'SELECT name FROM sessions ORDER BY n DESC LIMIT 1')
	[ "$name" = "$2" ] || { printf 'message %q: name %q, want %q\n' "$1" "$name" "$2"; return 1; }
}

@test "a new session is named from the first line of the message: trimmed, at most 60 characters" {
	local a60 b61 c70 e60
	a60=$(printf 'a%.0s' {1..60})
	b61=$(printf 'b%.0s' {1..61})
	c70=$(printf 'c%.0s' {1..70})
	e60=é$(printf 'd%.0s' {1..59})
	named $'  Review the parser   \nand the rest' "Review the parser"
	named $'\n\n\t  starts later\nmore' "starts later"
	named "$a60"$'\nsecond line' "$a60"
	named "$a60" "$a60"
	named "$e60"$'\nmore' "$e60"
	# longer: 59 characters and an ellipsis
	named "$b61"$'\nsecond line' "${b61:0:59}…"
	named "$c70" "${c70:0:59}…"
	named "${e60}xyz" "${e60:0:59}…"
	# stored as valid UTF-8, whatever the cut
	run -0 store_sql 'SELECT name FROM sessions'
	iconv -f UTF-8 -t UTF-8 <<< "$output" > /dev/null
	[[ "$output" != *$'\xef\xbf\xbd'* ]]
	# a message that is only an attachment: "untitled"
	printf 'notes\n' > "$BATS_TEST_TMPDIR/notes.txt"
	run -0 send -p echo --new -a "$BATS_TEST_TMPDIR/notes.txt"
	[ "$(store_sql 'SELECT name FROM sessions ORDER BY n DESC LIMIT 1')" = untitled ]
}

# ---- the message ----

@test "piped text named by --stdin follows the argument text after a blank line" {
	sid=$(new_session --provider echo --name x)
	run -0 --separate-stderr bash -c 'printf "diff --git a/f b/f\n+new line\n" | chat-send -s x --stdin "review this"'
	[ -z "$stderr" ]
	local q=quote
	[ "${CONFAB_TEST_DB:-}" != pg ] || q=quote_literal
	run -0 store_sql "SELECT $q(content) FROM messages WHERE role = 'user'"
	[ "$output" = "'review this"$'\n\n'"diff --git a/f b/f"$'\n'"+new line"$'\n'"'" ]
	# several arguments are joined with spaces
	run -0 bash -c 'printf "diff" | chat-send -s x review  "this  one" -'
	[ "$(chat-show --json -n 2 x | jq -sc '.[0].content')" = '"review this  one\n\ndiff"' ]
}

@test "piped text alone is the message, byte for byte; empty stdin adds nothing" {
	new_session --provider echo --name x > /dev/null
	run -0 bash -c 'printf "only stdin\n\twith a tab\n" | chat-send -s x'
	[ "$(chat-show --json -n 2 x | jq -sc '.[0].content')" = '"only stdin\n\twith a tab\n"' ]
	run -0 bash -c 'printf "" | chat-send -s x "just args"'
	[ "$(chat-show --json -n 2 x | jq -sc '.[0].content')" = '"just args"' ]
	# -s - reads the record from stdin, so the text is the arguments only
	run -0 bash -c 'chat-ls --json | chat-send -s - "from args"'
	[ "$(chat-show --json -n 2 x | jq -sc '.[0].content')" = '"from args"' ]
}

# ---- overrides for one message ----

@test "--provider, --model, --system, --temperature, --max-tokens hold for one message only" {
	fake_start
	use_anthropic
	use_openai
	sid=$(new_session --provider anthropic --model claude-sonnet-4-5 --name s -S "Session system." \
		--temperature 0.3 --max-tokens 1000)
	before=$(session "$sid" | jq -c 'del(.lastUpdated, .metadata)')
	run -0 --separate-stderr send -s s -p openai -m gpt-4o -S "Just now." --temperature 1.5 --max-tokens 77 "first"
	[ -z "$stderr" ]
	req=$(last_request)
	echo "$req"
	[ "$(jq -r .path <<< "$req")" = /v1/chat/completions ]
	same_json "$(jq -c .body <<< "$req")" '{"model":"gpt-4o","max_completion_tokens":77,"temperature":1.5,
		"stream":true,"stream_options":{"include_usage":true},
		"messages":[{"role":"system","content":"Just now."},{"role":"user","content":"first"}]}'
	[ "$(last_message "$sid" | jq -c '[.metadata.provider, .metadata.model]')" = '["openai","gpt-4o"]' ]
	# the session is as it was
	same_json "$(session "$sid" | jq -c 'del(.lastUpdated, .metadata)')" "$before"
	# and the next message uses the session's settings again
	run -0 send -s s "second"
	req=$(last_request)
	echo "$req"
	[ "$(jq -r .path <<< "$req")" = /v1/messages ]
	[ "$(jq -c '[.body.model, .body.max_tokens, .body.temperature, .body.system]' <<< "$req")" = \
		'["claude-sonnet-4-5",1000,0.3,"Session system."]' ]
	[ "$(last_message "$sid" | jq -c '[.metadata.provider, .metadata.model]')" = '["anthropic","claude-sonnet-4-5"]' ]
	# empty --system and --temperature: none, for this message
	run -0 send -s s -S "" --temperature "" "third"
	req=$(last_request)
	[ "$(jq -c '.body | [has("system"), has("temperature"), .max_tokens]' <<< "$req")" = '[false,false,1000]' ]
	same_json "$(session "$sid" | jq -c 'del(.lastUpdated, .metadata)')" "$before"
}

@test "--model alone keeps the session's provider; --provider alone takes that provider's model" {
	fake_start
	use_anthropic
	use_openai
	config <<-'EOF'
	[openai]
	model = gpt-4.1-mini
	EOF
	new_session --provider anthropic --model claude-sonnet-4-5 --name s > /dev/null
	run -0 send -s s -m claude-haiku-4-5 "a"
	[ "$(last_request | jq -c '[.path, .body.model]')" = '["/v1/messages","claude-haiku-4-5"]' ]
	run -0 send -s s -p openai "b"
	[ "$(last_request | jq -c '[.path, .body.model]')" = '["/v1/chat/completions","gpt-4.1-mini"]' ]
	[ "$(chat-ls --json | jq -c '[.provider, .model]')" = '["anthropic","claude-sonnet-4-5"]' ]
}

# ---- attachments ----

@test "-a FILE: a text file goes inline with its name, and is stored in the attachments table" {
	fake_start
	use_openai
	printf 'int main(void)\n{\n\treturn 0;\n}\n' > "$BATS_TEST_TMPDIR/main.c"
	new_session --provider openai --name s > /dev/null
	run -0 --separate-stderr send -s s -a "$BATS_TEST_TMPDIR/main.c" "Is this right?"
	[ -z "$stderr" ]
	content=$(last_request | jq -r '.body.messages[-1].content')
	want=$'Is this right?\n\n<file name="main.c">\nint main(void)\n{\n\treturn 0;\n}\n'
	[[ "$content" == "$want"*"</file>" ]] || { printf 'sent: %q\n' "$content"; return 1; }
	[[ "${content#"$want"}" =~ ^$'\n'?'</file>'$ ]]
	run -0 store_sql 'SELECT name, type, size, mime_type FROM attachments'
	[ "$output" = "main.c|text|$(stat -c %s "$BATS_TEST_TMPDIR/main.c")|text/plain" ]
	# the bytes as text, quoted: a bytea cast to text is its hex on PostgreSQL
	local txt='quote(CAST(content AS TEXT))'
	[ "${CONFAB_TEST_DB:-}" != pg ] || txt="quote_literal(convert_from(content, 'UTF8'))"
	run -0 store_sql "SELECT $txt FROM attachments"
	[ "$output" = "'int main(void)"$'\n'"{"$'\n\t'"return 0;"$'\n'"}"$'\n'"'" ]
	# the message stored is the text; the attachment is listed with it
	m=$(chat-show --json -n 2 s | head -n 1)
	[ "$(jq -c '[.role, .content, (.metadata.attachments | map([.name, .type, .size]))]' <<< "$m")" = \
		"[\"user\",\"Is this right?\",[[\"main.c\",\"text\",$(stat -c %s "$BATS_TEST_TMPDIR/main.c")]]]" ]
	# while it is in the context window, it is sent again
	run -0 send -s s "And now?"
	[ "$(last_request | jq -r '.body.messages[0].content')" = "$content" ]
	[ "$(last_request | jq -r '.body.messages[2].content')" = "And now?" ]
	[ "$(count attachments)" = 1 ]
}

# A real 1x1 PNG.
write_png() {
	printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\x00\x01\x00\x00\x05\x00\x01\r\n-\xb4\x00\x00\x00\x00IEND\xaeB`\x82' > "$1"
}

@test "-a image.png goes as an image, each protocol its own way; stored byte for byte" {
	png=$BATS_TEST_TMPDIR/dot.png
	write_png "$png"
	[ "$(stat -c %s "$png")" = 67 ]
	b64=$(base64 -w0 "$png")
	fake_start
	use_all
	run -0 send -p anthropic --new -a "$png" "What is this?"
	same_json "$(last_request | jq -c '.body.messages[-1].content')" \
		"[{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"$b64\"}},
		  {\"type\":\"text\",\"text\":\"What is this?\"}]"
	run -0 send -p openai --new -a "$png" "What is this?"
	same_json "$(last_request | jq -c '.body.messages[-1].content')" \
		"[{\"type\":\"text\",\"text\":\"What is this?\"},
		  {\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,$b64\"}}]"
	run -0 send -p gemini --new -a "$png" "What is this?"
	same_json "$(last_request | jq -c '.body.contents[-1].parts')" \
		"[{\"inline_data\":{\"mime_type\":\"image/png\",\"data\":\"$b64\"}},{\"text\":\"What is this?\"}]"
	run -0 send -p ollama --new -a "$png" "What is this?"
	same_json "$(last_request | jq -c '.body.messages[-1]')" \
		"{\"role\":\"user\",\"content\":\"What is this?\",\"images\":[\"$b64\"]}"
	local hex='lower(hex(content))'
	[ "${CONFAB_TEST_DB:-}" != pg ] || hex="encode(content, 'hex')"
	run -0 store_sql "SELECT DISTINCT name, type, size, mime_type, $hex FROM attachments"
	[ "$output" = "dot.png|image|67|image/png|$(od -An -v -tx1 "$png" | tr -d ' \n')" ]
	[ "$(count attachments)" = 4 ]
}

@test "-a refuses binary junk, a missing file and a folder: exit 2, nothing stored, nothing sent" {
	fake_start
	use_anthropic
	sid=$(new_session --provider anthropic --name s)
	printf '\x00\xff\xfe\x01junk' > "$BATS_TEST_TMPDIR/junk.bin"
	printf 'fine\n' > "$BATS_TEST_TMPDIR/ok.txt"
	run -2 --separate-stderr send -s s -a "$BATS_TEST_TMPDIR/ok.txt" -a "$BATS_TEST_TMPDIR/junk.bin" "look"
	one_error chat-send
	[[ "$stderr" == *junk.bin* ]]
	run -2 --separate-stderr send -s s -a "$BATS_TEST_TMPDIR/nothing-here.txt" "look"
	one_error chat-send
	[[ "$stderr" == *nothing-here.txt* ]]
	run -2 --separate-stderr send -s s -a "$BATS_TEST_TMPDIR" "look"
	one_error chat-send
	# text must be UTF-8: Latin-1 (no NUL byte in it) is not
	printf 'caf\xe9 cr\xe8me\n' > "$BATS_TEST_TMPDIR/latin1.txt"
	run -2 --separate-stderr send -p echo --new -a "$BATS_TEST_TMPDIR/latin1.txt" "look"
	one_error chat-send
	[[ "$stderr" == *latin1.txt* ]]
	[ "$(count sessions)" = 1 ]
	[ "$(count messages)" = 0 ]
	[ "$(count attachments)" = 0 ]
	[ "$(nrequests)" = 0 ]
}

@test "-a takes files up to the config's attach-max (20 MiB unless set), as chat-import does" {
	head -c $((20 * 1024 * 1024 + 1)) /dev/zero | tr '\0' x > "$BATS_TEST_TMPDIR/big.txt"
	run -2 --separate-stderr send -p echo --new -a "$BATS_TEST_TMPDIR/big.txt" "look"
	[ "$stderr" = "chat-send: cannot attach '$BATS_TEST_TMPDIR/big.txt': larger than 20 MiB (attach-max)" ]
	printf '[defaults]\nattach-max = 21M\n' | config
	run -0 send -p echo --new -a "$BATS_TEST_TMPDIR/big.txt" "look"
	printf '[defaults]\nattach-max = 1k\n' | config
	head -c 1025 "$BATS_TEST_TMPDIR/big.txt" > "$BATS_TEST_TMPDIR/k.txt"
	run -2 --separate-stderr send -p echo --new -a "$BATS_TEST_TMPDIR/k.txt" "look"
	[ "$stderr" = "chat-send: cannot attach '$BATS_TEST_TMPDIR/k.txt': larger than 1 KiB (attach-max)" ]
	printf '[defaults]\nattach-max = 0\n' | config
	run -7 --separate-stderr send -p echo --new -a "$BATS_TEST_TMPDIR/k.txt" "look"
	[ "$(count attachments)" = 1 ]
}

# ---- --json ----

@test "--json: delta records as they arrive, then the stored message record with their messageId" {
	fake_start "text=$ENC piece=4"
	use_anthropic
	sid=$(new_session --provider anthropic --name s)
	run -0 --separate-stderr send -s s --json "capital?"
	[ -z "$stderr" ]
	n=$(pieces "$TEXT" 4)
	[ "${#lines[@]}" = $((n + 1)) ]
	printf '%s\n' "${lines[@]:0:n}" > "$BATS_TEST_TMPDIR/deltas"
	[ "$(jq -sc 'map(keys_unsorted) | unique' "$BATS_TEST_TMPDIR/deltas")" = '[["type","sessionId","messageId","text"]]' ]
	[ "$(jq -sc 'map([.type, .sessionId]) | unique' "$BATS_TEST_TMPDIR/deltas")" = "[[\"delta\",\"$sid\"]]" ]
	mid=$(jq -sr 'map(.messageId) | unique | if length == 1 then .[0] else error("ids") end' "$BATS_TEST_TMPDIR/deltas")
	[ "$(jq -sj 'map(.text) | join("")' "$BATS_TEST_TMPDIR/deltas")" = "$TEXT" ]
	last=${lines[n]}
	[ "$(jq -c '[.type, .id, .sessionId, .role, .content, .metadata.outputTokens]' <<< "$last")" = \
		"[\"message\",\"$mid\",\"$sid\",\"assistant\",\"$TEXT\",$n]" ]
	# the record is the stored message
	[ "$(chat-show --json -M "$mid" s)" = "$last" ]
	# on a terminal too
	tty_run "chat-send -s s --json again"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "${lines[@]}" | grep -c . | tr -d ' ')" -ge 2 ]
	printf '%s\n' "${lines[@]}" | grep . | jq -se 'map(.type) | (.[-1] == "message") and (.[:-1] | all(. == "delta"))'
}

# ---- the context ----

@test "the context: the session's system prompt, its last contextWindow messages, then the new one" {
	fake_start
	use_openai
	use_anthropic
	sid=$(new_session --provider openai --name s --context-window 2 -S "You are terse.")
	for i in 1 2 3 4 5; do
		if ((i % 2)); then role=user; else role=assistant; fi
		chat-add -s s -r "$role" "m$i" > /dev/null
	done
	run -0 send -s s "new"
	same_json "$(last_request | jq -c .body.messages)" '[{"role":"system","content":"You are terse."},
		{"role":"assistant","content":"m4"},{"role":"user","content":"m5"},{"role":"user","content":"new"}]'
	# seven messages now; the next takes the last two again (new and its reply)
	run -0 send -s s "newer"
	same_json "$(last_request | jq -c '.body.messages[1:]')" '[{"role":"user","content":"new"},
		{"role":"assistant","content":"Hello from fakeprov."},{"role":"user","content":"newer"}]'
	# Anthropic takes alternating turns and the system prompt apart: two
	# user turns in a row go as one
	chat-add -s s "an aside" > /dev/null
	run -0 send -s s -p anthropic "third"
	same_json "$(last_request | jq -c '[.body.system, .body.messages]')" '["You are terse.",
		[{"role":"assistant","content":[{"type":"text","text":"Hello from fakeprov."}]},
		 {"role":"user","content":[{"type":"text","text":"an aside\n\nthird"}]}]]'
	# a window of 0: the new message alone
	sid0=$(new_session --provider openai --name zero --context-window 0)
	chat-add -s zero "earlier" > /dev/null
	run -0 send -s zero "alone"
	same_json "$(last_request | jq -c .body.messages)" '[{"role":"user","content":"alone"}]'
}

@test "a system message of the session goes as a system turn to OpenAI, into the system prompt for Gemini" {
	fake_start
	use_openai
	use_gemini
	new_session --provider openai --name s -S "Prompt." > /dev/null
	chat-add -s s -r system "From now on, be kind." > /dev/null
	run -0 send -s s "hi"
	same_json "$(last_request | jq -c .body.messages)" '[{"role":"system","content":"Prompt."},
		{"role":"system","content":"From now on, be kind."},{"role":"user","content":"hi"}]'
	run -0 send -s s -p gemini "hi again"
	req=$(last_request)
	[ "$(jq -r '.body.systemInstruction.parts[0].text' <<< "$req")" = $'Prompt.\n\nFrom now on, be kind.' ]
	[ "$(jq -c '[.body.contents[].role]' <<< "$req")" = '["user","model","user"]' ]
}

# ---- which provider ----

@test "a session's provider and model answer when no option names one, whatever keys are set" {
	fake_start
	use_all
	new_session --provider gemini --model gemini-2.0-flash --name s > /dev/null
	run -0 send -s s "hi"
	[ "$(last_request | jq -r .path)" = /v1beta/models/gemini-2.0-flash:streamGenerateContent ]
	m=$(last_message s)
	[ "$(jq -c '[.metadata.provider, .metadata.model]' <<< "$m")" = '["gemini","gemini-2.0-flash"]' ]
	cost_right "$m"
	# a session with a provider and no model: that provider's default
	new_session --provider ollama --name o > /dev/null
	run -0 send -s o "hi"
	[ "$(last_request | jq -c '[.path, .body.model]')" = '["/api/chat","llama3.2"]' ]
}

@test "the config's default provider and model answer for a session that has none" {
	fake_start
	use_all
	sid=$(new_session --name bare)
	[ "$(session "$sid" | jq -c '[.provider, .model]')" = '[null,null]' ]
	config <<-'EOF'
	[defaults]
	provider = openai
	model = gpt-4.1-nano
	EOF
	run -0 --separate-stderr send -s bare "hi"
	[ -z "$stderr" ]
	[ "$(last_request | jq -c '[.path, .body.model]')" = '["/v1/chat/completions","gpt-4.1-nano"]' ]
	# the session now has the provider and model that answered; chat-ls shows them
	[ "$(chat-ls --json | jq -c '[.name, .provider, .model]')" = '["bare","openai","gpt-4.1-nano"]' ]
	tty_run "chat-ls"
	[[ "$output" == *bare* && "$output" == *openai* && "$output" == *gpt-4.1-nano* ]]
	# a new session made by chat-send takes them too
	run -0 send --new "another"
	[ "$(last_request | jq -r .body.model)" = gpt-4.1-nano ]
	[ "$(chat-ls --json --limit 1 | jq -c '[.provider, .model]')" = '["openai","gpt-4.1-nano"]' ]
}

@test "no provider anywhere: the first key set, Anthropic before OpenAI before Gemini" {
	fake_start
	export ANTHROPIC_BASE_URL=$FAKE_URL OPENAI_BASE_URL=$FAKE_URL/v1 GOOGLE_GEMINI_BASE_URL=$FAKE_URL
	export OLLAMA_HOST=$FAKE_URL
	ANTHROPIC_API_KEY=$AKEY OPENAI_API_KEY=$OKEY GEMINI_API_KEY=$GKEY run -0 send "which"
	[ "$(last_request | jq -r .path)" = /v1/messages ]
	OPENAI_API_KEY=$OKEY GEMINI_API_KEY=$GKEY run -0 send "which"
	[ "$(last_request | jq -r .path)" = /v1/chat/completions ]
	GEMINI_API_KEY=$GKEY run -0 send "which"
	[ "$(last_request | jq -r .path)" = /v1beta/models/gemini-2.5-flash:streamGenerateContent ]
	GOOGLE_API_KEY=$GOOGKEY run -0 send "which"
	[ "$(last_request | jq -r '[.path, .headers["x-goog-api-key"]] | join(" ")')" = \
		"/v1beta/models/gemini-2.5-flash:streamGenerateContent $GOOGKEY" ]
	# a key in the config counts as well
	printf '[openai]\napi-key = sk-from-config-Cf8\n' | config
	run -0 send "which"
	[ "$(last_request | jq -r '[.path, .headers.authorization] | join(" ")')" = "/v1/chat/completions Bearer sk-from-config-Cf8" ]
	[ "$(nrequests)" = 5 ]
	[ "$(store_sql 'SELECT provider FROM sessions ORDER BY n' | paste -sd' ')" = "anthropic openai gemini gemini openai" ]
}

@test "no provider and no key: Ollama when it answers at OLLAMA_HOST" {
	fake_start
	export OLLAMA_HOST=127.0.0.1:$FAKE_PORT
	run -0 --separate-stderr send "local please"
	[ -z "$stderr" ]
	[ "$output" = "Hello from fakeprov." ]
	run -0 fake_requests
	echo "$output"
	[ "${#lines[@]}" = 2 ]
	[ "$(jq -r '.path' <<< "${lines[0]}")" = /api/version ]
	[ "$(jq -r '[.method, .path, .body.model] | join(" ")' <<< "${lines[1]}")" = "POST /api/chat llama3.2" ]
	[ "$(chat-ls --json | jq -c '[.provider, .model]')" = '["ollama","llama3.2"]' ]
}

@test "no provider, no key, no Ollama: exit 7 saying how to set one up, and nothing stored" {
	fake_start
	closed=$FAKE_PORT
	fake_stop
	export OLLAMA_HOST=127.0.0.1:$closed
	new_session --name s > /dev/null
	run -7 --separate-stderr send "anyone?"
	one_error chat-send
	for w in ANTHROPIC_API_KEY OPENAI_API_KEY GEMINI_API_KEY "--provider echo"; do
		[[ "$stderr" == *"$w"* ]] || { echo "no $w in: $stderr"; return 1; }
	done
	run -7 --separate-stderr send -s s "anyone?"
	one_error chat-send
	[ "$(count sessions)" = 1 ]
	[ "$(count messages)" = 0 ]
}

# ---- keys ----

@test "a missing key: exit 9 naming the variable, and nothing stored, not even the question" {
	sid=$(new_session --name s)
	local p var
	for p in anthropic:ANTHROPIC_API_KEY openai:OPENAI_API_KEY gemini:GEMINI_API_KEY; do
		var=${p#*:}
		p=${p%%:*}
		run -9 --separate-stderr send -p "$p" "hello?"
		one_error chat-send
		[[ "$stderr" == *"$var"* ]] || { echo "$p: $stderr"; return 1; }
		run -9 --separate-stderr send -s s -p "$p" "hello?"
		one_error chat-send
	done
	[ "$(count sessions)" = 1 ]
	[ "$(count messages)" = 0 ]
}

@test "a key from the config works; the variable comes before it" {
	fake_start
	export ANTHROPIC_BASE_URL=$FAKE_URL
	printf '[anthropic]\napi-key = sk-ant-config-Kc9\n' | config
	run -0 send -p anthropic "hi"
	[ "$(last_request | jq -r '.headers["x-api-key"]')" = sk-ant-config-Kc9 ]
	ANTHROPIC_API_KEY=$AKEY run -0 send -p anthropic "hi"
	[ "$(last_request | jq -r '.headers["x-api-key"]')" = "$AKEY" ]
	not grep -q -e sk-ant-config-Kc9 -e "$AKEY" <<<"$(store_dump)"
}

@test "a key never reaches the store, the records or stderr, whichever provider" {
	fake_start
	use_all
	export GOOGLE_API_KEY=$GOOGKEY
	local p
	for p in anthropic openai gemini ollama; do
		run -0 --separate-stderr send -p "$p" --new --json "keys?"
		[ -z "$stderr" ]
		for k in "$AKEY" "$OKEY" "$GKEY" "$GOOGKEY"; do
			[[ "$output" != *"$k"* ]] || { echo "$p printed a key"; return 1; }
		done
	done
	run -0 bash -c 'grep -c -F -e "$1" -e "$2" -e "$3" -e "$4" || true' _ "$AKEY" "$OKEY" "$GKEY" "$GOOGKEY" <<<"$(store_dump)"
	[ "$output" = 0 ]
	# not in the file at all, nor its journal (PostgreSQL's store is no
	# file of ours: its dump above is the whole of it)
	if [ "${CONFAB_TEST_DB:-}" != pg ]; then
		run -0 bash -c 'cat "$CHAT_DB"* | grep -c -a -F -e "$1" -e "$2" -e "$3" || true' _ "$AKEY" "$OKEY" "$GKEY"
		[ "$output" = 0 ]
	fi
}

@test "a provider error that quotes the key: one line on stderr with the key redacted, exit 9" {
	local enc
	enc=$(jq -rn --arg k "$AKEY" '"invalid x-api-key: \($k) (check it)" | @uri')
	fake_start "status=401 text=$enc" "status=401 text=$(jq -rn --arg k "$OKEY" '"Incorrect API key provided: \($k)." | @uri')"
	use_anthropic
	use_openai
	sid=$(new_session --provider anthropic --name s)
	run -9 --separate-stderr send -s s "hi"
	echo "$stderr"
	one_error chat-send
	[[ "$stderr" == *"[redacted]"* ]]
	[[ "$stderr" == *"invalid x-api-key"* ]]
	[[ "$stderr" != *"$AKEY"* ]]
	[[ "$stderr" != *"${AKEY:4}"* ]]
	run -9 --separate-stderr send -s s -p openai "hi"
	one_error chat-send
	[[ "$stderr" == *"Incorrect API key provided: [redacted]"* ]]
	[[ "$stderr" != *"$OKEY"* ]]
	# a refused request is not retried, and leaves only the question stored
	[ "$(nrequests)" = 2 ]
	[ "$(store_sql 'SELECT role FROM messages ORDER BY n' | paste -sd' ')" = "user user" ]
	run -0 bash -c 'grep -c -F -e "$1" -e "$2" || true' _ "$AKEY" "$OKEY" <<<"$(store_dump)"
	[ "$output" = 0 ]
}

# ---- cost and the session's counters ----

@test "cost: input and output tokens at the price list's rates; null for a model it does not list" {
	fake_start "text=$ENC piece=2" "text=$ENC piece=2" "text=$ENC piece=2"
	use_anthropic
	use_openai
	run -0 send -p anthropic -m claude-sonnet-4-5 --new "What does it cost?"
	m=$(last_message "$(newest_session)")
	in=$(fake_in "$(last_request)")
	out=$(pieces "$TEXT" 2)
	[ "$(jq -c '[.metadata.inputTokens, .metadata.outputTokens]' <<< "$m")" = "[$in,$out]" ]
	want=$(jq -n --argjson i "$in" --argjson o "$out" --slurpfile p "$PRICES" \
		'$i / 1e6 * $p[0].models["claude-sonnet-4-5"].input + $o / 1e6 * $p[0].models["claude-sonnet-4-5"].output')
	jq -e --argjson w "$want" '.metadata.cost | type == "number" and . > 0 and (. - $w | fabs) < 1e-12' <<< "$m"
	# a dated name takes its family's price
	run -0 send -p openai -m gpt-4o-mini-2024-07-18 --new "And this?"
	m=$(last_message "$(newest_session)")
	in=$(fake_in "$(last_request)")
	want=$(jq -n --argjson i "$in" --argjson o "$out" --slurpfile p "$PRICES" \
		'$i / 1e6 * $p[0].models["gpt-4o-mini"].input + $o / 1e6 * $p[0].models["gpt-4o-mini"].output')
	jq -e --argjson w "$want" '.metadata.cost | type == "number" and (. - $w | fabs) < 1e-12' <<< "$m"
	run -0 send -p openai -m my-own-finetune --new "And this?"
	[ "$(last_message "$(newest_session)" | jq -c '[.metadata.cost, .metadata.outputTokens]')" = "[null,$out]" ]
}

@test "the session's messageCount and totalTokens stay true over several sends" {
	fake_start
	use_all
	sid=$(new_session --provider anthropic --name s)
	run -0 send -s s "one"
	run -0 send -s s -p openai "two"
	run -0 send -s s -p gemini --no-stream "three"
	run -0 send -s s -p ollama "four"
	run -0 send -s s -p echo "five"
	chat-add -s s "a note" > /dev/null
	run -0 chat-show --json s
	[ "${#lines[@]}" = 11 ]
	want=$(jq -sc '{messageCount: length, totalTokens: (map(.metadata.tokens // 0) | add)}' <<< "$output")
	[ "$(jq -sc '[.[] | select(.role == "assistant") | .metadata.tokens > 0] | all' <<< "$output")" = true ]
	same_json "$(session "$sid" | jq -c '.metadata | {messageCount, totalTokens}')" "$want"
	[ "$(store_sql 'SELECT CAST(message_count = (SELECT count(*) FROM messages) AS INTEGER), CAST(total_tokens = (SELECT total(tokens) FROM messages) AS INTEGER) FROM sessions')" = "1|1" ]
}

# ---- usage ----

@test "--help and --version" {
	run -0 --separate-stderr chat-send --help
	[ -z "$stderr" ]
	[[ "${lines[0]}" == "usage: chat-send "* ]]
	for o in --session --new --provider --model --system --temperature --max-tokens --attach \
		--fallback --no-stream --retries --retry-time --timeout --json --db --help --version; do
		[[ "$output" == *" $o"* ]] || { echo "no $o"; return 1; }
	done
	run -0 --separate-stderr chat-send --version
	[[ "$output" =~ ^chat-send\ .*[0-9]+\.[0-9]+ ]]
	[ "${#lines[@]}" = 1 ]
	no_store
}

@test "usage errors: exit 2, one line, nothing stored and nothing sent" {
	fake_start
	use_all
	sid=$(new_session --provider anthropic --name s)
	chat-add -s s "earlier" > /dev/null
	dump=$(store_dump)
	local -a bad=(
		"--bogus hi"
		"-x hi"
		"-s s --temperature 3 hi"
		"-s s --temperature abc hi"
		"-s s --temperature -0.1 hi"
		"-s s --max-tokens 0 hi"
		"-s s --max-tokens 1.5 hi"
		"--new -s s hi"
		"-s s"
		"-p no-such-provider hi"
		"-s s --fallback :model hi"
		"-s s --retries -1 hi"
		"-s s --timeout 0 hi"
		"-s"
	)
	for args in "${bad[@]}"; do
		# shellcheck disable=SC2086
		run -2 --separate-stderr send $args
		one_error chat-send || { echo "chat-send $args: $stderr"; return 1; }
	done
	[ "$(store_dump)" = "$dump" ]
	[ "$(nrequests)" = 0 ]
}

@test "an unknown or ambiguous session: exit 3 or 4, nothing stored" {
	new_session --provider echo --name twin > /dev/null
	new_session --provider echo --name twin > /dev/null
	run -3 --separate-stderr send -s nobody "hi"
	one_error chat-send
	run -4 --separate-stderr send -s twin "hi"
	one_error chat-send
	[ "$(count sessions)" = 2 ]
	[ "$(count messages)" = 0 ]
}

# ---- for people ----

@test "on a terminal: the reply as it came, with control characters made harmless" {
	fake_start "text=Plain%20%1B[31mred%1B[0m%20and%20a%20bell%07%20end" "text=Plain%20%1B[31mred%1B[0m%20and%20a%20bell%07%20end"
	use_anthropic
	tty_run "chat-send -p anthropic --new 'colors?'"
	[ "$status" -eq 0 ]
	echo "$output" | od -c | head
	[[ "$output" != *$'\e'* ]]
	[[ "$output" != *$'\a'* ]]
	[[ "$output" == *"Plain "*"[31mred"*"[0m and a bell"*"end"* ]]
	# stored as the provider sent it; a pipe gets it as it came too
	[ "$(last_message "$(newest_session)" | jq -r .content)" = $'Plain \e[31mred\e[0m and a bell\a end' ]
	run -0 send_out -p anthropic --new 'colors?'
	stdout_is $'Plain \e[31mred\e[0m and a bell\a end'
}

@test "--db names the store instead of CHAT_DB" {
	other=$BATS_TEST_TMPDIR/other/chat.db
	[ "${CONFAB_TEST_DB:-}" != pg ] || other=$(pg_fresh_db)
	# a --db that is not there is refused (157-rough-edges): chat-new makes it
	chat-new --db "$other" -n first > /dev/null
	run -0 send --db "$other" -p echo "elsewhere"
	[ "$output" = "echo: elsewhere" ]
	[ "$(CHAT_DB=$other store_sql 'SELECT count(*) FROM messages')" = 2 ]
	no_store
	run -0 send --db "$other" -s elsewhere "again"
	[ "$(CHAT_DB=$other store_sql 'SELECT count(*) FROM messages')" = 4 ]
}
