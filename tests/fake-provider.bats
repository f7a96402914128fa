#!/usr/bin/env bats
# The fake provider server (tests/fake/fakeprov.c) that the chat-send suites
# and the benchmarks talk to: its four wire protocols, fixture replay, faults,
# concurrency, the request log and its bounded life.

load helper

setup() {
	common_setup
	[ -x "$ROOT/build/fakeprov" ] || {
		echo "build/fakeprov is missing: make build/fakeprov" >&2
		return 1
	}
	# Quotes, a backslash, a tab, a newline and multibyte characters.
	TEXT=$'Sure \xe2\x80\x94 "quoted", back\\slash,\ttab\nnew line, \xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80 done.'
	ENC=$(jq -rn --arg t "$TEXT" '$t | @uri')
}

teardown() {
	fake_stop
}

# POSTs JSON to a path of the fake server; the response body on stdout.
post() {
	local path=$1 body=$2
	shift 2
	curl -sN -H 'content-type: application/json' --data-binary "$body" "$@" "$FAKE_URL$path"
}

# The data payloads of an SSE stream, one a line.
sse() {
	sed -n 's/^data: //p' | tr -d '\r'
}

anthropic_text() { sse | jq -rj 'select(.type == "content_block_delta") | .delta.text'; }
openai_text() { sse | grep -v '^\[DONE\]$' | jq -rj '.choices[]?.delta.content // empty'; }
gemini_text() { sse | jq -rj '.candidates[0].content.parts[0].text'; }
ollama_text() { jq -rj '.message.content'; }

@test "anthropic: text= streams the text in message_start .. message_stop events with usage" {
	fake_start "text=$ENC"
	body='{"model":"claude-test","stream":true,"max_tokens":100,"messages":[{"role":"user","content":"hi"}]}'
	post /v1/messages "$body" -H 'anthropic-version: 2023-06-01' > "$BATS_TEST_TMPDIR/out"
	[ "$(anthropic_text < "$BATS_TEST_TMPDIR/out")" = "$TEXT" ]
	run -0 bash -c "grep '^event: ' '$BATS_TEST_TMPDIR/out' | uniq | cut -d' ' -f2 | paste -sd' '"
	[ "$output" = "message_start content_block_start ping content_block_delta content_block_stop message_delta message_stop" ]
	deltas=$(grep -c '^event: content_block_delta' "$BATS_TEST_TMPDIR/out")
	[ "$deltas" -gt 5 ]
	run -0 jq -s -c '[.[0].message.model, .[0].message.usage.input_tokens,
		(.[] | select(.type == "message_delta") | .usage.output_tokens, .delta.stop_reason)]' \
		< <(sse < "$BATS_TEST_TMPDIR/out")
	[ "$output" = "[\"claude-test\",$((${#body} / 4)),$deltas,\"end_turn\"]" ]
}

@test "anthropic: a whole reply is a message with content[0].text and usage" {
	fake_start "text=$ENC"
	run -0 post /v1/messages '{"model":"claude-test","max_tokens":10,"messages":[]}' -D "$BATS_TEST_TMPDIR/h"
	[ "$(jq -j '.content[0].text' <<< "$output")" = "$TEXT" ]
	run -0 jq -c '[.type, .role, .model, .stop_reason, .usage.input_tokens, .usage.output_tokens > 0]' <<< "$output"
	[ "$output" = '["message","assistant","claude-test","end_turn",13,true]' ]
	grep -qi '^content-length: ' "$BATS_TEST_TMPDIR/h"
	grep -qi '^content-type: application/json' "$BATS_TEST_TMPDIR/h"
}

