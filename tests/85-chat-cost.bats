#!/usr/bin/env bats
# chat-cost: grouping, time bounds, sessions by argument and by record, the
# price list, output for people and for pipes, errors.

load helper

setup() {
	common_setup
	# prices the tests can count with; tests of the shipped list unset it
	export CONFAB_PRICING="$BATS_TEST_TMPDIR/pricing.json"
	cat > "$CONFAB_PRICING" <<-'EOF'
	{"taken": "2025-12-01", "models": {
	 "claude-sonnet-4-5": {"provider": "anthropic", "input": 3, "output": 15},
	 "gpt-4o": {"provider": "openai", "input": 2.5, "output": 10},
	 "gpt-4o-mini": {"provider": "openai", "input": 0.15, "output": 0.6}}}
	EOF
}

teardown() {
	fake_stop
}

# chat-cost with stdin that is not a pipe: every session counts.
cost() {
	chat-cost "$@" </dev/null
}

# "-" as null, anything else as a JSON string.
jstr() {
	if [ "$1" = - ]; then echo null; else jq -n --arg s "$1" '$s'; fi
}

# Adds an assistant reply as chat-send stores one:
# reply SESSION TIME MODEL PROVIDER IN OUT COST, "-" for null.
reply() {
	local in=$5 out=$6 c=$7
	[ "$in" = - ] && in=null
	[ "$out" = - ] && out=null
	[ "$c" = - ] && c=null
	jq -nc --arg t "$2" --argjson m "$(jstr "$3")" --argjson p "$(jstr "$4")" \
		--argjson i "$in" --argjson o "$out" --argjson c "$c" '
		{role: "assistant", content: "reply", timestamp: $t,
		 metadata: {model: $m, provider: $p, inputTokens: $i, outputTokens: $o,
		  cost: $c, tokens: (if $i != null and $o != null then $i + $o else null end),
		  processing_time: 12, incomplete: false, stopReason: "end_turn"}}' |
		chat-add --records -s "$1" >/dev/null
}

# Two sessions: alpha (anthropic) with two Claude replies, one stored
# without a cost; beta (openai) with a GPT-4o reply and a local one no
# price list knows.
two_sessions() {
	alpha=$(new_session --name alpha -p anthropic -m claude-sonnet-4-5)
	beta=$(new_session --name beta -p openai -m gpt-4o)
	chat-add -s alpha --time 2026-01-02T00:00:00Z 'a question' >/dev/null
	reply alpha 2026-01-02T00:00:01Z claude-sonnet-4-5-20250929 anthropic 100 50 0.00105
	reply alpha 2026-01-05T00:00:01Z claude-sonnet-4-5-20250929 anthropic 200 100 -
	reply beta 2026-01-03T00:00:01Z gpt-4o-2024-08-06 openai 800 200 0.004
	reply beta 2026-01-04T00:00:01Z llama3 ollama 5 5 -
}

# The groups' records (without the total) as "key cost messages".
groups() {
	jq -r 'select(.by != "total") | "\(.key) \(.cost) \(.messages)"'
}

@test "an empty store reports a zero total and succeeds" {
	run --separate-stderr cost
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = '{"type":"cost","by":"total","key":null,"provider":null,"messages":0,"inputTokens":0,"outputTokens":0,"totalTokens":0,"cost":0,"unpriced":0}' ]
}

