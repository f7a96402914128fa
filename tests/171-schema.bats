#!/usr/bin/env bats
# chat-send --schema: the schema read (a file, inline JSON, the short
# form) and refused before anything is sent when it is none; each
# protocol's own mechanism in the request the fake provider received; the
# reply validated, its parsed value in --json's record, exit 5 with the
# reply kept when it does not match.  Also fakeprov's tool-use= replies.

load helper
load send

PERSON='{"name":"Ann","age":41,"tags":["a","b"]}'

# The body of the last request the fake provider received.
last_body() {
	fake_requests | tail -n 1 | jq -c .body
}

# The user's message of $SID, as a record.
user_msg() {
	chat-show --json "$SID" | jq -c 'select(.role == "user")' | tail -n 1
}

@test "the short form: fields, types, lists, descriptions, all required, nothing else allowed" {
	serve "text=$(jq -rn --arg t "$PERSON" '$t | @uri')"
	session openai
	send --schema 'name, age int, tags [str], score float: how sure, ok bool' --json hi
	exit_is 5   # score and ok are missing from the reply
	jq -e '.response_format.json_schema.schema ==
		{type: "object", properties: {name: {type: "string"}, age: {type: "integer"},
		 tags: {type: "array", items: {type: "string"}},
		 score: {type: "number", description: "how sure"}, ok: {type: "boolean"}},
		 required: ["name", "age", "tags", "score", "ok"], additionalProperties: false}' \
		<<< "$(last_body)"
	error_says "at the top: 'score' is missing"
}

@test "openai: response_format json_schema, strict when the schema qualifies; a valid reply's value in --json" {
	serve "text=$(jq -rn --arg t "$PERSON" '$t | @uri')" \
		"text=$(jq -rn --arg t "$PERSON" '$t | @uri')"
	session openai
	send --schema 'name, age int, tags [str]' --json hi
	exit_is 0
	[ "$(tail -n 1 "$OUT" | jq -r .value.name)" = Ann ]
	[ "$(tail -n 1 "$OUT" | jq -c .value.tags)" = '["a","b"]' ]
	last_body | jq -e '.response_format.type == "json_schema" and
		.response_format.json_schema.name == "reply" and
		.response_format.json_schema.strict == true'
	reply | jq -e '.metadata.schemaValid == true and (.metadata | has("schemaError") | not)'
	# an open schema is not strict
	echo '{"type":"object","properties":{"name":{"type":"string"}}}' > "$BATS_TEST_TMPDIR/open.json"
	send --schema "$BATS_TEST_TMPDIR/open.json" hi
	exit_is 0
	last_body | jq -e '.response_format.json_schema | has("strict") | not'
	# without --json, the JSON text as it came
	[ "$(cat "$OUT")" = "$PERSON" ]
}

@test "the schema is kept on the user's message; a reply that does not match: exit 5, kept, marked, one line naming the path" {
	serve "text=$(jq -rn '{name: "Ann", age: "old", tags: []} | tojson | @uri')"
	session openai
	send --schema 'name, age int, tags [str]' hi
	exit_is 5
	[ "${#stderr_lines[@]}" = 1 ]
	error_says "the reply does not match the schema: at /age: expected integer, got string"
	reply | jq -e '.metadata.schemaValid == false and
		(.metadata.schemaError | test("/age")) and (.content | fromjson | .age == "old")'
	user_msg | jq -e '.metadata.schema.required == ["name", "age", "tags"]'
	[ "$(jq -r .age "$OUT")" = old ]   # shown as it came, too
}

@test "a reply that is not JSON: exit 5, kept" {
	serve "text=Sure!%0AHere%20you%20are."
	session openai
	send --schema 'name' hi
	exit_is 5
	[ "${#stderr_lines[@]}" = 1 ]
	error_says "the reply does not match the schema: not JSON (Invalid numeric literal at line 2, column 0) (it is kept"
	reply | jq -e '.metadata.schemaValid == false and .content == "Sure!\nHere you are."'
}

@test "a reply that is one fenced block of JSON is read from inside it; trailing words, two values, a fence with words around it: not JSON" {
	local fence more
	fence=$(printf '\n```json\n{"name":"a"}\n```\n' | jq -sRr @uri)
	more=$(printf 'Here:\n```json\n{"name":"a"}\n```' | jq -sRr @uri)
	serve "text=$fence" "text=$more" "text=%7B%22name%22%3A%22a%22%7D%20ok" "text=%7B%22name%22%3A%22a%22%7D%7B%7D"
	session openai
	send --schema name --json hi
	exit_is 0
	[ "$(tail -n 1 "$OUT" | jq -c .value)" = '{"name":"a"}' ]
	reply | jq -e '.metadata.schemaValid == true and (.content | startswith("\n```json"))'
	local why
	for why in "Invalid numeric literal at line 1" "Invalid numeric literal at EOF" "Unexpected extra JSON values"; do
		send --schema name hi
		exit_is 5
		error_says "not JSON ($why"
	done
}

