#!/usr/bin/env bats
# The rough edges a new user hit (issue 10), one test or more per item,
# each named by its item's number.

load helper
load confab-tmux

AKEY=sk-ant-test-Zq7wAnthropicKey

setup() {
	common_setup
	OUT="$BATS_TEST_TMPDIR/stdout"
	export LANG=C.UTF-8
	SOCK="rough-$$-$BATS_TEST_NUMBER"
	RUN="$BATS_TEST_TMPDIR/run"
	mkdir -p "$RUN"
}

teardown() {
	tm kill-server 2> /dev/null || true
	fake_stop
}

use_anthropic() { export ANTHROPIC_BASE_URL=$FAKE_URL ANTHROPIC_API_KEY=$AKEY; }

# ---- 1: a new provider without -m takes that provider's default model ----

@test "1: chat-set -p without -m moves to the provider's default model, and says so" {
	s=$(new_session -n s -p openai -m gpt-4o-mini)
	run -0 --separate-stderr chat-set s -p anthropic
	[ "$(jq -r .provider <<<"$output")" = anthropic ]
	[ "$(jq -r .model <<<"$output")" != gpt-4o-mini ]
	one_line_error chat-set
	[[ "$stderr" == *"claude-sonnet-4-5"* ]]
	[[ "$stderr" == *"anthropic"* ]]
	# the next request asks Anthropic for its own model
	fake_start "text=hi"
	use_anthropic
	chat-send -s "$s" hello < /dev/null > /dev/null
	[ "$(fake_requests | jq -r .body.model)" = claude-sonnet-4-5 ]
	[ "$(fake_requests | jq -r .path)" = /v1/messages ]
}

@test "1: the config's model for the provider is the default it moves to" {
	printf '[anthropic]\nmodel = claude-haiku-4-5\n' | config
	new_session -n s -p openai -m gpt-4o-mini > /dev/null
	run -0 --separate-stderr chat-set s -p anthropic
	[ "$(jq -r .model <<<"$output")" = claude-haiku-4-5 ]
	[[ "$stderr" == *"claude-haiku-4-5"* ]]
}

@test "1: an explicit -m stays, and the same provider keeps its model, quietly" {
	new_session -n s -p openai -m gpt-4o-mini > /dev/null
	run -0 --separate-stderr chat-set s -p anthropic -m claude-x
	[ "$(jq -r .model <<<"$output")" = claude-x ]
	[ -z "$stderr" ]
	run -0 --separate-stderr chat-set s -p anthropic
	[ "$(jq -r .model <<<"$output")" = claude-x ]
	[ -z "$stderr" ]
}

