#!/usr/bin/env bats
# chat-set: each option changes what it names and nothing else; sessions by
# argument or by record; every refusal leaves the store as it was.

load helper

# The whole sessions table, to compare before and after.
dump() {
	store_sql 'SELECT * FROM sessions ORDER BY n'
}

# A session with a value in every field chat-set can change.
full_session() {
	new_session --name "$1" -p openai -m gpt-a -S 'be kind' --temperature 0.7 \
		--max-tokens 100 --context-window 5 --auto-context -t keep -t other
}

# The stored record of a session.
record() {
	chat-ls --all --json | jq -c --arg id "$1" 'select(.id == $id)'
}

# Runs chat-set with the arguments on session $S and checks that the record
# it prints is the stored one and that, leaving out lastUpdated and the
# fields named by the jq paths in $IGNORE, nothing else changed.  Leaves
# the new record in $after.
set_only() {
	before=$(record "$S")
	run -0 --separate-stderr chat-set "$@" "$S"
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 1 ]
	after=$(record "$S")
	[ "$output" = "$after" ]
	[ "$(jq -cS "del(.lastUpdated, $IGNORE)" <<<"$before")" = \
	  "$(jq -cS "del(.lastUpdated, $IGNORE)" <<<"$after")" ]
	[ "$(jq -c "$IGNORE" <<<"$before")" != "$(jq -c "$IGNORE" <<<"$after")" ]
}

a() {
	jq -c "$1" <<<"$after"
}

setup() {
	common_setup
	S=$(full_session target)
	# a bystander that no test names
	B=$(full_session bystander)
	bystander=$(record "$B")
}

teardown() {
	# whatever a test did to its target, the bystander is untouched
	[ "$(record "$B")" = "$bystander" ]
}

# ---- each option, alone ----

@test "--name renames and changes nothing else" {
	IGNORE=.name set_only --name renamed
	[ "$(a .name)" = '"renamed"' ]
	IGNORE=.name set_only -n again
	[ "$(a .name)" = '"again"' ]
}

@test "--provider" {
	IGNORE=.provider set_only -m gpt-a --provider anthropic
	[ "$(a .provider)" = '"anthropic"' ]
	[ "$(a .model)" = '"gpt-a"' ]
	# without -m, another provider's model goes (157-rough-edges says more)
	run -0 --separate-stderr chat-set -p echo "$S"
	[ "$(record "$S" | jq -c '[.provider, .model]')" = '["echo",null]' ]
}

@test "--provider takes a provider defined in the config" {
	printf '[groq]\ntype = openai\n' | config
	IGNORE=.provider set_only -m gpt-a --provider groq
	[ "$(a .provider)" = '"groq"' ]
}

@test "--model" {
	IGNORE=.model set_only --model gpt-b
	[ "$(a .model)" = '"gpt-b"' ]
	IGNORE=.model set_only -m gpt-c
	[ "$(a .model)" = '"gpt-c"' ]
}

@test "--system, and --system '' removes it" {
	IGNORE=.settings.systemPrompt set_only --system 'be brief'
	[ "$(a .settings.systemPrompt)" = '"be brief"' ]
	IGNORE=.settings.systemPrompt set_only -S ''
	[ "$(a .settings.systemPrompt)" = null ]
}

@test "--temperature, and --temperature '' removes it" {
	IGNORE=.settings.temperature set_only --temperature 2
	[ "$(a .settings.temperature)" = 2 ]
	IGNORE=.settings.temperature set_only --temperature 0
	[ "$(a .settings.temperature)" = 0 ]
	IGNORE=.settings.temperature set_only --temperature ''
	[ "$(a .settings.temperature)" = null ]
}

@test "--max-tokens" {
	IGNORE=.settings.maxTokens set_only --max-tokens 8192
	[ "$(a .settings.maxTokens)" = 8192 ]
}

@test "--context-window" {
	IGNORE=.settings.contextWindow set_only --context-window 0
	[ "$(a .settings.contextWindow)" = 0 ]
	IGNORE=.settings.contextWindow set_only --context-window 30
	[ "$(a .settings.contextWindow)" = 30 ]
}

@test "--no-auto-context and --auto-context" {
	IGNORE=.settings.autoContext set_only --no-auto-context
	[ "$(a .settings.autoContext)" = false ]
	IGNORE=.settings.autoContext set_only --auto-context
	[ "$(a .settings.autoContext)" = true ]
}

@test "--tag adds tags at the end, once" {
	IGNORE=.metadata.tags set_only --tag new -t keep -t new2 --tag new
	[ "$(a .metadata.tags)" = '["keep","other","new","new2"]' ]
}

