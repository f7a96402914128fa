#!/usr/bin/env bats
# chat-branch: branches and copies, what they copy and record, and errors.

load helper


# A session "src" (tagged, starred, with settings) and four messages; sets
# $src and $m1..$m4.
source_session() {
	src=$(new_session --name src --provider echo --model m1 --system 'be brief' \
		--temperature 0.5 --max-tokens 100 --context-window 7 --auto-context -t work -t x)
	m1=$(chat-add -s "$src" --time 2026-01-01T10:00:00Z --tokens 3 "question one" | jq -r .id)
	m2=$(chat-add -s "$src" --time 2026-01-01T10:00:01Z --tokens 20 -r assistant -m m1 "answer one" | jq -r .id)
	m3=$(chat-add -s "$src" --time 2026-01-01T10:00:02Z --tokens 5 "question two" | jq -r .id)
	m4=$(chat-add -s "$src" --time 2026-01-01T10:00:03Z --tokens 40 -r assistant -m m1 "answer two" | jq -r .id)
	chat-set --star "$src" >/dev/null
}

# The messages of a session without what differs between copies.
contents() {
	chat-show "$1" | jq -c 'del(.id, .sessionId)'
}

@test "a branch takes all messages and records its parent and branch point" {
	source_session
	run --separate-stderr chat-branch "$src"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 1 ]
	b=$(jq -r .id <<< "$output")
	[ "$b" != "$src" ]
	[ "${#b}" -eq 36 ]
	[ "$(jq -r .type <<< "$output")" = session ]
	[ "$(jq -r .name <<< "$output")" = 'src (branch)' ]
	[ "$(jq -r .parentSessionId <<< "$output")" = "$src" ]
	[ "$(jq -r .branchPoint <<< "$output")" = "$m4" ]
	[ "$(jq -c '[.metadata.messageCount, .metadata.totalTokens]' <<< "$output")" = '[4,68]' ]
	# the store agrees with what was printed
	[ "$(chat-ls --parent "$src" | jq -c '[.id, .metadata.messageCount, .metadata.totalTokens]')" = "[\"$b\",4,68]" ]
	[ "$(contents "$b")" = "$(contents "$src")" ]
}

@test "--at takes the messages up to and including that message" {
	source_session
	run -0 chat-branch --at "$m2" "$src"
	b=$(jq -r .id <<< "$output")
	[ "$(jq -r .branchPoint <<< "$output")" = "$m2" ]
	[ "$(jq -c '[.metadata.messageCount, .metadata.totalTokens]' <<< "$output")" = '[2,23]' ]
	run -0 bash -c "chat-show $b | jq -r .content"
	[ "$output" = $'question one\nanswer one' ]
	# the first message alone
	run -0 chat-branch -a "$m1" src
	[ "$(jq -c '[.metadata.messageCount, .metadata.totalTokens]' <<< "$output")" = '[1,3]' ]
	[ "$(chat-show "$(jq -r .id <<< "$output")" | jq -r .content)" = 'question one' ]
}

@test "--at takes a message id prefix and records the full id" {
	source_session
	run -0 chat-branch --at "${m3:0:30}" "$src"
	[ "$(jq -r .branchPoint <<< "$output")" = "$m3" ]
	[ "$(jq -r .metadata.messageCount <<< "$output")" = 3 ]
	run -0 chat-branch --at "${m3^^}" "$src"
	[ "$(jq -r .branchPoint <<< "$output")" = "$m3" ]
}

@test "the branch's messages have new ids and the same roles, contents and times" {
	source_session
	b=$(chat-branch --at "$m3" "$src" | jq -r .id)
	run -0 bash -c "chat-show $b | jq -r .id"
	mapfile -t new_ids <<< "$output"
	[ "${#new_ids[@]}" -eq 3 ]
	for id in "${new_ids[@]}"; do
		[ "${#id}" -eq 36 ]
		[ "$id" != "$m1" ] && [ "$id" != "$m2" ] && [ "$id" != "$m3" ] && [ "$id" != "$m4" ]
	done
	[ "$(printf '%s\n' "${new_ids[@]}" | sort -u | wc -l)" -eq 3 ]
	run -0 bash -c "chat-show $b | jq -r .sessionId | sort -u"
	[ "$output" = "$b" ]
	run -0 bash -c "chat-show $b | jq -c '[.role, .content, .timestamp, .metadata.tokens, .metadata.model]'"
	[ "${lines[0]}" = '["user","question one","2026-01-01T10:00:00.000Z",3,null]' ]
	[ "${lines[1]}" = '["assistant","answer one","2026-01-01T10:00:01.000Z",20,"m1"]' ]
	[ "${lines[2]}" = '["user","question two","2026-01-01T10:00:02.000Z",5,null]' ]
	[ "$(contents "$b")" = "$(chat-show --last 4 "$src" | head -3 | jq -c 'del(.id, .sessionId)')" ]
}

