#!/usr/bin/env bats
# chat-export: each format read back by another program (pandoc, jq,
# xmllint, unzip, tar), archives and the names of their files, -o's
# temporary file and its replacement of the old one, and every refusal.

load helper

setup() {
	common_setup
	export LC_ALL=C.UTF-8
	# an empty folder of its own, so a test sees every file left behind
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
}

# The session most tests use: "demo", tagged work, three messages at fixed
# times: a user's with a heading and two fences, an assistant's with a
# link and a table, and an empty one.
demo() {
	DEMO=$(new_session -n demo -p echo -m m-1 -t work)
	chat-add -s demo --time 2026-01-02T03:04:05Z "$(cat <<-'EOF'
	Hello **world** from the user

	# Head

	Some `inline` words.

	```
	print(1)
	```

	```js
	let x = 1;
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
	chat-add -s demo --time 2026-01-02T03:04:07Z </dev/null >/dev/null
}

# The headings of a Markdown document as pandoc reads them: [level, text].
md_headings() {
	pandoc -f commonmark -t json |
		jq -c '[.blocks[] | select(.t == "Header") | [.c[0],
			([.c[2][] | if .t == "Str" then .c elif .t == "Space" then " " else "" end] | join(""))]]'
}

# The code blocks of a Markdown document as pandoc reads them: [classes, text].
md_code() {
	pandoc -f commonmark -t json | jq -c '[.blocks[] | select(.t == "CodeBlock") | [.c[0][1], .c[1]]]'
}

# A session of n messages, user and assistant in turn, in one chat-add.
many() {
	new_session -n "$1" >/dev/null
	seq "$2" | awk '{ printf "{\"role\":\"%s\",\"content\":\"message %d of many\"}\n", $1 % 2 ? "user" : "assistant", $1 }' |
		chat-add --records -s "$1" >/dev/null
}

# The longest line of stdin, in characters.
longest() {
	local l max=0
	while IFS= read -r l; do
		((${#l} > max)) && max=${#l}
	done
	echo "$max"
}

# Fails, showing them, when grep finds lines that match (a bare "! grep"
# does not fail a test: bash's errexit ignores negated commands).
no_match() {
	if grep "$@"; then
		return 1
	fi
}

# An archive's entries, one a line.
entries() {
	case $1 in
	*.zip) unzip -Z1 "$1" ;;
	*) tar -tf "$1" ;;
	esac
}

# True while process $1 has a file open in folder $2: its output, named
# or not (a file made with O_TMPFILE shows as "DIR/#INODE (deleted)").
writing_into() {
	local f dir
	dir=$(cd "$2" && pwd -P)
	for f in /proc/"$1"/fd/*; do
		[[ $(readlink "$f" 2>/dev/null) == "$dir/"* ]] && return 0
	done
	return 1
}

# A session "huge" of $1 messages of a megabyte each (20: 35 MB of Markdown).
huge() {
	new_session -n huge >/dev/null
	awk -v n="$1" 'BEGIN { s = "lorem ipsum dolor sit amet "; while (length(s) < 1000000) s = s s
		for (i = 1; i <= n; i++) printf "{\"role\":\"user\",\"content\":\"%d %s\"}\n", i, s }' |
		chat-add --records -s huge >/dev/null
}

# Whether $1 is the "old" file the kill -9 trials put in place.
is_old() {
	[ "$(stat -c %s "$1")" -eq 4 ] && [ "$(cat "$1")" = old ]
}

# Whether $1 is a whole export like $2: the same bytes for Markdown; a PDF
# or a zip file, whose times differ, that its reader takes whole, with the
# same pages or entries.
whole_like() {
	case $1 in
	*.pdf) pdfinfo "$1" >/dev/null 2>&1 &&
		[ "$(pdfinfo "$1" | grep ^Pages)" = "$(pdfinfo "$2" | grep ^Pages)" ] ;;
	*.zip) unzip -tq "$1" >/dev/null 2>&1 && [ "$(entries "$1")" = "$(entries "$2")" ] ;;
	*) cmp -s "$1" "$2" ;;
	esac
}

# kill9_trials DIR FILE N SESSION...: N exports to DIR/FILE, each killed by
# SIGKILL at a random moment of the time a whole one takes (and a fifth
# more).  With $KILL9_THEN set, that command runs after each.  Then DIR
# holds FILE (and what $KILL9_KEEPS names) alone: the old one or a whole
# new one, no temporary file.
kill9_trials() {
	local dir=$1 file=$2 n=$3 t0 ms i pid delay want
	shift 3
	want=$(printf '%s\n' "$file" ${KILL9_KEEPS:-} | sort)
	t0=$(date +%s%N)
	chat-export -o "$dir/$file" "$@"
	ms=$(( ($(date +%s%N) - t0) / 1000000 + 1 ))
	cp "$dir/$file" "whole-$file"
	for ((i = 0; i < n; i++)); do
		echo old > "$dir/$file"
		chat-export -o "$dir/$file" "$@" 3>&- &
		pid=$!
		delay=$(( RANDOM % (ms * 6 / 5 + 1) ))
		sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
		kill -KILL "$pid" 2>/dev/null || true
		{ wait "$pid"; } 2>/dev/null || true
		${KILL9_THEN:-}
		[ "$(ls -A "$dir" | sort)" = "$want" ] ||
			{ echo "$file, trial $i, killed at $delay of $ms ms:" $(ls -A "$dir"); return 1; }
		is_old "$dir/$file" || whole_like "$dir/$file" "whole-$file" ||
			{ echo "$file, trial $i, killed at $delay of $ms ms: a partial file"; return 1; }
	done
}

# Mounts folder $1 at $2 through FUSE with bindfs: a file system without
# O_TMPFILE, where -o falls back to a named temporary file.  Skips when
# it cannot.
no_tmpfile_mount() {
	command -v bindfs >/dev/null || skip "bindfs is not installed (make deps)"
	mkdir -p "$1" "$2"
	bindfs "$1" "$2" 2>/dev/null || skip "bindfs cannot mount here (no /dev/fuse?)"
	FUSE_MNT=$2
}

# Background processes a test started, and its FUSE mount, go with it
# even when it fails.
teardown() {
	if [ -n "${BG_PIDS:-}" ]; then
		kill $BG_PIDS 2>/dev/null || true
	fi
	if [ -n "${FUSE_MNT:-}" ]; then
		fusermount3 -u "$FUSE_MNT" 2>/dev/null || umount "$FUSE_MNT" 2>/dev/null || true
	fi
}

# ---- markdown ----

@test "markdown: the session's heading, one per message, every message's text" {
	demo
	run -0 --separate-stderr chat-export demo
	[ -z "$stderr" ]
	md=$output
	[ "${lines[0]}" = "# demo" ]
	[ "$(md_headings <<<"$md")" = '[[1,"demo"],[2,"User"],[3,"Head"],[2,"Assistant"],[2,"User"]]' ]
	run -0 pandoc -f commonmark -t plain <<<"$md"
	[[ $output == *"Hello world from the user"* ]]
	[[ $output == *"Some inline words."* ]]
	[[ $output == *"print(1)"* ]]
	[[ $output == *"let x = 1;"* ]]
	[[ $output == *"Sure: a reply with a link."* ]]
	# the message's Markdown is kept as Markdown
	grep -qxF 'Hello **world** from the user' <<<"$md"
	grep -qF '[link](https://example.com/docs)' <<<"$md"
	[ "$(md_code <<<"$md")" = '[[[],"print(1)"],[["js"],"let x = 1;"]]' ]
	# -f markdown, -f md and -o x.md are the same document
	[ "$(chat-export -f markdown demo)" = "$md" ]
	[ "$(chat-export -f md demo)" = "$md" ]
	chat-export -o x.md demo
	[ "$(cat x.md)" = "$md" ]
}

@test "markdown: --header-level moves every heading, a message's own below its heading" {
	demo
	run -0 chat-export --header-level 2 demo
	[ "${lines[0]}" = "## demo" ]
	[ "$(md_headings <<<"$output")" = '[[2,"demo"],[3,"User"],[4,"Head"],[3,"Assistant"],[3,"User"]]' ]
	grep -qx '#### Head' <<<"$output"
	run -0 chat-export --header-level 4 demo
	[ "$(md_headings <<<"$output")" = '[[4,"demo"],[5,"User"],[6,"Head"],[5,"Assistant"],[5,"User"]]' ]
	run -0 chat-export --header-level 1 demo
	[ "$(md_headings <<<"$output")" = '[[1,"demo"],[2,"User"],[3,"Head"],[2,"Assistant"],[2,"User"]]' ]
}

@test "markdown: --header-level takes 1 to 5 only" {
	demo
	for n in 0 6 -1 2x ''; do
		run -2 --separate-stderr chat-export --header-level "$n" demo
		one_error chat-export
		[ "$stderr" = "chat-export: invalid --header-level '$n': expected 1 to 5 (see 'chat-export --help')" ]
	done
}

@test "markdown: --timestamps puts each message's time in its heading" {
	demo
	run -0 chat-export --timestamps demo
	[ "$(grep '^##' <<<"$output")" = "## User · 2026-01-02 03:04:05 UTC
### Head
## Assistant · 2026-01-02 03:04:06 UTC
## User · 2026-01-02 03:04:07 UTC" ]
	run -0 chat-export demo
	no_match '2026-01-02' <<<"$output"
}

@test "markdown: --metadata lists the session's and each reply's details" {
	demo
	rec=$(chat-ls --json | jq -c 'select(.name == "demo")')
	created=$(jq -r .created <<<"$rec")
	updated=$(jq -r .lastUpdated <<<"$rec")
	run -0 chat-export --metadata demo
	[ "$(grep '^- ' <<<"$output")" = "- **Session:** $DEMO
- **Created:** ${created:0:10} ${created:11:8} UTC
- **Updated:** ${updated:0:10} ${updated:11:8} UTC
- **Provider:** echo
- **Model:** m-1
- **Messages:** 3
- **Tokens:** 12
- **Tags:** work" ]
	grep -qx '\*m-1 · 12 tokens\*' <<<"$output"
	# the headings are unchanged by it
	[ "$(md_headings <<<"$output")" = '[[1,"demo"],[2,"User"],[3,"Head"],[2,"Assistant"],[2,"User"]]' ]
	run -0 chat-export demo
	no_match 'Session:\|Model:\|tokens' <<<"$output"
}

@test "markdown: --code-lang names unnamed fences and leaves named ones" {
	demo
	run -0 chat-export --code-lang python demo
	[ "$(md_code <<<"$output")" = '[[["python"],"print(1)"],[["js"],"let x = 1;"]]' ]
	[ "$(grep -cE '^``` ?python$' <<<"$output")" -eq 1 ]
	[ "$(grep -cE '^``` ?js$' <<<"$output")" -eq 1 ]
	for l in 'two words' '' 'a`b' 'x~y'; do
		run -2 --separate-stderr chat-export --code-lang "$l" demo
		[ "$stderr" = "chat-export: invalid --code-lang '$l': expected a word such as python (see 'chat-export --help')" ]
	done
}

