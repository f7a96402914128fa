# fish completion helper shared by every confab program (part of confab).
# Providers: the built-in ones, then the sections of the config file that
# define one ([NAME] with a type key), as in confab(5).
function __confab_providers
    printf '%s\n' anthropic openai gemini ollama openai-responses echo
    set -l conf $HOME/.config/confab/config
    string match -q -- '/*' "$XDG_CONFIG_HOME"; and set conf $XDG_CONFIG_HOME/confab/config
    test -r $conf; or return 0
    awk '
		/^[ \t]*[#;]/ { next }
		/^[ \t]*\[/ {
			s = $0
			sub(/^[ \t]*\[[ \t]*/, "", s)
			sub(/[ \t]*\][ \t\r]*$/, "", s)
			next
		}
		s != "" && s != "defaults" && /^[ \t]*type[ \t]*=/ && !seen[s]++ { print s }
	' $conf
end
