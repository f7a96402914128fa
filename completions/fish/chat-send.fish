# fish completion for chat-send(1), part of confab.

# Providers: the built-in ones, then the sections of the config file that
# define one ([NAME] with a type key), as in confab(5).
function __confab_providers
    printf '%s\n' anthropic openai gemini ollama echo
    set -l conf $HOME/.config/confab/config
    string match -q -- '/*' "$XDG_CONFIG_HOME"; and set conf $XDG_CONFIG_HOME/confab/config
    test -r $conf; or return 0
    awk '
		/^[ \t]*[#;]/ { next }
		/^[ \t]*\[/ {
			s = $0
			sub(/^[ \t]*\[[ \t]*/, "", s)
			sub(/[ \t]*\][ \t\r]*$/, "", s)
			next
		}
		s != "" && s != "defaults" && /^[ \t]*type[ \t]*=/ && !seen[s]++ { print s }
	' $conf
end

# Values from the session records of the store the command line names
# (jq filter $argv[1]), if that store exists: completing never creates one.
function __confab_records
    command -q jq; or return 0
    set -l db $CHAT_DB
    if test -z "$db"
        if string match -q -- '/*' "$XDG_DATA_HOME"
            set db $XDG_DATA_HOME/confab/chat.db
        else
            set db $HOME/.local/share/confab/chat.db
        end
    end
    set -l toks (commandline -opc)
    for i in (seq (count $toks))
        if test "$toks[$i]" = --db; and test $i -lt (count $toks)
            set db $toks[(math $i + 1)]
        else if string match -q -- '--db=*' $toks[$i]
            set db (string replace -- '--db=' '' $toks[$i])
        end
    end
    test -f "$db"; or return 0
    chat-ls -a --json --db $db </dev/null 2>/dev/null | jq -r $argv[1] 2>/dev/null
end

complete -c chat-send -f
complete -c chat-send -s s -l session -x -a '(__confab_records .name)' -d 'The session'
complete -c chat-send -l new -d 'Start a new session'
complete -c chat-send -s p -l provider -x -a '(__confab_providers)' -d 'Provider for this message'
complete -c chat-send -s m -l model -x -d 'Model for this message'
complete -c chat-send -s S -l system -x -d 'System prompt for this message'
complete -c chat-send -l temperature -x -d 'Sampling temperature, 0 to 2'
complete -c chat-send -l max-tokens -x -d 'Most tokens in the reply'
complete -c chat-send -s a -l attach -r -F -d 'Attach a text file or an image'
complete -c chat-send -l fallback -x -a '(__confab_providers)' -d 'PROVIDER[:MODEL] to try when the others fail'
complete -c chat-send -l no-stream -d 'Ask for the whole reply at once'
complete -c chat-send -l retries -x -d 'Retries on 429, 5xx and connection failures'
complete -c chat-send -l retry-time -x -d 'Most time the retries may take'
complete -c chat-send -l timeout -x -d 'Give up after this long without a byte'
complete -c chat-send -l json -d 'Delta records, then the message record'
complete -c chat-send -l db -r -F -d 'The database'
complete -c chat-send -s h -l help -d 'Show the help'
complete -c chat-send -l version -d 'Show the version'
