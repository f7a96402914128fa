# serve.bash — chat-serve for the suites: sourced after helper.bash.
#
#   serve_start [chat-serve args...]   start bin/chat-serve --listen 127.0.0.1:0
#                                      in the test's home and wait for its
#                                      listening line; sets SERVE_URL,
#                                      SERVE_TOKEN, SERVE_PID, SERVE_LOG,
#                                      SERVE_LOGIN (the one-time login URL)
#   api METHOD PATH [curl args...]     curl with the bearer token; the body on
#                                      stdout, the status in API_STATUS (call
#                                      it without `run` to keep the variable)
#   serve_stop                         SIGTERM, then wait for it to end
#   serve_teardown                     for a suite's teardown: stop it if running
#
# CHAT_SERVE names another build to start (build/asan/chat-serve: make it
# first), for the sanitizers over a whole suite.

# serve_start's bound on the wait for the listening line, in tenths of a
# second: long enough for a loaded machine, short enough to fail a test.
SERVE_WAIT=${SERVE_WAIT:-300}

serve_start() {
	local i line
	SERVE_LOG=$BATS_TEST_TMPDIR/serve.log
	: > "$SERVE_LOG"
	"${CHAT_SERVE:-chat-serve}" --listen 127.0.0.1:0 "$@" 2> "$SERVE_LOG" &
	SERVE_PID=$!
	SERVE_URL=
	for ((i = 0; i < SERVE_WAIT; i++)); do
		line=$(grep -m1 '^chat-serve: listening on ' "$SERVE_LOG" || true)
		if [ -n "$line" ]; then
			SERVE_URL=${line#chat-serve: listening on }
			break
		fi
		if ! kill -0 "$SERVE_PID" 2> /dev/null; then
			echo "chat-serve ended before listening:" >&2
			cat "$SERVE_LOG" >&2
			wait "$SERVE_PID" || true
			SERVE_PID=
			return 1
		fi
		sleep 0.1
	done
	if [ -z "$SERVE_URL" ]; then
		echo "chat-serve did not say where it listens:" >&2
		cat "$SERVE_LOG" >&2
		serve_stop
		return 1
	fi
	SERVE_LOGIN=$(grep -m1 '^chat-serve: log in at ' "$SERVE_LOG" || true)
	SERVE_LOGIN=${SERVE_LOGIN#chat-serve: log in at }
	SERVE_TOKEN=$(cat "$XDG_CONFIG_HOME/confab/serve-token")
	export SERVE_URL SERVE_TOKEN SERVE_PID SERVE_LOG SERVE_LOGIN
}

api() {
	local method=$1 path=$2 out
	shift 2
	out=$(curl -sS -o /dev/stdout -w '\n%{http_code}' -X "$method" \
		-H "Authorization: Bearer $SERVE_TOKEN" "$@" "$SERVE_URL$path")
	API_STATUS=${out##*$'\n'}
	out=${out%$'\n'*}
	[ -z "$out" ] || printf '%s\n' "$out"
}

serve_stop() {
	local s=0
	[ -n "${SERVE_PID:-}" ] || return 0
	kill -TERM "$SERVE_PID" 2> /dev/null || true
	wait "$SERVE_PID" || s=$?
	SERVE_PID=
	# under CHAT_SERVE=build/asan/chat-serve: a report fails the test
	if grep -q 'Sanitizer' "$SERVE_LOG"; then
		cat "$SERVE_LOG" >&2
		return 1
	fi
	return "$s"
}

serve_teardown() {
	if [ -n "${SERVE_PID:-}" ]; then
		kill -KILL "$SERVE_PID" 2> /dev/null || true
		wait "$SERVE_PID" 2> /dev/null || true
		SERVE_PID=
	fi
}
