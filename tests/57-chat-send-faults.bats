#!/usr/bin/env bats
# chat-send when things go wrong: provider errors, retries, timeouts, cut
# and broken streams, fallbacks, signals, a closed stdout, twenty senders at
# once and configuration errors.  Real programs, real HTTP over loopback to
# the fake provider (tests/fake), a real SQLite file; after every fault the
# store and the requests the server received are checked.

load helper
load send

# ---- HTTP errors: the provider's message, the exit code, the store ----

@test "recorded error replies (400, 401, 403, 404, 429, 500, 529): exit code, the provider's message, only the user's message stored" {
	[ -d "$PROVIDER_STREAMS" ] || skip "no recorded fixtures in $PROVIDER_STREAMS"
	local f dir prov st code msg tries seen=() i spec
	for f in "$PROVIDER_STREAMS"/*/error-*.json; do
		[[ $f == *.meta.json ]] && continue
		dir=$(basename "$(dirname "$f")")
		case $dir in
		anthropic) prov=anthropic ;;
		openai-chat | openai-responses) prov=openai ;;
		gemini) prov=gemini ;;
		ollama) prov=ollama ;;
		*) continue ;;
		esac
		st=$(jq -r .response.status "${f%.json}.meta.json")
		msg=$(jq -r '.error.message // .error' "$f" | tr '\r\n' '  ')
		case $st in 401 | 403) code=9 ;; 429) code=10 ;; *) code=8 ;; esac
		case $st in 429 | 5??) tries=2 ;; *) tries=1 ;; esac
		spec=()
		for ((i = 0; i < tries; i++)); do spec+=("status=$st body=$f"); done
		serve "${spec[@]}"
		session "$prov"
		send --retries 1 hi
		exit_is "$code"
		[ "$(requests)" = "$tries" ]
		[ "$(retry_lines)" = $((tries - 1)) ]
		[ "${#stderr_lines[@]}" = "$tries" ]
		error_says "$msg"
		error_says "HTTP $st"
		[ ! -s "$OUT" ]
		only_user_stored
		fake_stop
		seen+=("$st")
	done
	for st in 400 401 403 404 429 500 529; do
		[[ " ${seen[*]} " == *" $st "* ]] || { echo "no fixture for $st" >&2; return 1; }
	done
}

@test "Anthropic's 529 Overloaded: retried, then exit 8 with one line that says Overloaded" {
	serve status=529 status=529 status=529 status=529
	session
	send hi
	exit_is 8
	[ "$(requests)" = 4 ]
	[ "$(retry_lines)" = 3 ]
	[ "${#stderr_lines[@]}" = 4 ]
	error_says "Overloaded"
	error_says "HTTP 529"
	[[ "${stderr_lines[-1]}" != *retrying* ]]
	only_user_stored
	[ "$(fake_requests | jq -r .path | sort -u)" = /v1/messages ]
}

@test "each status in each protocol: 400 8, 401 9, 403 9, 404 8, 500 8, 503 8, 529 8, the provider's message on one line" {
	local prov st code
	for prov in anthropic openai gemini ollama; do
		for st in 400 401 403 404 500 503 529; do
			case $st in 401 | 403) code=9 ;; *) code=8 ;; esac
			serve "status=$st text=fake%20says%20$st%20to%20$prov"
			session "$prov"
			send --retries 0 hi
			exit_is "$code"
			[ "$(requests)" = 1 ]
			[ "${#stderr_lines[@]}" = 1 ]
			error_says "fake says $st to $prov"
			error_says "HTTP $st"
			[ ! -s "$OUT" ]
			only_user_stored
			fake_stop
		done
	done
}

@test "a provider's error message with escape sequences reaches the terminal without them, retries and all" {
	serve "status=500 text=bad%1B%5B31mred%C2%9B2J%07" "status=500 text=bad%1B%5B31mred%C2%9B2J%07"
	config <<< 'retries = 1'
	session
	send hi
	exit_is 8
	[[ "$stderr" == *"bad [31mred"* ]]
	[[ "$stderr" != *$'\e'* ]]
	[[ "$stderr" != *$'\a'* ]]
	[[ "$stderr" != *$'\xc2\x9b'* ]]
	[ "${#stderr_lines[@]}" -eq 2 ]   # the retry's note, then the error
}

@test "a provider's error message that quotes the key has the key taken out" {
	serve "status=401 text=invalid%20x-api-key%20sk-ant-secret-4242"
	export ANTHROPIC_API_KEY=sk-ant-secret-4242
	session
	send hi
	exit_is 9
	[ "$(requests)" = 1 ]
	[ "$(fake_requests | jq -r '.headers["x-api-key"]')" = sk-ant-secret-4242 ]
	error_says "invalid x-api-key"
	[[ "$stderr" != *sk-ant-secret-4242* ]]
	not grep -q sk-ant-secret-4242 "$CHAT_DB"
	only_user_stored
}

@test "a short key, even one inside '[redacted]', quoted many times: taken out, the line bounded" {
	serve "status=401 text=$(printf 'dact%%20%.0s' $(seq 300))"
	export ANTHROPIC_API_KEY=dact
	session
	# a loop that never ends is killed, and fails the status check
	status=0
	timeout -s KILL 20 chat-send -s "$SID" hi > "$OUT" 2> "$ERR" < /dev/null || status=$?
	mapfile -t stderr_lines < "$ERR"
	exit_is 9
	[ "${#stderr_lines[@]}" = 1 ]
	[[ "${stderr_lines[0]}" == "chat-send: anthropic: [redacted] [redacted] "* ]]
	# the key is in the word that replaces it: look outside those
	not grep -q dact <<<"$(sed 's/\[redacted\]//g' "$ERR")"
	[ "$(wc -c < "$ERR")" -le 1100 ]
	only_user_stored
}

@test "a provider's message on several lines is one line on stderr, with or without a key" {
	serve "status=500 text=line%20one%0Aline%20two%0D%0Aline%20three"
	session ollama
	send --retries 0 hi
	exit_is 8
	[ "${#stderr_lines[@]}" = 1 ]
	error_says "line one line two  line three"
	only_user_stored
}

# ---- retries ----

@test "429 with Retry-After: 1, then a reply: the wait is honoured, exit 0, two requests" {
	serve "status=429 header=Retry-After:1" "text=$ENC"
	session
	t0=$(date +%s.%N)
	send hi
	exit_is 0
	at_least "$t0" 1
	[ "$(requests)" = 2 ]
	[ "$(retry_lines)" = 1 ]
	grep -q 'retrying in 1.0 s (1 of 3)' "$ERR"
	[ "$(head -c -1 "$OUT")" = "$TEXT" ]
	[ "$(stored)" = "$(jq -nc --arg t "$TEXT" '[["user","hi"],["assistant",$t]]')" ]
	[ "$(reply | jq -c '.metadata | [.incomplete, .stopReason, .error, .fallback, .provider]')" = \
		'[false,"end_turn",null,false,"anthropic"]' ]
	# both tries asked the same
	[ "$(fake_requests | jq -c .body | sort -u | wc -l)" = 1 ]
}

@test "Retry-After as an HTTP date is honoured too" {
	# three seconds ahead, so the wait is at least two whatever the rounding
	when=$(date -u -d '+3 sec' '+%a, %d %b %Y %H:%M:%S GMT' | jq -rR @uri)
	serve "status=429 header=Retry-After:$when" "text=$ENC"
	session
	t0=$(date +%s.%N)
	send hi
	exit_is 0
	at_least "$t0" 2
	[ "$(requests)" = 2 ]
	[ "$(head -c -1 "$OUT")" = "$TEXT" ]
}

@test "a full disk on stdout: the reply is still stored whole, and the write error reported, exit 1" {
	serve "text=$ENC"
	session
	status=0
	chat-send -s "$SID" hi > /dev/full 2> "$ERR" < /dev/null || status=$?
	exit_is 1
	[ "$(cat "$ERR")" = "chat-send: write error: No space left on device" ]
	[ "$(reply | jq -r .content)" = "$TEXT" ]
	[ "$(reply | jq -c .metadata.incomplete)" = false ]
}

@test "500 then a reply: retried once, exit 0, the reply stored whole" {
	serve status=500 "text=$ENC"
	session
	send hi
	exit_is 0
	[ "$(requests)" = 2 ]
	[ "$(retry_lines)" = 1 ]
	[ "${#stderr_lines[@]}" = 1 ]
	[ "$(reply | jq -j .content)" = "$TEXT" ]
	[ "$(reply | jq .metadata.incomplete)" = false ]
}

@test "529 four times with --retries 3: four requests, three retry lines, exit 8" {
	serve status=529 status=529 status=529 status=529 "text=never"
	session
	send --retries 3 hi
	exit_is 8
	[ "$(requests)" = 4 ]
	[ "$(retry_lines)" = 3 ]
	grep -q '(3 of 3)' "$ERR"
	only_user_stored
}

@test "--retries 0: one request, no retry line" {
	serve status=529 "text=never"
	session
	send --retries 0 hi
	exit_is 8
	[ "$(requests)" = 1 ]
	[ "$(retry_lines)" = 0 ]
	[ "${#stderr_lines[@]}" = 1 ]
	only_user_stored
}

@test "429 every time: exit 10 after the retries" {
	serve status=429 status=429 status=429 "text=never"
	session
	send --retries 2 hi
	exit_is 10
	[ "$(requests)" = 3 ]
	[ "$(retry_lines)" = 2 ]
	error_says "HTTP 429"
	only_user_stored
}

@test "--retry-time 1 with Retry-After: 5: gives up at once, exit 10, one request" {
	serve "status=429 header=Retry-After:5" "text=never"
	session
	send --retry-time 1 hi
	exit_is 10
	[ "$(requests)" = 1 ]
	[ "$(retry_lines)" = 0 ]
	[ "${#stderr_lines[@]}" = 1 ]
	error_says "HTTP 429"
	only_user_stored
}

@test "a 400 is not retried" {
	serve "status=400 text=max_tokens%20too%20large" "text=never"
	session
	send --retries 3 hi
	exit_is 8
	[ "$(requests)" = 1 ]
	[ "$(retry_lines)" = 0 ]
	error_says "max_tokens too large"
	only_user_stored
}

@test "a connection closed or reset before the first byte is retried" {
	serve close reset "text=$ENC"
	session
	send hi
	exit_is 0
	[ "$(requests)" = 3 ]
	[ "$(retry_lines)" = 2 ]
	[ "$(reply | jq -j .content)" = "$TEXT" ]
	[ "$(reply | jq .metadata.incomplete)" = false ]
}

@test "a closed port: retried, then exit 11, only the user's message stored" {
	serve
	local url=$FAKE_URL
	fake_stop
	export ANTHROPIC_BASE_URL=$url
	session
	send --retries 2 hi
	exit_is 11
	[ "$(retry_lines)" = 2 ]
	[ "${#stderr_lines[@]}" = 3 ]
	error_says "anthropic: "
	only_user_stored
}

@test "a first byte slower than --timeout: retried, then exit 11 saying no reply" {
	serve first-byte-delay=3000 first-byte-delay=3000 "text=never"
	session
	t0=$(date +%s.%N)
	send --timeout 1 --retries 1 hi
	exit_is 11
	at_least "$t0" 2
	[ "$(requests)" = 2 ]
	[ "$(retry_lines)" = 1 ]
	error_says "no reply"
	only_user_stored
}

@test "a server that never answers, --timeout 1 --retries 0: exit 11 after one request" {
	serve hang
	session
	t0=$(date +%s.%N)
	send --timeout 1 --retries 0 hi
	exit_is 11
	at_least "$t0" 1
	[ "$(requests)" = 1 ]
	[ "${#stderr_lines[@]}" = 1 ]
	error_says "no reply for 1 s"
	only_user_stored
}

# ---- never a retry once text was shown ----

@test "a connection cut mid-reply: exit 11, one request, the part shown is stored incomplete" {
	serve "text=$ENC cut=1000" "text=never"
	session
	send hi
	exit_is 11
	[ "$(requests)" = 1 ]
	[ "$(retry_lines)" = 0 ]
	[ "${#stderr_lines[@]}" = 1 ]
	error_says "partial reply is saved"
	partial_stored error
	[ "$(reply | jq -r '.metadata.error | type')" = string ]
	[[ "$stderr" == *"$(reply | jq -r .metadata.error)"* ]]
	[ "$(store_sql "SELECT message_count FROM sessions WHERE id = '$SID'")" = 2 ]
}

@test "a cut mid-reply with --json: the deltas, then the stored message record, incomplete" {
	serve "text=$ENC cut=1000" "text=never"
	session
	send --json hi
	exit_is 11
	[ "$(requests)" = 1 ]
	jq -e -s 'length >= 2 and (.[:-1] | all(.type == "delta")) and .[-1].type == "message"' "$OUT" > /dev/null
	[ "$(tail -n 1 "$OUT" | jq -c .)" = "$(reply)" ]
	[ "$(reply | jq -c '.metadata | [.incomplete, .stopReason]')" = '[true,"error"]' ]
	[ "$(jq -s -j '.[:-1] | map(.text) | add' "$OUT")" = "$(reply | jq -j .content)" ]
	[ "$(jq -s -r '.[:-1] | map(.messageId) | unique | .[]' "$OUT")" = "$(reply | jq -r .id)" ]
	local got
	got=$(reply | jq -j .content)
	[ -n "$got" ] && [[ "$TEXT" == "$got"* ]] && [ "${#got}" -lt "${#TEXT}" ]
}

@test "a cut mid-reply in every protocol: exit 11, no retry, the part shown is stored" {
	local prov cut
	for prov in anthropic openai gemini ollama; do
		case $prov in anthropic) cut=1000 ;; openai) cut=1200 ;; gemini) cut=900 ;; ollama) cut=600 ;; esac
		serve "text=$ENC cut=$cut" "text=never"
		session "$prov"
		send hi
		exit_is 11
		[ "$(requests)" = 1 ]
		partial_stored error
		fake_stop
	done
}

@test "a stall mid-reply beyond --timeout: exit 11, no retry, the part shown is stored" {
	serve "text=$ENC chunk=700 delay=3000" "text=never"
	session
	send --timeout 1 hi
	exit_is 11
	[ "$(requests)" = 1 ]
	[ "$(retry_lines)" = 0 ]
	partial_stored error
}

@test "an error event mid-stream in every protocol: exit 8, the provider's message, the part shown stored" {
	local prov
	for prov in anthropic openai gemini ollama; do
		serve "text=$ENC error-event=The%20server%20melted" "text=never"
		session "$prov"
		send hi
		exit_is 8
		[ "$(requests)" = 1 ]
		[ "$(retry_lines)" = 0 ]
		[ "${#stderr_lines[@]}" = 1 ]
		error_says "The server melted"
		partial_stored error
		[ "$(reply | jq -j .content)" = "The quick" ]
		[[ "$(reply | jq -r .metadata.error)" == *"The server melted"* ]]
		fake_stop
	done
}

@test "an error event before any text is not retried either: exit 8, nothing but the user's message" {
	serve "text=$ENC error-event after=0" "text=never"
	session
	send hi
	exit_is 8
	[ "$(requests)" = 1 ]
	error_says "Overloaded"
	only_user_stored
}

@test "a malformed event mid-stream in every protocol: skipped with a warning, the whole reply stored, exit 0" {
	local prov
	for prov in anthropic openai gemini ollama; do
		serve "text=$ENC malformed" "text=never"
		session "$prov"
		send hi
		exit_is 0
		[ "$(requests)" = 1 ]
		[ "${#stderr_lines[@]}" = 1 ]
		[[ "${stderr_lines[0]}" == "chat-send: $prov sent 1 unreadable event; skipped" ]]
		[ "$(head -c -1 "$OUT")" = "$TEXT" ]
		[ "$(reply | jq -j .content)" = "$TEXT" ]
		[ "$(reply | jq -c '.metadata | [.incomplete, .error]')" = '[false,null]' ]
		fake_stop
	done
}

@test "--no-stream and a reply cut to half its JSON: exit 8, not retried, nothing but the user's message" {
	serve "text=$ENC malformed" "text=never"
	session
	send --no-stream hi
	exit_is 8
	[ "$(requests)" = 1 ]
	[ "$(fake_requests | jq .body.stream)" = null ]
	[ "${#stderr_lines[@]}" = 1 ]
	error_says "anthropic: "
	only_user_stored
}

# ---- fallbacks ----

@test "--fallback after the primary fails its retries: answered by the fallback, recorded, reported" {
	serve status=529 status=529 "text=$ENC"
	session
	send --retries 1 --fallback openai:gpt-4o-mini hi
	exit_is 0
	[ "$(requests)" = 3 ]
	[ "$(fake_requests | jq -c '[.path, .body.model]' | paste -sd' ')" = \
		'["/v1/messages","claude-test"] ["/v1/messages","claude-test"] ["/v1/chat/completions","gpt-4o-mini"]' ]
	[ "$(head -c -1 "$OUT")" = "$TEXT" ]
	[ "$(reply | jq -c '[.content == $t, .metadata.provider, .metadata.model, .metadata.fallback, .metadata.incomplete]' --arg t "$TEXT")" = \
		'[true,"openai","gpt-4o-mini",true,false]' ]
	grep -q 'falling back to openai:gpt-4o-mini' "$ERR"
	[ "${stderr_lines[-1]}" = "chat-send: answered by openai:gpt-4o-mini after a fallback" ]
	# the session keeps its own provider and model
	[ "$(chat-ls --json | jq -c '[.provider, .model]')" = '["anthropic","claude-test"]' ]
}

@test "--fallback is repeatable: the first fallback fails too, the second answers" {
	serve status=529 status=529 status=500 status=500 "text=$ENC"
	session
	send --retries 1 --fallback openai:gpt-4o-mini --fallback gemini:gemini-test hi
	exit_is 0
	[ "$(requests)" = 5 ]
	[ "$(fake_requests | jq -r .path | uniq -c | awk '{ print $1, $2 }' | paste -sd,)" = \
		"2 /v1/messages,2 /v1/chat/completions,1 /v1beta/models/gemini-test:streamGenerateContent" ]
	[ "$(grep -c 'falling back to' "$ERR")" = 2 ]
	[ "$(reply | jq -c '[.content == $t, .metadata.provider, .metadata.model, .metadata.fallback]' --arg t "$TEXT")" = \
		'[true,"gemini","gemini-test",true]' ]
}

@test "every provider of the chain failing: the exit code of the last, only the user's message stored" {
	serve status=529 status=401
	session
	send --retries 0 --fallback openai:gpt-4o-mini hi
	exit_is 9
	[ "$(requests)" = 2 ]
	grep -q 'falling back to openai' "$ERR"
	error_says "openai: "
	error_says "HTTP 401"
	only_user_stored
}

@test "a fallback without a key is skipped with a warning" {
	serve status=529 "text=$ENC"
	unset OPENAI_API_KEY OPENAI_BASE_URL
	session
	send --retries 0 --fallback openai:gpt-4o-mini --fallback gemini:gemini-test hi
	exit_is 0
	# said with the failure that called for it, not before (157-rough-edges)
	grep -q 'falling back to gemini:gemini-test (skipped openai (no OPENAI_API_KEY))' "$ERR"
	[ "$(requests)" = 2 ]
	[ "$(fake_requests | jq -r .path | paste -sd' ')" = \
		"/v1/messages /v1beta/models/gemini-test:streamGenerateContent" ]
	[ "$(reply | jq -c '[.metadata.provider, .metadata.fallback]')" = '["gemini",true]' ]
}

@test "the config's fallback is used when no --fallback is given" {
	config <<- 'EOF'
	[defaults]
	fallback = openai:gpt-4o-mini
	EOF
	serve status=529 status=529 "text=$ENC"
	session
	send --retries 1 hi
	exit_is 0
	[ "$(requests)" = 3 ]
	[ "$(reply | jq -c '[.content == $t, .metadata.provider, .metadata.model, .metadata.fallback]' --arg t "$TEXT")" = \
		'[true,"openai","gpt-4o-mini",true]' ]
	grep -q 'after a fallback' "$ERR"
}

@test "no fallback once text was shown: a cut mid-reply with a fallback ends after one request" {
	serve "text=$ENC cut=1000" "text=never" "text=never"
	session
	send --fallback openai:gpt-4o-mini hi
	exit_is 11
	[ "$(requests)" = 1 ]
	not grep -q 'falling back' "$ERR"
	partial_stored error
	[ "$(reply | jq -c '[.metadata.provider, .metadata.fallback]')" = '["anthropic",false]' ]
}

# ---- signals ----

@test "SIGINT mid-stream: exit 130, the part shown is stored incomplete, interrupted" {
	local long="$TEXT $TEXT"
	serve "text=$(jq -rn --arg t "$long" '$t | @uri') piece=4 delay=200"
	session
	send_bg hi
	await_file "$OUT"
	kill -INT "$pid"
	reap "$pid" 100
	exit_is 130
	[ "$(requests)" = 1 ]
	partial_stored interrupted "$long"
	[ "$(reply | jq .metadata.error)" = null ]
	grep -q 'partial reply is saved' "$ERR"
}

@test "SIGTERM mid-stream: exit 143, the part shown is stored incomplete, interrupted" {
	local long="$TEXT $TEXT"
	serve "text=$(jq -rn --arg t "$long" '$t | @uri') piece=4 delay=200"
	session ollama
	send_bg hi
	await_file "$OUT"
	kill -TERM "$pid"
	reap "$pid" 100
	exit_is 143
	[ "$(requests)" = 1 ]
	partial_stored interrupted "$long"
}

@test "SIGINT during a retry wait: ends promptly with 130, the user's message stored" {
	serve "status=429 header=Retry-After:10" "text=never"
	session
	send_bg hi
	await_file "$ERR" 'retrying in 10.0 s'
	kill -INT "$pid"
	reap "$pid" 50
	exit_is 130
	[ "$(requests)" = 1 ]
	only_user_stored
	[ ! -s "$OUT" ]
}

# ---- a closed stdout ----

@test "a reader that goes away (| head -c 5): exit 0 and the whole reply stored" {
	serve "gen-bytes=300000" "gen-bytes=300000"
	session
	set +e
	chat-send -s "$SID" hi < /dev/null 2> "$ERR" | head -c 5 > "$OUT"
	ps=("${PIPESTATUS[@]}")
	set -e
	[ "${ps[0]}" = 0 ] || { echo "chat-send: ${ps[0]}; stderr: $(< "$ERR")" >&2; return 1; }
	[ ! -s "$ERR" ]
	[ "$(stat -c %s "$OUT")" = 5 ]
	reply > "$BATS_TEST_TMPDIR/rec"
	jq -j .content "$BATS_TEST_TMPDIR/rec" > "$BATS_TEST_TMPDIR/stored"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/stored")" = 300000 ]
	[ "$(head -c 5 "$BATS_TEST_TMPDIR/stored")" = "$(cat "$OUT")" ]
	[ "$(jq -c '.metadata | [.incomplete, .stopReason]' "$BATS_TEST_TMPDIR/rec")" = '[false,"end_turn"]' ]
	# the same reply read to the end is the same text
	session
	send hi
	exit_is 0
	head -c -1 "$OUT" | cmp - "$BATS_TEST_TMPDIR/stored"
	[ "$(requests)" = 2 ]
}

# ---- twenty at once ----

@test "20 chat-send processes at once, a session each: all exit 0, every message stored" {
	local i spec=() sids=() pids=()
	for i in $(seq 0 19); do spec+=("text=reply-$i delay=20"); done
	serve "${spec[@]}"
	for i in $(seq 0 19); do
		sids+=("$(new_session -p anthropic -m claude-test --name "s$i")")
	done
	for i in $(seq 0 19); do
		chat-send -s "${sids[$i]}" "message-$i" > "$BATS_TEST_TMPDIR/o$i" \
			2> "$BATS_TEST_TMPDIR/e$i" < /dev/null 3>&- &
		pids+=($!)
		BG+=($!)
	done
	for i in $(seq 0 19); do
		reap "${pids[$i]}" 300
		[ "$status" = 0 ] || { echo "sender $i: $status $(< "$BATS_TEST_TMPDIR/e$i")" >&2; return 1; }
		[ ! -s "$BATS_TEST_TMPDIR/e$i" ]
	done
	[ "$(requests)" = 20 ]
	[ "$(count messages)" = 40 ]
	[ "$(store_sql "SELECT role, count(*) FROM messages GROUP BY role" | paste -sd,)" = \
		"assistant|20,user|20" ]
	[ "$(store_sql "SELECT DISTINCT message_count FROM sessions")" = 2 ]
	# request n asked message-i and got reply-n: that is what session i holds
	while read -r n msg; do
		i=${msg#message-}
		SID=${sids[$i]}
		[ "$(stored)" = "[[\"user\",\"message-$i\"],[\"assistant\",\"reply-$n\"]]" ]
		[ "$(cat "$BATS_TEST_TMPDIR/o$i")" = "reply-$n" ]
	done < <(fake_requests | jq -r '"\(.n) \(.body.messages[-1].content[-1].text)"')
}

@test "20 chat-send processes at once on one session: 40 messages, messageCount 40" {
	local i spec=() pids=()
	for i in $(seq 0 19); do spec+=("text=reply-$i"); done
	serve "${spec[@]}"
	session
	for i in $(seq 0 19); do
		chat-send -s "$SID" "message-$i" > /dev/null 2> "$BATS_TEST_TMPDIR/e$i" < /dev/null 3>&- &
		pids+=($!)
		BG+=($!)
	done
	for i in $(seq 0 19); do
		reap "${pids[$i]}" 300
		[ "$status" = 0 ] || { echo "sender $i: $status $(< "$BATS_TEST_TMPDIR/e$i")" >&2; return 1; }
	done
	[ "$(requests)" = 20 ]
	[ "$(count messages)" = 40 ]
	[ "$(store_sql "SELECT message_count FROM sessions WHERE id = '$SID'")" = 40 ]
	[ "$(chat-show --json "$SID" | jq -sc '[(map(select(.role == "user") | .content) | sort), (map(select(.role == "assistant") | .content) | sort)]')" = \
		"$(jq -nc '[[range(20) | "message-\(.)"] | sort, [range(20) | "reply-\(.)"] | sort]')" ]
	[ "$(store_sql "SELECT count(DISTINCT seq) FROM messages")" = 40 ]
}

# ---- configuration errors change nothing ----

@test "a missing key: exit 9 naming the variable, nothing stored, nothing sent" {
	serve
	unset ANTHROPIC_API_KEY ANTHROPIC_BASE_URL
	session
	send hi
	exit_is 9
	[ "${#stderr_lines[@]}" = 1 ]
	error_says ANTHROPIC_API_KEY
	[ "$(count messages)" = 0 ]
	run -9 --separate-stderr chat-send -p anthropic --new hi < /dev/null
	[ "$(count sessions)" = 1 ]
	[ "$(count messages)" = 0 ]
	[ "$(requests)" = 0 ]
}

@test "an unknown provider: exit 2, nothing stored, nothing sent" {
	serve
	session
	send -p nosuch hi
	exit_is 2
	[ "${#stderr_lines[@]}" = 1 ]
	error_says "'nosuch'"
	[ "$(count messages)" = 0 ]
	run -2 --separate-stderr chat-send -p nosuch --new hi < /dev/null
	[ "$(count sessions)" = 1 ]
	# an unknown fallback is refused before anything is stored or sent too
	send --fallback nosuch:m hi
	exit_is 2
	[ "${#stderr_lines[@]}" = 1 ]
	error_says "'nosuch'"
	[ "$(count messages)" = 0 ]
	[ "$(requests)" = 0 ]
}
