#!/usr/bin/env bats
# chat-react: a reaction on a message ({emoji, user, timestamp} in
# metadata.reactions), once per user and emoji, taken off with --remove;
# what is not one emoji refused; chat-show and chat-ls --where see them;
# twenty programs reacting, noting and deleting at once lose nothing.

load helper

setup() {
	common_setup
	export USER=alice
	ME=$(store_user)
	S=$(new_session --name r)
	M1=$(chat-add -s "$S" "first words" | jq -r .id)
	M2=$(chat-add -s "$S" -r assistant "a reply" | jq -r .id)
}

reactions() { chat-show --json r | jq -c "select(.id == \"$1\") | .metadata.reactions | map([.emoji, .user])"; }

@test "a reaction is stored with its user and time, and printed with the message" {
	run -0 --separate-stderr chat-react "$M2" 👍
	[ -z "$stderr" ]
	[ "$(jq -r .id <<< "$output")" = "$M2" ]
	[ "$(jq -c '.metadata.reactions | map(keys)' <<< "$output")" = '[["emoji","timestamp","user"]]' ]
	[ "$(jq -r '.metadata.reactions[0] | [.emoji, .user] | join(" ")' <<< "$output")" = "👍 $ME" ]
	ts=$(jq -r '.metadata.reactions[0].timestamp' <<< "$output")
	[[ "$ts" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z$ ]]
	[ "$(store_sql "SELECT json_extract(reactions, '\$[0].emoji') FROM messages WHERE id = '$M2'")" = 👍 ]
	[ "$(reactions "$M1")" = '[]' ]
	# chat-show shows it to people
	run -0 on_tty chat-show --plain r
	[[ "$output" == *"👍 1"* ]]
}

@test "the same user and emoji twice is stored once; another user or emoji adds one" {
	chat-react "$M1" 👍 > /dev/null
	before=$(store_dump)
	run -0 --separate-stderr chat-react "${M1:0:20}" 👍
	[ "$stderr" = "chat-react: message '$M1' already has your 👍: nothing changed" ]
	[ "$(store_dump)" = "$before" ]
	as_user bob chat-react "$M1" 👍 > /dev/null
	chat-react "$M1" 🎉 > /dev/null
	[ "$(reactions "$M1")" = "[[\"👍\",\"$ME\"],[\"👍\",\"bob\"],[\"🎉\",\"$ME\"]]" ]
	# chat-react's terminal line: who gave which
	run -0 on_tty chat-react "$M1" 🎉
	[[ "$output" == *"$M1  👍 $ME, bob  🎉 $ME"* ]]
}

@test "--remove takes only your reaction off; removing one you did not give changes nothing" {
	chat-react "$M1" 👍 > /dev/null
	as_user bob chat-react "$M1" 👍 > /dev/null
	run -0 chat-react --remove "$M1" 👍
	[ "$(jq -c '.metadata.reactions | map(.user)' <<< "$output")" = '["bob"]' ]
	before=$(store_dump)
	run -0 --separate-stderr chat-react -r "$M1" 👍
	[ "$stderr" = "chat-react: message '$M1' does not have your 👍: nothing changed" ]
	[ "$(store_dump)" = "$before" ]
}

@test "one emoji: ZWJ sequences, skin tones, VS16, flags and keycaps; not text, two emoji or a lone indicator" {
	for e in 👍 👍🏽 ❤️ 👩‍💻 👨‍👩‍👧 🏳️‍🌈 🇯🇵 1️⃣ '#⃣' ✅ ™ 🏴󠁧󠁢󠁳󠁣󠁴󠁿; do
		chat-react "$M1" "$e" > /dev/null || { echo "refused $e"; return 1; }
	done
	[ "$(reactions "$M1" | jq length)" -eq 12 ]
	before=$(store_dump)
	for e in a ok 👍👍 🇯 '' ' ' 1 '👍 ' $'\xff' '‍👍' '👍‍' ⠿; do
		run --separate-stderr chat-react "$M1" "$e"
		[ "$status" -eq 2 ] || { echo "took '$e'"; return 1; }
		one_error chat-react
		[[ "$stderr" == "chat-react: invalid reaction '"* ]]
	done
	[ "$(store_dump)" = "$before" ]
}

@test "bad input: one line, its exit status, the store unchanged" {
	M3=$(chat-add -s "$S" "another" | jq -r .id)
	common=$(common_prefix "$M2" "$M3")
	before=$(store_dump)
	run --separate-stderr chat-react 0000ffff 👍
	[ "$status" -eq 3 ]; one_error chat-react
	[ "$stderr" = "chat-react: unknown message '0000ffff'" ]
	run --separate-stderr chat-react "$common" 👍
	[ "$status" -eq 4 ]; one_error chat-react
	[[ "$stderr" == "chat-react: ambiguous message prefix '$common' matches "* ]]
	run --separate-stderr chat-react "$M1"
	[ "$status" -eq 2 ]; one_error chat-react
	run --separate-stderr chat-react "$M1" 👍 extra
	[ "$status" -eq 2 ]; one_error chat-react
	run --separate-stderr chat-react
	[ "$status" -eq 2 ]; one_error chat-react
	[ "$(store_dump)" = "$before" ]
	# a deleted message is an unknown one
	chat-rm -f --message "$M3" > /dev/null
	before=$(store_dump)
	run --separate-stderr chat-react "$M3" 👍
	[ "$status" -eq 3 ]; one_error chat-react
	[ "$(store_dump)" = "$before" ]
}

