# fish completion helper shared by every confab program (part of confab).
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
    # a PostgreSQL store (a URI, or libpq's key=value words, as store.c
    # tells them) is no file: chat-ls finds out whether it is there
    test -f "$db"; or string match -q -r -- '^(postgres(ql)?://| *[a-z_]+ *=)' "$db"; or return 0
    chat-ls -a --json --db $db </dev/null 2>/dev/null | jq -r $argv[1] 2>/dev/null
end