@test "openai: text= streams chunks, a finish chunk, a usage chunk when asked, then [DONE]" {
	fake_start "text=$ENC" "text=$ENC"
	body='{"model":"gpt-test","stream":true,"stream_options":{"include_usage":true},"messages":[]}'
	post /v1/chat/completions "$body" > "$BATS_TEST_TMPDIR/out"
	[ "$(openai_text < "$BATS_TEST_TMPDIR/out")" = "$TEXT" ]
	[ "$(sse < "$BATS_TEST_TMPDIR/out" | tail -n 1)" = "[DONE]" ]
	run -0 jq -s -c '[.[0].choices[0].delta.role, .[0].model,
		(.[] | select(.choices[0].finish_reason != null) | .choices[0].finish_reason),
		.[-1].choices, .[-1].usage.prompt_tokens]' < <(sse < "$BATS_TEST_TMPDIR/out" | sed '$d')
	[ "$output" = "[\"assistant\",\"gpt-test\",\"stop\",[],$((${#body} / 4))]" ]
	# no usage chunk unless asked for; the path without /v1 as well
	post /chat/completions '{"model":"gpt-test","stream":true}' > "$BATS_TEST_TMPDIR/out2"
	[ "$(openai_text < "$BATS_TEST_TMPDIR/out2")" = "$TEXT" ]
	run -0 bash -c "sed -n 's/^data: //p' '$BATS_TEST_TMPDIR/out2' | grep -c usage || true"
	[ "$output" = 0 ]
}

@test "openai: a whole reply is a chat.completion with usage" {
	fake_start "text=$ENC"
	run -0 post /v1/chat/completions '{"model":"gpt-test","messages":[]}'
	[ "$(jq -j '.choices[0].message.content' <<< "$output")" = "$TEXT" ]
	run -0 jq -c '[.object, .model, .choices[0].finish_reason, .usage.prompt_tokens,
		.usage.total_tokens == .usage.prompt_tokens + .usage.completion_tokens]' <<< "$output"
	[ "$output" = '["chat.completion","gpt-test","stop",8,true]' ]
}

@test "gemini: streamGenerateContent?alt=sse streams CRLF events, the model from the path" {
	fake_start "text=$ENC"
	post '/v1beta/models/gemini-test:streamGenerateContent?alt=sse' '{"contents":[]}' \
		-H 'x-goog-api-key: k' > "$BATS_TEST_TMPDIR/out"
	[ "$(gemini_text < "$BATS_TEST_TMPDIR/out")" = "$TEXT" ]
	grep -q $'^data: .*\r$' "$BATS_TEST_TMPDIR/out"
	run -0 jq -s -c '[.[0].modelVersion, ([.[] | .candidates[0].finishReason] | unique),
		.[-1].candidates[0].finishReason, .[-1].usageMetadata.promptTokenCount,
		.[-1].usageMetadata.candidatesTokenCount == length]' < <(sse < "$BATS_TEST_TMPDIR/out")
	[ "$output" = '["gemini-test",[null,"STOP"],"STOP",3,true]' ]
}

@test "gemini: generateContent is whole; streamGenerateContent without alt=sse is a JSON array" {
	fake_start "text=$ENC" "text=$ENC"
	run -0 post /v1beta/models/gemini-test:generateContent '{"contents":[]}'
	[ "$(jq -j '.candidates[0].content.parts[0].text' <<< "$output")" = "$TEXT" ]
	run -0 jq -c '[.candidates[0].finishReason, .modelVersion, .usageMetadata.totalTokenCount > 0]' <<< "$output"
	[ "$output" = '["STOP","gemini-test",true]' ]
	run -0 post /v1beta/models/gemini-test:streamGenerateContent '{"contents":[]}'
	[ "$(jq -j '.[].candidates[0].content.parts[0].text' <<< "$output")" = "$TEXT" ]
}

@test "ollama: /api/chat streams NDJSON ending done:true with counts; stream:false is whole" {
	fake_start "text=$ENC" "text=$ENC"
	post /api/chat '{"model":"llama-test","messages":[]}' -D "$BATS_TEST_TMPDIR/h" > "$BATS_TEST_TMPDIR/out"
	grep -qi '^content-type: application/x-ndjson' "$BATS_TEST_TMPDIR/h"
	grep -qi '^transfer-encoding: chunked' "$BATS_TEST_TMPDIR/h"
	[ "$(ollama_text < "$BATS_TEST_TMPDIR/out")" = "$TEXT" ]
	run -0 jq -s -c '[.[0].model, .[0].done, .[-1].done, .[-1].done_reason,
		.[-1].prompt_eval_count, .[-1].eval_count == length - 1, .[-1].total_duration > 0]' \
		"$BATS_TEST_TMPDIR/out"
	[ "$output" = '["llama-test",false,true,"stop",9,true,true]' ]
	run -0 post /api/chat '{"model":"llama-test","stream":false}'
	[ "$(jq -j '.message.content' <<< "$output")" = "$TEXT" ]
	[ "$(jq -c '[.done, .eval_count > 0]' <<< "$output")" = '[true,true]' ]
}

