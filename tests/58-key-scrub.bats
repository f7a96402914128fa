#!/usr/bin/env bats
# 58-key-scrub.bats — the API key never reaches stderr, the store or an
# export, however long the provider's message that quotes it.  The key at
# every offset across the end of the 1,024-byte error line, in all four
# protocols, in an HTTP error body (401; 500 then 400, through a retry and
# a fallback) and in an error event inside a stream; a key with regex and
# URL characters, quoted as is and percent-encoded; a short key; a key the
# provider cut itself, or split over lines; a line cut on a UTF-8 character
# boundary.  "Reaches" is any run of 8 or more consecutive characters of
# the key.

load helper

# SQL for the length in bytes of a text (this SQLite has no octet_length,
# PostgreSQL no BLOB)
bytes() {
	if [ "${CONFAB_TEST_DB:-}" = pg ]; then
		echo "octet_length($1)"
	else
		echo "length(CAST($1 AS BLOB))"
	fi
}

# 48 random-looking characters.  Nothing the programs write of their own,
# nor the filler, shares a run of 8 with it.
KEY=sk-fk-7Qm2vZxR9bLtW4kNq8YfJ3hS6dCe1UoGiT0pHa5ByE
# What an error line holds: s->error is 1,024 bytes with its NUL.
LINE=1023
FILLER=$(printf 'lorem ipsum dolor sit amet, consectetur adipiscing elit; %.0s' {1..40})
PROTOS=(anthropic openai gemini ollama)
declare -gA MODEL=([anthropic]=claude-test [openai]=gpt-test [gemini]=gemini-test
	[ollama]=llama-test)

setup() {
	common_setup
	[ -x "$ROOT/build/fakeprov" ] || {
		echo "build/fakeprov is missing: make build/fakeprov" >&2
		return 1
	}
	W=$BATS_TEST_TMPDIR/w
	mkdir -p "$W"
	PIDS=()
	declare -gA URL=() LOG=() SID=() FROM=() TO=()
	windows "$KEY" > "$W/windows"
	# Ollama takes no key of its own; a proxy in front of it may want one
	config <<-EOF
	[ollama]
	api-key = $KEY
	EOF
}

teardown() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2> /dev/null || true
	done
}

# Every run of 8 characters of each argument, one a line.
windows() {
	local k i
	for k; do
		for ((i = 0; i + 8 <= ${#k}; i++)); do
			printf '%s\n' "${k:i:8}"
		done
	done
}

# Fails, saying where, when a file holds a run of 8 characters of the key
# ($W/windows).
no_key_in() {
	local f bad=0
	for f; do
		if grep -a -o -F -f "$W/windows" "$f" > "$W/hits"; then
			echo "part of the key in $f: $(sort -u "$W/hits" | head -3 | paste -sd' ')" >&2
			bad=1
		fi
	done
	[ "$bad" = 0 ]
}

# TEXT percent-encoded, for a script line.
uri() {
	jq -rn --arg t "$1" '$t | @uri'
}

# Starts a fake provider of its own for PROTO with the script lines that
# follow; its URL in URL[PROTO], its request log in LOG[PROTO].
serve_for() {
	local p=$1
	shift
	fake_start "$@" || return 1
	PIDS+=("$FAKE_PID")
	URL[$p]=$FAKE_URL
	LOG[$p]=$FAKE_LOG
}

# In CHAIN, the arguments that make one send try PROTO N times: N - 1
# fallbacks to it, each a line on stderr ("...; falling back to PROTO:M").
chain() { # PROTO N
	local i
	CHAIN=()
	for ((i = 1; i < $2; i++)); do
		CHAIN+=(--fallback "$1:${MODEL[$1]}")
	done
}

# Points PROTO at its fake, with the key (Ollama's is in the config).
point() {
	case $1 in
	anthropic) export ANTHROPIC_BASE_URL=$2 ANTHROPIC_API_KEY=$KEY ;;
	openai) export OPENAI_BASE_URL=$2/v1 OPENAI_API_KEY=$KEY ;;
	gemini) export GOOGLE_GEMINI_BASE_URL=$2 GEMINI_API_KEY=$KEY ;;
	ollama) export OLLAMA_HOST=$2 ;;
	esac
}

# What the error line says before the provider's own words, in $pre.
prefix_for() { # KIND PROTO
	if [ "$1" = event ]; then pre="$2: error in the reply: "; else pre="$2: "; fi
}

