#!/usr/bin/env bats
# chat-merge: SOURCE's messages into TARGET in one transaction, appended or
# interleaved by time, from a branch only after its branch point; copies
# with their attachments, marks and where they came from; counts, tokens
# and the index true afterwards; the merge recorded and not done twice;
# every refusal changes nothing; concurrent writers lose nothing.

load helper

setup() {
	common_setup
	export USER=alice
	S=$(new_session --name src)
	T=$(new_session --name dst)
}

db() {
	store_sql "$@"
}

# A message at a time: session, time (seconds past 10:00), text, more args.
at() {
	local s=$1 t=$2 text=$3
	shift 3
	chat-add -s "$s" --time "2026-11-01T10:00:$(printf %02d "$t")Z" "$@" "$text" | jq -r .id
}

# The contents of a session in its order, one a line.
contents() {
	db "SELECT content FROM messages WHERE session_id = '$1' ORDER BY seq"
}

# Its seqs are 1..N.
dense() {
	[ "$(db "SELECT CASE WHEN count(*) = max(seq) AND min(seq) = 1 THEN 1 ELSE 0 END FROM messages WHERE session_id = '$1'")" = 1 ]
}

# The session's counts as the record has them equal what its rows say, and
# the full-text index holds together.
counts_true() {
	local rec
	rec=$(chat-ls -a --json | jq -c "select(.id == \"$1\") | .metadata")
	[ "$(jq .messageCount <<< "$rec")" = "$(db "SELECT count(*) FROM messages WHERE session_id = '$1'")" ]
	[ "$(jq .totalTokens <<< "$rec")" = "$(db "SELECT coalesce(sum(tokens), 0) FROM messages WHERE session_id = '$1'")" ]
	# FTS5's index, a table of its own; PostgreSQL's is a generated column
	[ "${CONFAB_TEST_DB:-}" = pg ] ||
		db "INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)"
}

# ---- appending ----