@test "by default one record per model and provider, most cost first, and a total" {
	two_sessions
	run -0 cost
	[ "${#lines[@]}" -eq 4 ]
	[ "${lines[0]}" = '{"type":"cost","by":"model","key":"gpt-4o-2024-08-06","provider":"openai","messages":1,"inputTokens":800,"outputTokens":200,"totalTokens":1000,"cost":0.004,"unpriced":0}' ]
	# 0.00105 stored, and 200 in at $3/M + 100 out at $15/M priced from the list
	[ "${lines[1]}" = '{"type":"cost","by":"model","key":"claude-sonnet-4-5-20250929","provider":"anthropic","messages":2,"inputTokens":300,"outputTokens":150,"totalTokens":450,"cost":0.00315,"unpriced":0}' ]
	[ "${lines[2]}" = '{"type":"cost","by":"model","key":"llama3","provider":"ollama","messages":1,"inputTokens":5,"outputTokens":5,"totalTokens":10,"cost":0,"unpriced":1}' ]
	[ "${lines[3]}" = '{"type":"cost","by":"total","key":null,"provider":null,"messages":4,"inputTokens":1105,"outputTokens":355,"totalTokens":1460,"cost":0.00715,"unpriced":1}' ]
	# --by model is the default
	run -0 cost --by model
	[ "${lines[1]}" = '{"type":"cost","by":"model","key":"claude-sonnet-4-5-20250929","provider":"anthropic","messages":2,"inputTokens":300,"outputTokens":150,"totalTokens":450,"cost":0.00315,"unpriced":0}' ]
}

@test "only assistant replies count" {
	sid=$(new_session --name s -p anthropic)
	chat-add -s s 'a question' >/dev/null
	chat-add -s s -r system 'be brief' >/dev/null
	printf '%s\n' '{"role":"user","content":"q","metadata":{"tokens":99,"model":"gpt-4o","inputTokens":50,"outputTokens":49,"cost":1}}' |
		chat-add --records -s s >/dev/null
	run -0 cost
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -c '[.messages, .cost, .totalTokens]' <<< "$output")" = '[0,0,0]' ]
}

@test "--by provider: one record per provider" {
	two_sessions
	reply beta 2026-01-06T00:00:00Z gpt-4o-mini openai 1000 1000 -
	run -0 cost --by provider
	[ "${#lines[@]}" -eq 4 ]
	# 0.004 + (1000 × 0.15 + 1000 × 0.6) / 1e6
	[ "${lines[0]}" = '{"type":"cost","by":"provider","key":"openai","provider":"openai","messages":2,"inputTokens":1800,"outputTokens":1200,"totalTokens":3000,"cost":0.00475,"unpriced":0}' ]
	[ "$(groups <<< "${lines[1]}")" = 'anthropic 0.00315 2' ]
	[ "$(groups <<< "${lines[2]}")" = 'ollama 0 1' ]
	[ "$(jq -c '[.by, .messages, .cost, .unpriced]' <<< "${lines[3]}")" = '["total",5,0.0079,1]' ]
}

@test "--by session: one record per session, with its name and provider" {
	two_sessions
	new_session --name silent >/dev/null
	run -0 cost --by session
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[0]}" = "{\"type\":\"cost\",\"by\":\"session\",\"key\":\"$beta\",\"name\":\"beta\",\"provider\":\"openai\",\"messages\":2,\"inputTokens\":805,\"outputTokens\":205,\"totalTokens\":1010,\"cost\":0.004,\"unpriced\":1}" ]
	[ "${lines[1]}" = "{\"type\":\"cost\",\"by\":\"session\",\"key\":\"$alpha\",\"name\":\"alpha\",\"provider\":\"anthropic\",\"messages\":2,\"inputTokens\":300,\"outputTokens\":150,\"totalTokens\":450,\"cost\":0.00315,\"unpriced\":0}" ]
	[ "$(jq -c '[.by, .messages, .cost]' <<< "${lines[2]}")" = '["total",4,0.00715]' ]
}

@test "a model served by two providers is two records" {
	a=$(new_session --name a -p openai)
	b=$(new_session --name b)
	reply a 2026-01-02T00:00:00Z gpt-4o openai 100 100 0.00125
	reply b 2026-01-02T00:00:00Z gpt-4o groq 100 100 0.001
	run -0 cost
	[ "$(jq -r 'select(.by == "model") | "\(.key) \(.provider) \(.cost)"' <<< "$output")" = $'gpt-4o openai 0.00125\ngpt-4o groq 0.001' ]
}