@test "ollama liveness: GET /, /api/version and /api/tags answer; other paths are 404" {
	fake_start
	run -0 curl -s "$FAKE_URL/"
	[ "$output" = "Ollama is running" ]
	run -0 curl -s "$FAKE_URL/api/version"
	jq -e '.version | type == "string"' <<< "$output"
	run -0 curl -s "$FAKE_URL/api/tags"
	jq -e '.models | length > 0' <<< "$output"
	run -0 curl -s -o "$BATS_TEST_TMPDIR/b" -w '%{http_code}' "$FAKE_URL/v1/nothing"
	[ "$output" = 404 ]
	jq -e '.error.message | contains("/v1/nothing")' "$BATS_TEST_TMPDIR/b"
	run -0 curl -s -o /dev/null -w '%{http_code}' "$FAKE_URL/v1/messages" # GET, not POST
	[ "$output" = 404 ]
}

@test "without a script, and once it is used up, every protocol says the default text" {
	fake_start "text=first"
	[ "$(post /v1/messages '{"stream":true}' | anthropic_text)" = first ]
	[ "$(post /v1/messages '{"stream":true}' | anthropic_text)" = "Hello from fakeprov." ]
	[ "$(post /v1/chat/completions '{"stream":true}' | openai_text)" = "Hello from fakeprov." ]
	[ "$(post '/v1beta/models/g:streamGenerateContent?alt=sse' '{}' | gemini_text)" = "Hello from fakeprov." ]
	[ "$(post /api/chat '{}' | ollama_text)" = "Hello from fakeprov." ]
	fake_stop
	fake_start
	[ "$(post /api/chat '{"stream":false}' | jq -r .message.content)" = "Hello from fakeprov." ]
}

@test "script lines go to requests in order, skipping blank lines and comments" {
	fake_start "text=one" "" "# a comment" "  text=two%20words" "text=three"
	[ "$(post /api/chat '{}' | ollama_text)" = one ]
	[ "$(post /v1/messages '{"stream":true}' | anthropic_text)" = "two words" ]
	[ "$(post /v1/chat/completions '{}' | jq -r '.choices[0].message.content')" = three ]
}

