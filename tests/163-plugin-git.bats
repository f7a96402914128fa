#!/usr/bin/env bats
# chat-plugin-git, run as chat-plugin runs it (confab-plugin(7)): records
# out for diff, log, show and status in real repositories, the tools on
# JSON input, and each failure one error record with its exit status.

load helper

setup() {
	common_setup
	export GIT_AUTHOR_NAME=Ada GIT_AUTHOR_EMAIL=ada@example.org
	export GIT_COMMITTER_NAME=Ada GIT_COMMITTER_EMAIL=ada@example.org
	R=$BATS_TEST_TMPDIR/repo
	git init -q -b main "$R"
	cd "$R"
	printf 'one\ntwo\nthree\n' > a.txt
	printf 'keep\n' > b.txt
	git add a.txt b.txt
	git commit -qm 'first: a and b'
}

commit() {
	printf '%s\n' "$2" >> "$1"
	git add "$1"
	git commit -qm "$3"
}

# After `run --separate-stderr`: stdout is one error record whose message
# starts with $1, stderr the same message as one line.
error_record() {
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r .type <<< "$output")" = error ]
	[[ "$(jq -r .message <<< "$output")" == "$1"* ]] || { echo "message: $output"; return 1; }
	# the same line on stderr, for a host that shows that after the exit status
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "${stderr_lines[0]}" = "chat-plugin-git: $(jq -r .message <<< "$output")" ]
}

ctx() { jq -r 'select(.type == "context").content' <<< "$output"; }
said() { jq -r 'select(.type == "text").content' <<< "$output"; }

@test "--describe: name, commands and tools, each tool's input an object schema" {
	run -0 --separate-stderr chat-plugin-git --describe
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r .name <<< "$output")" = git ]
	[ "$(jq -c '[.commands[].name]' <<< "$output")" = '["diff","log","show","status"]' ]
	# usage is what follows the command's name (/git diff [PATH...])
	[ "$(jq -c '[.commands[].usage]' <<< "$output")" = '["[PATH...]","[N]","REF",""]' ]
	jq -e '.commands | all((.description | type) == "string" and .description != "")' <<< "$output"
	[ "$(jq -c '[.tools[].name]' <<< "$output")" = '["git_status","git_diff","git_log","git_show"]' ]
	jq -e '.tools | all((.description | length) > 20 and .input_schema.type == "object" and
		(.input_schema.properties | type) == "object" and
		((.input_schema.required // []) - (.input_schema.properties | keys) | length) == 0)' <<< "$output"
	jq -e '.tools[] | select(.name == "git_show") | .input_schema.required == ["ref"]' <<< "$output"
	jq -e '.tools[] | select(.name == "git_log") | .input_schema.properties.count.type == "integer"' <<< "$output"
	# the usage line names the commands too
	run -0 chat-plugin-git --help
	[[ $output == *"diff [PATH...]"* && $output == *git_show* ]]
}

@test "diff: staged then not staged, fenced as diff, untracked files named, a line for the user" {
	printf 'staged line\n' >> a.txt
	git add a.txt
	printf 'unstaged line\n' >> b.txt
	printf 'new\n' > new.txt
	# the host writes the session and its messages on stdin
	run -0 --separate-stderr chat-plugin-git diff < <(printf '%s\n' '{"type":"session","id":"s"}' \
		'{"type":"message","role":"user","content":"hi"}')
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -r .type <<< "${lines[0]}")" = context ]
	[ "$(jq -r .type <<< "${lines[1]}")" = text ]
	c=$(ctx)
	[[ $c == "git diff in $R:"* ]]
	[[ $c == *'```diff'*'+staged line'*'```'*'Not staged (git diff):'*'```diff'*'+unstaged line'*'```'* ]]
	[[ $c == *"Staged (git diff --cached):"* ]]
	[[ $c == *"Untracked files (not in the diff): new.txt"* ]]
	# the block is fenced: as many closing fences as opening ones
	[ "$(grep -c '^```diff$' <<< "$c")" -eq 2 ]
	[ "$(grep -c '^```$' <<< "$c")" -eq 2 ]
	n=$(git diff --cached | wc -l)
	n=$((n + $(git diff | wc -l)))
	[ "$(said)" = "attached git diff ($n lines)" ]
}

