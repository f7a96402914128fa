#!/usr/bin/env bats
# The OpenAI Responses API (provider openai-responses, type = openai-responses)
# and Gemini's JSON-array stream (stream-format = json-array): every recording
# replayed through chat-send against fakeprov, checked against what jq reads
# from the recording itself; the request as fakeprov logged it; errors, cut
# streams, the config.

load helper
load send

OKEY=sk-test-Rsp5ResponsesKey

# The recordings of one directory, or skip saying so.
recordings() {
	[ -d "$PROVIDER_STREAMS/$1" ] ||
		skip "the recorded provider responses are missing: no $PROVIDER_STREAMS/$1 (../shared/fixtures)"
}

point_responses() { export OPENAI_BASE_URL=$FAKE_URL/v1 OPENAI_API_KEY=$OKEY; }

# The data payloads of an SSE recording, one JSON a line.
events_of() { grep '^data:' "$1" | sed 's/^data: \{0,1\}//' | tr -d '\r'; }

# What a Responses stream says, read with jq from its events (as an array):
# the text deltas, and the final response's model, usage and status.
RESP_STREAM_WANT='(map(select(.type == "response.completed" or .type == "response.incomplete")) | last | .response) as $r
	| {content: (map(select(.type == "response.output_text.delta") | .delta) | join("")),
	   model: $r.model, inputTokens: $r.usage.input_tokens, outputTokens: $r.usage.output_tokens,
	   stopReason: ($r.incomplete_details.reason // $r.status),
	   cacheRead: $r.usage.input_tokens_details.cached_tokens,
	   reasoningTokens: $r.usage.output_tokens_details.reasoning_tokens,
	   usage: $r.usage}'
# A whole reply: the same from its output array.
RESP_WHOLE_WANT='{content: ([.output[] | select(.type == "message") | .content[] | select(.type == "output_text") | .text] | join("")),
	   model, inputTokens: .usage.input_tokens, outputTokens: .usage.output_tokens,
	   stopReason: (.incomplete_details.reason // .status),
	   cacheRead: .usage.input_tokens_details.cached_tokens,
	   reasoningTokens: .usage.output_tokens_details.reasoning_tokens,
	   usage}'
# The parts a reply must have: reasoning and function calls in output order,
# text between them; none at all when it is only text.
PARTS_WANT='[.output[] | if .type == "message" then ({type: "text", text: ([.content[] | select(.type == "output_text") | .text] | join(""))} | select(.text != ""))
	elif .type == "function_call" then {type: "tool_use", id: .call_id, name, input: (.arguments | fromjson), provider: "openai-responses"}
	elif .type == "reasoning" then {type: "reasoning", id, summary: ([.summary[]?.text] | join("\n\n")), provider: "openai-responses"}
		+ (if .encrypted_content then {encryptedContent: .encrypted_content} else {} end)
	else empty end] | if all(.type == "text") then null else . end'

# The stored assistant message $1 (a record) against the wanted facts $2.
stored_is() {
	local got want
	got=$(jq -cS '{content, model: .metadata.model, inputTokens: .metadata.inputTokens,
		outputTokens: .metadata.outputTokens, stopReason: .metadata.stopReason,
		incomplete: .metadata.incomplete}' <<< "$1")
	want=$(jq -cS '{content, model, inputTokens, outputTokens, stopReason, incomplete: false}' <<< "$2")
	[ "$got" = "$want" ] || { printf 'got:  %s\nwant: %s\n' "$got" "$want"; return 1; }
}

# The parts and usage fields, where the store keeps them (the parts branch's
# schema); said and passed over where it does not yet.
extras_are() {
	local m=$1 want=$2 parts=$3
	if ! store_sql 'SELECT parts FROM messages LIMIT 0' 2> /dev/null; then
		echo "# no messages.parts column in this store: parts and usage not checked" >&3
		return 0
	fi
	[ "$(jq -cS '.parts // null' <<< "$m")" = "$(jq -cS . <<< "$parts")" ] ||
		{ echo "parts: $(jq -c .parts <<< "$m") want $parts"; return 1; }
	[ "$(jq -cS '[.metadata.cacheReadTokens, .metadata.reasoningTokens, .metadata.usage]' <<< "$m")" = \
		"$(jq -cS '[.cacheRead, .reasoningTokens, .usage]' <<< "$want")" ] ||
		{ echo "usage: $(jq -c .metadata <<< "$m") want $want"; return 1; }
}

