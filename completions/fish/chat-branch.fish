# fish completion for chat-branch(1), part of confab.

# __confab_providers and __confab_records are autoloaded from confab's
# vendor_functions.d.

complete -c chat-branch -f
complete -c chat-branch -s a -l at -x -d 'The last message to take'
complete -c chat-branch -s n -l name -x -d 'Name of the new session'
complete -c chat-branch -s d -l duplicate -d 'A copy, not a branch'
complete -c chat-branch -l json -d 'Print records even on a terminal'
complete -c chat-branch -l db -r -F -d 'The database'
complete -c chat-branch -s h -l help -d 'Show the help'
complete -c chat-branch -l version -d 'Show the version'
complete -c chat-branch -a '(__confab_records .name)' -d 'Session'