@test "--untag removes tags; removing an absent tag is no error" {
	IGNORE=.metadata.tags set_only --untag keep -u absent
	[ "$(a .metadata.tags)" = '["other"]' ]
	IGNORE=.metadata.tags set_only -u other
	[ "$(a .metadata.tags)" = '[]' ]
	[ "$(store_sql "SELECT tags FROM sessions WHERE id = '$S'")" = '[]' ]
}

@test "--tag and --untag together" {
	IGNORE=.metadata.tags set_only -t x -u other
	[ "$(a .metadata.tags)" = '["keep","x"]' ]
}

@test "a session holds 256 tags: the 257th is a usage error that changes nothing" {
	before=$(store_dump)
	run -2 chat-set "$S" $(printf -- '-t t%d ' $(seq 255))
	[ "$output" = "chat-set: too many tags (at most 256) (see 'chat-set --help')" ]
	[ "$(store_dump)" = "$before" ]
	run -0 chat-set "$S" $(printf -- '-t t%d ' $(seq 254))
	[ "$(store_sql "SELECT tags FROM sessions WHERE id = '$S'" | jq length)" = 256 ]
	run -2 chat-set "$S" -t one-more
	# taking one away makes room
	run -0 chat-set "$S" -t one-more -u t1
	[ "$(store_sql "SELECT tags FROM sessions WHERE id = '$S'" | jq length)" = 256 ]
}

@test "a session imported with more than 256 tags stays editable: fewer is fine, more is not" {
	chat-export -f json "$S" | jq -c '.id = "11111111-2222-4333-8444-555555555555" | .name = "big"
		| .metadata.tags = [range(300) | "t\(.)"] | .messages = []' > "$BATS_TEST_TMPDIR/big.json"
	chat-import "$BATS_TEST_TMPDIR/big.json" > /dev/null
	run -0 chat-set big -u t0
	[ "$(store_sql "SELECT tags FROM sessions WHERE name = 'big'" | jq length)" = 299 ]
	run -0 chat-set big -u t1 -t new
	[ "$(store_sql "SELECT tags FROM sessions WHERE name = 'big'" | jq length)" = 299 ]
	run -2 chat-set big -t another -t more
	[ "$output" = "chat-set: too many tags (at most 256) (see 'chat-set --help')" ]
	[ "$(store_sql "SELECT tags FROM sessions WHERE name = 'big'" | jq length)" = 299 ]
	# a removal list longer than the bound is no error
	run -0 chat-set big $(printf -- '-u t%d ' $(seq 2 299))
	[ "$(store_sql "SELECT tags FROM sessions WHERE name = 'big'" | jq -c .)" = '["new"]' ]
}

@test "--star and --unstar" {
	IGNORE=.metadata.starred set_only --star
	[ "$(a .metadata.starred)" = true ]
	run -0 chat-ls --starred --json
	[ "$(jq -r .id <<<"$output")" = "$S" ]
	IGNORE=.metadata.starred set_only --unstar
	[ "$(a .metadata.starred)" = false ]
	run -0 chat-ls --starred --json
	[ -z "$output" ]
}

@test "--archive hides a session from chat-ls, --all shows it, --unarchive brings it back" {
	IGNORE=.metadata.archived set_only --archive
	[ "$(a .metadata.archived)" = true ]
	run -0 chat-ls --json
	[ "$(jq -r .name <<<"$output")" = bystander ]
	run -0 chat-ls --all --json
	[ "$(jq -r .name <<<"$output" | sort | paste -sd,)" = bystander,target ]
	run -0 chat-ls --archived --json
	[ "$(jq -r .name <<<"$output")" = target ]
	IGNORE=.metadata.archived set_only --unarchive
	[ "$(a .metadata.archived)" = false ]
	run -0 chat-ls --json
	[ "$(jq -r .name <<<"$output" | sort | paste -sd,)" = bystander,target ]
}

@test "lastUpdated moves forward with a change" {
	store_sql "UPDATE sessions SET last_updated = 1000 WHERE id = '$S'"
	run -0 chat-set --star "$S"
	updated=$(jq -r .lastUpdated <<<"$output")
	[ "$updated" != 1970-01-01T00:00:01.000Z ]
	[ "$(date -u -d "$updated" +%s)" -ge "$(($(date -u +%s) - 1))" ]
}

@test "several options at once" {
	IGNORE='.name, .model, .settings.temperature, .metadata.starred, .metadata.tags' \
		set_only -n multi -m gpt-z --temperature 1.1 --star -t t -u keep
	[ "$(a '[.name, .model, .settings.temperature, .metadata.starred, .metadata.tags]')" = \
	  '["multi","gpt-z",1.1,true,["other","t"]]' ]
}