@test "--retry: judged again with --schema; without it, asked and kept without a verdict (the old reply's is not kept over the new one)" {
	local good bad
	good=$(jq -rn '{name: "Ann"} | tojson | @uri')
	bad=$(jq -rn '{name: 3} | tojson | @uri')
	serve "text=$good" "text=$bad" "text=not%20json"
	session openai
	send --schema name hi
	exit_is 0
	send --retry --schema name
	exit_is 5
	reply | jq -e '.metadata.schemaValid == false and (.metadata.schemaError | test("/name"))'
	send --retry
	exit_is 0
	last_body | jq -e 'has("response_format") | not'
	reply | jq -e '.content == "not json" and (.metadata | has("schemaValid") or has("schemaError") | not)
		and (.metadata.edits | length) == 2'
	# nor an old error over a reply that came whole
	fake_stop
	serve "text=$ENC cut=800" "text=$good"
	session anthropic
	send hi
	exit_is 11
	reply | jq -e '.metadata.incomplete == true and (.metadata.error | length) > 0'
	send --retry
	exit_is 0
	reply | jq -e '.metadata.incomplete == false and (.metadata | has("error") | not)'
}

@test "anthropic: a forced tool whose input is the reply, streamed and whole" {
	local enc
	enc=$(jq -rn --arg t "$PERSON" '$t | @uri')
	serve "tool-use=respond:$enc" "tool-use=respond:$enc"
	session anthropic
	send --schema 'name, age int, tags [str]' --json hi
	exit_is 0
	last_body | jq -e '.tools[-1].name == "respond" and
		.tools[-1].input_schema.required == ["name", "age", "tags"] and
		.tool_choice == {type: "tool", name: "respond"}'
	[ "$(tail -n 1 "$OUT" | jq -r .value.age)" = 41 ]
	reply | jq -e --arg p "$PERSON" '.content == $p and .metadata.schemaValid == true'
	# the deltas carried the input's JSON text
	[ "$(head -n -1 "$OUT" | jq -j .text)" = "$PERSON" ]
	send --no-stream --schema 'name, age int, tags [str]' --json hi
	exit_is 0
	[ "$(tail -n 1 "$OUT" | jq -r .value.name)" = Ann ]
}

@test "anthropic: the forced tool's call is no tool_use part (none to answer): the next request carries the reply as text; a stream cut mid-JSON keeps the partial text, marked incomplete, exit 11" {
	local enc
	enc=$(jq -rn --arg t "$PERSON" '$t | @uri')
	serve "tool-use=respond:$enc" "text=$ENC" "tool-use=respond:$(jq -rn '{name: "Annabelle Lee Longname", tags: ["a","b","c","d","e","f"]} | tojson | @uri') cut=900"
	session anthropic
	send --schema 'name, age int, tags [str]' hi
	exit_is 0
	reply | jq -e --arg p "$PERSON" '.content == $p and (has("parts") | not)'
	send hi2
	exit_is 0
	last_body | jq -e --arg p "$PERSON" '.messages[1] == {role: "assistant", content: [{type: "text", text: $p}]}'
	send --schema 'name, tags [str]' hi3
	exit_is 11
	error_says "the partial reply is saved, marked incomplete"
	reply | jq -e '.metadata.incomplete == true and (.content | startswith("{\"name\":")) and
		(has("parts") | not) and (.metadata | has("schemaValid") | not)'
}

@test "anthropic: a forced tool's input that does not match: exit 5, kept" {
	serve "tool-use=respond:$(jq -rn '{name: 3} | tojson | @uri')"
	session anthropic
	send --schema 'name' hi
	exit_is 5
	error_says "at /name: expected string, got integer"
	reply | jq -e '.content == "{\"name\":3}" and .metadata.schemaValid == false'
}

@test "gemini: responseMimeType and responseSchema in Gemini's subset (refs in place, no additionalProperties)" {
	serve "text=$(jq -rn '{id: 7, kind: null} | tojson | @uri')" "text=$(jq -rn '{id: 7.5} | tojson | @uri')"
	session gemini
	cat > "$BATS_TEST_TMPDIR/s.json" <<-'EOF'
	{"$schema": "https://json-schema.org/draft/2020-12/schema",
	 "type": "object", "additionalProperties": false, "required": ["id"],
	 "properties": {"id": {"$ref": "#/$defs/n"}, "kind": {"type": ["string", "null"]}},
	 "$defs": {"n": {"type": "integer", "minimum": 1}}}
	EOF
	send --schema "$BATS_TEST_TMPDIR/s.json" --json hi
	exit_is 0
	last_body | jq -e '.generationConfig.responseMimeType == "application/json" and
		.generationConfig.responseSchema == {type: "OBJECT", required: ["id"],
		 properties: {id: {type: "INTEGER", minimum: 1}, kind: {type: "STRING", nullable: true}}}'
	[ "$(tail -n 1 "$OUT" | jq -c .value)" = '{"id":7,"kind":null}' ]
	send --schema "$BATS_TEST_TMPDIR/s.json" hi
	exit_is 5
	error_says "at /id: expected integer, got number"
}

