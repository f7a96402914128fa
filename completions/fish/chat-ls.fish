# fish completion for chat-ls(1), part of confab.

# __confab_providers and __confab_records are autoloaded from confab's
# vendor_functions.d.

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
complete -c chat-ls -l author -x -d 'With a message by NAME'
complete -c chat-ls -s s -l search -x -d 'Name or messages contain every word'
complete -c chat-ls -s w -l where -x -d 'Jq program that must be true'
complete -c chat-ls -s n -l limit -x -d 'At most N sessions'
complete -c chat-ls -l json -d 'Print records even on a terminal'
complete -c chat-ls -l db -r -F -d 'The database'
complete -c chat-ls -l db-read -x -d 'A PostgreSQL replica to read from'
complete -c chat-ls -s h -l help -d 'Show the help'
complete -c chat-ls -l version -d 'Show the version'