@test "the total is the sum of the groups, for every --by" {
	two_sessions
	gamma=$(new_session --name gamma -p gemini)
	reply gamma 2026-01-07T00:00:00Z models/gemini-2.5-flash gemini 12345 6789 0.01851
	reply gamma 2026-01-07T00:01:00Z gpt-4o-mini openai 333 777 -
	reply gamma 2026-01-07T00:02:00Z gpt-4o - 10 - -
	for by in model provider session; do
		run -0 cost --by "$by"
		# the groups' sums, by jq, against the total record
		sums=$(jq -sc '[.[] | select(.by != "total")] |
			[(map(.messages) | add), (map(.inputTokens) | add),
			 (map(.outputTokens) | add), (map(.totalTokens) | add),
			 (map(.unpriced) | add), (map(.cost) | add)]' <<< "$output")
		total=$(jq -c 'select(.by == "total") |
			[.messages, .inputTokens, .outputTokens, .totalTokens, .unpriced, .cost]' <<< "$output")
		[ "$(jq -c '.[0:5]' <<< "$sums")" = "$(jq -c '.[0:5]' <<< "$total")" ] ||
			{ echo "--by $by: $sums vs $total"; return 1; }
		jq -e --argjson s "$sums" --argjson t "$total" \
			-n '($s[5] - $t[5]) < 1e-12 and ($t[5] - $s[5]) < 1e-12' >/dev/null ||
			{ echo "--by $by: cost $sums vs $total"; return 1; }
		[ "$(jq -c '.[0]' <<< "$total")" = 7 ]
		[ "$(jq -c '.[4]' <<< "$total")" = 2 ]
	done
}

@test "a reply stored without a cost is priced from the list; one without a price is unpriced" {
	s=$(new_session --name s -p openai)
	# no cost stored: priced from the list, 1000 × 0.15 + 2000 × 0.6 per million
	reply s 2026-01-02T00:00:00Z gpt-4o-mini-2024-07-18 openai 1000 2000 -
	# a stored cost is kept, whatever the list says now
	reply s 2026-01-02T00:00:01Z gpt-4o-mini-2024-07-18 openai 1000 2000 0.5
	# no price for the model
	reply s 2026-01-02T00:00:02Z llama3.2 openai 10 20 -
	# no model
	reply s 2026-01-02T00:00:03Z - openai 10 20 -
	# a price, but the provider reported no tokens
	reply s 2026-01-02T00:00:04Z gpt-4o-mini openai - - -
	run -0 cost
	[ "$(groups <<< "$output")" = $'gpt-4o-mini-2024-07-18 0.50135 2\ngpt-4o-mini 0 1\nllama3.2 0 1\nnull 0 1' ]
	[ "$(jq -c 'select(.by == "total") | [.messages, .unpriced, .cost, .totalTokens]' <<< "$output")" = '[5,3,0.50135,6060]' ]
}

@test "tokens without the input and output split count in the total only" {
	s=$(new_session --name s -p anthropic)
	chat-add -s s -r assistant -m claude-sonnet-4-5 --tokens 1200 'reply' >/dev/null
	run -0 cost
	[ "$(jq -c 'select(.by == "model") | [.key, .provider, .inputTokens, .outputTokens, .totalTokens, .cost, .unpriced]' <<< "$output")" = '["claude-sonnet-4-5","anthropic",0,0,1200,0,1]' ]
}

@test "a reply that names no provider takes its session's" {
	s=$(new_session --name s -p gemini)
	printf '%s\n' '{"role":"assistant","content":"x","metadata":{"model":"gemini-2.5-flash","inputTokens":1,"outputTokens":1,"cost":0.0000028}}' |
		chat-add --records -s s >/dev/null
	run -0 cost --by provider
	[ "$(jq -r 'select(.by == "provider") | .key' <<< "$output")" = gemini ]
}

@test "archived sessions and incomplete replies count too" {
	s=$(new_session --name s -p openai)
	printf '%s\n' '{"role":"assistant","content":"cut","metadata":{"model":"gpt-4o","provider":"openai","inputTokens":100,"outputTokens":10,"cost":0.00035,"incomplete":true,"stopReason":"interrupted"}}' |
		chat-add --records -s s >/dev/null
	chat-set --archive s >/dev/null
	run -0 cost
	[ "$(jq -c 'select(.by == "total") | [.messages, .cost]' <<< "$output")" = '[1,0.00035]' ]
}

@test "--since and --until bound the replies by when they were written" {
	two_sessions
	# the replies: 01-02 alpha, 01-03 beta, 01-04 beta (llama3), 01-05 alpha
	run -0 cost --since 2026-01-03
	[ "$(jq -c 'select(.by == "total") | [.messages, .cost]' <<< "$output")" = '[3,0.0061]' ]
	# a date given to --until includes the whole day
	run -0 cost --until 2026-01-03
	[ "$(groups <<< "$output")" = $'gpt-4o-2024-08-06 0.004 1\nclaude-sonnet-4-5-20250929 0.00105 1' ]
	run -0 cost --since 2026-01-03 --until 2026-01-04
	[ "$(jq -c 'select(.by == "total") | [.messages, .unpriced, .cost]' <<< "$output")" = '[2,1,0.004]' ]
	# RFC 3339 times, both bounds included
	run -0 cost --since 2026-01-03T00:00:01Z --until 2026-01-03T00:00:01Z
	[ "$(groups <<< "$output")" = 'gpt-4o-2024-08-06 0.004 1' ]
	run -0 cost --since 2026-01-03T00:00:01.001Z --until 2026-01-04T00:00:00Z
	[ "$(jq -c 'select(.by == "total") | .messages' <<< "$output")" = 0 ]
	# an age: only a reply written now is within the last day
	reply alpha "$(date -u +%Y-%m-%dT%H:%M:%SZ)" gpt-4o openai 1000 1000 0.0125
	run -0 cost --since 1d
	[ "$(groups <<< "$output")" = 'gpt-4o 0.0125 1' ]
	run -0 cost --until 1d --by provider
	[ "$(jq -c 'select(.by == "total") | .messages' <<< "$output")" = 4 ]
}

@test "a bad --since or --until is a usage error" {
	run --separate-stderr cost --since yesterday
	[ "$status" -eq 2 ]
	one_error chat-cost
	[[ "$stderr" == *"invalid --since 'yesterday'"* ]]
	run --separate-stderr cost --until 2026-13-01
	[ "$status" -eq 2 ]
	one_error chat-cost
	[[ "$stderr" == *"invalid --until '2026-13-01'"* ]]
}

@test "sessions named as arguments: by name, id and prefix" {
	two_sessions
	run -0 cost alpha
	[ "$(groups <<< "$output")" = 'claude-sonnet-4-5-20250929 0.00315 2' ]
	run -0 cost "$beta" --by session
	[ "$(jq -r 'select(.by == "session") | .name' <<< "$output")" = beta ]
	run -0 cost "${alpha:0:30}" beta --by session
	[ "$(jq -r 'select(.by == "session") | .name' <<< "$output" | sort | tr '\n' ' ')" = 'alpha beta ' ]
	# a session named twice counts once
	run -0 cost alpha alpha
	[ "$(jq -c 'select(.by == "total") | .messages' <<< "$output")" = 2 ]
}

@test "session records on stdin: chat-ls | chat-cost" {
	two_sessions
	chat-set --tag pick beta >/dev/null
	run -0 bash -c 'chat-ls --tag pick | chat-cost --by session'
	[ "$(jq -r '"\(.by) \(.name) \(.messages)"' <<< "$output")" = $'session beta 2\ntotal null 2' ]
	# records from a file, too
	chat-ls > "$BATS_TEST_TMPDIR/all.jsonl"
	run -0 bash -c "chat-cost < '$BATS_TEST_TMPDIR/all.jsonl'"
	[ "$(jq -c 'select(.by == "total") | .messages' <<< "$output")" = 4 ]
	# no records on the pipe: nothing is counted
	run -0 bash -c 'chat-ls --tag nothing | chat-cost'
	[ "$(jq -c '[.by, .messages]' <<< "$output")" = '["total",0]' ]
}

@test "- among the arguments reads session records from stdin" {
	two_sessions
	run -0 bash -c 'chat-ls | jq -c "select(.name == \"beta\")" | chat-cost alpha - --by session'
	[ "$(jq -r 'select(.by == "session") | .name' <<< "$output" | sort | tr '\n' ' ')" = 'alpha beta ' ]
	run -0 bash -c 'chat-ls | chat-cost - --by provider'
	[ "$(jq -c 'select(.by == "total") | .messages' <<< "$output")" = 4 ]
}

@test "without arguments, stdin a terminal or /dev/null means every session" {
	two_sessions
	run -0 bash -c 'chat-cost < /dev/null'
	[ "$(jq -c 'select(.by == "total") | .messages' <<< "$output")" = 4 ]
	NO_COLOR=1 tty_run "chat-cost"
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" == "TOTAL "*" 4  "* ]]
}

@test "a malformed record on stdin exits 5 naming its line" {
	two_sessions
	run --separate-stderr bash -c '{ chat-ls -n 1; echo "{oops"; } | chat-cost'
	[ "$status" -eq 5 ]
	one_error chat-cost
	[[ "$stderr" == "chat-cost: stdin:2: "* ]]
}

@test "an unknown session exits 3" {
	two_sessions
	run --separate-stderr cost no-such-session
	[ "$status" -eq 3 ]
	one_error chat-cost
	[[ "$stderr" == *"'no-such-session'"* ]]
	run --separate-stderr bash -c 'echo "{\"type\":\"session\",\"id\":\"00000000-0000-7000-8000-000000000000\"}" | chat-cost'
	[ "$status" -eq 3 ]
	one_error chat-cost
}

@test "a bad --by, an unknown option or a missing value is a usage error" {
	run --separate-stderr cost --by day
	[ "$status" -eq 2 ]
	one_error chat-cost
	[ "$stderr" = "chat-cost: invalid --by 'day': expected model, provider or session (see 'chat-cost --help')" ]
	run --separate-stderr cost --by
	[ "$status" -eq 2 ]
	one_error chat-cost
	[[ "$stderr" == *"'--by'"* ]]
	run --separate-stderr cost --bogus
	[ "$status" -eq 2 ]
	one_error chat-cost
	[[ "$stderr" == *"'--bogus'"* ]]
	run --separate-stderr cost -x
	[ "$status" -eq 2 ]
	one_error chat-cost
}

@test "on a terminal: an aligned table with a total row" {
	two_sessions
	NO_COLOR=1 tty_run "chat-cost"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 5 ]   # header, three models, total
	[[ "${lines[0]}" =~ ^MODEL\ +PROVIDER\ +MSGS\ +INPUT\ +OUTPUT\ +TOTAL\ +COST\ +UNPRICED$ ]]
	[[ "${lines[1]}" =~ ^gpt-4o-2024-08-06\ +openai\ +1\ +800\ +200\ +1,000\ +\$0\.00400\ +0$ ]]
	[[ "${lines[2]}" =~ ^claude-sonnet-4-5-20250929\ +anthropic\ +2\ +300\ +150\ +450\ +\$0\.00315\ +0$ ]]
	[[ "${lines[3]}" =~ ^llama3\ +ollama\ +1\ +5\ +5\ +10\ +-\ +1$ ]]
	[[ "${lines[4]}" =~ ^TOTAL\ +4\ +1,105\ +355\ +1,460\ +\$0\.00715\ +1$ ]]
	# every row as wide as the header: numbers right-aligned under it
	for i in 1 2 3 4; do
		[ "${#lines[i]}" -eq "${#lines[0]}" ] || { echo "row $i: ${lines[i]}"; return 1; }
	done
	[[ "$output" != *$'\e'* ]]
	# with color: the header dim, the total bold
	tty_run "chat-cost"
	[[ "${lines[0]}" == $'\e[2m'MODEL* ]]
	[[ "${lines[4]}" == $'\e[1m'TOTAL* ]]
}

@test "on a terminal: --by session and provider tables; no UNPRICED column when all are priced" {
	two_sessions
	NO_COLOR=1 tty_run "chat-cost --by session"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^ID\ +NAME\ +PROVIDER\ +MSGS ]]
	[[ "${lines[1]}" =~ ^${beta:0:8}[^\ ]*\ +beta\ +openai\ +2\ + ]]
	[[ "${lines[2]}" =~ ^${alpha:0:8}[^\ ]*\ +alpha\ +anthropic\ +2\ + ]]
	[[ "${lines[3]}" =~ ^TOTAL\ +4\ + ]]
	NO_COLOR=1 tty_run "chat-cost --by provider --since 2026-01-05"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^PROVIDER\ +MSGS\ +INPUT\ +OUTPUT\ +TOTAL\ +COST$ ]]
	[[ "${lines[1]}" =~ ^anthropic\ +1\ +200\ +100\ +300\ +\$0\.00210$ ]]
	[[ "${lines[2]}" =~ ^TOTAL\ +1\ + ]]
}