# A session for PROTO, its id in SID[PROTO] (no jq: it is run often).
session_for() {
	local r
	r=$(chat-new -p "$1" -m "${MODEL[$1]}")
	[[ "$r" =~ \"id\":\"([^\"]+)\" ]]
	SID[$1]=${BASH_REMATCH[1]}
}

# The fake's script: for each filler length from FROM to TO, the
# provider's message "FILLER[0:L]KEY" as KIND (one spec, two for 500).
specs() { # KIND FROM TO
	jq -rn --arg kind "$1" --argjson from "$2" --argjson to "$3" \
		--arg f "$FILLER" --arg key "$KEY" '
		range($from; $to + 1) as $l | ($f[0:$l] + $key | @uri) as $m |
		if $kind == "401" then "status=401 text=\($m)"
		elif $kind == "500" then
			"status=500 header=Retry-After:0 text=\($m)", "status=400 text=\($m)"
		else "error-event=\($m)" end'
}

# PROTO's session gets the messages of KIND: for an error event after some
# text, one send a filler length (the reply is stored, and ends the send);
# for the HTTP errors, one send for all of them, through a fallback to PROTO
# again after each (and for 500, a retry first, then a 400).  Each send's
# stdout, stderr and exit status in $W/PROTO.N.{out,err,rc}.
drive() { # KIND PROTO
	local kind=$1 p=$2 l rc
	point "$p" "${URL[$p]}"
	case $kind in
	event)
		for ((l = FROM[$p]; l <= TO[$p]; l++)); do
			rc=0
			chat-send -s "${SID[$p]}" --retries 0 hi > "$W/$p.$l.out" \
				2> "$W/$p.$l.err" < /dev/null || rc=$?
			echo "$rc" > "$W/$p.$l.rc"
		done
		;;
	*)
		chain "$p" $((TO[$p] - FROM[$p] + 1))
		rc=0
		chat-send -s "${SID[$p]}" --retries $((kind == 500)) "${CHAIN[@]}" hi \
			> "$W/$p.0.out" 2> "$W/$p.0.err" < /dev/null || rc=$?
		echo "$rc" > "$W/$p.0.rc"
		;;
	esac
}

