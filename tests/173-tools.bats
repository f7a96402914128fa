#!/usr/bin/env bats
# Tools: plugins' tools offered to the model in each protocol's form, the
# model's calls checked, allowed or denied (chat-send --allow-tool,
# --allow-tools), run, stored and sent back, for a bounded number of
# rounds; against tests/fake/fakeprov over real HTTP, with a test plugin
# that leaves a marker file when it runs.  OpenAI Responses is another
# branch's protocol, not covered here.

load helper
load send

PROTOCOLS="anthropic openai gemini ollama"

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
	no_shipped_plugins   # their tools would be offered beside the test's own
	PLUGINS=$XDG_DATA_HOME/confab/plugins
	mkdir -p "$PLUGINS"
	plugin calc add
}

# A plugin NAME with a tool TOOL adding two integers a and b; when run it
# writes its input to $MARK (one line a call).
plugin() {
	local name=$1 tool=$2
	cat > "$PLUGINS/chat-plugin-$name" <<-EOF
	#!/bin/sh
	case \$1 in
	--describe)
		echo '{"name":"$name","commands":[],"tools":[{"name":"$tool","description":"adds two integers","input_schema":{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["a","b"]}}]}'
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

# The body of request N (from 0) as compact JSON.
body() {
	fake_requests | jq -c --argjson n "$1" 'select(.n == $n) | .body'
}

