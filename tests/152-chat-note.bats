#!/usr/bin/env bats
# chat-note: notes on messages ({id, author, timestamp, text, quote?} in
# metadata.notes), anchored to words of the content with --quote, listed
# and removed by id; never sent to a model; bad input refused with the
# store unchanged.

load helper

setup() {
	common_setup
	export USER=alice NO_COLOR=1
	ME=$(store_user)
	S=$(new_session --name n -p anthropic -m claude-test)
	M1=$(chat-add -s "$S" "What is the capital of Canada?" | jq -r .id)
	M2=$(chat-add -s "$S" -r assistant "Ottawa, since 1857." | jq -r .id)
}

teardown() { fake_stop; }

notes() { chat-show --json n | jq -c "select(.id == \"$1\") | .metadata.notes // []"; }

@test "a note is stored in metadata.notes with its author and time, and printed" {
	run -0 --separate-stderr chat-note "$M2" check the year
	[ -z "$stderr" ]
	[ "$(jq -c '[.type, .messageId, .author, .text]' <<< "$output")" = "[\"note\",\"$M2\",\"$ME\",\"check the year\"]" ]
	nid=$(jq -r .id <<< "$output")
	[ "$(notes "$M2" | jq -c 'map(keys)')" = '[["author","id","text","timestamp"]]' ]
	[ "$(notes "$M2" | jq -r '.[0].id')" = "$nid" ]
	# kept in the extra column, not in the message's content
	[ "$(store_sql "SELECT json_extract(extra, '\$.notes[0].text') || '|' || content FROM messages WHERE id = '$M2'")" = "check the year|Ottawa, since 1857." ]
	run -0 on_tty chat-show --plain n
	[[ "$output" == *"note ($ME, "* ]]
	[[ "$output" == *"check the year"* ]]
}

@test "--quote anchors the note to words the message holds; words it does not hold are refused" {
	run -0 chat-note --quote "since 1857" "$M2" "Confederation was 1867"
	[ "$(jq -r .quote <<< "$output")" = "since 1857" ]
	[ "$(notes "$M2" | jq -r '.[0] | [.quote, .text] | join("|")')" = "since 1857|Confederation was 1867" ]
	run -0 on_tty chat-show --plain n
	[[ "$output" == *"on “since 1857”"* ]]
	before=$(store_dump)
	run --separate-stderr chat-note -q "since 1858" "$M2" nope
	[ "$status" -eq 2 ]; one_error chat-note
	[ "$stderr" = "chat-note: --quote 'since 1858' is not in message '$M2'; nothing changed" ]
	run --separate-stderr chat-note -q "SINCE 1857" "$M2" nope
	[ "$status" -eq 2 ]; one_error chat-note
	run --separate-stderr chat-note -q "" "$M2" nope
	[ "$status" -eq 2 ]; one_error chat-note
	[ "$(store_dump)" = "$before" ]
}

@test "the text from stdin, its last newlines dropped" {
	printf 'line one\nline two\n\n' | chat-note "$M1" > /dev/null
	[ "$(notes "$M1" | jq -c 'map(.text)')" = '["line one\nline two"]' ]
}

@test "--ls lists a message's notes, or every note; --rm takes one off by id or prefix" {
	a=$(chat-note "$M1" first | jq -r .id)
	b=$(chat-note "$M2" second | jq -r .id)
	c=$(as_user bob chat-note "$M2" third | jq -r .id)
	run -0 chat-note --ls "$M2"
	[ "$(jq -sc 'map([.id, .author, .text, .sessionId])' <<< "$output")" = "[[\"$b\",\"$ME\",\"second\",\"$S\"],[\"$c\",\"bob\",\"third\",\"$S\"]]" ]
	run -0 chat-note --ls
	[ "$(jq -r .text <<< "$output" | paste -sd,)" = first,second,third ]
	run -0 on_tty chat-note --ls "${M2:0:24}"
	[[ "$output" == *"note $b on $M2 ($ME, "* ]]
	[[ "$output" == *"  third"* ]]
	run -0 chat-note --rm "${b:0:30}"
	[ "$(jq -r .text <<< "$output")" = second ]
	[ "$(notes "$M2" | jq -c 'map(.text)')" = '["third"]' ]
	chat-note --rm "$c" > /dev/null
	# no notes left: no notes key
	[ "$(store_sql "SELECT CASE WHEN json_type(extra, '\$.notes') IS NULL THEN 1 ELSE 0 END FROM messages WHERE id = '$M2'")" = 1 ]
	[ "$(chat-note --ls | jq -r .id)" = "$a" ]
	before=$(store_dump)
	run --separate-stderr chat-note --rm "$b"
	[ "$status" -eq 3 ]; one_error chat-note
	[ "$stderr" = "chat-note: unknown note '$b'" ]
	run --separate-stderr chat-note --rm ab
	[ "$status" -eq 3 ]; one_error chat-note
	[ "$(store_dump)" = "$before" ]
}

