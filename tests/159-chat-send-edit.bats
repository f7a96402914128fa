#!/usr/bin/env bats
# chat-send --edit (a user message changed, the conversation going on from
# it, the old line kept as a branch) and --retry (the last reply asked
# again, the old one kept in its edits), against the fake provider; and
# chat-cost counting what the retried replies cost.

load helper
load send

# What request $1 (from 0) sent, as [role, content] pairs.
sent() {
	fake_requests | jq -sc ".[$1].body.messages | map([.role, .content])"
}

# The sessions made as branches of $SID.
branches() {
	chat-ls --all --json --parent "$SID"
}

# A conversation in $SID: q1 -> one, q2 -> two; the user messages' ids in
# $U1 and $U2, the replies' in $A1 and $A2.  The fake answers the script
# given after those two.
talk() {
	serve text=one text=two "$@"
	session openai
	send q1 && exit_is 0
	send q2 && exit_is 0
	ids=$(chat-show --json "$SID" | jq -r .id)
	read -r U1 A1 U2 A2 <<< "$(echo $ids)"
}

# A third message sent in the background, its reply ($P) still arriving
# (the fake's next spec should be slow); its chat-send's pid in $SLOW.
arriving() {
	chat-send -s "$SID" q3 > "$BATS_TEST_TMPDIR/slow.out" 2> "$BATS_TEST_TMPDIR/slow.err" < /dev/null &
	SLOW=$!
	BG+=("$SLOW")
	local i
	for ((i = 0; i < 100; i++)); do
		P=$(store_sql "SELECT id FROM messages WHERE pending IS NOT NULL")
		[ -n "$P" ] && return 0
		sleep 0.1
	done
	echo "no reply started arriving" >&2
	return 1
}

# ---- --edit ----