@test "on a terminal: names cannot drive the terminal" {
	s=$(new_session --name $'evil\e]0;x\a' -p openai)
	reply "$s" 2026-01-02T00:00:00Z $'gpt-4o\e[31m' openai 1 1 0.1
	NO_COLOR=1 tty_run "chat-cost --by session"
	[ "$status" -eq 0 ]
	[[ "$output" != *$'\e'* ]]
	NO_COLOR=1 tty_run "chat-cost"
	[[ "$output" != *$'\e'* ]]
}

@test "--json prints records on a terminal" {
	two_sessions
	tty_run "chat-cost --json --by provider"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.by' <<< "${lines[0]}")" = provider ]
	[ "$(jq -c '[.by, .messages]' <<< "${lines[3]}")" = '["total",4]' ]
}

@test "--db names the database" {
	two_sessions
	local other=$BATS_TEST_TMPDIR/other.db
	if [ "${CONFAB_TEST_DB:-}" = pg ]; then
		# the store stays where it is; CHAT_DB moves to an empty database
		other=$CHAT_DB
		CHAT_DB=$(pg_fresh_db)
	else
		mv "$CHAT_DB" "$other"
		rm -f "$CHAT_DB"-wal "$CHAT_DB"-shm
	fi
	run -0 cost --db "$other"
	[ "$(jq -c 'select(.by == "total") | .messages' <<< "$output")" = 4 ]
	run -0 cost
	[ "$(jq -c '.messages' <<< "$output")" = 0 ]
}

