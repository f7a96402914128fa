#!/usr/bin/env bats
# chat-plugin-file: read (UTF-8 text only, fenced in its language, cut at
# the limit), grep (regex or fixed, recursive, .git, binary files and
# links left alone, bounded), tree (depth and entries bounded); the tools
# stay under the working folder; each failure one error record.

load helper

setup() {
	common_setup
	W=$BATS_TEST_TMPDIR/work
	mkdir -p "$W/src/lib" "$W/.git/objects"
	cd "$W"
	printf 'int main(void)\n{\n\treturn parse();\n}\n' > src/main.c
	printf 'int parse(void) { return 0; } /* TODO: errors */\n' > src/lib/parse.c
	printf 'def main():\n    return 0\n' > tool.py
	printf 'all:\n\tcc -o main src/main.c\n' > Makefile
	printf 'return of the secret\n' > .git/objects/packed
	printf 'return\0binary\n' > blob.bin
}

error_record() {
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r .type <<< "$output")" = error ]
	[[ "$(jq -r .message <<< "$output")" == "$1"* ]] || { echo "message: $output"; return 1; }
	# the same line on stderr, for a host that shows that after the exit status
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "${stderr_lines[0]}" = "chat-plugin-file: $(jq -r .message <<< "$output")" ]
}

ctx() { jq -r 'select(.type == "context").content' <<< "$output"; }
said() { jq -r 'select(.type == "text").content' <<< "$output"; }
# The lines of the context's first fenced block.
block() { ctx | awk '/^```/ { if (on) exit; on = 1; next } on'; }

