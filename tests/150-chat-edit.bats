#!/usr/bin/env bats
# chat-edit: a message's content from TEXT, stdin or $EDITOR; the old one
# kept in metadata.edits; the index follows; versions listed and brought
# back; every refusal changes nothing.

load helper

TIME='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'

setup() {
	common_setup
	export USER=alice
	ME=$(store_user)
	S=$(new_session --name talk)
	M=$(chat-add -s "$S" 'the first words' | jq -r .id)
	R=$(chat-add -s "$S" --role assistant 'a reply to them' | jq -r .id)
}

# The stored content and edits of a message, as the store has them.
stored() {
	store_sql "SELECT content || '|' || edits FROM messages WHERE id = '$1'"
}

# An editor script: $1 its body (the file is "$last").
editor() {
	{
		printf '#!/bin/bash\nlast=${@: -1}\n'
		printf '%s\n' "$1"
	} > "$BATS_TEST_TMPDIR/ed"
	chmod +x "$BATS_TEST_TMPDIR/ed"
}

# ---- the text ----

@test "TEXT replaces the content; the old one is a ChatEdit in metadata.edits" {
	before=$(date -u +%s%3N)
	run -0 --separate-stderr chat-edit "$M" 'the better' words
	[ -z "$stderr" ]
	[ "$(jq -r '.id, .content' <<<"$output")" = "$M"$'\n''the better words' ]
	[ "$(jq -c '.metadata.edits | map(keys_unsorted)' <<<"$output")" = '[["content","timestamp","editedBy"]]' ]
	[ "$(jq -r '.metadata.edits[0] | .content, .editedBy' <<<"$output")" = "the first words"$'\n'"$ME" ]
	ts=$(jq -r '.metadata.edits[0].timestamp' <<<"$output")
	[[ "$ts" =~ $TIME ]]
	[ "$(date -u -d "$ts" +%s%3N)" -ge "$before" ]
	# the store holds what was printed; chat-show shows it
	[ "$(chat-show --json "$S" | jq -c "select(.id == \"$M\")")" = "$output" ]
	# the message keeps its place and its id
	[ "$(chat-show --json "$S" | jq -sc 'map(.content)')" = '["the better words","a reply to them"]' ]
}

@test "the editor is the config's user when it names one" {
	config <<-EOF
	user = bob
	EOF
	run -0 chat-edit "$M" changed
	[ "$(jq -r '.metadata.edits[0].editedBy' <<<"$output")" = bob ]
}

@test "every edit is kept, oldest first; any role can be edited" {
	chat-edit "$R" 'second reply' > /dev/null
	run -0 chat-edit "$R" 'third reply'
	[ "$(jq -c '[.content, (.metadata.edits | map(.content))]' <<<"$output")" = '["third reply",["a reply to them","second reply"]]' ]
}

@test "text from stdin; its last newlines are the file's" {
	run -0 bash -c 'printf "from stdin\nsecond line\n\n" | chat-edit "$1"' _ "$M"
	[ "$(jq -c .content <<<"$output")" = '"from stdin\nsecond line"' ]
}

@test "the same text changes nothing and records nothing: said on stderr, exit 0" {
	run -0 --separate-stderr chat-edit "$M" 'the first words'
	[ "$stderr" = "chat-edit: message '$M' already has that text: nothing changed" ]
	[ "$(jq -c .metadata.edits <<<"$output")" = '[]' ]
	[ "$(stored "$M")" = 'the first words|[]' ]
	# stdin's trailing newline is no change either
	run -0 bash -c 'echo "the first words" | chat-edit "$1" 2>&1 >/dev/null' _ "$M"
	[[ "$output" == *"nothing changed" ]]
	[ "$(stored "$M")" = 'the first words|[]' ]
}

@test "empty text is refused as chat-send refuses it; nothing changes" {
	run -2 --separate-stderr chat-edit "$M" ''
	one_error chat-edit
	[[ "$stderr" == *"cannot be empty"* ]]
	run -2 --separate-stderr chat-edit "$M" < /dev/null
	one_error chat-edit
	run -2 --separate-stderr bash -c 'printf "\n\n" | chat-edit "$1"' _ "$M"
	[ "$(stored "$M")" = 'the first words|[]' ]
}

@test "the full-text index follows: the new words are found, the old ones not" {
	chat-edit "$M" 'zebras gallop' > /dev/null
	run -0 chat-ls --json --search zebras
	[ "$(jq -r .match.messageId <<<"$output")" = "$M" ]
	run -0 chat-ls --json --search first
	[ -z "$output" ]
	# FTS5's index, a table of its own; PostgreSQL's is a generated column
	[ "${CONFAB_TEST_DB:-}" = pg ] ||
		[ "$(store_sql "INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check'); SELECT 'ok'")" = ok ]
}

@test "the message by unique prefix; unknown exit 3, ambiguous exit 4, nothing changed" {
	run -0 chat-edit "${M:0:30}" 'by prefix'
	[ "$(jq -r .content <<<"$output")" = 'by prefix' ]
	run -3 --separate-stderr chat-edit 0000ffff nope
	one_error chat-edit
	[[ "$stderr" == *"unknown message '0000ffff'"* ]]
	p=$(common_prefix "$M" "$R")
	[ "${#p}" -ge 4 ] || skip "the two ids share fewer than 4 characters"
	run -4 --separate-stderr chat-edit "$p" nope
	one_error chat-edit
	[[ "$stderr" == *"ambiguous message prefix"* ]]
	[ "$(stored "$R")" = 'a reply to them|[]' ]
	run -2 --separate-stderr chat-edit
	[[ "$stderr" == "chat-edit: no message given"* ]]
}

# ---- the editor ----

@test "on a terminal without text: \$VISUAL's words through execvp, a 0600 file holding the content" {
	editor 'stat -c %a "$last" > "$BATS_TEST_TMPDIR/mode"
printf "%s\n" "$1" > "$BATS_TEST_TMPDIR/arg"
cp "$last" "$BATS_TEST_TMPDIR/seen"
printf "edited in the editor\n" > "$last"'
	export BATS_TEST_TMPDIR
	# two words and no shell: a ';' would be an argument, not a command
	export VISUAL="$BATS_TEST_TMPDIR/ed --wait;false" EDITOR=/nonexistent
	tty_run chat-edit --json "$M"
	[ "$status" -eq 0 ]
	[ "$(< "$BATS_TEST_TMPDIR/mode")" = 600 ]
	[ "$(< "$BATS_TEST_TMPDIR/arg")" = '--wait;false' ]
	[ "$(< "$BATS_TEST_TMPDIR/seen")" = 'the first words' ]
	[ "$(stored "$M" | cut -d'|' -f1)" = 'edited in the editor' ]
	# the file is gone afterwards
	[ -z "$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'chat-edit-*' -newer "$BATS_TEST_TMPDIR/ed" 2>/dev/null)" ]
}

@test "\$EDITOR when \$VISUAL is unset" {
	editor 'printf "from EDITOR" > "$last"'
	unset VISUAL
	export EDITOR="$BATS_TEST_TMPDIR/ed"
	tty_run chat-edit "$M"
	[ "$status" -eq 0 ]
	[ "$(stored "$M" | cut -d'|' -f1)" = 'from EDITOR' ]
}

@test "\$EDITOR when \$VISUAL is only blanks" {
	editor 'printf "from EDITOR" > "$last"'
	export VISUAL=$'  \t ' EDITOR="$BATS_TEST_TMPDIR/ed"
	tty_run timeout 10 chat-edit "$M"
	[ "$status" -eq 0 ]
	[ "$(stored "$M" | cut -d'|' -f1)" = 'from EDITOR' ]
}

@test "an editor that exits non-zero changes nothing: one line, exit 1" {
	editor 'printf "half done" > "$last"; exit 3'
	export VISUAL="$BATS_TEST_TMPDIR/ed"
	tty_run chat-edit "$M"
	[ "$status" -eq 1 ]
	[[ "$output" == "chat-edit: the editor '$BATS_TEST_TMPDIR/ed' failed (exit 3); nothing changed"* ]]
	[ "$(stored "$M")" = 'the first words|[]' ]
	export VISUAL=/nonexistent/editor
	tty_run chat-edit "$M"
	[ "$status" -eq 1 ]
	[[ "$output" == "chat-edit: cannot start the editor '/nonexistent/editor': No such file or directory; nothing changed"* ]]
	[ "$(stored "$M")" = 'the first words|[]' ]
}

@test "an editor that leaves text that is not UTF-8, or a NUL, changes nothing: one line, exit 5" {
	export VISUAL="$BATS_TEST_TMPDIR/ed"
	before=$(store_dump)
	for bytes in 'caf\xe9 au lait' 'half\0a NUL'; do
		editor "printf '$bytes' > \"\$last\""
		tty_run chat-edit "$M"
		[ "$status" -eq 5 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == "chat-edit: "*"not valid UTF-8; nothing changed" ]]
		[ "$(store_dump)" = "$before" ]
	done
}

@test "an editor that leaves the text as it was records nothing" {
	editor 'true'
	export VISUAL="$BATS_TEST_TMPDIR/ed"
	tty_run chat-edit "$M"
	[ "$status" -eq 0 ]
	[[ "$output" == *"already has that text: nothing changed"* ]]
	[ "$(stored "$M")" = 'the first words|[]' ]
}

@test "a message another program deletes meanwhile: exit 3, nothing changed" {
	local sql="sqlite3 \"\$CHAT_DB\" \"PRAGMA foreign_keys=ON;"
	[ "${CONFAB_TEST_DB:-}" != pg ] || sql="psql -XAtq \"\$CHAT_DB\" -c \""
	editor "$sql DELETE FROM messages WHERE id = '$M'\"
printf 'too late' > \"\$last\""
	export VISUAL="$BATS_TEST_TMPDIR/ed"
	tty_run chat-edit "$M"
	[ "$status" -eq 3 ]
	[[ "$output" == "chat-edit: message '$M' was deleted by another program; nothing changed"* ]]
	[ "$(count messages)" -eq 1 ]
	[ "$(store_sql "SELECT count(*) FROM messages WHERE content = 'too late'")" -eq 0 ]
}

# ---- versions ----

@test "--history: every version numbered, the current one last; records off a terminal" {
	chat-edit "$M" 'version two' > /dev/null
	chat-edit "$M" 'version three' > /dev/null
	run -0 chat-edit --history "$M"
	[ "${#lines[@]}" -eq 3 ]
	[ "$(jq -sc 'map([.type, .version, .current, .content])' <<<"$output")" = '[["version",1,false,"the first words"],["version",2,false,"version two"],["version",3,true,"version three"]]' ]
	[ "$(jq -sc 'map(.messageId) | unique' <<<"$output")" = "[\"$M\"]" ]
	[ "$(jq -sc 'map(.replacedBy)' <<<"$output")" = "[\"$ME\",\"$ME\",null]" ]
	# for people: numbered, with who replaced each
	export NO_COLOR=1
	tty_run chat-edit --history "$M"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^1\ +replaced\ .*\ by\ "$ME"$ ]]
	[ "${lines[1]}" = 'the first words' ]
	[[ "$output" == *$'3  (current)\nversion three'* ]]
	# a message never edited has one version
	run -0 chat-edit --history "$R"
	[ "$(jq -c '[.version, .current, .content]' <<<"$output")" = '[1,true,"a reply to them"]' ]
}

