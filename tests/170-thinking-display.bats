#!/usr/bin/env bats
# A reply's thinking for people: dimmed and marked before the text on a
# terminal (chat-show, chat-send, confab), out of chat-send's plain output
# unless --thinking, "(redacted thinking)" for a redacted block, a
# collapsed section in HTML and Markdown exports and a labelled one in
# text, PDF and DOCX, read back with independent programs.

load helper
load confab-tmux

THINKING=$PROVIDER_STREAMS/anthropic/messages-stream-thinking.sse
MARK=$'\u250a'

setup() {
	common_setup
	cd "$BATS_TEST_TMPDIR"   # the files the tests write
	export LANG=C.UTF-8
	SOCK="think-$$-$BATS_TEST_NUMBER"
	RUN="$BATS_TEST_TMPDIR/run"
	mkdir -p "$RUN"
	S=$(new_session -n t -p echo)
	chat-add -s t 'two plus two?' > /dev/null
	# thinking of two paragraphs, a redacted block, then the text
	jq -nc '{role: "assistant", content: "The answer is **4**.",
		parts: [{type: "thinking", thinking: "Two plus two.\n\nIt is four, \u001b[31mred\u001b[0m.", signature: "c2ln"},
		        {type: "redacted_thinking", data: "ZW5j"},
		        {type: "text", text: "The answer is **4**."}]}' |
		chat-add -s t --records > /dev/null
}

teardown() {
	tm kill-server 2> /dev/null || true
	fake_stop
}

need_fixture() {
	[ -f "$THINKING" ] || skip "no recording $THINKING (../shared/fixtures)"
}

use_fake() {
	fake_start "$@"
	config <<-EOF
	[anthropic]
	base-url = $FAKE_URL
	EOF
	export ANTHROPIC_API_KEY=sk-ant-test-0001
}

@test "chat-show on a terminal: the thinking before the text, each line marked and dimmed, controls harmless" {
	tty_run chat-show t
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\e[2m'"$MARK Two plus two."$'\e[0m'* ]]
	[[ "$output" == *"$MARK (redacted thinking)"* ]]
	# the thinking's escape is not sent to the terminal
	[[ "$output" != *$'\e[31m'* ]]
	[[ "$output" == *"It is four,  [31mred"* ]]
	# before the text, with an empty line between
	think=$(grep -n "redacted thinking" <<< "$output" | cut -d: -f1)
	text=$(grep -n "The answer is" <<< "$output" | cut -d: -f1)
	[ "$text" -eq $((think + 2)) ]
	[ -z "$(sed -n "$((think + 1))p" <<< "$output" | tr -d ' ')" ]
	# --plain too, and NO_COLOR keeps the mark without the dimming
	tty_run chat-show --plain t
	[[ "$output" == *"$MARK Two plus two."* ]]
	NO_COLOR=1 tty_run chat-show t
	[[ "$output" == *"$MARK Two plus two."* ]]
	[[ "$output" != *$'\e[2m'* ]]
}

@test "chat-show records keep the parts whole; a message without thinking shows none" {
	run -0 chat-show --json -n 1 t
	[ "$(jq -c '.parts | map(.type)' <<< "$output")" = '["thinking","redacted_thinking","text"]' ]
	[ "$(jq -r '.parts[0].signature' <<< "$output")" = c2ln ]
	chat-add -s t -r assistant 'plain reply' > /dev/null
	tty_run chat-show -n 1 t
	[[ "$output" != *"$MARK"* ]]
}

@test "chat-send: the thinking is out of plain output, in with --thinking, marked, an empty line before the text" {
	need_fixture
	use_fake "body=$THINKING" "body=$THINKING"
	run -0 --separate-stderr chat-send -s t -p anthropic 'names'
	[ "$output" = $'- Captain\n- Scoop' ]
	run -0 --separate-stderr chat-send -s t -p anthropic --thinking 'names'
	[ "${lines[0]}" = "$MARK The user wants two names for a pet pelican, and wants me to be brief. I'll give two simple, fitting names." ]
	[[ "$output" == *"$MARK - Percy"$'\n'* ]]
	[[ "$output" == *"$MARK I'll pick two good ones and keep it very short."$'\n\n- Captain\n- Scoop' ]]
	[[ "$output" != *$'\e'* ]]
	# what was stored: the thinking in parts, the text as content
	[ "$(chat-show --json -n 1 t | jq -r '.parts[0].type')" = thinking ]
	[ "$(chat-show --json -n 1 t | jq -r .content)" = $'- Captain\n- Scoop' ]
}

@test "chat-send on a terminal: the thinking dimmed as it streams, then the reply" {
	need_fixture
	use_fake "body=$THINKING"
	tty_run chat-send -s t -p anthropic names
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == $'\e[2m'"$MARK The user wants two names"* ]]
	think=$(grep -n "keep it very short" <<< "$output" | cut -d: -f1)
	cap=$(grep -n "Captain" <<< "$output" | tail -1 | cut -d: -f1)
	[ "$cap" -eq $((think + 2)) ]
}

