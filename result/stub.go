package result

// Stubs: the result engineer replaces this file with the real implementation.

// Aggregate combines measured runs of one plan on one target into a report. base carries
// what the runs do not know (Context, Mode, Concurrency, Warmup, ConnectMs, Warnings);
// Aggregate fills the times, statistics and counts.
func Aggregate(base Report, runs []Run) Report { return base }
