// Package result holds the plain data of a finished run: per-query measurements, the
// run's summary and statistics over repeated runs, and comparisons. The runner fills it,
// the report package renders it; it knows nothing of databases or terminals. Its JSON
// form is qrun's versioned report format (SchemaVersion).
package result
