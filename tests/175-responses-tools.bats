#!/usr/bin/env bats
# The OpenAI Responses protocol (openai-responses) with what -o, --schema
# and plugin tools ask of a request: -o at the top of the body (effort as
# reasoning.effort), --schema as text.format, tools as flat function tools,
# and the tool loop (function_call items run, function_call_output items
# sent back by call_id); against tests/fake/fakeprov over real HTTP, with a
# test plugin that leaves a marker file when it runs.

load helper
load send

PERSON='{"name":"Ann","age":41,"tags":["a","b"]}'

setup() {
	common_setup
	[ -x "$ROOT/build/fakeprov" ] || {
		echo "build/fakeprov is missing: make build/fakeprov" >&2
		return 1
	}
	OUT=$BATS_TEST_TMPDIR/out
	ERR=$BATS_TEST_TMPDIR/err
	BG=()
	MARK=$BATS_TEST_TMPDIR/ran
	# the programs without the shipped plugins, whose tools would be
	# offered beside the test's own
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	for f in "$ROOT"/bin/*; do
		case ${f##*/} in chat-plugin-*) ;; *) ln -s "$f" "$BATS_TEST_TMPDIR/bin/" ;; esac
	done
	local d keep=$BATS_TEST_TMPDIR/bin
	IFS=: read -ra dirs <<< "$PATH"
	for d in "${dirs[@]}"; do [ "$d" -ef "$ROOT/bin" ] || keep+=":$d"; done
	PATH=$keep
	PLUGINS=$XDG_DATA_HOME/confab/plugins
	mkdir -p "$PLUGINS"
	plugin calc add '{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["a","b"]}'
}

# A plugin NAME with a tool TOOL adding two integers a and b, its input
# schema SCHEMA; when run it writes its input to $MARK (one line a call).
plugin() {
	local name=$1 tool=$2 schema=$3
	cat > "$PLUGINS/chat-plugin-$name" <<-EOF
	#!/bin/sh
	case \$1 in
	--describe)
		echo '{"name":"$name","commands":[],"tools":[{"name":"$tool","description":"adds two integers","input_schema":$schema}]}'
		;;
	--tool)
		read -r line
		printf '%s\n' "\$line" >> "$MARK"
		printf '{"type":"text","content":"sum: %s"}\n' "\$(printf '%s' "\$line" | jq '.a + .b')"
		;;
	esac
	EOF
	chmod +x "$PLUGINS/chat-plugin-$name"
}

responses_session() {
	SID=$(new_session -p openai-responses -m gpt-test)
	[ -n "$SID" ]
}

# The body of request N (from 0) as compact JSON.
body() {
	fake_requests | jq -c --argjson n "$1" 'select(.n == $n) | .body'
}

last_body() {
	fake_requests | tail -n 1 | jq -c .body
}

user_msg() {
	chat-show --json "$SID" | jq -c 'select(.role == "user")' | head -n 1
}

# The function_call_output items of request N, as [{call_id, output}].
outputs_sent() {
	body "$1" | jq -c '[.input[] | select(.type == "function_call_output") | {call_id, output}]'
}

# ---- -o and --schema ----

@test "responses -o: at the top of the body, values as JSON, dotted keys nested; kept on the message" {
	serve
	responses_session
	send -o seed=7 -o 'stop=["x"]' -o truncation=auto -o text.verbosity=low -o thinking_budget=100 hi
	exit_is 0
	last_body | jq -e '.seed == 7 and .stop == ["x"] and .truncation == "auto" and
		.text == {verbosity: "low"} and .thinking_budget == 100 and
		.model == "gpt-test" and .max_output_tokens == 4096 and
		(.input | length) == 1 and (has("options") | not)'
	user_msg | jq -e '.metadata.options.seed == 7 and .metadata.options.text.verbosity == "low"'
}

@test "responses -o effort=X is reasoning.effort; other reasoning.* beside it, an explicit reasoning.effort wins" {
	serve
	responses_session
	send -o effort=low hi
	exit_is 0
	last_body | jq -e '.reasoning == {effort: "low"} and (has("effort") | not) and
		(has("reasoning_effort") | not)'
	send -o effort=low -o reasoning.summary=auto hi
	exit_is 0
	last_body | jq -e '.reasoning == {effort: "low", summary: "auto"}'
	send -o reasoning.effort=high -o effort=low hi
	exit_is 0
	last_body | jq -e '.reasoning == {effort: "high"}'
	# chat-set's session default goes the same way
	chat-set -o effort=medium "$SID"
	send hi
	exit_is 0
	last_body | jq -e '.reasoning == {effort: "medium"}'
}

