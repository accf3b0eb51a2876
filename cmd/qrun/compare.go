package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qrunhq/qrun/compare"
	"github.com/qrunhq/qrun/report"
)

// CompareOptions is a parsed qrun compare command line.
type CompareOptions struct {
	Env          *Env
	Base, New    string // JSON report files
	ThresholdPct float64
	MinDelta     time.Duration
	Format       string
	Output       string
	Target       string // one target of a several-target report
	GatePlan     bool   // --gate-plan
}

func newCompareCmd(env *Env) *cobra.Command {
	o := &CompareOptions{Env: env}
	cmd := &cobra.Command{
		Use:   "compare BASE.json NEW.json",
		Short: "Compare two JSON reports statement by statement",
		Long: `Compare two JSON reports (qrun --format json) statement by statement: base and new
medians, the change, and a verdict from a Mann–Whitney U test on the runs' samples ("~" when
the difference is not significant at 0.05 or there are too few samples).

Statements are paired by identity: a named statement by its name, an unnamed one by its
file's name and its SQL's fingerprint, so edited comments, moved lines and another working
directory change nothing. A statement that failed in any run of NEW is "failed in new" and
makes the exit status 1. With --threshold, exit 3 when any statement is significantly
slower by more than P%. Reports that cannot be compared (a --dry-run plan, one target
against several) are an error, exit 2; --target picks one target of a several-target report.`,
		Example: `  qrun --runs 30 --format json -o base.json bench.sql
  # ... change the schema, the server, the query ...
  qrun --runs 30 --format json -o new.json bench.sql
  qrun compare base.json new.json --threshold 10%`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usagef("compare takes two reports, BASE.json and NEW.json; got %d argument(s)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Base, o.New = args[0], args[1]
			if err := checkFormat(o.Format); err != nil {
				return err
			}
			if o.MinDelta < 0 {
				return usagef("--min-delta must not be negative, got %s", o.MinDelta)
			}
			return runCompare(cmd.Context(), o)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	cmd.Flags().Var(&percentValue{pct: &o.ThresholdPct}, "threshold", "exit 3 when a statement is significantly slower by more than this")
	cmd.Flags().DurationVar(&o.MinDelta, "min-delta", defaultMinDelta, "with --threshold: a regression must also be slower by more than `D`")
	cmd.Flags().BoolVar(&o.GatePlan, "gate-plan", false, "exit 3 when a statement's plan changed (reports made with --server-stats)")
	cmd.Flags().StringVar(&o.Format, "format", report.Formats[0], "output `FORMAT`: "+strings.Join(report.Formats, ", "))
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "write to `FILE` (atomically) instead of stdout")
	cmd.Flags().StringVar(&o.Target, "target", "", "compare target `NAME` (its label, user@host:port/db, or its number) of a report of several targets")
	return cmd
}

func runCompare(_ context.Context, o *CompareOptions) error {
	if err := checkOutput(o.Output, []string{o.Base, o.New}); err != nil {
		return &exitError{exitInput, err}
	}
	base, err := compare.Load(o.Base)
	if err != nil {
		return &exitError{exitInput, fmt.Errorf("compare: %w", err)}
	}
	next, err := compare.Load(o.New)
	if err != nil {
		return &exitError{exitInput, fmt.Errorf("compare: %w", err)}
	}
	cs, err := compare.Reports(o.Base, base, o.New, next, o.Target, compare.Options{ThresholdPct: o.ThresholdPct, MinDeltaMs: ms(o.MinDelta), GatePlan: o.GatePlan})
	if err != nil {
		return &exitError{exitInput, fmt.Errorf("compare: %w", err)}
	}
	ropts := report.Options{Format: o.Format, Width: o.Env.Width, Color: useColor(o.Env, o.Output)}
	err = writeOutput(o.Env, o.Output, func(w io.Writer) error {
		return report.WriteComparisons(w, cs, ropts)
	})
	if err != nil {
		return &exitError{exitFailed, err}
	}
	if o.Format == "github" {
		if err := appendStepSummary(o.Env, func(w io.Writer) error {
			return report.WriteComparisons(w, cs, report.Options{Format: "markdown"})
		}); err != nil {
			return err
		}
	}
	return comparisonOutcome(cs)
}
