package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/qrunhq/qrun/queries"
)

// Client-side large objects: \lo_import, \lo_export, \lo_unlink, \lo_list.
//
// psql moves a large object through libpq's large object calls (lo_creat, lo_open,
// lo_write, lo_read, lo_close, lo_unlink), inside a transaction of its own when none is
// open: BEGIN before, COMMIT after (ROLLBACK after a failure), and it refuses to start in
// a failed transaction. qrun does the same with the server functions of the same names,
// each call a query with the extended protocol (data in binary), so data moves in chunks
// of loChunk bytes: a file of any size is never held. \lo_import sets LASTOID.

// loChunk is how much data one lowrite or loread moves.
const loChunk = 256 << 10

// The modes of lo_creat and lo_open (libpq's INV_WRITE, INV_READ).
const (
	invWrite = 0x20000
	invRead  = 0x40000
)

// largeObject runs the large object command c on pc. It returns the rows \lo_list
// listed, psql's status line as the tag, and the object \lo_import made.
func largeObject(ctx context.Context, pc *pgconn.PgConn, c queries.LOCall) (rows int64, tag pgconn.CommandTag, oid uint32, err error) {
	if c.Cmd == queries.LOList {
		// psql's listing query, a hidden query of its own: rows counted, not shown.
		rr := pc.ExecParams(ctx, c.SQL, nil, nil, nil, nil)
		for rr.NextRow() {
			rows++
		}
		tag, err = rr.Close()
		return rows, tag, 0, err
	}
	name := "\\" + c.Cmd.String()
	own := false
	switch pc.TxStatus() {
	case 'I':
		if _, err := pc.Exec(ctx, "BEGIN").ReadAll(); err != nil {
			return 0, tag, 0, err
		}
		own = true
	case 'T':
	case 'E':
		return 0, tag, 0, errors.New(name + ": current transaction is aborted")
	default:
		return 0, tag, 0, errors.New(name + ": unknown transaction status")
	}
	status := ""
	switch c.Cmd {
	case queries.LOImport:
		oid, err = loImport(ctx, pc, c.File)
		if err == nil && c.HasComment {
			err = loExec(ctx, pc, fmt.Sprintf("COMMENT ON LARGE OBJECT %d IS '%s'", oid, escapeString(c.Comment, pc.ParameterStatus("standard_conforming_strings") != "off")))
		}
		status = fmt.Sprintf("lo_import %d", oid)
	case queries.LOExport:
		err = loExport(ctx, pc, atooid(c.OID), c.File)
		status = "lo_export"
	case queries.LOUnlink:
		o := atooid(c.OID)
		_, err = loCall(ctx, pc, "SELECT pg_catalog.lo_unlink($1)", oidParam(o))
		status = fmt.Sprintf("lo_unlink %d", o)
	}
	if own {
		end := "COMMIT"
		if err != nil {
			end = "ROLLBACK"
		}
		// After a failure psql's ROLLBACK may fail too (a lost connection): the first
		// error is the one reported.
		if _, eerr := pc.Exec(ctx, end).ReadAll(); eerr != nil && err == nil {
			err = eerr
		}
	}
	if err != nil {
		return 0, pgconn.CommandTag{}, 0, err
	}
	return 0, pgconn.NewCommandTag(status), oid, nil
}

// loImport makes a large object of the file at path, as libpq's lo_import does.
func loImport(ctx context.Context, pc *pgconn.PgConn, path string) (uint32, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("could not open file %q: %s", path, pathReason(err))
	}
	defer f.Close()
	v, err := loCall(ctx, pc, "SELECT pg_catalog.lo_creat($1)", []byte(strconv.Itoa(invRead|invWrite)))
	if err != nil {
		return 0, err
	}
	oid := atooid(string(v))
	fd, err := loOpen(ctx, pc, oid, invWrite)
	if err != nil {
		return 0, err
	}
	buf := make([]byte, loChunk)
	for {
		n, rerr := io.ReadFull(f, buf)
		if n > 0 {
			rr := pc.ExecParams(ctx, "SELECT pg_catalog.lowrite($1, $2)", [][]byte{fd, buf[:n]}, []uint32{23, 17}, []int16{0, 1}, nil)
			if _, err := rr.Close(); err != nil {
				return 0, err
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return 0, fmt.Errorf("could not read file %q: %s", path, pathReason(rerr))
		}
	}
	if _, err := loCall(ctx, pc, "SELECT pg_catalog.lo_close($1)", fd); err != nil {
		return 0, err
	}
	return oid, nil
}

// loExport writes large object oid into the file at path, as libpq's lo_export does:
// the object is opened first, then the file (created, or truncated).
func loExport(ctx context.Context, pc *pgconn.PgConn, oid uint32, path string) error {
	fd, err := loOpen(ctx, pc, oid, invRead)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o666)
	if err != nil {
		return fmt.Errorf("could not open file %q: %s", path, pathReason(err))
	}
	n := []byte(strconv.Itoa(loChunk))
	buf := make([]byte, 0, loChunk)
	for {
		rr := pc.ExecParams(ctx, "SELECT pg_catalog.loread($1, $2)", [][]byte{fd, n}, []uint32{23, 23}, nil, []int16{1})
		buf = buf[:0]
		for rr.NextRow() {
			buf = append(buf, rr.Values()[0]...)
		}
		if _, err := rr.Close(); err != nil {
			f.Close()
			return err
		}
		if len(buf) == 0 {
			break
		}
		if _, err := f.Write(buf); err != nil {
			f.Close()
			return fmt.Errorf("could not write to file %q: %s", path, pathReason(err))
		}
	}
	if _, err := loCall(ctx, pc, "SELECT pg_catalog.lo_close($1)", fd); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("could not write to file %q: %s", path, pathReason(err))
	}
	return nil
}

// loOpen opens large object oid in mode and returns its descriptor, as text.
func loOpen(ctx context.Context, pc *pgconn.PgConn, oid uint32, mode int) ([]byte, error) {
	return loCall(ctx, pc, "SELECT pg_catalog.lo_open($1, $2)", oidParam(oid), []byte(strconv.Itoa(mode)))
}

// loCall runs a query of one value with text parameters and returns the value (a copy).
func loCall(ctx context.Context, pc *pgconn.PgConn, sql string, params ...[]byte) ([]byte, error) {
	rr := pc.ExecParams(ctx, sql, params, nil, nil, nil)
	var v []byte
	for rr.NextRow() {
		v = append(v[:0], rr.Values()[0]...)
	}
	_, err := rr.Close()
	return v, err
}

// loExec runs one command.
func loExec(ctx context.Context, pc *pgconn.PgConn, sql string) error {
	_, err := pc.Exec(ctx, sql).ReadAll()
	return err
}

func oidParam(oid uint32) []byte { return []byte(strconv.FormatUint(uint64(oid), 10)) }

// atooid reads an OID as psql's atooid (strtoul) does: leading blanks and digits, 0 when
// there are none, the largest value past it.
func atooid(s string) uint32 {
	s = strings.TrimLeft(s, " \t\n\r\f\v")
	s = strings.TrimPrefix(s, "+")
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	v, err := strconv.ParseUint(s[:i], 10, 64)
	if err != nil && i > 0 {
		return ^uint32(0)
	}
	return uint32(v)
}

// escapeString escapes s for a string literal as libpq's PQescapeStringConn: quotes
// doubled, and backslashes too when standard_conforming_strings is off.
func escapeString(s string, scs bool) string {
	if !scs {
		s = strings.ReplaceAll(s, `\`, `\\`)
	}
	return strings.ReplaceAll(s, "'", "''")
}
