# fish completion for chat-react(1), part of confab.

complete -c chat-react -f
complete -c chat-react -s r -l remove -d 'Take your emoji off instead'
complete -c chat-react -l json -d 'Print the message as a record even on a terminal'
complete -c chat-react -l db -r -F -d 'The database'
complete -c chat-react -s h -l help -d 'Show the help'
complete -c chat-react -l version -d 'Show the version'