@test "ollama: format is the schema" {
	serve "text=$(jq -rn '["x"] | tojson | @uri')"
	session ollama
	send --schema '{"type": "array", "items": {"enum": ["x", "y"]}}' --json hi
	exit_is 0
	last_body | jq -e '.format == {type: "array", items: {enum: ["x", "y"]}}'
	[ "$(tail -n 1 "$OUT" | jq -r '.value[0]')" = x ]
}

@test "a schema that is none is refused before anything is stored or sent: exit 2, where it is wrong" {
	serve
	session openai
	echo '{"type": "object", "properties": {"age": {"type": "int"}}}' > "$BATS_TEST_TMPDIR/bad.json"
	send --schema "$BATS_TEST_TMPDIR/bad.json" hi
	exit_is 2
	one_line_error "chat-send: invalid schema at /properties/age/type: unknown type 'int'"
	send --schema '{"required": "name"}' hi
	exit_is 2
	one_line_error "chat-send: invalid schema at /required: expected an array"
	send --schema '{"$ref": "#/$defs/none"}' hi
	exit_is 2
	one_line_error "chat-send: invalid schema at /\$ref: names no part"
	send --schema '{"type": "object",' hi
	exit_is 2
	one_line_error "chat-send: invalid --schema: not JSON"
	echo '[1, 2' > "$BATS_TEST_TMPDIR/broken.json"
	send --schema "$BATS_TEST_TMPDIR/broken.json" hi
	exit_is 2
	one_line_error "chat-send: --schema '$BATS_TEST_TMPDIR/broken.json': not JSON"
	send --schema 'name, age integr' hi
	exit_is 2
	one_line_error "chat-send: invalid --schema: field 2: unknown type 'integr'"
	send --schema 'first name' hi
	exit_is 2
	one_line_error "chat-send: invalid --schema: field 1: unknown type 'name'"
	send --schema ', ,' hi
	exit_is 2
	one_line_error "chat-send: invalid --schema: no fields"
	[ "$(requests)" = 0 ]
	[ "$(stored)" = '[]' ]
}

@test "the short form on several lines: descriptions may hold commas" {
	serve "text=$(jq -rn '{title: "T", n: [1, 2]} | tojson | @uri')"
	session openai
	send --schema $'title: the title, short\n\nn [int]: counts, in order' --json hi
	exit_is 0
	last_body | jq -e '.response_format.json_schema.schema.properties ==
		{title: {type: "string", description: "the title, short"},
		 n: {type: "array", items: {type: "integer"}, description: "counts, in order"}}'
}

@test "fakeprov tool-use=: each protocol's tool call, streamed and whole" {
	local j='{"q":"a b"}' enc
	enc=$(jq -rn --arg t "$j" '$t | @uri')
	serve "tool-use=find:$enc" "tool-use=find:$enc" "tool-use=find:$enc" "tool-use=find:$enc" \
		"text=hi tool-use=find:$enc tool-use=other:{}"
	run curl -sS "$FAKE_URL/chat/completions" -d '{"stream":true}'
	[ "$(sed -n 's/^data: //p' <<< "$output" | grep -v DONE |
		jq -j '.choices[0].delta.tool_calls[0].function.arguments // empty')" = "$j" ]
	grep -q '"finish_reason":"tool_calls"' <<< "$output"
	run curl -sS "$FAKE_URL/chat/completions" -d '{}'
	jq -e --arg j "$j" '.choices[0].message.tool_calls[0].function == {name: "find", arguments: $j}' <<< "$output"
	run curl -sS "$FAKE_URL/v1beta/models/g:generateContent" -d '{}'
	jq -e '.candidates[0].content.parts[0].functionCall == {name: "find", args: {q: "a b"}}' <<< "$output"
	run curl -sS "$FAKE_URL/api/chat" -d '{"stream":false}'
	jq -e '.message.tool_calls[0].function == {name: "find", arguments: {q: "a b"}}' <<< "$output"
	run curl -sS "$FAKE_URL/v1/messages" -d '{}'
	jq -e '[.content[] | .type] == ["text", "tool_use", "tool_use"] and .content[1].input == {q: "a b"}
		and .content[2].name == "other" and .stop_reason == "tool_use"' <<< "$output"
	# a bad input is refused at start
	run "$ROOT/build/fakeprov" --port-file "$BATS_TEST_TMPDIR/p" --script <(echo 'tool-use=x:[1]')
	[ "$status" = 2 ]
	[[ "$output" == *"not a JSON object"* ]]
}