@test "--describe: read, grep and tree, and a tool for each with an object schema" {
	run -0 --separate-stderr chat-plugin-file --describe
	[ -z "$stderr" ]
	[ "$(jq -r .name <<< "$output")" = file ]
	[ "$(jq -c '[.commands[].name]' <<< "$output")" = '["read","grep","tree"]' ]
	[ "$(jq -c '[.commands[].usage]' <<< "$output")" = '["PATH","[-F] [-i] PATTERN [PATH...]","[DIR [DEPTH]]"]' ]
	jq -e '.commands | all((.description | length) > 10)' <<< "$output"
	[ "$(jq -c '[.tools[].name]' <<< "$output")" = '["file_read","file_grep","file_tree"]' ]
	jq -e '.tools | all(.input_schema.type == "object" and (.input_schema.properties | type) == "object" and
		((.input_schema.required // []) - (.input_schema.properties | keys) | length) == 0)' <<< "$output"
	jq -e '.tools[] | select(.name == "file_grep") | .input_schema.required == ["pattern"] and
		.input_schema.properties.fixed.type == "boolean"' <<< "$output"
}

@test "read: the file fenced in its extension's language, its lines counted" {
	run -0 --separate-stderr chat-plugin-file read src/main.c < <(echo '{"type":"session"}')
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(ctx)" = "$(printf 'The file src/main.c (4 lines):\n\n```c\n'; cat src/main.c; printf '```')" ]
	[ "$(said)" = "attached src/main.c (4 lines)" ]
	run -0 chat-plugin-file read tool.py < /dev/null
	[[ $(ctx) == *'```python'$'\n''def main():'* ]]
	run -0 chat-plugin-file read Makefile < /dev/null
	[[ $(ctx) == *'```make'$'\n'* ]]
	printf 'plain\n' > NOTES
	run -0 chat-plugin-file read NOTES < /dev/null
	[[ $(ctx) == *'```'$'\n''plain'$'\n''```'* ]]
	# backticks inside: a longer fence
	printf 'Text\n\n```sh\nls\n```\n' > doc.md
	run -0 chat-plugin-file read doc.md < /dev/null
	[[ $(ctx) == *'````markdown'$'\n''Text'*'```sh'*'````' ]]
	# the words are one path
	printf 'spaced\n' > 'my notes.txt'
	run -0 chat-plugin-file read my notes.txt < /dev/null
	[[ $(ctx) == *spaced* ]]
	: > empty.txt
	run -0 chat-plugin-file read empty.txt < /dev/null
	[[ $(ctx) == "The file empty.txt is empty." ]]
}

@test "read refuses binary, non-UTF-8, folders, FIFOs and what is not there" {
	run -5 --separate-stderr chat-plugin-file read blob.bin < /dev/null
	error_record "'blob.bin' is a binary file (it holds NUL bytes), not text"
	printf 'caf\xe9\n' > latin1.txt
	run -5 --separate-stderr chat-plugin-file read latin1.txt < /dev/null
	error_record "'latin1.txt' is not UTF-8 text"
	run -3 --separate-stderr chat-plugin-file read nope.c < /dev/null
	error_record "no such file or folder: 'nope.c'"
	run -2 --separate-stderr chat-plugin-file read src < /dev/null
	error_record "'src' is a folder: tree lists it"
	mkfifo pipe
	run -2 --separate-stderr chat-plugin-file read pipe < /dev/null
	error_record "'pipe' is not a regular file"
	run -2 --separate-stderr chat-plugin-file read < /dev/null
	error_record "read needs a path"
}

@test "read: a long file is cut at a line at CONFAB_PLUGIN_MAX_BYTES, and said so" {
	seq 1 100000 > long.txt
	run -0 --separate-stderr env CONFAB_PLUGIN_MAX_BYTES=2048 chat-plugin-file read long.txt < /dev/null
	[ -z "$stderr" ]
	n=$(block | wc -l)
	[ "$(block | tail -1)" = "$n" ]
	[ "$(block | head -1)" = 1 ]
	[ "$(block | wc -c)" -le 2048 ]
	[[ $(ctx) == *"(cut: only its first $n lines, of 575.1 KiB in all; CONFAB_PLUGIN_MAX_BYTES is 2 KiB)" ]]
	[ "$(said)" = "attached long.txt (its first $n lines, cut at 2 KiB)" ]
	# a cut in the middle of a character is not taken for bad UTF-8
	printf 'é%.0s' $(seq 2000) > wide.txt
	run -0 env CONFAB_PLUGIN_MAX_BYTES=1025 chat-plugin-file read wide.txt < /dev/null
	[ "$(block | wc -c)" -eq $((1024 + 1)) ]
}

@test "grep: recursive, line numbers, .git and binary files left out" {
	run -0 --separate-stderr chat-plugin-file grep 'return [a-z]+\(' < /dev/null
	[ -z "$stderr" ]
	[ "$(block)" = "src/main.c:3:	return parse();" ]
	[[ $(ctx) == 'The lines matching the regular expression "return [a-z]+\(" in ., as path:line:text (1 match in 1 file):'* ]]
	[ "$(said)" = "attached 1 match for 'return [a-z]+\(' in 1 file" ]
	run -0 chat-plugin-file grep return < /dev/null
	[ "$(block)" = "$(printf 'src/lib/parse.c:1:int parse(void) { return 0; } /* TODO: errors */\nsrc/main.c:3:\treturn parse();\ntool.py:2:    return 0')" ]
	[[ $(ctx) == *"1 binary file skipped."* ]]
	# -i, -F, and paths of one's own
	run -0 chat-plugin-file grep -i todo src < /dev/null
	[ "$(block)" = "src/lib/parse.c:1:int parse(void) { return 0; } /* TODO: errors */" ]
	run -0 chat-plugin-file grep -F 'parse()' src/main.c tool.py < /dev/null
	[ "$(block)" = "src/main.c:3:	return parse();" ]
	[[ $(ctx) == *'the string "parse()" in src/main.c, tool.py'* ]]
	run -0 chat-plugin-file grep -F -i 'RETURN PARSE' < /dev/null
	[ "$(block)" = "src/main.c:3:	return parse();" ]
}

@test "grep: no match is one text record; a bad pattern, option or path an error record" {
	run -0 --separate-stderr chat-plugin-file grep 'no such words' < /dev/null
	[ "${#lines[@]}" -eq 1 ]
	[[ $(said) == "no matches for 'no such words' in . ("*" files searched), nothing attached" ]]
	run -2 --separate-stderr chat-plugin-file grep '(' < /dev/null
	error_record "invalid pattern '(':"
	run -2 --separate-stderr chat-plugin-file grep -x foo < /dev/null
	error_record "unknown grep option '-x': expected -F or -i"
	run -3 --separate-stderr chat-plugin-file grep foo nowhere < /dev/null
	error_record "no such file or folder: 'nowhere'"
	run -2 --separate-stderr chat-plugin-file grep < /dev/null
	error_record "grep needs a pattern"
	mkfifo pipe
	run -2 --separate-stderr chat-plugin-file grep x pipe < /dev/null
	error_record "'pipe' is not a regular file or a folder"
}

@test "grep and tree follow no symbolic link, so a loop is nothing" {
	ln -s .. src/up
	ln -s loop2 loop1
	ln -s loop1 loop2
	run -0 chat-plugin-file grep return < /dev/null
	[ "$(block | wc -l)" -eq 3 ]
	! block | grep -q up/
	run -0 chat-plugin-file tree . 10 < /dev/null
	[[ $(block) == *"  up -> .."* && $(block) == *"loop1 -> loop2"* ]]
	! block | grep -q 'up/'
}

@test "grep: at most 200 matches, said so" {
	seq 1 500 | sed 's/^/match /' > many.txt
	run -0 chat-plugin-file grep match many.txt < /dev/null
	[ "$(block | wc -l)" -eq 200 ]
	[ "$(block | tail -1)" = "many.txt:200:match 200" ]
	[[ $(ctx) == *"Stopped at 200 matches (at most 200, within CONFAB_PLUGIN_MAX_BYTES): there may be more."* ]]
	[[ $(said) == *"(stopped there: there may be more)" ]]
	# a long line is shown to 240 bytes
	printf 'match %0500d\n' 0 > wide.txt
	run -0 chat-plugin-file grep match wide.txt < /dev/null
	[ "$(block | wc -c)" -lt 270 ]
	[[ $(block) == *" …" ]]
}

@test "tree: depth-bounded, .git left out, folders marked, entries bounded" {
	mkdir -p a/b/c/d
	touch a/b/c/d/deep.txt
	run -0 --separate-stderr chat-plugin-file tree < /dev/null
	[ -z "$stderr" ]
	[ "$(block)" = "$(printf 'Makefile\na/\n  b/\n    c/ (1 entry below, not shown)\nblob.bin\nsrc/\n  lib/\n    parse.c\n  main.c\ntool.py')" ]
	[[ $(ctx) == "The files under ., 3 folders deep"* ]]
	[ "$(said)" = "attached the tree of . (10 entries)" ]
	run -0 chat-plugin-file tree src 1 < /dev/null
	[ "$(block)" = "$(printf 'lib/ (1 entry below, not shown)\nmain.c')" ]
	mkdir big
	(cd big && seq -w 1 1200 | xargs touch)
	run -0 chat-plugin-file tree big < /dev/null
	[ "$(block | wc -l)" -eq 1000 ]
	[[ $(ctx) == *"(stopped at 1000 entries: there are more)"* ]]
	[ "$(said)" = "attached the tree of big (1000 entries, stopped there)" ]
	run -2 --separate-stderr chat-plugin-file tree src 11 < /dev/null
	error_record "invalid depth '11'"
	run -2 --separate-stderr chat-plugin-file tree tool.py < /dev/null
	error_record "'tool.py' is not a folder"
	run -3 --separate-stderr chat-plugin-file tree gone < /dev/null
	error_record "no such file or folder: 'gone'"
}

@test "tools: JSON in, the context record alone out" {
	run -0 --separate-stderr chat-plugin-file --tool file_read <<< '{"path": "src/main.c"}'
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $(ctx) == 'The file src/main.c (4 lines):'* ]]
	run -0 chat-plugin-file --tool file_grep <<< '{"pattern": "TODO", "path": "src"}'
	[ "${#lines[@]}" -eq 1 ]
	[ "$(block)" = "src/lib/parse.c:1:int parse(void) { return 0; } /* TODO: errors */" ]
	run -0 chat-plugin-file --tool file_grep <<< '{"pattern": "todo", "ignore_case": true, "fixed": true}'
	[ "$(block | wc -l)" -eq 1 ]
	# nothing found is still the model's answer
	run -0 chat-plugin-file --tool file_grep <<< '{"pattern": "zzz"}'
	[ "${#lines[@]}" -eq 1 ]
	[[ $(ctx) == 'No line matches the regular expression "zzz" in .'* ]]
	run -0 chat-plugin-file --tool file_tree <<< '{"path": "src", "depth": 1}'
	[ "$(block)" = "$(printf 'lib/ (1 entry below, not shown)\nmain.c')" ]
	run -2 --separate-stderr chat-plugin-file --tool file_tree <<< '{"depth": 0}'
	error_record "invalid 'depth' in the input"
	run -2 --separate-stderr chat-plugin-file --tool file_grep <<< '{"pattern": "x", "fixed": "yes"}'
	error_record "invalid 'fixed' in the input: expected true or false"
	run -2 --separate-stderr chat-plugin-file --tool file_read <<< '{}'
	error_record "the input has no 'path'"
}

