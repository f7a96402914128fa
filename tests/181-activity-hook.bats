#!/usr/bin/env bats
# chat-activity hook: the snippet in real bash, zsh and fish records each
# failed command (its command line, exit status, cwd and duration) and
# nothing for the ones that succeed; with the store locked the shell goes
# on and the event waits in the queue, then lands in the table.

load helper

setup() {
	common_setup
	export NO_COLOR=1
	cd "$BATS_TEST_TMPDIR"
	mkdir -p "$(dirname "$CHAT_DB")" work "$HOME"
	chat-activity add "start" >/dev/null
}

teardown() {
	if [ -n "${HOLDER:-}" ]; then
		exec 7>&-
		wait "$HOLDER" 2>/dev/null || true
	fi
}

need() { command -v "$1" >/dev/null || skip "$1 is not installed (make deps installs it)"; }

# The commands a user types, after the rc file's line.
typed() {
	printf '%s\n' "cd '$BATS_TEST_TMPDIR/work'" 'false' 'true' "sh -c 'exit 3' # three" '' 'ls >/dev/null' 'exit 0'
}

# Runs the shell interactively on the typed lines: bash and zsh read them
# from a pipe; fish runs its fish_postexec only on a terminal, so it is
# given one (script(1)).
run_shell() {
	chat-activity hook "$1" > "hook.$1"
	case $1 in
	bash) { echo "source '$PWD/hook.bash'"; typed; } | bash --norc --noprofile -i > "out.$1" 2>&1 ;;
	zsh) { echo "source '$PWD/hook.zsh'"; typed; } | zsh -f -i > "out.$1" 2>&1 ;;
	fish) typed > typed.fish
		: > out.fish
		feed out.fish < typed.fish | timeout 60 script -qec "fish --no-config -C 'source $PWD/hook.fish; function fish_prompt; echo -n PROMPT\\>\\ ; end'" /dev/null > out.fish 2>&1 ;;
	esac
}

# Types each line once the shell has shown its prompt for it: fish drops
# what was typed before its reader set the terminal up.
feed() {
	local n=0 line
	while IFS= read -r line; do
		n=$((n + 1))
		for _ in $(seq 400); do
			[ "$(grep -o 'PROMPT> ' "$1" | wc -l)" -ge "$n" ] && break
			sleep 0.05
		done
		printf '%s\n' "$line"
	done
}

