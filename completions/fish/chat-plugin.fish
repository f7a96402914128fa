# fish completion for chat-plugin(1), part of confab.

# __confab_records is autoloaded from confab's vendor_functions.d.

# Plugin names, from the plugin folder and PATH (no plugin is run).
function __chat_plugin_names
    set --local d $HOME/.local/share/confab/plugins
    string match -q '/*' -- "$XDG_DATA_HOME"; and set d $XDG_DATA_HOME/confab/plugins
    for f in $d/chat-plugin-* $PATH/chat-plugin-*
        test -f $f -a -x $f; and string replace -r '.*/chat-plugin-' '' -- $f
    end | sort -u
end

function __chat_plugin_commands
    set --local words (commandline -opc)
    set --local name
    set --local seen 0
    for w in $words[2..-1]
        string match -q -- '-*' $w; and continue
        set seen (math $seen + 1)
        test $seen -eq 2; and set name $w
    end
    test -n "$name"; or return
    chat-plugin describe --json $name </dev/null 2>/dev/null | jq -r '.commands[].name' 2>/dev/null
end

complete -c chat-plugin -f
complete -c chat-plugin -n __fish_use_subcommand -a ls -d 'List the plugins'
complete -c chat-plugin -n __fish_use_subcommand -a describe -d 'Describe a plugin'
complete -c chat-plugin -n __fish_use_subcommand -a run -d 'Run a plugin command'
complete -c chat-plugin -n __fish_use_subcommand -a config -d 'Set a plugin config key'
complete -c chat-plugin -n '__fish_seen_subcommand_from describe run config; and test (count (commandline -opc)) -eq 2' -a '(__chat_plugin_names)' -d 'Plugin'
complete -c chat-plugin -n '__fish_seen_subcommand_from run; and test (count (commandline -opc)) -eq 3' -a '(__chat_plugin_commands)' -d 'Plugin command'
complete -c chat-plugin -s s -l session -x -a '(__confab_records .name)' -d 'Run: the session the plugin is given'
complete -c chat-plugin -l json -d 'Print records even on a terminal'
complete -c chat-plugin -l db -r -F -d 'The database'
complete -c chat-plugin -s h -l help -d 'Show the help'
complete -c chat-plugin -l version -d 'Show the version'
