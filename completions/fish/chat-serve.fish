# fish completion for chat-serve(1), part of confab.

complete -c chat-serve -f
complete -c chat-serve -l listen -x -a '127.0.0.1:8088 127.0.0.1:0 [::1]:8088' -d 'The address, HOST:PORT (port 0: any free one)'
complete -c chat-serve -l tls-cert -r -F -d 'Serve HTTPS with this PEM certificate'
complete -c chat-serve -l tls-key -r -F -d 'The PEM private key'
complete -c chat-serve -l insecure-public -d 'Allow a non-loopback address without TLS'
complete -c chat-serve -l check -d 'Check the config and the store, then exit'
complete -c chat-serve -l quiet -d 'No request log on stderr'
complete -c chat-serve -l db -r -F -d 'The database'
complete -c chat-serve -s h -l help -d 'Show the help'
complete -c chat-serve -l version -d 'Show the version'
