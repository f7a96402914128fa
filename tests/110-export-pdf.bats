#!/usr/bin/env bats
# chat-export -f pdf: real text that pdftotext reads back in every script,
# the paper sizes, a footer with the session's name and the page number on
# every page, Markdown drawn (code, tables, lists, links), text kept inside
# the margins however long its words, and message text never taken for
# markup.

load helper

setup() {
	common_setup
	export LC_ALL=C.UTF-8
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
	export X="$BATS_TEST_TMPDIR/work/x.pdf"
}

# Exports session $1 as pdf to $X, with any further options, quietly.
export_pdf() {
	local s=$1
	shift
	run -0 --separate-stderr bash -c 'chat-export -f pdf "$@" > "$X"' _ "$@" "$s"
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ "$(head -c 5 "$X")" = "%PDF-" ]
}

# The text of $X (of page $1 only when given), form feeds dropped.
text() {
	if [ -n "${1:-}" ]; then
		pdftotext -enc UTF-8 -f "$1" -l "$1" "$X" - | tr -d '\f'
	else
		pdftotext -enc UTF-8 "$X" - | tr -d '\f'
	fi
}

# Text without white space or bidi controls: a line may wrap inside a
# word or at a space, and pdftotext's reading of Arabic puts spaces inside
# words and embedding marks around runs.
squeezed() {
	perl -CSD -pe 's/[\s\x{200e}\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}]//g'
}

# The text of $X squeezed into one line, footers (session $1's name)
# dropped, so text wrapped across lines and pages reads whole.
joined() {
	text | grep -vxE -- "$1 — page [0-9]+" | squeezed
}

pages() {
	pdfinfo "$X" | awk '/^Pages:/ {print $2}'
}

# Every word's box on every page lies inside the page's 2 cm margins
# (56.69 pt; half a point of slack for rounding), but for the footer: one
# line in the bottom margin.  Prints what is not.
outside_margins() {
	pdftotext -bbox "$X" - | awk '
		/<page / {
			match($0, /width="[0-9.]+"/); w = substr($0, RSTART + 7, RLENGTH - 8) + 0
			match($0, /height="[0-9.]+"/); h = substr($0, RSTART + 8, RLENGTH - 9) + 0
			page++; split("", foot); nfoot = 0
		}
		/<word / {
			for (i = 1; i <= NF; i++) {
				split($i, kv, "\""); k = kv[1]; v = kv[2] + 0
				if (k == "xMin=" && v < 56.2) bad = 1
				if (k == "xMax=" && v > w - 56.2) bad = 1
				if (k == "yMin=") { if (v < 56.2 || v > h - 20) bad = 1; y = v }
				if (k == "yMax=" && v > h - 56.2 && !(int(y) in foot)) {
					foot[int(y)] = 1
					nfoot++
				}
			}
			if (bad) print "page " page ": " $0
			bad = 0
		}
		/<\/page>/ { if (nfoot != 1) print "page " page ": " nfoot " lines in the bottom margin" }'
}