@test "tools stay under the working folder: .., absolute paths and links out refused" {
	printf 'secret\n' > "$BATS_TEST_TMPDIR/outside.txt"
	ln -s "$BATS_TEST_TMPDIR/outside.txt" link.txt
	ln -s "$BATS_TEST_TMPDIR" out
	for p in ../outside.txt "$BATS_TEST_TMPDIR/outside.txt" link.txt; do
		run -2 --separate-stderr chat-plugin-file --tool file_read <<< "{\"path\": \"$p\"}"
		error_record "'$p' is outside the working folder $W, where the file tools stay"
	done
	run -2 --separate-stderr chat-plugin-file --tool file_grep <<< '{"pattern": "secret", "path": "out"}'
	error_record "'out' is outside the working folder"
	run -2 --separate-stderr chat-plugin-file --tool file_tree <<< '{"path": "/"}'
	error_record "'/' is outside the working folder"
	# an absolute path inside it is fine
	run -0 chat-plugin-file --tool file_read <<< "{\"path\": \"$W/tool.py\"}"
	[[ $(ctx) == *"def main"* ]]
	# the user's own commands read where the user says
	run -0 chat-plugin-file read ../outside.txt < /dev/null
	[[ $(ctx) == *secret* ]]
}

@test "usage: unknown command and tool are error records" {
	run -2 --separate-stderr chat-plugin-file cat x < /dev/null
	error_record "unknown command 'cat': expected read, grep or tree"
	run -2 --separate-stderr chat-plugin-file --tool file_write <<< '{}'
	error_record "unknown tool 'file_write': file has file_read, file_grep or file_tree"
	run -2 --separate-stderr chat-plugin-file --describe extra
	one_error chat-plugin-file
}

