# fish completion for chat-edit(1), part of confab.

complete -c chat-edit -f
complete -c chat-edit -l history -d 'List the message\'s versions'
complete -c chat-edit -l revert -x -d 'Bring version N back'
complete -c chat-edit -l json -d 'Print records even on a terminal'
complete -c chat-edit -l db -r -F -d 'The database'
complete -c chat-edit -s h -l help -d 'Show the help'
complete -c chat-edit -l version -d 'Show the version'