@test "responses --schema: text.format json_schema named reply, strict when the schema qualifies; the value in --json" {
	local enc
	enc=$(jq -rn --arg t "$PERSON" '$t | @uri')
	serve "text=$enc" "text=$enc" "text=$enc"
	responses_session
	send --schema 'name, age int, tags [str]' --json hi
	exit_is 0
	last_body | jq -e '.text.format == {type: "json_schema", name: "reply", strict: true,
		schema: {type: "object", properties: {name: {type: "string"}, age: {type: "integer"},
		         tags: {type: "array", items: {type: "string"}}},
		         required: ["name", "age", "tags"], additionalProperties: false}} and
		(has("response_format") | not)'
	[ "$(tail -n 1 "$OUT" | jq -r .value.name)" = Ann ]
	[ "$(tail -n 1 "$OUT" | jq -c .value.tags)" = '["a","b"]' ]
	reply | jq -e '.metadata.schemaValid == true and (.metadata | has("schemaError") | not)'
	user_msg | jq -e '.metadata.schema.required == ["name", "age", "tags"]'
	# an open schema is not strict; -o text.* lies beside the format
	echo '{"type":"object","properties":{"name":{"type":"string"}}}' > "$BATS_TEST_TMPDIR/open.json"
	send --schema "$BATS_TEST_TMPDIR/open.json" -o text.verbosity=low hi
	exit_is 0
	last_body | jq -e '(.text.format | .type == "json_schema" and (has("strict") | not)) and
		.text.verbosity == "low"'
	[ "$(< "$OUT")" = "$PERSON" ]
	# whole, the same
	send --no-stream --schema 'name, age int, tags [str]' --json hi
	exit_is 0
	[ "$(tail -n 1 "$OUT" | jq -r .value.age)" = 41 ]
	last_body | jq -e '.text.format.name == "reply" and (has("stream") | not)'
}

@test "responses --schema: a reply that does not match, or is not JSON: exit 5, kept, marked" {
	serve "text=$(jq -rn '{name: "Ann", age: "old", tags: []} | tojson | @uri')" "text=Sure!"
	responses_session
	send --schema 'name, age int, tags [str]' hi
	exit_is 5
	[ "${#stderr_lines[@]}" = 1 ]
	error_says "the reply does not match the schema: at /age: expected integer, got string"
	reply | jq -e '.metadata.schemaValid == false and (.metadata.schemaError | test("/age")) and
		(.content | fromjson | .age == "old")'
	[ "$(jq -r .age "$OUT")" = old ]
	responses_session
	send --schema 'name' hi
	exit_is 5
	error_says "the reply does not match the schema: not JSON"
	reply | jq -e '.metadata.schemaValid == false and .content == "Sure!"'
}

# ---- tools ----

@test "responses tools: offered flat ({type, name, description, parameters, strict}) only when allowed" {
	plugin shut mul '{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"],"additionalProperties":false}'
	serve
	responses_session
	send hi
	exit_is 0
	[ "$(body 0 | jq 'has("tools")')" = false ]
	send --allow-tools hi
	exit_is 0
	[ "$(body 1 | jq -c '.tools | sort_by(.name)')" = "$(jq -nc '[
		{type: "function", name: "add", description: "adds two integers", strict: false,
		 parameters: {type: "object", properties: {a: {type: "integer"}, b: {type: "integer"}}, required: ["a", "b"]}},
		{type: "function", name: "mul", description: "adds two integers", strict: true,
		 parameters: {type: "object", properties: {a: {type: "integer"}}, required: ["a"], additionalProperties: false}}]')" ]
	[ "$(body 1 | jq '[.tools[] | has("function")] | any')" = false ]
	config <<< 'tools = on'
	send hi
	exit_is 0
	[ "$(body 2 | jq -c '[.tools[].name] | sort')" = '["add","mul"]' ]
}

