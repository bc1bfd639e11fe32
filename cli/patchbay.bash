# bash completion for patchbay(8). The commands and what their arguments
# complete to come from the CLI's own command table (patchbay
# --list-commands); port names and types from the running daemon.
# shellcheck shell=bash

_patchbay()
{
	local cur=${COMP_WORDS[COMP_CWORD]} i cmd="" kind globals=()

	# Global options before the command, kept for the daemon queries.
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-s | --socket | -r | --run-dir)
			globals+=("${COMP_WORDS[i]}" "${COMP_WORDS[i + 1]}")
			((i++))
			;;
		-*) ;;
		*)
			cmd=${COMP_WORDS[i]}
			break
			;;
		esac
	done
	if [ -z "$cmd" ]; then
		mapfile -t COMPREPLY < <(compgen -W "$(patchbay --list-commands 2>/dev/null |
			cut -d' ' -f1) help" -- "$cur")
		return 0
	fi
	kind=$(patchbay --list-commands 2>/dev/null | awk -v c="$cmd" '$1 == c { print $2 }')
	case $kind in
	ports)
		mapfile -t COMPREPLY < <(compgen -W "$(patchbay "${globals[@]}" --json status \
			2>/dev/null | sed -n 's/.*"name": "\([^"]*\)".*/\1/p')" -- "$cur")
		;;
	types)
		[ "$i" -eq $((COMP_CWORD - 1)) ] || return 0
		compopt -o nospace 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -W "$(patchbay "${globals[@]}" --json types \
			2>/dev/null | sed -n 's/^      "name": "\([^"]*\)".*/\1:/p')" -- "$cur")
		;;
	esac
	return 0
}
complete -F _patchbay patchbay
