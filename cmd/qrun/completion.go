package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/qrunhq/qrun/report"
)

// Shell completion (qrun completion bash|zsh|fish|powershell): files for the input
// files and for flags that take a file, the formats for --format, and nothing for the
// flags that take a duration, a number, a name or SQL, where a file would be wrong.

// fileFlags take a file name: the shell completes files for them.
var fileFlags = map[string][]string{
	"file":     nil,
	"output":   nil,
	"baseline": {"json"},
}

// setCompletions registers the completions of the root command and of compare.
func setCompletions(root, cmp *cobra.Command) {
	// Positional arguments are input files (cobra would offer only the subcommands).
	root.ValidArgsFunction = func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveDefault
	}
	cmp.ValidArgsFunction = func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) >= 2 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return []cobra.Completion{"json"}, cobra.ShellCompDirectiveFilterFileExt
	}
	for _, c := range []*cobra.Command{root, cmp} {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			registerFlagCompletion(c, f)
		})
	}
}

func registerFlagCompletion(c *cobra.Command, f *pflag.Flag) {
	if f.Value.Type() == "bool" {
		return
	}
	var fn cobra.CompletionFunc
	switch exts, ok := fileFlags[f.Name]; {
	case f.Name == "format":
		fn = func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var out []cobra.Completion
			for _, f := range report.Formats {
				if strings.HasPrefix(f, toComplete) {
					out = append(out, f)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		}
	case ok && len(exts) > 0:
		fn = func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return exts, cobra.ShellCompDirectiveFilterFileExt
		}
	case ok:
		fn = func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveDefault
		}
	case f.Name == "host":
		// A host, or a socket directory.
		fn = func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveFilterDirs
		}
	default:
		// Durations, numbers, names, SQL, connection strings: no files.
		fn = cobra.NoFileCompletions
	}
	_ = c.RegisterFlagCompletionFunc(f.Name, fn)
}