@test "responses tools: an allowed call runs, its function_call_output goes back by call_id, the round goes on" {
	serve 'tool-use=add:{"a":2,"b":3}' 'text=The%20sum%20is%205.'
	responses_session
	send --allow-tool add "add 2 and 3"
	exit_is 0
	[ "$(requests)" -eq 2 ]
	[ "$(< "$MARK")" = '{"a":2,"b":3}' ]
	grep -q 'The sum is 5.' "$OUT"
	grep -q "tool add .* ran" "$ERR"
	# the second request: the question, the call as it came, its output
	[ "$(body 1 | jq -c .input)" = "$(jq -nc '[
		{role: "user", content: [{type: "input_text", text: "add 2 and 3"}]},
		{type: "function_call", call_id: "call_fakeprov000000_0", name: "add", arguments: "{\"a\":2,\"b\":3}"},
		{type: "function_call_output", call_id: "call_fakeprov000000_0", output: "sum: 5"}]')" ]
	[ "$(body 1 | jq -c '[.tools[].name]')" = '["add"]' ]
	# stored: the call, its result answering its id, the reply
	run chat-show --json "$SID"
	[ "$(jq -sc 'map(.role)' <<< "$output")" = '["user","assistant","user","assistant"]' ]
	[ "$(jq -scS '.[1].parts' <<< "$output")" = \
		'[{"id":"call_fakeprov000000_0","input":{"a":2,"b":3},"name":"add","provider":"openai-responses","type":"tool_use"}]' ]
	[ "$(jq -sc '.[2].parts[0] | [.type, .toolUseId, .content, .isError]' <<< "$output")" = \
		'["tool_result","call_fakeprov000000_0","sum: 5",false]' ]
	[ "$(jq -sr '.[3].content' <<< "$output")" = 'The sum is 5.' ]
	# the next message carries the answered call as context
	fake_stop
	serve 'text=ok'
	send "and now?"
	exit_is 0
	[ "$(outputs_sent 0)" = '[{"call_id":"call_fakeprov000000_0","output":"sum: 5"}]' ]
	[ "$(body 0 | jq -c '[.input[] | .type // .role]')" = \
		'["user","function_call","function_call_output","assistant","user"]' ]
}

@test "responses tools: a whole reply's calls (--no-stream) run and go back too" {
	serve 'tool-use=add:{"a":4,"b":5}' 'text=Nine.'
	responses_session
	send --no-stream --allow-tools "add 4 and 5"
	exit_is 0
	[ "$(< "$MARK")" = '{"a":4,"b":5}' ]
	grep -q 'Nine.' "$OUT"
	[ "$(outputs_sent 1)" = '[{"call_id":"call_fakeprov000000_0","output":"sum: 9"}]' ]
	[ "$(body 1 | jq 'has("stream")')" = false ]
}

@test "responses tools: without permission a call is denied, answered so, and never run" {
	config <<< 'tools = on'   # offered to a script that allows none
	serve 'tool-use=add:{"a":2,"b":3}' 'text=Denied%2C%20then.'
	responses_session
	send "add 2 and 3"
	exit_is 0
	[ ! -e "$MARK" ]
	[ "$(requests)" -eq 2 ]
	grep -q "tool add .* denied: allow it with --allow-tool add" "$ERR"
	run outputs_sent 1
	[ "$(jq -r '.[0].call_id' <<< "$output")" = call_fakeprov000000_0 ]
	[[ $(jq -r '.[0].output' <<< "$output") == denied* ]]
	grep -q 'Denied, then.' "$OUT"
	chat-show --json "$SID" | jq -se '.[2].parts[0] | .isError and (.content | startswith("denied"))'
}

@test "responses tools: text and two calls in one reply, one allowed and one not, each answered in order" {
	plugin other mul '{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}}}'
	serve 'text=Let%20me%20see. tool-use=add:{"a":1,"b":1} tool-use=mul:{"a":3,"b":4}' 'text=ok'
	responses_session
	send --allow-tool calc:add hi
	exit_is 0
	[ "$(< "$MARK")" = '{"a":1,"b":1}' ]
	grep -q "tool mul .* denied" "$ERR"
	[ "$(body 1 | jq -c '[.input[] | .type // .role]')" = \
		'["user","assistant","function_call","function_call","function_call_output","function_call_output"]' ]
	[ "$(body 1 | jq -c '.input[1].content')" = '[{"type":"output_text","text":"Let me see."}]' ]
	run outputs_sent 1
	[ "$(jq -c 'map(.call_id)' <<< "$output")" = '["call_fakeprov000000_0","call_fakeprov000000_1"]' ]
	[ "$(jq -r '.[0].output' <<< "$output")" = 'sum: 2' ]
	[[ $(jq -r '.[1].output' <<< "$output") == denied* ]]
}

