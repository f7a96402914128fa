# fish completion for chat-note(1), part of confab.

complete -c chat-note -f
complete -c chat-note -s q -l quote -x -d 'The words of the message the note is about'
complete -c chat-note -l ls -d 'List the notes of a message, or every note'
complete -c chat-note -l rm -x -d 'Remove a note'
complete -c chat-note -l json -d 'Print records even on a terminal'
complete -c chat-note -l db -r -F -d 'The database'
complete -c chat-note -s h -l help -d 'Show the help'
complete -c chat-note -l version -d 'Show the version'