@test "--revert N brings version N back, recorded as an edit" {
	chat-edit "$M" 'version two' > /dev/null
	run -0 chat-edit --revert 1 "$M"
	[ "$(jq -c '[.content, (.metadata.edits | map(.content))]' <<<"$output")" = '["the first words",["the first words","version two"]]' ]
	run -0 chat-edit --history "$M"
	[ "${#lines[@]}" -eq 3 ]
	# the current version again: nothing recorded
	run -0 --separate-stderr chat-edit --revert 3 "$M"
	[[ "$stderr" == *"nothing changed" ]]
	[ "$(jq -c '.metadata.edits | length' <<<"$output")" = 2 ]
}

@test "--revert to no such version, or with text, or with --history: exit 2, nothing changed" {
	run -2 --separate-stderr chat-edit --revert 2 "$M"
	one_error chat-edit
	[ "$stderr" = "chat-edit: invalid --revert 2: message '$M' has version 1" ]
	run -2 --separate-stderr chat-edit --revert x "$M"
	one_error chat-edit
	run -2 --separate-stderr chat-edit --revert 1 "$M" text
	[[ "$stderr" == "chat-edit: --revert takes no text"* ]]
	run -2 --separate-stderr chat-edit --history --revert 1 "$M"
	[[ "$stderr" == "chat-edit: --history and --revert do not go together"* ]]
	[ "$(stored "$M")" = 'the first words|[]' ]
	chat-edit "$M" 'version two' > /dev/null
	before=$(store_dump)
	run -2 --separate-stderr chat-edit --revert 3 "$M"
	[ "$stderr" = "chat-edit: invalid --revert 3: message '$M' has versions 1 to 2" ]
	[ "$(store_dump)" = "$before" ]
}

@test "on a terminal the edited message is shown for people" {
	tty_run chat-edit "$M" 'shown to people'
	[ "$status" -eq 0 ]
	[[ "$output" == *"shown to people"* ]]
	[[ "$output" != *'"type"'* ]]
}

@test "20 editors at once on one message: none fails, every version kept" {
	for i in $(seq 1 20); do
		chat-edit "$M" "text $i" > /dev/null 2> "$BATS_TEST_TMPDIR/err$i" &
	done
	wait
	cat "$BATS_TEST_TMPDIR"/err* > "$BATS_TEST_TMPDIR/all"
	[ ! -s "$BATS_TEST_TMPDIR/all" ]
	run -0 chat-edit --history "$M"
	[ "${#lines[@]}" -eq 21 ]
	# each text once, the first words first
	[ "$(jq -sc 'map(.content) | .[0]' <<<"$output")" = '"the first words"' ]
	[ "$(jq -sc 'map(.content) | .[1:] | unique | length' <<<"$output")" -eq 20 ]
}