@test "responses tools: the recorded function_call of a tool no plugin offers is answered as an error by its call_id" {
	local f=$PROVIDER_STREAMS/openai-responses/responses-stream-tool-call.sse
	[ -f "$f" ] || skip "the recorded provider responses are missing: no $f (../shared/fixtures)"
	serve "body=$f" 'text=ok'
	responses_session
	send --allow-tools "multiply"
	exit_is 0
	[ ! -e "$MARK" ]
	run outputs_sent 1
	[ "$(jq -c 'map(.call_id)' <<< "$output")" = '["call_sVidsfFJ6zlzRpelrPkTPlpd"]' ]
	[[ $(jq -r '.[0].output' <<< "$output") == *"no tool named 'multiply'"* ]]
	[ "$(body 1 | jq -c '.input[] | select(.type == "function_call") | [.call_id, .name, (.arguments | fromjson)]')" = \
		'["call_sVidsfFJ6zlzRpelrPkTPlpd","multiply",{"a":1231,"b":2331}]' ]
}

@test "responses tools: rounds are bounded by tool-rounds" {
	config <<< 'tool-rounds = 1'
	serve 'tool-use=add:{"a":1,"b":1}' 'tool-use=add:{"a":2,"b":2}'
	responses_session
	send --allow-tools "again"
	exit_is 0
	[ "$(requests)" -eq 2 ]
	[ "$(wc -l < "$MARK")" -eq 1 ]
	grep -q 'stopped after 1 tool round (tool-rounds)' "$ERR"
	[[ $(chat-show --json "$SID" | jq -sr '.[-1].parts[0].content') == 'not run: the limit of 1 tool rounds'* ]]
}

@test "fakeprov's /v1/responses tool-use=: the recording's events and item shapes, arguments in pieces" {
	local f=$PROVIDER_STREAMS/openai-responses/responses-stream-tool-call.sse
	[ -f "$f" ] || skip "the recorded provider responses are missing: no $f (../shared/fixtures)"
	serve 'tool-use=add:{"a":2,"b":3}' 'text=Hi tool-use=mul:{"a":1}' 'tool-use=add:{"a":2,"b":3}'
	post() { curl -sS -H 'Content-Type: application/json' -d "$1" "$FAKE_URL/v1/responses"; }
	events() { grep '^data:' | sed 's/^data: //' | tr -d '\r'; }
	recorded=$(events < "$f")
	run -0 post '{"model":"m","input":[],"stream":true}'
	ours=$(events <<< "$output")
	# the same events in the same order, the same keys in each and in its item
	shape='map([.type, (del(.obfuscation) | keys), (.item // {} | keys)])'
	[ "$(jq -sc "$shape" <<< "$ours" | jq -c 'map(select(.[0] != "response.function_call_arguments.delta")) | unique')" = \
		"$(jq -sc "$shape" <<< "$recorded" | jq -c 'map(select(.[0] != "response.function_call_arguments.delta")) | unique')" ]
	[ "$(jq -sc 'map(.type) | unique' <<< "$ours")" = "$(jq -sc 'map(.type) | unique' <<< "$recorded")" ]
	[ "$(jq -sc '[(map(select(.type == "response.function_call_arguments.delta") | .delta) | join("")),
		(map(select(.type == "response.function_call_arguments.delta")) | length > 1),
		(map(.sequence_number) == [range(length)]),
		(last | .response.output | map([.type, .call_id, .name, .arguments]))]' <<< "$ours")" = \
		'["{\"a\":2,\"b\":3}",true,true,[["function_call","call_fakeprov000000_0","add","{\"a\":2,\"b\":3}"]]]' ]
	# text first: the message item is done before the call starts
	run -0 post '{"model":"m","input":[],"stream":true}'
	[ "$(events <<< "$output" | jq -sc 'map(select(.type | startswith("response.output_item")) |
		[.type, .output_index, .item.type])')" = \
		'[["response.output_item.added",0,"message"],["response.output_item.done",0,"message"],["response.output_item.added",1,"function_call"],["response.output_item.done",1,"function_call"]]' ]
	# whole: the calls in the output array
	run -0 post '{"model":"m","input":[]}'
	[ "$(jq -c '.output | map([.type, .call_id, .arguments])' <<< "$output")" = \
		'[["function_call","call_fakeprov000002_0","{\"a\":2,\"b\":3}"]]' ]
}