@test "body=FILE replays every recorded fixture byte for byte with its status" {
	[ -d "$PROVIDER_STREAMS" ] || skip "no recorded fixtures in $PROVIDER_STREAMS"
	local lines=() files=() paths=() f status path file
	while IFS=$'\t' read -r f status path file; do
		files+=("$(dirname "$f")/$file")
		paths+=("$path")
		lines+=("status=$status body=$(dirname "$f")/$file")
	done < <(for f in "$PROVIDER_STREAMS"/*/*.meta.json; do
		jq -r --arg f "$f" '[$f, .response.status, .request.path, .response.body_file] | @tsv' "$f"
	done)
	[ "${#files[@]}" -gt 20 ]
	fake_start "${lines[@]}"
	for i in "${!files[@]}"; do
		f=${files[$i]}
		code=$(curl -sN -o "$BATS_TEST_TMPDIR/got" -w '%{http_code} %{content_type}' \
			--data-binary '{"stream":true}' "$FAKE_URL${paths[$i]}")
		cmp "$f" "$BATS_TEST_TMPDIR/got"
		case $f in
		*.sse) [[ "$code" == *" text/event-stream" ]] ;;
		*.ndjson) [[ "$code" == *" application/x-ndjson" ]] ;;
		*.json) [[ "$code" == *" application/json" ]] ;;
		esac
		[ "${code%% *}" = "$(echo "${lines[$i]}" | sed 's/^status=\([0-9]*\).*/\1/')" ]
	done
}

@test "status= gives the provider's error body; header= adds Retry-After; 529 has an empty reason" {
	fake_start "status=429 header=Retry-After:1" "status=529" "status=503 text=try%20later" \
		"status=500" "status=404 text=model%20'x'%20not%20found" "status=401 body=$BATS_TEST_DIRNAME/helper.bash"
	run -0 curl -s -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/b" -w '%{http_code}' \
		--data-binary '{"stream":true}' "$FAKE_URL/v1/messages"
	[ "$output" = 429 ]
	grep -q $'^Retry-After: 1\r$' "$BATS_TEST_TMPDIR/h"
	[ "$(jq -c '[.type, .error.type]' "$BATS_TEST_TMPDIR/b")" = '["error","rate_limit_error"]' ]
	run -0 curl -s -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/b" --data-binary '{}' "$FAKE_URL/v1/messages"
	[ "$(head -n 1 "$BATS_TEST_TMPDIR/h")" = $'HTTP/1.1 529 \r' ]
	[ "$(jq -r .error.type "$BATS_TEST_TMPDIR/b")" = overloaded_error ]
	run -0 curl -s --data-binary '{}' "$FAKE_URL/v1beta/models/g:generateContent"
	[ "$(jq -c '[.error.code, .error.status, .error.message]' <<< "$output")" = '[503,"UNAVAILABLE","try later"]' ]
	run -0 curl -s --data-binary '{"stream":true}' "$FAKE_URL/v1/chat/completions"
	[ "$(jq -r .error.type <<< "$output")" = server_error ]
	run -0 curl -s --data-binary '{}' "$FAKE_URL/api/chat"
	[ "$output" = "{\"error\":\"model 'x' not found\"}" ]
	run -0 curl -s -o "$BATS_TEST_TMPDIR/b" -w '%{http_code}' --data-binary '{}' "$FAKE_URL/api/chat"
	[ "$output" = 401 ]
	cmp "$BATS_TEST_DIRNAME/helper.bash" "$BATS_TEST_TMPDIR/b"
}

@test "cut=N closes the connection after N body bytes: curl reports a partial transfer" {
	fake_start "gen-bytes=100000 cut=5000" "cut=10"
	run -18 curl -sN -o "$BATS_TEST_TMPDIR/out" --data-binary '{"stream":true}' "$FAKE_URL/v1/messages"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/out")" = 5000 ]
	# a whole (Content-Length) reply cut short too
	run -18 curl -s -o "$BATS_TEST_TMPDIR/out" --data-binary '{}' "$FAKE_URL/v1/chat/completions"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/out")" = 10 ]
}

@test "first-byte-delay holds the reply back without holding other connections" {
	fake_start "first-byte-delay=3000"
	start=$(date +%s%N)
	run -28 curl -s --max-time 1 --data-binary '{}' "$FAKE_URL/api/chat"
	# the next request is answered at once while the first one's child still sleeps
	[ "$(post /api/chat '{}' | ollama_text)" = "Hello from fakeprov." ]
	[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 2500 ]
	[ "$(fake_requests | wc -l)" = 2 ]
}

@test "first-byte-delay within the client's patience: the reply still comes" {
	fake_start "first-byte-delay=300 text=late"
	run -0 curl -s -w ' %{time_starttransfer}' --data-binary '{"stream":false}' "$FAKE_URL/api/chat"
	[ "$(jq -r .message.content <<< "${output% *}")" = late ]
	awk -v t="${output##* }" 'BEGIN { exit !(t >= 0.29) }'
}

@test "hang reads the request and never answers; close and reset fail before the first byte" {
	fake_start hang close reset
	run -28 curl -s --max-time 1 --data-binary '{"model":"m"}' "$FAKE_URL/v1/messages"
	[ "$(fake_requests | jq -r .body.model)" = m ]
	run -52 curl -s --data-binary '{}' "$FAKE_URL/v1/messages"
	run -56 curl -s --data-binary '{}' "$FAKE_URL/v1/messages"
}

