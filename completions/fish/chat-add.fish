# fish completion for chat-add(1), part of confab.

# __confab_providers and __confab_records are autoloaded from confab's
# vendor_functions.d.

complete -c chat-add -f
complete -c chat-add -s s -l session -x -a '(__confab_records .name)' -d 'The session'
complete -c chat-add -s r -l role -x -a 'user assistant system' -d 'User, assistant or system'
complete -c chat-add -s m -l model -x -d 'The model that wrote it'
complete -c chat-add -l tokens -x -d 'Tokens it counts for'
complete -c chat-add -l time -x -d 'When it was written (RFC 3339)'
complete -c chat-add -l records -d 'Read message records from stdin'
complete -c chat-add -l json -d 'Print records even on a terminal'
complete -c chat-add -l db -r -F -d 'The database'
complete -c chat-add -s h -l help -d 'Show the help'
complete -c chat-add -l version -d 'Show the version'
