package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/qrunhq/qrun/compare"
	"github.com/qrunhq/qrun/report"
	"github.com/qrunhq/qrun/result"
)

// MergeOptions is a parsed qrun merge command line.
type MergeOptions struct {
	Env    *Env
	Files  []string // JSON reports
	Format string
	Output string
}

func newMergeCmd(env *Env) *cobra.Command {
	o := &MergeOptions{Env: env}
	cmd := &cobra.Command{
		Use:   "merge A.json B.json...",
		Short: "Combine the JSON reports of one workload run by several qrun processes",
		Long: `Combine the JSON reports (qrun --format json) of the same workload run by several
qrun processes — shards of one load test on one machine or many — into one report: every
statement holds the union of the instances' samples, so its percentiles are those of all of
them, and qrun compare and the gate read the merged report like any other. The merged
report lists the instances (their --label values, target, start and runs) and how far
apart they started. Reports of different files, modes or statements are refused.`,
		Example: `  # Four instances started together, each labelled, then merged
  for i in 0 1 2 3; do
    qrun --runs 20 --label shard=$i --start-at 2026-12-02T15:00:00Z --format json -o shard-$i.json bench.sql &
  done; wait
  qrun merge shard-*.json -o all.json
  qrun compare base.json all.json --threshold 10%`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("merge takes one or more JSON reports")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Files = args
			if err := checkFormat(o.Format); err != nil {
				return err
			}
			return runMerge(cmd.Context(), o)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	cmd.Flags().StringVar(&o.Format, "format", "json", "output `FORMAT`: "+strings.Join(report.Formats, ", "))
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "write to `FILE` (atomically) instead of stdout")
	return cmd
}

func runMerge(_ context.Context, o *MergeOptions) error {
	if err := checkOutput(o.Output, o.Files); err != nil {
		return &exitError{exitInput, err}
	}
	reps := make([]result.Report, len(o.Files))
	for i, f := range o.Files {
		r, err := compare.Load(f)
		if err != nil {
			return &exitError{exitInput, fmt.Errorf("merge: %w", err)}
		}
		reps[i] = *r
	}
	merged, err := result.Merge(reps, o.Files)
	if err != nil {
		return &exitError{exitInput, fmt.Errorf("merge: %w", err)}
	}
	return renderReport(o.Env, o.Output, o.Format, &merged)
}

// ShowOptions is a parsed qrun show command line.
type ShowOptions struct {
	Env    *Env
	File   string
	Format string
	Output string
}

func newShowCmd(env *Env) *cobra.Command {
	o := &ShowOptions{Env: env}
	cmd := &cobra.Command{
		Use:   "show REPORT.json",
		Short: "Render a saved JSON report in another format",
		Long: `Render a JSON report saved earlier (qrun --format json -o REPORT.json) in any format, as
the run would have printed it: a table to read, markdown or html to publish, github to
annotate a pull request (and append the markdown summary to $GITHUB_STEP_SUMMARY).`,
		Example: `  qrun --runs 30 --format json -o report.json bench.sql
  qrun show report.json                      # the table
  qrun show report.json --format html -o report.html
  qrun show report.json --format github      # in a GitHub Actions step`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("show takes one JSON report; got %d argument(s)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.File = args[0]
			if err := checkFormat(o.Format); err != nil {
				return err
			}
			return runShow(o)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	cmd.Flags().StringVar(&o.Format, "format", report.Formats[0], "output `FORMAT`: "+strings.Join(report.Formats, ", "))
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "write to `FILE` (atomically) instead of stdout")
	return cmd
}

func runShow(o *ShowOptions) error {
	if err := checkOutput(o.Output, []string{o.File}); err != nil {
		return &exitError{exitInput, err}
	}
	r, err := compare.Load(o.File)
	if err != nil {
		return &exitError{exitInput, fmt.Errorf("show: %w", err)}
	}
	return renderReport(o.Env, o.Output, o.Format, r)
}