@test "chunk= and delay= pace the body; delay= alone sends one event at a time" {
	fake_start "text=$ENC chunk=50 delay=10" "delay=100"
	run -0 curl -sN -o "$BATS_TEST_TMPDIR/out" -w '%{time_total}' --data-binary '{"stream":true}' \
		"$FAKE_URL/v1/messages"
	[ "$(anthropic_text < "$BATS_TEST_TMPDIR/out")" = "$TEXT" ]
	n=$(stat -c %s "$BATS_TEST_TMPDIR/out")
	# (n / 50) gaps of 10 ms
	awk -v t="$output" -v n="$n" 'BEGIN { exit !(t >= int((n - 1) / 50) * 0.01 * 0.9) }'
	# each of the 8 events arrives on its own, 100 ms apart
	curl -sN --data-binary '{"stream":true}' "$FAKE_URL/v1/chat/completions" |
		while IFS= read -r l; do if [ -n "$l" ]; then echo "$(date +%s%N) $l"; fi; done > "$BATS_TEST_TMPDIR/t"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/t")" = 7 ]
	awk 'NR > 1 { d = ($1 - p) / 1e6; if (d < 70) exit 1 } { p = $1 }' "$BATS_TEST_TMPDIR/t"
}

@test "error-event: each protocol's in-stream error after two deltas, then the stream ends" {
	fake_start "error-event=boom%20now" "error-event=boom%20now" "error-event=boom%20now" \
		"error-event=boom%20now" "error-event=boom%20now"
	post /v1/messages '{"stream":true}' > "$BATS_TEST_TMPDIR/a"
	[ "$(anthropic_text < "$BATS_TEST_TMPDIR/a")" = "Hello from" ]
	grep -qx 'event: error' "$BATS_TEST_TMPDIR/a"
	[ "$(sse < "$BATS_TEST_TMPDIR/a" | tail -n 1 | jq -c .error)" = '{"type":"overloaded_error","message":"boom now"}' ]
	not grep -q message_stop "$BATS_TEST_TMPDIR/a"

	post /v1/chat/completions '{"stream":true}' > "$BATS_TEST_TMPDIR/o"
	[ "$(sse < "$BATS_TEST_TMPDIR/o" | sed '$d' | jq -rj '.choices[0].delta.content // empty')" = "Hello from" ]
	[ "$(sse < "$BATS_TEST_TMPDIR/o" | tail -n 1 | jq -c '[.error.message, .error.type]')" = '["boom now","server_error"]' ]
	not grep -q DONE "$BATS_TEST_TMPDIR/o"

	post '/v1beta/models/g:streamGenerateContent?alt=sse' '{}' > "$BATS_TEST_TMPDIR/g"
	[ "$(sse < "$BATS_TEST_TMPDIR/g" | tail -n 1 | jq -c '[.error.code, .error.message, .error.status]')" = '[500,"boom now","INTERNAL"]' ]
	[ "$(sse < "$BATS_TEST_TMPDIR/g" | sed '$d' | jq -rj '.candidates[0].content.parts[0].text')" = "Hello from" ]
	not grep -q STOP "$BATS_TEST_TMPDIR/g"

	post /api/chat '{}' > "$BATS_TEST_TMPDIR/l"
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/l")" = '{"error":"boom now"}' ]
	[ "$(sed '$d' "$BATS_TEST_TMPDIR/l" | ollama_text)" = "Hello from" ]

	# a bare error-event, and after= moves it
	fake_stop
	fake_start "error-event after=0"
	post /v1/messages '{"stream":true}' > "$BATS_TEST_TMPDIR/a"
	[ -z "$(anthropic_text < "$BATS_TEST_TMPDIR/a")" ]
	grep -q '"overloaded_error"' "$BATS_TEST_TMPDIR/a"
}