@test "a reply still arriving takes no reaction" {
	store_sql "UPDATE messages SET pending = 'host:1:1' WHERE id = '$M2'"
	before=$(store_dump)
	run --separate-stderr chat-react "$M2" 👍
	[ "$status" -eq 1 ]; one_error chat-react
	[ "$stderr" = "chat-react: message '$M2' is a reply still arriving; nothing changed" ]
	[ "$(store_dump)" = "$before" ]
}

@test "session records carry their messages' reactions: chat-ls --where finds them" {
	T=$(new_session --name quiet)
	chat-add -s "$T" "nothing here" > /dev/null
	chat-react "$M2" 👍 > /dev/null
	as_user bob chat-react "$M1" 🎉 > /dev/null
	run -0 chat-ls --where '.metadata.reactions | length > 0'
	[ "$(jq -r .name <<< "$output")" = r ]
	[ "$(jq -c '.metadata.reactions | map([.emoji, .user, .messageId])' <<< "$output")" = "[[\"🎉\",\"bob\",\"$M1\"],[\"👍\",\"$ME\",\"$M2\"]]" ]
	run -0 chat-ls --where "any(.metadata.reactions[]; .emoji == \"👍\" and .user == \"$ME\")"
	[ "$(jq -r .name <<< "$output")" = r ]
	run -0 chat-ls --where 'any(.metadata.reactions[]; .emoji == "🚀")'
	[ -z "$output" ]
	[ "$(chat-ls --json | jq -r 'select(.name == "quiet") | .metadata.reactions | length')" = 0 ]
	# taken off, gone from the session's record too
	chat-react -r "$M2" 👍 > /dev/null
	as_user bob chat-react -r "$M1" 🎉 > /dev/null
	run -0 chat-ls --where '.metadata.reactions | length > 0'
	[ -z "$output" ]
}

@test "twenty programs reacting, noting and deleting on one store at once: none fails, nothing is lost" {
	for i in $(seq 1 10); do chat-add -s "$S" "doomed $i" > /dev/null; done
	mapfile -t doomed < <(chat-show --json r | jq -r 'select(.content | startswith("doomed")) | .id')
	[ "${#doomed[@]}" -eq 10 ]
	pids=()
	for i in $(seq 1 20); do
		case $((i % 3)) in
		0) as_user "u$i" chat-react "$M1" 👍 > "$BATS_TEST_TMPDIR/out$i" 2>&1 & ;;
		1) chat-note "$M2" "note $i" > "$BATS_TEST_TMPDIR/out$i" 2>&1 & ;;
		2) chat-rm -f --message "${doomed[$((i / 3))]}" > "$BATS_TEST_TMPDIR/out$i" 2>&1 & ;;
		esac
		pids+=($!)
	done
	failed=0
	for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
	cat "$BATS_TEST_TMPDIR"/out* | grep -v '^{' || true
	[ "$failed" -eq 0 ]
	# every reaction and every note landed, every deletion took
	want_r=$(for i in $(seq 1 20); do [ $((i % 3)) = 0 ] && echo "u$i"; done | sort | paste -sd,)
	[ "$(chat-show --json r | jq -r "select(.id == \"$M1\") | .metadata.reactions[].user" | sort | paste -sd,)" = "$want_r" ]
	want_n=$(for i in $(seq 1 20); do [ $((i % 3)) = 1 ] && echo "note $i"; done | sort | paste -sd,)
	[ "$(chat-note --ls "$M2" --json | jq -r .text | sort | paste -sd,)" = "$want_n" ]
	n_rm=$(for i in $(seq 1 20); do [ $((i % 3)) = 2 ] && echo; done | wc -l)
	[ "$(chat-show --json r | jq -r 'select(.content | startswith("doomed")) | .id' | wc -l)" -eq $((10 - n_rm)) ]
	[ "$(chat-ls --json | jq -r 'select(.name == "r") | .metadata.messageCount')" -eq $((12 - n_rm)) ]
	# SQLite's own check of its file
	[ "${CONFAB_TEST_DB:-}" = pg ] || [ "$(store_sql 'PRAGMA integrity_check')" = ok ]
}

@test "an emoji with or without its VS16 is the same reaction: given once, taken off either way" {
	chat-react "$M1" ❤️ > /dev/null
	before=$(store_dump)
	run -0 --separate-stderr chat-react "$M1" ❤
	[ "$stderr" = "chat-react: message '$M1' already has your ❤: nothing changed" ]
	[ "$(store_dump)" = "$before" ]
	run -0 --separate-stderr chat-react -r "$M1" ❤
	[ -z "$stderr" ]
	[ "$(reactions "$M1")" = '[]' ]
	chat-react "$M1" 1⃣ > /dev/null
	run -0 --separate-stderr chat-react "$M1" 1️⃣
	[[ "$stderr" == *"already has your 1️⃣: nothing changed" ]]
	[ "$(reactions "$M1")" = "[[\"1⃣\",\"$ME\"]]" ]
	# other emoji stay apart
	chat-react "$M1" 👍 > /dev/null
	chat-react "$M1" 👍🏽 > /dev/null
	[ "$(reactions "$M1" | jq length)" -eq 3 ]
}

@test "a refused emoji with a newline or an escape is shown cleaned: still one line" {
	before=$(store_dump)
	run --separate-stderr chat-react "$M1" $'👍\nchat-react: fooled'
	[ "$status" -eq 2 ]; one_error chat-react
	[[ "$stderr" == "chat-react: invalid reaction '👍"* ]]
	run --separate-stderr chat-react "$M1" $'\e]0;title\a\e[2J'
	[ "$status" -eq 2 ]; one_error chat-react
	[[ "$stderr" != *$'\e'* ]]
	[ "$(store_dump)" = "$before" ]
}
