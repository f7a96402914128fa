#!/usr/bin/env bats
# chat-serve's exports: POST /api/chat/sessions/:id/export in each of the
# six formats, read back by other programs (pandoc, pdftotext, jq) and
# byte for byte chat-export's own output where it is text; the options;
# Content-Type and a Content-Disposition that a hostile session name
# cannot bend; a document large enough to be sent from its file; POST
# /api/chat/export/bulk by ids and by filter, its zip's names kept inside
# the archive; every refusal with its status.

load helper
load serve

setup() {
	common_setup
	export LC_ALL=C.UTF-8
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
	demo
	serve_start
}

# SIGTERM, so that under CHAT_SERVE=build/asan/chat-serve its report at
# exit (leaks included) fails the test
teardown() {
	serve_stop
}

# "demo", tagged work: a user's message with a heading and a fence, an
# assistant's with a link and a table.
demo() {
	DEMO=$(new_session -n demo -p echo -m m-1 -t work)
	chat-add -s demo --time 2026-01-02T03:04:05Z "$(cat <<-'EOF'
	Hello **world** from the user

	# Head

	```
	print(1)
	```
	EOF
	)" >/dev/null
	chat-add -s demo -r assistant -m m-1 --tokens 12 --time 2026-01-02T03:04:06Z "$(cat <<-'EOF'
	Sure: a *reply* with a [link](https://example.com/docs).

	| a | b |
	|---|---|
	| 1 | 2 |
	EOF
	)" >/dev/null
}