@test "a missing price list is one warning, and replies without a cost are unpriced" {
	two_sessions
	export CONFAB_PRICING="$BATS_TEST_TMPDIR/none.json"
	run --separate-stderr cost
	[ "$status" -eq 0 ]
	[ "$stderr" = "chat-cost: cannot read price list '$CONFAB_PRICING': No such file or directory; costs are left out" ]
	[ "$(jq -c 'select(.by == "total") | [.messages, .unpriced, .cost]' <<< "$output")" = '[4,2,0.00505]' ]
	echo '{"models": ' > "$BATS_TEST_TMPDIR/none.json"
	run --separate-stderr cost --by session
	[ "$status" -eq 0 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "chat-cost: malformed price list '$CONFAB_PRICING': "* ]]
	[ "$(jq -c 'select(.by == "total") | .unpriced' <<< "$output")" = 2 ]
}

@test "the shipped price list parses: every model priced above 0, with a known provider" {
	list="$ROOT/share/confab/pricing.json"
	run -0 jq -r '
		(.taken | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}$")) and
		.currency == "USD" and (.source | length > 0) and
		(.models | length > 0) and
		(.models | to_entries | all(.value |
			(.input | type == "number" and . > 0) and
			(.output | type == "number" and . > 0) and
			(.provider | IN("anthropic", "openai", "gemini"))))' "$list"
	[ "$output" = true ]
	# the models the issue names are all there
	for m in claude-opus-4-1 claude-opus-4 claude-sonnet-4-5 claude-sonnet-4 \
		claude-3-7-sonnet claude-haiku-4-5 claude-3-5-haiku claude-3-haiku \
		gpt-5 gpt-5-mini gpt-5-nano gpt-4.1 gpt-4.1-mini gpt-4.1-nano gpt-4o \
		gpt-4o-mini o3 o4-mini gpt-3.5-turbo gemini-2.5-pro gemini-2.5-flash \
		gemini-2.5-flash-lite gemini-2.0-flash; do
		jq -e --arg m "$m" '.models[$m]' "$list" >/dev/null || { echo "no $m"; return 1; }
	done
}

