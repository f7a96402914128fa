#!/usr/bin/env bats
# The terminal renderer, through chat-show in a real terminal: tmux, 80
# columns (or fewer) by 50 rows, a shell that runs chat-show, and the
# screen read back cell by cell (capture-pane), with its colors (-e).

load helper

setup() {
	common_setup
	SOCK="cf-render-$$-$BATS_TEST_NUMBER"
}

teardown() {
	tm kill-server 2> /dev/null || true
}

# tmux on the test's own server, with no config.
tm() {
	tmux -L "$SOCK" -f /dev/null "$@"
}

# Runs a command line in a shell in a terminal WIDTH columns wide and waits
# for it to end.  What it drew, history included, one screen row a line,
# in $rows (the command line and the prompt after it left out); the same
# with the colors as tmux holds them in $styled; its exit status in $rc.
in_term() {
	local width=$1 i screen; shift
	# a server of its own each time: a new session on the socket of one
	# just killed can meet that server on its way out
	tm kill-server 2> /dev/null || true
	TERMS=$((${TERMS:-0} + 1))
	SOCK="cf-render-$$-$BATS_TEST_NUMBER-$TERMS"
	tm new-session -d -x "$width" -y 50 "bash --norc --noprofile"
	tm send-keys "PS1='\$ '; clear" Enter
	sleep 0.2
	tm clear-history
	tm send-keys "$*; echo __END__\$?" Enter
	for ((i = 0; i < 100; i++)); do
		screen=$(tm capture-pane -p -S - -E -)
		grep -q '^__END__[0-9]' <<< "$screen" && break
		sleep 0.1
	done
	rc=$(sed -n 's/^__END__\([0-9]*\)$/\1/p' <<< "$screen")
	[ -n "$rc" ] || { echo "in_term: '$*' did not end; the screen:"; echo "$screen"; return 1; }
	mapfile -t rows < <(sed -n '2,/^__END__/p' <<< "$screen" | sed '$d')
	mapfile -t styled < <(tm capture-pane -p -e -S - -E - | sed -n '2,/__END__/p' | sed '$d')
}

