#!/usr/bin/env bats
# chat-template: save (from options, from a session, with opening
# messages), ls, show, rm; the shipped templates and a user's over them;
# chat-new --template with options over it, read back from the store; and
# every way a template or a name is refused, with nothing made.

load helper

SHIPPED="$ROOT/share/confab/templates"

# The user's template folder.
tdir() { echo "$XDG_CONFIG_HOME/confab/templates"; }

# The store's rows, or nothing when there is no store.
dump() { [ ! -e "$CHAT_DB" ] || store_dump; }

# ---- save, show, ls, rm ----

@test "save from options writes NAME.json (0600, in a 0700 folder) that show prints back" {
	run -0 --separate-stderr chat-template save rev -p echo -m m1 -S "review it" \
		--temperature 0.25 --max-tokens 900 --context-window 7 --auto-context \
		-t a -t b --description "my review"
	[ -z "$stderr" ]
	[ "$(jq -r .type <<< "$output")" = template ]
	[ "$(jq -r .origin <<< "$output")" = user ]
	f=$(tdir)/rev.json
	[ "$(jq -r .path <<< "$output")" = "$f" ]
	[ "$(stat -c %a "$f")" = 600 ]
	[ "$(stat -c %a "$(tdir)")" = 700 ]
	[ "$(jq -c . "$f")" = '{"description":"my review","provider":"echo","model":"m1","systemPrompt":"review it","temperature":0.25,"maxTokens":900,"contextWindow":7,"autoContext":true,"tags":["a","b"]}' ]
	# the file is for people too: pretty, one key a line
	[ "$(grep -c '^  "' "$f")" = 9 ]
	run -0 chat-template show rev
	[ "$(jq -c .template <<< "$output")" = "$(jq -c . "$f")" ]
	[ "$(jq -r .name <<< "$output")" = rev ]
}

@test "show on a terminal: the system prompt as text, the opening messages by role" {
	chat-template save t -S $'line one\nline two' --message 'user:hello there' > /dev/null
	tty_run NO_COLOR=1 chat-template show t
	[ "$status" -eq 0 ]
	[[ $output == *"t (user: $(tdir)/t.json)"* ]]
	[[ $output == *$'\nline one\nline two\n'* ]]
	[[ $output == *"[user] hello there"* ]]
}

@test "save --from SESSION takes its settings; options override them; --with-messages its messages" {
	sid=$(new_session -n src -p echo -m m0 -S sys --temperature 0.5 -t x)
	chat-add -s src "what is 2+2" > /dev/null
	chat-add -s src -r assistant "4" > /dev/null
	run -0 chat-template save a --from src
	[ "$(jq -c .template <<< "$output")" = '{"description":"from the session '"'src'"'","provider":"echo","model":"m0","systemPrompt":"sys","temperature":0.5,"maxTokens":4096,"contextWindow":50,"autoContext":false,"tags":["x"],"sendHistory":false}' ]
	# by id prefix too, and the options over the session's
	run -0 chat-template save b --from "${sid:0:8}" --temperature 1.5 -t y -S '' --description d
	[ "$(jq -c '[.description, .temperature, .tags, has("systemPrompt")]' "$(tdir)/b.json")" = '["d",1.5,["x","y"],false]' ]
	run -0 chat-template save c --from src --with-messages
	[ "$(jq -c .messages "$(tdir)/c.json")" = '[{"role":"user","content":"what is 2+2"},{"role":"assistant","content":"4"}]' ]
	# another provider without -m: not the session's model
	run -0 chat-template save d --from src -p openai
	[ "$(jq -c '[.provider, has("model")]' "$(tdir)/d.json")" = '["openai",false]' ]
}

@test "an existing template is replaced only with --force" {
	chat-template save x --temperature 0.1 > /dev/null
	run -1 --separate-stderr chat-template save x --temperature 0.9
	one_error chat-template
	[[ $stderr == *"template 'x' exists: --force replaces it"* ]]
	[ "$(jq .temperature "$(tdir)/x.json")" = 0.1 ]
	run -0 chat-template save x --temperature 0.9 --force
	[ "$(jq .temperature "$(tdir)/x.json")" = 0.9 ]
	# nothing left beside it
	[ "$(ls -A "$(tdir)")" = x.json ]
}

@test "ls lists the shipped templates and the user's, with their origin, sorted" {
	run -0 chat-template ls
	for t in code-review summarise translate commit-message; do
		[ "$(jq -r --arg t "$t" 'select(.name == $t) | .origin' <<< "$output")" = shipped ]
		[ "$(jq -r --arg t "$t" 'select(.name == $t) | .template.systemPrompt | length > 200' <<< "$output")" = true ]
	done
	chat-template save mine -S hi > /dev/null
	run -0 chat-template ls
	[ "$(jq -r .name <<< "$output" | tr '\n' ' ')" = "code-review commit-message mine summarise translate " ]
	[ "$(jq -r 'select(.name == "mine") | .origin' <<< "$output")" = user ]
	tty_run chat-template ls
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ NAME\ +ORIGIN\ +DESCRIPTION ]]
	[[ $output =~ code-review\ +shipped\ +Review ]]
	[[ $output =~ mine\ +user ]]
}

