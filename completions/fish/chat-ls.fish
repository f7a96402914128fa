# fish completion for chat-ls(1), part of confab.

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

complete -c chat-ls -f
complete -c chat-ls -s t -l tag -x -a '(__confab_records ".metadata.tags[]" | sort -u)' -d 'With this tag'
complete -c chat-ls -s p -l provider -x -a '(__confab_providers)' -d 'With this provider'
complete -c chat-ls -s m -l model -x -d 'With this model'
complete -c chat-ls -l starred -d 'Starred sessions only'
complete -c chat-ls -l archived -d 'Archived sessions only'
complete -c chat-ls -s a -l all -d 'Archived sessions too'
complete -c chat-ls -l since -x -d 'Updated at or after WHEN'
complete -c chat-ls -l until -x -d 'Updated at or before WHEN'
complete -c chat-ls -l parent -x -a '(__confab_records .name)' -d 'Branches of SESSION'
complete -c chat-ls -s s -l search -x -d 'Name or messages contain every word'
complete -c chat-ls -s w -l where -x -d 'Jq program that must be true'
complete -c chat-ls -s n -l limit -x -d 'At most N sessions'
complete -c chat-ls -l json -d 'Print records even on a terminal'
complete -c chat-ls -l db -r -F -d 'The database'
complete -c chat-ls -s h -l help -d 'Show the help'
complete -c chat-ls -l version -d 'Show the version'