@test "the branch keeps the settings, provider, model and tags, not the star" {
	source_session
	chat-set --archive "$src" >/dev/null
	run -0 chat-branch "$src"
	b=$(jq -r .id <<< "$output")
	[ "$(jq -c '[.provider, .model, .settings, .metadata.tags]' <<< "$output")" = \
	  "$(chat-ls --all | jq -c "select(.id == \"$src\") | [.provider, .model, .settings, .metadata.tags]")" ]
	[ "$(jq -c '.settings' <<< "$output")" = '{"temperature":0.5,"maxTokens":100,"systemPrompt":"be brief","autoContext":true,"contextWindow":7,"sendHistory":false}' ]
	[ "$(jq -c '[.metadata.starred, .metadata.archived]' <<< "$output")" = '[false,false]' ]
	# a new session: new times
	[ "$(jq -r .created <<< "$output")" != "$(chat-ls --all | jq -r "select(.id == \"$src\") | .created")" ]
	# not archived, so it is listed
	[ "$(chat-ls | jq -r .id)" = "$b" ]
}

@test "--name names the branch" {
	source_session
	run -0 chat-branch --name 'try another way' "$src"
	[ "$(jq -r .name <<< "$output")" = 'try another way' ]
	run -0 chat-branch -n 'short opt' --at "$m1" "$src"
	[ "$(jq -r .name <<< "$output")" = 'short opt' ]
	[ "$(jq -r .branchPoint <<< "$output")" = "$m1" ]
	run -0 chat-show 'try another way'
	[ "${#lines[@]}" -eq 4 ]
}

@test "--name '' is a usage error and creates nothing" {
	source_session
	s=$(count sessions)
	run --separate-stderr chat-branch --name '' "$src"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	one_line_error "chat-branch: invalid --name '': must not be empty"
	[ "$(count sessions)" -eq "$s" ]
}

@test "--duplicate makes a copy: no parent, no branch point, NAME (copy)" {
	source_session
	run --separate-stderr chat-branch --duplicate "$src"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	d=$(jq -r .id <<< "$output")
	[ "$(jq -c '[.name, .parentSessionId, .branchPoint]' <<< "$output")" = '["src (copy)",null,null]' ]
	[ "$(jq -c '[.metadata.messageCount, .metadata.totalTokens]' <<< "$output")" = '[4,68]' ]
	[ "$(contents "$d")" = "$(contents "$src")" ]
	# not listed as a branch
	run -0 chat-ls --parent "$src"
	[ -z "$output" ]
	# -d, with --at and --name
	run -0 chat-branch -d --at "$m2" --name dup2 "$src"
	[ "$(jq -c '[.name, .parentSessionId, .branchPoint, .metadata.messageCount]' <<< "$output")" = '["dup2",null,null,2]' ]
}

@test "the original is unchanged" {
	source_session
	before_ls=$(chat-ls)
	before_show=$(chat-show "$src")
	before_n=$(count "messages WHERE session_id = '$src'")
	chat-branch --at "$m2" "$src" >/dev/null
	chat-branch "$src" >/dev/null
	chat-branch --duplicate "$src" >/dev/null
	[ "$(chat-ls | jq -c "select(.id == \"$src\")")" = "$before_ls" ]
	[ "$(chat-show "$src")" = "$before_show" ]
	[ "$(count "messages WHERE session_id = '$src'")" -eq "$before_n" ]
	[ "$(count messages)" -eq $(( 4 + 2 + 4 + 4 )) ]
	[ "$(count sessions)" -eq 4 ]
}

@test "a branch of a session without messages has no branch point" {
	e=$(new_session --name empty)
	run -0 chat-branch "$e"
	[ "$(jq -c '[.name, .parentSessionId, .branchPoint, .metadata.messageCount]' <<< "$output")" = "[\"empty (branch)\",\"$e\",null,0]" ]
}

@test "a branch of a branch has the branch as its parent" {
	source_session
	b1=$(chat-branch --at "$m3" --name b1 "$src" | jq -r .id)
	bm2=$(chat-show "$b1" | jq -r .id | sed -n 2p)
	run -0 chat-branch --at "$bm2" b1
	[ "$(jq -c '[.name, .parentSessionId, .branchPoint, .metadata.messageCount]' <<< "$output")" = "[\"b1 (branch)\",\"$b1\",\"$bm2\",2]" ]
}

@test "attachments are copied with their messages" {
	source_session
	store_sql "INSERT INTO attachments (id, message_id, type, name, size, mime_type, content)
		VALUES ('01900000-0000-7000-8000-000000000001', '$m2', 'file', 'a.txt', 3, 'text/plain', 'abc'),
		       ('01900000-0000-7000-8000-000000000002', '$m4', 'file', 'b.txt', 1, 'text/plain', 'b')"
	b=$(chat-branch --at "$m3" "$src" | jq -r .id)
	run -0 bash -c "chat-show $b | jq -c '.metadata.attachments | map([.name, .size, .mimeType])'"
	[ "$output" = $'[]\n[["a.txt",3,"text/plain"]]\n[]' ]
	[ "$(count attachments)" -eq 3 ]
	# the bytes as text: a bytea cast to text is its hex on PostgreSQL
	local txt='CAST(a.content AS TEXT)'
	[ "${CONFAB_TEST_DB:-}" != pg ] || txt="convert_from(a.content, 'UTF8')"
	[ "$(store_sql "SELECT $txt FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.session_id = '$b'")" = abc ]
	# new attachment ids
	[ "$(chat-show "$b" | jq -r '.metadata.attachments[].id')" != 01900000-0000-7000-8000-000000000001 ]
}

@test "a note on a copied message gets an id of its own: either can be removed by it" {
	source_session
	n=$(chat-note "$m2" 'my note' | jq -r .id)
	b=$(chat-branch "$src" | jq -r .id)
	c=$(chat-note --ls | jq -r "select(.sessionId == \"$b\") | .id")
	[ -n "$c" ] && [ "$c" != "$n" ]
	[ "$(chat-note --ls | jq -r "select(.sessionId == \"$b\") | .text")" = 'my note' ]
	run -0 chat-note --rm "$n"
	[ "$(jq -r .sessionId <<<"$output")" = "$src" ]
	run -0 chat-note --rm "$c"
	[ "$(jq -r .sessionId <<<"$output")" = "$b" ]
}

@test "a 100 MB attachment is copied in SQLite, not through memory" {
	[ -x /usr/bin/time ] || skip "no /usr/bin/time to measure peak memory"
	source_session
	# 100 MB of random bytes: PostgreSQL has no randomblob()
	local big='randomblob(104857600)'
	[ "${CONFAB_TEST_DB:-}" != pg ] || big="(SELECT string_agg(uuid_send(gen_random_uuid()), ''::bytea) FROM generate_series(1, 6553600))"
	store_sql "INSERT INTO attachments (id, message_id, type, name, size, mime_type, content)
		VALUES ('01900000-0000-7000-8000-000000000001', '$m2', 'image', 'big.png', 104857600,
		        'image/png', $big),
		       ('01900000-0000-7000-8000-000000000002', '$m2', 'file', 'n.txt', 0, 'text/plain', NULL)"
	run -0 --separate-stderr /usr/bin/time -f '%M' chat-branch "$src"
	b=$(jq -r .id <<< "$output")
	# peak resident set in KiB: the old INSERT ... SELECT took seven times the blob
	[ "$stderr" -lt 102400 ] || { echo "peak RSS ${stderr} KiB"; return 1; }
	[ "$(store_sql "SELECT count(*), count(CASE WHEN o.content IS NOT DISTINCT FROM n.content THEN 1 END),
		count(CASE WHEN typeof(n.content) = 'blob' THEN 1 END)
		FROM attachments o JOIN messages om ON om.id = o.message_id AND om.session_id = '$src'
		JOIN messages nm ON nm.session_id = '$b' AND nm.seq = om.seq
		JOIN attachments n ON n.message_id = nm.id AND n.name = o.name")" = '2|2|1' ]
}

@test "--at that matches no message exits 3 and creates nothing" {
	source_session
	s=$(count sessions); m=$(count messages)
	for bad in 0123456789ab nope "${m1:0:3}"; do
		run --separate-stderr chat-branch --at "$bad" "$src"
		[ "$status" -eq 3 ]
		[ -z "$output" ]
		[ "$stderr" = "chat-branch: unknown message '$bad' in this session" ]
	done
	[ "$(count sessions)" -eq "$s" ]
	[ "$(count messages)" -eq "$m" ]
}

@test "--at a message of another session exits 3 and creates nothing" {
	source_session
	o=$(new_session --name other)
	om=$(chat-add -s "$o" "elsewhere" | jq -r .id)
	s=$(count sessions); m=$(count messages)
	run --separate-stderr chat-branch --at "$om" "$src"
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	[ "$stderr" = "chat-branch: unknown message '$om' in this session" ]
	run --separate-stderr chat-branch --at "$m1" other
	[ "$status" -eq 3 ]
	[ "$(count sessions)" -eq "$s" ]
	[ "$(count messages)" -eq "$m" ]
}

@test "two sessions are a usage error and create nothing" {
	source_session
	new_session --name other >/dev/null
	s=$(count sessions); m=$(count messages)
	run --separate-stderr chat-branch src other
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	one_line_error "chat-branch: expected one session, got 2"
	run --separate-stderr bash -c 'chat-ls | chat-branch'
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	one_line_error "chat-branch: expected one session, got 2"
	[ "$(count sessions)" -eq "$s" ]
	[ "$(count messages)" -eq "$m" ]
}

@test "a session record on stdin: chat-new | chat-branch, chat-ls | chat-branch" {
	run -0 bash -c 'chat-new --name piped | chat-branch'
	[ "$(jq -r .name <<< "$output")" = 'piped (branch)' ]
	p=$(chat-ls | jq -r 'select(.name == "piped") | .id')
	[ "$(jq -r .parentSessionId <<< "$output")" = "$p" ]
	source_session
	run -0 bash -c "chat-ls --tag work | chat-branch --at $m2 --name fromls"
	[ "$(jq -c '[.name, .parentSessionId, .branchPoint, .metadata.messageCount]' <<< "$output")" = "[\"fromls\",\"$src\",\"$m2\",2]" ]
	run -0 bash -c "chat-ls --tag work --starred | chat-branch -d -"
	[ "$(jq -c '[.name, .metadata.messageCount]' <<< "$output")" = '["src (copy)",4]' ]
}

@test "a malformed record on stdin exits 5 and creates nothing" {
	source_session
	s=$(count sessions)
	run --separate-stderr bash -c "printf '\n{\"type\":\"session\",\n' | chat-branch"
	[ "$status" -eq 5 ]
	[ -z "$output" ]
	one_line_error "chat-branch: stdin:2: malformed record"
	run --separate-stderr bash -c "echo '{\"type\":\"cost\"}' | chat-branch"
	[ "$status" -eq 5 ]
	[ "$stderr" = "chat-branch: stdin:1: expected a session or message record, got type 'cost'" ]
	[ "$(count sessions)" -eq "$s" ]
}

@test "an unknown or ambiguous session exits 3 or 4 and creates nothing" {
	a=$(new_session --name a)
	b=$(new_session --name b)
	run --separate-stderr chat-branch nope
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	[ "$stderr" = "chat-branch: unknown session 'nope'" ]
	# ids made one after another share a prefix (UUIDv7: time first)
	p=$(common_prefix "$a" "$b")
	[ "${#p}" -ge 4 ]
	run --separate-stderr chat-branch "$p"
	[ "$status" -eq 4 ]
	[ -z "$output" ]
	one_line_error "chat-branch: ambiguous session prefix '$p' matches "
	[[ "$stderr" == *"$a (a)"*"$b (b)"* ]]
	[ "$(count sessions)" -eq 2 ]
}

@test "no session and stdin a terminal is a usage error" {
	new_session --name a >/dev/null
	tty_run "chat-branch"
	[ "$status" -eq 2 ]
	[ "$output" = "chat-branch: no session given (see 'chat-branch --help')" ]
	[ "$(count sessions)" -eq 1 ]
}

@test "on a terminal, the new session is shown for people; --json gives the record" {
	source_session
	NO_COLOR=1 tty_run "chat-branch --at $m2 $src"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == ID*NAME*MODEL*MSGS*UPDATED*TAGS ]]
	[[ "${lines[1]}" == *'src (branch)'*'echo/m1'*' 2  just now'*'#work #x' ]]
	tty_run "chat-branch --json $src"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r .name <<< "${lines[0]}")" = 'src (branch)' ]
}

@test "an unknown option is a usage error" {
	run --separate-stderr chat-branch --bogus
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	one_line_error "chat-branch: "
	[[ "$stderr" == *"'--bogus'"* ]]
	run --separate-stderr chat-branch --at
	[ "$status" -eq 2 ]
	one_line_error "chat-branch: "
	[[ "$stderr" == *"'--at'"* ]]
}

@test "--help and --version" {
	run --separate-stderr chat-branch --help
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[[ "${lines[0]}" == 'usage: chat-branch '* ]]
	for o in --at --name --duplicate --json --db --version; do
		[[ "$output" == *"$o"* ]]
	done
	run -0 chat-branch --version
	[[ "$output" =~ ^chat-branch\ \(confab\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}