# POST an export: path, JSON body; the body byte for byte into $1's file
# (serve.bash's api keeps it in a shell variable, which loses NULs and
# adds a newline), the headers into h, the status in API_STATUS.
export_to() {
	local out=$1 path=$2 body=$3
	API_STATUS=$(curl -sS -o "$out" -D "$BATS_TEST_TMPDIR/h" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $SERVE_TOKEN" -H 'Content-Type: application/json' \
		--data-binary "$body" "$SERVE_URL$path")
}

# A response header's value (the last one so named), without its CR.
header() {
	grep -i "^$1:" "$BATS_TEST_TMPDIR/h" | tail -1 | cut -d: -f2- | sed 's/^ //; s/\r$//'
}

# How many headers of that name the response had.
header_count() {
	grep -ci "^$1:" "$BATS_TEST_TMPDIR/h" || true
}

# The file name a Content-Disposition gives: filename*'s, decoded, else
# the quoted one's.
disposition_name() {
	local v
	v=$(header Content-Disposition)
	if [[ $v == *"filename*=UTF-8''"* ]]; then
		v=${v#*"filename*=UTF-8''"}
		v=${v%%;*}
		printf '%s' "$v" | perl -pe 's/%([0-9A-Fa-f]{2})/chr(hex($1))/ge'
	else
		v=${v#*filename=\"}
		printf '%s' "${v%%\"*}"
	fi
}

# An error response: the status, and the body {"type":"error",...} saying it.
is_error() {
	[ "$API_STATUS" = "$1" ] || { echo "status $API_STATUS, expected $1"; cat "$2"; return 1; }
	jq -e --argjson s "$1" '.type == "error" and .status == $s and (.message | type == "string" and length > 0)' "$2" >/dev/null
}

@test "markdown: the bytes chat-export writes, text/markdown, named after the session" {
	export_to x.md "/api/chat/sessions/$DEMO/export" '{"format":"markdown"}'
	[ "$API_STATUS" = 200 ]
	chat-export -f markdown demo > want.md
	cmp want.md x.md
	[ "$(header Content-Type)" = "text/markdown; charset=utf-8" ]
	[[ "$(header Content-Disposition)" == attachment* ]]
	[ "$(disposition_name)" = demo.md ]
	# pandoc reads the title and the user's heading
	run -0 bash -c "pandoc -f commonmark -t plain x.md"
	[[ $output == *"Hello world from the user"* ]]
	[[ $output == *"print(1)"* ]]
}

@test "markdown is the default format, as chat-export's" {
	export_to x.md "/api/chat/sessions/$DEMO/export" ''
	[ "$API_STATUS" = 200 ]
	cmp <(chat-export demo) x.md
	[ "$(header Content-Type)" = "text/markdown; charset=utf-8" ]
}

@test "json: the bytes chat-export writes, application/json, jq reads the records" {
	export_to x.json "/api/chat/sessions/$DEMO/export" '{"format":"json"}'
	[ "$API_STATUS" = 200 ]
	cmp <(chat-export -f json demo) x.json
	[ "$(header Content-Type)" = application/json ]
	[ "$(disposition_name)" = demo.json ]
	run -0 jq -sc '[.[] | .type] ' x.json
	[[ $output == *session* ]] || jq -e . x.json >/dev/null
	run -0 bash -c "jq -r '.. | .content? // empty' x.json"
	[[ $output == *"Hello **world** from the user"* ]]
}

@test "text: the bytes chat-export -f plaintext writes, text/plain, under each of its names" {
	chat-export -f plaintext demo > want.txt
	for f in text plaintext txt TEXT; do
		export_to x.txt "/api/chat/sessions/$DEMO/export" "{\"format\":\"$f\"}"
		[ "$API_STATUS" = 200 ] || { echo "$f: $API_STATUS"; return 1; }
		cmp want.txt x.txt
		[ "$(header Content-Type)" = "text/plain; charset=utf-8" ]
		[ "$(disposition_name)" = demo.txt ]
	done
	grep -q 'Hello \*\*world\*\*\|Hello world' x.txt
}

@test "the format's other names: md, htm, upper case" {
	export_to a.md "/api/chat/sessions/$DEMO/export" '{"format":"md"}'
	[ "$API_STATUS" = 200 ]
	cmp <(chat-export -f markdown demo) a.md
	export_to a.html "/api/chat/sessions/$DEMO/export" '{"format":"HTM"}'
	[ "$API_STATUS" = 200 ]
	[ "$(header Content-Type)" = "text/html; charset=utf-8" ]
	[ "$(disposition_name)" = demo.html ]
}

@test "html: text/html that pandoc reads back, the same document chat-export writes" {
	export_to x.html "/api/chat/sessions/$DEMO/export" '{"format":"html"}'
	[ "$API_STATUS" = 200 ]
	[ "$(header Content-Type)" = "text/html; charset=utf-8" ]
	[ "$(disposition_name)" = demo.html ]
	run -0 pandoc -f html -t plain x.html
	[[ $output == *"Hello world from the user"* ]]
	[[ $output == *"print(1)"* ]]
	[[ $output == *"reply"* ]]
	cmp <(chat-export -f html demo) x.html
}

@test "pdf: application/pdf whose words pdftotext reads" {
	export_to x.pdf "/api/chat/sessions/$DEMO/export" '{"format":"pdf"}'
	[ "$API_STATUS" = 200 ]
	[ "$(header Content-Type)" = application/pdf ]
	[ "$(disposition_name)" = demo.pdf ]
	[ "$(head -c 5 x.pdf)" = "%PDF-" ]
	run -0 pdftotext -enc UTF-8 x.pdf -
	[[ $output == *"Hello world from the user"* ]]
	[[ $output == *"print(1)"* ]]
	# A4 unless asked
	run -0 pdfinfo x.pdf
	grep -qF '(A4)' <<<"$output"
}

@test "docx: the word-processing type, a document pandoc reads" {
	export_to x.docx "/api/chat/sessions/$DEMO/export" '{"format":"docx"}'
	[ "$API_STATUS" = 200 ]
	[ "$(header Content-Type)" = application/vnd.openxmlformats-officedocument.wordprocessingml.document ]
	[ "$(disposition_name)" = demo.docx ]
	run -0 pandoc -f docx -t plain x.docx
	[[ $output == *"Hello world from the user"* ]]
	[[ $output == *"print(1)"* ]]
}

@test "options: chat-export's, at the top or under options, the same bytes as its flags" {
	chat-export --header-level 2 --timestamps --metadata demo > want.md
	export_to a.md "/api/chat/sessions/$DEMO/export" '{"format":"markdown","headerLevel":2,"timestamps":true,"metadata":true}'
	[ "$API_STATUS" = 200 ]
	cmp want.md a.md
	export_to b.md "/api/chat/sessions/$DEMO/export" '{"format":"markdown","options":{"header-level":"2","timestamps":1,"metadata":"true"}}'
	[ "$API_STATUS" = 200 ]
	cmp want.md b.md
	# and they change something
	! cmp -s <(chat-export demo) want.md

	export_to c.txt "/api/chat/sessions/$DEMO/export" '{"format":"text","width":30}'
	cmp <(chat-export -f plaintext --width 30 demo) c.txt
	export_to d.json "/api/chat/sessions/$DEMO/export" '{"format":"json","noMetadata":true}'
	cmp <(chat-export -f json --no-metadata demo) d.json
	export_to e.md "/api/chat/sessions/$DEMO/export" '{"format":"md","codeLang":"python"}'
	cmp <(chat-export --code-lang python demo) e.md
	grep -q '```python' e.md || grep -q '~~~python' e.md

	export_to f.pdf "/api/chat/sessions/$DEMO/export" '{"format":"pdf","paper":"letter"}'
	[ "$API_STATUS" = 200 ]
	run -0 pdfinfo f.pdf
	grep -qF '612 x 792 pts (letter)' <<<"$output"
}

@test "history: every version of an edited message, as chat-export --history" {
	mid=$(chat-show --json demo | jq -r 'select(.type == "message") | .id' | head -1)
	chat-edit "$mid" "the new words" >/dev/null
	export_to a.txt "/api/chat/sessions/$DEMO/export" '{"format":"text","history":true}'
	[ "$API_STATUS" = 200 ]
	cmp <(chat-export -f plaintext --history demo) a.txt
	grep -q 'Hello' a.txt
	grep -q 'the new words' a.txt
}

@test "the session by unique prefix and by name, as the command line names it" {
	export_to a.md "/api/chat/sessions/${DEMO:0:8}/export" '{}'
	[ "$API_STATUS" = 200 ]
	export_to b.md "/api/chat/sessions/demo/export" '{}'
	[ "$API_STATUS" = 200 ]
	cmp a.md b.md
}

@test "a large document is sent from its file: whole, its length said, named as a small one" {
	# about 600 KB of text: past the size kept in memory
	big=$(new_session -n "big one" -p echo)
	perl -e 'print "word " x 120000' | chat-add -s "$big" >/dev/null
	export_to big.md "/api/chat/sessions/$big/export" '{"format":"markdown"}'
	[ "$API_STATUS" = 200 ]
	cmp <(chat-export "$big") big.md
	[ "$(header Content-Length)" = "$(stat -c %s big.md)" ]
	[ "$(header Content-Type)" = "text/markdown; charset=utf-8" ]
	[ "$(disposition_name)" = "big one.md" ]
	export_to big.pdf "/api/chat/sessions/$big/export" '{"format":"pdf"}'
	[ "$API_STATUS" = 200 ]
	[ "$(head -c 5 big.pdf)" = "%PDF-" ]
	[ "$(header Content-Length)" = "$(stat -c %s big.pdf)" ]
	pdftotext big.pdf - | grep -q word
	# no temporary file left with a name
	! ls -A "${TMPDIR:-/tmp}" 2>/dev/null | grep -q '^\.confab-export-'
}

# A name with quotes, slashes, "..", a CR LF and a header after it, a
# newline, a tab and non-ASCII.
evil_name=$'evil "q" \\ /../x\r\nSet-Cookie: a=b\n\tcafé ✓ ü'

# The Content-Disposition of the last response is one safe header.
safe_disposition() {
	[ "$(header_count Content-Disposition)" = 1 ]
	[ "$(header_count Set-Cookie)" = 0 ]
	# every header line ends in CRLF, with no bare CR or LF inside
	! grep -qa $'\r.' <(sed 's/\r$//' "$BATS_TEST_TMPDIR/h" | tr -d '\n')
	v=$(header Content-Disposition)
	[[ $v == attachment* ]]
	# the quoted name is ASCII and holds no quote or backslash of its own
	q=${v#*filename=\"}
	q=${q%%\"*}
	! LC_ALL=C grep -q '[^ -~]' <<<"$q"
	[[ $q != *\\* ]]
	n=$(disposition_name)
	[[ $n != *\"* && $n != */* && $n != *\\* && $n != .* ]]
	! grep -q $'[\x01-\x1f\x7f]' <<<"$n"
	[[ $n == *"café ✓ ü.$1" ]]
	[[ $n == evil* ]]
}

@test "Content-Disposition: quotes, slashes, '..', newlines, a CRLF injection and non-ASCII in the name" {
	id=$(new_session -n "$evil_name" -p echo)
	chat-add -s "$id" "hi" >/dev/null
	export_to a.md "/api/chat/sessions/$id/export" '{"format":"md"}'
	[ "$API_STATUS" = 200 ]
	safe_disposition md
	small=$(header Content-Disposition)
	cmp <(chat-export "$id") a.md

	# the same name on a document sent from its file: the same header
	perl -e 'print "word " x 120000' | chat-add -s "$id" >/dev/null
	export_to b.md "/api/chat/sessions/$id/export" '{"format":"md"}'
	[ "$API_STATUS" = 200 ]
	safe_disposition md
	[ "$(header Content-Disposition)" = "$small" ]

	# a session named ".." is not a file name that climbs
	dots=$(new_session -n .. -p echo)
	export_to c.pdf "/api/chat/sessions/$dots/export" '{"format":"pdf"}'
	[ "$API_STATUS" = 200 ]
	n=$(disposition_name)
	[[ $n == *.pdf && $n != .* && $n != */* ]]
}

# The names a zip holds, one a line.
zip_names() {
	unzip -Z1 "$1"
}

@test "bulk by ids, names and records: a zip of chat-export's documents and a manifest, every name inside" {
	a=$(new_session -n "$evil_name" -p echo)
	chat-add -s "$a" "evil words" >/dev/null
	b=$(new_session -n .. -p echo)
	chat-add -s "$b" "dots" >/dev/null
	c=$(new_session -n ../../etc/passwd -p echo)
	body=$(jq -nc --arg a "$a" '{sessions: [$a, "..", "demo", {id: $a}], format: "md"}')
	export_to out.zip /api/chat/export/bulk "$body"
	[ "$API_STATUS" = 200 ] || { cat out.zip; return 1; }
	[ "$(header Content-Type)" = application/zip ]
	[ "$(disposition_name)" = confab-export.zip ]
	unzip -tq out.zip
	run -0 zip_names out.zip
	# the evil one once (given twice), "..", demo and the manifest
	[ "${#lines[@]}" = 4 ] || { echo "$output"; return 1; }
	for n in "${lines[@]}"; do
		[[ $n != */* && $n != *\\* && $n != .* ]] || { echo "bad name: $n"; return 1; }
		! grep -q $'[\x01-\x1f]' <<<"$n"
	done
	m=$(unzip -p out.zip manifest.json)
	[ "$(jq -r '.format' <<<"$m")" = markdown ]
	[ "$(jq -c '[.sessions[].id] | sort' <<<"$m")" = "$(jq -nc --arg a "$a" --arg b "$b" --arg d "$DEMO" '[$a, $b, $d] | sort')" ]
	# each file is the session's own export
	for id in "$a" "$b" "$DEMO"; do
		f=$(jq -r --arg id "$id" '.sessions[] | select(.id == $id) | .file' <<<"$m")
		cmp <(chat-export "$id") <(unzip -p out.zip "$f") || { echo "$f differs"; return 1; }
	done
	# unpacked, everything stays in the folder
	mkdir un
	(cd un && unzip -q ../out.zip)
	[ -z "$(find un -mindepth 2)" ]
	[ "$(find un -type f | wc -l)" = 4 ]
	[ ! -e etc ] && [ ! -e ../etc ]
}

@test "bulk by filter: tag, starred, archived, provider, q, since and until, as the listing takes them" {
	w2=$(new_session -n second -p echo -t work -t extra)
	chat-add -s "$w2" --time 2026-03-01T00:00:00Z "needle in here" >/dev/null
	o=$(new_session -n other -p echo -t home)
	chat-add -s "$o" "nothing" >/dev/null
	chat-set --star "$o" >/dev/null
	ar=$(new_session -n gone -p echo -t work)
	chat-set --archive "$ar" >/dev/null

	names() {
		export_to out.zip /api/chat/export/bulk "$1"
		[ "$API_STATUS" = 200 ] || { echo "$1: $API_STATUS"; cat out.zip; return 1; }
		unzip -p out.zip manifest.json | jq -c '[.sessions[].name] | sort'
	}
	[ "$(names '{"filter":{"tag":"work"}}')" = '["demo","second"]' ]
	[ "$(names '{"filter":{"tag":["work","extra"]}}')" = '["second"]' ]
	[ "$(names '{"filter":{"tag":"work","archived":"all"}}')" = '["demo","gone","second"]' ]
	[ "$(names '{"filter":{"archived":1}}')" = '["gone"]' ]
	[ "$(names '{"filter":{"starred":true}}')" = '["other"]' ]
	[ "$(names '{"filter":{"starred":"1","provider":"echo"}}')" = '["other"]' ]
	[ "$(names '{"filter":{"q":"needle"}}')" = '["second"]' ]
	[ "$(names '{"filter":{}}')" = '["demo","other","second"]' ]
	# the listing's lastUpdated bounds: demo's messages are of January,
	# but the session was made (and so updated) today
	[ "$(names '{"filter":{"until":"2099-12-31"}}')" = '["demo","other","second"]' ]
	export_to e.json /api/chat/export/bulk '{"filter":{"until":"2000-01-01"}}'
	is_error 400 e.json
	[ "$(names '{"filter":{"since":"1d","tag":"work"}}')" = '["demo","second"]' ]
	# the format and the options reach every file
	export_to out.zip /api/chat/export/bulk '{"filter":{"tag":"work"},"format":"text","width":30}'
	m=$(unzip -p out.zip manifest.json)
	[ "$(jq -r .format <<<"$m")" = plaintext ]
	f=$(jq -r '.sessions[] | select(.name == "second") | .file' <<<"$m")
	[ "$f" = second.txt ]
	cmp <(chat-export -f plaintext --width 30 second) <(unzip -p out.zip second.txt)
}

@test "bulk as tar.gz and tar.zst when asked" {
	export_to out.tgz /api/chat/export/bulk '{"sessions":["demo"],"archive":"tar.gz","format":"json"}'
	[ "$API_STATUS" = 200 ]
	[ "$(header Content-Type)" = application/gzip ]
	[ "$(disposition_name)" = confab-export.tar.gz ]
	[ "$(tar -tzf out.tgz | sort | tr '\n' ' ')" = "demo.json manifest.json " ]
	cmp <(chat-export -f json demo) <(tar -xOzf out.tgz demo.json)
	# a name past ASCII, whatever the server's locale
	new_session -n "café ✓" -p echo >/dev/null
	export_to out.tgz /api/chat/export/bulk '{"sessions":["café ✓"],"archive":"tgz"}'
	[ "$API_STATUS" = 200 ]
	[ "$(tar -tzf out.tgz | sort | tr '\n' ' ')" = "café ✓.md manifest.json " ]
	cmp <(chat-export "café ✓") <(tar -xOzf out.tgz "café ✓.md")
	if command -v zstd >/dev/null; then
		export_to out.tzst /api/chat/export/bulk '{"sessions":["demo"],"archive":"tar.zst"}'
		[ "$API_STATUS" = 200 ]
		[ "$(header Content-Type)" = application/zstd ]
		[ "$(tar --zstd -tf out.tzst | sort | tr '\n' ' ')" = "demo.md manifest.json " ]
	fi
}

@test "bulk of pdf and docx: each document whole inside" {
	export_to out.zip /api/chat/export/bulk '{"sessions":["demo"],"format":"pdf"}'
	[ "$API_STATUS" = 200 ]
	unzip -p out.zip demo.pdf > d.pdf
	pdftotext d.pdf - | grep -q "Hello world from the user"
	export_to out2.zip /api/chat/export/bulk '{"sessions":["demo"],"format":"docx"}'
	[ "$API_STATUS" = 200 ]
	unzip -p out2.zip demo.docx > d.docx
	pandoc -f docx -t plain d.docx | grep -q "Hello world from the user"
}

@test "errors: unknown format, bad options and bodies are 400 with the error body" {
	local p="/api/chat/sessions/$DEMO/export"
	for body in '{"format":"rtf"}' '{"format":7}' '{"format":"md","headerLevel":9}' \
		'{"format":"md","headerLevel":1.5}' '{"width":5}' '{"width":"wide"}' \
		'{"paper":"a3"}' '{"codeLang":"a b"}' '{"codeLang":"x`"}' '{"metadata":"yes"}' \
		'{"history":2}' '{"frobnicate":true}' '{"options":{"frobnicate":1}}' \
		'{"options":[1]}' '{"width":40,"options":{"width":50}}' '{"archive":"zip"}' \
		'{"sessions":["demo"]}' '[1,2]' 'not json' '"md"'; do
		export_to e.json "$p" "$body"
		is_error 400 e.json || { echo "body: $body"; return 1; }
	done
	export_to e.json "$p" '{"format":"rtf"}'
	jq -r .message e.json | grep -q "rtf"
}

@test "errors: an unknown session is 404, an ambiguous one 409" {
	export_to e.json /api/chat/sessions/no-such-session/export '{}'
	is_error 404 e.json
	new_session -n twin -p echo >/dev/null
	new_session -n twin -p echo >/dev/null
	export_to e.json /api/chat/sessions/twin/export '{}'
	is_error 409 e.json
}

@test "errors: bulk selections and filters" {
	new_session -n twin -p echo >/dev/null
	new_session -n twin -p echo >/dev/null
	for body in '{}' '{"format":"md"}' '{"sessions":[]}' '{"sessions":"demo"}' \
		'{"sessions":[1]}' '{"sessions":["demo"],"filter":{}}' \
		'{"filter":{"tag":"nope"}}' '{"filter":[]}' '{"filter":{"color":"red"}}' \
		'{"filter":{"since":"yesterday-ish"}}' '{"filter":{"until":5}}' \
		'{"filter":{"starred":"maybe"}}' '{"filter":{"archived":"some"}}' \
		'{"filter":{"tag":[1]}}' '{"filter":{"provider":3}}' \
		'{"sessions":["demo"],"archive":"rar"}' '{"sessions":["demo"],"format":"rtf"}' \
		'{"sessions":["demo"],"width":1}'; do
		export_to e.json /api/chat/export/bulk "$body"
		is_error 400 e.json || { echo "body: $body"; return 1; }
	done
	export_to e.json /api/chat/export/bulk '{"sessions":["demo","no-such-session"]}'
	is_error 404 e.json
	jq -r .message e.json | grep -q no-such-session
	export_to e.json /api/chat/export/bulk '{"sessions":["twin"]}'
	is_error 409 e.json
	export_to e.json /api/chat/export/bulk '{"filter":{"parent":"no-such-session"}}'
	is_error 404 e.json
}

@test "bulk: more sessions than one export takes is 413, nothing written" {
	for i in $(seq 1001); do
		printf '{"type":"session","name":"s%d","provider":"echo"}\n' "$i"
	done > many.jsonl
	chat-import -f confab many.jsonl >/dev/null 2>&1 || skip "chat-import cannot read session records alone"
	[ "$(chat-ls --json --limit 2000 | wc -l)" -gt 1000 ] || skip "the import made fewer sessions"
	export_to e.json /api/chat/export/bulk '{"filter":{}}'
	is_error 413 e.json
}