# Checks the error lines on stdin, COUNT of them, one filler length after
# another from FROM (STEP lines each): each the provider's words as sent,
# as far as the line goes, then "[redacted]" where there was room for it;
# each ending as KIND's lines do.  (In awk: bats makes each shell command
# in a test slow.)
lines_ok() { # KIND PROTO FROM STEP COUNT
	local pre
	prefix_for "$1" "$2"
	LC_ALL=C awk -v kind="$1" -v pre="$pre" -v from="$3" -v step="$4" -v count="$5" \
		-v f="$FILLER" -v max="$LINE" -v fb="; falling back to $2:${MODEL[$2]}" '
	function bad(what) {
		if (++fails <= 3)
			printf "%s, line %d, %d bytes of filler: %s:\n%s\n", proto, i, l,
				what, t > "/dev/stderr"
	}
	function ends(s) {
		return substr(t, length(t) - length(s) + 1) == s
	}
	{ all[NR] = $0 }
	END {
		if (NR != count) {
			printf "%s: %d lines, expected %d\n", proto, NR, count > "/dev/stderr"
			exit 1
		}
		for (i = 1; i <= NR; i++) {
			t = all[i]
			l = from + int((i - 1) / step)
			line = t
			sub(/^chat-send: /, "", line)
			want = pre substr(f, 1, l)
			w = substr(want, 1, max)
			if (substr(line, 1, length(w)) != w)
				bad("not the provider'"'"'s message")
			else if (length(want) + 10 <= max &&
			         substr(line, 1, length(want) + 10) != want "[redacted]")
				bad("no [redacted] after the filler")
			if (kind == "event" &&
			    !ends(" (the partial reply is saved, marked incomplete)"))
				bad("not an incomplete reply")
			if (kind == "500" && i % 2 == 1 && !ends("; retrying in 0.0 s (1 of 1)"))
				bad("not retried")
			if ((kind == "401" || (kind == "500" && i % 2 == 0)) && i < NR && !ends(fb))
				bad("no fallback")
		}
		if (fails > 3)
			printf "%s: %d lines more like these\n", proto, fails - 3 > "/dev/stderr"
		exit fails != 0
	}' proto="$2"
}

# Every export of PROTO's session, as text, in $W/export.PROTO.*.
export_all() {
	local p=$1 s=${SID[$1]}
	chat-export -f markdown --metadata "$s" > "$W/export.$p.md"
	chat-export -f json "$s" > "$W/export.$p.json"
	jq -r '.. | strings' "$W/export.$p.json" > "$W/export.$p.json-strings"
	chat-export -f plaintext "$s" > "$W/export.$p.txt"
	chat-export -f html "$s" > "$W/export.$p.html"
	chat-export -f pdf -o "$W/$p.pdf" "$s"
	pdftotext "$W/$p.pdf" "$W/export.$p.pdf-text"
	chat-export -f docx -o "$W/$p.docx" "$s"
	unzip -p "$W/$p.docx" word/document.xml > "$W/export.$p.docx-xml"
	# the text without its markup: a run split over elements is whole
	sed 's/<[^>]*>//g' "$W/export.$p.docx-xml" > "$W/export.$p.docx-text"
	# the exports hold the conversation: they are read, not empty
	grep -q hi "$W/export.$p.pdf-text"
	grep -q hi "$W/export.$p.docx-text"
}

# The key at every offset from 8 bytes before it would end whole at the
# line's end to past that end, in all four protocols at once (a fake and a
# session each); then each line, the store and every export.
across_boundary() { # KIND
	local kind=$1 p pre n lines=() jobs=() j
	for p in "${PROTOS[@]}"; do
		prefix_for "$kind" "$p"
		FROM[$p]=$((LINE - ${#pre} - ${#KEY} - 8))
		TO[$p]=$((LINE - ${#pre} + 2))
		mapfile -t lines < <(specs "$kind" "${FROM[$p]}" "${TO[$p]}")
		serve_for "$p" "${lines[@]}"
		session_for "$p"
	done
	# each protocol's sends, then its exports, alongside the others'
	for p in "${PROTOS[@]}"; do
		{ drive "$kind" "$p" && export_all "$p"; } &
		jobs+=($!)
	done
	for j in "${jobs[@]}"; do
		wait "$j"
	done

	for p in "${PROTOS[@]}"; do
		n=$((TO[$p] - FROM[$p] + 1))
		case $kind in
		event)
			# a send a length, each exit 8 with one line
			[ "$(seq -f "$W/$p.%g.rc" "${FROM[$p]}" "${TO[$p]}" | xargs cat | sort -u)" = 8 ]
			seq -f "$W/$p.%g.err" "${FROM[$p]}" "${TO[$p]}" | xargs cat |
				lines_ok event "$p" "${FROM[$p]}" 1 "$n"
			;;
		401)
			# a 401 a length, a fallback after each but the last, exit 9
			[ "$(< "$W/$p.0.rc")" = 9 ]
			lines_ok 401 "$p" "${FROM[$p]}" 1 "$n" < "$W/$p.0.err"
			;;
		500)
			# a 500 retried, then a 400 that falls back, for each
			# length; the last 400's exit 8
			[ "$(< "$W/$p.0.rc")" = 8 ]
			lines_ok 500 "$p" "${FROM[$p]}" 2 $((2 * n)) < "$W/$p.0.err"
			;;
		esac
		# every request reached the fake, each of them with the key
		[ "$(wc -l < "${LOG[$p]}")" = $((kind == 500 ? 2 * n : n)) ]
		[ "$(grep -c -F -- "$KEY" "${LOG[$p]}")" = $((kind == 500 ? 2 * n : n)) ]
		if [ "$kind" = event ]; then
			# one incomplete reply a send, its error stored as long as
			# the line goes
			[ "$(store_sql "SELECT count(*) FROM messages WHERE
				session_id = '${SID[$p]}' AND role = 'assistant' AND
				json_extract(extra, '\$.error') LIKE '$p: error in the reply: lorem%'")" = "$n" ]
			[ "$(store_sql "SELECT max($(bytes "json_extract(extra, '\$.error')"))
				FROM messages WHERE session_id = '${SID[$p]}'")" -le "$LINE" ]
		fi
	done
	if [ "$kind" = event ]; then
		grep -q -F '[redacted]' "$W/export.anthropic.json"
	fi
	store_dump > "$W/dump.sql"
	# SQLite's file and journal too; PostgreSQL's store is no file of ours
	if [ "${CONFAB_TEST_DB:-}" != pg ]; then cat "$CHAT_DB"*; fi > "$W/db-files"
	cat "$W"/*.err > "$W/stderr"
	cat "$W"/*.out > "$W/stdout"
	no_key_in "$W/stderr" "$W/stdout" "$W/dump.sql" "$W/db-files" "$W"/export.*
}

@test "the helper sees a run of 8 characters of the key, and only that" {
	printf 'x%sx\n' "${KEY:17:8}" > "$W/a"
	printf 'x%sx\n' "${KEY:17:7}" > "$W/b"
	run no_key_in "$W/a"
	[ "$status" = 1 ]
	no_key_in "$W/b"
	[ "$(wc -l < "$W/windows")" = $((${#KEY} - 7)) ]
	# and the filler, the prefixes and the programs' words share none
	printf '%s\n' "$FILLER" "[redacted]" "error in the reply" > "$W/c"
	no_key_in "$W/c"
}

@test "a 401 whose message ends in the key, the key at every offset across the line's end, four protocols" {
	across_boundary 401
}

@test "a 500 then a 400 ending in the key, through retries and fallbacks, every offset, four protocols" {
	across_boundary 500
}

@test "an error event after some text ending in the key, every offset, four protocols: stderr, store, exports" {
	across_boundary event
}

@test "a key with regex and URL characters, quoted as is and percent-encoded, across the line's end" {
	local key='Kx9.*+?[q](z){2}|^$\/%&=#;Zk~' enc low l n lines=()
	enc=$(jq -rn --arg t "$key" '$t | @uri')
	low=$(sed 's/%\(..\)/%\L\1/g' <<< "$enc")
	[ "$low" != "$enc" ]
	windows "$key" "$enc" "$low" > "$W/windows"
	# the key as it is, and in a URL's query with upper and lower case hex
	mapfile -t lines < <(for ((l = 930; l <= 1015; l += 5)); do
			printf '%s\n' "${FILLER:0:l}$key" "${FILLER:0:l} ?key=$enc&alt=sse" \
				"${FILLER:0:l} ?key=$low"
		done | jq -Rr '"status=401 text=" + @uri')
	n=${#lines[@]}
	serve_for anthropic "${lines[@]}"
	point anthropic "${URL[anthropic]}"
	export ANTHROPIC_API_KEY=$key
	session_for anthropic
	chain anthropic "$n"
	run -9 --separate-stderr chat-send -s "${SID[anthropic]}" --retries 0 "${CHAIN[@]}" hi
	[ "${#stderr_lines[@]}" = "$n" ]
	printf '%s\n' "$stderr" > "$W/stderr"
	# the key went out as it is, in the header
	[ "$(jq -r '.headers["x-api-key"]' "${LOG[anthropic]}" | sort -u)" = "$key" ]
	store_dump > "$W/dump.sql"
	no_key_in "$W/stderr" "$W/dump.sql"
	[ "$(grep -c -F '[redacted]' "$W/stderr")" -ge 40 ]
}

@test "a key the provider cut itself, at the line's end or before an ellipsis: taken out" {
	local f="; falling back to openai:gpt-test"
	serve_for openai \
		"status=401 text=$(uri "Incorrect API key provided: ${KEY:0:20}... (see the docs)")" \
		"status=401 text=$(uri "Incorrect API key provided: ${KEY:0:6}")" \
		"status=401 text=$(uri "Incorrect API key provided: ${KEY:0:6}… or ${KEY:30}")" \
		"status=401 text=$(uri "${FILLER:0:900} Incorrect API key provided: ${KEY:0:30}")"
	point openai "${URL[openai]}"
	session_for openai
	chain openai 4
	run -9 --separate-stderr chat-send -s "${SID[openai]}" "${CHAIN[@]}" hi
	printf '%s\n' "$stderr" > "$W/stderr"
	no_key_in "$W/stderr"
	[ "${#stderr_lines[@]}" = 4 ]
	[ "${stderr_lines[0]}" = "chat-send: openai: Incorrect API key provided: [redacted]... (see the docs) (HTTP 401)$f" ]
	# a stub of the key's start as short as 6 is still taken out where
	# the provider's message ends with it, or an ellipsis follows it
	[ "${stderr_lines[1]}" = "chat-send: openai: Incorrect API key provided: [redacted] (HTTP 401)$f" ]
	[ "${stderr_lines[2]}" = "chat-send: openai: Incorrect API key provided: [redacted]… or [redacted] (HTTP 401)$f" ]
	[[ "${stderr_lines[3]}" == *" Incorrect API key provided: [redacted] (HTTP 401)" ]]
}

@test "a short key at the line's end is not cut into a stub of it" {
	local key=Zk9Q# l lines=()
	mapfile -t lines < <(for ((l = 990; l <= 1020; l++)); do
			printf '%s\n' "${FILLER:0:l}$key"
		done | jq -Rr '"status=401 text=" + @uri')
	serve_for anthropic "${lines[@]}"
	point anthropic "${URL[anthropic]}"
	export ANTHROPIC_API_KEY=$key
	session_for anthropic
	chain anthropic "${#lines[@]}"
	run -9 --separate-stderr chat-send -s "${SID[anthropic]}" "${CHAIN[@]}" hi
	[ "${#stderr_lines[@]}" = 31 ]
	printf '%s\n' "$stderr" > "$W/stderr"
	# no 4 of its 5 characters anywhere (none of them is in "[redacted]")
	not grep -F -e Zk9Q -e k9Q# "$W/stderr"
	[ "$(grep -c -F '[redacted]' "$W/stderr")" -ge 10 ]
}

@test "a key split over lines by the provider: both halves taken out, one line" {
	serve_for gemini "status=401 text=$(uri "line one
bad key: ${KEY:0:24}
${KEY:24}
line four")" "error-event=$(uri "first ${KEY:0:12}"$'\r\n'"${KEY:12} last")"
	point gemini "${URL[gemini]}"
	session_for gemini
	run -9 --separate-stderr chat-send -s "${SID[gemini]}" hi
	[ "$stderr" = "chat-send: gemini: line one bad key: [redacted] [redacted] line four (UNAUTHENTICATED) (HTTP 401)" ]
	printf '%s\n' "$stderr" > "$W/stderr"
	run -8 --separate-stderr chat-send -s "${SID[gemini]}" hi
	[ "${#stderr_lines[@]}" = 1 ]
	[[ "$stderr" == "chat-send: gemini: error in the reply: first [redacted]  [redacted] last (the partial"* ]]
	printf '%s\n' "$stderr" >> "$W/stderr"
	store_dump > "$W/dump.sql"
	no_key_in "$W/stderr" "$W/dump.sql"
}

@test "a long message of multibyte characters is cut on a character boundary, on stderr and in the store" {
	local j l lines=()
	# the line's end falls on each byte of a 2-, 3- and 4-byte character:
	# nine 401s in a row, then nine error events
	mapfile -t lines < <(
		for j in {0..8}; do
			printf '%s\n' "status=401 text=$(printf 'x%.0s' $(seq 0 $j))$(printf 'é€😀%.0s' {1..150})"
		done
		for j in {0..8}; do
			printf '%s\n' "error-event=$(printf 'x%.0s' $(seq 0 $j))$(printf '€😀é%.0s' {1..150})"
		done | jq -Rr 'sub("^(?<k>[^=]*=)(?<v>.*)"; "\(.k)\(.v | @uri)")')
	serve_for ollama "${lines[@]}"
	point ollama "${URL[ollama]}"
	session_for ollama
	chain ollama 9
	run -9 --separate-stderr chat-send -s "${SID[ollama]}" "${CHAIN[@]}" hi
	[ "${#stderr_lines[@]}" = 9 ]
	printf '%s\n' "$stderr" > "$W/stderr"
	for j in {0..8}; do
		l=0
		chat-send -s "${SID[ollama]}" hi > /dev/null 2>> "$W/stderr" || l=$?
		[ "$l" = 8 ]
	done
	[ "$(wc -l < "$W/stderr")" = 18 ]
	iconv -f UTF-8 -t UTF-8 "$W/stderr" > /dev/null
	not grep -q $'\xef\xbf\xbd' "$W/stderr"
	# each error as long as it can be: cut at most 3 bytes short of the end
	run -0 store_sql "SELECT $(bytes "json_extract(extra, '\$.error')")
		FROM messages WHERE role = 'assistant'"
	[ "${#lines[@]}" = 9 ]
	for j in "${lines[@]}"; do
		[ "$j" -le "$LINE" ] && [ "$j" -ge $((LINE - 3)) ]
	done
	store_dump > "$W/dump.sql"
	iconv -f UTF-8 -t UTF-8 "$W/dump.sql" > /dev/null
	not grep -q $'\xef\xbf\xbd' "$W/dump.sql"
}

@test "the key never travels in a URL, and a network error names none" {
	local p
	for p in "${PROTOS[@]}"; do
		serve_for "$p" "text=fine" close
		point "$p" "${URL[$p]}"
		session_for "$p"
		run -0 chat-send -s "${SID[$p]}" hi
		run -11 --separate-stderr chat-send -s "${SID[$p]}" --retries 0 hi
		printf '%s\n' "$stderr" >> "$W/stderr"
		[ "$(jq -r '.path, (.query // empty)' "${LOG[$p]}" | grep -c -F -- "${KEY:0:8}")" = 0 ]
	done
	[ "$(wc -l < "$W/stderr")" = 4 ]
	no_key_in "$W/stderr"
}