@test "two notes whose ids share a prefix: the prefix is ambiguous" {
	a=$(chat-note "$M1" one | jq -r .id)
	b=$(chat-note "$M1" two | jq -r .id)
	p=$(common_prefix "$a" "$b")
	[ "${#p}" -ge 4 ]
	before=$(store_dump)
	run --separate-stderr chat-note --rm "$p"
	[ "$status" -eq 4 ]; one_error chat-note
	[[ "$stderr" == "chat-note: ambiguous note prefix '$p' matches "* ]]
	[ "$(store_dump)" = "$before" ]
}

@test "a 1 MB note is refused in one line, the store unchanged; 64 KiB is taken" {
	before=$(store_dump)
	run --separate-stderr bash -c "head -c 1048576 /dev/zero | tr '\\0' x | chat-note '$M1'"
	[ "$status" -eq 2 ]; one_error chat-note
	[ "$stderr" = "chat-note: the note is 1048576 bytes, more than 65536; nothing changed" ]
	[ "$(store_dump)" = "$before" ]
	# far past the limit it is counted, not held: 200 MB in 100 MB of memory
	run --separate-stderr bash -c "head -c 200000000 /dev/zero | tr '\\0' x | (ulimit -v 100000; chat-note '$M1')"
	[ "$status" -eq 2 ]; one_error chat-note
	[ "$stderr" = "chat-note: the note is 200000000 bytes, more than 65536; nothing changed" ]
	[ "$(store_dump)" = "$before" ]
	# at the limit, with the file's newlines after it
	{ head -c 65536 /dev/zero | tr '\0' y; printf '\n\n\n'; } | chat-note "$M1" > /dev/null
	[ "$(notes "$M1" | jq '.[0].text | length')" -eq 65536 ]
}

@test "bad input: one line, its exit status, the store unchanged" {
	chat-note "$M1" kept > /dev/null
	M3=$(chat-add -s "$S" "third" | jq -r .id)
	p=$(common_prefix "$M2" "$M3")
	before=$(store_dump)
	run --separate-stderr chat-note 0000ffff text
	[ "$status" -eq 3 ]; one_error chat-note
	[ "$stderr" = "chat-note: unknown message '0000ffff'" ]
	run --separate-stderr chat-note "$p" text
	[ "$status" -eq 4 ]; one_error chat-note
	run --separate-stderr chat-note
	[ "$status" -eq 2 ]; one_error chat-note
	run --separate-stderr chat-note "$M1" "" < /dev/null
	[ "$status" -eq 2 ]; one_error chat-note
	run --separate-stderr chat-note --ls --rm x
	[ "$status" -eq 2 ]; one_error chat-note
	run --separate-stderr chat-note --ls "$M1" "$M2"
	[ "$status" -eq 2 ]; one_error chat-note
	run --separate-stderr chat-note --rm x "$M1" "$M2"
	[ "$status" -eq 2 ]; one_error chat-note
	run --separate-stderr chat-note --ls -q x
	[ "$status" -eq 2 ]; one_error chat-note
	[ "$(store_dump)" = "$before" ]
	chat-rm -f --message "$M3" > /dev/null
	before=$(store_dump)
	run --separate-stderr chat-note "$M3" text
	[ "$status" -eq 3 ]; one_error chat-note
	run --separate-stderr chat-note --ls "$M3"
	[ "$status" -eq 3 ]; one_error chat-note
	[ "$(store_dump)" = "$before" ]
}

@test "notes are never sent to a model: the request carries the content alone" {
	chat-note -q Ottawa "$M2" "SECRET-NOTE-TEXT" > /dev/null
	chat-note "$M1" "ANOTHER-NOTE" > /dev/null
	fake_start "text=Yes."
	export ANTHROPIC_BASE_URL=$FAKE_URL ANTHROPIC_API_KEY=sk-ant-test-note
	chat-send -s n "And before?" < /dev/null > /dev/null
	req=$(fake_requests | tail -n 1)
	# the context went: both earlier messages, their content
	[ "$(jq -c '[.body.messages[] | .content[0].text]' <<< "$req")" = '["What is the capital of Canada?","Ottawa, since 1857.","And before?"]' ]
	! grep -q 'SECRET-NOTE-TEXT\|ANOTHER-NOTE' <<< "$req"
	[ "$(fake_requests | grep -c 'NOTE')" -eq 0 ]
}

