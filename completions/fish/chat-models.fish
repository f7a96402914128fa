# fish completion for chat-models(1), part of confab.

# __confab_providers is autoloaded from confab's vendor_functions.d.

complete -c chat-models -f
complete -c chat-models -s p -l provider -x -a '(__confab_providers)' -d 'Only this provider'
complete -c chat-models -l refresh -d 'Ask the providers again, whatever the cache holds'
complete -c chat-models -l json -d 'Print records even on a terminal'
complete -c chat-models -s h -l help -d 'Show the help'
complete -c chat-models -l version -d 'Show the version'