@test "diff PATH: only the paths named; no changes: one text record, nothing attached" {
	printf 'x\n' >> a.txt
	printf 'y\n' >> b.txt
	run -0 chat-plugin-git diff b.txt < /dev/null
	[[ $(ctx) == *'+y'* && $(ctx) != *'+x'* ]]
	[[ $(ctx) == *"(of the paths named)"* ]]
	git checkout -q -- a.txt b.txt
	run -0 --separate-stderr chat-plugin-git diff < /dev/null
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -c . <<< "$output")" = '{"type":"text","content":"git diff: no changes, nothing attached"}' ]
	run -2 --separate-stderr chat-plugin-git diff $(seq 1 21) < /dev/null
	error_record "too many paths (21): diff takes at most 20"
	# a path that looks like an option is a path: git writes no file
	run -0 chat-plugin-git diff --output=leak < /dev/null
	[ ! -e leak ]
}

@test "log N: the last N commits, 10 by default, bounded" {
	for i in 1 2 3; do commit a.txt "line $i" "change $i"; done
	run -0 --separate-stderr chat-plugin-git log 2 < /dev/null
	[ -z "$stderr" ]
	[ "$(ctx | grep -c '^commit [0-9a-f]\{40\}')" -eq 2 ]
	[[ $(ctx) == "git log -n 2 in $R:"* && $(ctx) == *'```text'* && $(ctx) == *"change 3"* && $(ctx) == *"change 2"* ]]
	[[ $(ctx) != *"change 1"* ]]
	[[ $(said) == "attached git log (2 commits, "*" lines)" ]]
	run -0 chat-plugin-git log < /dev/null
	[ "$(ctx | grep -c '^commit ')" -eq 4 ]
	[[ $(ctx) == *"(HEAD -> main)"* ]]
	for bad in 0 201 ten; do
		run -2 --separate-stderr chat-plugin-git log "$bad" < /dev/null
		error_record "invalid count '$bad'"
	done
	run -2 --separate-stderr chat-plugin-git log 1 2 < /dev/null
	error_record "unexpected argument '2'"
}

@test "show REF: the commit and its patch; a ref that names nothing, or looks like an option, refused" {
	commit a.txt 'four' 'add four'
	run -0 --separate-stderr chat-plugin-git show HEAD < /dev/null
	[ -z "$stderr" ]
	[[ $(ctx) == "git show HEAD in $R:"* ]]
	[[ $(ctx) == *'```diff'*"add four"*"+four"*'```'* ]]
	[[ $(said) == "attached git show HEAD ("*" lines)" ]]
	run -0 chat-plugin-git show HEAD~1:b.txt < /dev/null
	[[ $(ctx) == *keep* ]]
	run -3 --separate-stderr chat-plugin-git show no-such-ref < /dev/null
	error_record "no commit or object 'no-such-ref' in the repository"
	run -2 --separate-stderr chat-plugin-git show --output=leak < /dev/null
	error_record "invalid ref '--output=leak'"
	[ ! -e leak ]
	run -2 --separate-stderr chat-plugin-git show < /dev/null
	error_record "show needs a ref"
}

@test "status: branch, changed and untracked files" {
	printf 'changed\n' >> a.txt
	printf 'new\n' > c.txt
	run -0 --separate-stderr chat-plugin-git status < /dev/null
	[ -z "$stderr" ]
	c=$(ctx)
	[[ $c == *'```text'$'\n''## main'$'\n'' M a.txt'$'\n''?? c.txt'$'\n''```'* ]]
	[ "$(said)" = "attached git status (2 changed or untracked files)" ]
	rm c.txt
	git checkout -q a.txt
	run -0 chat-plugin-git status < /dev/null
	[ "$(said)" = "attached git status (clean)" ]
	run -2 --separate-stderr chat-plugin-git status extra < /dev/null
	error_record "unexpected argument 'extra'"
}