@test "the shipped templates are valid and each makes a session" {
	local n=0 f
	for f in "$SHIPPED"/*.json; do
		n=$((n + 1))
		name=$(basename "$f" .json)
		run -0 chat-new --template "$name" -p echo
		[ "$(jq -r .settings.systemPrompt <<< "$output")" = "$(jq -r .systemPrompt "$f")" ]
		[ "$(jq -r .settings.temperature <<< "$output")" = "$(jq -r .temperature "$f")" ]
	done
	[ "$n" -ge 4 ]
}

@test "a user's template hides the shipped one of its name; rm brings it back" {
	chat-template save code-review -S "mine, not confab's" --temperature 1 > /dev/null
	run -0 chat-template ls
	[ "$(jq -r 'select(.name == "code-review") | .origin' <<< "$output")" = user ]
	[ "$(jq -r 'select(.name == "code-review") | .overrides' <<< "$output")" = "$SHIPPED/code-review.json" ]
	[ "$(jq -r 'select(.name == "code-review")' <<< "$output" | jq -s length)" = 1 ]
	run -0 chat-new --template code-review
	[ "$(jq -r .settings.systemPrompt <<< "$output")" = "mine, not confab's" ]
	run -0 chat-template rm code-review
	[ "$(jq -r .uncovers <<< "$output")" = "$SHIPPED/code-review.json" ]
	run -0 chat-template show code-review
	[ "$(jq -r .origin <<< "$output")" = shipped ]
	# a shipped one is not the user's to remove
	run -1 --separate-stderr chat-template rm code-review
	one_error chat-template
	[[ $stderr == *"shipped with confab"* ]]
	[ -f "$SHIPPED/code-review.json" ]
}

@test "rm removes several, checks them all first, and says which was unknown" {
	chat-template save one > /dev/null
	chat-template save two > /dev/null
	run -3 --separate-stderr chat-template rm one nosuch two
	one_error chat-template
	[[ $stderr == *"no template 'nosuch'"* ]]
	[ -f "$(tdir)/one.json" ] && [ -f "$(tdir)/two.json" ]
	run -0 chat-template rm one two
	[ "$(jq -r .name <<< "$output" | tr '\n' ' ')" = "one two " ]
	[ -z "$(ls -A "$(tdir)")" ]
}

# ---- chat-new --template ----

@test "chat-new --template: the template's settings, the options over them, read back from the store" {
	config <<-'EOF'
	[defaults]
	max-tokens = 111
	tags = cfg
	EOF
	chat-template save base -p echo -m tm -S "be kind" --temperature 0.3 \
		--context-window 9 -t tpl > /dev/null
	run -0 chat-new --template base -n s1
	sid=$(jq -r .id <<< "$output")
	# the config under the template: its max-tokens stays, its tags and the template's add up
	run -0 chat-ls --json
	[ "$(jq -c --arg id "$sid" 'select(.id == $id) | [.provider, .model, .settings.systemPrompt, .settings.temperature, .settings.maxTokens, .settings.contextWindow, .metadata.tags]' <<< "$output")" = '["echo","tm","be kind",0.3,111,9,["cfg","tpl"]]' ]
	# the options over the template
	run -0 chat-new --template base -n s2 -m other --temperature 1.2 -S '' --max-tokens 5 -t opt
	sid=$(jq -r .id <<< "$output")
	run -0 chat-ls --json
	[ "$(jq -c --arg id "$sid" 'select(.id == $id) | [.provider, .model, .settings.systemPrompt, .settings.temperature, .settings.maxTokens, .settings.contextWindow, .metadata.tags]' <<< "$output")" = '["echo","other",null,1.2,5,9,["cfg","tpl","opt"]]' ]
}

@test "chat-new --template -p another: that provider's default model, not the template's" {
	config <<-'EOF'
	[openai]
	model = gpt-from-config
	EOF
	chat-template save t -p echo -m echo-model > /dev/null
	run -0 chat-new --template t -p openai
	[ "$(jq -c '[.provider, .model]' <<< "$output")" = '["openai","gpt-from-config"]' ]
	run -0 chat-new --template t -p openai -m explicit
	[ "$(jq -c '[.provider, .model]' <<< "$output")" = '["openai","explicit"]' ]
}

@test "chat-new --template stores the opening messages in order, and counts them" {
	chat-template save intro -p echo --message "system:answer in French" \
		--message "user:hello" --message "assistant:bonjour" > /dev/null
	run -0 chat-new --template intro
	sid=$(jq -r .id <<< "$output")
	[ "$(jq .metadata.messageCount <<< "$output")" = 3 ]
	run -0 chat-show --json "$sid"
	[ "$(jq -c '[.role, .content]' <<< "$output" | tr '\n' ' ')" = '["system","answer in French"] ["user","hello"] ["assistant","bonjour"] ' ]
	# and the next message goes on from them
	run -0 chat-send -s "$sid" "ça va"
	[ "$(store_sql "SELECT group_concat(role, ',') FROM (SELECT role FROM messages ORDER BY seq) AS t")" = "system,user,assistant,user,assistant" ]
}

@test "a template written by hand is read: every key, nulls as absent" {
	mkdir -p "$(tdir)"
	cat > "$(tdir)/hand.json" <<-'EOF'
	{
	  "description": "by hand",
	  "provider": "echo",
	  "model": null,
	  "temperature": 0,
	  "maxTokens": 10,
	  "contextWindow": 0,
	  "autoContext": true,
	  "systemPrompt": "s",
	  "tags": ["h"],
	  "messages": [{"role": "user", "content": "hi"}]
	}
	EOF
	run -0 chat-new --template hand
	[ "$(jq -c '[.provider, .settings.temperature, .settings.maxTokens, .settings.contextWindow, .settings.autoContext, .settings.systemPrompt, .metadata.tags, .metadata.messageCount]' <<< "$output")" = '["echo",0,10,0,true,"s",["h"],1]' ]
}

# ---- refused, with nothing made ----

@test "broken JSON: one line naming the file, its line and column; exit 7; nothing made" {
	chat-new -n keep > /dev/null
	before=$(dump)
	mkdir -p "$(tdir)"
	printf '{\n  "temperature": 0.2\n  "model": "x"\n}\n' > "$(tdir)/broken.json"
	run -7 --separate-stderr chat-new --template broken
	one_error chat-new
	[[ $stderr =~ ^"chat-new: $(tdir)/broken.json:3:"[0-9]+": " ]]
	[[ $stderr != *"while parsing"* ]]
	[ "$(dump)" = "$before" ]
	run -7 --separate-stderr chat-template show broken
	one_error chat-template
	[[ $stderr == *"broken.json:3:"* ]]
	# an empty file, and one that is not an object
	: > "$(tdir)/empty.json"
	run -7 --separate-stderr chat-new --template empty
	one_error chat-new
	[[ $stderr == *"empty.json: "* ]]
	echo '[1, 2]' > "$(tdir)/arr.json"
	run -7 --separate-stderr chat-new --template arr
	one_error chat-new
	[[ $stderr == *"arr.json: a template is a JSON object"* ]]
	[ "$(dump)" = "$before" ]
	# ls still lists them, with why
	run -0 chat-template ls
	[[ "$(jq -r 'select(.name == "broken") | .error' <<< "$output")" == *"broken.json:3:"* ]]
}

@test "unknown keys, wrong kinds and bad values are named; exit 7; nothing made" {
	chat-new -n keep > /dev/null
	before=$(dump)
	mkdir -p "$(tdir)"
	bad=(
		'{"temprature": 1}' "unknown key 'temprature'"
		'{"temperature": "hot"}' "'temperature' must be a number"
		'{"temperature": 3}' "invalid temperature '3'"
		'{"maxTokens": 1.5}' "'maxTokens' must be a whole number"
		'{"maxTokens": 0}' "invalid max-tokens '0'"
		'{"contextWindow": -1}' "invalid context-window '-1'"
		'{"autoContext": "yes"}' "'autoContext' must be true or false"
		'{"provider": "nope"}' "invalid provider 'nope'"
		'{"model": ""}' "invalid model ''"
		'{"tags": "a"}' "'tags' must be an array of strings"
		'{"tags": ["a,b"]}' "invalid tag 'a,b'"
		'{"messages": {}}' "'messages' must be an array"
		'{"messages": [{"role": "user", "content": "ok"}, {"role": "bot", "content": "x"}]}' "messages[1] must have a role of user, assistant or system"
		'{"messages": [{"role": "user", "content": ""}]}' "messages[0] must have content that is not empty"
		'{"messages": [{"role": "user", "content": "x", "extra": 1}]}' "messages[0] must have"
		'{"systemPrompt": "be kind\u0000 and obey"}' "'systemPrompt' must be a string without a NUL"
		'{"provider": "echo\u0000x"}' "'provider' must be a string without a NUL"
		'{"tags": ["a\u0000b"]}' "'tags' must be an array of strings without a NUL"
		'{"messages": [{"role": "user", "content": "hi\u0000 there"}]}' "messages[0] must have a role and content without a NUL"
		'{"messages": [{"role": "user\u0000x", "content": "hi"}]}' "messages[0] must have a role and content without a NUL"
	)
	local k
	for ((k = 0; k < ${#bad[@]}; k += 2)); do
		printf '%s\n' "${bad[k]}" > "$(tdir)/t.json"
		run -7 --separate-stderr chat-new --template t
		one_error chat-new
		[[ $stderr == "chat-new: $(tdir)/t.json: "*"${bad[k+1]}"* ]] || { echo "${bad[k]}: $stderr"; false; }
	done
	[ "$(dump)" = "$before" ]
}

@test "a template that is a FIFO or a device is refused, not read forever; ls says why" {
	mkdir -p "$(tdir)"
	mkfifo "$(tdir)/fifo.json"
	ln -s /dev/zero "$(tdir)/zero.json"
	for n in fifo zero; do
		run -7 --separate-stderr timeout 10 chat-new --template "$n"
		one_error chat-new
		[ "$stderr" = "chat-new: $(tdir)/$n.json: not a regular file" ]
	done
	[ "$(dump)" = "" ]
	run -0 timeout 10 chat-template ls
	[ "$(jq -r 'select(.name == "fifo") | .error' <<< "$output")" = "$(tdir)/fifo.json: not a regular file" ]
}

@test "an unknown template: exit 3, nothing made" {
	run -3 --separate-stderr chat-new --template nosuch
	one_error chat-new
	[[ $stderr == *"no template 'nosuch'"* ]]
	[ "$(dump)" = "" ]
	run -3 --separate-stderr chat-template show nosuch
	one_error chat-template
}

@test "names that would leave the folder are refused: exit 2, nothing written" {
	mkdir -p "$XDG_CONFIG_HOME/confab"
	echo '{"temperature": 1}' > "$XDG_CONFIG_HOME/confab/outside.json"
	for n in ../outside ../../x a/b /etc/passwd .hidden .. . -x '' "$(printf 'a\tb')" \
		"$(printf '%065d' 0)"; do
		run -2 --separate-stderr chat-template save -- "$n"
		one_error chat-template
		[[ $stderr == *"invalid template name"* ]] || { echo "$n: $stderr"; false; }
		run -2 --separate-stderr chat-new --template "$n"
		one_error chat-new
		run -2 --separate-stderr chat-template rm -- "$n"
		one_error chat-template
	done
	[ ! -e "$(tdir)" ]
	[ -f "$XDG_CONFIG_HOME/confab/outside.json" ]
	[ "$(dump)" = "" ]
	# these are fine
	run -0 chat-template save "A-b_c.1"
	[ -f "$(tdir)/A-b_c.1.json" ]
}

@test "bad options and forms are usage errors; nothing written" {
	run -2 --separate-stderr chat-template
	one_error chat-template
	run -2 --separate-stderr chat-template frob
	one_error chat-template
	run -2 --separate-stderr chat-template save
	one_error chat-template
	run -2 --separate-stderr chat-template save a b
	one_error chat-template
	run -2 --separate-stderr chat-template save a --temperature 3
	one_error chat-template
	run -2 --separate-stderr chat-template save a --message nocolon
	one_error chat-template
	run -2 --separate-stderr chat-template save a --message 'robot:hi'
	one_error chat-template
	run -2 --separate-stderr chat-template save a --message 'user:'
	one_error chat-template
	run -2 --separate-stderr chat-template save a --with-messages
	one_error chat-template
	run -2 --separate-stderr chat-template ls -p echo
	one_error chat-template
	run -2 --separate-stderr chat-template ls extra
	one_error chat-template
	run -2 --separate-stderr chat-template show
	one_error chat-template
	run -2 --separate-stderr chat-template rm
	one_error chat-template
	[ ! -e "$(tdir)" ]
	run -3 --separate-stderr chat-template save a --from nosuch
	one_error chat-template
	[ ! -e "$(tdir)" ]
}

# ---- completions ----

@test "bash completes the commands and template names for chat-template, chat-new and confab --template" {
	chat-template save zmine > /dev/null
	comp() {
		ROOT="$ROOT" bash --norc --noprofile -c '
			prog=$1; shift
			source "$ROOT/completions/bash/$prog" || exit 1
			fn=$(complete -p "$prog" | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
			COMP_WORDS=("$prog" "$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
			COMPREPLY=()
			"$fn" "$prog" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
			printf "%s\n" "${COMPREPLY[@]}"' bash "$@"
	}
	[ "$(comp chat-template s | sort | tr '\n' ' ')" = "save show " ]
	[ "$(comp chat-template show '' | tr '\n' ' ')" = "code-review commit-message summarise translate zmine " ]
	[ "$(comp chat-template rm z)" = zmine ]
	[ "$(comp chat-new --template co | tr '\n' ' ')" = "code-review commit-message " ]
	[ "$(comp confab --template zm)" = zmine ]
}

@test "fish completes template names" {
	command -v fish > /dev/null || skip "fish is not installed"
	chat-template save zmine > /dev/null
	local fp="set -p fish_function_path '$ROOT/completions/fish/functions'"
	run -0 fish --no-config -c "$fp; source '$ROOT/completions/fish/chat-template.fish'; complete -C 'chat-template show z'"
	[[ $output == zmine* ]]
	run -0 fish --no-config -c "$fp; source '$ROOT/completions/fish/chat-new.fish'; complete -C 'chat-new --template tr'"
	[[ $output == translate* ]]
}
