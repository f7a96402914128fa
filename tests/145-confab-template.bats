#!/usr/bin/env bats
# confab and templates in a real terminal (tmux): confab --template,
# /template NAME (a new tab, as /new makes one), /save-template NAME,
# and Tab completing template names.

load helper
load confab-tmux

setup() {
	common_setup
	command -v tmux > /dev/null || skip "no tmux (make deps)"
	export LANG=C.UTF-8
	SOCK="tmpl-$$-$BATS_TEST_NUMBER"
	RUN="$BATS_TEST_TMPDIR/run"
	mkdir -p "$RUN"
}

teardown() {
	tm kill-server 2> /dev/null || true
	fake_stop
}

# The user's template folder.
tdir() { echo "$XDG_CONFIG_HOME/confab/templates"; }

@test "confab --template: the template's settings and opening messages, options over them" {
	chat-template save opener -p echo --temperature 0.4 -S "be terse" -t t1 \
		--message "user:what is a monad" --message "assistant:a monoid in the category of endofunctors" > /dev/null
	start --template opener --temperature 0.6 -n mine
	# the opening messages are shown as a resumed session's are
	wait_for 'a monoid in the category of endofunctors'
	line "and in plain words"
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	sid=$(chat-ls --json | jq -r 'select(.name == "mine") | .id')
	[ -n "$sid" ]
	[ "$(chat-ls --json | jq -c 'select(.name == "mine") | [.provider, .settings.temperature, .settings.systemPrompt, .metadata.tags]')" = '["echo",0.6,"be terse",["t1"]]' ]
	[ "$(chat-show --json "$sid" | jq -r .content | head -3 | tr '\n' '|')" = "what is a monad|a monoid in the category of endofunctors|and in plain words|" ]
}

@test "confab --template with a broken or unknown template: one line, before the chat" {
	mkdir -p "$(tdir)"
	printf '{\n  "temperature": 0.2,\n  "model": \n}\n' > "$(tdir)/bad.json"
	run -7 on_tty confab --template bad
	[[ $output =~ "confab: $(tdir)/bad.json:"[0-9]+:[0-9]+": " ]]
	run -3 on_tty confab --template nosuch
	[[ $output == *"confab: no template 'nosuch'"* ]]
	[ ! -e "$CHAT_DB" ] || [ "$(count sessions)" = 0 ]
}

@test "/template NAME opens a new tab as chat-new --template makes; unused, it goes at the end" {
	# the shipped templates name no provider: the config's is used
	printf '[defaults]\nprovider = echo\n' | config
	new_session -n s -p echo > /dev/null
	chat-template save two -p echo --max-tokens 77 --message "user:opening" > /dev/null
	start s
	line "/template two"
	wait_for 'a new session from the user template'
	line "/sessions"
	[ "$(on_screen '^\* 2  ')" = 1 ]
	line "/template code-review"
	wait_for 'shipped template'
	line "a diff to look at"
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	# the unused one (only its opening message) is gone; the used one stays
	[ "$(chat-ls --all --json | jq -s 'map(select(.settings.maxTokens == 77)) | length')" = 0 ]
	chat-new --template code-review -n ref > /dev/null
	got=$(chat-ls --all --json | jq -c 'select(.name != "ref" and .name != "s") | [.provider, .settings, .metadata.tags]')
	want=$(chat-ls --all --json | jq -c 'select(.name == "ref") | [.provider, .settings, .metadata.tags]')
	[ -n "$want" ]
	[ "$got" = "$want" ] || { echo "got  $got"; echo "want $want"; false; }
}

@test "/save-template NAME saves this session's settings as chat-template save --from does" {
	new_session -n src -p echo -S "you review diffs" --temperature 0.3 -t work > /dev/null
	chat-add -s src "first question" > /dev/null
	start src
	line "/save-template mine"
	wait_for "saved the template 'mine'"
	line "/save-template mine"
	[ "$(on_screen "^confab: /save-template: template 'mine' exists: /save-template -f mine replaces it")" = 1 ]
	line "/save-template -f -m withmsg"
	line "/save-template ../escape"
	[ "$(on_screen "^confab: /save-template: invalid template name")" = 1 ]
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
	[ ! -e "$XDG_CONFIG_HOME/confab/escape.json" ]
	chat-template save ref --from src > /dev/null
	[ "$(jq -c . "$(tdir)/mine.json")" = "$(jq -c . "$(tdir)/ref.json")" ]
	[ "$(jq -c .messages "$(tdir)/withmsg.json")" = '[{"role":"user","content":"first question"}]' ]
	[ "$(jq -r .systemPrompt "$(tdir)/mine.json")" = "you review diffs" ]
}

@test "Tab completes template names after /template and /save-template" {
	new_session -n s -p echo > /dev/null
	chat-template save zzmine -p echo > /dev/null
	start s
	typed "/template zzm"
	keys Tab
	wait_for '> /template zzmine *$'
	keys C-u
	typed "/template commit-"
	keys Tab
	wait_for '> /template commit-message *$'
	keys C-u
	typed "/save-template zz"
	keys Tab
	wait_for '> /save-template zzmine *$'
	keys C-u
	keys "/quit" Enter
	[ "$(exited)" = 0 ]
}
