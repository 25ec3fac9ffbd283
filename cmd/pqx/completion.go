package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// Completion scripts call pqx back with --generate-bash-completion, which
// urfave/cli answers with the commands and flags valid at that point.
const bashCompletion = `# bash completion for pqx; load with: source <(pqx completion bash)
_pqx_complete() {
  local cur words
  cur="${COMP_WORDS[COMP_CWORD]}"
  if [[ "$cur" == "-"* ]]; then
    words=$("${COMP_WORDS[@]:0:$COMP_CWORD}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    words=$("${COMP_WORDS[@]:0:$COMP_CWORD}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
  [[ ${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=($(compgen -f -- "$cur"))
  return 0
}
complete -o default -F _pqx_complete pqx
`

const zshCompletion = `#compdef pqx
# zsh completion for pqx; load with: source <(pqx completion zsh)
_pqx() {
  local -a opts
  local cur=${words[-1]}
  if [[ "$cur" == "-"* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} ${cur} --generate-bash-completion 2>/dev/null)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion 2>/dev/null)}")
  fi
  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}
compdef _pqx pqx
`

func init() {
	register(&cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script (bash, zsh or fish)",
		ArgsUsage: "bash|zsh|fish",
		Description: `Prints a completion script for the shell. For example:
   source <(pqx completion bash)     # in ~/.bashrc
   source <(pqx completion zsh)      # in ~/.zshrc
   pqx completion fish > ~/.config/fish/completions/pqx.fish`,
		Action: func(c *cli.Context) error {
			switch c.Args().First() {
			case "bash":
				fmt.Fprint(c.App.Writer, bashCompletion)
			case "zsh":
				fmt.Fprint(c.App.Writer, zshCompletion)
			case "fish":
				s, err := c.App.ToFishCompletion()
				if err != nil {
					return failf("completion: %v", err)
				}
				fmt.Fprint(c.App.Writer, s)
			default:
				return usagef("completion needs a shell: bash, zsh or fish")
			}
			return nil
		},
	})
}