@test "markdown: a session's name is one heading line, its markup escaped" {
	new_session -n $'*star* [br] `tick` # hash\nnext <b>' >/dev/null
	run -0 chat-export - <<<"$(chat-ls --json)"
	[[ ${lines[0]} == '# '* ]]
	[ "$(md_headings <<<"$output")" = '[[1,"*star* [br] `tick` # hash next <b>"]]' ]
}

# ---- json ----

@test "json: the session record with its message records, as jq reads them" {
	demo
	run -0 --separate-stderr chat-export -f json demo
	[ -z "$stderr" ]
	j=$output
	[ "$(jq '.messages | length' <<<"$j")" -eq 3 ]
	[ "$(jq -c 'del(.messages)' <<<"$j")" = "$(chat-ls --json | jq -c 'select(.name == "demo")')" ]
	[ "$(jq -c '.messages[]' <<<"$j")" = "$(chat-show --json demo | jq -c .)" ]
	[ "$(jq -c '[.messages[] | .role]' <<<"$j")" = '["user","assistant","user"]' ]
	[ "$(jq -r '.messages[2].content' <<<"$j")" = "" ]
	# -o x.json is the same document
	chat-export -o x.json demo
	[ "$(cat x.json)" = "$j" ]
}

@test "json: attachments carry their bytes in base64" {
	printf 'a text file\nwith two lines\n' > note.txt
	# a 1x1 PNG
	echo 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==' |
		base64 -d > dot.png
	new_session -n att -p echo >/dev/null
	chat-send --provider echo -s att -a note.txt -a dot.png 'see these' >/dev/null
	run -0 chat-export -f json att
	j=$output
	[ "$(jq '.messages | length' <<<"$j")" -eq 2 ]
	[ "$(jq -c '.messages[0].metadata.attachments | map([.name, .mimeType, .size])' <<<"$j")" = \
		"[[\"note.txt\",\"text/plain\",$(stat -c %s note.txt)],[\"dot.png\",\"image/png\",$(stat -c %s dot.png)]]" ]
	jq -r '.messages[0].metadata.attachments[0].data' <<<"$j" | base64 -d | cmp - note.txt
	jq -r '.messages[0].metadata.attachments[1].data' <<<"$j" | base64 -d | cmp - dot.png
	[ "$(jq -c '.messages[1].metadata.attachments' <<<"$j")" = '[]' ]
}

@test "json: --no-metadata keeps roles, content and times only" {
	demo
	run -0 chat-export -f json --no-metadata demo
	j=$output
	[ "$(jq -c keys_unsorted <<<"$j")" = '["type","id","name","created","lastUpdated","messages"]' ]
	[ "$(jq -c '[.messages[] | keys_unsorted] | unique' <<<"$j")" = '[["role","content","timestamp"]]' ]
	[ "$(jq -c '[.messages[] | [.role, .timestamp]]' <<<"$j")" = \
		'[["user","2026-01-02T03:04:05.000Z"],["assistant","2026-01-02T03:04:06.000Z"],["user","2026-01-02T03:04:07.000Z"]]' ]
	[ "$(jq -c '[.messages[].content]' <<<"$j")" = "$(chat-show --json demo | jq -sc 'map(.content)')" ]
	[ "$(jq -r .id <<<"$j")" = "$DEMO" ]
}

# ---- plaintext ----

# A session whose lines must be wrapped or cut: a 2,000-character word, a
# 300-character line of code, long paragraphs, a list, a quote.
wide() {
	local word code
	word=$(printf 'q%.0s' $(seq 2000))
	code=$(printf 'z%.0s' $(seq 300))
	new_session -n wrap >/dev/null
	chat-add -s wrap "start $word end and then a paragraph of ordinary words that goes on for well over eighty columns before it stops

\`\`\`
$code
short
\`\`\`

- a list item with enough words in it to need a second line at forty columns
  - and a nested one that also has enough words to need wrapping twice over

> a cited paragraph with enough words in it to need wrapping at forty columns" >/dev/null
	chat-add -s wrap -r assistant "a reply of ordinary words, long enough to be wrapped at every width tried here" >/dev/null
}

@test "plaintext: no line is longer than --width, 80 by default" {
	wide
	run -0 chat-export -f plaintext wrap
	[ "$(longest <<<"$output")" -eq 80 ]
	[ "$(tr -cd q <<<"$output" | wc -c)" -eq 2000 ]
	[ "$(tr -cd z <<<"$output" | wc -c)" -eq 300 ]
	grep -q 'ordinary words' <<<"$output"
	run -0 chat-export -f plaintext --width 40 wrap
	[ "$(longest <<<"$output")" -eq 40 ]
	[ "$(tr -cd q <<<"$output" | wc -c)" -eq 2000 ]
	[ "$(tr -cd z <<<"$output" | wc -c)" -eq 300 ]
	grep -qx 'short' <<<"$(sed 's/^ *//' <<<"$output")"
	run -0 chat-export -f plaintext --width 33 wrap
	[ "$(longest <<<"$output")" -eq 33 ]
}

@test "plaintext: no line is longer than the narrowest --width, 20" {
	wide
	new_session -n deep >/dev/null
	chat-add -s deep '> > > > > > > > a deeply quoted paragraph of several words' >/dev/null
	for s in wrap deep; do
		run -0 chat-export -f plaintext --width 20 "$s"
		[ "$(longest <<<"$output")" -le 20 ] || { echo "$output"; return 1; }
	done
}

@test "plaintext: --width takes 20 to 10000" {
	wide
	for n in 19 10001 0 -5 abc ''; do
		run -2 --separate-stderr chat-export -f plaintext --width "$n" wrap
		[ "$stderr" = "chat-export: invalid --width '$n': expected 20 to 10000 (see 'chat-export --help')" ]
	done
	run -0 chat-export -f plaintext --width 10000 wrap
	[ "$(grep -c q <<<"$output")" -eq 1 ]
}

@test "plaintext: Markdown is rendered, no markup is left" {
	new_session -n marks >/dev/null
	chat-add -s marks "$(cat <<-'EOF'
	# Big heading

	Some **bold** and *slanted* and `coded` words, a [link](https://example.com/x).

	## Smaller heading

	```python
	def f(): pass
	```
	EOF
	)" >/dev/null
	run -0 chat-export -f plaintext marks
	txt=$output
	no_match -F '**' <<<"$txt"
	no_match -F '```' <<<"$txt"
	no_match -F '`' <<<"$txt"
	no_match '^ *#' <<<"$txt"
	no_match -F '](' <<<"$txt"
	grep -qx 'Some bold and slanted and coded words, a link (https://example.com/x).' <<<"$txt"
	grep -A1 -x 'Big heading' <<<"$txt" | grep -qx '==========='
	grep -A1 -x 'Smaller heading' <<<"$txt" | grep -qx -- '---------------'
	grep -qx '    def f(): pass' <<<"$txt"
	[ "${lines[0]}" = marks ]
	[ "${lines[1]}" = ===== ]
	grep -qx 'User · .* UTC' <<<"$txt"
	# -f txt, -f text and -o x.txt are the same document
	[ "$(chat-export -f txt marks)" = "$txt" ]
	[ "$(chat-export -f text marks)" = "$txt" ]
	chat-export -o x.txt marks
	[ "$(cat x.txt)" = "$txt" ]
}

