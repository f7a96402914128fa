#!/usr/bin/env bats
# sendHistory: what --auto-context meant before schema 6 ("send the context
# window automatically") under its own name, and the stored values moved
# there, so that autoContext can mean attaching recent activity.

load helper

db() {
	store_sql "$@"
}

settings() {
	chat-ls --all --json | jq -c --arg id "$1" 'select(.id == $id) | [.settings.autoContext, .settings.sendHistory]'
}

@test "a schema-5 store migrates to 6: auto_context moves to send_history, auto_context starts off" {
	sqlite_only "SQLite's schema 5 and its migrations; PostgreSQL's schema starts whole"
	A=$(new_session --name on)
	B=$(new_session --name off)
	chat-add -s "$A" hello > /dev/null
	# what a schema-5 store is: no send_history column, auto_context the old meaning
	db "DROP INDEX messages_author; ALTER TABLE messages DROP COLUMN author; ALTER TABLE sessions DROP COLUMN send_history; PRAGMA user_version = 5;
	    UPDATE sessions SET auto_context = 1 WHERE id = '$A'"
	[[ "$(db "SELECT group_concat(name) FROM pragma_table_info('sessions')")" != *send_history* ]]
	before=$(db -quote "SELECT id, name, created, last_updated, message_count, tags FROM sessions ORDER BY n")
	run -0 chat-ls --json
	[ "$(db 'PRAGMA user_version')" = 7 ]
	[ "$(db "SELECT auto_context || ',' || send_history FROM sessions WHERE id = '$A'")" = 0,1 ]
	[ "$(db "SELECT auto_context || ',' || send_history FROM sessions WHERE id = '$B'")" = 0,0 ]
	[ "$(settings "$A")" = '[false,true]' ]
	[ "$(settings "$B")" = '[false,false]' ]
	# nothing else in the rows changed
	[ "$(db -quote "SELECT id, name, created, last_updated, message_count, tags FROM sessions ORDER BY n")" = "$before" ]
}

@test "chat-new and chat-set: --send-history and --auto-context are two settings" {
	S=$(new_session --send-history)
	[ "$(settings "$S")" = '[false,true]' ]
	T=$(new_session --auto-context --no-send-history)
	[ "$(settings "$T")" = '[true,false]' ]
	run -0 chat-set --no-send-history "$S"
	[ "$(settings "$S")" = '[false,false]' ]
	run -0 chat-set --auto-context --send-history "$S"
	[ "$(settings "$S")" = '[true,true]' ]
	run -0 chat-set --no-auto-context "$S"
	[ "$(settings "$S")" = '[false,true]' ]
	[ "$(db "SELECT auto_context || ',' || send_history FROM sessions WHERE id = '$S'")" = 0,1 ]
}

@test "the config: send-history is the old meaning, auto-context the new one" {
	mkdir -p "$XDG_CONFIG_HOME/confab"
	printf '[defaults]\nsend-history = yes\n' > "$XDG_CONFIG_HOME/confab/config"
	S=$(new_session)
	[ "$(settings "$S")" = '[false,true]' ]
	printf '[defaults]\nauto-context = on\n' > "$XDG_CONFIG_HOME/confab/config"
	S=$(new_session)
	[ "$(settings "$S")" = '[true,false]' ]
	printf '[defaults]\nsend-history = maybe\n' > "$XDG_CONFIG_HOME/confab/config"
	run -7 --separate-stderr chat-new
	[[ $stderr == *"invalid send-history 'maybe'"* ]]
}

@test "importing an old confab export: its autoContext becomes sendHistory; a new one is kept as it is" {
	cd "$BATS_TEST_TMPDIR"
	cat > old.json <<-'EOF'
	{"type":"session","id":"0d1a2b3c-0000-4000-8000-000000000031","name":"old","created":"2025-01-01T00:00:00.000Z","lastUpdated":"2025-01-02T00:00:00.000Z","provider":null,"model":null,"settings":{"temperature":null,"maxTokens":4096,"systemPrompt":null,"autoContext":true,"contextWindow":50},"metadata":{"messageCount":0,"totalTokens":0,"tags":[],"starred":false,"archived":false},"messages":[]}
	EOF
	cat > new.json <<-'EOF'
	{"type":"session","id":"0d1a2b3c-0000-4000-8000-000000000032","name":"new","created":"2025-01-01T00:00:00.000Z","lastUpdated":"2025-01-02T00:00:00.000Z","provider":null,"model":null,"settings":{"temperature":null,"maxTokens":4096,"systemPrompt":null,"autoContext":true,"contextWindow":50,"sendHistory":false},"metadata":{"messageCount":0,"totalTokens":0,"tags":[],"starred":false,"archived":false},"messages":[]}
	EOF
	run -0 chat-import old.json
	run -0 chat-import new.json
	[ "$(settings 0d1a2b3c-0000-4000-8000-000000000031)" = '[false,true]' ]
	[ "$(settings 0d1a2b3c-0000-4000-8000-000000000032)" = '[true,false]' ]
	# and an export of today's store says both, so it comes back the same
	[ -x "$ROOT/bin/chat-export" ] || skip "chat-export is not built"
	run -0 chat-export -f json 0d1a2b3c-0000-4000-8000-000000000031
	[ "$(jq -c '[.settings.autoContext, .settings.sendHistory]' <<< "$output")" = '[false,true]' ]
}

@test "the man pages and completions say both options" {
	for p in chat-new chat-set chat-template; do
		grep -q -- 'Fl -send-history' "$ROOT/man/$p.1"
		grep -q -- '--send-history' "$ROOT/completions/bash/$p"
		grep -q -- '--send-history' "$ROOT/completions/zsh/_$p"
		grep -q -- '-l send-history' "$ROOT/completions/fish/$p.fish"
	done
	grep -q 'Cm send-history' "$ROOT/man/confab.5"
	grep -q 'Sy Changed' "$ROOT/man/confab.5"
	grep -q 'Li sendHistory' "$ROOT/man/confab.7"
}