@test "outside a repository: one error record, exit 3, for every command and tool" {
	mkdir "$BATS_TEST_TMPDIR/plain"
	cd "$BATS_TEST_TMPDIR/plain"
	for cmd in diff log status "show HEAD"; do
		run -3 --separate-stderr chat-plugin-git $cmd < /dev/null
		error_record "not a git repository: '$BATS_TEST_TMPDIR/plain'"
	done
	run -3 --separate-stderr chat-plugin-git --tool git_status <<< '{}'
	error_record "not a git repository"
	# CONFAB_PLUGIN_REPO names the repository instead
	CONFAB_PLUGIN_REPO=$R run -0 chat-plugin-git status < /dev/null
	[[ $(ctx) == *"in $R:"* ]]
	CONFAB_PLUGIN_REPO=$BATS_TEST_TMPDIR/none run -3 --separate-stderr chat-plugin-git status < /dev/null
	error_record "no such folder: '$BATS_TEST_TMPDIR/none' (CONFAB_PLUGIN_REPO)"
}

@test "an empty repository: status works, log says git's own reason" {
	git init -q -b main "$BATS_TEST_TMPDIR/empty"
	cd "$BATS_TEST_TMPDIR/empty"
	run -0 chat-plugin-git status < /dev/null
	[[ $(ctx) == *"No commits yet on main"* ]]
	run -1 --separate-stderr chat-plugin-git log < /dev/null
	error_record "git log: your current branch 'main' does not have any commits yet"
}

@test "output past CONFAB_PLUGIN_MAX_BYTES is cut at a line, and both records say so" {
	seq 1 20000 > big.txt
	git add big.txt
	run -0 --separate-stderr env CONFAB_PLUGIN_MAX_BYTES=4096 chat-plugin-git diff < /dev/null
	[ -z "$stderr" ]
	c=$(ctx)
	[ "${#c}" -lt 5000 ]
	[ "${#c}" -gt 3000 ]
	[[ $c == *'(cut: longer than 4 KiB, CONFAB_PLUGIN_MAX_BYTES)'* ]]
	[[ $(said) == "attached git diff ("*" lines, cut at 4 KiB)" ]]
	# cut after a whole line: the last line in the block is a whole number
	last=$(sed -n '/^```diff$/,/^```$/p' <<< "$c" | sed '$d' | tail -1)
	[[ $last =~ ^\+[0-9]+$ ]]
	run -7 --separate-stderr env CONFAB_PLUGIN_MAX_BYTES=12 chat-plugin-git diff < /dev/null
	error_record "invalid CONFAB_PLUGIN_MAX_BYTES '12'"
	run -7 --separate-stderr env CONFAB_PLUGIN_TIMEOUT=soon chat-plugin-git status < /dev/null
	error_record "invalid CONFAB_PLUGIN_TIMEOUT 'soon'"
}

@test "--tool: the input object in, the context record alone out" {
	commit a.txt 'four' 'add four'
	printf 'dirty\n' >> b.txt
	run -0 --separate-stderr chat-plugin-git --tool git_log <<< '{"count": 1}'
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r .type <<< "$output")" = context ]
	[ "$(ctx | grep -c '^commit ')" -eq 1 ]
	run -0 chat-plugin-git --tool git_diff <<< '{"paths": ["b.txt"]}'
	[ "${#lines[@]}" -eq 1 ]
	[[ $(ctx) == *'+dirty'* ]]
	run -0 chat-plugin-git --tool git_show <<< '{"ref": "HEAD~1"}'
	[[ $(ctx) == *"first: a and b"* ]]
	run -0 chat-plugin-git --tool git_status <<< '{}'
	[[ $(ctx) == *' M b.txt'* ]]
	# an empty input is {}
	run -0 chat-plugin-git --tool git_log < /dev/null
	[ "$(ctx | grep -c '^commit ')" -eq 2 ]
	# nothing to diff is still a result for the model
	git checkout -q b.txt
	run -0 chat-plugin-git --tool git_diff <<< '{}'
	[[ $(ctx) == *"no changes"* ]]
}

@test "--tool errors: bad JSON, not an object, a field of the wrong type, an unknown tool" {
	run -5 --separate-stderr chat-plugin-git --tool git_log <<< '{"count": '
	error_record "the tool's input is not JSON: Unfinished JSON term at EOF at line 2, column 0"
	run -5 --separate-stderr chat-plugin-git --tool git_log <<< '[1]'
	error_record "the tool's input is not a JSON object"
	run -2 --separate-stderr chat-plugin-git --tool git_log <<< '{"count": "5"}'
	error_record "invalid 'count' in the input"
	run -2 --separate-stderr chat-plugin-git --tool git_show <<< '{}'
	error_record "the input has no 'ref'"
	run -2 --separate-stderr chat-plugin-git --tool git_diff <<< '{"paths": [1]}'
	error_record "invalid 'paths' in the input"
	run -2 --separate-stderr chat-plugin-git --tool git_push <<< '{}'
	error_record "unknown tool 'git_push': git has git_status, git_diff, git_log or git_show"
}

