#!/usr/bin/env bats
# chat-send --code and chat-show --code[=LANG]: only the fenced code of a
# reply, as CommonMark reads it (lists, ~~~, indented fences), one block as
# its bytes, several with an empty line between, a record each with --json;
# no code is status 1 and one line.

load helper

# A reply with code in most of the places Markdown allows it.
reply() {
	cat <<-'MD'
	Save this as run.sh:

	```sh
	#!/bin/sh
	echo "$1"
	```

	1. then a list item with a tilde fence:

	   ~~~Python title="x.py"
	   print("hi")
	       indented inside
	   ~~~

	> a quote
	> ```js
	> let x = 1;
	> ```

	  ```bash
	  ls
	  ```

	    four spaces: an indented code block, not a fence

	````md
	```sh
	not a fence of its own
	```
	````
	MD
}

setup() {
	common_setup
	cd "$BATS_TEST_TMPDIR"   # the files the tests write
	S=$(new_session --name c -p echo)
	chat-add -s c 'write me a script' > /dev/null
	reply | chat-add -s c -r assistant > /dev/null
}

@test "chat-show --code: every fenced block of the reply, as written, an empty line between" {
	run -0 --separate-stderr chat-show --code c
	[ -z "$stderr" ]
	want=$(printf '%s\n' '#!/bin/sh' 'echo "$1"' '' 'print("hi")' '    indented inside' '' \
		'let x = 1;' '' 'ls' '' '```sh' 'not a fence of its own' '```')
	[ "$output" = "$want" ]
	# the indented code block is no fence
	[[ "$output" != *"four spaces"* ]]
}

@test "one block is exactly its bytes: a file that runs" {
	printf 'Save it:\n\n```sh\n#!/bin/sh\necho "$1"\n```\n\nand run it.\n' |
		chat-add -s c -r assistant > /dev/null
	chat-show --code -n 1 c > run.sh
	[ "$(od -An -c run.sh | tr -s ' ')" = "$(printf '#!/bin/sh\necho "$1"\n' | od -An -c | tr -s ' ')" ]
	[ "$(sh run.sh hello)" = hello ]
}

@test "--code=LANG: the first word of the info string, any case, the highlighter's aliases alike" {
	run -0 chat-show --code=PYTHON c
	[ "$output" = "$(printf '%s\n' 'print("hi")' '    indented inside')" ]
	run -0 chat-show --code=py c
	[[ "$output" == 'print("hi")'* ]]
	# sh, bash and shell are one language: both shell blocks
	run -0 chat-show --code=shell c
	[ "$output" = "$(printf '%s\n' '#!/bin/sh' 'echo "$1"' '' 'ls')" ]
	run -0 chat-show --code=javascript c
	[ "$output" = 'let x = 1;' ]
	run -0 chat-show --code=md c
	[[ "$output" == '```sh'* ]]
}