# One message with every construct the renderer draws.
rich() {
	cat <<'EOF'
# Plan of record

Some **bold words**, *italic words*, `inline_code()`, and a [link to docs](https://example.com/docs?a=1).

```python
def greet(name):
    return "hello " + name
```

| Name | Value |
|------|-------|
| alpha | 1 |
| beta | 22 |

- first bullet
- second bullet
  - nested bullet

3. three
4. four

> quoted wisdom

---

Last paragraph.
EOF
}

# ---- real text ----

@test "every message's text comes back, in Latin, Greek, Cyrillic, CJK and Arabic" {
	S=$(new_session -n scripts)
	chat-add -s "$S" 'Plain Latin text, naïve café.' > /dev/null
	chat-add -s "$S" -r assistant 'Ελληνικά: καλημέρα κόσμε' > /dev/null
	chat-add -s "$S" 'Русский: привет, мир' > /dev/null
	chat-add -s "$S" -r assistant '中文：你好世界。日本語：こんにちは' > /dev/null
	chat-add -s "$S" 'العربية: مرحبا بالعالم' > /dev/null
	export_pdf "$S"
	run -0 text
	for want in 'Plain Latin text, naïve café.' 'Ελληνικά: καλημέρα κόσμε' \
		'Русский: привет, мир' '中文：你好世界。日本語：こんにちは'; do
		grep -qF -- "$want" <<<"$output" || { echo "missing: $want"; false; }
	done
	# right to left, each word whole (their order is pdftotext's guess)
	run -0 bash -c "pdftotext -enc UTF-8 '$X' - | perl -CSD -ne 'print if /\p{Arabic}/'"
	[ "${#lines[@]}" -eq 1 ]
	squeezed <<<"$output" > arabic
	for want in 'العربية' 'مرحبابالعالم'; do
		grep -qF -- "$want" arabic || { echo "missing: $want"; false; }
	done
	# glyphs from DejaVu and, for the CJK, the fallback font, all embedded
	run -0 pdffonts "$X"
	[[ "$output" == *DejaVuSans* ]]
	[[ "$output" == *DroidSansFallback* ]]
	run -0 bash -c "pdffonts '$X' | tail -n +3 | awk '{print \$(NF-4)}' | sort -u"
	[ "$output" = yes ]
}

@test "the title, the created time and each message's heading" {
	S=$(new_session -n 'Weekly review' -p echo -m echo-1)
	store_sql "UPDATE sessions SET created = 1767322800000 WHERE id = '$S'"
	chat-add -s "$S" --time 2026-01-02T03:04:05Z 'question one' > /dev/null
	chat-add -s "$S" -r assistant -m claude-x --time 2026-01-02T03:05:06Z 'answer one' > /dev/null
	chat-add -s "$S" -r system --time 2026-01-02T03:06:07Z 'be brief' > /dev/null
	export_pdf "$S"
	run -0 text
	mapfile -t l < <(grep -v '^$' <<<"$output")
	[ "${l[0]}" = 'Weekly review' ]
	[ "${l[1]}" = 'Created 2026-01-02 03:00:00 UTC · echo · echo-1' ]
	[ "${l[2]}" = 'User 2026-01-02 03:04:05 UTC' ]
	[ "${l[3]}" = 'question one' ]
	[ "${l[4]}" = 'Assistant 2026-01-02 03:05:06 UTC · claude-x' ]
	[ "${l[5]}" = 'answer one' ]
	[ "${l[6]}" = 'System 2026-01-02 03:06:07 UTC' ]
	[ "${l[7]}" = 'be brief' ]
	[ "${l[8]}" = 'Weekly review — page 1' ]
	[ "${#l[@]}" -eq 9 ]
	run -0 pdfinfo "$X"
	grep -qxF 'Title:           Weekly review' <<<"$output"
}

@test "Markdown: headings, emphasis, code, tables, lists, quotes and links as text" {
	S=$(new_session -n rich)
	rich | chat-add -s "$S" > /dev/null
	export_pdf "$S"
	run -0 text
	for want in 'Plan of record' 'Some bold words, italic words, inline_code(), and a link to docs' \
		'(https://example.com/docs?a=1).' 'def greet(name):' 'return "hello " + name' \
		'first bullet' 'second bullet' 'nested bullet' 'quoted wisdom' 'Last paragraph.'; do
		grep -qF -- "$want" <<<"$output" || { echo "missing: $want"; false; }
	done
	# the Markdown's own marks are gone: drawn, not printed
	not grep -qF -- '**' <<<"$output"
	not grep -qF -- '```' <<<"$output"
	not grep -qF -- '|---' <<<"$output"
	# bullets and numbers in front of the items, the code indented as written
	run -0 pdftotext -layout "$X" -
	grep -qE '^• first bullet$' <<<"$output"
	grep -qE '^ +◦ nested bullet$' <<<"$output"
	grep -qE '^3\. three$' <<<"$output"
	grep -qE '^4\. four$' <<<"$output"
	grep -qE '^ {4,}return "hello " \+ name$' <<<"$output"
	# the table's rows, a cell a column
	grep -qE '^Name +Value$' <<<"$output"
	grep -qE '^alpha +1$' <<<"$output"
	grep -qE '^beta +22$' <<<"$output"
	# the link can be followed
	grep -qaF '/URI (https://example.com/docs?a=1)' "$X"
}

@test "table cells keep their inline Markdown; one that reads as a block prints as written" {
	S=$(new_session -n cells)
	printf '%s\n' '| a | b | c |' '|---|---|---|' '| - | 1. | # x |' \
		'| **bold** | `code\|pipe` | > q |' | chat-add -s "$S" > /dev/null
	export_pdf "$S"
	run -0 pdftotext -raw "$X" -
	grep -qxF 'a b c' <<<"$output"
	grep -qxF -- '- 1. # x' <<<"$output"
	grep -qxF 'bold code|pipe > q' <<<"$output"
}

# The box pdftotext gives word $1 (the first so spelled): "xMin xMax".
box() {
	pdftotext -bbox "$X" - | perl -CSD -ne 'if (/xMin="([\d.]+)".*xMax="([\d.]+)".*>\Q'"$1"'\E</) { print "$1 $2\n"; exit }'
}

@test "gfm tables: each column aligned as its delimiter says, CJK, a code span's pipe, struck text" {
	S=$(new_session -n gfm)
	printf '%s\n' '| item | qty | mid |' '|:--|--:|:-:|' '| apple 中文 | 1000 | `a\|b` |' \
		'| kiwi | 2 | ~~old~~ new |' | chat-add -s "$S" > /dev/null
	export_pdf "$S"
	run -0 joined gfm
	[[ "$output" == *'itemqtymidapple中文1000a|bkiwi2oldnew'* ]]
	not grep -qF -- '~~' <<<"$output"
	not grep -qF -- '`' <<<"$output"
	# left: the cells start together; right: they end together; centre:
	# the middles meet
	read -r a0 a1 <<<"$(box apple)"
	read -r k0 k1 <<<"$(box kiwi)"
	read -r q0 q1 <<<"$(box 1000)"
	read -r t0 t1 <<<"$(box 2)"
	read -r m0 m1 <<<"$(box mid)"
	read -r c0 c1 <<<"$(box 'a|b')"
	awk -v a="$a0" -v k="$k0" 'BEGIN { d = a - k; exit !(d < 0.5 && d > -0.5) }'
	awk -v a="$q1" -v k="$t1" 'BEGIN { d = a - k; exit !(d < 0.5 && d > -0.5) }'
	awk -v a="$q0" -v k="$t0" 'BEGIN { exit !(k - a > 5) }'
	awk -v m0="$m0" -v m1="$m1" -v c0="$c0" -v c1="$c1" \
		'BEGIN { d = (m0 + m1) / 2 - (c0 + c1) / 2; exit !(d < 0.5 && d > -0.5) }'
	run -0 outside_margins
	[ -z "$output" ]
}

@test "gfm: task items get ballot boxes; bare addresses are links, not printed twice" {
	S=$(new_session -n tasks)
	printf '%s\n' '- [ ] write the tests' '- [x] fix the build' '' \
		'Docs at www.example.com and https://example.org/x, mail a@example.com.' |
		chat-add -s "$S" > /dev/null
	export_pdf "$S"
	run -0 pdftotext -layout "$X" -
	grep -qE '^☐ write the tests$' <<<"$output"
	grep -qE '^☑ fix the build$' <<<"$output"
	run -0 joined tasks
	[[ "$output" == *'Docsatwww.example.comandhttps://example.org/x,maila@example.com.'* ]]
	grep -qaF '/URI (http://www.example.com)' "$X"
	grep -qaF '/URI (https://example.org/x)' "$X"
	grep -qaF '/URI (mailto:a@example.com)' "$X"
}

@test "only web and mail addresses become links" {
	S=$(new_session -n links)
	chat-add -s "$S" '[web](https://example.org/) [mail](mailto:a@example.org) [js](javascript:alert(1)) [file](file:///etc/passwd)' > /dev/null
	export_pdf "$S"
	grep -qaF '/URI (https://example.org/)' "$X"
	grep -qaF '/URI (mailto:a@example.org)' "$X"
	run -1 grep -caE '/URI \((javascript|file):' "$X"
	[ "$output" = 0 ]
	# the addresses are printed all the same
	run -0 text
	grep -qF '(javascript:alert(1))' <<<"$output"
	grep -qF '(file:///etc/passwd)' <<<"$output"
}

@test "addresses with parentheses, quotes, spaces and non-ASCII still make a valid file" {
	S=$(new_session -n odd-links)
	chat-add -s "$S" "$(printf '%s\n\n' '[b](https://e.com/\)x)' "[q](https://e.com/it's)" \
		'[u](<https://e.com/ü x>)' '[p](https://e.com/a(b)c)')" > /dev/null
	export_pdf "$S"
	run -0 --separate-stderr pdfinfo -url "$X"
	[ -z "$stderr" ]
	[ "$output" = "$(printf '%s\n' 'Page  Type          URL' \
		'   1  Annotation    https://e.com/%29x' \
		'   1  Annotation    https://e.com/it%27s' \
		'   1  Annotation    https://e.com/%C3%BC%20x' \
		'   1  Annotation    https://e.com/a%28b%29c')" ]
	run -0 text
	grep -qxF 'b (https://e.com/)x)' <<<"$output"
	grep -qxF "q (https://e.com/it's)" <<<"$output"
	grep -qxF 'u (https://e.com/ü x)' <<<"$output"
	grep -qxF 'p (https://e.com/a(b)c)' <<<"$output"
}

@test "message text is never markup: HTML, entities and pango's tags print as written" {
	S=$(new_session -n '<i>name</i> & co')
	chat-add -s "$S" 'Text with <b>markup</b> & <script>alert(1)</script> and <span foreground="red">red</span> &lt;i&gt;' > /dev/null
	chat-add -s "$S" -r assistant "$(printf '<div class="x">\nraw <u>block</u>\n</div>')" > /dev/null
	export_pdf "$S"
	# (Markdown's own entity, &lt;, is a "<" as in every other format)
	run -0 joined '<i>name</i> & co'
	grep -qF "$(squeezed <<<'Text with <b>markup</b> & <script>alert(1)</script> and <span foreground="red">red</span> <i>')" <<<"$output"
	run -0 text
	grep -qF '<div class="x">' <<<"$output"
	grep -qF 'raw <u>block</u>' <<<"$output"
	[ "$(grep -c '^<i>name</i> & co$' <<<"$output")" -eq 1 ]
	grep -qxF '<i>name</i> & co — page 1' <<<"$output"
}

@test "an empty message is its heading alone" {
	S=$(new_session -n empties)
	chat-add -s "$S" --time 2026-01-02T03:04:05Z < /dev/null > /dev/null
	chat-add -s "$S" -r assistant --time 2026-01-02T03:04:06Z < /dev/null > /dev/null
	chat-add -s "$S" --time 2026-01-02T03:04:07Z 'after the empty ones' > /dev/null
	export_pdf "$S"
	run -0 text
	mapfile -t l < <(grep -v '^$' <<<"$output")
	[ "${l[2]}" = 'User 2026-01-02 03:04:05 UTC' ]
	[ "${l[3]}" = 'Assistant 2026-01-02 03:04:06 UTC' ]
	[ "${l[4]}" = 'User 2026-01-02 03:04:07 UTC' ]
	[ "${l[5]}" = 'after the empty ones' ]
	[ "$(pages)" -eq 1 ]
}

@test "a session with no messages is its title page" {
	S=$(new_session -n lonely)
	export_pdf "$S"
	[ "$(pages)" -eq 1 ]
	run -0 text
	grep -qxF 'lonely' <<<"$output"
	grep -qxF 'lonely — page 1' <<<"$output"
}

# ---- wrapping and pages ----

@test "a long name wraps in the title and gives way to the page number in the footer" {
	name=$(printf 'a rather long session name %.0s' {1..12})
	name=${name% }
	S=$(new_session -n "$name")
	chat-add -s "$S" 'hello' > /dev/null
	export_pdf "$S"
	run -0 text 1
	[[ "$(grep -v '^$' <<<"$output" | tail -n 1)" == *' — page 1' ]]
	[ "$(grep -c ' — page ' <<<"$output")" -eq 1 ]
	run -0 outside_margins
	[ -z "$output" ]
	run -0 joined x
	[[ "$output" == "$(squeezed <<<"$name")Created"* ]]
}

@test "a 2,000-character word and a long URL wrap inside the margins" {
	S=$(new_session -n words)
	word=$(printf 'abcdefghij%.0s' {1..200})
	[ "${#word}" -eq 2000 ]
	url="https://example.com/$(printf 'segment-%d/' {1..150})"
	chat-add -s "$S" "before $word after" > /dev/null
	chat-add -s "$S" "see $url" > /dev/null
	chat-add -s "$S" "$(printf '```\n%s\n```' "$word")" > /dev/null
	export_pdf "$S"
	# all of it, line breaks aside; the word twice (text and code)
	run -0 joined words
	[ "$(grep -oF -- "$word" <<<"$output" | wc -l)" -eq 2 ]
	grep -qF -- "before${word}after" <<<"$output"
	grep -qF -- "see$url" <<<"$output"
	# wrapped, not cut: lines of the word, none of them longer than a line
	run -0 text
	[ "$(grep -cE '^[a-j]{40,80}$' <<<"$output")" -ge 40 ]
	run -0 outside_margins
	[ -z "$output" ]
}

@test "a long session runs over many pages, each with the name and its number in the footer" {
	S=$(new_session -n 'long one')
	for i in $(seq 1 80); do
		jq -nc --arg c "message number $i. Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua." \
			'{type: "message", role: "user", content: $c}'
	done | chat-add -s "$S" --records > /dev/null
	export_pdf "$S"
	n=$(pages)
	[ "$n" -gt 1 ]
	run -0 text
	for i in $(seq 1 80); do
		grep -qF "message number $i. Lorem" <<<"$output" || { echo "missing $i"; false; }
	done
	for ((p = 1; p <= n; p++)); do
		run -0 text "$p"
		last=$(grep -v '^$' <<<"$output" | tail -n 1)
		[ "$last" = "long one — page $p" ]
		[ "$(grep -c ' — page ' <<<"$output")" -eq 1 ]
	done
	run -0 outside_margins
	[ -z "$output" ]
}

@test "a code block longer than a page goes on over the next pages" {
	S=$(new_session -n code)
	{
		echo '```'
		for i in $(seq 1 200); do echo "line $i of the code"; done
		echo '```'
	} | chat-add -s "$S" > /dev/null
	export_pdf "$S"
	[ "$(pages)" -ge 3 ]
	run -0 text
	for i in $(seq 1 200); do
		grep -qxF "line $i of the code" <<<"$output" || { echo "missing $i"; false; }
	done
	# in order, each once
	[ "$(grep -c '^line [0-9]* of the code$' <<<"$output")" -eq 200 ]
	[ "$(grep '^line [0-9]* of the code$' <<<"$output" | sort -t' ' -k2,2n | uniq)" = \
	  "$(grep '^line [0-9]* of the code$' <<<"$output")" ]
}

@test "a table longer than a page keeps every row" {
	S=$(new_session -n table)
	{
		echo '| n | square |'
		echo '|---|---|'
		for i in $(seq 1 120); do echo "| row$i | $((i * i)) |"; done
	} | chat-add -s "$S" > /dev/null
	export_pdf "$S"
	n=$(pages)
	[ "$n" -ge 2 ]
	run -0 bash -c "pdftotext -layout '$X' - | tr -d '\f'"
	for i in $(seq 1 120); do
		grep -qE "^ *row$i +$((i * i))$" <<<"$output" || { echo "missing row $i"; false; }
	done
	# the header row again at the top of every page
	[ "$(grep -cE '^ *n +square$' <<<"$output")" -eq "$n" ]
}

@test "deep nesting and wide tables stay on the page" {
	S=$(new_session -n nesting)
	{
		for d in $(seq 1 30); do printf '%*s- level %d\n' $((d * 2 - 2)) '' "$d"; done
		echo
		for d in $(seq 1 30); do printf '%s quote %d\n\n' "$(printf '>%.0s' $(seq 1 "$d"))" "$d"; done
		printf '999999998. big number\n999999999. bigger number\n\n'
		printf '| %s |\n' "$(seq -s ' | ' 1 40)"
		printf '|%s\n' "$(printf -- '---|%.0s' {1..40})"
		printf '| %s |\n' "$(seq -s ' | ' 101 140)"
	} | chat-add -s "$S" > /dev/null
	export_pdf "$S"
	run -0 text
	for d in $(seq 1 30); do
		grep -qF "level $d" <<<"$output" || { echo "missing level $d"; false; }
		grep -qF "quote $d" <<<"$output" || { echo "missing quote $d"; false; }
	done
	grep -qF '140' <<<"$output"
	grep -qxF '999999998. big number' <<<"$output"
	grep -qxF '999999999. bigger number' <<<"$output"
	run -0 outside_margins
	[ -z "$output" ]
}

@test "a quote nested 100,000 deep and a list 30,000 deep print, flat past 40 levels" {
	S=$(new_session -n very-deep)
	{ head -c 100000 /dev/zero | tr '\0' '>'; printf ' q\n'; } | chat-add -s "$S" > /dev/null
	{ head -c 30000 /dev/zero | tr '\0' '\n' | sed 's/^/- /' | tr -d '\n'; printf 'x\n'; } |
		chat-add -s "$S" > /dev/null
	{
		for d in $(seq 1 60); do printf '%*s- item %d\n' $((d * 2 - 2)) '' "$d"; done
		echo
		printf '%s deep *quote* [link](https://example.org/deep)\n' "$(head -c 60 /dev/zero | tr '\0' '>')"
	} | chat-add -s "$S" > /dev/null
	export_pdf "$S"
	run -0 --separate-stderr pdfinfo "$X"
	[ -z "$stderr" ]
	run -0 text
	grep -qxF 'q' <<<"$output"
	grep -qE '(^|[^a-z])x$' <<<"$output"
	for d in $(seq 1 60); do
		grep -qF "item $d" <<<"$output" || { echo "missing item $d"; false; }
	done
	[[ "$(joined very-deep)" == *'deepquotelink(https://example.org/deep)'* ]]
	# links below the depth still work
	run -0 pdfinfo -url "$X"
	grep -qF 'https://example.org/deep' <<<"$output"
	run -0 outside_margins
	[ -z "$output" ]
}

@test "one paragraph of 300 KB, words or a single word, prints whole and wraps as one" {
	S=$(new_session -n long-line)
	# past about 250 KB pango once laid a paragraph out as one line, the
	# rest lost; a long word broken anywhere took time in its square
	awk 'BEGIN { for (i = 0; i < 40000; i++) printf "w%d ", i; printf "end\n" }' |
		chat-add -s "$S" > /dev/null
	{ head -c 300000 /dev/zero | tr '\0' a; printf 'Z\n'; } | chat-add -s "$S" > /dev/null
	export_pdf "$S"
	run -0 joined long-line
	[[ "$output" == *"$(awk 'BEGIN { for (i = 0; i < 40000; i++) printf "w%d", i; printf "end" }')"* ]]
	[[ "$output" == *"$(head -c 300000 /dev/zero | tr '\0' a)Z"* ]]
	# lines run to the margin across the pieces: no short line but the
	# paragraph's last
	run -0 text
	[ "$(grep -cxE 'a+' <<<"$output")" -ge 3000 ]
	[ "$(grep -xE 'a+' <<<"$output" | awk '{ print length($0) }' | sort -u | wc -l)" -eq 1 ]
	run -0 outside_margins
	[ -z "$output" ]
}

# ---- paper ----

@test "A4 by default, US letter with --paper letter, inside the margins on both" {
	S=$(new_session -n paper)
	rich | chat-add -s "$S" > /dev/null
	export_pdf "$S"
	run -0 pdfinfo "$X"
	grep -qxF 'Page size:       595.28 x 841.89 pts (A4)' <<<"$output"
	run -0 outside_margins
	[ -z "$output" ]
	export_pdf "$S" --paper letter
	run -0 pdfinfo "$X"
	grep -qxF 'Page size:       612 x 792 pts (letter)' <<<"$output"
	run -0 outside_margins
	[ -z "$output" ]
}

# ---- the file ----

@test "the same session exports to the same bytes" {
	S=$(new_session -n twice)
	rich | chat-add -s "$S" --time 2026-01-02T03:04:05Z > /dev/null
	chat-export -f pdf "$S" > a.pdf
	chat-export -f pdf "$S" > b.pdf
	cmp a.pdf b.pdf
}

@test "-o names the file; the extension alone picks pdf" {
	S=$(new_session -n named)
	chat-add -s "$S" 'to a file' > /dev/null
	run -0 --separate-stderr chat-export "$S" -o out.pdf
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ "$(head -c 5 out.pdf)" = "%PDF-" ]
	run -0 pdftotext out.pdf -
	grep -qxF 'to a file' <<<"$output"
}