@test "text that is not UTF-8, given or on stdin, is refused (5), not mended into U+FFFD" {
	before=$(store_dump)
	run --separate-stderr chat-note "$M1" $'bad \xff byte'
	[ "$status" -eq 5 ]; one_error chat-note
	[ "$stderr" = "chat-note: the note is not valid UTF-8; nothing changed" ]
	run --separate-stderr bash -c "printf 'bad \\xc3 byte\\n' | chat-note '$M1'"
	[ "$status" -eq 5 ]; one_error chat-note
	[ "$stderr" = "chat-note: the note is not valid UTF-8; nothing changed" ]
	# 65536 bytes that are not UTF-8: refused for what they are, not as
	# the 196608 bytes they would mend into
	run --separate-stderr bash -c "head -c 65536 /dev/zero | tr '\\0' '\\377' | chat-note '$M1'"
	[ "$status" -eq 5 ]; one_error chat-note
	[ "$(store_dump)" = "$before" ]
	# valid UTF-8 is kept byte for byte
	chat-note "$M1" 'é ✓' > /dev/null
	[ "$(notes "$M1" | jq -r '.[0].text')" = 'é ✓' ]
}

@test "--rm of a note whose id is on two messages (an older confab's branch copied it); MESSAGE chooses one" {
	nid=$(chat-note "$M1" "kept on both" | jq -r .id)
	chat-branch --name br --at "$M1" n > /dev/null
	B1=$(chat-show --json br | jq -r 'select(.type == "message") | .id' | head -1)
	# a branch gives its copy an id of its own now; before, it kept the id
	[ "$(chat-note --ls | jq -r .id | sort -u | wc -l)" -eq 2 ]
	store_sql "UPDATE messages SET extra = json_set(extra, '\$.notes[0].id', '$nid') WHERE id = '$B1'"
	[ "$(chat-note --ls | jq -r .id | sort -u)" = "$nid" ]
	before=$(store_dump)
	run --separate-stderr chat-note --rm "$nid"
	[ "$status" -eq 4 ]; one_error chat-note
	[ "$stderr" = "chat-note: note '$nid' is on 2 messages, $M1 and $B1: name the message after it" ]
	# copies of one note and another note after them: a prefix of both
	# is ambiguous, not one note on three messages
	B2=$(chat-add -s br "later" | jq -r .id)
	other=$(chat-note "$B2" "another" | jq -r .id)
	p=$(common_prefix "$nid" "$other")
	before=$(store_dump)
	run --separate-stderr chat-note --rm "$p"
	[ "$status" -eq 4 ]; one_error chat-note
	[[ "$stderr" == "chat-note: ambiguous note prefix '$p' matches "* ]]
	[ "$(store_dump)" = "$before" ]
	chat-note --rm "$other" > /dev/null
	# the branch's copy goes, the parent's stays
	run -0 chat-note --rm "${nid:0:8}" "$B1"
	[ "$(jq -r '[.id, .messageId] | join(" ")' <<< "$output")" = "$nid $B1" ]
	[ "$(chat-note --ls | jq -r .messageId)" = "$M1" ]
	run --separate-stderr chat-note --rm "$nid" "$B1"
	[ "$status" -eq 3 ]; one_error chat-note
	[ "$stderr" = "chat-note: unknown note '$nid' on message '$B1'" ]
	run -0 chat-note --rm "$nid"
	[ "$(chat-note --ls)" = "" ]
}

@test "a note of blanks only is no text: refused (2), nothing stored" {
	before=$(store_dump)
	run --separate-stderr chat-note "$M1" "" ""
	[ "$status" -eq 2 ]; one_error chat-note
	[ "$stderr" = "chat-note: no text: a note cannot be empty; nothing changed" ]
	run --separate-stderr chat-note "$M1" $' \t '
	[ "$status" -eq 2 ]; one_error chat-note
	run --separate-stderr bash -c "printf '\\n  \\n\\n' | chat-note '$M1'"
	[ "$status" -eq 2 ]; one_error chat-note
	[ "$(store_dump)" = "$before" ]
	# words with blanks around them are kept as given
	chat-note "$M1" " spaced " > /dev/null
	[ "$(notes "$M1" | jq -r '.[0].text')" = " spaced " ]
}