# The hook's chat-activity runs in the background: wait for what it adds.
wait_events() {
	for _ in $(seq 200); do
		# ls stores what waits in the queue (two of the hook's programs at
		# once: the one that waited too long for the other queued)
		[ "$(chat-activity ls --kind command | wc -l)" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

check_shell() {
	need "$1"
	run_shell "$1"
	wait_events 2 || { cat -v "out.$1"; chat-activity ls; false; }
	sleep 0.2   # nothing more comes
	run -0 chat-activity ls --kind command
	# the hook's programs run at once, in any order
	[ "$(jq -sc 'sort_by(.data.status) | map([.source, .text, .data.status, .data.cwd])' <<< "$output")" = \
		"[[\"$1\",\"false\",1,\"$BATS_TEST_TMPDIR/work\"],[\"$1\",\"sh -c 'exit 3' # three\",3,\"$BATS_TEST_TMPDIR/work\"]]" ]
	jq -se 'map(.data.durationMs | type == "number" and . >= 0) | all' <<< "$output"
	# no job-control noise where the user sees it
	! grep -E '\[[0-9]+\] +[0-9]+|Done|has ended' "out.$1"
}

@test "bash: only the failed commands, with command line, status, cwd, duration" { check_shell bash; }
@test "zsh: only the failed commands, with command line, status, cwd, duration" { check_shell zsh; }
@test "fish: only the failed commands, with command line, status, cwd, duration" { check_shell fish; }

hold_lock() {
	sqlite_only "the write lock is SQLite's, held from a sqlite3 shell"
	mkfifo "$BATS_TEST_TMPDIR/lock"
	sqlite3 "$CHAT_DB" < "$BATS_TEST_TMPDIR/lock" > "$BATS_TEST_TMPDIR/lock.out" 2>&1 &
	HOLDER=$!
	exec 7> "$BATS_TEST_TMPDIR/lock"
	echo "BEGIN IMMEDIATE; INSERT INTO activity (id, at, kind, text) VALUES ('held', 0, 'note', 'held'); SELECT 'locked';" >&7
	for _ in $(seq 100); do
		grep -q locked "$BATS_TEST_TMPDIR/lock.out" && return 0
		sleep 0.05
	done
	return 1
}

queued() { cat "$XDG_STATE_HOME"/confab/activity-queue/*.jsonl 2>/dev/null | grep -c '"kind":"command"' || true; }

@test "the store locked: each shell goes on, its failures wait in the queue, then land in the table" {
	hold_lock
	n=0
	for sh in bash zsh fish; do
		command -v $sh >/dev/null || continue
		run_shell $sh
		n=$((n + 2))
	done
	# the shells have ended while the lock is still held: the events are queued
	for _ in $(seq 200); do
		[ "$(queued)" -ge "$n" ] && break
		sleep 0.05
	done
	[ "$(queued)" = "$n" ] || { cat "$XDG_STATE_HOME"/confab/activity-queue/*; ls -a "$XDG_STATE_HOME"/confab/activity-queue; cat out.*; false; }
	[ "$(store_sql "SELECT count(*) FROM activity WHERE kind = 'command'")" = 0 ]
	echo "ROLLBACK;" >&7
	exec 7>&-
	wait "$HOLDER"
	HOLDER=
	run -0 chat-activity ls --kind command
	[ "$(jq -s 'length' <<< "$output")" = "$n" ]
	[ "$(jq -s 'map(.data.status) | sort | unique' -c <<< "$output")" = "[1,3]" ]
	[ -z "$(ls "$XDG_STATE_HOME/confab/activity-queue")" ]
}

@test "the snippet names the program by its absolute path, quoted for the shell" {
	mkdir -p "it's here"
	cp "$(command -v chat-activity)" "it's here/chat-activity"
	for sh in bash zsh fish; do
		run -0 "./it's here/chat-activity" hook $sh
		[[ "$output" == *"it"*"s here/chat-activity"*" add --queue --kind command --source $sh"* ]]
	done
	need bash
	"./it's here/chat-activity" hook bash > h
	bash -n h
}

@test "bash: under set -u, sourced twice, odd command lines: no noise, each failure once, kept verbatim" {
	need bash
	chat-activity hook bash > hook.bash
	odd="false \"a b\" '\$(echo x)' \\\\ é '\`x\`'"
	{ echo 'set -u'; echo "source '$PWD/hook.bash'"; echo "source '$PWD/hook.bash'"; printf '%s\n' "$odd" 'true' 'exit 0'; } |
		bash --norc --noprofile -i > out.bash 2>&1
	wait_events 1 || { cat -v out.bash; false; }
	sleep 0.2
	! grep -E 'unbound|command not found|syntax error' out.bash || { cat -v out.bash; false; }
	run -0 chat-activity ls --kind command
	[ "$(jq -s length <<< "$output")" = 1 ]
	[ "$(jq -r .text <<< "$output")" = "$odd" ]
}

@test "bash: a failed command kept out of the history (HISTCONTROL=ignorespace) is not recorded as the one before it" {
	need bash
	chat-activity hook bash > hook.bash
	{ echo 'HISTCONTROL=ignorespace'; echo "source '$PWD/hook.bash'"
	  printf '%s\n' 'echo visible' " sh -c 'exit 4' # hidden" "sh -c 'exit 5' # shown" 'exit 0'; } |
		bash --norc --noprofile -i > out.bash 2>&1
	wait_events 1 || { cat -v out.bash; false; }
	sleep 0.3
	run -0 chat-activity ls --kind command
	[ "$(jq -sc 'map([.text, .data.status])' <<< "$output")" = "[[\"sh -c 'exit 5' # shown\",5]]" ]
}
