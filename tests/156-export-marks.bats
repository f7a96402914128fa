#!/usr/bin/env bats
# Edits, reactions and notes (issue 10's marks) in chat-show and every
# export, read back by each format's own reader, and the JSON round trip.

load helper

marked() {
	sid=$(new_session -n review)
	chat-add --records -s "$sid" > /dev/null <<'JSON'
{"type":"message","role":"user","content":"What is the capital of France?","timestamp":"2026-11-24T07:50:00.000Z","metadata":{"edits":[{"content":"whats the captal","timestamp":"2026-11-24T07:51:00.000Z","editedBy":"alice"},{"content":"What is the captal?","timestamp":"2026-11-24T07:52:00.000Z","editedBy":"bob"}]}}
{"type":"message","role":"assistant","content":"The capital of France is **Paris**.","timestamp":"2026-11-24T07:53:00.000Z","metadata":{"model":"gpt-4o","tokens":12,"reactions":[{"emoji":"👍","user":"alice","timestamp":"2026-11-24T08:00:00.000Z"},{"emoji":"👍","user":"bob","timestamp":"2026-11-24T08:01:00.000Z"},{"emoji":"🎉","user":"alice","timestamp":"2026-11-24T08:02:00.000Z"}],"notes":[{"id":"019ab000-0000-7000-8000-000000000001","author":"alice","timestamp":"2026-11-24T08:05:00.000Z","text":"Check <script>alert(1)</script> this","quote":"Paris"},{"id":"019ab000-0000-7000-8000-000000000002","author":"bob","timestamp":"2026-11-24T08:06:00.000Z","text":"Whole message note"}]}}
JSON
}

@test "chat-add stores the marks and chat-show --json gives them back whole" {
	marked
	run chat-show --json review
	[ "$status" -eq 0 ]
	[ "$(jq -s '.[0].metadata.edits | length' <<< "$output")" -eq 2 ]
	[ "$(jq -rs '.[0].metadata.edits[1].editedBy' <<< "$output")" = bob ]
	[ "$(jq -s '.[1].metadata.reactions | length' <<< "$output")" -eq 3 ]
	[ "$(jq -rs '.[1].metadata.notes[0].quote' <<< "$output")" = Paris ]
	[ "$(jq -rs '.[1].metadata.notes[1].id' <<< "$output")" = 019ab000-0000-7000-8000-000000000002 ]
}

@test "chat-show on a terminal: edited mark, reactions counted, notes as blocks" {
	marked
	tty_run chat-show --plain review
	[ "$status" -eq 0 ]
	[[ "$output" == *"(edited 2×)"* ]]
	[[ "$output" == *"👍 2  🎉 1"* ]]
	[[ "$output" == *"note"*"(alice, 2026-11-24 08:05:00 UTC)"* ]]
	[[ "$output" == *"on “Paris”"* ]]
	[[ "$output" == *"Whole message note"* ]]
	# the rendered path shows them too
	tty_run chat-show review
	[[ "$output" == *"(edited 2×)"* ]]
	[[ "$output" == *"Check <script>alert(1)</script> this"* ]]
}

@test "markdown: pandoc reads the edited mark, the reactions and the notes as quotes" {
	marked
	chat-export -f markdown review > "$BATS_TEST_TMPDIR/r.md"
	run pandoc -f gfm -t json "$BATS_TEST_TMPDIR/r.md"
	[ "$status" -eq 0 ]
	[ "$(jq '[.blocks[] | select(.t == "BlockQuote")] | length' <<< "$output")" -eq 2 ]
	run pandoc -f gfm -t plain --wrap=none "$BATS_TEST_TMPDIR/r.md"
	[[ "$output" == *"(edited 2×)"* ]]
	[[ "$output" == *"👍 2 🎉 1"* ]]
	[[ "$output" == *"Note (alice, 2026-11-24 08:05:00 UTC): Check <script>alert(1)</script> this"* ]]
	[[ "$output" == *"on “Paris”"* ]]
}

@test "plaintext: the marks and notes under the message" {
	marked
	run chat-export -f plaintext review
	[ "$status" -eq 0 ]
	[[ "$output" == *"(edited 2×)"* ]]
	[[ "$output" == *"| Note (bob, 2026-11-24 08:06:00 UTC): Whole message note"* ]]
}