@test "plaintext: a pipe table is aligned in columns" {
	new_session -n table >/dev/null
	chat-add -s table $'| name | qty |\n|---|---:|\n| apple | 10 |\n| kiwi | 2 |' >/dev/null
	run -0 chat-export -f plaintext table
	[ "$(grep -A3 -x 'name  | qty' <<<"$output")" = "name  | qty
-----------
apple | 10
kiwi  | 2" ]
}

# ---- html ----

@test "html: a page xmllint accepts, with a viewport and CSS for dark schemes" {
	demo
	chat-export -f html demo > demo.html
	run -0 --separate-stderr xmllint --html --noout demo.html
	[ -z "$output" ]
	[ -z "$stderr" ]
	grep -q '<meta name="viewport" content="width=device-width' demo.html
	grep -q 'prefers-color-scheme' demo.html
	grep -q '<meta charset="utf-8">' demo.html
	grep -q '<title>demo</title>' demo.html
	[ "$(grep -c '<div class="msg ' demo.html)" -eq 3 ]
	grep -q '<p>Hello <strong>world</strong> from the user</p>' demo.html
	grep -q '<h3>Head</h3>' demo.html
	# -f htm and -o x.html are the same page
	[ "$(chat-export -f htm demo)" = "$(cat demo.html)" ]
	chat-export -o x.html demo
	cmp x.html demo.html
}

@test "html: HTML in a message is shown as text, never passed through" {
	new_session -n '<b>name</b>' >/dev/null
	chat-add -s '<b>name</b>' "$(cat <<-'EOF'
	Before <script>alert(1)</script> and <img src=x onerror=alert(2)> after.

	<div onclick="alert(3)">a block</div>

	<iframe src="https://evil.example/"></iframe>

	<svg onload=alert(4)>
	EOF
	)" >/dev/null
	chat-export -f html '<b>name</b>' > x.html
	run -0 --separate-stderr xmllint --html --noout x.html
	[ -z "$stderr" ]
	no_match -i '<script' x.html
	no_match -i '<img' x.html
	no_match -i '<iframe' x.html
	no_match -i '<svg' x.html
	no_match -i '<div onclick' x.html
	no_match '<b>' x.html
	grep -qF 'Before &lt;script&gt;alert(1)&lt;/script&gt; and &lt;img src=x onerror=alert(2)&gt; after.' x.html
	grep -qF '&lt;div onclick=&quot;alert(3)&quot;&gt;a block&lt;/div&gt;' x.html
	grep -qF '<title>&lt;b&gt;name&lt;/b&gt;</title>' x.html
}

@test "html: javascript:, vbscript:, file: and data: addresses are dropped" {
	new_session -n links >/dev/null
	chat-add -s links "$(cat <<-'EOF'
	[one](javascript:alert(1)) [two](JaVaScRiPt:alert(2)) [three](&#106;avascript:alert(3))
	<javascript:alert(4)> ![four](javascript:alert(5)) [five][r] [six](data:text/html;base64,PHNjcmlwdD4=)
	[seven](vbscript:msgbox(1)) [eight](file:///etc/passwd) [nine]( <javascript:alert(9)> )
	[ok](https://example.com/ok)

	[r]: javascript:alert(6)
	EOF
	)" >/dev/null
	run -0 chat-export -f html links
	[ "$(grep -o 'href="[^"]*"' <<<"$output" | sort | uniq -c | sed 's/^ *//')" = '10 href=""
1 href="https://example.com/ok"' ]
	for t in one two three four five six seven eight nine; do
		grep -qF ">$t</a>" <<<"$output" || { echo "no link text $t"; return 1; }
	done
}

@test "html: fenced code names its language as a class" {
	demo
	run -0 chat-export -f html demo
	grep -qF '<code class="language-js">let x = 1;' <<<"$output"
	grep -qF '<pre><code>print(1)' <<<"$output"
	[ "$(grep -c 'class="language-' <<<"$output")" -eq 1 ]
	run -0 chat-export -f html --code-lang python demo
	grep -qF '<code class="language-python">print(1)' <<<"$output"
	grep -qF '<code class="language-js">let x = 1;' <<<"$output"
}

@test "html: nothing is fetched; the only addresses are the messages' links" {
	demo
	chat-add -s demo '![a picture](https://example.net/p.png) and <https://example.org/auto>' >/dev/null
	run -0 chat-export -f html demo
	no_match -Ei '<(link|script|img|iframe|object|embed|video|audio|source)[ >]' <<<"$output"
	no_match -Ei ' (src|srcset|poster|background)=' <<<"$output"
	no_match -Ei 'url\(|@import' <<<"$output"
	[ "$(grep -oE 'https?://[^"<> ]*' <<<"$output" | sort -u)" = 'https://example.com/docs
https://example.net/p.png
https://example.org/auto' ]
	grep -qF '<a href="https://example.net/p.png">a picture</a>' <<<"$output"
}

@test "html: a pipe table becomes a table" {
	demo
	run -0 chat-export -f html demo
	# as cmark-gfm's HTML writer lays it out, a tag a line
	[ "$(sed -n '/<table>/,/<\/table>/p' <<<"$output" | tr -d '\n')" = \
	  '<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table>' ]
}

@test "html: links and emphasis in table cells are kept" {
	new_session -n cells >/dev/null
	chat-add -s cells $'| **bold** | [docs](https://example.com/d) |\n|---|---|\n| 1 | 2 |' >/dev/null
	run -0 chat-export -f html cells
	grep -qF '<th><strong>bold</strong></th>' <<<"$output"
	grep -qF '<th><a href="https://example.com/d">docs</a></th>' <<<"$output"
	run -0 chat-export -f plaintext cells
	grep -qF 'https://example.com/d' <<<"$output"
}

# ---- GitHub's Markdown: tables, struck text, task lists, autolinks ----

# A table with each alignment, wide characters, a code span holding an
# escaped pipe and struck text; then tasks and addresses written bare.
gfm() {
	new_session -n gfm >/dev/null
	chat-add -s gfm "$(cat <<-'EOF'
	| 名前 | qty | note |
	|:--|--:|:-:|
	| 中文字 | 10 | `a\|b` |
	| kiwi 🥝 | 2 | ~~old~~ new |

	- [ ] write the tests
	- [x] ~~break~~ fix the build

	Docs at www.example.com and https://example.org/x, mail a@example.com.
	EOF
	)" >/dev/null
}

@test "gfm: plaintext aligns a table by display width, CJK and emoji two columns" {
	gfm
	run -0 chat-export -f plaintext gfm
	[ "$(grep -A4 '^名前' <<<"$output")" = '名前    | qty | note
---------------------------
中文字  | 10  | a|b
kiwi 🥝 | 2   | ~~old~~ new' ]
	# a narrow page gets a row a line, never a line past the width
	run -0 chat-export -f plaintext --width 20 gfm
	grep -qxF '中文字 | 10 | a|b' <<<"$output"
	while IFS= read -r l; do
		[ "$(printf '%s' "$l" | wc -L)" -le 20 ] || { echo "too wide: $l"; false; }
	done <<<"$output"
}

@test "gfm: tasks, struck text and bare addresses in plaintext" {
	gfm
	run -0 chat-export -f plaintext gfm
	grep -qxF -- '- [ ] write the tests' <<<"$output"
	grep -qxF -- '- [x] ~~break~~ fix the build' <<<"$output"
	# an autolink's address is what it says: not repeated after it
	grep -qxF 'Docs at www.example.com and https://example.org/x, mail a@example.com.' <<<"$output"
}

@test "gfm: html has the table with its alignments, <del>, checkboxes and the links" {
	gfm
	chat-export -f html gfm > x.html
	run -0 --separate-stderr xmllint --html --noout x.html
	[ -z "$stderr" ]
	q() { xmllint --html --xpath "$1" x.html 2>/dev/null; }
	[ "$(q 'count(//table//tr)')" = 3 ]
	[ "$(q 'string(//th[@align="left"])')" = '名前' ]
	[ "$(q 'string(//th[@align="right"])')" = qty ]
	[ "$(q 'string(//th[@align="center"])')" = note ]
	[ "$(q 'string(//tbody/tr[1]/td[1])')" = '中文字' ]
	[ "$(q 'string(//tbody/tr[1]/td[3]/code)')" = 'a|b' ]
	[ "$(q 'string(//tbody/tr[2]/td[3]/del)')" = old ]
	[ "$(q 'count(//li/input[@type="checkbox"][@disabled])')" = 2 ]
	[ "$(q 'count(//li/input[@checked])')" = 1 ]
	[ "$(q 'string(//li[input[@checked]]/del)')" = break ]
	[ "$(q 'string(//a[@href="http://www.example.com"])')" = www.example.com ]
	[ "$(q 'string(//a[@href="https://example.org/x"])')" = https://example.org/x ]
	[ "$(q 'string(//a[@href="mailto:a@example.com"])')" = a@example.com ]
}

@test "gfm: markdown keeps the table, tasks and struck text for pandoc to read back" {
	gfm
	chat-export -f markdown gfm > x.md
	run -0 pandoc -f gfm -t html x.md
	grep -qxF '<th style="text-align: left;">名前</th>' <<<"$output"
	grep -qxF '<td style="text-align: right;">10</td>' <<<"$output"
	grep -qxF '<td style="text-align: center;"><code>a|b</code></td>' <<<"$output"
	grep -qxF '<td style="text-align: center;"><del>old</del> new</td>' <<<"$output"
	[ "$(grep -c '<input type="checkbox"' <<<"$output")" -eq 2 ]
	[ "$(grep -c '<input type="checkbox" disabled="" checked="" />' <<<"$output")" -eq 1 ]
	grep -qF '<a href="http://www.example.com">www.example.com</a>' <<<"$output"
}

@test "gfm: markdown writes a table back aligned, its cells' Markdown as written" {
	new_session -n back >/dev/null
	printf '%s\n' '|a|b \| c|n|' '|:-:|-|--:|' '|中文|`x\|y` **z**|1|' '|only|' '' \
		'> - | q | 😀 |' '>   |---|:--|' '>   | 1 | ~~2~~ |' | chat-add -s back >/dev/null
	run -0 chat-export -f markdown back
	[ "$(sed -n '/^|/,/^$/p' <<<"$output")" = '|  a   | b \| c       |   n |
| :--: | ------------ | --: |
| 中文 | `x\|y` **z** |   1 |
| only |              |     |' ]
	grep -qxF '> - | q   | 😀    |' <<<"$output"
	grep -qxF '>   | --- | :---- |' <<<"$output"
	grep -qxF '>   | 1   | ~~2~~ |' <<<"$output"
	# and it reads as the same tables
	chat-export -f markdown back > x.md
	run -0 pandoc -f gfm -t html x.md
	grep -qxF '<td style="text-align: center;">中文</td>' <<<"$output"
	grep -qxF '<td><code>x|y</code> <strong>z</strong></td>' <<<"$output"
	grep -qxF '<th>b | c</th>' <<<"$output"
	grep -qxF '<td style="text-align: left;"><del>2</del></td>' <<<"$output"
}

@test "gfm: a table in a quote and in a list item" {
	new_session -n nested >/dev/null
	chat-add -s nested "$(printf '> | q | r |\n> |---|---|\n> | 1 | 2 |\n\n- item\n\n  | s | t |\n  |---|---|\n  | 3 | 4 |\n')" >/dev/null
	run -0 chat-export -f plaintext nested
	grep -qxF '| q | r' <<<"$output"
	grep -qxF '| 1 | 2' <<<"$output"
	grep -qxF '  3 | 4' <<<"$output"
	run -0 chat-export -f html nested
	[ "$(grep -c '<table>' <<<"$output")" -eq 2 ]
	[ "$(sed -n '/<blockquote>/,/<\/blockquote>/p' <<<"$output" | grep -c '<td>')" -eq 2 ]
	[ "$(sed -n '/<li>/,/<\/li>/p' <<<"$output" | grep -c '<td>')" -eq 2 ]
}

# ---- every text format ----

@test "emoji, CJK, Arabic and Greek survive in every text format byte for byte" {
	u='emoji 😀🎉👩‍💻 中文字符 مرحبا بالعالم Ελληνικά κείμενο'
	new_session -n "intl $u" >/dev/null
	chat-add -s "intl $u" "$u" >/dev/null
	chat-add -s "intl $u" -r assistant "**$u**" >/dev/null
	for f in markdown plaintext html; do
		chat-export -f "$f" "intl $u" > "x.$f"
		[ "$(grep -cF "$u" "x.$f")" -ge 3 ] || { echo "$f:"; cat "x.$f"; return 1; }
	done
	grep -qxF "# intl $u" x.markdown
	grep -qxF "$u" x.markdown
	grep -qxF "**$u**" x.markdown
	grep -qF "<strong>$u</strong>" x.html
	grep -qxF "intl $u" x.plaintext
	run -0 chat-export -f json "intl $u"
	[ "$(jq -r .name <<<"$output")" = "intl $u" ]
	[ "$(jq -r '.messages[0].content' <<<"$output")" = "$u" ]
	[ "$(jq -r '.messages[1].content' <<<"$output")" = "**$u**" ]
	# as bytes, not \u escapes
	grep -qF "$u" <<<"$output"
}

@test "a session of one empty message exports in every text format" {
	new_session -n empty >/dev/null
	chat-add -s empty --time 2026-01-02T03:04:05Z </dev/null >/dev/null
	run -0 chat-export empty
	[ "$(md_headings <<<"$output")" = '[[1,"empty"],[2,"User"]]' ]
	run -0 chat-export -f json empty
	[ "$(jq -c '[.messages[] | [.role, .content]]' <<<"$output")" = '[["user",""]]' ]
	run -0 chat-export -f plaintext empty
	[ "$(sed '/^$/d' <<<"$output" | tail -2)" = "User · 2026-01-02 03:04:05 UTC
------------------------------" ]
	chat-export -f html empty > x.html
	run -0 --separate-stderr xmllint --html --noout x.html
	[ -z "$stderr" ]
	[ "$(grep -c '<div class="msg user"' x.html)" -eq 1 ]
	# a session without messages
	new_session -n none >/dev/null
	run -0 chat-export -f json none
	[ "$(jq -c .messages <<<"$output")" = '[]' ]
	run -0 chat-export none
	[ "$output" = "# none" ]
}

@test "10,000 messages in every text format" {
	many big 10000
	run -0 chat-export -f json big
	[ "$(jq '.messages | length' <<<"$output")" -eq 10000 ]
	[ "$(jq -r '.messages[0].content, .messages[9999].content' <<<"$output")" = "message 1 of many
message 10000 of many" ]
	run -0 chat-export big
	[ "$(grep -cxE '## (User|Assistant)' <<<"$output")" -eq 10000 ]
	[ "$(grep -cx 'message [0-9]* of many' <<<"$output")" -eq 10000 ]
	run -0 chat-export -f plaintext big
	[ "$(grep -cE '^(User|Assistant) · ' <<<"$output")" -eq 10000 ]
	run -0 chat-export -f html big
	[ "$(grep -c '<div class="msg ' <<<"$output")" -eq 10000 ]
}

# ---- archives ----

@test "several sessions into .zip: a file each and a manifest" {
	demo
	many alpha 3
	many beta 2
	run -0 --separate-stderr chat-export -o out.zip demo alpha beta
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ "$(entries out.zip)" = "demo.md
alpha.md
beta.md
manifest.json" ]
	unzip -tq out.zip
	for s in demo alpha beta; do
		[ "$(unzip -p out.zip "$s.md")" = "$(chat-export "$s")" ] || { echo "$s differs"; return 1; }
	done
	m=$(unzip -p out.zip manifest.json)
	[ "$(jq -r .format <<<"$m")" = markdown ]
	[[ $(jq -r .generator <<<"$m") == "confab "* ]]
	[[ $(jq -r .exported <<<"$m") =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$ ]]
	[ "$(jq -c '[.sessions[] | [.file, .name, .messageCount]]' <<<"$m")" = \
		'[["demo.md","demo",3],["alpha.md","alpha",3],["beta.md","beta",2]]' ]
	[ "$(jq -r '.sessions[0].id' <<<"$m")" = "$DEMO" ]
	[ "$(jq -c '.sessions[] | del(.file, .messageCount)' <<<"$m")" = \
		"$(for s in demo alpha beta; do chat-ls --json | jq -c --arg n "$s" 'select(.name == $n) | {id, name, created, lastUpdated}'; done)" ]
	[ "$(jq -r '.sessions[].file' <<<"$m")" = "$(entries out.zip | grep -vx manifest.json)" ]
}

@test "records from chat-ls --json into .tar.gz and .tar.zst, in any format" {
	many alpha 1
	many beta 2
	chat-ls --json | chat-export -f json -o out.tar.gz
	[ "$(gzip -dc out.tar.gz | tar -tf - | sort)" = "alpha.json
beta.json
manifest.json" ]
	[ "$(tar -xzOf out.tar.gz beta.json | jq '.messages | length')" -eq 2 ]
	[ "$(tar -xzOf out.tar.gz manifest.json | jq -r .format)" = json ]
	chat-ls --json | chat-export -f html -o out.tar.zst
	[ "$(zstd -dc out.tar.zst | tar -tf - | sort)" = "alpha.html
beta.html
manifest.json" ]
	zstd -dc out.tar.zst | tar -xOf - alpha.html | cmp - <(chat-export -f html alpha)
	# .tgz is .tar.gz; the extension's case does not matter
	chat-export -o out.tgz alpha beta
	[ "$(gzip -dc out.tgz | tar -tf - | sort)" = "alpha.md
beta.md
manifest.json" ]
	chat-export -o OUT.ZIP alpha
	[ "$(unzip -Z1 OUT.ZIP)" = "alpha.md
manifest.json" ]
}

@test "--archive writes an archive to stdout, even of one session" {
	many alpha 1
	many beta 1
	chat-export --archive zip alpha > one.zip
	[ "$(entries one.zip)" = "alpha.md
manifest.json" ]
	chat-export --archive tar.gz -f plaintext alpha beta > two.tar.gz
	[ "$(gzip -dc two.tar.gz | tar -tf -)" = "alpha.txt
beta.txt
manifest.json" ]
	run -0 bash -c 'chat-export --archive tar.zst alpha beta | zstd -dc | tar -tf -'
	[ "$output" = "alpha.md
beta.md
manifest.json" ]
	# with -o it must agree with the extension
	chat-export --archive zip -o a.zip alpha
	[ "$(entries a.zip)" = "alpha.md
manifest.json" ]
}

@test "--archive takes zip, tar.gz or tar.zst, matching -o's extension" {
	many alpha 1
	run -2 --separate-stderr chat-export --archive rar alpha
	one_error chat-export
	[ "$stderr" = "chat-export: invalid --archive 'rar': expected zip, tar.gz or tar.zst (see 'chat-export --help')" ]
	run -2 --separate-stderr chat-export --archive zip -o a.tar.gz alpha
	[ "$stderr" = "chat-export: --archive zip does not match -o 'a.tar.gz' (see 'chat-export --help')" ]
	[ -z "$(ls -A)" ]
}

# Sessions whose names are not file names, in the order given; prints
# their ids, one a line.
hostile() {
	local n
	for n in '../../etc/passwd' $'two\nlines' '.hidden' '..' 'a/b\c:d*e?f"g<h>i|j' '/abs' \
		$'tab\there' $'bell\a\x7f' ' -dash. ' Same same same "$(printf 'a%.0s' $(seq 150))" \
		manifest MANIFEST; do
		new_session -n "$n"
	done
}

# What those names become.
HOSTILE_MD="etc-passwd.md
two-lines.md
hidden.md
session.md
a-b-c-d-e-f-g-h-i-j.md
abs.md
tab-here.md
bell.md
dash.md
Same.md
same (2).md
same (3).md
$(printf 'a%.0s' $(seq 100)).md
manifest.md
MANIFEST (2).md"

# Every entry at the top of the archive, with a safe name, unique without
# regard to case.
safe_entries() {
	local list
	list=$(entries "$1")
	[ -n "$list" ]
	no_match / <<<"$list"
	no_match '\\' <<<"$list"
	no_match '^\.' <<<"$list"
	no_match -x '.*[[:cntrl:]].*' <<<"$list"
	[ -z "$(sort -f <<<"$list" | uniq -di)" ]
	[ "$(wc -l <<<"$list")" -eq "$2" ]
}

@test "hostile session names stay inside the archive, unique and safe" {
	hostile > ids
	xargs -d '\n' chat-export -o out.zip < ids
	[ "$(entries out.zip)" = "$HOSTILE_MD
manifest.json" ]
	safe_entries out.zip 16
	xargs -d '\n' chat-export -o out.tar.gz < ids
	[ "$(entries out.tar.gz)" = "$HOSTILE_MD
manifest.json" ]
	safe_entries out.tar.gz 16
	# a session named manifest never takes manifest.json's place
	xargs -d '\n' chat-export -f json -o out.tar.zst < ids
	safe_entries out.tar.zst 16
	[ "$(tar -tf out.tar.zst | grep -i '^manifest')" = "manifest (2).json
MANIFEST (3).json
manifest.json" ]
	[ "$(tar -xOf out.tar.zst manifest.json | jq -r '.sessions[].file')" = "$(tar -tf out.tar.zst | grep -vx manifest.json)" ]
	[ "$(tar -xOf out.tar.zst manifest.json | jq -r '.sessions[1].name')" = $'two\nlines' ]
	# unpacked, everything lands in the folder
	mkdir unpacked
	(cd unpacked && unzip -q ../out.zip)
	[ "$(ls -A unpacked | wc -l)" -eq 16 ]
	[ ! -e etc ]
	[ ! -e /etc/passwd.md ]
}

@test "names are cut at 100 bytes between characters" {
	e60=$(printf 'é%.0s' $(seq 60))
	x40=x$(printf '中%.0s' $(seq 40))
	new_session -n "$e60" >/dev/null
	new_session -n "$x40" >/dev/null
	chat-export -o out.zip "$e60" "$x40"
	# é is 2 bytes and 中 3: 50 of the one, 1 + 33 of the other
	[ "$(entries out.zip)" = "$(printf 'é%.0s' $(seq 50)).md
x$(printf '中%.0s' $(seq 33)).md
manifest.json" ]
}

@test "tar archives take session names beyond ASCII" {
	new_session -n café >/dev/null
	new_session -n 中文 >/dev/null
	for a in out.tar.gz out.tar.zst; do
		run -0 chat-export -o "$a" café 中文
		[ "$(tar -tf "$a")" = "café.md
中文.md
manifest.json" ]
	done
	[ -z "$(ls -A | grep '^\.')" ]
}

@test "zip marks names beyond ASCII as UTF-8" {
	new_session -n café >/dev/null
	chat-export -o out.zip café
	# the first local header's flags, at offset 6
	flags=$(od -An -tu2 -j6 -N2 out.zip | tr -d ' ')
	(( flags & 0x800 ))
}

@test "C1 control characters in a name become '-'" {
	new_session -n $'c1\u009bx' >/dev/null
	chat-export -o out.zip $'c1\u009bx'
	[ "$(entries out.zip)" = "c1-x.md
manifest.json" ]
}

@test "names that differ only in case beyond ASCII, or in composition, are made unique" {
	# Ä and ä clash where case is folded (Windows, macOS); é composed and
	# e with a combining accent clash where names are normalized (macOS),
	# and in the archive itself, whose names libarchive composes
	local a b c d e f k m
	a=$(new_session -n Ä) b=$(new_session -n ä)
	c=$(new_session -n $'\u00c9t\u00e9') d=$(new_session -n $'e\u0301t\u00c9')
	e=$(new_session -n ΣΟΦΊΑ) f=$(new_session -n σοφία)
	for k in out.zip out.tar.gz; do
		chat-export -o "$k" "$a" "$b" "$c" "$d" "$e" "$f"
		[ "$(entries "$k")" = "Ä.md
ä (2).md
$(printf '\u00c9t\u00e9').md
$(printf '\u00e9t\u00c9') (2).md
ΣΟΦΊΑ.md
σοφία (2).md
manifest.json" ]
		# the manifest names the files as the archive holds them
		if [ "$k" = out.zip ]; then m=$(unzip -p "$k" manifest.json); else m=$(tar -xOf "$k" manifest.json); fi
		[ "$(jq -r '.sessions[].file' <<<"$m")" = "$(entries "$k" | grep -vx manifest.json)" ]
	done
}

@test "an archive frees what it took: valgrind finds no leak" {
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	demo
	many alpha 20
	# PDF is left out: fontconfig, under pango, keeps caches it never frees
	local a
	for a in "-o out.zip demo alpha" "-f docx -o out.tar.zst demo alpha" "-f html --archive zip demo"; do
		run -0 --separate-stderr valgrind -q --leak-check=full \
			--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
			chat-export $a
		[ -z "$stderr" ] || { echo "$a: $stderr"; return 1; }
	done
}

# ---- refusals ----

@test "several sessions without an archive: exit 2, one line, nothing written" {
	many alpha 1
	many beta 1
	run -2 --separate-stderr chat-export alpha beta
	one_error chat-export
	[ "$stderr" = "chat-export: 2 sessions go into one archive: name it with -o FILE.zip (.tar.gz, .tar.zst) or give --archive (see 'chat-export --help')" ]
	run -2 --separate-stderr bash -c 'chat-ls --json | chat-export -o out.md'
	one_error chat-export
	[ "$stderr" = "chat-export: 2 sessions go into one archive: name it with -o FILE.zip (.tar.gz, .tar.zst) or give --archive (see 'chat-export --help')" ]
	[ -z "$(ls -A)" ]
}

@test "an unknown format: exit 2, and the error lists the formats" {
	many alpha 1
	run -2 --separate-stderr chat-export -f docbook alpha
	one_error chat-export
	[ "$stderr" = "chat-export: unknown format 'docbook': the formats are markdown, json, plaintext, html, pdf, docx (see 'chat-export --help')" ]
	run -2 --separate-stderr chat-export --format '' alpha
	one_error chat-export
	[ "$stderr" = "chat-export: unknown format '': the formats are markdown, json, plaintext, html, pdf, docx (see 'chat-export --help')" ]
}

@test "-o with an extension that names no format: exit 2, no file" {
	many alpha 1
	run -2 --separate-stderr chat-export -o x.foo alpha
	one_error chat-export
	[ "$stderr" = "chat-export: cannot tell the format from 'x.foo': the formats are markdown, json, plaintext, html, pdf, docx (see 'chat-export --help')" ]
	[ -z "$(ls -A)" ]
	# -f decides; a name without an extension is Markdown
	chat-export -f json -o x.foo alpha
	[ "$(jq -r .name x.foo)" = alpha ]
	mkdir d.dir
	chat-export -o d.dir/noext alpha
	[ "$(head -1 d.dir/noext)" = "# alpha" ]
	run -2 --separate-stderr chat-export -o '' alpha
	[ "$stderr" = "chat-export: -o: empty file name (see 'chat-export --help')" ]
}

@test "an unknown session: exit 3, no file and no temporary file" {
	many alpha 1
	mkdir out
	run -3 --separate-stderr chat-export -o out/x.md nosuch
	one_error chat-export
	[ "$stderr" = "chat-export: unknown session 'nosuch'" ]
	run -3 --separate-stderr chat-export -o out/x.zip alpha nosuch
	one_error chat-export
	[ -z "$(ls -A out)" ]
	run -3 --separate-stderr chat-export nosuch
	[ -z "$output" ]
}

@test "ambiguous names, malformed records, an empty stdin and a bad store" {
	new_session -n same >/dev/null
	new_session -n same >/dev/null
	run -4 --separate-stderr chat-export -o x.md same
	one_error chat-export
	[[ $stderr == "chat-export: ambiguous session name 'same' matches "* ]]
	run -5 --separate-stderr chat-export -o x.md <<<'{"type":"session",'
	one_error chat-export
	[[ $stderr == "chat-export: stdin:1: "* ]]
	run -0 --separate-stderr chat-export -o x.md </dev/null
	[ "$stderr" = "chat-export: no sessions on stdin: nothing written" ]
	echo 'not a database' > bad.db
	run -6 --separate-stderr chat-export --db bad.db -o x.md same
	one_error chat-export
	[ ! -e x.md ]
	[ "$(ls -A)" = bad.db ]
}

@test "options: --paper, unknown options, no session on a terminal" {
	many alpha 1
	run -2 --separate-stderr chat-export --paper b5 alpha
	[ "$stderr" = "chat-export: invalid --paper 'b5': expected a4 or letter (see 'chat-export --help')" ]
	for p in a4 letter A4 Letter; do
		run -0 chat-export --paper "$p" alpha
	done
	run -2 --separate-stderr chat-export --bogus alpha
	one_error chat-export
	tty_run chat-export
	[ "$status" -eq 2 ]
	[ "$output" = "chat-export: no session given (see 'chat-export --help')" ]
}

@test "pdf, docx and archives are refused on a terminal; text formats are not" {
	many alpha 1
	for f in pdf docx; do
		tty_run chat-export -f "$f" alpha
		[ "$status" -eq 2 ]
		[ "$output" = "chat-export: $f is not for a terminal: use -o FILE or a redirect (see 'chat-export --help')" ]
	done
	tty_run chat-export --archive zip alpha
	[ "$status" -eq 2 ]
	[ "$output" = "chat-export: an archive is not for a terminal: use -o FILE or a redirect (see 'chat-export --help')" ]
	tty_run chat-export alpha
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "# alpha" ]
	tty_run chat-export -f html alpha
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "<!DOCTYPE html>" ]
	# to a file, a terminal does not matter
	tty_run chat-export --archive zip -o a.zip alpha
	[ "$status" -eq 0 ]
	[ "$(entries a.zip)" = "alpha.md
manifest.json" ]
}

# ---- writing ----

@test "-o replaces an existing file whole, keeping its mode" {
	demo
	head -c 100000 /dev/zero | tr '\0' x > out.md
	chmod 600 out.md
	(umask 022 && chat-export -o out.md demo)
	cmp out.md <(chat-export demo)
	[ "$(stat -c %a out.md)" = 600 ]
	for f in json txt html; do
		printf 'an old, longer file\n%.0s' $(seq 1000) > "out.$f"
		chat-export -o "out.$f" demo
		cmp "out.$f" <(chat-export -f "$f" demo)
	done
	[ "$(ls -A | tr '\n' ' ')" = "out.html out.json out.md out.txt " ]
}

@test "writing stdout to a full disk: exit 1 and strerror's words" {
	demo
	many big 10000
	for f in markdown json plaintext html; do
		run -1 --separate-stderr bash -c 'chat-export -f "$1" demo > /dev/full' _ "$f"
		[ "$stderr" = "chat-export: writing stdout: No space left on device" ]
		run -1 --separate-stderr bash -c 'chat-export -f "$1" big > /dev/full' _ "$f"
		[ "$stderr" = "chat-export: writing stdout: No space left on device" ]
	done
	run -1 --separate-stderr bash -c 'chat-export --archive zip demo > /dev/full'
	[ "$stderr" = "chat-export: writing stdout: No space left on device" ]
	run -1 --separate-stderr bash -c 'chat-export --archive tar.gz big demo > /dev/full'
	one_error chat-export
	[[ $stderr == "chat-export: writing stdout: "* ]]
}

@test "a large archive to a full disk names the cause" {
	demo
	many big 10000
	for k in zip tar.gz tar.zst; do
		run -1 --separate-stderr bash -c 'chat-export --archive "$1" big demo > /dev/full' _ "$k"
		[ "$stderr" = "chat-export: writing stdout: No space left on device" ]
	done
}

@test "-o into a folder that does not exist: exit 1, nothing left behind" {
	demo
	run -1 --separate-stderr chat-export -o nodir/out.md demo
	one_error chat-export
	[ "$stderr" = "chat-export: cannot write nodir/out.md: No such file or directory" ]
	run -1 --separate-stderr chat-export -o nodir/out.zip demo
	[ "$stderr" = "chat-export: cannot write nodir/out.zip: No such file or directory" ]
	[ -z "$(ls -A)" ]
}

# A session "large" of one message of 360 kB of random letters: more than
# 100 KiB in every format, compressed or not.
large() {
	new_session -n large >/dev/null
	awk 'BEGIN { srand(1); for (i = 0; i < 60000; i++) { w = ""
		for (j = 0; j < 5; j++) w = w sprintf("%c", 97 + int(rand() * 26))
		printf "%s ", w } }' | chat-add -s large >/dev/null
}

@test "a write error on -o's file: exit 1, the old file kept, no temporary file" {
	demo
	large
	mkdir out
	for o in out.md out.html out.txt out.json out.zip out.tar.gz out.tar.zst; do
		echo old > "out/$o"
		# with SIGXFSZ ignored, going past the limit is EFBIG from write
		run -1 --separate-stderr bash -c 'trap "" XFSZ; ulimit -f 100; chat-export -o "out/$1" large' _ "$o"
		[ "$stderr" = "chat-export: writing out/$o: File too large" ]
		[ "$(cat "out/$o")" = old ]
		[ "$(ls -A out)" = "$(ls out)" ] || { ls -A out; return 1; }
	done
	[ "$(ls -A out | tr '\n' ' ')" = "out.html out.json out.md out.tar.gz out.tar.zst out.txt out.zip " ]
}

@test "exceeding the file size limit (SIGXFSZ) leaves no temporary file" {
	large
	mkdir out
	echo old > out/out.md
	run bash -c 'ulimit -f 100; chat-export -o out/out.md large'
	[ "$status" -ne 0 ]
	[ "$(ls -A out)" = out.md ]
	[ "$(cat out/out.md)" = old ]
}

@test "SIGTERM or SIGINT mid-export: the temporary file goes, the old file stays" {
	new_session -n huge >/dev/null
	# about 35 MB of Markdown, long enough to be caught mid-way
	awk 'BEGIN { s = "lorem ipsum dolor sit amet "; while (length(s) < 1000000) s = s s
		for (i = 1; i <= 20; i++) printf "{\"role\":\"user\",\"content\":\"%d %s\"}\n", i, s }' |
		chat-add --records -s huge >/dev/null
	mkdir out
	local sig pid i want st
	for sig in TERM INT HUP; do
		echo old > out/out.md
		# a background job of a script starts with SIGINT ignored, and an
		# ignored signal stays ignored (nohup): give it the default
		env --default-signal=INT chat-export -o out/out.md huge 3>&- &
		pid=$!
		for ((i = 0; i < 2000; i++)); do
			writing_into "$pid" out && break
			sleep 0.005
		done
		kill -"$sig" "$pid"
		st=0
		wait "$pid" || st=$?
		case $sig in TERM) want=143 ;; INT) want=130 ;; HUP) want=129 ;; esac
		[ "$st" -eq "$want" ] || { echo "$sig: status $st"; return 1; }
		[ "$(ls -A out)" = out.md ]
		[ "$(cat out/out.md)" = old ]
	done
}

@test "kill -9 mid-export leaves no temporary file: Markdown, PDF, an archive" {
	huge 20
	many pages 1500
	mkdir md pdf zip
	kill9_trials md out.md 10 huge
	kill9_trials pdf out.pdf 10 pages
	kill9_trials zip out.zip 10 huge pages
	[ "$(ls -A | tr '\n' ' ')" = "md pdf whole-out.md whole-out.pdf whole-out.zip zip " ]
}

@test "-o makes a new file as > would, whatever the umask" {
	demo
	(umask 022 && chat-export -o a.md demo)
	(umask 077 && chat-export -o b.md demo)
	(umask 027 && chat-export -o c.zip demo)
	[ "$(stat -c %a a.md b.md c.zip | tr '\n' ' ')" = "644 600 640 " ]
}

@test "-o removes the temporary files of exports that died, not of running ones" {
	demo
	mkdir out
	local dead live locked
	# a pid no process has: a finished child's
	true &
	dead=$!
	wait "$dead"
	sleep 600 3>&- &
	live=$!
	BG_PIDS=$live
	echo x > victim
	touch "out/.a.md.confab-$dead-AbC123" "out/.chat-export.confab-$dead-x0Y9zZ" \
		"out/.b.md.confab-$live-AbC123" "out/.c.md.XyZ123" "out/.d.md.confab-$dead-abc" \
		"out/e.md.confab-$dead-abcdef" "out/.f.md.confab-x$dead-abcdef" \
		"out/.h.md.confab-$dead-nobody" "out/.i.md.confab-$dead-locked"
	ln -s ../victim "out/.g.md.confab-$dead-linkln"
	# another user's file is not ours to remove, whatever its name
	chown 65534 "out/.h.md.confab-$dead-nobody"
	# a file whose writer holds its lock is alive, if not here: another
	# machine on a shared folder, another pid namespace
	(exec 8<"out/.i.md.confab-$dead-locked" && flock -x 8 && exec sleep 600) 3>&- &
	locked=$!
	BG_PIDS="$live $locked"
	for ((i = 0; i < 500; i++)); do
		flock -n "out/.i.md.confab-$dead-locked" true || break
		sleep 0.01
	done
	run -0 chat-export -o out/new.md demo
	[ "$(ls -A out | sort | tr '\n' ' ')" = ".b.md.confab-$live-AbC123 .c.md.XyZ123 .d.md.confab-$dead-abc \
.f.md.confab-x$dead-abcdef .g.md.confab-$dead-linkln .h.md.confab-$dead-nobody \
.i.md.confab-$dead-locked e.md.confab-$dead-abcdef new.md " ]
	[ "$(cat victim)" = x ]
	# an export to stdout, or to a device, touches no folder
	touch "out/.a.md.confab-$dead-AbC123"
	(cd out && chat-export demo >/dev/null && chat-export -o /dev/null demo)
	[ -e "out/.a.md.confab-$dead-AbC123" ]
	kill $BG_PIDS
	BG_PIDS=
}

@test "without O_TMPFILE: a named temporary file, removed by the next export once its writer is gone" {
	no_tmpfile_mount src mnt
	demo
	huge 20
	local pid i
	# an export works there, modes and all
	(umask 022 && chat-export -o mnt/demo.md demo)
	(umask 077 && chat-export -o mnt/demo.zip demo)
	cmp mnt/demo.md <(chat-export demo)
	[ "$(stat -c %a mnt/demo.md mnt/demo.zip | tr '\n' ' ')" = "644 600 " ]
	rm mnt/demo.zip
	[ "$(ls -A mnt)" = demo.md ]
	# the temporary file carries its writer's pid
	chat-export -o mnt/out.md huge 3>&- &
	pid=$!
	BG_PIDS=$pid
	for ((i = 0; i < 2000; i++)); do
		compgen -G "mnt/.out.md.confab-$pid-??????" >/dev/null && break
		sleep 0.005
	done
	compgen -G "mnt/.out.md.confab-$pid-??????"
	# an export meanwhile leaves it be: its writer is alive
	chat-export -o mnt/demo.md demo
	compgen -G "mnt/.out.md.confab-$pid-??????"
	kill -KILL "$pid"
	{ wait "$pid"; } 2>/dev/null || true
	BG_PIDS=
	# killed, the writer leaves it behind, and the next export removes it
	compgen -G "mnt/.out.md.confab-$pid-??????"
	chat-export -o mnt/demo.md demo
	[ "$(ls -A mnt)" = demo.md ]
	# so after kill -9 at random moments and one more export, whole files only
	KILL9_THEN="chat-export -o mnt/demo.md demo" KILL9_KEEPS=demo.md kill9_trials mnt out.md 5 huge
	KILL9_THEN="chat-export -o mnt/demo.md demo" KILL9_KEEPS="demo.md out.md" kill9_trials mnt out.zip 5 huge demo
}

@test "a closed pipe ends the export quietly with status 0" {
	many big 10000
	run --separate-stderr bash -c 'chat-export -f json big | head -c 100 >/dev/null; echo "${PIPESTATUS[0]}"'
	[ "$output" = 0 ]
	[ -z "$stderr" ]
}

@test "a closed pipe ends the export without a word" {
	many big 10000
	run --separate-stderr bash -c 'chat-export -f json big | head -c 100 >/dev/null'
	[ -z "$stderr" ]
	[ "$output" = "" ]
}

@test "--help lists every option, --version the version" {
	run -0 --separate-stderr chat-export --help
	[ -z "$stderr" ]
	[ "${lines[0]}" = "usage: chat-export [options] [SESSION...]" ]
	for o in -f --format -o --output --archive --metadata --no-metadata --timestamps \
		--header-level --code-lang --width --paper --db -h --help --version; do
		grep -qE -- "(^| )$o[ ,]" <<<"$output" || { echo "no $o"; return 1; }
	done
	run -0 chat-export -h
	[ "${lines[0]}" = "usage: chat-export [options] [SESSION...]" ]
	run -0 chat-export --version
	[[ $output == "chat-export (confab) "* ]]
}

# ---- what a review found ----

@test "markdown keeps every line: a setext heading's next line, lone CRs, an unclosed fence closed" {
	new_session -n s >/dev/null
	printf 'Summary\n---\nThe first finding.\nSecond line.\n' | chat-add -s s >/dev/null
	printf 'x\r# H\ry' | chat-add -s s >/dev/null
	printf 'look:\n```python\nprint(1)' | chat-add -s s >/dev/null
	chat-add -s s 'after the cut' >/dev/null
	run -0 chat-export s
	grep -qx '#### Summary' <<<"$output"
	grep -qx 'The first finding.' <<<"$output"
	grep -qx 'Second line.' <<<"$output"
	not grep -qx -- '---' <<<"$output"
	grep -qx '### H' <<<"$output"
	grep -qx 'y' <<<"$output"
	# pandoc sees the last message as a paragraph, not code
	run -0 pandoc -f commonmark -t plain <<<"$output"
	grep -qx 'after the cut' <<<"$output"
}

@test "-o naming the store, or its -wal, is refused and the store is whole" {
	sqlite_only "the store as a file (and its -wal); a PostgreSQL store is no path -o could name"
	new_session -n s >/dev/null
	chat-add -s s 'keep me' >/dev/null
	run -2 --separate-stderr chat-export -f json -o "$CHAT_DB" s
	one_error chat-export
	[ "$stderr" = "chat-export: -o '$CHAT_DB' is the store itself (see 'chat-export --help')" ]
	run -0 chat-show --json s
	[ "$(jq -r .content <<<"$output")" = 'keep me' ]
}

@test "-o keeps a replaced file's mode, writes through a link, refuses what > would" {
	new_session -n s >/dev/null
	echo old > mine.md
	chmod 600 mine.md
	run -0 chat-export -o mine.md s
	[ "$(stat -c %a mine.md)" = 600 ]
	grep -qx '# s' mine.md
	echo old > target.md
	ln -s target.md link.md
	run -0 chat-export -o link.md s
	[ -L link.md ]
	grep -qx '# s' target.md
}

@test "on a terminal, escape sequences in a message do not reach it" {
	new_session -n s >/dev/null
	printf 'hi \033]0;TITLE\007 \033[2J end\n' | chat-add -s s >/dev/null
	run -0 on_tty chat-export s
	not grep -q $'\033' <<<"$output"
	grep -q 'hi ]0;TITLE' <<<"$output"
	# a pipe gets the bytes as stored
	run -0 chat-export s
	grep -q $'\033' <<<"$output"
}

@test "plain text of 40,000 nested quotes and 20,000 nested lists: no crash, within the width" {
	new_session -n s >/dev/null
	{ head -c 40000 /dev/zero | tr '\0' '>'; echo ' deepquote'; } | chat-add -s s >/dev/null
	{ for i in $(seq 20000); do printf -- '- '; done; echo deeplist; } | chat-add -s s >/dev/null
	run -0 chat-export -f plaintext s
	grep -q deepquote <<<"$output"
	grep -q deeplist <<<"$output"
	[ "$(LC_ALL=C.UTF-8 awk '{ if (length($0) > 80) n++ } END { print n + 0 }' <<<"$output")" = 0 ]
}

@test "content that is not UTF-8, or holds control characters, still makes every format" {
	sqlite_only "PostgreSQL's text holds only UTF-8: such content cannot be stored"
	new_session -n bad >/dev/null
	chat-add -s bad 'placeholder' >/dev/null
	store_sql "UPDATE messages SET content = CAST(X'6F6B20FF20656E6420011B5B326A2064' AS TEXT)"
	for f in markdown json plaintext html pdf docx; do
		run -0 --separate-stderr chat-export -f "$f" -o "out.$f" bad
		[ -z "$stderr" ] || { echo "$f: $stderr"; return 1; }
	done
	run -0 pdftotext out.pdf -
	grep -q 'ok' <<<"$output"
	grep -q 'end' <<<"$output"
	run -0 --separate-stderr xmllint --html --noout out.html
	[ -z "$stderr" ]
	not grep -q $'\033' out.html
}

@test "an export run with SIGHUP ignored (nohup) is not stopped by it" {
	new_session -n huge >/dev/null
	awk 'BEGIN { s = "lorem ipsum dolor sit amet "; while (length(s) < 1000000) s = s s
		for (i = 1; i <= 10; i++) printf "{\"role\":\"user\",\"content\":\"%d %s\"}\n", i, s }' |
		chat-add --records -s huge >/dev/null
	(trap '' HUP; exec chat-export -f html -o out.html huge) 3>&- &
	pid=$!
	for ((i = 0; i < 2000; i++)); do
		writing_into "$pid" . && break
		sleep 0.005
	done
	kill -HUP "$pid" 2>/dev/null || true
	st=0
	wait "$pid" || st=$?
	[ "$st" = 0 ]
	grep -q '10 lorem' out.html
}

@test "a table after a line ended by a lone CR is still a table" {
	new_session -n t >/dev/null
	printf 'intro\rmore\n\n| a | b |\n|---|---|\n| c | d |\n' | chat-add -s t >/dev/null
	run -0 chat-export -f html t
	grep -q '<table>' <<<"$output"
	run -0 chat-export -f plaintext t
	grep -qx 'c | d' <<<"$output"
}

@test "json: a 100 MB attachment is written from the store in pieces, not held" {
	[ -x /usr/bin/time ] || skip "no /usr/bin/time to measure peak memory"
	s=$(new_session -n big)
	m=$(chat-add -s big 'see attached' | jq -r .id)
	blob='randomblob(104857600)'
	[ "${CONFAB_TEST_DB:-}" != pg ] || blob="convert_to(repeat('a', 104857600), 'SQL_ASCII')"
	store_sql "INSERT INTO attachments (id, message_id, type, name, size, mime_type, content)
		VALUES ('01900000-0000-7000-8000-000000000001', '$m', 'image', 'big.png', 104857600,
		        'image/png', $blob)"
	run -0 --separate-stderr /usr/bin/time -f '%M' chat-export -f json -o big.json big
	# peak resident set in KiB: it took nearly four times the bytes
	[ "$stderr" -lt 102400 ] || { echo "peak RSS ${stderr} KiB"; return 1; }
	store_blob want.bin 'FROM attachments'
	cmp want.bin <(jq -r '.messages[0].metadata.attachments[0].data' big.json | base64 -d)
	[ "$(jq -c '.messages[0].metadata.attachments[0] | del(.data)' big.json)" = \
		'{"id":"01900000-0000-7000-8000-000000000001","type":"image","name":"big.png","size":104857600,"mimeType":"image/png"}' ]
	[ "$(jq -c '.messages[0] | [.content, .metadata.tokens]' big.json)" = '["see attached",null]' ]
}

@test "a /clear boundary (metadata.contextReset) is shown above its message in every format, and kept whole in JSON" {
	new_session -n cleared -p echo > /dev/null
	chat-add -s cleared "before the clear" > /dev/null
	echo '{"role":"user","content":"after the clear","metadata":{"contextReset":true}}' |
		chat-add -s cleared --records > /dev/null
	chat-add -s cleared -r assistant "the reply" > /dev/null
	note='Context cleared: this message and those after it were sent without the ones before.'
	# the note comes once, between the two messages, in each format
	for f in markdown plaintext html; do
		chat-export -f "$f" -o "c.$f" cleared
	done
	chat-export -f pdf -o c.pdf cleared
	chat-export -f docx -o c.docx cleared
	pandoc -f markdown -t plain --wrap=none c.markdown > md.txt
	xmllint --html --xpath 'string(//body)' c.html > html.txt 2>/dev/null
	pdftotext -layout c.pdf pdf.txt
	pandoc -f docx -t plain --wrap=none c.docx > docx.txt
	tr '\n' ' ' < c.plaintext | tr -s ' ' > plaintext.txt
	for t in md html pdf docx plaintext; do
		tr '\n' ' ' < "$t.txt" | tr -s ' ' > "$t.flat"
		[ "$(grep -o 'Context cleared' "$t.flat" | wc -l)" = 1 ] || { echo "$t: $(cat "$t.flat")"; false; }
		grep -q 'before the clear.*Context cleared.*after the clear' "$t.flat" || { echo "$t order: $(cat "$t.flat")"; false; }
	done
	grep -qF "$note" md.flat
	chat-export -f json cleared | jq -e '[.messages[] | .metadata.contextReset // false] == [false, true, false]'
	# the note is not in a session that was never cleared
	new_session -n plain -p echo > /dev/null
	chat-add -s plain "just text" > /dev/null
	! chat-export -f markdown plain | grep -q 'Context cleared'
}

@test "without libarchive: archives and DOCX exit 1 naming it, no file; the rest works" {
	many alpha 2
	many beta 1
	before=$(store_dump)
	so=libarchive.so.13
	for out in out.zip out.tar.gz out.tar.zst out.docx; do
		run -1 --separate-stderr without_lib $so chat-export -o "$out" alpha
		one_error chat-export
		what="${out#out.} export"
		[ "$what" = "docx export" ] && what="DOCX export"
		[[ $stderr == "chat-export: $what needs $so (install "*"): $BATS_TEST_TMPDIR/nolib/$so/$so: file too short" ]]
		[ -z "$(ls -A)" ]
	done
	run -1 --separate-stderr without_lib $so chat-export --archive zip alpha beta
	one_error chat-export
	run -0 without_lib $so chat-export -f plaintext alpha
	grep -qx 'message 2 of many' <<<"$output"
	[ "$(store_dump)" = "$before" ]
	run -0 chat-export -o out.zip alpha beta
	unzip -tq out.zip
}
