# helper.bash — loaded by every suite: each test gets its own database,
# config, data and home folders through the environment, and the freshly
# built programs first on PATH.

bats_require_minimum_version 1.5.0

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
PATH="$ROOT/bin:$PATH"

common_setup() {
	export CHAT_DB="$BATS_TEST_TMPDIR/data/chat.db"
	export XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/config"
	export XDG_DATA_HOME="$BATS_TEST_TMPDIR/xdg-data"
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	unset NO_COLOR ANTHROPIC_API_KEY OPENAI_API_KEY GEMINI_API_KEY \
		GOOGLE_API_KEY ANTHROPIC_BASE_URL OPENAI_BASE_URL \
		GOOGLE_GEMINI_BASE_URL OLLAMA_HOST
	export TERM=xterm
}

setup() {
	common_setup
}

# Runs a command line on a pseudo-terminal, for the output meant for people.
on_tty() {
	script -qec "$*" /dev/null
}

# Writes the config file.
config() {
	mkdir -p "$XDG_CONFIG_HOME/confab"
	cat > "$XDG_CONFIG_HOME/confab/config"
}

# Creates a session and prints its id.
new_session() {
	chat-new "$@" | jq -r .id
}

# Runs a command line on a pseudo-terminal; output without the terminal's
# carriage returns, lines (empty ones kept) in $lines.
tty_run() {
	run on_tty "$@"
	output="${output//$'\r'/}"
	mapfile -t lines <<< "$output"
}

# An error is one line on stderr that starts with the program's name.
one_line_error() {
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "${stderr_lines[0]}" == "$1"* ]]
}

# The longest common prefix of two strings.
common_prefix() {
	local a=$1 b=$2 i=0
	while [ "$i" -lt "${#a}" ] && [ "${a:i:1}" = "${b:i:1}" ]; do
		i=$((i + 1))
	done
	echo "${a:0:i}"
}

# After `run --separate-stderr`: nothing on stdout, one line on stderr that
# starts with the program's name.
one_error() {
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "${stderr_lines[0]}" == "$1: "* ]]
}

# Rows in a table of the store.
count() {
	sqlite3 "$CHAT_DB" "SELECT count(*) FROM $1"
}
