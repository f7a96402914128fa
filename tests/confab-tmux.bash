# confab in a real terminal for the bats suites 141, 142 and 145: load it
# after helper, with SOCK and RUN set in setup (a tmux socket of the test's
# own, and a folder for confab's exit status).
# As in tests/140-confab.bats: confab in a 100x40 tmux
# pane, from $WORK, its exit status in $RUN/exit.
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }

start() {
	local a q=
	for a in "$@"; do q+=" $(printf '%q' "$a")"; done
	mkdir -p "${WORK:=$BATS_TEST_TMPDIR/work}"
	# a second start in one test: exited must wait for this confab, not
	# read the last one's status (or catch it half rewritten)
	rm -f "$RUN/exit"
	cat > "$RUN/wrap" <<-EOF
		#!/bin/bash
		cd $(printf '%q' "$WORK")
		$(printf '%q' "$ROOT/bin/confab")$q < /dev/tty
		echo \$? > "$RUN/exit"
		sleep 600
	EOF
	chmod +x "$RUN/wrap"
	tm new-session -d -x 100 -y 40 "$RUN/wrap"
	wait_for '> ' || return 1
}

keys() { tm send-keys "$@"; }
typed() { tm send-keys -l "$1"; }
screen() { tm capture-pane -p -J -S -2000; }

wait_for() {
	local i
	for ((i = 0; i < ${WAIT:-10} * 20; i++)); do
		screen | grep -qE -- "$1" && return 0
		sleep 0.05
	done
	echo "never on the screen: $1" >&2
	screen >&2
	return 1
}

on_screen() { screen | grep -cE -- "$1" || true; }

# A prompt: "NAME (MODEL)> ", or "NAME (MODEL) + FILE, ...> " with files
# attached.
PROMPT='\)( \+ [^>]*)?> '


# Types a line, Enter, and waits for the prompt to come back once more.
line() {
	local before
	before=$(on_screen "$PROMPT")
	typed "$1"
	keys Enter
	local i
	for ((i = 0; i < ${WAIT:-10} * 20; i++)); do
		[ "$(on_screen "$PROMPT")" -gt "$before" ] && return 0
		sleep 0.05
	done
	echo "the prompt did not come back after: $1" >&2
	screen >&2
	return 1
}

exited() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ -s "$RUN/exit" ] && { cat "$RUN/exit"; return 0; }
		sleep 0.05
	done
	echo "confab did not exit" >&2
	screen >&2
	return 1
}