@test "no code: status 1 and one line, nothing on stdout" {
	run -1 --separate-stderr chat-show --code=rust c
	one_error chat-show
	[ "$stderr" = "chat-show: no code in the messages shown" ]
	# the user's message is not looked in: only the replies
	chat-add -s c '```c
int x;
```' > /dev/null
	run -1 --separate-stderr chat-show --code=c c
	[ "$stderr" = "chat-show: no code in the messages shown" ]
}

@test "--message names one message: its code whatever its role" {
	U=$(chat-add -s c '```c
int x;
```' | jq -r .id)
	run -0 chat-show --code -M "$U"
	[ "$output" = 'int x;' ]
	A=$(chat-show --json c | jq -r 'select(.role == "assistant") | .id')
	run -0 chat-show --code=js -M "$A"
	[ "$output" = 'let x = 1;' ]
}

@test "--json --code: a record a block" {
	run -0 chat-show --json --code c
	[ "${#lines[@]}" -eq 5 ]
	A=$(chat-show --json c | jq -r 'select(.role == "assistant") | .id')
	[ "$(jq -sc 'map(.type) | unique' <<< "$output")" = '["code"]' ]
	[ "$(jq -sc 'map(.index)' <<< "$output")" = '[0,1,2,3,4]' ]
	[ "$(jq -sc 'map(.lang)' <<< "$output")" = '["sh","Python","js","bash","md"]' ]
	[ "$(jq -r 'select(.index == 1) | .info' <<< "$output")" = 'Python title="x.py"' ]
	[ "$(jq -r 'select(.index == 0) | .messageId' <<< "$output")" = "$A" ]
	[ "$(jq -r 'select(.index == 0) | .sessionId' <<< "$output")" = "$S" ]
	[ "$(jq -j 'select(.index == 0) | .code' <<< "$output")" = "$(printf '#!/bin/sh\necho "$1"')" ]
}

@test "on a terminal: no fences, no color, no rendering; controls made harmless" {
	printf 'x\n\n```\nred \033[31mtext\n```\n' | chat-add -s c -r assistant > /dev/null
	tty_run chat-show --code -n 1 c
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 'red  [31mtext' ]
	[[ "$output" != *$'\033'* ]]
	[[ "$output" != *'```'* ]]
}

@test "several sessions and messages: the blocks in order" {
	chat-new -n d -p echo > /dev/null
	printf '```\none\n```\n' | chat-add -s d -r assistant > /dev/null
	printf '```\ntwo\n```\n' | chat-add -s d -r assistant > /dev/null
	run -0 chat-show --code d
	[ "$output" = "$(printf 'one\n\ntwo')" ]
	run -0 chat-show --code -n 1 d
	[ "$output" = two ]
	run -0 chat-show --code=sh c d
	[[ "$output" == '#!/bin/sh'* ]]
}

use_fake() {
	config <<-EOF
	[openai]
	base-url = $FAKE_URL/v1
	EOF
	export OPENAI_API_KEY=sk-test
}

teardown() {
	fake_stop
}

@test "chat-send --code: nothing streams, the code at the end, the reply stored whole" {
	fake_start "text=Here%3A%0A%0A%60%60%60sh%0Aecho%20hi%0A%60%60%60%0Adone"
	use_fake
	run -0 --separate-stderr chat-send -s c --provider openai --code 'a script'
	fake_stop
	[ "$output" = 'echo hi' ]
	[ -z "$stderr" ]
	[ "$(chat-show --json -n 1 c | jq -r .content)" = "$(printf 'Here:\n\n```sh\necho hi\n```\ndone')" ]
}

@test "chat-send --code with the echo provider: the file is the block's bytes" {
	printf 'Run:\n\n~~~sh\necho hi\n~~~\n' | chat-send -s c --code > hi.sh
	[ "$(cat hi.sh)" = 'echo hi' ]
	[ "$(wc -c < hi.sh)" -eq 8 ]
	[ "$(sh hi.sh)" = hi ]
	# --code=LANG, and none of it: status 1, the reply kept
	n=$(count messages)
	run -1 --separate-stderr chat-send -s c --code=python 'Run:

~~~sh
ls
~~~'
	[ -z "$output" ]
	[ "$stderr" = "chat-send: no code in the reply" ]
	[ "$(count messages)" -eq $((n + 2)) ]
}

@test "chat-send --json --code: code records only, no deltas" {
	run -0 chat-send -s c --json --code 'x

```c
int main;
```'
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r .type <<< "$output")" = code ]
	[ "$(jq -r .lang <<< "$output")" = c ]
	[ "$(jq -r .code <<< "$output")" = 'int main;' ]
	[ "$(jq -r .messageId <<< "$output")" = "$(chat-show --json -n 1 c | jq -r .id)" ]
}

@test "chat-send --code on a terminal: the code, and not the reply streamed" {
	tty_run chat-send -s c --code "'x

\`\`\`py
print(2)
\`\`\`'"
	[ "$status" -eq 0 ]
	[ "$output" = 'print(2)' ]
}

@test "--code to a reader that goes away (| head -c1): no error, status 0, the reply kept" {
	{ printf 'Run:\n\n```sh\n'; seq -f 'echo line %g' 200000; printf '```\n'; } > big.md
	chat-add -s c -r assistant < big.md > /dev/null
	run -0 bash -c 'chat-show --code -n 1 c 2> err | head -c1; echo " ${PIPESTATUS[0]}"'
	[ "$output" = "e 0" ]
	[ ! -s err ]
	n=$(count messages)
	run -0 bash -c 'chat-send -s c --code 2> err | head -c1; echo " ${PIPESTATUS[0]}"' < big.md
	[ "$output" = "e 0" ]
	[ ! -s err ]
	[ "$(count messages)" -eq $((n + 2)) ]
}

@test "off a terminal the code's line ends are the message's: CRLF stays CRLF" {
	printf 'Run:\r\n\r\n```bat\r\necho a\r\necho b\nrem c\r\n```\r\n\r\n- item\r\n\r\n  ~~~\r\n  x\r\n  ~~~\r\n' |
		chat-add -s c -r assistant > /dev/null
	chat-show --code -n 1 c > out
	[ "$(od -An -c out | tr -s ' ')" = "$(printf 'echo a\r\necho b\nrem c\r\n\nx\r\n' | od -An -c | tr -s ' ')" ]
	run -0 chat-show --code --json -n 1 c
	[ "$(jq -sc 'map(.code)' <<< "$output")" = '["echo a\r\necho b\nrem c\r\n","x\r\n"]' ]
}

@test "on a terminal a CRLF line ends without a space for its CR" {
	printf 'Run:\r\n\r\n```bat\r\necho a\r\necho b\r\n```\r\n' | chat-add -s c -r assistant > /dev/null
	run on_tty chat-show --code -n 1 c
	[ "$output" = $'echo a\r\necho b\r' ]
}
