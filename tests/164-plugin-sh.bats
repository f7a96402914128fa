#!/usr/bin/env bats
# chat-plugin-sh: a command line through /bin/sh -c (said so), its output
# and exit status as context; stdin /dev/null; the time limit and the
# output limit kill its process group; each failure one error record.

load helper

setup() {
	common_setup
	W=$BATS_TEST_TMPDIR/work
	mkdir -p "$W"
	cd "$W"
}

error_record() {
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r .type <<< "$output")" = error ]
	[[ "$(jq -r .message <<< "$output")" == "$1"* ]] || { echo "message: $output"; return 1; }
	# the same line on stderr, for a host that shows that after the exit status
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "${stderr_lines[0]}" = "chat-plugin-sh: $(jq -r .message <<< "$output")" ]
}

ctx() { jq -r 'select(.type == "context").content' <<< "$output"; }
said() { jq -r 'select(.type == "text").content' <<< "$output"; }

# The processes whose command line is exactly $1 (none: empty).
running() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(tr '\0' ' ' < "$p/cmdline" 2>/dev/null)" = "$1 " ] && echo "${p#/proc/}"
	done
	return 0
}

@test "--describe: one command, the sh_run tool, both saying a shell runs it" {
	run -0 --separate-stderr chat-plugin-sh --describe
	[ -z "$stderr" ]
	[ "$(jq -r .name <<< "$output")" = sh ]
	[ "$(jq -c '[.commands[] | [.name, .usage]]' <<< "$output")" = '[["run","COMMAND..."]]' ]
	[[ $(jq -r '.commands[0].description' <<< "$output") == *"/bin/sh -c"* ]]
	[ "$(jq -r '.tools | length' <<< "$output")" = 1 ]
	jq -e '.tools[0] | .name == "sh_run" and (.description | test("Runs a shell command")) and
		(.description | test("/bin/sh -c")) and .input_schema.type == "object" and
		.input_schema.properties.command.type == "string" and .input_schema.required == ["command"]' <<< "$output"
	run -0 chat-plugin-sh --help
	[[ $output == *"/bin/sh -c"* ]]
}

@test "run: output and exit status fenced as context, and a line saying the shell ran it" {
	run -0 --separate-stderr chat-plugin-sh run 'echo out; echo err >&2; exit 3' < <(echo '{"type":"session","id":"s"}')
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -r .type <<< "${lines[0]}")" = context ]
	c=$(ctx)
	[[ $c == "A shell command, run by /bin/sh -c in $W:"* ]]
	[[ $c == *'```sh'$'\n''echo out; echo err >&2; exit 3'$'\n''```'* ]]
	[[ $c == *'```text'$'\n''out'$'\n''err'$'\n''```'* ]]
	[[ $c == *'Exit status: 3'* ]]
	[ "$(said)" = "ran 'echo out; echo err >&2; exit 3' with /bin/sh -c: exit status 3, 2 lines of output attached" ]
}

@test "run: the words are one command line; the shell does pipes and globs; no output is said" {
	touch one.c two.c
	run -0 chat-plugin-sh run ls '*.c' '|' wc -l < /dev/null
	[[ $(ctx) == *'```sh'$'\n''ls *.c | wc -l'$'\n'* ]]
	[[ $(ctx) == *'```text'$'\n''2'$'\n''```'* ]]
	run -0 chat-plugin-sh run true < /dev/null
	[[ $(ctx) == *"It printed nothing."* ]]
	[ "$(said)" = "ran 'true' with /bin/sh -c: exit status 0, no output" ]
	# a word with a blank or a quote was quoted where it was typed: again
	run -0 chat-plugin-sh run printf '%s,' 'a  b' "it's" '' '$HOME' < /dev/null
	[[ $(ctx) == *'```sh'$'\n'"printf %s, 'a  b' 'it'\\''s' '' \$HOME"$'\n'* ]]
	[[ $(ctx) == *'```text'$'\n'"a  b,it's,,$HOME,"$'\n''```'* ]]
	# an option-like word is the command's
	run -0 chat-plugin-sh run echo -n hi < /dev/null
	[[ $(ctx) == *'```text'$'\n''hi'$'\n''```'* ]]
}

@test "run: the command's stdin is /dev/null, not the session records; no other descriptor of ours" {
	run -0 chat-plugin-sh run 'readlink /proc/self/fd/0; wc -c' < <(printf '%s\n' '{"type":"session"}' '{"type":"message"}')
	[[ $(ctx) == *'```text'$'\n''/dev/null'$'\n''0'$'\n''```'* ]]
	run -0 chat-plugin-sh run 'ls /proc/$$/fd' 7< /dev/null 9> /dev/null < /dev/null
	[[ $(ctx) == *'```text'$'\n''0'$'\n''1'$'\n''2'$'\n''```'* ]]
}

@test "run: a command killed by a signal is reported as such" {
	run -0 chat-plugin-sh run 'kill -9 $$' < /dev/null
	[[ $(ctx) == *"Exit status: none: killed by signal 9 (Killed)"* ]]
	[[ $(said) == "ran 'kill -9 \$\$' with /bin/sh -c: killed by a signal; no output" ]]
}

@test "a hanging command: killed with its group at CONFAB_PLUGIN_TIMEOUT, one error record" {
	run -1 --separate-stderr env CONFAB_PLUGIN_TIMEOUT=1 chat-plugin-sh run 'sleep 4097 & sleep 4098; echo never' < /dev/null
	error_record "'sleep 4097 & sleep 4098; echo never' took longer than 1 s (CONFAB_PLUGIN_TIMEOUT): the shell and what it started were killed"
	[ -z "$(running 'sleep 4097')" ]
	[ -z "$(running 'sleep 4098')" ]
}

