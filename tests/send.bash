# send.bash — what the chat-send suites share: a fake provider every
# provider points at, a session, running chat-send in the background and
# reading back what it stored.  Loaded after helper.bash.

setup() {
	common_setup
	[ -x "$ROOT/build/fakeprov" ] || {
		echo "build/fakeprov is missing: make build/fakeprov" >&2
		return 1
	}
	OUT=$BATS_TEST_TMPDIR/out
	ERR=$BATS_TEST_TMPDIR/err
	TEXT='The quick brown fox jumps over the lazy dog, then naps in the sun for a while.'
	ENC=$(jq -rn --arg t "$TEXT" '$t | @uri')
	BG=()
}

teardown() {
	local p
	for p in "${BG[@]}"; do
		kill -KILL "$p" 2> /dev/null || true
		wait "$p" 2> /dev/null || true
	done
	fake_stop
}

# Starts the fake provider with a script and points every provider at it.
serve() {
	fake_start "$@" || return 1
	export ANTHROPIC_BASE_URL=$FAKE_URL ANTHROPIC_API_KEY=k \
		OPENAI_BASE_URL=$FAKE_URL/v1 OPENAI_API_KEY=k \
		GOOGLE_GEMINI_BASE_URL=$FAKE_URL GEMINI_API_KEY=k \
		OLLAMA_HOST=$FAKE_URL
}

# A session for a provider (default anthropic) in $SID.
session() {
	local p=${1:-anthropic} m
	case $p in
	anthropic) m=claude-test ;;
	openai) m=gpt-test ;;
	gemini) m=gemini-test ;;
	ollama) m=llama-test ;;
	esac
	SID=$(new_session -p "$p" -m "$m")
	[ -n "$SID" ]
}

# chat-send -s $SID ARGS: stdout byte for byte in $OUT, stderr in $ERR,
# $stderr and $stderr_lines, the exit status in $status.
send() {
	status=0
	chat-send -s "$SID" "$@" > "$OUT" 2> "$ERR" < /dev/null || status=$?
	stderr=$(< "$ERR")
	mapfile -t stderr_lines < "$ERR"
}

# The same in the background: its pid in $pid (and in BG, which teardown
# kills), reaped with `reap "$pid" TENTHS`, which sets $status.
send_bg() {
	chat-send -s "$SID" "$@" > "$OUT" 2> "$ERR" < /dev/null 3>&- &
	pid=$!
	BG+=("$pid")
}

# The exit status of the last send, with what it said when it is wrong.
exit_is() {
	[ "$status" -eq "$1" ] || {
		echo "exit status $status, expected $1; stderr:" >&2
		cat "$ERR" >&2
		return 1
	}
}

# How many requests the fake provider received.
requests() {
	if [ -s "$FAKE_LOG" ]; then fake_requests | wc -l; else echo 0; fi
}

# How many "retrying in" lines the last send wrote.
retry_lines() {
	grep -c 'retrying in' "$ERR" || true
}

# The messages of $SID as [role, content] pairs.
stored() {
	chat-show --json "$SID" | jq -sc 'map([.role, .content])'
}

# The assistant's message of $SID (exactly one), as a record.
reply() {
	chat-show --json "$SID" | jq -c 'select(.role == "assistant")' > "$BATS_TEST_TMPDIR/reply"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/reply")" = 1 ] || {
		echo "expected one assistant message, got: $(stored)" >&2
		return 1
	}
	cat "$BATS_TEST_TMPDIR/reply"
}

# Only the user's message (default "hi") is stored in $SID, and the session
# counts it.
only_user_stored() {
	[ "$(stored)" = "$(jq -nc --arg t "${1:-hi}" '[["user", $t]]')" ] || {
		echo "stored: $(stored)" >&2
		return 1
	}
	[ "$(store_sql "SELECT message_count FROM sessions WHERE id = '$SID'")" = 1 ]
}

# The last stderr line is the error: it names the program and has $1 in it.
error_says() {
	[[ "${stderr_lines[-1]}" == "chat-send: "* ]] || {
		echo "stderr: $stderr" >&2
		return 1
	}
	[[ "${stderr_lines[-1]}" == *"$1"* ]] || {
		echo "stderr does not say '$1': $stderr" >&2
		return 1
	}
}

# The reply stored in $SID was cut short: incomplete with stopReason $1, and
# its content is what stdout showed (less the newline chat-send added),
# not empty, and a proper prefix of $2 (default $TEXT).
partial_stored() {
	local full=${2:-$TEXT}
	reply > "$BATS_TEST_TMPDIR/rec"
	jq -e --arg s "$1" '.metadata.incomplete == true and .metadata.stopReason == $s' \
		"$BATS_TEST_TMPDIR/rec" > /dev/null || {
		echo "metadata: $(jq -c .metadata "$BATS_TEST_TMPDIR/rec")" >&2
		return 1
	}
	jq -j .content "$BATS_TEST_TMPDIR/rec" > "$BATS_TEST_TMPDIR/stored"
	[ -s "$BATS_TEST_TMPDIR/stored" ]
	[ "$(tail -c 1 "$OUT" | od -An -tx1 | tr -d ' ')" = 0a ]
	head -c -1 "$OUT" | cmp - "$BATS_TEST_TMPDIR/stored"
	local got
	got=$(< "$BATS_TEST_TMPDIR/stored")
	[[ "$full" == "$got"* ]]
	[ "${#got}" -lt "${#full}" ]
}

# Whether process $1 runs (a zombie does not).
running() {
	local st
	st=$(cut -d' ' -f3 "/proc/$1/stat" 2> /dev/null) && [ "$st" != Z ]
}

# Waits (at most $2 tenths of a second) for process $1 to end; its exit
# status in $status.
reap() {
	local i
	for ((i = 0; i < $2; i++)); do
		running "$1" || break
		sleep 0.1
	done
	! running "$1" || {
		echo "process $1 still runs after $2 tenths of a second" >&2
		return 1
	}
	status=0
	wait "$1" || status=$?
}

# Waits (at most 10 s) until file $1 has something in it (or matches $2).
await_file() {
	local i
	for ((i = 0; i < 200; i++)); do
		if [ -n "${2:-}" ]; then
			grep -q "$2" "$1" 2> /dev/null && return 0
		else
			[ -s "$1" ] && return 0
		fi
		sleep 0.05
	done
	echo "$1 stayed without ${2:-bytes}" >&2
	return 1
}

# Seconds since $1 (from date +%s.%N) are at least $2.
at_least() {
	awk -v t0="$1" -v t1="$(date +%s.%N)" -v min="$2" 'BEGIN { exit !(t1 - t0 >= min) }'
}

