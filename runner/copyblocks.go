package runner

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/qrunhq/qrun/queries"
)

// copyStdin sends sql, the text of COPY ... FROM STDIN statement st, with st's data: through
// pgconn's COPY protocol, or copyBlocks for a query string of several.
func copyStdin(ctx context.Context, pc *pgconn.PgConn, st *queries.Statement, sql string) (int64, pgconn.CommandTag, error) {
	if blocks := st.CopyBlocks(); len(blocks) > 1 {
		return copyBlocks(ctx, pc, sql, blocks)
	}
	tag, err := pc.CopyFrom(ctx, bytes.NewReader(st.CopyData()), sql)
	return tag.RowsAffected(), tag, err
}

// copyBlocks sends sql, a query string with several COPY ... FROM STDIN ("COPY a FROM
// STDIN\; COPY b FROM STDIN"), and answers each CopyInResponse with the next of blocks,
// as psql sends the data of each in turn (pgconn's CopyFrom answers one). It counts rows
// as execStmt does and returns the last command tag and the first error. A COPY the
// blocks run short for gets no data.
func copyBlocks(ctx context.Context, pc *pgconn.PgConn, sql string, blocks [][]byte) (rows int64, tag pgconn.CommandTag, err error) {
	fe := pc.Frontend()
	fe.Send(&pgproto3.Query{String: sql})
	if err := fe.Flush(); err != nil {
		return 0, tag, broken(ctx, pc, err)
	}
	var (
		n           int64
		returnsRows bool
		first       error
		next        int
	)
	for {
		msg, err := pc.ReceiveMessage(ctx)
		if err != nil {
			return rows, tag, broken(ctx, pc, err)
		}
		switch m := msg.(type) {
		case *pgproto3.RowDescription:
			returnsRows, n = true, 0
		case *pgproto3.DataRow:
			n++
		case *pgproto3.CommandComplete:
			t := pgconn.NewCommandTag(string(m.CommandTag))
			if returnsRows {
				rows += n
			} else {
				rows += t.RowsAffected()
			}
			returnsRows, n, tag = false, 0, t
		case *pgproto3.CopyInResponse:
			var data []byte
			if next < len(blocks) {
				data = blocks[next]
			}
			next++
			for len(data) > 0 {
				k := min(len(data), copyBuffer)
				fe.Send(&pgproto3.CopyData{Data: data[:k]})
				if err := fe.Flush(); err != nil {
					return rows, tag, broken(ctx, pc, err)
				}
				data = data[k:]
			}
			fe.Send(&pgproto3.CopyDone{})
			if err := fe.Flush(); err != nil {
				return rows, tag, broken(ctx, pc, err)
			}
		case *pgproto3.ErrorResponse:
			if first == nil {
				first = pgconn.ErrorResponseToPgError(m)
			}
		case *pgproto3.ReadyForQuery:
			return rows, tag, first
		}
	}
}

// broken closes pc after an error in the middle of a query string (pc cannot be used
// again: the server's answer is half read) and returns the error, as one that is not
// safe to retry.
func broken(ctx context.Context, pc *pgconn.PgConn, err error) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	_ = pc.Close(cctx)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return errors.New(Redact(err.Error()))
}