@test "what a command leaves in the background holds neither the plugin nor the pipe" {
	# were the leftover waited for, this would end at the time limit
	run -0 --separate-stderr env CONFAB_PLUGIN_TIMEOUT=60 chat-plugin-sh run 'sleep 4099 & echo started' < /dev/null
	[ -z "$stderr" ]
	[[ $(ctx) == *'```text'$'\n''started'$'\n''```'*'Exit status: 0'* ]]
	[ -z "$(running 'sleep 4099')" ]
}

@test "huge output: stopped at CONFAB_PLUGIN_MAX_BYTES, cut at a line, said in both records" {
	run -0 --separate-stderr env CONFAB_PLUGIN_MAX_BYTES=4096 chat-plugin-sh run yes y4101 < /dev/null
	[ -z "$stderr" ]
	c=$(ctx)
	[ "${#c}" -lt 4600 ]
	# whole lines only: 682 of 6 bytes fit in 4096
	[ "$(sed -n '/^```text$/,/^```$/p' <<< "$c" | grep -cvx '```text\|```\|y4101')" -eq 0 ]
	[ "$(grep -cx y4101 <<< "$c")" -eq 682 ]
	[[ $c == *"Exit status: none: its output passed 4 KiB (CONFAB_PLUGIN_MAX_BYTES), so it was killed with what it started"* ]]
	[ "$(said)" = "ran 'yes y4101' with /bin/sh -c: stopped at the output limit; 682 lines of output attached" ]
	[ -z "$(running 'yes y4101')" ]
}

@test "output with backticks gets a longer fence" {
	run -0 chat-plugin-sh run "printf '\`\`\`\`\\nx\\n'" < /dev/null
	[[ $(ctx) == *'`````text'$'\n''````'$'\n''x'$'\n''`````'* ]]
}

@test "SIGTERM to the plugin (the host's time limit) ends the command's group too" {
	chat-plugin-sh run 'touch ready; sleep 4100' < /dev/null > out 2> err &
	pid=$!
	for _ in $(seq 200); do [ -e ready ] && break; sleep 0.05; done
	[ -e ready ]
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 143 ]
	[ "$(jq -r .message out)" = "'/bin/sh' stopped by a termination signal" ]
	[ "$(cat err)" = "chat-plugin-sh: '/bin/sh' stopped by a termination signal" ]
	[ -z "$(running 'sleep 4100')" ]
}

@test "--tool sh_run: the context record alone, the exit status in it" {
	run -0 --separate-stderr chat-plugin-sh --tool sh_run <<< '{"command": "echo hi; exit 4"}'
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r .type <<< "$output")" = context ]
	[[ $(ctx) == *'```text'$'\n''hi'$'\n''```'*'Exit status: 4'* ]]
	run -2 --separate-stderr chat-plugin-sh --tool sh_run <<< '{}'
	error_record "the input has no 'command'"
	run -2 --separate-stderr chat-plugin-sh --tool sh_run <<< '{"command": ""}'
	error_record "the input's 'command' is empty"
	run -2 --separate-stderr chat-plugin-sh --tool sh_run <<< '{"command": ["ls"]}'
	error_record "invalid 'command' in the input: expected a string"
	run -5 --separate-stderr chat-plugin-sh --tool sh_run <<< 'ls'
	error_record "the tool's input is not JSON"
}

@test "usage errors and bad limits are error records with their statuses" {
	run -2 --separate-stderr chat-plugin-sh run < /dev/null
	error_record "run needs a command"
	run -2 --separate-stderr chat-plugin-sh exec ls < /dev/null
	error_record "unknown command 'exec': expected run"
	run -7 --separate-stderr env CONFAB_PLUGIN_TIMEOUT=0 chat-plugin-sh run true < /dev/null
	error_record "invalid CONFAB_PLUGIN_TIMEOUT '0'"
	run -7 --separate-stderr env CONFAB_PLUGIN_MAX_BYTES=lots chat-plugin-sh run true < /dev/null
	error_record "invalid CONFAB_PLUGIN_MAX_BYTES 'lots'"
	run -2 --separate-stderr chat-plugin-sh --tool
	one_error chat-plugin-sh
}

@test "through chat-plugin run: the session's id reaches the command; [plugin.sh] timeout is the time limit" {
	S=$(new_session -n work -p echo)
	run -0 --separate-stderr chat-plugin run sh run 'echo "$CONFAB_SESSION"' -s work
	[ -z "$stderr" ]
	[[ $(ctx) == *'```text'$'\n'"$S"$'\n''```'* ]]
	chat-plugin config sh timeout 1 > /dev/null
	run -1 --separate-stderr chat-plugin run sh run sleep 4102
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "${stderr_lines[0]}" = "chat-plugin: plugin 'sh': 'sleep 4102' took longer than 1 s (CONFAB_PLUGIN_TIMEOUT): the shell and what it started were killed" ]
	[ -z "$(running 'sleep 4102')" ]
}

@test "without [plugin.sh] timeout, its limit is a little under the host's plugin-timeout: the plugin's words, not the host's" {
	config <<< 'plugin-timeout = 3'
	run -1 --separate-stderr chat-plugin run sh run sleep 4103
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "${stderr_lines[0]}" = "chat-plugin: plugin 'sh': 'sleep 4103' took longer than 2.7 s (CONFAB_PLUGIN_TIMEOUT): the shell and what it started were killed" ]
	[ -z "$(running 'sleep 4103')" ]
	# and the host says how long it waits
	run -0 chat-plugin run sh run 'echo "$CONFAB_TIME_LIMIT"'
	[[ "$output" == *'```text\n3\n```'* ]]
}