# The newest assistant message, as chat-show --json writes it.
newest_reply() {
	local sid id
	sid=$(store_sql 'SELECT id FROM sessions ORDER BY n DESC LIMIT 1')
	id=$(store_sql "SELECT id FROM messages WHERE role = 'assistant' ORDER BY n DESC LIMIT 1")
	chat-show --json "$sid" -M "$id"
}

@test "every recorded Responses stream replays to its exact text, usage, model, stop reason and parts" {
	recordings openai-responses
	files=("$PROVIDER_STREAMS"/openai-responses/*.sse)
	[ "${#files[@]}" -ge 3 ]
	script=()
	for f in "${files[@]}"; do script+=("body=$f"); done
	serve "${script[@]}"
	point_responses
	# the recorded call is kept, not answered: 175 answers it
	config <<< 'tools = off'
	for f in "${files[@]}"; do
		want=$(events_of "$f" | jq -sc "$RESP_STREAM_WANT")
		parts=$(events_of "$f" | jq -sc 'map(select(.type == "response.completed")) | last | .response | '"$PARTS_WANT")
		status=0
		chat-send -p openai-responses --new "replay ${f##*/}" < /dev/null > "$OUT" 2> "$ERR" || status=$?
		exit_is 0
		[ ! -s "$ERR" ] || { echo "$f: $(< "$ERR")"; return 1; }
		m=$(newest_reply)
		stored_is "$m" "$want" || { echo "replaying $f"; return 1; }
		extras_are "$m" "$want" "$parts" || { echo "replaying $f"; return 1; }
		# what was shown is the reply's text
		[ "$(jq -Rsc . "$OUT")" = "$(jq -c '.content | if . == "" or endswith("\n") then . else . + "\n" end' <<< "$want")" ]
		[ "$(fake_requests | tail -n 1 | jq -r .path)" = /v1/responses ]
	done
	[ "$(requests)" = "${#files[@]}" ]
	# the tool call is the recording's: name and arguments, parsed
	[ "$(events_of "$PROVIDER_STREAMS/openai-responses/responses-stream-tool-call.sse" |
		jq -sc 'map(select(.type == "response.output_item.done") | .item | [.name, (.arguments | fromjson)])')" = \
		'[["multiply",{"a":1231,"b":2331}]]' ]
}

@test "the recorded whole reply replays with --no-stream, from the output array" {
	recordings openai-responses
	f=$PROVIDER_STREAMS/openai-responses/responses-nonstream.json
	serve "body=$f"
	point_responses
	want=$(jq -c "$RESP_WHOLE_WANT" "$f")
	[ "$(jq -r .content <<< "$want")" = pong ]
	send_new() { chat-send -p openai-responses --no-stream --new "ping" < /dev/null > "$OUT" 2> "$ERR"; }
	run -0 send_new
	m=$(newest_reply)
	stored_is "$m" "$want"
	extras_are "$m" "$want" "$(jq -c "$PARTS_WANT" "$f")"
	[ "$(< "$OUT")" = pong ]
	# asked for whole: no stream in the body
	[ "$(fake_requests | jq -c '.body | [.stream, .model, .input]')" = \
		'[null,"gpt-4o-mini",[{"role":"user","content":[{"type":"input_text","text":"ping"}]}]]' ]
}

@test "the recorded 401: exit 9, the provider's own message, only the question stored" {
	recordings openai-responses
	f=$PROVIDER_STREAMS/openai-responses/error-401-invalid-api-key.json
	serve "status=401 body=$f"
	point_responses
	SID=$(new_session -p openai-responses -m gpt-test)
	send hi
	exit_is 9
	error_says "$(jq -r .error.message "$f")"
	[ "${#stderr_lines[@]}" = 1 ]
	[[ "$stderr" != *"$OKEY"* ]]
	[ "$(requests)" = 1 ]
	[ "$(fake_requests | jq -r .headers.authorization)" = "Bearer $OKEY" ]
	only_user_stored
}