@test "malformed puts one line that is not JSON into the stream, which then goes on" {
	fake_start malformed malformed malformed malformed
	post /v1/messages '{"stream":true}' > "$BATS_TEST_TMPDIR/a"
	run -0 bash -c "sed -n 's/^data: //p' '$BATS_TEST_TMPDIR/a' | while IFS= read -r l; do jq -e . <<< \"\$l\" > /dev/null 2>&1 || echo bad; done"
	[ "$output" = bad ]
	grep -q message_stop "$BATS_TEST_TMPDIR/a"
	[ "$(sse < "$BATS_TEST_TMPDIR/a" | jq -Rrj 'fromjson? | select(.type == "content_block_delta") | .delta.text')" = "Hello from fakeprov." ]
	post /v1/chat/completions '{"stream":true}' > "$BATS_TEST_TMPDIR/o"
	[ "$(sse < "$BATS_TEST_TMPDIR/o" | jq -Rrj 'fromjson? | .choices[0].delta.content // empty')" = "Hello from fakeprov." ]
	post '/v1beta/models/g:streamGenerateContent?alt=sse' '{}' > "$BATS_TEST_TMPDIR/g"
	[ "$(sse < "$BATS_TEST_TMPDIR/g" | jq -Rrj 'fromjson? | .candidates[0].content.parts[0].text')" = "Hello from fakeprov." ]
	post /api/chat '{}' > "$BATS_TEST_TMPDIR/l"
	[ "$(jq -Rrj 'fromjson? | .message.content' "$BATS_TEST_TMPDIR/l")" = "Hello from fakeprov." ]
	[ "$(jq -R 'fromjson? // "bad"' "$BATS_TEST_TMPDIR/l" | grep -c '^"bad"$')" = 1 ]
}

@test "gen-bytes streams N bytes of text in 1000-byte deltas, fast" {
	fake_start "gen-bytes=10000000" "gen-bytes=2500 piece=100"
	run -0 curl -sN -o "$BATS_TEST_TMPDIR/out" -w '%{time_total}' --data-binary '{"stream":true}' \
		"$FAKE_URL/v1/messages"
	# generous for a loaded machine; make bench measures it properly
	awk -v t="$output" 'BEGIN { exit !(t < 5) }'
	sse < "$BATS_TEST_TMPDIR/out" | jq -c 'select(.type == "content_block_delta") | .delta.text | length' |
		sort | uniq -c | awk '{ print $1, $2 }' > "$BATS_TEST_TMPDIR/sizes"
	[ "$(cat "$BATS_TEST_TMPDIR/sizes")" = "10000 1000" ]
	[ "$(post /api/chat '{}' | jq -s -c '[(map(.message.content) | add | length), .[-1].eval_count]')" = '[2500,25]' ]
}

@test "20 clients at once are all answered, and the log has 20 lines" {
	lines=()
	for i in $(seq 0 19); do lines+=("text=reply-$i"); done
	fake_start "${lines[@]}"
	pids=()
	for i in $(seq 1 20); do
		curl -sN --data-binary "{\"stream\":true,\"client\":$i}" "$FAKE_URL/v1/messages" \
			> "$BATS_TEST_TMPDIR/c$i" 3>&- &
		pids+=($!)
	done
	wait "${pids[@]}"
	fake_requests > "$BATS_TEST_TMPDIR/log"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/log")" = 20 ]
	[ "$(jq -s -c 'map(.n)' "$BATS_TEST_TMPDIR/log")" = "[$(seq -s, 0 19)]" ]
	# request n got script line n
	while read -r n client; do
		[ "$(anthropic_text < "$BATS_TEST_TMPDIR/c$client")" = "reply-$n" ]
	done < <(jq -r '"\(.n) \(.body.client)"' "$BATS_TEST_TMPDIR/log")
}