# The results a request carries, whatever the protocol, as
# [{id, text, error}] (error: null where the wire has no flag).
results_sent() {
	body "$1" | jq -c '
		if .contents then [.contents[].parts[]? | .functionResponse? // empty |
			{id: .name, text: (.response | tostring), error: null}]
		elif .messages and ([.messages[] | select(.role == "tool")] | length) > 0 then
			[.messages[] | select(.role == "tool") |
			 {id: (.tool_call_id // .tool_name // .name), text: .content, error: null}]
		else [.messages[].content | arrays | .[] | select(.type == "tool_result") |
			{id: .tool_use_id, text: (.content | if type == "string" then . else tostring end),
			 error: (.is_error // false)}]
		end'
}

@test "tools: offered in each protocol's own form" {
	config <<< 'tools = on'
	serve
	for p in $PROTOCOLS; do
		session "$p"
		send hi
		exit_is 0
	done
	run body 0
	[ "$(jq -c .tools <<< "$output")" = '[{"name":"add","description":"adds two integers","input_schema":{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["a","b"]}}]' ]
	run body 1
	[ "$(jq -c '.tools[0] | [.type, .function.name, .function.description, .function.parameters.required]' <<< "$output")" = '["function","add","adds two integers",["a","b"]]' ]
	run body 2
	[ "$(jq -c '.tools[0].functionDeclarations[0] | [.name, .parametersJsonSchema.properties.a.type]' <<< "$output")" = '["add","integer"]' ]
	run body 3
	[ "$(jq -c '.tools[0] | [.type, .function.name, .function.parameters.type]' <<< "$output")" = '["function","add","object"]' ]
}

@test "tools: tools = off in the config offers none" {
	config <<< 'tools = off'
	serve
	session anthropic
	send hi
	exit_is 0
	[ "$(body 0 | jq 'has("tools")')" = false ]
}

@test "tools: chat-send without --allow-tool offers none, unless tools = on" {
	serve
	session anthropic
	send hi
	exit_is 0
	[ "$(body 0 | jq 'has("tools")')" = false ]
	send --allow-tool add hi
	exit_is 0
	[ "$(body 1 | jq -c '[.tools[].name]')" = '["add"]' ]
}

@test "tools: two plugins' tools of one name go as PLUGIN__TOOL" {
	plugin more add
	config <<< 'tools = on'
	serve
	session openai
	send hi
	exit_is 0
	[ "$(body 0 | jq -c '[.tools[].function.name] | sort')" = '["calc__add","more__add"]' ]
}

@test "tools: an allowed call runs and its result goes back, in every protocol" {
	for p in $PROTOCOLS; do
		rm -f "$MARK"
		serve 'tool-use=add:{"a":2,"b":3}' 'text=The%20sum%20is%205.'
		session "$p"
		send --allow-tool add "add 2 and 3"
		exit_is 0
		[ "$(requests)" -eq 2 ]
		[ "$(< "$MARK")" = '{"a":2,"b":3}' ]
		grep -q 'The sum is 5.' "$OUT"
		grep -q "tool add .* ran" "$ERR"
		run results_sent 1
		echo "$p: $output"
		[ "$(jq -r '.[0].text' <<< "$output")" != null ]
		[[ $(jq -r '.[0].text' <<< "$output") == *"sum: 5"* ]]
		[ "$(jq length <<< "$output")" -eq 1 ]
		# the answer names its call: by id, or by name where calls have none
		[[ $(jq -r '.[0].id' <<< "$output") =~ ^(add$|call_fakeprov|toolu_fakeprov) ]]
		fake_stop
	done
}

@test "tools: a whole reply's calls (--no-stream) run and go back too" {
	for p in $PROTOCOLS; do
		rm -f "$MARK"
		serve 'tool-use=add:{"a":4,"b":5}' 'text=Nine.'
		session "$p"
		send --no-stream --allow-tool add "add 4 and 5"
		exit_is 0
		[ "$(< "$MARK")" = '{"a":4,"b":5}' ]
		grep -q 'Nine.' "$OUT"
		run results_sent 1
		echo "$p: $output"
		[[ $(jq -r '.[0].text' <<< "$output") == *"sum: 9"* ]]
		fake_stop
	done
}

@test "tools: every call and every result is stored, and the results answer the call's id" {
	serve 'tool-use=add:{"a":2,"b":3}' 'text=Five.'
	session anthropic
	send --allow-tools "add"
	exit_is 0
	run chat-show --json "$SID"
	[ "$(jq -sc 'map(.role)' <<< "$output")" = '["user","assistant","user","assistant"]' ]
	call=$(jq -sc '.[1].parts | map(select(.type == "tool_use"))[0]' <<< "$output")
	[ "$(jq -c '[.name, .input]' <<< "$call")" = '["add",{"a":2,"b":3}]' ]
	res=$(jq -sc '.[2]' <<< "$output")
	[ "$(jq -r '.parts[0].type' <<< "$res")" = tool_result ]
	[ "$(jq -r '.parts[0].toolUseId' <<< "$res")" = "$(jq -r .id <<< "$call")" ]
	[ "$(jq -r '.parts[0].content' <<< "$res")" = 'sum: 5' ]
	[ "$(jq -r '.parts[0].isError' <<< "$res")" = false ]
	[ "$(jq -r '.metadata.toolResults' <<< "$res")" = true ]
	[[ $(jq -r .content <<< "$res") == *'[tool add: ran]'* ]]
	[ "$(jq -sr '.[3].content' <<< "$output")" = Five. ]
	# the request answering it carries the call and its result
	[ "$(body 1 | jq -r '.messages[1].content[] | select(.type == "tool_use") | .id')" = "$(jq -r .id <<< "$call")" ]
	[ "$(body 1 | jq -r '.messages[2].content[0].tool_use_id')" = "$(jq -r .id <<< "$call")" ]
	# chat-ls counts what is there
	[ "$(chat-ls --json | jq -r '.metadata.messageCount')" -eq 4 ]
}

@test "tools: without permission a call is denied, answered so, and never run" {
	config <<< 'tools = on'   # offered to a script that allows none
	for p in $PROTOCOLS; do
		serve 'tool-use=add:{"a":2,"b":3}' 'text=Denied%2C%20then.'
		session "$p"
		send "add 2 and 3"
		exit_is 0
		[ ! -e "$MARK" ]
		[ "$(requests)" -eq 2 ]
		grep -q "tool add .* denied: allow it with --allow-tool add" "$ERR"
		run results_sent 1
		echo "$p: $output"
		[[ $(jq -r '.[0].text' <<< "$output") == *denied* ]]
		[ "$(jq -r '.[0].error' <<< "$output")" != false ]
		grep -q 'Denied, then.' "$OUT"
		fake_stop
	done
	chat-show --json "$SID" | jq -se '.[2].parts[0] | .isError and (.content | startswith("denied"))'
}

@test "tools: --allow-tool takes PLUGIN:TOOL, and allows only what it names" {
	plugin other mul
	# two calls in one reply: one allowed, one not
	serve 'tool-use=add:{"a":1,"b":1} tool-use=mul:{"a":3,"b":4}' 'text=ok'
	session anthropic
	send --allow-tool calc:add hi
	exit_is 0
	[ "$(< "$MARK")" = '{"a":1,"b":1}' ]
	grep -q "tool add .* ran" "$ERR"
	grep -q "tool mul .* denied" "$ERR"
	run results_sent 1
	[ "$(jq length <<< "$output")" -eq 2 ]
	[[ $(jq -r '.[0].text' <<< "$output") == *"sum: 2"* ]]
	[[ $(jq -r '.[1].text' <<< "$output") == *denied* ]]
}

@test "tools: arguments the schema refuses are a tool error, never run" {
	serve 'tool-use=add:{"a":"two","b":3}' 'tool-use=add:{"a":2}' 'text=ok'
	session openai
	send --allow-tools hi
	exit_is 0
	[ ! -e "$MARK" ]
	[ "$(requests)" -eq 3 ]
	run results_sent 1
	[[ $(jq -r '.[0].text' <<< "$output") == *"invalid arguments for 'add': at /a: expected integer, got string"* ]]
	run results_sent 2
	echo "$output"
	[[ $(jq -r '.[1].text' <<< "$output") == *"'b' is missing"* ]]
	grep -q "tool add .* not run: invalid arguments" "$ERR"
	chat-show --json "$SID" | jq -se '.[2].parts[0].isError == true and .[4].parts[0].isError == true'
}

@test "tools: a plugin's input_schema whose \$ref loops is a tool error said at once, not a hang; --schema offers no tools" {
	cat > "$PLUGINS/chat-plugin-loop" <<-EOF
	#!/bin/sh
	case \$1 in
	--describe) echo '{"name":"loop","commands":[],"tools":[{"name":"spin","description":"x","input_schema":{"type":"object","anyOf":[{"\$ref":"#"},{"\$ref":"#"}]}}]}' ;;
	--tool) touch "$MARK" ;;
	esac
	EOF
	chmod +x "$PLUGINS/chat-plugin-loop"
	serve 'tool-use=spin:{"a":1}' 'text=ok' "text=%7B%22a%22%3A1%7D"
	session openai
	send --allow-tools hi
	exit_is 0
	[ ! -e "$MARK" ]
	run results_sent 1
	[[ $(jq -r '.[0].text' <<< "$output") == *"leads back to itself"* ]]
	send --allow-tools --schema 'a int' hi
	exit_is 0
	body 2 | jq -e 'has("tools") | not'
}

@test "tools: a recorded Anthropic tool_use of a tool no plugin offers is answered as an error" {
	[ -f "$PROVIDER_STREAMS/anthropic/messages-stream-tool-use.sse" ] ||
		skip "no recordings in $PROVIDER_STREAMS"
	serve "body=$PROVIDER_STREAMS/anthropic/messages-stream-tool-use.sse" 'text=ok'
	session anthropic
	send --allow-tools "name a pelican"
	exit_is 0
	[ ! -e "$MARK" ]
	run results_sent 1
	[ "$(jq -c 'map(.id)' <<< "$output")" = '["toolu_01LtHJmixrs9NcWQkK8hu8hj","toolu_01N8a4jWyf116qKTMqKKmjyt"]' ]
	[ "$(jq -c 'map(.error)' <<< "$output")" = '[true,true]' ]
	[[ $(jq -r '.[0].text' <<< "$output") == *"no tool named 'pelican_name_generator'"* ]]
	# the calls went back as they came
	[ "$(body 1 | jq -c '[.messages[1].content[] | select(.type == "tool_use") | .name]')" = '["pelican_name_generator","pelican_name_generator"]' ]
}

@test "tools: recorded OpenAI tool calls, one and parallel, are each answered" {
	local one=$PROVIDER_STREAMS/openai-chat/chat-stream-tool-call-include-usage.sse
	local two=$PROVIDER_STREAMS/openai-chat/chat-stream-parallel-tool-calls-include-usage.sse
	[ -f "$one" ] && [ -f "$two" ] || skip "no recordings in $PROVIDER_STREAMS"
	serve "body=$one" 'text=ok' "body=$two" 'text=ok'
	session openai
	send --allow-tools "multiply"
	exit_is 0
	run results_sent 1
	[ "$(jq -c 'map(.id)' <<< "$output")" = '["call_1EYWDzueHEp8OsB8jJSEp7WB"]' ]
	[[ $(jq -r '.[0].text' <<< "$output") == *"no tool named 'multiply'"* ]]
	[ "$(body 1 | jq -c '.messages[] | select(.role == "assistant") | .tool_calls[0].function | [.name, (.arguments | fromjson)]')" = '["multiply",{"a":1231,"b":2331}]' ]
	send --allow-tools "weather"
	exit_is 0
	run results_sent 3
	# the first message's call and its answer are context now
	[ "$(jq -c 'map(.id)' <<< "$output")" = '["call_1EYWDzueHEp8OsB8jJSEp7WB","call_fHCjJqt9Pysde6vcJcvbXGBx","call_3J9foSw3CUb48lrqIXoTky6U"]' ]
	[ ! -e "$MARK" ]
}

@test "tools: rounds are bounded by tool-rounds; past it the calls are answered as not run" {
	config <<< 'tool-rounds = 2'
	serve 'tool-use=add:{"a":1,"b":1}' 'tool-use=add:{"a":2,"b":2}' \
		'tool-use=add:{"a":3,"b":3}' 'tool-use=add:{"a":4,"b":4}'
	session anthropic
	send --allow-tools "again and again"
	exit_is 0
	[ "$(requests)" -eq 3 ]
	[ "$(wc -l < "$MARK")" -eq 2 ]
	grep -q 'stopped after 2 tool rounds (tool-rounds)' "$ERR"
	run chat-show --json "$SID"
	# user, then three replies each answered: the last one's call not run
	[ "$(jq -sc 'map(.role)' <<< "$output")" = '["user","assistant","user","assistant","user","assistant","user"]' ]
	[[ $(jq -sr '.[6].parts[0].content' <<< "$output") == 'not run: the limit of 2 tool rounds'* ]]
	# the session goes on: the next message carries the answered calls
	fake_stop
	serve 'text=fine'
	send "and now?"
	exit_is 0
	run results_sent 0
	[ "$(jq length <<< "$output")" -eq 3 ]
}

@test "tools: a malformed tool-rounds is a config error" {
	config <<< 'tool-rounds = many'
	serve
	session anthropic
	send hi
	exit_is 7
	grep -q "invalid tool-rounds 'many'" "$ERR"
}

@test "tools: --json prints the reply that asked and its results before the next reply" {
	serve 'tool-use=add:{"a":2,"b":3}' 'text=Five.'
	session anthropic
	send --json --allow-tools hi
	exit_is 0
	run jq -sc '[.[] | select(.type == "message") | .role]' "$OUT"
	[ "$output" = '["assistant","user","assistant"]' ]
	run jq -sc '[.[] | select(.type == "message")][1].parts[0].content' "$OUT"
	[ "$output" = '"sum: 5"' ]
}

@test "tools: chat-show and the exports show a reply's calls and their results" {
	serve 'tool-use=add:{"a":2,"b":3}' 'text=Five.'
	session anthropic
	send --allow-tools add
	exit_is 0
	run chat-export -f md "$SID"
	[[ $output == *'*tool call: add {"a":2,"b":3}*'* ]]
	[[ $output == *'[tool add: ran]'*'sum: 5'* ]]
	run chat-export -f txt "$SID"
	[[ $output == *'tool call: add {"a":2,"b":3}'* ]]
	tty_run chat-show "$SID"
	[[ $output == *'tool call: add {"a":2,"b":3}'* ]]
	[[ $output == *'[tool add: ran]'* ]]
}

@test "tools: SIGINT while a tool runs stops it: exit 130, the call answered, nothing more sent" {
	cat > "$PLUGINS/chat-plugin-slow" <<-EOF
	#!/bin/sh
	case \$1 in
	--describe)
		echo '{"name":"slow","commands":[],"tools":[{"name":"wait","description":"waits","input_schema":{"type":"object"}}]}'
		;;
	--tool)
		echo started > "$MARK"
		exec sleep 30
		;;
	esac
	EOF
	chmod +x "$PLUGINS/chat-plugin-slow"
	serve 'tool-use=wait:{}' 'text=never'
	session anthropic
	chat-send -s "$SID" --allow-tool wait hi > "$OUT" 2> "$ERR" < /dev/null 3>&- &
	pid=$!
	BG+=("$pid")
	await_file "$MARK"
	kill -INT "$pid"
	reap "$pid" 100
	exit_is 130
	[ "$(requests)" -eq 1 ]
	run chat-show --json "$SID"
	[ "$(jq -sc 'map(.role)' <<< "$output")" = '["user","assistant","user"]' ]
	[ "$(jq -s '.[2].parts[0].isError' <<< "$output")" = true ]
}

@test "tools: a context window that cuts a call off its answer leaves the answer out too" {
	serve 'tool-use=add:{"a":2,"b":3}' 'text=Five.' 'text=ok'
	session anthropic
	send --allow-tools add
	exit_is 0
	chat-set --context-window 2 "$SID"
	send "and now?"
	exit_is 0
	# the window: the answer's reply and this message; the answer itself
	# (whose call is outside it) is not sent
	[ "$(body 2 | jq -c '[.messages[] | .role]')" = '["assistant","user"]' ]
	[ "$(results_sent 2)" = '[]' ]
}

@test "tools: Anthropic's forced respond tool of --schema is the reply, not a call left unanswered" {
	serve 'tool-use=respond:{"name":"x"}' 'text=ok'
	session anthropic
	send --schema name hi
	exit_is 0
	[ "$(< "$OUT")" = '{"name":"x"}' ]
	# no tool_use stored, so none goes back without its tool_result
	chat-show --json "$SID" | jq -se '[.[1].parts // [] | .[] | select(.type == "tool_use")] == []'
	send again
	exit_is 0
	[ "$(body 1 | jq -c '[.messages[].content[] | select(.type == "tool_use")]')" = '[]' ]
}

@test "tools: names that still collide as PLUGIN__TOOL are not offered twice" {
	plugin b search
	plugin c search
	plugin a b__search
	config <<< 'tools = on'
	serve
	session anthropic
	send hi
	exit_is 0
	run body 0
	echo "$output" | jq -c '[.tools[].name]'
	[ "$(jq '[.tools[].name] | length == (unique | length)' <<< "$output")" = true ]
	[ "$(jq -c '[.tools[].name] | map(select(. == "c__search" or . == "add"))' <<< "$output")" = '["c__search","add"]' ]
}

@test "tools: --edit refuses the results of tool calls, whose new text would never be sent" {
	serve 'tool-use=add:{"a":1,"b":2}' 'text=three' 'text=never'
	session anthropic
	send --allow-tools hi
	exit_is 0
	before=$(chat-show --json "$SID")
	rid=$(jq -rs '.[2].id' <<< "$before")
	send --edit "$rid" "something else"
	exit_is 2
	[[ $stderr == *"holds the results of tool calls"* ]]
	[ "$(requests)" -eq 2 ]
	[ "$(chat-show --json "$SID")" = "$before" ]
}

# A plugin with a tool that waits until $GO exists, writing its pid to
# $MARK first.
waiting_plugin() {
	cat > "$PLUGINS/chat-plugin-slow" <<-EOF
	#!/bin/sh
	case \$1 in
	--describe)
		echo '{"name":"slow","commands":[],"tools":[{"name":"wait","description":"waits","input_schema":{"type":"object"}}]}'
		;;
	--tool)
		echo \$\$ > "$MARK"
		while [ ! -e "$GO" ]; do sleep 0.05; done
		echo '{"type":"text","content":"waited"}'
		;;
	esac
	EOF
	chmod +x "$PLUGINS/chat-plugin-slow"
}