@test "html: a note holding <script> stays text" {
	marked
	chat-export -f html review > "$BATS_TEST_TMPDIR/r.html"
	run grep -c '<script' "$BATS_TEST_TMPDIR/r.html"
	[ "$output" -eq 0 ]
	grep -q 'Check &lt;script&gt;alert(1)&lt;/script&gt; this' "$BATS_TEST_TMPDIR/r.html"
	# beside the message: an aside in the message's block, one note each
	# (xmllint's HTML 4 parser does not know <aside>: its complaint is dropped)
	n=$(xmllint --html --xpath 'count(//div[contains(@class,"msg")]/aside[@class="notes"]/div[@class="note"])' "$BATS_TEST_TMPDIR/r.html" 2>/dev/null)
	[ "$n" -eq 2 ]
	q=$(xmllint --html --xpath 'string(//div[@class="note"][1]//q)' "$BATS_TEST_TMPDIR/r.html" 2>/dev/null)
	[ "$q" = Paris ]
	e=$(xmllint --html --xpath 'string(//em[contains(., "edited")])' "$BATS_TEST_TMPDIR/r.html" 2>/dev/null)
	[ "$e" = "(edited 2×)" ]
}

@test "pdf: notes under the message, read by pdftotext" {
	marked
	chat-export -f pdf -o "$BATS_TEST_TMPDIR/r.pdf" review
	run pdftotext -layout "$BATS_TEST_TMPDIR/r.pdf" -
	[ "$status" -eq 0 ]
	[[ "$output" == *"(edited 2×)"* ]]
	[[ "$output" == *"Note (alice, 2026-11-24 08:05:00 UTC)"* ]]
	[[ "$output" == *"<script>alert(1)"* ]]
	[[ "$output" == *"on “Paris”"* ]]
	[[ "$output" == *"Whole message note"* ]]
}

