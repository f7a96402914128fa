# fish completion for chat-set(1), part of confab.

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

complete -c chat-set -f
complete -c chat-set -s n -l name -x -d 'Rename'
complete -c chat-set -s p -l provider -x -a '(__confab_providers)' -d 'Provider'
complete -c chat-set -s m -l model -x -d 'Model'
complete -c chat-set -s S -l system -x -d 'System prompt'
complete -c chat-set -l temperature -x -d 'Sampling temperature, 0 to 2'
complete -c chat-set -l max-tokens -x -d 'Most tokens in a reply'
complete -c chat-set -l context-window -x -d 'Earlier messages sent with each request'
complete -c chat-set -l auto-context -d 'Send the context window automatically'
complete -c chat-set -l no-auto-context -d 'Do not send the context window automatically'
complete -c chat-set -s t -l tag -x -a '(__confab_records ".metadata.tags[]" | sort -u)' -d 'Add a tag'
complete -c chat-set -s u -l untag -x -a '(__confab_records ".metadata.tags[]" | sort -u)' -d 'Remove a tag'
complete -c chat-set -l star -d 'Star'
complete -c chat-set -l unstar -d 'Unstar'
complete -c chat-set -l archive -d 'Archive'
complete -c chat-set -l unarchive -d 'Bring back from the archive'
complete -c chat-set -l json -d 'Print records even on a terminal'
complete -c chat-set -l db -r -F -d 'The database'
complete -c chat-set -s h -l help -d 'Show the help'
complete -c chat-set -l version -d 'Show the version'
complete -c chat-set -a '(__confab_records .name)' -d 'Session'