@test "without CONFAB_PRICING the programs find the list in share/ beside bin/" {
	[ ! -e /usr/local/share/confab/pricing.json ] || skip "an installed list comes first"
	unset CONFAB_PRICING
	s=$(new_session --name s -p anthropic)
	reply s 2026-01-02T00:00:00Z claude-sonnet-4-5-20250929 anthropic 1000000 1000000 -
	run --separate-stderr cost
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	want=$(jq '.models["claude-sonnet-4-5"] | .input + .output' "$ROOT/share/confab/pricing.json")
	[ "$(jq -c 'select(.by == "total") | .cost' <<< "$output")" = "$want" ]
}

@test "--help and --version" {
	run -0 chat-cost --help
	[[ "${lines[0]}" == "usage: chat-cost "* ]]
	[[ "$output" == *--by* && "$output" == *--since* ]]
	run -0 chat-cost -h
	[[ "${lines[0]}" == "usage: chat-cost "* ]]
	run -0 chat-cost --version
	[[ "$output" == "chat-cost (confab) "* ]]
}

@test "a closed pipe ends quietly with success" {
	two_sessions
	run --separate-stderr bash -o pipefail -c 'chat-cost --by session < /dev/null | head -c 1'
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
}

# ---- cache and reasoning tokens, each at its own price ----