@test "SOURCE's messages go after TARGET's, copies under new ids that say where they came from" {
	at "$T" 1 'target one' > /dev/null
	at "$T" 2 'target two' -r assistant --tokens 5 > /dev/null
	A=$(at "$S" 3 'source one')
	B=$(at "$S" 4 'source two zebra' -r assistant --tokens 7 -m gpt-4o)
	run -0 --separate-stderr chat-merge src dst
	[ -z "$stderr" ]
	[ "$(jq -r .id <<< "$output")" = "$T" ]
	[ "$(contents "$T" | paste -sd,)" = 'target one,target two,source one,source two zebra' ]
	dense "$T"
	# the source is kept as it was
	[ "$(contents "$S" | paste -sd,)" = 'source one,source two zebra' ]
	# new ids, each copy naming its original
	run -0 chat-show --json dst
	[ "$(jq -s -c 'map(select(.metadata.mergedFrom)) | map(.metadata.mergedFrom)' <<< "$output")" = \
	  "[{\"session\":\"$S\",\"message\":\"$A\",\"origin\":\"$A\"},{\"session\":\"$S\",\"message\":\"$B\",\"origin\":\"$B\"}]" ]
	[ "$(jq -s '[.[].id] | unique | length' <<< "$output")" -eq 4 ]
	[ "$(db "SELECT count(*) FROM messages WHERE id IN ('$A', '$B')")" -eq 2 ]
	[ "$(jq -rs '.[3] | .role, .metadata.model, .metadata.tokens, .timestamp' <<< "$output")" = \
	  $'assistant\ngpt-4o\n7\n2026-11-01T10:00:04.000Z' ]
	# counts, tokens and the index follow
	counts_true "$T"
	[ "$(chat-ls --json | jq -r "select(.id == \"$T\") | .metadata.totalTokens")" -eq 12 ]
	run -0 chat-ls --search zebra --json
	[ "$(jq -r .id <<< "$output" | sort | paste -sd,)" = "$(printf '%s\n' "$S" "$T" | sort | paste -sd,)" ]
}

@test "TARGET's metadata.merges records the merge; the record survives chat-set" {
	at "$S" 1 one > /dev/null
	at "$S" 2 two > /dev/null
	before=$(date -u +%s)
	run -0 chat-merge --json "$S" "$T"
	m=$(jq -c '.metadata.merges' <<< "$output")
	[ "$(jq length <<< "$m")" -eq 1 ]
	[ "$(jq -c '.[0] | keys_unsorted' <<< "$m")" = '["source","sourceName","messages","at","interleave","after","sourceRemoved"]' ]
	[ "$(jq -r '.[0] | [.source, .sourceName, .messages, .interleave, .after, .sourceRemoved] | map(tostring) | join(",")' <<< "$m")" = \
	  "$S,src,2,false,null,false" ]
	at_s=$(jq -r '.[0].at | sub("\\.[0-9]+Z$"; "Z") | fromdate' <<< "$m")
	[ "$at_s" -ge "$before" ] && [ "$at_s" -le "$(date -u +%s)" ]
	# lastUpdated moves with the merge
	[ "$(jq -r .lastUpdated <<< "$output")" = "$(jq -r '.[0].at' <<< "$m")" ]
	# the source carries no record of it
	[ "$(chat-ls --json | jq -c "select(.id == \"$S\") | .metadata.merges")" = null ]
	chat-set --star --tag merged dst > /dev/null
	[ "$(chat-ls --json | jq -c "select(.id == \"$T\") | .metadata.merges")" = "$m" ]
}

@test "attachments, edits, reactions and notes come with their messages" {
	M=$(at "$S" 1 'with a file')
	local png txt
	png=$(sql_blob 89504E47) txt=$(sql_blob 68656C6C6F0A)
	db "INSERT INTO attachments (id, message_id, type, name, size, mime_type, content) VALUES
	    ('att-1', '$M', 'image', 'dot.png', 4, 'image/png', $png),
	    ('att-2', '$M', 'text', 'notes.txt', 6, 'text/plain', $txt)"
	chat-add --records -s "$S" > /dev/null <<'JSON'
{"role":"assistant","content":"marked","timestamp":"2026-11-01T10:00:02Z","metadata":{"edits":[{"content":"old","timestamp":"2026-11-01T10:00:03Z","editedBy":"bob"}],"reactions":[{"emoji":"👍","user":"ann","timestamp":"2026-11-01T10:00:04Z"}],"notes":[{"id":"n1","author":"ann","timestamp":"2026-11-01T10:00:05Z","text":"a note","quote":"marked"}]},"context":{"files":["a.c"]}}
JSON
	run -0 chat-merge src dst
	N=$(db "SELECT id FROM messages WHERE session_id = '$T' AND content = 'with a file'")
	[ "$(db "SELECT group_concat(name || ':' || type || ':' || size || ':' || mime_type || ':' || $(sql_hex content), ' ') FROM (SELECT * FROM attachments WHERE message_id = '$N' ORDER BY n) AS t")" = \
	  "dot.png:image:4:image/png:89504E47 notes.txt:text:6:text/plain:68656C6C6F0A" ]
	# new attachment ids; the source keeps its own
	[ "$(db "SELECT count(*) FROM attachments WHERE message_id = '$N' AND id NOT IN ('att-1', 'att-2')")" -eq 2 ]
	[ "$(db "SELECT count(*) FROM attachments WHERE message_id = '$M'")" -eq 2 ]
	# the export reads the bytes back
	[ "$(chat-export -f json dst | jq -r '.messages[0].metadata.attachments[1].data | @base64d')" = hello ]
	run -0 chat-show --json dst
	r=$(jq -sc '.[1]' <<< "$output")
	[ "$(jq -c '[.metadata.edits, .metadata.reactions, (.metadata.notes | map(del(.id))), .context.files]' <<< "$r")" = \
	  "$(chat-show --json src | jq -sc '.[1] | [.metadata.edits, .metadata.reactions, (.metadata.notes | map(del(.id))), .context.files]')" ]
	[ "$(jq -r '.metadata.notes[0].text' <<< "$r")" = "a note" ]
	# the note's copy has an id of its own
	[ "$(jq -r '.metadata.notes[0].id | length' <<< "$r")" -eq 36 ]
}

@test "a note on a merged message gets an id of its own: either can be removed by it" {
	M=$(at "$S" 1 'noted')
	N=$(chat-note "$M" 'my note' | jq -r .id)
	chat-merge src dst > /dev/null
	C=$(chat-note --ls | jq -r "select(.sessionId == \"$T\") | .id")
	[ -n "$C" ] && [ "$C" != "$N" ]
	[ "$(chat-note --ls | jq -r "select(.sessionId == \"$T\") | .text")" = 'my note' ]
	run -0 chat-note --rm "$N"
	[ "$(jq -r .sessionId <<<"$output")" = "$S" ]
	run -0 chat-note --rm "$C"
	[ "$(jq -r .sessionId <<<"$output")" = "$T" ]
	[ -z "$(chat-note --ls)" ]
}

@test "a reply still arriving in SOURCE is taken as far as it has come, whole and incomplete" {
	at "$S" 1 question > /dev/null
	R=$(at "$S" 2 '' -r assistant)
	db "UPDATE messages SET pending = 'elsewhere:1:1' WHERE id = '$R';
	    INSERT INTO reply_parts (message_id, text) VALUES ('$R', 'half an '), ('$R', 'answer')"
	run -0 chat-merge src dst
	[ "$(db "SELECT content || '|' || coalesce(pending, 'whole') || '|' || json_extract(extra, '\$.incomplete') FROM messages WHERE session_id = '$T' AND seq = 2")" = 'half an answer|whole|1' ]
	run -0 chat-ls --search answer --json
	[ "$(jq -r .id <<< "$output")" = "$T" ]
	counts_true "$T"
}

# ---- interleaving ----

@test "--interleave places them by time, each side keeping its order, TARGET's first at a tie" {
	at "$T" 1 t1 > /dev/null
	at "$T" 5 t5 > /dev/null
	at "$T" 9 t9 > /dev/null
	at "$S" 0 s0 > /dev/null
	at "$S" 5 s5 > /dev/null
	at "$S" 7 s7 > /dev/null
	at "$S" 20 s20 > /dev/null
	run -0 chat-merge --interleave --json src dst
	[ "$(contents "$T" | paste -sd,)" = s0,t1,t5,s5,s7,t9,s20 ]
	dense "$T"
	[ "$(jq -r '.metadata.merges[0].interleave' <<< "$output")" = true ]
	# chat-show follows the new order
	[ "$(chat-show --json dst | jq -rs 'map(.content) | join(",")')" = s0,t1,t5,s5,s7,t9,s20 ]
	counts_true "$T"
}

@test "--interleave never reorders a session's own messages, whatever their times" {
	at "$T" 9 t-late > /dev/null
	at "$T" 1 t-early > /dev/null
	at "$S" 5 s-mid > /dev/null
	at "$S" 0 s-first > /dev/null
	run -0 chat-merge -i src dst
	[ "$(contents "$T" | paste -sd,)" = s-mid,s-first,t-late,t-early ]
	dense "$T"
}

@test "--interleave after TARGET's last message appends, leaving TARGET's rows where they were" {
	at "$T" 1 t1 > /dev/null
	at "$T" 2 t2 > /dev/null
	before=$(db "SELECT group_concat(n || ':' || seq) FROM messages WHERE session_id = '$T'")
	at "$S" 3 s3 > /dev/null
	run -0 chat-merge -i src dst
	[ "$(contents "$T" | paste -sd,)" = t1,t2,s3 ]
	[ "$(db "SELECT group_concat(n || ':' || seq) FROM messages WHERE session_id = '$T' AND content LIKE 't%'")" = "$before" ]
}

# ---- branches ----

@test "from a branch of TARGET only the messages after the branch point are taken" {
	at "$T" 1 q1 > /dev/null
	P=$(at "$T" 2 a1 -r assistant)
	at "$T" 3 q2 > /dev/null
	B=$(chat-branch --at "$P" --name side dst | jq -r .id)
	[ "$(contents "$B" | paste -sd,)" = q1,a1 ]
	at "$B" 4 'side question' > /dev/null
	at "$B" 5 'side answer' -r assistant > /dev/null
	run -0 chat-merge --json side dst
	[ "$(contents "$T" | paste -sd,)" = 'q1,a1,q2,side question,side answer' ]
	[ "$(jq -r '.metadata.merges[0] | "\(.messages) \(.after)"' <<< "$output")" = "2 $P" ]
	counts_true "$T"
	# interleaved, the same two by time
	db "DELETE FROM messages WHERE session_id = '$T' AND content LIKE 'side%'"
	db "UPDATE sessions SET extra = '{}' WHERE id = '$T'"
	run -0 chat-merge -i side dst
	[ "$(contents "$T" | paste -sd,)" = 'q1,a1,q2,side question,side answer' ]
}

@test "into a branch of SOURCE, too, only what SOURCE has after the branch point" {
	at "$S" 1 q1 > /dev/null
	P=$(at "$S" 2 a1 -r assistant)
	B=$(chat-branch --name side src | jq -r .id)
	at "$S" 3 'went on' > /dev/null
	at "$B" 4 'side line' > /dev/null
	run -0 chat-merge src side
	[ "$(contents "$B" | paste -sd,)" = 'q1,a1,side line,went on' ]
	[ "$(chat-ls --json | jq -r "select(.id == \"$B\") | .metadata.merges[0].after")" = "$P" ]
}

@test "a branch of a branch of TARGET, and TARGET into it: only what is after the first branch point" {
	at "$T" 1 q1 > /dev/null
	P=$(at "$T" 2 a1 -r assistant)
	chat-branch --name mid dst > /dev/null
	at mid 3 'mid line' > /dev/null
	D=$(chat-branch --name leaf mid | jq -r .id)
	at leaf 4 'leaf line' > /dev/null
	run -0 chat-merge --json leaf dst
	[ "$(contents "$T" | paste -sd,)" = 'q1,a1,mid line,leaf line' ]
	[ "$(jq -r '.metadata.merges[0] | "\(.messages) \(.after)"' <<< "$output")" = "2 $P" ]
	counts_true "$T"
	# the other way round, from the grandparent into the leaf
	at "$T" 5 'went on' > /dev/null
	run -0 chat-merge dst leaf
	[ "$(contents "$D" | paste -sd,)" = 'q1,a1,mid line,leaf line,went on' ]
}

@test "two branches of one session: only what SOURCE has after the branch point" {
	at "$T" 1 q1 > /dev/null
	P=$(at "$T" 2 a1 -r assistant)
	X=$(chat-branch --name one dst | jq -r .id)
	Y=$(chat-branch --name two dst | jq -r .id)
	at one 3 'one line' > /dev/null
	at two 4 'two line' > /dev/null
	run -0 chat-merge --json one two
	[ "$(contents "$Y" | paste -sd,)" = 'q1,a1,two line,one line' ]
	[ "$(jq -r '.metadata.merges[0] | "\(.messages) \(.after)"' <<< "$output")" = "1 $P" ]
	counts_true "$Y"
}

@test "a branch of the merged session does not inherit its record of merges" {
	at "$S" 1 one > /dev/null
	chat-merge src dst > /dev/null
	run -0 chat-branch --json dst
	[ "$(jq -c '.metadata.merges' <<< "$output")" = null ]
	# its copies still say where they came from
	B=$(jq -r .id <<< "$output")
	[ "$(chat-show --json "$B" | jq -r '.metadata.mergedFrom.session')" = "$S" ]
}

# ---- the second time ----

@test "merging again does nothing and says so, exit 0; what SOURCE gains later is taken next time" {
	at "$S" 1 one > /dev/null
	chat-merge src dst > /dev/null
	sum=$(store_dump | sha256sum)
	run -0 --separate-stderr chat-merge src dst
	[ "$stderr" = "chat-merge: 'src' is already merged into 'dst': nothing changed" ]
	[ "$(jq -r .id <<< "$output")" = "$T" ]
	[ "$(store_dump | sha256sum)" = "$sum" ]
	run -0 chat-merge --interleave src dst
	[ "$(store_dump | sha256sum)" = "$sum" ]
	at "$S" 2 two > /dev/null
	run -0 --separate-stderr chat-merge --json src dst
	[ -z "$stderr" ]
	[ "$(contents "$T" | paste -sd,)" = one,two ]
	[ "$(jq -c '[.metadata.merges[].messages]' <<< "$output")" = '[1,1]' ]
}

@test "merged back, TARGET's own messages are not copied into it again" {
	at "$T" 1 'dst one' > /dev/null
	at "$S" 2 'src one' > /dev/null
	chat-merge src dst > /dev/null
	at "$T" 3 'dst two' > /dev/null
	run -0 chat-merge dst src
	[ "$(contents "$S" | paste -sd,)" = 'src one,dst one,dst two' ]
	# nothing new either way now
	sum=$(store_dump | sha256sum)
	run -0 --separate-stderr chat-merge src dst
	[ "$stderr" = "chat-merge: 'src' is already merged into 'dst': nothing changed" ]
	[ "$(store_dump | sha256sum)" = "$sum" ]
	[ "$(contents "$T" | paste -sd,)" = 'dst one,src one,dst two' ]
	counts_true "$S"
}

@test "around a loop, A into B, B into C, C into A, and over a diamond: no message reaches a session twice" {
	at "$T" 1 'from dst' > /dev/null
	at "$S" 2 'from src' > /dev/null
	c=$(chat-new -n third --json | jq -r .id)
	at "$c" 3 'from third' > /dev/null
	chat-merge src dst > /dev/null
	chat-merge dst third > /dev/null
	# third holds a copy of a copy of src's message: not src's again
	run -0 chat-merge third src
	[ "$(contents "$S" | paste -sd,)" = 'from src,from third,from dst' ]
	# the copy's copy names the original through both merges
	orig=$(chat-show --json src | jq -r 'select(.content == "from src") | .id')
	[ "$(chat-show --json third | jq -r 'select(.content == "from src") | .metadata.mergedFrom.origin')" = "$orig" ]
	# a diamond: src's message reached third through dst; src into third
	# again brings only what third lacks
	run -0 chat-merge src third
	[ "$(contents "$c" | grep -c '^from src$')" = 1 ]
	[ "$(contents "$c" | grep -c '^from third$')" = 1 ]
	counts_true "$S"
	counts_true "$c"
}

@test "a branch merged back into its parent, then the parent into the branch: nothing twice" {
	at "$S" 1 q1 > /dev/null
	at "$S" 2 a1 -r assistant > /dev/null
	B=$(chat-branch --name side src | jq -r .id)
	at "$B" 3 'side line' > /dev/null
	chat-merge side src > /dev/null
	at "$S" 4 'went on' > /dev/null
	run -0 chat-merge src side
	[ "$(contents "$B" | paste -sd,)" = 'q1,a1,side line,went on' ]
}

# ---- --remove-source ----

@test "--remove-source deletes SOURCE in the same change; the copies stay whole" {
	M=$(at "$S" 1 'with a file')
	db "INSERT INTO attachments (id, message_id, type, name, size, mime_type, content) VALUES ('att-1', '$M', 'text', 'a.txt', 2, 'text/plain', $(sql_blob 6869))"
	run -0 chat-merge --remove-source --json src dst
	[ "$(jq -r '.metadata.merges[0] | "\(.sourceRemoved) \(.sourceName)"' <<< "$output")" = "true src" ]
	[ "$(db "SELECT count(*) FROM sessions WHERE id = '$S'")" -eq 0 ]
	[ "$(db "SELECT count(*) FROM messages WHERE session_id = '$S'")" -eq 0 ]
	[ "$(db "SELECT $(sql_hex a.content) FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.session_id = '$T'")" = 6869 ]
	[ "$(count attachments)" -eq 1 ]
	counts_true "$T"
	# the name is gone now
	run -3 --separate-stderr chat-merge src dst
	one_error chat-merge
}

# ---- on a terminal ----

@test "on a terminal: how many were merged, then TARGET's row" {
	at "$S" 1 one > /dev/null
	at "$S" 2 two > /dev/null
	tty_run chat-merge src dst
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "merged 2 messages of src" ]]
	[[ "$output" == *dst* ]]
	tty_run chat-merge --json src dst
	[[ "$output" == *'"merges":'* ]]
}

# ---- refusals: the store unchanged ----

@test "unknown, ambiguous and missing sessions, and a session into itself: exit 3, 4, 2, 2, nothing changed" {
	at "$S" 1 one > /dev/null
	new_session --name twin > /dev/null
	new_session --name twin > /dev/null
	sum=$(store_dump | sha256sum)
	run -3 --separate-stderr chat-merge nosuch dst
	one_error chat-merge
	run -3 --separate-stderr chat-merge src nosuch
	one_error chat-merge
	run -4 --separate-stderr chat-merge twin dst
	[[ "${stderr_lines[0]}" == "chat-merge: "* ]]
	[ -z "$output" ]
	run -2 --separate-stderr chat-merge src "$S"
	one_error chat-merge
	[[ "$stderr" == *"cannot merge session 'src' into itself"* ]]
	run -2 --separate-stderr chat-merge src
	one_error chat-merge
	run -2 --separate-stderr chat-merge src dst extra
	one_error chat-merge
	run -2 --separate-stderr chat-merge --frobnicate src dst
	one_error chat-merge
	[ "$(store_dump | sha256sum)" = "$sum" ]
}

@test "a store from a newer confab: exit 6, untouched" {
	at "$S" 1 one > /dev/null
	if [ "${CONFAB_TEST_DB:-}" = pg ]; then
		db 'UPDATE confab_schema SET version = 99'
		sum=$(store_dump | sha256sum)
	else
		db 'PRAGMA user_version = 99'
		sum=$(sha256sum < "$CHAT_DB")
	fi
	run -6 --separate-stderr chat-merge src dst
	one_error chat-merge
	if [ "${CONFAB_TEST_DB:-}" = pg ]; then
		[ "$(store_dump | sha256sum)" = "$sum" ]
	else
		[ "$(sha256sum < "$CHAT_DB")" = "$sum" ]
	fi
}

# ---- others writing at once ----

@test "20 programs merging and adding on one store at once: none fails, nothing is lost" {
	at "$T" 0 base > /dev/null
	srcs=()
	for i in 1 2 3 4 5; do
		id=$(new_session --name "s$i")
		srcs+=("$id")
		for k in 1 2 3; do
			at "$id" "$k" "s$i-m$k" > /dev/null
		done
	done
	pids=()
	for i in $(seq 0 19); do
		if ((i % 2)); then
			chat-add -s dst "add $i" > /dev/null 2> "$BATS_TEST_TMPDIR/err$i" &
		else
			# each source twice, one of them interleaved
			s=${srcs[$(((i / 2) % 5))]}
			flag=$( ((i >= 10)) && echo --interleave || echo --json)
			chat-merge $flag "$s" dst > /dev/null 2> "$BATS_TEST_TMPDIR/err$i" &
		fi
		pids+=($!)
	done
	failed=0
	for p in "${pids[@]}"; do
		wait "$p" || failed=$((failed + 1))
	done
	cat "$BATS_TEST_TMPDIR"/err* | grep -v "already merged" || true
	[ "$failed" -eq 0 ]
	# each source once, each add once: 1 + 5 * 3 + 10
	[ "$(db "SELECT count(*) FROM messages WHERE session_id = '$T'")" -eq 26 ]
	[ "$(db "SELECT count(DISTINCT content) FROM messages WHERE session_id = '$T'")" -eq 26 ]
	[ "$(chat-ls --json | jq -r "select(.id == \"$T\") | .metadata.merges | map(.source) | unique | length")" -eq 5 ]
	[ "$(chat-ls --json | jq -r "select(.id == \"$T\") | .metadata.merges | length")" -eq 5 ]
	[ "$(grep -l "already merged" "$BATS_TEST_TMPDIR"/err* | wc -l)" -eq 5 ]
	dense "$T"
	counts_true "$T"
	# each source's messages kept their own order
	for i in 1 2 3 4 5; do
		[ "$(db "SELECT group_concat(content) FROM (SELECT content FROM messages WHERE session_id = '$T' AND content LIKE 's$i-%' ORDER BY seq) AS t")" = "s$i-m1,s$i-m2,s$i-m3" ]
	done
}