@test "the log records method, path, query, lowercased headers and the parsed body" {
	fake_start
	post '/v1beta/models/g:streamGenerateContent?alt=sse' '{"contents":[{"parts":[{"text":"hi"}]}]}' \
		-H 'X-Goog-Api-Key: secret-key' > /dev/null
	curl -s --data-binary 'not json' "$FAKE_URL/api/chat" > /dev/null
	curl -s "$FAKE_URL/api/tags" > /dev/null
	run -0 fake_requests
	[ "${#lines[@]}" = 3 ]
	[ "$(jq -c '[.n, .method, .path, .query, .headers["x-goog-api-key"], .headers["content-type"], .body.contents[0].parts[0].text]' <<< "${lines[0]}")" = \
		'[0,"POST","/v1beta/models/g:streamGenerateContent","alt=sse","secret-key","application/json","hi"]' ]
	[ "$(jq -c .body <<< "${lines[1]}")" = '"not json"' ]
	[ "$(jq -c '[.method, .path, .body]' <<< "${lines[2]}")" = '["GET","/api/tags",null]' ]
}

@test "Expect: 100-continue, chunked request bodies and kept-alive connections" {
	fake_start
	head -c 300000 /dev/zero | tr '\0' x | jq -Rc '{stream: false, pad: .}' > "$BATS_TEST_TMPDIR/big"
	run -0 curl -s -H 'Expect: 100-continue' -H 'content-type: application/json' \
		--data-binary @"$BATS_TEST_TMPDIR/big" "$FAKE_URL/api/chat"
	[ "$(jq -r .message.content <<< "$output")" = "Hello from fakeprov." ]
	run -0 curl -s -H 'Transfer-Encoding: chunked' --data-binary @"$BATS_TEST_TMPDIR/big" "$FAKE_URL/api/chat"
	[ "$(jq -r .prompt_eval_count <<< "$output")" = $(($(stat -c %s "$BATS_TEST_TMPDIR/big") / 4)) ]
	run -0 fake_requests
	[ "$(jq -r '.headers.expect' <<< "${lines[0]}")" = 100-continue ]
	[ "$(jq -r '.body.pad | length' <<< "${lines[0]}")" = 300000 ]
	[ "$(jq -r '.body.pad | length' <<< "${lines[1]}")" = 300000 ]
	# two requests on one connection
	run -0 curl -s -w '%{num_connects}\n' -o /dev/null -o /dev/null "$FAKE_URL/api/tags" "$FAKE_URL/api/tags"
	[ "$output" = $'1\n0' ]
	[ "$(fake_requests | wc -l)" = 4 ]
}

@test "the server exits by itself after --lifetime, and at once on SIGTERM" {
	FAKE_LIFETIME=1 fake_start
	run -0 curl -s "$FAKE_URL/"
	for i in $(seq 50); do fake_running || break; sleep 0.1; done
	! fake_running
	run -7 curl -s "$FAKE_URL/"
	fake_stop

	# SIGTERM also ends the connection children: a hanging reply ends
	fake_start hang
	start=$(date +%s%N)
	curl -s --max-time 10 --data-binary '{}' "$FAKE_URL/api/chat" > /dev/null 3>&- &
	curl_pid=$!
	for i in $(seq 100); do [ -s "$FAKE_LOG" ] && break; sleep 0.02; done
	kill "$FAKE_PID"
	wait "$curl_pid" || true
	[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 5000 ]
	! fake_running
}

@test "a bad script is refused at start with the line named" {
	printf 'text=ok\nstatus=abc\n' > "$BATS_TEST_TMPDIR/script"
	run -2 "$ROOT/build/fakeprov" --port-file "$BATS_TEST_TMPDIR/port" --script "$BATS_TEST_TMPDIR/script"
	[[ "$output" == *"script:2: 'status' needs a whole number"* ]]
	printf 'frobnicate\n' > "$BATS_TEST_TMPDIR/script"
	run -2 "$ROOT/build/fakeprov" --port-file "$BATS_TEST_TMPDIR/port" --script "$BATS_TEST_TMPDIR/script"
	[[ "$output" == *"unknown item 'frobnicate'"* ]]
	printf 'body=/nonexistent.sse\n' > "$BATS_TEST_TMPDIR/script"
	run -2 "$ROOT/build/fakeprov" --port-file "$BATS_TEST_TMPDIR/port" --script "$BATS_TEST_TMPDIR/script"
	[ ! -e "$BATS_TEST_TMPDIR/port" ]
}
