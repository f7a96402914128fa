# fish completion for chat-cost(1), part of confab.

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

complete -c chat-cost -f
complete -c chat-cost -l by -x -a 'model provider session' -d 'One row per model, provider or session'
complete -c chat-cost -l since -x -d 'Replies written at or after WHEN'
complete -c chat-cost -l until -x -d 'Replies written at or before WHEN'
complete -c chat-cost -l json -d 'Print records even on a terminal'
complete -c chat-cost -l db -r -F -d 'The database'
complete -c chat-cost -s h -l help -d 'Show the help'
complete -c chat-cost -l version -d 'Show the version'
complete -c chat-cost -a '(__confab_records .name)' -d 'Session'