@test "the request: instructions, max_output_tokens, temperature, earlier replies as output_text, images as input_image" {
	serve "text=first" "text=second"
	point_responses
	SID=$(new_session -p openai-responses -m gpt-test)
	send -S "Be brief." --temperature 0.5 --max-tokens 300 "one"
	exit_is 0
	[ "$(< "$OUT")" = first ]
	printf '\x89PNG\r\n\x1a\n' > "$BATS_TEST_TMPDIR/dot.png"
	b64=$(base64 -w0 < "$BATS_TEST_TMPDIR/dot.png")
	send -a "$BATS_TEST_TMPDIR/dot.png" "two"
	exit_is 0
	[ "$(< "$OUT")" = second ]
	fake_requests | head -n 1 | jq -c .body > "$BATS_TEST_TMPDIR/b1"
	[ "$(jq -c '[.model, .instructions, .temperature, .max_output_tokens, .stream, has("messages")]' "$BATS_TEST_TMPDIR/b1")" = \
		'["gpt-test","Be brief.",0.5,300,true,false]' ]
	[ "$(jq -c .input "$BATS_TEST_TMPDIR/b1")" = '[{"role":"user","content":[{"type":"input_text","text":"one"}]}]' ]
	want=$(jq -nc --arg u "data:image/png;base64,$b64" '[
		{role: "user", content: [{type: "input_text", text: "one"}]},
		{role: "assistant", content: [{type: "output_text", text: "first"}]},
		{role: "user", content: [{type: "input_text", text: "two"}, {type: "input_image", image_url: $u}]}]')
	[ "$(fake_requests | tail -n 1 | jq -c .body.input)" = "$want" ]
	[ "$(fake_requests | tail -n 1 | jq -r .path)" = /v1/responses ]
	[ "$(fake_requests | tail -n 1 | jq -r .headers.accept)" = text/event-stream ]
}

@test "fakeprov's own Responses replies: streamed and whole, to the letter, usage and stop reason" {
	serve "text=$ENC" "text=$ENC" "gen-bytes=100000"
	point_responses
	SID=$(new_session -p openai-responses -m gpt-test)
	send hi
	exit_is 0
	[ "$(< "$OUT")" = "$TEXT" ]
	m=$(reply)
	[ "$(jq -c '[.metadata.model, .metadata.stopReason, .metadata.incomplete, .metadata.outputTokens > 5]' <<< "$m")" = \
		'["gpt-test","completed",false,true]' ]
	SID=$(new_session -p openai-responses -m gpt-test)
	send --no-stream hi
	exit_is 0
	[ "$(< "$OUT")" = "$TEXT" ]
	SID=$(new_session -p openai-responses -m gpt-test)
	send hi
	exit_is 0
	[ "$(reply | jq -c '[(.content | length), (.content | startswith("Lorem ipsum dolor sit amet")), .metadata.outputTokens]')" = \
		"$(jq -nc '[100000, true, 100]')" ]
	head -c 100000 "$OUT" | cmp - <(reply | jq -j .content)
}

@test "a Responses stream cut mid-reply keeps the part shown, marked incomplete; an error event says the provider's words" {
	serve "text=$ENC cut=1500" "text=$ENC error-event=The%20model%20melted" "text=never"
	point_responses
	SID=$(new_session -p openai-responses -m gpt-test)
	send hi
	exit_is 11
	[ "$(requests)" = 1 ]
	partial_stored error
	SID=$(new_session -p openai-responses -m gpt-test)
	send hi
	exit_is 8
	error_says "The model melted"
	partial_stored error
	[ "$(requests)" = 2 ]
}