@test "the config's defaults are not applied by chat-set" {
	printf 'model = cfg-model\nmax-tokens = 1\ntags = cfgtag\n' | config
	IGNORE=.metadata.starred set_only --star
	[ "$(a '[.model, .settings.maxTokens, .metadata.tags]')" = '["gpt-a",100,["keep","other"]]' ]
}

# ---- naming sessions ----

@test "a session by name, by full id, by id prefix" {
	run -0 chat-set --tag byname target
	[ "$(jq -r .id <<<"$output")" = "$S" ]
	run -0 chat-set --tag byid "$S"
	[ "$(jq -r .id <<<"$output")" = "$S" ]
	# the shortest prefix that only S has
	for n in $(seq 4 36); do
		p=${S:0:n}
		[ "${B:0:n}" != "$p" ] && break
	done
	run -0 chat-set --tag byprefix "$p"
	[ "$(jq -r .id <<<"$output")" = "$S" ]
	[ "$(jq -c .metadata.tags <<<"$output")" = '["keep","other","byname","byid","byprefix"]' ]
}

@test "several sessions as arguments: each changed, each printed, in order" {
	# a third session, so that the bystander stays unnamed
	C=$(new_session --name third)
	run -0 chat-set --star --tag both "$C" "$S"
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -r .id <<<"${lines[0]}")" = "$C" ]
	[ "$(jq -r .id <<<"${lines[1]}")" = "$S" ]
	[ "$(jq -c '[.metadata.starred, .metadata.tags]' <<<"${lines[0]}")" = '[true,["both"]]' ]
	[ "$(jq -c '[.metadata.starred, .metadata.tags]' <<<"${lines[1]}")" = '[true,["keep","other","both"]]' ]
	[ "$(store_sql 'SELECT count(*) FROM sessions WHERE starred = 1')" -eq 2 ]
}

@test "the same session named twice is changed once" {
	run -0 chat-set --tag twice "$S" target
	[ "${#lines[@]}" -eq 2 ]
	[ "$(record "$S" | jq -c .metadata.tags)" = '["keep","other","twice"]' ]
}

@test "session records on stdin" {
	C=$(new_session --name third)
	run -0 bash -c 'chat-ls --json | jq -c "select(.name != \"bystander\")" | chat-set --star -t piped'
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -r .name <<<"$output" | sort | paste -sd,)" = target,third ]
	[ "$(store_sql "SELECT name FROM sessions WHERE starred = 1 ORDER BY name" | paste -sd,)" = target,third ]
	[ "$(record "$C" | jq -c .metadata.tags)" = '["piped"]' ]
}

@test "chat-new piped into chat-set" {
	run -0 bash -c 'chat-new --name fresh | chat-set --archive'
	[ "$(jq -c '[.name, .metadata.archived]' <<<"$output")" = '["fresh",true]' ]
	[ "$(store_sql "SELECT archived FROM sessions WHERE name = 'fresh'")" -eq 1 ]
}

@test "- reads records from stdin beside arguments" {
	C=$(new_session --name third)
	run -0 bash -c 'chat-ls --json | jq -c "select(.name == \"third\")" | chat-set --star target -'
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -r .name <<<"${lines[0]}")" = target ]
	[ "$(jq -r .name <<<"${lines[1]}")" = third ]
	[ "$(store_sql "SELECT name FROM sessions WHERE starred = 1 ORDER BY name" | paste -sd,)" = target,third ]
}

@test "blank lines on stdin are skipped" {
	run -0 bash -c 'printf "\n{\"type\":\"session\",\"id\":\"%s\"}\n\n" "$1" | chat-set --star' _ "$S"
	[ "$(jq -r .id <<<"$output")" = "$S" ]
}

@test "no session on a terminal is a usage error" {
	snap=$(dump)
	run -2 on_tty chat-set --star
	[[ "$output" == "chat-set: no session given"* ]]
	[ "$(dump)" = "$snap" ]
}

@test "empty stdin changes nothing and prints nothing" {
	snap=$(dump)
	run -0 --separate-stderr chat-set --star < /dev/null
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ "$(dump)" = "$snap" ]
}

# ---- refusals: exit code, one line, nothing changed ----

@test "nothing to change is a usage error" {
	snap=$(dump)
	run -2 --separate-stderr chat-set "$S"
	one_error chat-set
	[ "$stderr" = "chat-set: nothing to change (see 'chat-set --help')" ]
	# --json and --db are not changes
	run -2 --separate-stderr chat-set --json --db "$CHAT_DB" "$S"
	one_error chat-set
	[ "$stderr" = "chat-set: nothing to change (see 'chat-set --help')" ]
	[ "$(dump)" = "$snap" ]
}