@test "--edit of the first message: its text changed, the rest asked again, the old line a branch" {
	export USER=alice
	ME=$(store_user)
	talk text=three
	send --edit "$U1" 'q1 better'
	exit_is 0
	[ "$(< "$OUT")" = three ]
	[ "$(stored)" = '[["user","q1 better"],["assistant","three"]]' ]
	# the message keeps its id; the old text is its edit
	rec=$(chat-show --json "$SID" | jq -c 'select(.role == "user")')
	[ "$(jq -r .id <<<"$rec")" = "$U1" ]
	[ "$(jq -c '.metadata.edits | map([.content, .editedBy])' <<<"$rec")" = "[[\"q1\",\"$ME\"]]" ]
	# what was asked: the edited message alone
	[ "$(sent 2)" = '[["user","q1 better"]]' ]
	# the old line, whole, in a branch of this session made before its first message
	run -0 branches
	[ "${#lines[@]}" -eq 1 ]
	b=$output
	[ "$(jq -c '[.name, .parentSessionId, .branchPoint, .metadata.messageCount]' <<<"$b")" = \
		"[\"untitled (before edit)\",\"$SID\",null,4]" ]
	[ "$(chat-show --json "$(jq -r .id <<<"$b")" | jq -sc 'map([.role, .content])')" = \
		'[["user","q1"],["assistant","one"],["user","q2"],["assistant","two"]]' ]
	[[ "$stderr" == *"kept in the branch 'untitled (before edit)' ($(jq -r .id <<<"$b"))"* ]]
	# the counts follow
	[ "$(store_sql "SELECT message_count FROM sessions WHERE id = '$SID'")" -eq 2 ]
	# FTS5's index, a table of its own; PostgreSQL's is a generated column
	[ "${CONFAB_TEST_DB:-}" = pg ] ||
		[ "$(store_sql "INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check'); SELECT 'ok'")" = ok ]
}

@test "--edit of a later message: the branch is made at the message before it, the context keeps what came first" {
	talk text=three
	send --edit "${U2:0:24}" 'q2 better'
	exit_is 0
	[ "$(stored)" = '[["user","q1"],["assistant","one"],["user","q2 better"],["assistant","three"]]' ]
	[ "$(sent 2)" = '[["user","q1"],["assistant","one"],["user","q2 better"]]' ]
	b=$(branches)
	[ "$(jq -r .branchPoint <<<"$b")" = "$A1" ]
	[ "$(chat-show --json "$(jq -r .id <<<"$b")" | jq -sc 'map(.content)')" = '["q1","one","q2","two"]' ]
	# the first two messages are where they were
	[ "$(chat-show --json "$SID" | jq -r .id | head -2 | tr '\n' ' ')" = "$U1 $A1 " ]
}

@test "--edit with the session named, and text on stdin" {
	talk text=three
	status=0
	printf 'from stdin' | chat-send -s "$SID" --edit "$U2" > "$OUT" 2> "$ERR" || status=$?
	exit_is 0
	[ "$(stored)" = '[["user","q1"],["assistant","one"],["user","from stdin"],["assistant","three"]]' ]
}

@test "--edit of the last message, nothing after it: no branch" {
	serve status=500 text=answered
	session openai
	send --retries 0 q1
	exit_is 8
	U=$(chat-show --json "$SID" | jq -r .id)
	send --edit "$U" 'q1 again'
	exit_is 0
	[ "$(stored)" = '[["user","q1 again"],["assistant","answered"]]' ]
	[ -z "$(branches)" ]
}

@test "--edit with the same text records no edit, and still asks again with the old line kept" {
	talk text=three
	send --edit "$U2" q2
	exit_is 0
	[ "$(stored)" = '[["user","q1"],["assistant","one"],["user","q2"],["assistant","three"]]' ]
	[ "$(chat-show --json "$SID" | jq -c "select(.id == \"$U2\") | .metadata.edits")" = '[]' ]
	[ "$(branches | wc -l)" -eq 1 ]
}

@test "--edit when the provider then fails: the edit and the branch stay, --retry asks again" {
	talk "status=500"
	send --retries 0 --edit "$U2" 'q2 better'
	exit_is 8
	[ "$(stored)" = '[["user","q1"],["assistant","one"],["user","q2 better"]]' ]
	[ "$(branches | wc -l)" -eq 1 ]
	send --retry
	exit_is 0
	[ "$(stored)" = '[["user","q1"],["assistant","one"],["user","q2 better"],["assistant","Hello from fakeprov."]]' ]
	[ "$(sent 3)" = '[["user","q1"],["assistant","one"],["user","q2 better"]]' ]
}

@test "--edit while a later reply is still arriving: refused, nothing sent; that reply arrives whole in its place" {
	talk "text=$ENC delay=150" text=never
	arriving
	before=$(store_sql "SELECT id, content, edits FROM messages WHERE pending IS NULL ORDER BY n" | md5sum)
	send --edit "$U2" 'q2 better'
	exit_is 1
	error_says "is a reply still arriving; nothing changed"
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "$(store_sql "SELECT id, content, edits FROM messages WHERE pending IS NULL ORDER BY n" | md5sum)" = "$before" ]
	[ -z "$(branches)" ]
	[ "$(requests)" -eq 3 ]
	reap "$SLOW" 200
	exit_is 0
	[ "$(stored)" = "$(jq -nc --arg t "$TEXT" '[["user","q1"],["assistant","one"],["user","q2"],["assistant","two"],["user","q3"],["assistant",$t]]')" ]
}

@test "--edit refusals: a reply, unknown, another session's, empty text, with --new/--clear/--attach: nothing changed" {
	talk
	before=$(store_dump | md5sum)
	send --edit "$A1" nope
	exit_is 2
	error_says "is an assistant message: --edit takes a user message"
	send --edit 0000ffff nope
	exit_is 3
	error_says "unknown message '0000ffff'"
	OTHER=$(new_session --name other)
	status=0
	chat-send -s "$OTHER" --edit "$U1" nope > "$OUT" 2> "$ERR" < /dev/null || status=$?
	exit_is 3
	error_says "in this session"
	before=$(store_dump | md5sum)
	send --edit "$U1" ''
	exit_is 2
	send --edit "$U1" --clear x
	exit_is 2
	error_says "--edit and --clear do not go together"
	send --edit "$U1" --retry x
	exit_is 2
	[ "$(store_dump | md5sum)" = "$before" ]
	[ "$(requests)" -eq 2 ]
}

# ---- --retry ----

@test "--retry: the last reply asked again in its place; the old one in its edits with its figures" {
	export USER=alice
	ME=$(store_user)
	talk text=deux
	old=$(chat-show --json "$SID" | jq -c "select(.id == \"$A2\")")
	send --retry
	exit_is 0
	[ "$(< "$OUT")" = deux ]
	[ "$(stored)" = '[["user","q1"],["assistant","one"],["user","q2"],["assistant","deux"]]' ]
	# the context: up to the prompt, without the old reply
	[ "$(sent 2)" = '[["user","q1"],["assistant","one"],["user","q2"]]' ]
	new=$(chat-show --json "$SID" | jq -c 'select(.role == "assistant")' | tail -1)
	[ "$(jq -r .id <<<"$new")" = "$A2" ]
	[ "$(jq -c '.metadata.edits | length' <<<"$new")" = 1 ]
	e=$(jq -c '.metadata.edits[0]' <<<"$new")
	[ "$(jq -c '[.content, .editedBy, .kind]' <<<"$e")" = "[\"two\",\"$ME\",\"retry\"]" ]
	[ "$(jq -c '[.model, .tokens, .inputTokens, .outputTokens, .provider, .stopReason]' <<<"$e")" = \
		"$(jq -c '.metadata | [.model, .tokens, .inputTokens, .outputTokens, .provider, .stopReason]' <<<"$old")" ]
	[ "$(jq -r .model <<<"$e")" = gpt-test ]
	[ "$(store_sql "SELECT message_count FROM sessions WHERE id = '$SID'")" -eq 4 ]
	# the index has the new reply, not the old
	[ -z "$(chat-ls --json --search two)" ]
	[ "$(chat-ls --json --search deux | jq -r .match.messageId)" = "$A2" ]
	# retried again: both kept, oldest first
	serve text=trois
	send --retry
	exit_is 0
	[ "$(chat-show --json "$SID" | jq -c "select(.id == \"$A2\") | [.content, (.metadata.edits | map(.content))]")" = '["trois",["two","deux"]]' ]
}

@test "--retry with another provider and model: the new figures are the new reply's" {
	talk text=other
	old_model=$(chat-show --json "$SID" | jq -r "select(.id == \"$A2\") | .metadata.model")
	send --retry -p anthropic -m claude-retry
	exit_is 0
	[ "$(fake_requests | jq -sr '.[2].path')" = /v1/messages ]
	rec=$(chat-show --json "$SID" | jq -c "select(.id == \"$A2\")")
	[ "$(jq -c '[.content, .metadata.model, .metadata.provider]' <<<"$rec")" = '["other","claude-retry","anthropic"]' ]
	[ "$(jq -c '.metadata.edits[0] | [.model, .provider]' <<<"$rec")" = "[\"$old_model\",\"openai\"]" ]
}

@test "--retry without -s: the session updated last; --json deltas name the reply kept" {
	talk text=again
	new_session --name newer > /dev/null
	store_sql "UPDATE sessions SET last_updated = last_updated + 100000 WHERE id = '$SID'"
	status=0
	chat-send --retry --json > "$OUT" 2> "$ERR" < /dev/null || status=$?
	exit_is 0
	[ "$(jq -sr 'map(select(.type == "delta") | .messageId) | unique | .[]' "$OUT")" = "$A2" ]
	[ "$(jq -c 'select(.type == "message") | [.id, .content]' "$OUT")" = "[\"$A2\",\"again\"]" ]
}

@test "--retry when the provider fails: the old reply stays as it was, the store unchanged" {
	talk status=500
	sleep 0.01   # the reserved row's time is later than the last reply's
	before=$(store_dump)
	send --retry --retries 0
	exit_is 8
	# last_updated too: a session whose retry failed is not the latest
	[ "$(store_dump)" = "$before" ]
	[ "$(stored)" = '[["user","q1"],["assistant","one"],["user","q2"],["assistant","two"]]' ]
}

@test "--retry while the last reply is still arriving: refused, nothing sent; that reply arrives whole" {
	talk "text=$ENC delay=150" text=never
	arriving
	send --retry
	exit_is 1
	error_says "message '$P' is a reply still arriving; nothing was sent"
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "$(requests)" -eq 3 ]
	reap "$SLOW" 200
	exit_is 0
	rec=$(chat-show --json "$SID" | jq -c "select(.id == \"$P\")")
	[ "$(jq -c '[.content, .metadata.edits]' <<<"$rec")" = "$(jq -nc --arg t "$TEXT" '[$t, []]')" ]
}

@test "--retry refusals: with a message, with --edit, a session with nothing to retry" {
	talk
	send --retry more words
	exit_is 2
	error_says "--retry takes no message"
	SID=$(new_session --name empty)
	send --retry
	exit_is 2
	error_says "nothing to retry: the session has no messages"
	# a reply after another reply (chat-add): no prompt to ask again
	SID=$(new_session --name added)
	chat-add -s "$SID" -r user q > /dev/null
	chat-add -s "$SID" -r assistant a1 > /dev/null
	chat-add -s "$SID" -r assistant a2 > /dev/null
	before=$(store_dump)
	send --retry
	exit_is 2
	error_says "nothing to retry: the last reply does not follow a user message"
	[ "$(store_dump)" = "$before" ]
	[ "$(requests)" -eq 2 ]
}

# ---- what it cost ----

@test "chat-cost counts the replies that were retried" {
	export CONFAB_PRICING="$BATS_TEST_TMPDIR/pricing.json"
	echo '{"models": {"gpt-test": {"provider": "openai", "input": 3, "output": 15}}}' > "$CONFAB_PRICING"
	talk text=deux
	send --retry
	exit_is 0
	run -0 chat-cost --json "$SID"
	total=$(jq -c 'select(.by == "total")' <<<"$output")
	# three replies paid for: one, two (retried), deux
	[ "$(jq -r .messages <<<"$total")" -eq 3 ]
	want=$(chat-show --json "$SID" | jq -s '[.[] | select(.role == "assistant") | .metadata | .cost, (.edits[] | .cost)] | add')
	[ "$(jq -r '.cost' <<<"$total")" = "$want" ]
	want_out=$(chat-show --json "$SID" | jq -s '[.[] | select(.role == "assistant") | .metadata | .outputTokens, (.edits[] | .outputTokens)] | add')
	[ "$(jq -r '.outputTokens' <<<"$total")" = "$want_out" ]
	[ "$(jq -r .unpriced <<<"$total")" -eq 0 ]
}