@test "status errors in OpenAI's shape: the provider's message, the documented exits" {
	serve "status=400 text=Unsupported%20parameter%3A%20temperature" "status=429" "status=429" "status=429"
	point_responses
	SID=$(new_session -p openai-responses -m gpt-test)
	send hi
	exit_is 8
	error_says "Unsupported parameter: temperature"
	only_user_stored
	send --retries 2 --retry-time 1 hi
	exit_is 10
}

@test "a malformed event is skipped and the reply goes on" {
	serve "text=$ENC malformed"
	point_responses
	SID=$(new_session -p openai-responses -m gpt-test)
	send hi
	[ "$(< "$OUT")" = "$TEXT" ]
}

@test "type = openai-responses in a config section: its own key variable and base-url" {
	serve "text=from%20the%20section"
	config <<-EOF
	[azure-resp]
	type = openai-responses
	base-url = $FAKE_URL/v1
	api-key-env = AZ_KEY
	model = my-deployment
	EOF
	export AZ_KEY=az-test-Kq8Key OPENAI_API_KEY=$OKEY
	run -0 --separate-stderr chat-send -p azure-resp --new hi
	[ "$output" = "from the section" ]
	[ "$(fake_requests | jq -c '[.path, .headers.authorization, .body.model]')" = \
		'["/v1/responses","Bearer az-test-Kq8Key","my-deployment"]' ]
	# chat-ls and chat-show say who answered
	run -0 chat-ls --json --limit 1
	[ "$(jq -r .provider <<< "$output")" = azure-resp ]
	run -0 chat-ls
	[[ "$output" == *azure-resp* ]]
	run -0 chat-show "$(jq -r .id <<< "$(chat-ls --json --limit 1)")"
	[[ "$output" == *"from the section"* ]]
}

@test "chat-ls and chat-show show the built-in provider openai-responses" {
	serve "text=shown"
	point_responses
	run -0 --separate-stderr chat-send -p openai-responses --new hi
	sid=$(chat-ls --json --limit 1 | jq -r .id)
	run -0 chat-ls
	[[ "$output" == *openai-responses* ]]
	run -0 chat-show --json "$sid"
	[ "$(jq -sc 'map(.metadata.provider // empty)' <<< "$output")" = '["openai-responses"]' ]
	run -0 chat-show "$sid"
	[[ "$output" == *openai-responses* ]]
	# a built-in: it needs OpenAI's key at OpenAI's address
	unset OPENAI_API_KEY OPENAI_BASE_URL
	run -9 --separate-stderr chat-send -p openai-responses --new hi
	[[ "$stderr" == *OPENAI_API_KEY* ]]
}

# ---- Gemini's JSON-array stream ----