@test "1: confab's /provider moves to the provider's default model as chat-set does" {
	command -v tmux > /dev/null || skip "no tmux (make deps)"
	new_session -n a -p openai -m gpt-4o-mini > /dev/null
	new_session -n b -p openai -m gpt-4o-mini > /dev/null
	start a
	line "/provider anthropic"
	[ "$(on_screen "model 'gpt-4o-mini' is not anthropic's: now 'claude-sonnet-4-5'")" = 1 ]
	line "/provider anthropic"
	[ "$(on_screen "is not anthropic's")" = 1 ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	chat-set -p anthropic b > /dev/null 2>&1
	shape() { chat-ls --all --json | jq -c --arg n "$1" 'select(.name == $n) | [.provider, .model]'; }
	[ "$(shape a)" = '["anthropic",null]' ]
	[ "$(shape a)" = "$(shape b)" ]
}

# ---- 2: a --db that is not there is a typo, not a new store ----

@test "2: chat-ls --db on a missing path is an error and creates nothing" {
	for prog in "chat-ls" "chat-show x" "chat-set -n y x" "chat-add -s x hi" \
		"chat-rm -f x" "chat-cost" "chat-export x" "chat-branch x" "chat-edit x new" \
		"chat-send -s x hi"; do
		run -6 --separate-stderr $prog --db "$BATS_TEST_TMPDIR/typo/chaat.db" < /dev/null
		one_error "${prog%% *}"
		[[ "$stderr" == *"no store at '$BATS_TEST_TMPDIR/typo/chaat.db'"* ]]
		[ ! -e "$BATS_TEST_TMPDIR/typo" ]
	done
	# nor does the default store come into being meanwhile
	[ ! -e "$CHAT_DB" ]
}

@test "2: chat-new --db and chat-import --db create the store, then the others open it" {
	db=$BATS_TEST_TMPDIR/new/dir/one.db
	run -0 chat-new --db "$db" -n s
	[ -f "$db" ]
	[ "$(chat-ls --db "$db" --json | jq -r .name)" = s ]
	db2=$BATS_TEST_TMPDIR/other/two.db
	chat-add --db "$db" -s s hello > /dev/null
	chat-export --db "$db" -f json s | chat-import --db "$db2" > /dev/null
	[ "$(chat-ls --db "$db2" --json | jq -r .name)" = s ]
	[ ! -e "$CHAT_DB" ]
}

@test "2: CHAT_DB and the default path are still created when missing" {
	export CHAT_DB=$BATS_TEST_TMPDIR/env/a/chat.db
	run -0 chat-ls
	[ -f "$CHAT_DB" ]
	unset CHAT_DB
	run -0 chat-ls
	[ -f "$XDG_DATA_HOME/confab/chat.db" ]
}

@test "2: confab --db on a missing path is refused" {
	tty_run confab --db "$BATS_TEST_TMPDIR/typo/chaat.db"
	[ "$status" -eq 6 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "confab: no store at "* ]]
	[ ! -e "$BATS_TEST_TMPDIR/typo" ]
}

# ---- 3: with TEXT, stdin is read only when it is named ----

@test "3: chat-send with TEXT leaves a loop's stdin alone" {
	new_session -n one -p echo > /dev/null
	new_session -n two -p echo > /dev/null
	new_session -n three -p echo > /dev/null
	printf '%s\n' one two three | while read -r n; do
		chat-send -s "$n" summarise > /dev/null || exit 1
	done
	for n in one two three; do
		[ "$(chat-show --json "$n" | jq -r 'select(.role == "user") | .content')" = summarise ]
	done
}

@test "3: chat-send reads stdin with TEXT when it is named: - in its place, or --stdin after" {
	new_session -n s -p echo > /dev/null
	run -0 chat-send -s s 'look at' - 'and say' <<<'the piped text'
	[ "$output" = $'echo: look at\n\nthe piped text\n\nand say' ]
	run -0 chat-send -s s --stdin summarise <<<'the piped text'
	[ "$output" = $'echo: summarise\n\nthe piped text' ]
	# without TEXT, stdin is the message, as before
	run -0 chat-send -s s <<<'only piped'
	[ "$output" = 'echo: only piped' ]
}

@test "3: chat-send: --stdin or - with -s -, or twice, is refused; the store unchanged" {
	new_session -n s -p echo > /dev/null
	before=$(store_dump)
	run -2 --separate-stderr chat-send -s - --stdin hi <<<'{}'
	one_error chat-send
	run -2 --separate-stderr chat-send -s - hi - <<<'{}'
	one_error chat-send
	run -2 --separate-stderr chat-send -s s a - b - <<<'x'
	one_error chat-send
	[ "$before" = "$(store_dump)" ]
}

@test "3: chat-edit and chat-add with TEXT leave stdin alone" {
	new_session -n s -p echo > /dev/null
	m=$(chat-add -s s first | jq -r .id)
	printf 'not for chat-add\n' | { chat-add -s s second > /dev/null; cat > "$OUT"; }
	[ "$(cat "$OUT")" = 'not for chat-add' ]
	printf 'not for chat-edit\n' | { chat-edit "$m" changed > /dev/null; cat > "$OUT"; }
	[ "$(cat "$OUT")" = 'not for chat-edit' ]
	[ "$(chat-show --json s | jq -r .content)" = $'changed\nsecond' ]
}

# ---- 4: chat-add refuses an empty message as chat-send does ----

@test "4: chat-add --records refuses a message with empty content; the store unchanged" {
	sid=$(new_session -n s -p echo)
	chat-add -s s first > /dev/null
	before=$(store_dump)
	run -2 --separate-stderr chat-add --records <<EOF2
{"type":"message","sessionId":"$sid","role":"user","content":"fine"}
{"type":"message","sessionId":"$sid","role":"user","content":""}
EOF2
	one_error chat-add
	[[ "$stderr" == "chat-add: stdin:2: no message: "* ]]
	# chat-send's own refusal: the same words, the same status
	run -2 --separate-stderr chat-send -s s '' < /dev/null
	[[ "$stderr" == "chat-send: no message: "* ]]
	[ "$before" = "$(store_dump)" ]
}

@test "4: chat-add --records keeps a cut reply that got no word" {
	sid=$(new_session -n s -p echo)
	# a reply cut before its first word is kept as it came (chat-send stores those)
	run -0 chat-add --records <<EOF2
{"type":"message","sessionId":"$sid","role":"assistant","content":"","metadata":{"incomplete":true}}
EOF2
	[ "$(count messages)" = 1 ]
}

# ---- 5: an attachment's type is told by its bytes, not its name ----

# A real 1x1 PNG.
write_png() {
	printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\x00\x01\x00\x00\x05\x00\x01\r\n-\xb4\x00\x00\x00\x00IEND\xaeB`\x82' > "$1"
}

@test "5: a text file named x.png goes as text, a PNG named x.txt as an image" {
	printf 'just some notes\n' > "$BATS_TEST_TMPDIR/x.png"
	write_png "$BATS_TEST_TMPDIR/x.txt"
	fake_start
	use_anthropic
	chat-send -p anthropic --new -a "$BATS_TEST_TMPDIR/x.png" "what is this?" < /dev/null > /dev/null
	body=$(fake_requests | tail -n 1 | jq -c '.body.messages[-1].content')
	[ "$(jq -r '[.[].type] | join(",")' <<<"$body")" = text ]
	[[ "$(jq -r '.[0].text' <<<"$body")" == *"just some notes"* ]]
	chat-send -p anthropic --new -a "$BATS_TEST_TMPDIR/x.txt" "and this?" < /dev/null > /dev/null
	body=$(fake_requests | tail -n 1 | jq -c '.body.messages[-1].content')
	[ "$(jq -r '.[0].type, .[0].source.media_type' <<<"$body")" = $'image\nimage/png' ]
	[ "$(store_sql 'SELECT name, type, mime_type FROM attachments ORDER BY n')" = \
		$'x.png|text|text/plain\nx.txt|image|image/png' ]
}

@test "5: JPEG, GIF and WebP are told by their magic bytes; a PDF is refused by name of what it is" {
	printf '\xff\xd8\xff\xe0\x00\x10JFIF\x00' > "$BATS_TEST_TMPDIR/a.bin"
	printf 'GIF89a\x01\x00\x01\x00\x00\x00\x00;' > "$BATS_TEST_TMPDIR/b"
	printf 'RIFF\x1a\x00\x00\x00WEBPVP8 ' > "$BATS_TEST_TMPDIR/c.txt"
	new_session -n s -p echo > /dev/null
	chat-send -s s -a "$BATS_TEST_TMPDIR/a.bin" -a "$BATS_TEST_TMPDIR/b" \
		-a "$BATS_TEST_TMPDIR/c.txt" "look" < /dev/null > /dev/null
	[ "$(store_sql 'SELECT mime_type FROM attachments ORDER BY n' | paste -sd,)" = \
		image/jpeg,image/gif,image/webp ]
	before=$(store_dump)
	printf '%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n1 0 obj\n' > "$BATS_TEST_TMPDIR/doc.png"
	run -2 --separate-stderr chat-send -s s -a "$BATS_TEST_TMPDIR/doc.png" "read it" < /dev/null
	one_error chat-send
	[[ "$stderr" == *"doc.png"*"a PDF"* ]]
	[ "$before" = "$(store_dump)" ]
}

# ---- 7: chat-cost shows what a cheap reply cost, and echo is free ----

# An assistant reply in session $1 with model $2, provider $3 and cost $4.
priced_reply() {
	jq -nc --arg m "$2" --arg p "$3" --argjson c "$4" \
		'{role: "assistant", content: "reply", metadata: {model: $m, provider: $p,
		  inputTokens: 10, outputTokens: 2, cost: $c}}' |
		chat-add --records -s "$1" > /dev/null
}

@test "7: chat-cost shows a cost below a cent to 3 significant digits" {
	new_session -n s -p anthropic > /dev/null
	priced_reply s claude-haiku-4-5 anthropic 0.0000186
	tty_run chat-cost
	[[ "$output" == *'$0.0000186'* ]]
	[[ "$output" != *'$0.0000 '* ]]
	new_session -n t -p anthropic > /dev/null
	priced_reply t claude-haiku-4-5 anthropic 0.00123
	tty_run chat-cost t
	[[ "$output" == *'$0.00123'* ]]
	# a cent and above as before
	priced_reply t claude-haiku-4-5 anthropic 1.5
	tty_run chat-cost t
	[[ "$output" == *'$1.5012'* ]]
}

@test "7: the echo provider's replies are free, not unpriced" {
	new_session -n s -p echo > /dev/null
	chat-send -s s hello < /dev/null > /dev/null
	chat-send -s s again < /dev/null > /dev/null
	run -0 chat-cost --json
	[ "$(jq -c 'select(.by == "total") | [.messages, .cost, .unpriced]' <<<"$output")" = '[2,0,0]' ]
	tty_run chat-cost
	[[ "$output" == *'$0'* ]]
	[[ "$output" != *UNPRICED* ]]
}

# ---- 10: a message record on stdin stands for its session ----

@test "10: chat-show X | chat-export: message records name their session, each once, in order" {
	a=$(new_session -n alpha -p echo)
	b=$(new_session -n beta -p echo)
	chat-add -s alpha one > /dev/null
	chat-add -s alpha two > /dev/null
	chat-add -s beta three > /dev/null
	run -0 bash -c 'chat-show --json alpha | chat-export -f md'
	[[ "$output" == *one*two* ]]
	# beta's messages, then alpha's, then beta's again: beta, alpha
	run -0 --separate-stderr bash -c '{ chat-show --json beta; chat-show --json alpha; chat-show --json beta; } | chat-set --star'
	[ "$(jq -r .name <<<"$output" | paste -sd,)" = beta,alpha ]
	# a session record and its own messages: still once
	run -0 bash -c '{ chat-ls --json | grep alpha; chat-show --json alpha; } | chat-set --unstar'
	[ "$(jq -r .id <<<"$output")" = "$a" ]
	run -0 bash -c 'chat-show --json alpha | chat-send -s - more'
	[ "$output" = "echo: more" ]
	[ "$(count messages)" = 5 ]
}

@test "10: a message record of a session that is not there, or without sessionId, is an error" {
	new_session -n alpha > /dev/null
	before=$(store_dump)
	run -3 --separate-stderr bash -c "echo '{\"type\":\"message\",\"sessionId\":\"01a2ffff-0000-7000-8000-000000000000\"}' | chat-set --star"
	one_error chat-set
	[[ "$stderr" == *"stdin:1: unknown session '01a2ffff-0000-7000-8000-000000000000'"* ]]
	run -5 --separate-stderr bash -c "echo '{\"type\":\"message\",\"id\":\"x\"}' | chat-set --star"
	one_error chat-set
	[[ "$stderr" == "chat-set: stdin:1: message record has no sessionId" ]]
	run -5 --separate-stderr bash -c "echo '{\"type\":\"cost\"}' | chat-set --star"
	[ "$stderr" = "chat-set: stdin:1: expected a session or message record, got type 'cost'" ]
	[ "$before" = "$(store_dump)" ]
}

# ---- 9: error lines that say what they mean, once ----

@test "9: an HTTP error without a message of its own names its status once" {
	new_session -n s -p gemini > /dev/null
	fake_start "status=404 body=/dev/null"
	export GOOGLE_GEMINI_BASE_URL=$FAKE_URL GEMINI_API_KEY=AIzaTest-Gemini9KeyQ
	run --separate-stderr chat-send -s s --retries 0 hi < /dev/null
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"HTTP 404"* ]]
	[[ "$stderr" != *"HTTP 404"*"HTTP 404"* ]]
}

@test "9: an ambiguous reference says how many it matches and lists a few" {
	for i in $(seq 10); do new_session -n same > /dev/null; done
	run -4 --separate-stderr chat-show same
	one_error chat-show
	[[ "$stderr" == "chat-show: ambiguous session name 'same' matches 10 sessions: "* ]]
	[[ "$stderr" == *", ..." ]]
	[ "$(grep -o '(same)' <<<"$stderr" | wc -l)" = 8 ]
	new_session -n one > /dev/null
	a=$(chat-ls --json | jq -r .id | head -1)
	run -4 --separate-stderr chat-show "${a:0:4}"
	[[ "$stderr" == "chat-show: ambiguous session prefix '${a:0:4}' matches 11 sessions: "* ]]
}

@test "9: a line on stdin that is not JSON says what was expected" {
	new_session -n s > /dev/null
	run -5 --separate-stderr bash -c "echo 'not json' | chat-show"
	one_error chat-show
	[[ "$stderr" == "chat-show: stdin:1: malformed record: expected a JSON record (session or message)"* ]]
}

@test "9: a fallback skipped for want of a key is said after the failure that wanted it" {
	new_session -n s -p anthropic > /dev/null
	fake_start "status=529"
	use_anthropic
	unset OPENAI_API_KEY
	run --separate-stderr chat-send -s s --retries 0 --fallback openai:gpt-4o-mini hi < /dev/null
	[ "$status" -ne 0 ]
	[[ "${stderr_lines[0]}" == "chat-send: anthropic failed; no fallback tried: skipped openai (no OPENAI_API_KEY)" ]]
	[[ "$stderr" != *"skipping"* ]]
}

# ---- 8: a reply cut mid-stream has its output tokens estimated ----

@test "8: an Anthropic stream cut mid-reply stores an estimate of what streamed, marked so" {
	new_session -n s -p anthropic > /dev/null
	fake_start "gen-bytes=40000 cut=20000"
	use_anthropic
	run chat-send -s s --retries 0 hi < /dev/null
	[ "$status" -ne 0 ]
	reply=$(chat-show --json s | tail -n 1)
	[ "$(jq -r .metadata.incomplete <<<"$reply")" = true ]
	len=$(jq -r '.content | length' <<<"$reply")
	[ "$len" -gt 1000 ]
	[ "$(jq -r .metadata.tokensEstimated <<<"$reply")" = true ]
	[ "$(jq -r .metadata.outputTokens <<<"$reply")" = $(((len + 3) / 4)) ]
	tty_run chat-show s
	[[ "$output" == *"~$(((len + 3) / 4)) tokens, estimated"* ]]
}

@test "8: a whole Anthropic reply keeps the count the provider gave, unmarked" {
	new_session -n s -p anthropic > /dev/null
	fake_start "text=all%20of%20it"
	use_anthropic
	chat-send -s s hi < /dev/null > /dev/null
	reply=$(chat-show --json s | tail -n 1)
	[ "$(jq -r '.metadata.tokensEstimated // "absent"' <<<"$reply")" = absent ]
	[ "$(jq -r .metadata.outputTokens <<<"$reply")" != 1 ]
}

@test "8: chat-cost counts the estimated replies and marks their output tokens" {
	new_session -n s -p anthropic > /dev/null
	fake_start "gen-bytes=40000 cut=20000"
	use_anthropic
	run chat-send -s s --retries 0 hi < /dev/null
	out=$(chat-show --json s | tail -n 1 | jq .metadata.outputTokens)
	run -0 chat-cost --json
	[ "$(jq -c 'select(.by == "total") | [.estimated, .outputTokens]' <<<"$output")" = "[1,$out]" ]
	tty_run chat-cost
	[[ "$output" == *"~"*"TOTAL"*"~"* ]]
}