@test "chat-send --json and --code: no thinking written, the record has it" {
	need_fixture
	use_fake "body=$THINKING" "body=$THINKING"
	run -0 chat-send -s t -p anthropic --json --thinking names
	[[ "$output" != *"$MARK"* ]]
	[ "$(jq -r 'select(.type == "message") | .parts[0].thinking' <<< "$output" | head -c 14)" = "The user wants" ]
	# the reply has no code: nothing on stdout, thinking included
	run -1 --separate-stderr chat-send -s t -p anthropic --code --thinking names
	[ -z "$output" ]
	[ "$stderr" = "chat-send: no code in the reply" ]
}

@test "confab: the thinking dimmed before the reply in the terminal" {
	need_fixture
	command -v tmux > /dev/null || skip "no tmux (make deps)"
	use_fake "body=$THINKING"
	new_session -n c -p anthropic > /dev/null
	start c
	line "names please"
	wait_for "Captain"
	run screen
	think=$(grep -n "keep it very short" <<< "$output" | cut -d: -f1)
	[ -n "$think" ]
	[[ "$(sed -n "${think}p" <<< "$output")" == "$MARK I'll pick two good ones"* ]]
	cap=$(grep -n "Captain" <<< "$output" | tail -1 | cut -d: -f1)
	[ "$cap" -eq $((think + 2)) ]
	# dimmed: the pane's attributes (tmux writes a change once, so the
	# dimming shows where the thinking starts)
	tm capture-pane -p -e -S -2000 > "$RUN/pane"
	grep -qF $'\e[2m'"$MARK The user wants" "$RUN/pane"
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}

@test "HTML: a closed <details> with the thinking before the text" {
	chat-export -f html -o t.html t
	xmllint --html --noout t.html 2> /dev/null
	run -0 --separate-stderr xmllint --html --xpath 'string(//details[@class="thinking"]/summary)' t.html
	[ "$output" = Thinking ]
	run -0 --separate-stderr xmllint --html --xpath 'string(//details[@class="thinking"])' t.html
	[[ "$output" == *"Two plus two."*"It is four"*"(redacted thinking)"* ]]
	# not open, and before the reply's own paragraph; the escape is text
	run -0 --separate-stderr xmllint --html --xpath 'count(//details[@open])' t.html
	[ "$output" = 0 ]
	run -0 --separate-stderr xmllint --html --xpath 'count(//details[@class="thinking"]/following-sibling::p[contains(., "The answer is")])' t.html
	[ "$output" = 1 ]
	not grep -q $'\e' t.html
}

@test "Markdown: a <details> block GFM keeps closed; pandoc reads the thinking and the text" {
	chat-export -f md -o t.md t
	grep -qx '<details>' t.md
	grep -qx '<summary>Thinking</summary>' t.md
	grep -qx '</details>' t.md
	run -0 pandoc -f gfm -t plain t.md
	[[ "$output" == *"Two plus two."*"It is four"*"(redacted thinking)"*"The answer is 4."* ]]
	# the thinking's words are not read as Markdown: the quote holds them
	run -0 pandoc -f gfm -t json t.md
	[ "$(jq '[.. | objects | select(.t == "BlockQuote")] | length' <<< "$output")" -ge 2 ]
}

@test "text, PDF and DOCX: a section labelled Thinking before the text" {
	chat-export -f txt -o t.txt t
	grep -qx '| Thinking' t.txt
	grep -qx '| Two plus two.' t.txt
	grep -qx '| (redacted thinking)' t.txt
	[ "$(grep -n 'Thinking' t.txt | cut -d: -f1)" -lt "$(grep -n 'The answer is' t.txt | cut -d: -f1)" ]
	chat-export -f pdf -o t.pdf t
	run -0 pdftotext -enc UTF-8 t.pdf -
	[[ "$output" == *"Thinking"*"Two plus two."*"(redacted thinking)"*"The answer is 4."* ]]
	chat-export -f docx -o t.docx t
	run -0 pandoc -f docx -t plain t.docx
	[[ "$output" == *"Thinking"*"Two plus two."*"(redacted thinking)"*"The answer is 4."* ]]
	# JSON keeps the parts
	chat-export -f json -o t.json t
	[ "$(jq -c '[.. | objects | select(.type? == "redacted_thinking")] | length' t.json)" = 1 ]
}

@test "exports of a session without thinking have no Thinking section" {
	chat-new -n plain -p echo > /dev/null
	chat-add -s plain -r assistant 'just words' > /dev/null
	for f in html md txt; do
		chat-export -f $f -o "p.$f" plain
		not grep -q Thinking "p.$f"
	done
}