GEMINI_ARRAY_WANT='{
	content: ([.[] | .candidates[0].content.parts[]? | select(.thought != true) | .text // empty] | join("")),
	model: (map(.modelVersion // empty) | last),
	inputTokens: (map(.usageMetadata.promptTokenCount // empty) | last),
	outputTokens: (map(.usageMetadata | select(.candidatesTokenCount != null)
		| .candidatesTokenCount + (.thoughtsTokenCount // 0)) | last),
	stopReason: (map(.candidates[0].finishReason // empty) | last)}'

point_gemini_array() {
	config <<-EOF
	[gemini]
	stream-format = json-array
	EOF
	export GOOGLE_GEMINI_BASE_URL=$FAKE_URL GEMINI_API_KEY=k-gem
}

@test "stream-format = json-array: the recorded Gemini array replays exactly, asked without alt=sse" {
	recordings gemini
	f=$PROVIDER_STREAMS/gemini/stream-json-array-thinking.json
	serve "body=$f"
	point_gemini_array
	want=$(jq -c "$GEMINI_ARRAY_WANT" "$f")
	[ "$(jq -r .content <<< "$want")" = Scoop ]
	run -0 --separate-stderr chat-send -p gemini -m gemini-flash-latest --new "pelican"
	[ -z "$stderr" ]
	[ "$output" = Scoop ]
	stored_is "$(newest_reply)" "$want"
	[ "$(fake_requests | jq -c '[.path, .query]')" = \
		'["/v1beta/models/gemini-flash-latest:streamGenerateContent",""]' ]
	# the same elements as an SSE stream (which 166 checks against jq) give
	# the same message: parts (the thought, its signature), usage and all
	jq -c '.[]' "$f" | while IFS= read -r e; do printf 'data: %s\r\n\r\n' "$e"; done > "$BATS_TEST_TMPDIR/same.sse"
	fake_stop
	serve "body=$BATS_TEST_TMPDIR/same.sse"
	array=$(newest_reply | jq -cS '{content, parts, metadata: (.metadata | del(.processing_time))}')
	printf '[gemini]\nstream-format = sse\n' > "$XDG_CONFIG_HOME/confab/config"
	run -0 --separate-stderr chat-send -p gemini -m gemini-flash-latest --new "pelican"
	[ "$output" = Scoop ]
	[ "$(fake_requests | jq -r .query)" = alt=sse ]
	sse=$(newest_reply | jq -cS '{content, parts, metadata: (.metadata | del(.processing_time))}')
	[ "$array" = "$sse" ] || { printf 'array: %s\nsse:   %s\n' "$array" "$sse"; return 1; }
	# the last text part is the empty one that carries the thoughtSignature
	[ "$(jq -c '[.parts[] | [.type, (.thoughtSignature | length)]]' <<< "$array")" = \
		"$(jq -c '[["thinking", 0], ["text", 0], ["text", ([.[] | .candidates[0].content.parts[] | .thoughtSignature // empty][0] | length)]]' "$f")" ]
	[ "$(jq -c '.metadata.usage.thoughtsTokenCount' <<< "$array")" = 291 ]
}

@test "stream-format = json-array: fakeprov's array, whole and cut; sse and unset stay SSE; another value is a config error" {
	serve "text=$ENC" "text=$ENC cut=700" "text=never" "text=$ENC" "text=$ENC"
	point_gemini_array
	SID=$(new_session -p gemini -m gemini-test)
	send hi
	exit_is 0
	[ "$(< "$OUT")" = "$TEXT" ]
	[ "$(fake_requests | jq -r .query)" = "" ]
	[ "$(reply | jq -c '[.metadata.stopReason, .metadata.model, .metadata.incomplete]')" = '["STOP","gemini-test",false]' ]
	SID=$(new_session -p gemini -m gemini-test)
	send hi
	exit_is 11
	partial_stored error
	printf '[gemini]\nstream-format = sse\n' > "$XDG_CONFIG_HOME/confab/config"
	SID=$(new_session -p gemini -m gemini-test)
	send hi
	exit_is 0
	[ "$(fake_requests | tail -n 1 | jq -r .query)" = alt=sse ]
	printf '[gemini]\nmodel = gemini-test\n' > "$XDG_CONFIG_HOME/confab/config"
	SID=$(new_session -p gemini -m gemini-test)
	send hi
	exit_is 0
	[ "$(fake_requests | tail -n 1 | jq -r .query)" = alt=sse ]
	printf '[gemini]\nstream-format = xml\n' > "$XDG_CONFIG_HOME/confab/config"
	n=$(requests)
	send hi
	exit_is 7
	error_says "stream-format"
	[ "$(requests)" = "$n" ]
	# only Gemini has an array to give
	printf '[openai]\nstream-format = json-array\n' > "$XDG_CONFIG_HOME/confab/config"
	export OPENAI_BASE_URL=$FAKE_URL/v1 OPENAI_API_KEY=k
	SID=$(new_session -p openai -m gpt-test)
	send hi
	exit_is 7
	error_says "stream-format must be sse"
}

# A Responses stream with a reasoning item (summary in two parts, encrypted
# content) before the text, as gpt-5 sends it with include
# reasoning.encrypted_content.
reasoning_stream() {
	local e
	for e in \
		'response.created|{"response":{"model":"gpt-5-test","status":"in_progress","usage":null}}' \
		'response.output_item.added|{"output_index":0,"item":{"id":"rs_7","type":"reasoning","summary":[]}}' \
		'response.reasoning_summary_part.added|{"item_id":"rs_7","summary_index":0,"part":{"type":"summary_text","text":""}}' \
		'response.reasoning_summary_text.delta|{"item_id":"rs_7","delta":"Adding "}' \
		'response.reasoning_summary_text.delta|{"item_id":"rs_7","delta":"numbers."}' \
		'response.reasoning_summary_part.added|{"item_id":"rs_7","summary_index":1,"part":{"type":"summary_text","text":""}}' \
		'response.reasoning_summary_text.delta|{"item_id":"rs_7","delta":"Easy."}' \
		'response.output_item.done|{"output_index":0,"item":{"id":"rs_7","type":"reasoning","summary":[{"type":"summary_text","text":"Adding numbers."},{"type":"summary_text","text":"Easy."}],"encrypted_content":"gAAAAB-opaque=="}}' \
		'response.output_item.added|{"output_index":1,"item":{"id":"msg_7","type":"message","content":[],"role":"assistant"}}' \
		'response.output_text.delta|{"item_id":"msg_7","delta":"It is "}' \
		'response.output_text.delta|{"item_id":"msg_7","delta":"4."}' \
		'response.output_text.done|{"item_id":"msg_7","text":"It is 4."}' \
		'response.output_item.done|{"output_index":1,"item":{"id":"msg_7","type":"message","content":[{"type":"output_text","text":"It is 4."}],"role":"assistant"}}' \
		'response.completed|{"response":{"model":"gpt-5-test","status":"completed","output":[{"id":"rs_7","type":"reasoning","summary":[{"type":"summary_text","text":"Adding numbers."},{"type":"summary_text","text":"Easy."}],"encrypted_content":"gAAAAB-opaque=="},{"id":"msg_7","type":"message","content":[{"type":"output_text","text":"It is 4."}],"role":"assistant"}],"usage":{"input_tokens":20,"input_tokens_details":{"cached_tokens":8},"output_tokens":30,"output_tokens_details":{"reasoning_tokens":24},"total_tokens":50}}}'; do
		printf 'event: %s\ndata: %s\n\n' "${e%%|*}" "$(jq -c --arg t "${e%%|*}" '{type: $t} + .' <<< "${e#*|}")"
	done
}

@test "reasoning and tool calls are kept as parts, and go back as input items in the next request" {
	recordings openai-responses
	reasoning_stream > "$BATS_TEST_TMPDIR/reasoning.sse"
	serve "body=$BATS_TEST_TMPDIR/reasoning.sse" "body=$PROVIDER_STREAMS/openai-responses/responses-stream-tool-call.sse" "text=done"
	point_responses
	# the call goes back as it came, unanswered: 175 answers calls
	config <<< 'tools = off'
	SID=$(new_session -p openai-responses -m gpt-5-test)
	send "2+2?"
	exit_is 0
	[ "$(< "$OUT")" = "It is 4." ]
	f=$BATS_TEST_TMPDIR/reasoning.sse
	want=$(events_of "$f" | jq -sc "$RESP_STREAM_WANT")
	parts=$(events_of "$f" | jq -sc 'map(select(.type == "response.completed")) | last | .response | '"$PARTS_WANT")
	[ "$(jq -c '.[0]' <<< "$parts")" = \
		'{"type":"reasoning","id":"rs_7","summary":"Adding numbers.\n\nEasy.","provider":"openai-responses","encryptedContent":"gAAAAB-opaque=="}' ]
	m=$(reply)
	stored_is "$m" "$want"
	extras_are "$m" "$want" "$parts"
	[ "$(jq -c '[.metadata.cacheReadTokens, .metadata.reasoningTokens]' <<< "$m")" = '[8,24]' ]
	send "multiply"
	exit_is 0
	send "and?"
	exit_is 0
	# the reasoning item by id with its encrypted content, then the text;
	# the call, never answered (no tool was offered), is left out, as
	# cf_tool_pairs leaves every call without its result: the API refuses
	# a function_call with no function_call_output
	[ "$(fake_requests | tail -n 1 | jq -c '.body.input')" = "$(jq -nc '[
		{role: "user", content: [{type: "input_text", text: "2+2?"}]},
		{type: "reasoning", id: "rs_7", summary: [{type: "summary_text", text: "Adding numbers.\n\nEasy."}],
		 encrypted_content: "gAAAAB-opaque=="},
		{role: "assistant", content: [{type: "output_text", text: "It is 4."}]},
		{role: "user", content: [{type: "input_text", text: "multiply"}]},
		{role: "user", content: [{type: "input_text", text: "and?"}]}]')" ]
	# it is kept in the store all the same
	[ "$(chat-show --json "$SID" | jq -sc '[.[].parts[]? | select(.type == "tool_use") | .id]')" = '["call_sVidsfFJ6zlzRpelrPkTPlpd"]' ]
	# the same session sent to OpenAI Chat Completions: no reasoning item
	export OPENAI_BASE_URL=$FAKE_URL/v1
	run -0 --separate-stderr chat-send -s "$SID" -p openai "last"
	[ "$(fake_requests | tail -n 1 | jq -r .path)" = /v1/chat/completions ]
	fake_requests | tail -n 1 | grep -q 'It is 4'
	not grep -q 'opaque\|rs_7\|Adding numbers' <(fake_requests | tail -n 1)
}

@test "a reply cut in its reasoning: the reasoning item, with no item after it, does not go back" {
	reasoning_stream > "$BATS_TEST_TMPDIR/reasoning.sse"
	n=$(grep -b -o 'Easy' "$BATS_TEST_TMPDIR/reasoning.sse" | head -1 | cut -d: -f1)
	serve "body=$BATS_TEST_TMPDIR/reasoning.sse cut=$n" "text=done"
	point_responses
	SID=$(new_session -p openai-responses -m gpt-5-test)
	send --retries 0 "2+2?"
	[ "$status" -ne 0 ]
	[ "$(reply | jq -r '.parts[0].type')" = reasoning ]
	send "again"
	exit_is 0
	# the API refuses a reasoning item without the item it goes with
	[ "$(fake_requests | tail -n 1 | jq -c '[.body.input[] | select(.type == "reasoning")] | length')" = 0 ]
}

@test "fakeprov's /v1/responses: the event sequence, the whole reply and the error shape" {
	serve "text=Hello%20there%20friend" "text=Whole%20one" "status=401"
	post() { curl -sS -H 'Content-Type: application/json' -d "$1" "$FAKE_URL/v1/responses"; }
	run -0 post '{"model":"m-1","input":[],"stream":true}'
	events=$(grep '^data:' <<< "$output" | sed 's/^data: //')
	[ "$(jq -sc 'map(.type) | unique' <<< "$events")" = \
		'["response.completed","response.content_part.added","response.created","response.in_progress","response.output_item.added","response.output_item.done","response.output_text.delta","response.output_text.done"]' ]
	[ "$(grep '^event:' <<< "$output" | sed 's/^event: //' | jq -Rsc 'split("\n")[:-1]')" = "$(jq -sc 'map(.type)' <<< "$events")" ]
	[ "$(jq -sc '[map(.sequence_number) == [range(length)],
		(map(select(.type == "response.output_text.delta") | .delta) | join("")),
		(map(select(.type == "response.output_text.delta")) | length),
		(last | .response | [.status, .model, .usage.output_tokens, .output[0].content[0].text])]' <<< "$events")" = \
		'[true,"Hello there friend",3,["completed","m-1",3,"Hello there friend"]]' ]
	run -0 post '{"model":"m-2","input":[]}'
	[ "$(jq -c '[.object, .status, .model, .output[0].content[0].text, .usage.output_tokens, .usage.input_tokens_details.cached_tokens]' <<< "$output")" = \
		'["response","completed","m-2","Whole one",2,0]' ]
	run -0 curl -sS -o "$BATS_TEST_TMPDIR/e" -w '%{http_code}' -H 'Content-Type: application/json' -d '{}' "$FAKE_URL/v1/responses"
	[ "$output" = 401 ]
	[ "$(jq -c '.error | [.type, .code, (.message | type)]' "$BATS_TEST_TMPDIR/e")" = '["invalid_request_error","invalid_api_key","string"]' ]
}