@test "invalid values are refused with exit 2 and nothing changed" {
	snap=$(dump)
	while IFS='|' read -r opt val; do
		run -2 --separate-stderr chat-set --star "$opt" "$val" "$S" "$B"
		one_error chat-set
		[[ "$stderr" == "chat-set: invalid $opt '$val': "*" (see 'chat-set --help')" ]]
	done <<-'EOF'
	--temperature|2.5
	--temperature|-1
	--temperature|hot
	--max-tokens|0
	--max-tokens|lots
	--context-window|-3
	--provider|nosuch
	--name|
	--model|
	--tag|a,b
	--tag|
	EOF
	[ "$(dump)" = "$snap" ]
}

@test "an unknown session: exit 3 and nothing changed, even when the others were valid" {
	snap=$(dump)
	run -3 --separate-stderr chat-set --star --name x "$S" nosuch "$B"
	one_error chat-set
	[ "$stderr" = "chat-set: unknown session 'nosuch'" ]
	run -3 --separate-stderr chat-set --archive "$S" 00000000-0000-7000-8000-000000000000
	one_error chat-set
	[ "$(dump)" = "$snap" ]
}

@test "an unknown session on stdin: exit 3 naming the line, nothing changed" {
	snap=$(dump)
	run -3 --separate-stderr bash -c '
		printf "{\"type\":\"session\",\"id\":\"%s\"}\n{\"type\":\"session\",\"id\":\"%s\"}\n" \
			"$1" 00000000-0000-7000-8000-000000000000 | chat-set --star' _ "$S"
	one_error chat-set
	[ "$stderr" = "chat-set: stdin:2: unknown session '00000000-0000-7000-8000-000000000000'" ]
	[ "$(dump)" = "$snap" ]
}

@test "a malformed line on stdin: exit 5 naming the line, nothing changed" {
	snap=$(dump)
	run -5 --separate-stderr bash -c '
		printf "{\"type\":\"session\",\"id\":\"%s\"}\n\n{\"type\":\"session\",\n" "$1" | chat-set --star' _ "$S"
	one_error chat-set
	[[ "$stderr" == "chat-set: stdin:3: malformed record"* ]]
	run -5 --separate-stderr bash -c 'printf "{\"type\":\"session\",\"id\":\"%s\"}\n[1]\n" "$1" | chat-set --star' _ "$S"
	one_error chat-set
	[ "$stderr" = "chat-set: stdin:2: malformed record: not a JSON object" ]
	run -5 --separate-stderr bash -c 'printf "{\"type\":\"session\",\"id\":\"%s\"}\n{\"type\":\"message\",\"id\":\"x\"}\n" "$1" | chat-set --star' _ "$S"
	one_error chat-set
	[ "$stderr" = "chat-set: stdin:2: message record has no sessionId" ]
	run -5 --separate-stderr bash -c 'echo "{\"type\":\"session\"}" | chat-set --star'
	one_error chat-set
	[ "$stderr" = "chat-set: stdin:1: session record has no id" ]
	[ "$(dump)" = "$snap" ]
}

@test "an ambiguous name: exit 4 listing the candidates, nothing changed" {
	C=$(new_session --name twin)
	D=$(new_session --name twin)
	snap=$(dump)
	run -4 --separate-stderr chat-set --star twin
	one_error chat-set
	[[ "$stderr" == "chat-set: ambiguous session name 'twin' matches "* ]]
	[[ "$stderr" == *"$C"* ]]
	[[ "$stderr" == *"$D"* ]]
	[ "$(dump)" = "$snap" ]
}

@test "an unknown option is a usage error and changes nothing" {
	snap=$(dump)
	run -2 --separate-stderr chat-set --bogus "$S"
	[ -z "$output" ]
	[ "$stderr" = "chat-set: unknown option '--bogus' (see 'chat-set --help')" ]
	[ "$(dump)" = "$snap" ]
}

# ---- output ----

@test "on a terminal: a table for people; --json: records" {
	export NO_COLOR=1
	run -0 on_tty chat-set --star target
	out=${output//$'\r'/}
	[[ "$(head -1 <<<"$out")" == ID*NAME*MODEL* ]]
	[[ "$(tail -1 <<<"$out")" == "${S:0:8}"*target*gpt-a* ]]
	run -0 on_tty chat-set --json --unstar target
	out=${output//$'\r'/}
	[ "$(jq -c '[.id, .metadata.starred]' <<<"$out")" = "[\"$S\",false]" ]
}

@test "a write error is reported after the change is made" {
	run -1 --separate-stderr bash -c 'chat-set --star "$1" > /dev/full' _ "$S"
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "chat-set: write error"* ]]
	[ "$(record "$S" | jq .metadata.starred)" = true ]
}
