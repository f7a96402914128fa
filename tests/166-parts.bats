#!/usr/bin/env bats
# Typed parts and usage: every recorded reply of the protocols chat-send
# speaks replays through it against fakeprov, and the stored message's
# parts (thinking and signatures, tool calls, server tools, citations,
# Gemini's thoughtSignature) and usage (the provider's object whole, the
# cache and reasoning counts) are what a jq program written here reads
# from the recording itself.  Then the parts go back: a signature as it
# came, tool calls in each protocol's wire form, another protocol's
# thinking left out.  The store keeps them through records, branches,
# merges and imports.

load helper

setup() {
	common_setup
	[ -x "$ROOT/build/fakeprov" ] || {
		echo "build/fakeprov is missing: make build/fakeprov" >&2
		return 1
	}
	OUT="$BATS_TEST_TMPDIR/stdout"
	export CONFAB_PRICING="$ROOT/share/confab/pricing.json"
}

teardown() {
	fake_stop
}

# The same JSON value, whatever the key order.
same_json() {
	local a b
	a=$(jq -cS . <<< "$1") && b=$(jq -cS . <<< "$2") || return 1
	[ "$a" = "$b" ] || { printf 'got:  %s\nwant: %s\n' "$a" "$b"; return 1; }
}

need_fixtures() {
	[ -d "$PROVIDER_STREAMS" ] ||
		skip "the recorded provider responses are missing: no $PROVIDER_STREAMS (../shared/fixtures)"
}

use_all() {
	export ANTHROPIC_BASE_URL=$FAKE_URL ANTHROPIC_API_KEY=k \
		OPENAI_BASE_URL=$FAKE_URL/v1 OPENAI_API_KEY=k \
		GOOGLE_GEMINI_BASE_URL=$FAKE_URL GEMINI_API_KEY=k \
		OLLAMA_HOST=127.0.0.1:$FAKE_PORT
	config <<-EOF
	[mistral]
	type = openai
	base-url = $FAKE_URL/v1
	EOF
}

# A recording's events as a JSON array: SSE data payloads (no [DONE]),
# JSON lines, or the one document of a whole reply.
events() {
	case $1 in
	*.sse) grep '^data:' "$1" | sed 's/^data: \{0,1\}//' | tr -d '\r' | grep -v '^\[DONE\]$' | jq -sc . ;;
	*.ndjson) jq -sc . "$1" ;;
	*) jq -sc . "$1" ;;
	esac
}

# ---- what a recording says, in jq, from the protocols' documents ----

# Shared: a list of pieces, in the order they came, made into parts.
# {k:"text", s} is reply text (adjacent ones one part); {k:"think", s,
# sig?} a thought (joined to the one before while nothing but empty text
# came between and that one has no Gemini signature); {k:"part", p} a part of its own;
# {k:"tool", i, id?, name?, args} a streamed tool call piece (the pieces
# of one index one part, arguments joined, parsed at the end).  A reply
# of text alone has no parts (null).
PIECES='
def provider($p): . + {provider: $p};
def parse_input: if has("inputJson") then
	(.inputJson | if test("^\\s*$") then {} else fromjson end) as $in
	| del(.inputJson) + {input: $in} else . end;
def to_parts($prov):
	reduce .[] as $x ([];
		(if length > 0 then .[-1] else null end) as $last
		| if $x.k == "text" then
			if $x.s == "" then .
			elif $last != null and $last.type == "text" and ($last | has("provider") | not)
			then .[-1].text += $x.s
			else . + [{type: "text", text: $x.s}] end
		elif $x.k == "think" then
			if $last != null and $last.type == "thinking" and $last._open
				and ($last | has("thoughtSignature") | not)
			then .[-1].thinking += $x.s
			else . + [{type: "thinking", thinking: $x.s, _open: true} | provider($prov)] end
			| if $x.sig then .[-1].thoughtSignature = $x.sig else . end
		elif $x.k == "tool" then
			if $last != null and $last.type == "tool_use" and $last._index == $x.i
			then .[-1].inputJson += $x.args
			else . + [{type: "tool_use", input: {}, _index: $x.i, inputJson: $x.args} | provider($prov)] end
			| if $x.id then .[-1].id = $x.id else . end
			| if $x.name then .[-1].name = $x.name else . end
		else . + [$x.p] end
		| if $x.k != "think" and ($x.k != "text" or $x.s != "")
		  then map(del(._open)) else . end)
	| map(del(._open, ._index) | parse_input)
	| if all(.type == "text" and (has("provider") | not)) then null else . end;
'