# Compares rows FROM.. with the expected lines on stdin; prints both on a
# difference.
rows_are() {
	local from=$1 i=0 want
	mapfile -t want
	for ((i = 0; i < ${#want[@]}; i++)); do
		if [ "${rows[from + i]}" != "${want[i]}" ]; then
			echo "row $((from + i)): '${rows[from + i]}'"
			echo "   expected: '${want[i]}'"
			printf '%s\n' "${rows[@]}"
			return 1
		fi
	done
}

# The row that is TEXT exactly, or fails.
row_of() {
	local i
	for ((i = 0; i < ${#rows[@]}; i++)); do
		[ "${rows[i]}" = "$1" ] && { echo "$i"; return 0; }
	done
	echo "no row '$1'" >&2
	return 1
}

# Whether an SGR attribute or color CODE is on where TEXT starts in the
# styled screen (tmux writes one sequence per change, 0;1 for bold).
styled_as() {
	local code=$1 text=$2 re
	re=$'\e\\[([0-9;]*;)?'"$code"'(;[0-9;]*)?m('$'\e''\[[0-9;]*m)*'"$text"
	[[ "${styled[*]}" =~ $re ]]
}

# Terminal cells of a string.
cells() {
	printf '%s' "$1" | LC_ALL=C.UTF-8 wc -L
}

every_construct() {
	S=$(new_session --name demo)
	chat-add -s demo > /dev/null <<-'EOF'
	# Rendering check

	Plain text with *emphasis*, **strong**, ~~gone~~ and `code`. A [link](https://example.org/page) here, and enough words after it to wrap this paragraph past the edge.

	### Third level

	- first
	- second
	  - nested
	- [ ] open task
	- [x] done task

	9. nine
	10. ten

	> quoted line
	> > nested

	---

	| Name | 名前 | n |
	|:--|:-:|--:|
	| cat | 猫 | 1 |
	| party 🎉 | 祭り | 22 |

	```python
	def f(x):
	    return x
	```
	EOF
}

@test "every construct, drawn at 80 columns" {
	every_construct
	in_term 80 chat-show demo
	[ "$rc" = 0 ]
	[[ "${rows[0]}" == "demo  ${S:0:8}"*"  1 messages" ]]
	[ "${rows[1]}" = "" ]
	[[ "${rows[2]}" == "user  "*" UTC (just now)" ]]
	rule=$(printf '─%.0s' {1..80})
	rows_are 3 <<-EOF
	Rendering check
	═══════════════

	Plain text with emphasis, strong, gone and code. A link here, and enough words
	after it to wrap this paragraph past the edge.

	### Third level

	• first
	• second
	  ◦ nested
	• [ ] open task
	• [x] done task

	 9. nine
	10. ten

	┃ quoted line
	┃
	┃ ┃ nested

	$rule

	┌──────────┬──────┬────┐
	│ Name     │ 名前 │  n │
	├──────────┼──────┼────┤
	│ cat      │  猫  │  1 │
	│ party 🎉 │ 祭り │ 22 │
	└──────────┴──────┴────┘

	╭─ python $(printf '─%.0s' {1..70})
	│ def f(x):
	│     return x
	╰$(printf '─%.0s' {1..79})
	EOF
	[ "${#rows[@]}" -eq 37 ]
}

@test "the table's columns line up in screen cells, CJK and emoji two wide" {
	every_construct
	in_term 80 chat-show demo
	top=$(row_of '┌──────────┬──────┬────┐')
	for i in 0 1 2 3 4 5; do
		[ "$(cells "${rows[top + i]}")" = 24 ]
	done
	# the bars of every row at the same cells as the border's joints
	for i in 1 3 4; do
		r=${rows[top + i]}
		[ "$(cells "${r%%│ *}")" = 0 ]
		first=${r#│}
		[ "$(cells "${first%%│*}")" = 10 ]
	done
}

@test "colors and attributes: headings, emphasis, code, quotes, tasks" {
	every_construct
	in_term 80 chat-show demo
	styled_as 35 'Rendering check'
	styled_as 1 'Rendering check'
	styled_as 3 emphasis
	styled_as 1 strong
	styled_as 9 gone
	styled_as 33 code
	styled_as 4 link
	styled_as 34 link
	styled_as 32 '┃'
	styled_as 32 '\[x\]'
	styled_as 2 '═══'
	# and nothing else is: the text around them is plain
	! styled_as 3 'Plain text'
	! styled_as 1 'emphasis'
}

@test "a narrow terminal: paragraphs, rules, tables and code keep to its width" {
	every_construct
	in_term 40 chat-show demo
	[ "$rc" = 0 ]
	for r in "${rows[@]}"; do
		[ "$(cells "$r")" -le 40 ]
	done
	row_of 'Plain text with emphasis, strong, gone' > /dev/null
	row_of 'and code. A link here, and enough words' > /dev/null
	row_of 'after it to wrap this paragraph past the' > /dev/null
	row_of 'edge.' > /dev/null
	row_of "$(printf '─%.0s' {1..40})" > /dev/null
	row_of '│ party 🎉 │ 祭り │ 22 │' > /dev/null
	row_of "╭─ python $(printf '─%.0s' {1..30})" > /dev/null
}

@test "--plain, NO_COLOR and TERM=dumb show the Markdown as written" {
	every_construct
	for how in "chat-show --plain demo" "NO_COLOR=1 chat-show demo" "TERM=dumb chat-show demo"; do
		in_term 80 "$how"
		[ "$rc" = 0 ]
		rows_are 3 <<-'EOF'
		# Rendering check

		Plain text with *emphasis*, **strong**, ~~gone~~ and `code`. A [link](https://ex
		ample.org/page) here, and enough words after it to wrap this paragraph past the
		edge.
		EOF
		row_of '| party 🎉 | 祭り | 22 |' > /dev/null
		row_of '```python' > /dev/null
	done
}

@test "a pipe gets the records, never the rendering" {
	every_construct
	in_term 80 "chat-show demo | jq -r .content | head -n 1"
	[ "$rc" = 0 ]
	[ "${rows[0]}" = '# Rendering check' ]
	[ "${#rows[@]}" -eq 1 ]
}

@test "escape sequences in a reply never reach the terminal" {
	S=$(new_session --name evil)
	chat-add -s evil -r assistant "$(printf 'one \033]2;pwned\007 two \033[31mred\n\n[x](<https://e.org/\033]2;pwned2\007>) \033[2J`\033[5mcode`\n\n```\ncode \033[1mbold\033c\n```')" > /dev/null
	tm kill-server 2> /dev/null || true
	in_term 80 chat-show evil
	[ "$rc" = 0 ]
	# the title stays the shell's, the screen was not cleared, nothing red
	title=$(tm display-message -p '#{pane_title}')
	[[ "$title" != *pwned* ]]
	[[ "${rows[0]}" == "evil  "* ]]
	row_of 'one �]2;pwned� two �[31mred' > /dev/null
	row_of '│ code �[1mbold�c' > /dev/null
	! styled_as 31 red
	! styled_as 5 code
	row_of 'x �[2J�[5mcode' > /dev/null
}

@test "code nested past what tree-sitter survives is drawn, plain from there on; code after it is colored" {
	S=$(new_session --name deep)
	# libtree-sitter 0.20 aborted on a double free past 65535 levels
	{ echo '```json'; head -c 70000 /dev/zero | tr '\0' '['; echo; echo '```'
	  echo; echo '```c'; echo 'return 42;'; echo '```'; } | chat-add -s deep -r assistant > /dev/null
	in_term 80 chat-show deep
	[ "$rc" = 0 ]
	row_of '│ return 42;' > /dev/null
	styled_as 35 return
}

@test "attachments, an incomplete reply, and a context cleared by /clear" {
	S=$(new_session --name marks)
	chat-add -s marks "before" > /dev/null
	chat-add -s marks "look at this" > /dev/null
	chat-add -s marks -r assistant -m m1 "half a repl" > /dev/null
	chat-add -s marks "after the clear" > /dev/null
	m=$(chat-show marks | jq -r 'select(.content == "look at this") | .id')
	nul="x'00'"
	[ "${CONFAB_TEST_DB:-}" != pg ] || nul="'\\x00'::bytea"
	store_sql "INSERT INTO attachments (id, message_id, type, name, size, mime_type, content)
		VALUES ('01900000-0000-7000-8000-00000000000a', '$m', 'image', 'shot 日本.png', 1536, 'image/png', $nul),
		       ('01900000-0000-7000-8000-00000000000b', '$m', 'text', 'notes.txt', 12, 'text/plain', 'hello world!');
		UPDATE messages SET extra = json_set(coalesce(extra, '{}'), '$.incomplete', json('true'), '$.stopReason', 'interrupted')
			WHERE content = 'half a repl';
		UPDATE messages SET extra = json_set(coalesce(extra, '{}'), '$.contextReset', json('true'))
			WHERE content = 'after the clear';"
	in_term 80 chat-show marks
	[ "$rc" = 0 ]
	i=$(row_of 'look at this')
	[[ "${rows[i - 3]}" == "user  "* ]]
	[ "${rows[i - 2]}" = '[attached] shot 日本.png  image/png · 1.5 KiB' ]
	[ "${rows[i - 1]}" = '[attached] notes.txt  text/plain · 12 B' ]
	i=$(row_of 'half a repl')
	[[ "${rows[i - 1]}" == "assistant · m1  "*" UTC (just now)  incomplete (interrupted)" ]]
	styled_as 33 'incomplete'
	i=$(row_of 'after the clear')
	[[ "${rows[i - 1]}" == "user  "* ]]
	[ "${rows[i - 2]}" = "" ]
	[ "${rows[i - 3]}" = '──── context cleared ────────────────────────────' ]
	# only there
	[ "$(printf '%s\n' "${rows[@]}" | grep -c 'context cleared')" = 1 ]
	[ "$(printf '%s\n' "${rows[@]}" | grep -c 'incomplete')" = 1 ]
	[ "$(printf '%s\n' "${rows[@]}" | grep -c '^\[attached\]')" = 2 ]
	# the same marks without color
	in_term 80 "NO_COLOR=1 chat-show marks"
	row_of '──── context cleared ────────────────────────────' > /dev/null
	row_of '[attached] notes.txt  text/plain · 12 B' > /dev/null
}

@test "chat-send on a terminal draws the reply as it streams; --plain, NO_COLOR and a pipe get it as written" {
	new_session -n r -p echo > /dev/null
	in_term 80 "chat-send -s r 'a **bold** word and \`code\`'"
	[ "$rc" = 0 ]
	row_of 'echo: a bold word and code' > /dev/null || { printf '%s\n' "${rows[@]}"; false; }
	styled_as 1 bold || { printf '%q\n' "${styled[@]}"; false; }
	in_term 80 "chat-send -s r --plain 'a **bold** word'"
	row_of 'echo: a **bold** word' > /dev/null
	in_term 80 "NO_COLOR=1 chat-send -s r 'a **bold** word'"
	row_of 'echo: a **bold** word' > /dev/null
	! styled_as 1 bold
	[ "$(chat-send -s r 'a **bold** word' | cat)" = 'echo: a **bold** word' ]
}