# The comments pandoc reads in a DOCX file, as JSON lines: id, author,
# date, the comment's text and the words it marks (within a paragraph)
docx_comments() {
	pandoc --track-changes=all -f docx -t json "$1" | jq -c '
		def attrs: .c[0][2] | map({key: .[0], value: .[1]}) | from_entries;
		def is($k): .t == "Span" and (.c[0][1] | index($k));
		def kids: if .t == "Link" or .t == "Span" or .t == "Quoted" then .c[1]
			elif (.c | type) == "array" and (.c | all(type == "object")) then .c else [] end;
		# a paragraph'"'"'s inlines as a line of words and comment marks
		def flat: if is("comment-start") then [{start: attrs, text: (.c[1] | map(flat) | add // [] | map(.s // "") | join(""))}]
			elif is("comment-end") then [{end: attrs.id}]
			elif .t == "Str" then [{s: .c}] elif .t == "Space" or .t == "SoftBreak" then [{s: " "}]
			elif .t == "LineBreak" then [{s: "\n"}] elif .t == "Code" then [{s: .c[1]}]
			else kids | map(flat) | add // [] end;
		.. | objects | select(.t == "Para" or .t == "Header")
		| (if .t == "Header" then .c[2] else .c end) | map(flat) | add // [] | . as $f
		| range(length) as $i | select($f[$i].start) | $f[$i].start as $a
		| ([range($i + 1; $f | length) | select($f[.].end == $a.id)][0] // ($f | length)) as $j
		| {id: $a.id, author: $a.author, date: $a.date, text: $f[$i].text,
		   on: ($f[$i + 1:$j] | map(.s // "") | join(""))}'
}

# LibreOffice's reading of a DOCX file, as flat ODF: $BATS_TEST_TMPDIR/NAME.fodt
soffice_fodt() {
	command -v soffice >/dev/null || skip "soffice is not installed"
	(cd "$BATS_TEST_TMPDIR" && HOME="$BATS_TEST_TMPDIR" soffice --headless --convert-to fodt "$1.docx" >/dev/null 2>&1)
	[ -s "$BATS_TEST_TMPDIR/$1.fodt" ]
}

# XPath over ODF without its prefixes: ann alice is the annotation by
# the author whose name starts with alice
ann() {
	echo "//*[local-name()='annotation'][starts-with(*[local-name()='creator'], '$1')]"
}

# The text LibreOffice marks with the annotation by $2 in $1
annotated() {
	local n
	n=$(xmllint --xpath "string($(ann "$2")/@*[local-name()='name'])" "$1")
	[ -n "$n" ] || return 1
	xmllint --xpath "$(ann "$2")/following::text()[not(ancestor::*[local-name()='annotation'])][following::*[local-name()='annotation-end'][@*[local-name()='name']='$n']]" "$1" | tr -d '\n'
}

@test "docx: notes are Word comments on their words, read by pandoc and LibreOffice" {
	marked
	chat-export -f docx -o "$BATS_TEST_TMPDIR/r.docx" review
	run pandoc -f docx -t plain --wrap=none "$BATS_TEST_TMPDIR/r.docx"
	[ "$status" -eq 0 ]
	[[ "$output" == *"(edited 2×)"* ]]
	# the notes are not in the text any more, but comments
	[[ "$output" != *"Whole message note"* ]]
	run docx_comments "$BATS_TEST_TMPDIR/r.docx"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -r 'select(.author == "alice") | [.text, .on, .date] | join("|")' <<< "$output")" = "Check <script>alert(1)</script> this|Paris|2026-11-24T08:05:00Z" ]
	# no quote: the message's first paragraph
	[ "$(jq -r 'select(.author == "bob") | [.text, .on] | join("|")' <<< "$output")" = "Whole message note|The capital of France is Paris." ]
	soffice_fodt r
	f=$BATS_TEST_TMPDIR/r.fodt
	[ "$(xmllint --xpath "count(//*[local-name()='annotation'])" "$f")" -eq 2 ]
	[[ "$(xmllint --xpath "string($(ann alice))" "$f")" == *"Check <script>alert(1)</script> this"* ]]
	[[ "$(xmllint --xpath "string($(ann alice)/*[local-name()='date'])" "$f")" == 2026-11-24T08:05:00* ]]
	[ "$(xmllint --xpath "string($(ann alice)/*[local-name()='creator-initials'])" "$f")" = A ]
	[ "$(annotated "$f" alice)" = Paris ]
	[ "$(annotated "$f" bob)" = "The capital of France is Paris." ]
}

tricky() {
	sid=$(new_session -n tricky)
	chat-add --records -s "$sid" > /dev/null <<'JSON'
{"type":"message","role":"assistant","content":"Some *emphasised words* and `code` here, see [the docs](https://example.org/a?b&c).\n\nSecond paragraph.","timestamp":"2026-11-24T07:53:00.000Z","metadata":{"notes":[{"id":"n1","author":"Ann \"<&>\" O'Neil\u0001","timestamp":"2026-11-24T08:05:00.000Z","text":"a <b>&amp;</b> \"q\"\u0007\u001b[31m end\nline two","quote":"words and\ncode here, see the"},{"id":"n2","author":"bob","timestamp":"2026-11-24T08:06:00.000Z","text":"nowhere","quote":"not in the message"},{"id":"n3","author":"carol jones","timestamp":"2026-11-24T08:07:00.000Z","text":"on the link","quote":"docs"}]}}
{"type":"message","role":"user","content":"emptied","timestamp":"2026-11-24T07:54:00.000Z","metadata":{"notes":[{"id":"n4","author":"dave","timestamp":"2026-11-24T08:08:00.000Z","text":"on nothing"}]}}
JSON
	# chat-add refuses an empty message (as chat-send does); an import
	# or an older confab may still have stored one
	store_sql "UPDATE messages SET content = '' WHERE content = 'emptied'"
}

@test "docx: a comment across formatting runs, in a link, escaped, and where there is no text" {
	tricky
	chat-export -o "$BATS_TEST_TMPDIR/t.docx" tricky
	unzip -p "$BATS_TEST_TMPDIR/t.docx" word/comments.xml | xmllint --noout -
	unzip -p "$BATS_TEST_TMPDIR/t.docx" word/document.xml | xmllint --noout -
	# the part is declared and related
	unzip -p "$BATS_TEST_TMPDIR/t.docx" '\[Content_Types\].xml' | grep -q 'PartName="/word/comments.xml"'
	unzip -p "$BATS_TEST_TMPDIR/t.docx" word/_rels/document.xml.rels | grep -q 'relationships/comments" Target="comments.xml"'
	run docx_comments "$BATS_TEST_TMPDIR/t.docx"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 4 ]
	# from inside the emphasis, over the code, into the link
	[ "$(jq -r 'select(.author | startswith("Ann")) | .on' <<< "$output")" = "words and code here, see the" ]
	[ "$(jq -r 'select(.author | startswith("Ann")) | .author' <<< "$output")" = "Ann \"<&>\" O'Neil" ]
	[ "$(jq -r 'select(.author | startswith("Ann")) | .text' <<< "$output")" = $'a <b>&amp;</b> "q"[31m end\nline two' ]
	[ "$(jq -r 'select(.author == "carol jones") | .on' <<< "$output")" = docs ]
	# words the message does not hold: on its first paragraph, and said
	[ "$(jq -r 'select(.author == "bob") | .on' <<< "$output")" = "Some emphasised words and code here, see the docs." ]
	[[ "$(jq -r 'select(.author == "bob") | .text' <<< "$output")" == nowhere*"not in the message"* ]]
	# no text at all: on the message's heading
	[[ "$(jq -r 'select(.author == "dave") | .on' <<< "$output")" == "User "* ]]
	# the link still goes where it went
	run pandoc -f docx -t json "$BATS_TEST_TMPDIR/t.docx"
	[ "$(jq -r '[.. | objects | select(.t == "Link") | .c[2][0]][0]' <<< "$output")" = "https://example.org/a?b&c" ]
	soffice_fodt t
	f=$BATS_TEST_TMPDIR/t.fodt
	[ "$(xmllint --xpath "count(//*[local-name()='annotation'])" "$f")" -eq 4 ]
	[ "$(xmllint --xpath "string($(ann Ann)/*[local-name()='creator'])" "$f")" = "Ann \"<&>\" O'Neil" ]
	[ "$(annotated "$f" Ann)" = "words and code here, see the" ]
	[[ "$(xmllint --xpath "string($(ann Ann))" "$f")" == *'a <b>&amp;</b> "q"[31m end'*'line two'* ]]
	[ "$(xmllint --xpath "string($(ann Ann)/*[local-name()='creator-initials'])" "$f")" = AON ]
	[ "$(annotated "$f" "carol jones")" = docs ]
	[[ "$(annotated "$f" dave)" == "User"* ]]
}

@test "docx: without notes, no comments part" {
	sid=$(new_session -n plain)
	chat-add -s "$sid" -r user "hello there"
	chat-export -o "$BATS_TEST_TMPDIR/p.docx" plain
	run unzip -l "$BATS_TEST_TMPDIR/p.docx"
	[ "$status" -eq 0 ]
	[[ "$output" != *comments* ]]
	unzip -p "$BATS_TEST_TMPDIR/p.docx" word/document.xml | { ! grep -q comment; }
}

@test "json: export, import, export is byte-identical, marks and ids included" {
	marked
	chat-export -f json review > "$BATS_TEST_TMPDIR/a.json"
	[ "$(jq '.messages[1].metadata.notes | length' "$BATS_TEST_TMPDIR/a.json")" -eq 2 ]
	CHAT_DB="$BATS_TEST_TMPDIR/b.db" chat-new -n other > /dev/null
	CHAT_DB="$BATS_TEST_TMPDIR/b.db" chat-import "$BATS_TEST_TMPDIR/a.json" > /dev/null
	CHAT_DB="$BATS_TEST_TMPDIR/b.db" chat-export -f json review > "$BATS_TEST_TMPDIR/b.json"
	cmp "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/b.json"
}

@test "json: a merged session (metadata.merges, mergedFrom) round-trips byte-identical" {
	marked
	sid=$(new_session -n side)
	chat-add -s side --time 2026-11-24T07:54:00Z 'a side question' > /dev/null
	chat-merge side review > /dev/null
	chat-merge --interleave "$(new_session -n empty)" review > /dev/null
	chat-export -f json review > "$BATS_TEST_TMPDIR/a.json"
	[ "$(jq '.metadata.merges | length' "$BATS_TEST_TMPDIR/a.json")" -eq 2 ]
	[ "$(jq -r '.messages[2].metadata.mergedFrom.session' "$BATS_TEST_TMPDIR/a.json")" = "$sid" ]
	CHAT_DB="$BATS_TEST_TMPDIR/b.db" chat-import "$BATS_TEST_TMPDIR/a.json" > /dev/null
	CHAT_DB="$BATS_TEST_TMPDIR/b.db" chat-export -f json review > "$BATS_TEST_TMPDIR/b.json"
	cmp "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/b.json"
}

@test "a message without marks gets no marks line" {
	sid=$(new_session -n plain)
	chat-add -s "$sid" -r user "hello there"
	run chat-export -f markdown plain
	[[ "$output" != *"edited"* ]]
	[[ "$output" != *"Note"* ]]
}

@test "chat-show --history: every version, oldest first, and who reacted" {
	marked
	tty_run chat-show --plain --history review
	[ "$status" -eq 0 ]
	[[ "$output" == *"version 1 of 3 · replaced 2026-11-24 07:51:00 UTC by alice"*"whats the captal"*"version 2 of 3"*"What is the captal?"*"version 3 of 3 · current"*"What is the capital of France?"* ]]
	[[ "$output" == *"👍 alice, bob  🎉 alice"* ]]
	# without it, neither
	tty_run chat-show --plain review
	[[ "$output" != *"whats the captal"* ]]
	[[ "$output" != *"alice, bob"* ]]
}

@test "chat-export --history: every version, oldest first, in every format" {
	marked
	# a pattern ("?" matches itself too)
	order='*version 1 of 3 · replaced 2026-11-24 07:51:00 UTC by alice*whats the captal*version 2 of 3 · replaced 2026-11-24 07:52:00 UTC by bob*What is the captal?*version 3 of 3 · current*What is the capital of France?*'
	chat-export --history -f markdown review > "$BATS_TEST_TMPDIR/h.md"
	run pandoc -f gfm -t plain --wrap=none "$BATS_TEST_TMPDIR/h.md"
	[[ "$output" == $order ]]
	# the line over each version is emphasis, not text that looks like it
	run pandoc -f gfm -t json "$BATS_TEST_TMPDIR/h.md"
	[ "$(jq '[.blocks[] | select(.t == "Para" and .c[0].t == "Emph") | .c[0].c[0].c | select(. == "version")] | length' <<< "$output")" -eq 3 ]
	run chat-export --history -f plaintext review
	[[ "$output" == $order ]]
	chat-export --history -f html review > "$BATS_TEST_TMPDIR/h.html"
	run xmllint --html --xpath '//div[contains(@class,"user")]//em/text()' "$BATS_TEST_TMPDIR/h.html"
	[[ "$output" == *"version 1 of 3"*"version 2 of 3"*"version 3 of 3 · current"* ]]
	run xmllint --html --xpath 'string(//div[contains(@class,"user")])' "$BATS_TEST_TMPDIR/h.html"
	[[ "$output" == $order ]]
	chat-export --history -o "$BATS_TEST_TMPDIR/h.pdf" review
	run pdftotext "$BATS_TEST_TMPDIR/h.pdf" -
	[[ "$output" == $order ]]
	chat-export --history -o "$BATS_TEST_TMPDIR/h.docx" review
	run pandoc -f docx -t plain --wrap=none "$BATS_TEST_TMPDIR/h.docx"
	[[ "$output" == $order ]]
	# the reply, never edited, has no version lines
	[ "$(grep -c 'version . of' <<< "$output")" -eq 3 ]
	# without --history, only the last version
	for f in markdown plaintext html; do
		run chat-export -f "$f" review
		[[ "$output" != *"whats the captal"* ]]
		[[ "$output" != *"version 1 of"* ]]
	done
}

@test "chat-export --history: JSON has every version with or without it" {
	marked
	chat-export -f json review > "$BATS_TEST_TMPDIR/a.json"
	chat-export -f json --history review > "$BATS_TEST_TMPDIR/b.json"
	cmp "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/b.json"
	[ "$(jq -r '.messages[0].metadata.edits | map(.content) | join("|")' "$BATS_TEST_TMPDIR/a.json")" = "whats the captal|What is the captal?" ]
	# --no-metadata drops them, unless --history keeps them
	run chat-export -f json --no-metadata review
	[ "$(jq '.messages[0] | has("edits")' <<< "$output")" = false ]
	run chat-export -f json --no-metadata --history review
	[ "$(jq -r '.messages[0].edits[0].editedBy' <<< "$output")" = alice ]
	[ "$(jq '.messages[1] | has("edits")' <<< "$output")" = false ]
}

# A note on words over several lines, whose text has lines that would be
# Markdown's lists and headings
multiline() {
	sid=$(new_session -n lines)
	chat-add --records -s "$sid" > /dev/null <<'JSON'
{"type":"message","role":"assistant","content":"First line here\nand - then 1. more\n\nlast","timestamp":"2026-11-24T07:53:00.000Z","metadata":{"notes":[{"id":"n1","author":"bob","timestamp":"2026-11-24T08:05:00.000Z","text":"line a\n- not a list\n2) nor this\n===","quote":"First line here\nand - then 1. more"}]}}
JSON
}

@test "a note's quote of several lines: each line quoted in Markdown, kept apart in HTML" {
	multiline
	chat-export -f markdown lines > "$BATS_TEST_TMPDIR/l.md"
	run pandoc -f gfm -t json "$BATS_TEST_TMPDIR/l.md"
	[ "$status" -eq 0 ]
	# one quote, one paragraph: every line in it, a break between each
	q='[.blocks[] | select(.t == "BlockQuote")]'
	[ "$(jq "$q | length" <<< "$output")" -eq 1 ]
	[ "$(jq "$q[0].c | length" <<< "$output")" -eq 1 ]
	[ "$(jq "[$q[0].c[0].c[] | select(.t == \"LineBreak\")] | length" <<< "$output")" -eq 4 ]
	# (plain text indents a quote by two spaces)
	run pandoc -f gfm -t plain --wrap=none "$BATS_TEST_TMPDIR/l.md"
	[[ "$output" == *$'on “First line here\n  and - then 1. more”'* ]]
	[[ "$output" == *$'line a\n  - not a list\n  2) nor this\n  ==='* ]]
	chat-export -f html lines > "$BATS_TEST_TMPDIR/l.html"
	run pandoc -f html -t plain --wrap=none "$BATS_TEST_TMPDIR/l.html"
	[ "$status" -eq 0 ]
	[[ "$output" == *$'First line here\nand - then 1. more'* ]]
	[[ "$output" == *$'line a\n- not a list\n2) nor this\n==='* ]]
	run pandoc -f html -t json "$BATS_TEST_TMPDIR/l.html"
	[ "$(jq '[.. | objects | select(.t == "Quoted") | .. | objects | select(.t == "LineBreak")] | length' <<< "$output")" -eq 1 ]
}

@test "docx --history: a note's words are looked for in the current version only" {
	sid=$(new_session -n h)
	chat-add --records -s "$sid" > /dev/null <<'JSON'
{"type":"message","role":"user","content":"What is the capital of France?","timestamp":"2026-11-24T07:50:00.000Z","metadata":{"edits":[{"content":"What is the captal?","timestamp":"2026-11-24T07:51:00.000Z","editedBy":"alice"}],"notes":[{"id":"n","author":"eve","timestamp":"2026-11-24T08:05:00.000Z","text":"hm","quote":"What is the"}]}}
JSON
	chat-export --history -o "$BATS_TEST_TMPDIR/h.docx" h
	run pandoc --track-changes=all -f docx -t plain --wrap=none "$BATS_TEST_TMPDIR/h.docx"
	[ "$status" -eq 0 ]
	[[ "$output" == *"version 1 of 2"*"What is the captal?"*"version 2 of 2 · current"* ]]
	# the comment's mark comes after the earlier version, on the current one
	run docx_comments "$BATS_TEST_TMPDIR/h.docx"
	[ "$(jq -r .on <<< "$output")" = "What is the" ]
	run pandoc --track-changes=all -f docx -t markdown --wrap=none "$BATS_TEST_TMPDIR/h.docx"
	[[ "$output" == *"current"*"comment-start"*"What is the[]{.comment-end"*" capital of France?"* ]]
	[[ "$output" != *"comment-start"*"current"* ]]
}