# Anthropic: content blocks by index; a text block is plain text unless it
# carries citations (then a part of its own, its citations pushed).
ANTHROPIC_PARTS=$PIECES'
def blocks: . as $ev
	| [$ev[] | select(.type == "content_block_start")] | map(
		.index as $i | .content_block as $b
		| [$ev[] | select(.type == "content_block_delta" and .index == $i) | .delta] as $d
		| if $b.type == "text" and ($b | has("citations") | not)
			and ($d | map(select(.type == "citations_delta")) | length == 0)
		then {k: "text", s: ($b.text + ($d | map(select(.type == "text_delta") | .text) | join("")))}
		elif $b.type == "text" then {k: "part", p: ($b | del(.text) + {
			citations: (($b.citations // []) + ($d | map(select(.type == "citations_delta") | .citation))),
			text: ($d | map(select(.type == "text_delta") | .text) | join(""))} | provider("anthropic"))}
		else {k: "part", p: ($b
			| if ($d | map(select(.type == "thinking_delta")) | length > 0)
			  then .thinking += ($d | map(select(.type == "thinking_delta") | .thinking) | join("")) else . end
			| if ($d | map(select(.type == "signature_delta")) | length > 0)
			  then .signature += ($d | map(select(.type == "signature_delta") | .signature) | join("")) else . end
			| if ($d | map(select(.type == "input_json_delta")) | length > 0)
			  then .inputJson = ($d | map(select(.type == "input_json_delta") | .partial_json) | join("")) else . end
			| provider("anthropic"))}
		end);
def usage: reduce (.[] | if .type == "message_start" then .message.usage
	elif .type == "message_delta" then .usage else empty end) as $u ({}; . + $u);
def counts($u): {
	inputTokens: ($u.input_tokens + ($u.cache_read_input_tokens // 0) + ($u.cache_creation_input_tokens // 0)),
	outputTokens: $u.output_tokens,
	cacheReadTokens: $u.cache_read_input_tokens,
	cacheWrite5mTokens: (if $u.cache_creation then $u.cache_creation.ephemeral_5m_input_tokens // 0
		else $u.cache_creation_input_tokens end),
	cacheWrite1hTokens: (if $u.cache_creation then $u.cache_creation.ephemeral_1h_input_tokens // 0
		elif $u.cache_creation_input_tokens then 0 else null end),
	reasoningTokens: null};
if .[0].type == "message" then
	# a whole reply: its blocks as they are
	.[0] | {parts: ([.content[] | if .type == "text" and (has("citations") | not) then {k: "text", s: .text}
			else {k: "part", p: (provider("anthropic"))} end] | to_parts("anthropic")),
		usage: .usage, content: ([.content[] | select(.type == "text") | .text] | join(""))} + counts(.usage)
else
	usage as $u | {parts: (blocks | to_parts("anthropic")), usage: $u,
		content: (map(select(.type == "content_block_delta" and .delta.type == "text_delta") | .delta.text) | join(""))}
	+ counts($u)
end'

# OpenAI Chat Completions: the first choice; reasoning_content (or
# reasoning) as thoughts, tool_calls by index; usage where a chunk has it.
OPENAI_PARTS=$PIECES'
def counts($u): {inputTokens: $u.prompt_tokens, outputTokens: $u.completion_tokens,
	cacheReadTokens: $u.prompt_tokens_details.cached_tokens,
	cacheWrite5mTokens: null, cacheWrite1hTokens: null,
	reasoningTokens: $u.completion_tokens_details.reasoning_tokens};
def msg_pieces($m; $whole): [
	($m.reasoning_content // $m.reasoning // empty | select(. != "") | {k: "think", s: .}),
	($m.content // empty | {k: "text", s: .}),
	($m.tool_calls // [] | to_entries[] | .key as $n | .value
		| {k: "tool", i: (if $whole then "w\($n)" else .index end), id, name: .function.name,
		   args: (.function.arguments // "")})];
(reduce (.[] | .usage // empty | select(type == "object")) as $u (null; (. // {}) + $u)) as $u
| if .[0].object == "chat.completion" then
	.[0].choices[0].message as $m
	| {parts: (msg_pieces($m; true) | to_parts("openai")), usage: $u, content: ($m.content // "")}
else
	{parts: ([.[] | .choices[]? | select(.index == 0) | .delta | msg_pieces(.; false)[]] | to_parts("openai")),
	 usage: $u, content: ([.[] | .choices[]? | select(.index == 0) | .delta.content // empty] | join(""))}
end + counts($u)'

# Gemini: the first candidate's parts, thoughts and signatures as they came.
GEMINI_PARTS=$PIECES'
def piece: if .functionCall then {k: "part", p: ({type: "tool_use", name: .functionCall.name,
		input: (.functionCall.args // {})} + (if .functionCall.id then {id: .functionCall.id} else {} end)
		+ (if .thoughtSignature then {thoughtSignature} else {} end) | provider("gemini"))}
	elif .thought then {k: "think", s: (.text // ""), sig: .thoughtSignature}
	elif .thoughtSignature then {k: "part", p: ({type: "text", thoughtSignature, text: (.text // "")} | provider("gemini"))}
	else {k: "text", s: (.text // "")} end;
(reduce (.[] | .usageMetadata // empty) as $u (null; (. // {}) + $u)) as $u
| {parts: ([.[] | .candidates[0].content.parts[]? | piece] | to_parts("gemini")), usage: $u,
   content: ([.[] | .candidates[0].content.parts[]? | select(.thought != true and .functionCall == null) | .text // empty] | join("")),
   inputTokens: $u.promptTokenCount, outputTokens: ($u.candidatesTokenCount + ($u.thoughtsTokenCount // 0)),
   cacheReadTokens: $u.cachedContentTokenCount, cacheWrite5mTokens: null, cacheWrite1hTokens: null,
   reasoningTokens: $u.thoughtsTokenCount}'

# Ollama: message.thinking, message.content, message.tool_calls (whole);
# the counters of the lines that have them.
OLLAMA_PARTS=$PIECES'
(reduce (.[] | with_entries(select(.key | IN("total_duration", "load_duration", "prompt_eval_count",
	"prompt_eval_duration", "eval_count", "eval_duration")))
	| select(length > 0)) as $u (null; (. // {}) + $u)) as $u
| {parts: ([.[] | .message // {} | (.thinking // empty | select(. != "") | {k: "think", s: .}),
		(.content // empty | {k: "text", s: .}),
		(.tool_calls // [] | .[] | {k: "part", p: ({type: "tool_use", name: .function.name,
			input: .function.arguments} + (if .id then {id} else {} end) | provider("ollama"))})]
	| to_parts("ollama")), usage: $u, content: (map(.message.content // empty) | join("")),
   inputTokens: $u.prompt_eval_count, outputTokens: $u.eval_count,
   cacheReadTokens: null, cacheWrite5mTokens: null, cacheWrite1hTokens: null, reasoningTokens: null}'

# What chat-send stored, in the same shape.
GOT='{parts: (.parts // null), usage: (.metadata.usage // null), content,
	inputTokens: .metadata.inputTokens, outputTokens: .metadata.outputTokens,
	cacheReadTokens: .metadata.cacheReadTokens, cacheWrite5mTokens: .metadata.cacheWrite5mTokens,
	cacheWrite1hTokens: .metadata.cacheWrite1hTokens, reasoningTokens: .metadata.reasoningTokens}'

# replay PROVIDER PROGRAM FILE...: each file is the next reply; the
# stored message must be what PROGRAM reads from the recording.
# $NOSTREAM: --no-stream.  $CHECKED counts the parts compared.
replay() {
	local prov=$1 prog=$2 f want got script=() id
	shift 2
	for f in "$@"; do script+=("body=$f"); done
	fake_start "${script[@]}"
	use_all
	for f in "$@"; do
		want=$(events "$f" | jq -c "$prog") || { echo "bad recording or program: $f"; return 1; }
		run -0 --separate-stderr chat-send -p "$prov" ${NOSTREAM:-} --new "replay ${f##*/}" < /dev/null
		[ -z "$stderr" ] || { echo "$f: $stderr"; return 1; }
		id=$(store_sql "SELECT id FROM messages WHERE role = 'assistant' ORDER BY n DESC LIMIT 1")
		got=$(chat-show --json -M "$id" "$(store_sql 'SELECT id FROM sessions ORDER BY n DESC LIMIT 1')" | jq -c "$GOT")
		same_json "$got" "$want" || { echo "replaying $f"; diff <(jq -S . <<< "$want") <(jq -S . <<< "$got"); return 1; }
		# the column holds them too, and nothing for a reply of text alone
		if [ "$(jq -c .parts <<< "$want")" = null ]; then
			[ "$(store_sql "SELECT CASE WHEN parts IS NULL THEN 1 ELSE 0 END FROM messages WHERE id = '$id'")" = 1 ]
		else
			same_json "$(store_sql "SELECT parts FROM messages WHERE id = '$id'")" "$(jq -c .parts <<< "$want")"
		fi
		CHECKED=$((CHECKED + $(jq '.parts // [] | length' <<< "$want")))
	done
	fake_stop
}

# ---- replays ----

@test "Anthropic streams: thinking with its signature, tool_use inputs, server tools, citations, usage whole" {
	need_fixtures
	files=("$PROVIDER_STREAMS"/anthropic/*.sse)
	[ "${#files[@]}" -ge 4 ]
	CHECKED=0
	replay anthropic "$ANTHROPIC_PARTS" "${files[@]}"
	# what the recordings hold, so the program above cannot be vacuous
	[ "$CHECKED" -ge 10 ]
	f=$PROVIDER_STREAMS/anthropic/messages-stream-thinking.sse
	[ "$(events "$f" | jq -r "$ANTHROPIC_PARTS"' | .parts | map(.type) | join(",")')" = thinking,text ]
	[ "$(events "$f" | jq -r "$ANTHROPIC_PARTS"' | .parts[0].signature | length')" -gt 100 ]
	f=$PROVIDER_STREAMS/anthropic/messages-stream-tool-use.sse
	[ "$(events "$f" | jq -c "$ANTHROPIC_PARTS"' | [.parts[] | select(.type == "tool_use") | .input]')" = '[{},{}]' ]
	f=$PROVIDER_STREAMS/anthropic/messages-stream-web-search.sse
	[ "$(events "$f" | jq -c "$ANTHROPIC_PARTS"' | [.parts[] | .type] | unique')" = '["server_tool_use","text","web_search_tool_result"]' ]
	[ "$(events "$f" | jq -c "$ANTHROPIC_PARTS"' | [.parts[] | .citations // [] | length] | add')" -ge 5 ]
	[ "$(events "$f" | jq -c "$ANTHROPIC_PARTS"' | .usage.server_tool_use')" = '{"web_search_requests":1}' ]
}

@test "OpenAI Chat streams: tool calls by index, parallel ones apart, arguments parsed; usage whole" {
	need_fixtures
	files=("$PROVIDER_STREAMS"/openai-chat/*.sse)
	[ "${#files[@]}" -ge 4 ]
	CHECKED=0
	replay openai "$OPENAI_PARTS" "${files[@]}"
	[ "$CHECKED" -ge 3 ]
	f=$PROVIDER_STREAMS/openai-chat/chat-stream-parallel-tool-calls-include-usage.sse
	[ "$(events "$f" | jq -c "$OPENAI_PARTS"' | [.parts[] | select(.type == "tool_use") | .input | type]')" = '["object","object"]' ]
}

@test "an OpenAI-compatible stream (Mistral): cached prompt tokens counted apart" {
	need_fixtures
	files=("$PROVIDER_STREAMS"/openai-compatible/*.sse)
	[ "${#files[@]}" -ge 1 ]
	replay mistral "$OPENAI_PARTS" "${files[@]}"
	f=$PROVIDER_STREAMS/openai-compatible/mistral-stream.sse
	[ "$(events "$f" | jq "$OPENAI_PARTS"' | .cacheReadTokens')" -gt 0 ]
}

@test "Gemini SSE streams: thoughts as thinking, the thoughtSignature kept on its part" {
	need_fixtures
	files=("$PROVIDER_STREAMS"/gemini/stream-sse-*.sse)
	[ "${#files[@]}" -ge 2 ]
	CHECKED=0
	replay gemini "$GEMINI_PARTS" "${files[@]}"
	[ "$CHECKED" -ge 3 ]
	f=$PROVIDER_STREAMS/gemini/stream-sse-thinking.sse
	[ "$(events "$f" | jq -r "$GEMINI_PARTS"' | [.parts[] | select(.thoughtSignature) | .type] | join(",")')" = text ]
}

@test "Ollama chat streams: message.thinking as one thinking part, the counters as usage" {
	need_fixtures
	files=("$PROVIDER_STREAMS"/ollama/chat-*.ndjson)
	[ "${#files[@]}" -ge 2 ]
	CHECKED=0
	replay ollama "$OLLAMA_PARTS" "${files[@]}"
	[ "$CHECKED" -ge 2 ]
}

# The recorded whole replies (status 200, JSON, not a stream) of a folder.
whole_replies() {
	local meta
	for meta in "$PROVIDER_STREAMS/$1"/*.meta.json; do
		jq -r --arg d "$PROVIDER_STREAMS/$1" 'select(.response.status == 200
			and (.response.body_file | endswith(".json"))
			and (.request.path | contains("streamGenerateContent") | not))
			| "\($d)/\(.response.body_file)"' "$meta"
	done
}

@test "whole replies (--no-stream) of every protocol: parts and usage as streamed ones" {
	need_fixtures
	NOSTREAM=--no-stream
	local n=0 dir prov prog
	for dir in anthropic:anthropic:ANTHROPIC_PARTS openai-chat:openai:OPENAI_PARTS \
	           gemini:gemini:GEMINI_PARTS ollama:ollama:OLLAMA_PARTS; do
		IFS=: read -r d prov prog <<< "$dir"
		mapfile -t files < <(whole_replies "$d")
		[ "${#files[@]}" -ge 1 ]
		replay "$prov" "${!prog}" "${files[@]}"
		n=$((n + ${#files[@]}))
	done
	[ "$n" -ge 4 ]
}

# ---- sent back ----

# The request the fake provider got last, its body.
last_body() { fake_requests | tail -n 1 | jq -c .body; }

# A session answered by PROVIDER with recording FILE, then asked again
# (the second reply plain text): $S its id.
two_turns() {
	local prov=$1 f=$2
	fake_start "body=$f" "text=again"
	use_all
	S=$(chat-new -p "$prov" --name back | jq -r .id)
	run -0 chat-send -s "$S" first < /dev/null
	run -0 chat-send -s "$S" second < /dev/null
}

@test "Anthropic: thinking goes back with its signature byte for byte, before the text" {
	need_fixtures
	f=$PROVIDER_STREAMS/anthropic/messages-stream-thinking.sse
	two_turns anthropic "$f"
	want_sig=$(events "$f" | jq -r '[.[] | select(.delta.type == "signature_delta") | .delta.signature] | join("")')
	want_think=$(events "$f" | jq -r '[.[] | select(.delta.type == "thinking_delta") | .delta.thinking] | join("")')
	[ ${#want_sig} -gt 100 ]
	b=$(last_body)
	[ "$(jq -r '.messages[1].role' <<< "$b")" = assistant ]
	[ "$(jq -r '.messages[1].content | map(.type) | join(",")' <<< "$b")" = thinking,text ]
	[ "$(jq -r '.messages[1].content[0].signature' <<< "$b")" = "$want_sig" ]
	[ "$(jq -r '.messages[1].content[0].thinking' <<< "$b")" = "$want_think" ]
	[ "$(jq -r '.messages[1].content[0] | keys | join(",")' <<< "$b")" = signature,thinking,type ]
	[ "$(jq -r '.messages[1].content[1].text' <<< "$b")" = "$(chat-show --json "$S" | jq -rs '.[1].content')" ]
}

@test "Anthropic: tool_use blocks go back, a tool_result in the user turn answers them" {
	need_fixtures
	f=$PROVIDER_STREAMS/anthropic/messages-stream-tool-use.sse
	fake_start "body=$f" "text=done"
	use_all
	S=$(chat-new -p anthropic --name tools | jq -r .id)
	run -0 chat-send -s "$S" "use the tools" < /dev/null
	ids=$(events "$f" | jq -c '[.[] | select(.content_block.type == "tool_use") | .content_block.id]')
	first=$(jq -r '.[0]' <<< "$ids")
	jq -nc --arg id "$first" '{role: "user", content: "", parts: [{type: "tool_result", toolUseId: $id, content: "42"}]}' |
		chat-add --records -s "$S" > /dev/null
	run -0 chat-send -s "$S" "and now?" < /dev/null
	b=$(last_body)
	[ "$(jq -c '[.messages[1].content[] | select(.type == "tool_use") | .id]' <<< "$b")" = "$ids" ]
	[ "$(jq -c '[.messages[1].content[] | select(.type == "tool_use") | .input]' <<< "$b")" = '[{},{}]' ]
	# the result and the next prompt: one user turn, the result first
	[ "$(jq -c '.messages[2].content' <<< "$b")" = "$(jq -nc --arg id "$first" \
		'[{type: "tool_result", tool_use_id: $id, content: "42"}, {type: "text", text: "and now?"}]')" ]
	[ "$(jq '.messages | length' <<< "$b")" = 3 ]
}

@test "Anthropic: server tool blocks and cited text go back as they came" {
	need_fixtures
	f=$PROVIDER_STREAMS/anthropic/messages-stream-web-search.sse
	two_turns anthropic "$f"
	b=$(last_body)
	want=$(events "$f" | jq -c '[.[] | select(.type == "content_block_start" and .content_block.type == "web_search_tool_result") | .content_block]')
	[ "$(jq -c '[.messages[1].content[] | select(.type == "web_search_tool_result")]' <<< "$b")" = "$want" ]
	[ "$(jq -c '[.messages[1].content[] | .citations // [] | .[]] | length' <<< "$b")" = \
	  "$(events "$f" | jq '[.[] | select(.delta.type == "citations_delta")] | length')" ]
}

@test "OpenAI: tool calls on the assistant message, a result as a tool message" {
	need_fixtures
	f=$PROVIDER_STREAMS/openai-chat/chat-stream-parallel-tool-calls-include-usage.sse
	fake_start "body=$f" "text=done"
	use_all
	S=$(chat-new -p openai --name tools | jq -r .id)
	run -0 chat-send -s "$S" "weather?" < /dev/null
	calls=$(events "$f" | jq -c '[.[] | .choices[0].delta.tool_calls // empty | .[]] | group_by(.index)
		| map({id: (map(.id // empty) | first), name: (map(.function.name // empty) | first),
		       input: (map(.function.arguments) | join("") | fromjson)})')
	first=$(jq -r '.[0].id' <<< "$calls")
	jq -nc --arg id "$first" '{role: "user", content: "", parts: [{type: "tool_result", toolUseId: $id, content: "sunny"}]}' |
		chat-add --records -s "$S" > /dev/null
	run -0 chat-send -s "$S" "so?" < /dev/null
	b=$(last_body)
	[ "$(jq -c '.messages[1].tool_calls | map({id, name: .function.name, input: (.function.arguments | fromjson)})' <<< "$b")" = "$calls" ]
	[ "$(jq -r '.messages[1].tool_calls | map(.type) | unique | join(",")' <<< "$b")" = function ]
	[ "$(jq -c '.messages[2]' <<< "$b")" = "$(jq -nc --arg id "$first" '{role: "tool", tool_call_id: $id, content: "sunny"}')" ]
	[ "$(jq -c '.messages[3]' <<< "$b")" = '{"role":"user","content":"so?"}' ]
}

@test "Gemini: thoughts go back as thought parts, the thoughtSignature on the part it came with" {
	need_fixtures
	f=$PROVIDER_STREAMS/gemini/stream-sse-thinking.sse
	two_turns gemini "$f"
	want_sig=$(events "$f" | jq -r '[.[] | .candidates[0].content.parts[] | .thoughtSignature // empty] | join("")')
	[ ${#want_sig} -gt 100 ]
	b=$(last_body)
	[ "$(jq -r '.contents[1].role' <<< "$b")" = model ]
	[ "$(jq -c '.contents[1].parts | map(if .thought then "thought" elif .thoughtSignature then "signed" else "text" end)' <<< "$b")" = '["thought","text","signed"]' ]
	[ "$(jq -r '.contents[1].parts[2].thoughtSignature' <<< "$b")" = "$want_sig" ]
	[ "$(jq -r '.contents[1].parts[0].text' <<< "$b")" = \
	  "$(events "$f" | jq -r '[.[] | .candidates[0].content.parts[] | select(.thought) | .text] | join("")')" ]
}

@test "Ollama: the thinking goes back on the assistant message" {
	need_fixtures
	f=$PROVIDER_STREAMS/ollama/chat-stream-thinking.ndjson
	two_turns ollama "$f"
	b=$(last_body)
	[ "$(jq -r '.messages[1].thinking' <<< "$b")" = "$(jq -rs 'map(.message.thinking // empty) | join("")' "$f")" ]
	[ "$(jq -r '.messages[1].content' <<< "$b")" = "$(jq -rs 'map(.message.content // empty) | join("")' "$f")" ]
}

@test "another protocol's thinking and signatures are left out; its text goes" {
	need_fixtures
	f=$PROVIDER_STREAMS/anthropic/messages-stream-thinking.sse
	fake_start "body=$f" "text=one" "text=two" "text=three"
	use_all
	S=$(chat-new -p anthropic --name mixed | jq -r .id)
	run -0 chat-send -s "$S" first < /dev/null
	text=$(chat-show --json "$S" | jq -rs '.[1].content')
	run -0 chat-send -s "$S" -p openai second < /dev/null
	[ "$(last_body | jq -c '.messages[1]')" = "$(jq -nc --arg t "$text" '{role: "assistant", content: $t}')" ]
	run -0 chat-send -s "$S" -p gemini third < /dev/null
	[ "$(last_body | jq -c '.contents[1]')" = "$(jq -nc --arg t "$text" '{role: "model", parts: [{text: $t}]}')" ]
	run -0 chat-send -s "$S" -p ollama fourth < /dev/null
	[ "$(last_body | jq -c '.messages[1]')" = "$(jq -nc --arg t "$text" '{role: "assistant", content: $t}')" ]
}

# ---- kept ----

@test "parts survive records, chat-add --records, branches, merges and confab's JSON export and import" {
	fake_start "text=hi"
	chat-new --name src > /dev/null
	S=$(chat-ls --json | jq -r 'select(.name == "src") | .id')
	parts='[{"type":"thinking","thinking":"hm","signature":"c2ln","provider":"anthropic"},{"type":"text","text":"yes"}]'
	jq -nc --argjson p "$parts" '{role: "assistant", content: "yes", parts: $p}' | chat-add --records -s "$S" > /dev/null
	chat-add -s "$S" "plain" > /dev/null
	[ "$(chat-show --json "$S" | jq -sc '.[0].parts')" = "$parts" ]
	# a plain message has no parts, in the record and in the row
	[ "$(chat-show --json "$S" | jq -sc '.[1] | has("parts")')" = false ]
	[ "$(store_sql "SELECT count(*) FROM messages WHERE parts IS NULL")" = 1 ]
	# records round trip
	chat-new --name copy > /dev/null
	chat-show --json "$S" | jq -c 'del(.id, .sessionId)' | chat-add --records -s copy > /dev/null
	[ "$(chat-show --json copy | jq -sc 'map(.parts)')" = "[$parts,null]" ]
	run -0 chat-branch "$S" --name br
	[ "$(chat-show --json br | jq -sc '.[0].parts')" = "$parts" ]
	chat-new --name into > /dev/null
	run -0 chat-merge "$S" into
	[ "$(chat-show --json into | jq -sc '.[0].parts')" = "$parts" ]
	run -0 chat-export -f json -o "$BATS_TEST_TMPDIR/s.json" "$S"
	[ "$(jq -c '.messages[0].parts' "$BATS_TEST_TMPDIR/s.json")" = "$parts" ]
	run -0 chat-rm -f "$S"
	run -0 chat-import "$BATS_TEST_TMPDIR/s.json"
	[ "$(chat-show --json src | jq -sc '.[0].parts')" = "$parts" ]
}

@test "parts that are not an array are refused, nothing stored" {
	chat-new --name p > /dev/null
	run -5 --separate-stderr chat-add --records -s p <<< '{"role":"assistant","content":"x","parts":{"type":"text"}}'
	[[ "$stderr" == *"parts is not an array"* ]]
	[ "$(store_sql 'SELECT count(*) FROM messages')" = 0 ]
}

@test "parts whose items are not typed objects are refused, by chat-add --records and chat-import, nothing stored" {
	chat-new --name p > /dev/null
	for bad in '[1]' '["text"]' '[null]' '[{}]' '[{"type":5}]' '[{"type":""}]' '[{"type":"text","text":"a"},{"text":"b"}]'; do
		run -5 --separate-stderr chat-add --records -s p <<< "{\"role\":\"assistant\",\"content\":\"x\",\"parts\":$bad}"
		[ "${#lines[@]}" = 0 ]
		[[ "$stderr" == "chat-add: "*"parts"* ]]
		[ "$(wc -l <<< "$stderr")" = 1 ]
	done
	[ "$(store_sql 'SELECT count(*) FROM messages')" = 0 ]
	chat-add -s p "hello" > /dev/null
	run -0 chat-export -f json -o "$BATS_TEST_TMPDIR/s.json" p
	jq '.name = "imp" | del(.id) | .messages[0].parts = [{"text":"no type"}]' "$BATS_TEST_TMPDIR/s.json" > "$BATS_TEST_TMPDIR/bad.json"
	run --separate-stderr chat-import "$BATS_TEST_TMPDIR/bad.json"
	[ "$status" -ne 0 ]
	[[ "$stderr" == "chat-import: "*"parts"* ]]
	[ "$(wc -l <<< "$stderr")" = 1 ]
	[ "$(store_sql 'SELECT count(*) FROM sessions')" = 1 ]
	[ "$(store_sql 'SELECT count(*) FROM messages')" = 1 ]
}

@test "chat-import refuses cache and reasoning counts that are no counts" {
	chat-new --name p > /dev/null
	chat-add -s p "hello" > /dev/null
	run -0 chat-export -f json -o "$BATS_TEST_TMPDIR/s.json" p
	for k in cacheReadTokens cacheWrite5mTokens cacheWrite1hTokens reasoningTokens; do
		jq --arg k "$k" '.name = "imp" | del(.id) | .messages[0].metadata[$k] = -5' "$BATS_TEST_TMPDIR/s.json" > "$BATS_TEST_TMPDIR/bad.json"
		run --separate-stderr chat-import "$BATS_TEST_TMPDIR/bad.json"
		[ "$status" -ne 0 ]
		[[ "$stderr" == "chat-import: "*"$k"* ]]
	done
	[ "$(store_sql 'SELECT count(*) FROM sessions')" = 1 ]
}

@test "an interrupted reply keeps the parts that had arrived" {
	need_fixtures
	f=$PROVIDER_STREAMS/anthropic/messages-stream-thinking.sse
	# cut after the thinking and signature, before the text block ends
	n=$(grep -b -o 'content_block_start","index":1' "$f" | head -1 | cut -d: -f1)
	fake_start "body=$f cut=$n"
	use_all
	S=$(chat-new -p anthropic --name cut | jq -r .id)
	run chat-send -s "$S" --retries 0 first < /dev/null
	[ "$status" -ne 0 ]
	m=$(chat-show --json "$S" | jq -sc '.[1]')
	[ "$(jq -r '.metadata.incomplete' <<< "$m")" = true ]
	[ "$(jq -r '.parts | map(.type) | join(",")' <<< "$m")" = thinking ]
	[ "$(jq -r '.parts[0].signature' <<< "$m")" = "$(events "$f" | jq -r '[.[] | select(.delta.type == "signature_delta") | .delta.signature] | join("")')" ]
}

@test "a turn spooled because its session went away keeps its parts when stored" {
	need_fixtures
	f=$PROVIDER_STREAMS/anthropic/messages-stream-thinking.sse
	# an event every 40 ms: the session goes while the text streams
	fake_start "body=$f delay=40"
	use_all
	S=$(chat-new -p anthropic --name gone | jq -r .id)
	chat-send -s "$S" hi > "$OUT" 2> "$BATS_TEST_TMPDIR/err" < /dev/null 3>&- &
	pid=$!
	for ((i = 0; i < 400; i++)); do [ -s "$OUT" ] && break; sleep 0.05; done
	[ -s "$OUT" ]
	chat-rm -f "$S"
	status=0
	wait "$pid" || status=$?
	[ "$status" = 12 ]
	spooled=$(find "$XDG_STATE_HOME/confab/spool" -name '*.json')
	[ -n "$spooled" ]
	[ "$(jq -r '.messages[-1].parts | map(.type) | join(",")' "$spooled")" = thinking,text ]
	[ "$(jq -c '.messages[-1].metadata | has("parts")' "$spooled")" = false ]
	run -0 --separate-stderr chat-show --json "$S"
	[[ "$stderr" == *"stored the turn kept in"* ]]
	[ "$(jq -sc '.[1].parts[0].signature' <<< "$output")" = \
	  "$(events "$f" | jq -c '[.[] | select(.delta.type == "signature_delta") | .delta.signature] | join("")')" ]
	[ "$(jq -sc '.[1].parts[1].text == .[1].content' <<< "$output")" = true ]
}

@test "--retry: the new reply's parts take the old one's place, none when it has none" {
	need_fixtures
	f=$PROVIDER_STREAMS/anthropic/messages-stream-thinking.sse
	fake_start "text=plain" "body=$f" "text=plain%20again"
	use_all
	S=$(chat-new -p anthropic --name again | jq -r .id)
	run -0 chat-send -s "$S" hi < /dev/null
	[ "$(chat-show --json "$S" | jq -sc '.[1] | has("parts")')" = false ]
	run -0 chat-send -s "$S" --retry < /dev/null
	[ "$(chat-show --json "$S" | jq -sc '.[1].parts | map(.type)')" = '["thinking","text"]' ]
	[ "$(chat-show --json "$S" | jq -sc '.[1].metadata.usage.input_tokens')" = 46 ]
	run -0 chat-send -s "$S" --retry < /dev/null
	[ "$(chat-show --json "$S" | jq -sc '.[1] | [has("parts"), .content, (.metadata.usage | has("cache_creation"))]')" = '[false,"plain again",false]' ]
	[ "$(chat-show --json "$S" | jq -s 'length')" = 2 ]
}

# ---- what no recording has, written here in each protocol's documented form ----

@test "hand-written replies: OpenAI reasoning_content, Gemini functionCall, Ollama tool_calls, Anthropic redacted_thinking" {
	d=$BATS_TEST_TMPDIR
	{
		printf 'data: %s\n\n' '{"model":"deepseek-r","choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"Let me"}}]}'
		printf 'data: %s\n\n' '{"model":"deepseek-r","choices":[{"index":0,"delta":{"reasoning_content":" think.","content":""}}]}'
		printf 'data: %s\n\n' '{"model":"deepseek-r","choices":[{"index":0,"delta":{"content":"Four."}}]}'
		printf 'data: %s\n\n' '{"model":"deepseek-r","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":20,"completion_tokens_details":{"reasoning_tokens":15},"prompt_tokens_details":{"cached_tokens":4}}}'
		printf 'data: [DONE]\n\n'
	} > "$d/reasoning.sse"
	CHECKED=0
	replay openai "$OPENAI_PARTS" "$d/reasoning.sse"
	[ "$CHECKED" = 2 ]
	[ "$(events "$d/reasoning.sse" | jq -c "$OPENAI_PARTS"' | [.parts[0].thinking, .reasoningTokens, .cacheReadTokens]')" = '["Let me think.",15,4]' ]

	{
		printf 'data: %s\r\n\r\n' '{"candidates":[{"content":{"parts":[{"text":"I will look.","thought":true}],"role":"model"},"index":0}],"modelVersion":"gemini-3-pro"}'
		printf 'data: %s\r\n\r\n' '{"candidates":[{"content":{"parts":[{"functionCall":{"name":"weather","args":{"city":"Oslo"}},"thoughtSignature":"c2lnLTE="},{"functionCall":{"name":"time","args":{}}}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":30,"candidatesTokenCount":12,"thoughtsTokenCount":40,"cachedContentTokenCount":10},"modelVersion":"gemini-3-pro"}'
	} > "$d/call.sse"
	CHECKED=0
	replay gemini "$GEMINI_PARTS" "$d/call.sse"
	[ "$CHECKED" = 3 ]
	[ "$(events "$d/call.sse" | jq -c "$GEMINI_PARTS"' | [.parts[1].thoughtSignature, .parts[2].name, .outputTokens]')" = '["c2lnLTE=","time",52]' ]

	{
		echo '{"model":"qwen3","message":{"role":"assistant","content":"","thinking":"Need the tool."},"done":false}'
		echo '{"model":"qwen3","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"weather","arguments":{"city":"Oslo"}}}]},"done":false}'
		echo '{"model":"qwen3","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":11,"eval_count":7,"total_duration":5}'
	} > "$d/tools.ndjson"
	CHECKED=0
	replay ollama "$OLLAMA_PARTS" "$d/tools.ndjson"
	[ "$CHECKED" = 2 ]

	jq -nc '{type: "message", id: "msg_1", role: "assistant", model: "claude-x", stop_reason: "end_turn",
		content: [{type: "redacted_thinking", data: "EmwKAhgBEgy3va"}, {type: "thinking", thinking: "ok", signature: "EqQB"},
		          {type: "text", text: "Done."}],
		usage: {input_tokens: 5, output_tokens: 3, cache_read_input_tokens: 100, cache_creation_input_tokens: 20}}' > "$d/whole.json"
	NOSTREAM=--no-stream
	CHECKED=0
	replay anthropic "$ANTHROPIC_PARTS" "$d/whole.json"
	[ "$CHECKED" = 3 ]
	[ "$(events "$d/whole.json" | jq -c "$ANTHROPIC_PARTS"' | [.inputTokens, .cacheReadTokens, .cacheWrite5mTokens, .cacheWrite1hTokens]')" = '[125,100,20,0]' ]
}

@test "a reply cut mid-thinking: its unsigned thinking does not go back to Anthropic" {
	need_fixtures
	f=$PROVIDER_STREAMS/anthropic/messages-stream-thinking.sse
	# cut inside the thinking, before any signature_delta
	n=$(grep -b -o 'signature_delta' "$f" | head -1 | cut -d: -f1)
	fake_start "body=$f cut=$n" "text=again"
	use_all
	S=$(chat-new -p anthropic --name cutthink | jq -r .id)
	run chat-send -s "$S" --retries 0 first < /dev/null
	[ "$status" -ne 0 ]
	run -0 chat-send -s "$S" second < /dev/null
	b=$(last_body)
	# every thinking block sent has its signature
	[ "$(jq '[.messages[].content | arrays | .[] | select(.type == "thinking" and ((.signature // "") == ""))] | length' <<< "$b")" = 0 ]
	# nor an empty text block, which it refuses as well
	[ "$(jq '[.messages[].content | arrays | .[] | select(.type == "text" and .text == "")] | length' <<< "$b")" = 0 ]
	[ "$(jq '[.messages[].content | strings | select(. == "")] | length' <<< "$b")" = 0 ]
	# the two questions, one user turn
	[ "$(jq -c '[.messages[] | .role]' <<< "$b")" = '["user"]' ]
	[ "$(jq -c '[.messages[0].content[].text]' <<< "$b")" = '["first","second"]' ]
}

@test "an edited reply goes back as edited: its old text parts do not" {
	fake_start "text=ok"
	use_all
	S=$(chat-new -p anthropic --name ed | jq -r .id)
	chat-add -s "$S" "question" > /dev/null
	parts='[{"type":"thinking","thinking":"hm","signature":"c2ln","provider":"anthropic"},{"type":"text","text":"old answer"}]'
	id=$(jq -nc --argjson p "$parts" '{role: "assistant", content: "old answer", parts: $p}' |
		chat-add --records -s "$S" | jq -r .id)
	run -0 chat-edit "$id" "new answer"
	run -0 chat-send -s "$S" next < /dev/null
	b=$(last_body)
	[[ "$b" == *"new answer"* ]]
	[[ "$b" != *"old answer"* ]]
	# the record shows the edit in its parts too
	[ "$(chat-show --json "$S" | jq -sc '[.[1].parts[]? | select(.type == "text") | .text]')" = '["new answer"]' ]
}