@test "tools: a program killed while its tool ran leaves a call no later send carries unanswered" {
	GO=$BATS_TEST_TMPDIR/go
	waiting_plugin
	serve 'tool-use=wait:{}' 'text=after'
	session anthropic
	chat-send -s "$SID" --allow-tool wait hi > "$OUT" 2> "$ERR" < /dev/null 3>&- &
	pid=$!
	BG+=("$pid")
	await_file "$MARK"
	kill -KILL "$pid"
	wait "$pid" || true
	touch "$GO"
	send "go on"
	exit_is 0
	# the reply of nothing but the call is left out; the send goes on
	[ "$(body 1 | jq -c '[.messages[] | [.role, (.content | map(.type))]]')" = '[["user",["text"]]]' ]
	grep -q after "$OUT"
}

@test "tools: a send while a tool runs: each request has every call followed by its answer" {
	GO=$BATS_TEST_TMPDIR/go
	waiting_plugin
	serve 'tool-use=wait:{}' 'text=other' 'text=done'
	session anthropic
	chat-send -s "$SID" --allow-tool wait hi > "$OUT.a" 2> "$ERR.a" < /dev/null 3>&- &
	pid=$!
	BG+=("$pid")
	await_file "$MARK"
	send "meanwhile"
	exit_is 0
	touch "$GO"
	reap "$pid" 100
	exit_is 0
	grep -q done "$OUT.a"
	# the other send: the call not yet answered is not in it
	body 1 | jq -c .messages
	body 2 | jq -c .messages
	[ "$(body 1 | jq -c '[.messages[].content[].type]')" = '["text"]' ]
	# the round after the tool: the answer right after its call
	[ "$(body 2 | jq -c '[.messages[] | [.role, (.content | map(.type))]]')" = '[["user",["text"]],["assistant",["tool_use"]],["user",["tool_result","text"]],["assistant",["text"]]]' ]
}