# An assistant reply with the counts priced apart: cached SESSION TIME
# MODEL PROVIDER IN OUT CACHE-READ WRITE-5M WRITE-1H REASONING COST ("-": null).
cached() {
	local c=${11}
	[ "$c" = - ] && c=null
	jq -nc --arg t "$2" --arg m "$3" --arg p "$4" --argjson i "$5" --argjson o "$6" \
		--argjson r "$7" --argjson w5 "$8" --argjson w1 "$9" --argjson rs "${10}" --argjson c "$c" '
		{role: "assistant", content: "reply", timestamp: $t,
		 metadata: {model: $m, provider: $p, inputTokens: $i, outputTokens: $o,
		  cacheReadTokens: $r, cacheWrite5mTokens: $w5, cacheWrite1hTokens: $w1,
		  reasoningTokens: $rs, cost: $c, tokens: ($i + $o)}}' |
		chat-add --records -s "$1" >/dev/null
}

@test "cache reads, cache writes and reasoning are priced at their own rates, and reported apart" {
	cat > "$CONFAB_PRICING" <<-'EOF'
	{"taken": "2025-12-01", "models": {
	 "claude-sonnet-4-5": {"provider": "anthropic", "input": 3, "output": 15,
	  "cacheRead": 0.3, "cacheWrite5m": 3.75, "cacheWrite1h": 6},
	 "o3": {"provider": "openai", "input": 2, "output": 8, "cacheRead": 0.5, "reasoning": 9},
	 "gpt-4o": {"provider": "openai", "input": 2.5, "output": 10}}}
	EOF
	s=$(new_session --name s -p anthropic)
	# 10,000 input of which 6,000 read and 2,000 + 1,000 written: 1,000 at the input price
	cached s 2026-01-02T00:00:00Z claude-sonnet-4-5-20250929 anthropic 10000 500 6000 2000 1000 0 -
	# 4,000 prompt tokens, 3,000 of them cached; 1,000 output, 800 of it reasoning
	cached s 2026-01-02T00:00:01Z o3 openai 4000 1000 3000 0 0 800 -
	# no cache or reasoning prices listed: charged as input and output
	cached s 2026-01-02T00:00:02Z gpt-4o openai 1000 100 400 0 0 50 -
	run -0 cost
	want_c=$(jq -n '(1000 * 3 + 6000 * 0.3 + 2000 * 3.75 + 1000 * 6 + 500 * 15) / 1e6')
	want_o=$(jq -n '(1000 * 2 + 3000 * 0.5 + 200 * 8 + 800 * 9) / 1e6')
	want_g=$(jq -n '(1000 * 2.5 + 100 * 10) / 1e6')
	[ "$(jq -r 'select(.key == "claude-sonnet-4-5-20250929") | .cost' <<< "$output")" = "$want_c" ]
	[ "$(jq -r 'select(.key == "o3") | .cost' <<< "$output")" = "$want_o" ]
	[ "$(jq -r 'select(.key == "gpt-4o") | .cost' <<< "$output")" = "$want_g" ]
	[ "$(jq -c 'select(.by == "total") | [.cacheReadTokens, .cacheWrite5mTokens, .cacheWrite1hTokens, .reasoningTokens, .inputTokens, .outputTokens]' <<< "$output")" = \
	  '[9400,2000,1000,850,15000,1600]' ]
	# a model without any has none of the fields
	[ "$(jq -c 'select(.key == "gpt-4o") | has("cacheWrite5mTokens")' <<< "$output")" = false ]
	# on a terminal: columns of their own, only because some reply had them
	NO_COLOR=1 tty_run "chat-cost"
	[[ "${lines[0]}" =~ ^MODEL\ +PROVIDER\ +MSGS\ +INPUT\ +CACHE-READ\ +CACHE-WRITE\ +OUTPUT\ +REASONING\ +TOTAL\ +COST$ ]]
	[[ "${lines[4]}" =~ ^TOTAL\ +3\ +15,000\ +9,400\ +3,000\ +1,600\ +850\ +16,600\ + ]]
}

