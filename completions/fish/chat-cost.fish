# fish completion for chat-cost(1), part of confab.

# __confab_providers and __confab_records are autoloaded from confab's
# vendor_functions.d.

complete -c chat-cost -f
complete -c chat-cost -l by -x -a 'model provider session' -d 'One row per model, provider or session'
complete -c chat-cost -l since -x -d 'Replies written at or after WHEN'
complete -c chat-cost -l until -x -d 'Replies written at or before WHEN'
complete -c chat-cost -l json -d 'Print records even on a terminal'
complete -c chat-cost -l db -r -F -d 'The database'
complete -c chat-cost -s h -l help -d 'Show the help'
complete -c chat-cost -l version -d 'Show the version'
complete -c chat-cost -a '(__confab_records .name)' -d 'Session'