@test "a long thinking streamed in many pieces: every piece shown once, in order, marked by line" {
	# 5000 deltas of thinking, a line break every tenth, then the text
	jq -nr '
		def ev($t; $d): "event: \($t)\ndata: \($d | tojson)\n";
		ev("message_start"; {type: "message_start", message: {id: "m", type: "message",
			role: "assistant", model: "claude-x", content: [], usage: {input_tokens: 1, output_tokens: 1}}}),
		ev("content_block_start"; {type: "content_block_start", index: 0,
			content_block: {type: "thinking", thinking: "", signature: ""}}),
		(range(5000) as $i | ev("content_block_delta"; {type: "content_block_delta", index: 0,
			delta: {type: "thinking_delta", thinking: (if $i % 10 == 9 then "w\($i)\n" else "w\($i) " end)}})),
		ev("content_block_delta"; {type: "content_block_delta", index: 0,
			delta: {type: "signature_delta", signature: "c2ln"}}),
		ev("content_block_stop"; {type: "content_block_stop", index: 0}),
		ev("content_block_start"; {type: "content_block_start", index: 1, content_block: {type: "text", text: ""}}),
		ev("content_block_delta"; {type: "content_block_delta", index: 1, delta: {type: "text_delta", text: "done"}}),
		ev("content_block_stop"; {type: "content_block_stop", index: 1}),
		ev("message_delta"; {type: "message_delta", delta: {stop_reason: "end_turn"}, usage: {output_tokens: 2}}),
		ev("message_stop"; {type: "message_stop"})' > long.sse
	use_fake "body=$PWD/long.sse chunk=200"
	run -0 --separate-stderr chat-send -s t -p anthropic --thinking 'think long'
	want=$(for ((i = 0; i < 500; i++)); do
		printf '%s' "$MARK"
		for ((j = 0; j < 10; j++)); do printf ' w%d' $((i * 10 + j)); done
		printf '\n'
	done; printf '\ndone')
	[ "$output" = "$want" ]
}

@test "Markdown: a thinking paragraph that starts indented is a paragraph, not code showing the escapes" {
	jq -nc '{role: "assistant", content: "ok",
		parts: [{type: "thinking", thinking: "first\n\n    indented <b>x</b> & *y*\n\n  - not a list"}]}' |
		chat-add -s t --records > /dev/null
	chat-export -f md -o t.md t
	run -0 pandoc -f gfm -t json t.md
	[ "$(jq '[.. | objects | select(.t == "CodeBlock" or .t == "BulletList")] | length' <<< "$output")" = 0 ]
	run -0 pandoc -f gfm -t plain t.md
	[[ "$output" == *"indented <b>x</b> & *y*"* ]]
	[[ "$output" == *"- not a list"* ]]
	[[ "$output" != *'\<'* ]]
}

# An Anthropic stream: thinking $1, then a call of add (when $2 is "tool")
# or the text $2.
think_sse() {
	local block stop
	if [ "$2" = tool ]; then
		block='{"type":"tool_use","id":"toolu_1","name":"add","input":{}}'
		stop=tool_use
	else
		block='{"type":"text","text":""}'
		stop=end_turn
	fi
	cat <<-EOF
	event: message_start
	data: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"claude-x","content":[],"usage":{"input_tokens":1,"output_tokens":1}}}

	event: content_block_start
	data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}

	event: content_block_delta
	data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"$1"}}

	event: content_block_delta
	data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"c2ln"}}

	event: content_block_stop
	data: {"type":"content_block_stop","index":0}

	event: content_block_start
	data: {"type":"content_block_start","index":1,"content_block":$block}

	event: content_block_delta
	data: {"type":"content_block_delta","index":1,"delta":$(if [ "$2" = tool ]; then
		echo '{"type":"input_json_delta","partial_json":"{\"a\":1,\"b\":2}"}'
	else
		echo "{\"type\":\"text_delta\",\"text\":\"$2\"}"
	fi)}

	event: content_block_stop
	data: {"type":"content_block_stop","index":1}

	event: message_delta
	data: {"type":"message_delta","delta":{"stop_reason":"$stop"},"usage":{"output_tokens":2}}

	event: message_stop
	data: {"type":"message_stop"}

	EOF
}

@test "chat-send --thinking after a tool call: the next round's thinking shown whole" {
	mkdir -p "$XDG_DATA_HOME/confab/plugins"
	cat > "$XDG_DATA_HOME/confab/plugins/chat-plugin-calc" <<-'EOF'
	#!/bin/sh
	case $1 in
	--describe) echo '{"name":"calc","commands":[],"tools":[{"name":"add","description":"adds","input_schema":{"type":"object"}}]}' ;;
	--tool) cat > /dev/null; echo '{"type":"text","content":"3"}' ;;
	esac
	EOF
	chmod +x "$XDG_DATA_HOME/confab/plugins/chat-plugin-calc"
	think_sse "the first round thinks at some length" tool > r1.sse
	think_sse "then a short one" "it is 3" > r2.sse
	use_fake "body=$PWD/r1.sse" "body=$PWD/r2.sse"
	run -0 --separate-stderr chat-send -s t -p anthropic --thinking --allow-tools add
	[ "$output" = "$MARK the first round thinks at some length"$'\n'"$MARK "$'\n'"$MARK then a short one"$'\n\nit is 3' ]
}