@test "usage: an unknown command is an error record; no command or a bad option, one line on stderr" {
	run -2 --separate-stderr chat-plugin-git push < /dev/null
	error_record "unknown command 'push': expected diff, log, show or status"
	run -2 --separate-stderr chat-plugin-git
	one_error chat-plugin-git
	run -2 --separate-stderr chat-plugin-git --bogus
	one_error chat-plugin-git
	run -2 --separate-stderr chat-plugin-git --describe --tool git_log
	one_error chat-plugin-git
}

@test "git missing from PATH: exit 3, said so" {
	run -3 --separate-stderr env PATH=/nonexistent "$ROOT/bin/chat-plugin-git" status < /dev/null
	error_record "cannot run 'git': it is not installed"
}

@test "through chat-plugin run: its records as written, a failure its one line, [plugin.git] repo as CONFAB_PLUGIN_REPO" {
	printf 'x\n' >> a.txt
	run -0 --separate-stderr chat-plugin run git diff
	[ -z "$stderr" ]
	[[ $(ctx) == *'+x'* ]]
	[ "$(said)" = "attached git diff ($(git diff | wc -l) lines)" ]
	cd "$BATS_TEST_TMPDIR"
	run -1 --separate-stderr chat-plugin run git status
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "${stderr_lines[0]}" = "chat-plugin: plugin 'git': not a git repository: '$BATS_TEST_TMPDIR'" ]
	chat-plugin config git repo "$R" > /dev/null
	run -0 chat-plugin run git status
	[[ $(ctx) == "git status --short --branch in $R:"*' M a.txt'* ]]
}

@test "the repository's own config runs nothing: core.fsmonitor, a pager, an external diff" {
	printf '#!/bin/sh\ntouch "%s/ran-$1"\n' "$BATS_TEST_TMPDIR" > "$BATS_TEST_TMPDIR/hook"
	chmod +x "$BATS_TEST_TMPDIR/hook"
	git config core.fsmonitor "$BATS_TEST_TMPDIR/hook"
	git config core.pager "$BATS_TEST_TMPDIR/hook pager"
	git config diff.external "$BATS_TEST_TMPDIR/hook diff"
	git config pager.log "$BATS_TEST_TMPDIR/hook log"
	printf 'more\n' >> a.txt
	for c in status diff 'log 1' 'show HEAD'; do
		run -0 chat-plugin-git $c < /dev/null
	done
	for t in git_status git_diff; do
		run -0 chat-plugin-git --tool $t <<< '{}'
	done
	ls "$BATS_TEST_TMPDIR"
	[ -z "$(ls "$BATS_TEST_TMPDIR" | grep '^ran-')" ]
	# refs that look like options are refused before git sees them
	run -2 --separate-stderr chat-plugin-git show --output=x < /dev/null
	run -2 --separate-stderr chat-plugin-git show -p < /dev/null
	[ ! -e x ]
}

@test "CONFAB_PLUGIN_TIMEOUT bounds the whole command, not each git it runs (diff runs four)" {
	mkdir -p "$BATS_TEST_TMPDIR/slow"
	printf '#!/bin/sh\nsleep 0.5\nexec %s "$@"\n' "$(command -v git)" > "$BATS_TEST_TMPDIR/slow/git"
	chmod +x "$BATS_TEST_TMPDIR/slow/git"
	printf 'more\n' >> a.txt
	PATH="$BATS_TEST_TMPDIR/slow:$PATH" CONFAB_PLUGIN_TIMEOUT=1.2 run -1 --separate-stderr chat-plugin-git diff < /dev/null
	error_record "git "
	[[ "$output" == *"took longer than 1.2 s (CONFAB_PLUGIN_TIMEOUT)"* ]]
	# one git within the time is fine
	PATH="$BATS_TEST_TMPDIR/slow:$PATH" CONFAB_PLUGIN_TIMEOUT=5 run -0 chat-plugin-git diff < /dev/null
}