@test "a full disk is an error, not a short file passed as whole" {
	S=$(new_session -n full)
	for i in $(seq 1 30); do rich; done | chat-add -s "$S" > /dev/null
	run -1 --separate-stderr bash -c "chat-export -f pdf '$S' > /dev/full"
	[ "$stderr" = 'chat-export: writing stdout: No space left on device' ]
}

@test "without cairo or pango: exit 1, one line naming the library, no file; the rest works" {
	S=$(new_session -n nolib)
	chat-add -s "$S" 'kept text' > /dev/null
	before=$(store_dump)
	for so in libcairo.so.2 libpango-1.0.so.0 libpangocairo-1.0.so.0; do
		run -1 --separate-stderr without_lib "$so" chat-export -o out.pdf "$S"
		one_error chat-export
		[[ $stderr == "chat-export: PDF export needs $so (install "*"): $BATS_TEST_TMPDIR/nolib/$so/$so: file too short" ]]
		[ -z "$(ls -A)" ]
		run -1 --separate-stderr without_lib "$so" chat-export -f pdf -o out.zip "$S"
		[[ $stderr == "chat-export: PDF export needs $so "* ]]
		[ -z "$(ls -A)" ]
		# programs start without it, and the other formats need none of it
		run -0 without_lib "$so" chat-export -f plaintext "$S"
		grep -qxF 'kept text' <<<"$output"
	done
	[ "$(store_dump)" = "$before" ]
	run -0 chat-export -o out.pdf "$S"
	run -0 pdftotext out.pdf -
	grep -qxF 'kept text' <<<"$output"
}