@test "tools: arguments that are JSON but not an object never reach a tool, whatever its schema" {
	cat > "$PLUGINS/chat-plugin-any" <<-EOF
	#!/bin/sh
	case \$1 in
	--describe)
		echo '{"name":"any","commands":[],"tools":[{"name":"any","description":"takes anything","input_schema":{}}]}'
		;;
	--tool)
		cat >> "$MARK"
		echo '{"type":"text","content":"took it"}'
		;;
	esac
	EOF
	chmod +x "$PLUGINS/chat-plugin-any"
	local sse=$BATS_TEST_TMPDIR/array.sse
	{
		echo 'data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-test","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"any","arguments":"[1,2]"}}]},"finish_reason":null}]}'
		echo
		echo 'data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-test","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}'
		echo
		echo 'data: [DONE]'
		echo
	} > "$sse"
	serve "body=$sse" 'text=ok'
	session openai
	send --allow-tools hi
	exit_is 0
	[ ! -e "$MARK" ]
	run results_sent 1
	[[ $(jq -r '.[0].text' <<< "$output") == *"not a JSON object"* ]]
}

@test "tools: --allow-tool with a name no tool has says so" {
	serve 'text=ok'
	session anthropic
	send --allow-tool nosuch --allow-tool calc:add hi
	exit_is 0
	[[ $stderr == *"--allow-tool nosuch: no tool of that name is offered"* ]]
	[[ $stderr != *"--allow-tool calc:add"* ]]
	[ "$(body 0 | jq -c '[.tools[].name]')" = '["add"]' ]
}

@test "tools: Anthropic: a request whose messages hold calls, with no tools offered, declares them and allows none" {
	serve 'tool-use=add:{"a":2,"b":3}' 'text=ok' 'text=later' 'text=more'
	session anthropic
	send --allow-tool add hi
	exit_is 0
	[ "$(body 1 | jq -c '[[.tools[].name], .tool_choice]')" = '[["add"],null]' ]
	# a later send offering none: the API refuses tool blocks without tools
	send again
	exit_is 0
	[ "$(body 2 | jq -c '[[.tools[].name], .tool_choice]')" = '[["add"],{"type":"none"}]' ]
	[ "$(body 2 | jq -c '.tools[0].input_schema')" = '{"type":"object"}' ]
	# a session without them: nothing added
	session anthropic
	send plain
	exit_is 0
	[ "$(body 3 | jq -c '[has("tools"), has("tool_choice")]')" = '[false,false]' ]
}
