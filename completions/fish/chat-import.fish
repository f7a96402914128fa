# fish completion for chat-import(1), part of confab.

complete -c chat-import -F
complete -c chat-import -s f -l format -x -a 'auto confab chatgpt claude llm' -d 'The format of every file'
complete -c chat-import -s n -l dry-run -d 'Read and check everything, store nothing'
complete -c chat-import -l json -d 'Print records even on a terminal'
complete -c chat-import -l db -r -F -d 'The database'
complete -c chat-import -s h -l help -d 'Show the help'
complete -c chat-import -l version -d 'Show the version'