@test "through chat-plugin: described with its tools, grep's options after --, a refusal its one line" {
	run -0 chat-plugin describe file
	[ "$(jq -c '[.tools[].name]' <<< "$output")" = '["file_read","file_grep","file_tree"]' ]
	run -0 --separate-stderr chat-plugin run file grep -- -F -i 'RETURN PARSE' src
	[ -z "$stderr" ]
	[ "$(block)" = "src/main.c:3:	return parse();" ]
	run -1 --separate-stderr chat-plugin run file read blob.bin
	[ "${stderr_lines[0]}" = "chat-plugin: plugin 'file': 'blob.bin' is a binary file (it holds NUL bytes), not text" ]
}

@test "tools: a link swapped in between the check and the open is not read (a race, tried many times)" {
	command -v python3 > /dev/null || skip "python3 is needed to swap the link fast enough"
	printf 'the secret\n' > "$BATS_TEST_TMPDIR/secret"
	printf 'fine\n' > real
	ln -s real f
	mkdir d
	ln -s ../real d/f
	# f and d/f lead to ../secret and back to real, as fast as can be
	python3 -c '
import os, sys, time
end = time.time() + 30
while time.time() < end and not os.path.exists(sys.argv[1]):
    for to in (sys.argv[2], "real"):
        for link, dest in (("f", to), ("d/f", "../" + to)):
            try:
                os.symlink(dest, link + ".new")
                os.rename(link + ".new", link)
            except OSError:
                pass
' "$BATS_TEST_TMPDIR/stop" "$BATS_TEST_TMPDIR/secret" &
	local swapper=$! leaked=0
	for i in $(seq 1 400); do
		echo '{"path":"f"}' | chat-plugin-file --tool file_read 2> /dev/null | grep -q 'the secret' && leaked=$((leaked + 1))
		echo '{"pattern":"secret","path":"d"}' | chat-plugin-file --tool file_grep 2> /dev/null | grep -q 'the secret' && leaked=$((leaked + 1))
	done
	touch "$BATS_TEST_TMPDIR/stop"
	wait "$swapper"
	[ "$leaked" = 0 ]
}