@test "chat-send stores the cost of cached and reasoning tokens at their own rates" {
	[ -x "$ROOT/build/fakeprov" ] || skip "build/fakeprov is missing: make build/fakeprov"
	[ -d "$PROVIDER_STREAMS" ] || skip "the recorded provider responses are missing: no $PROVIDER_STREAMS"
	# Mistral's recording reports 192 of 222 prompt tokens cached
	f=$PROVIDER_STREAMS/openai-compatible/mistral-stream.sse
	cat > "$CONFAB_PRICING" <<-'EOF'
	{"taken": "2025-12-01", "models": {
	 "mistral-small-latest": {"provider": "openai", "input": 0.1, "output": 0.3, "cacheRead": 0.01}}}
	EOF
	fake_start "body=$f"
	config <<-EOF
	[mistral]
	type = openai
	base-url = $FAKE_URL/v1
	model = mistral-small-latest
	EOF
	s=$(new_session --name m -p mistral -m mistral-small-latest)
	run -0 chat-send -s m hi < /dev/null
	fake_stop
	u=$(grep '^data:' "$f" | sed 's/^data: //' | grep -v DONE | jq -sc 'map(.usage // empty) | last')
	want=$(jq -n --argjson u "$u" '(($u.prompt_tokens - $u.prompt_tokens_details.cached_tokens) * 0.1
		+ $u.prompt_tokens_details.cached_tokens * 0.01 + $u.completion_tokens * 0.3) / 1e6')
	m=$(chat-show --json m | jq -sc '.[1]')
	[ "$(jq -r .metadata.model <<< "$m")" = mistral-small-latest ]
	[ "$(jq -r .metadata.cacheReadTokens <<< "$m")" = "$(jq .prompt_tokens_details.cached_tokens <<< "$u")" ]
	[ "$(jq -r .metadata.cost <<< "$m")" = "$want" ]
	# and chat-cost sums it as stored
	run -0 cost
	[ "$(jq -r 'select(.by == "total") | [.cost, .cacheReadTokens] | @tsv' <<< "$output")" = "$want	192" ]
}
