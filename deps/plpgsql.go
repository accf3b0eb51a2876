package deps

import (
	"encoding/json"
	"errors"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// plpgsqlBody extracts the SQL of a PL/pgSQL function with libpg_query's PL/pgSQL parser:
// every embedded statement and expression (declarations' defaults, conditions,
// assignments, loops, RETURN QUERY, PERFORM, CALL) is parsed as SQL. EXECUTE of a string
// literal is parsed too; EXECUTE of a computed string makes the body's calls barriers.
// It returns nil (the body is unknown) when the function does not parse.
func plpgsqlBody(createText string) *prog {
	js, err := pgParsePlPgSQL(createText)
	if err != nil {
		return nil
	}
	tree, err := decodeOrdered(json.NewDecoder(strings.NewReader(js)))
	if err != nil {
		return nil
	}
	q := &prog{}
	ok := true
	var visit func(v any, dynamic bool)
	visit = func(v any, dynamic bool) {
		switch t := v.(type) {
		case []any:
			for _, e := range t {
				visit(e, dynamic)
			}
		case jsonObject:
			for _, kv := range t {
				k, e := kv.key, kv.val
				switch {
				case k == "PLpgSQL_expr":
					m, _ := e.(jsonObject)
					text, _ := m.get("query").(string)
					mode, _ := m.get("parseMode").(float64)
					if !plExpr(q, text, int(mode), dynamic) {
						ok = false
					}
				case k == "dynquery":
					visit(e, true)
				case k == "PLpgSQL_stmt_dynexecute" || k == "PLpgSQL_stmt_dynfors":
					m, _ := e.(jsonObject)
					for _, kv2 := range m {
						visit(kv2.val, kv2.key == "query")
					}
				default:
					visit(e, false)
				}
			}
		}
	}
	visit(tree, false)
	if !ok {
		return nil
	}
	return q
}

// plExpr adds one PL/pgSQL expression or statement. Modes are PostgreSQL's RawParseMode:
// 0 a statement, 2 an expression, 3-5 an assignment "target := expression".
func plExpr(q *prog, text string, mode int, dynamic bool) bool {
	var sql string
	switch mode {
	case 0:
		sql = text
	case 2:
		sql = "SELECT " + text
	case 3, 4, 5:
		rhs, ok := assignmentValue(text)
		if !ok {
			return false
		}
		sql = "SELECT " + rhs
	default:
		return false
	}
	tree, err := pgParse(sql)
	if err != nil {
		return false
	}
	if dynamic {
		// EXECUTE 'literal SQL' is that SQL; anything computed is unknown.
		if len(tree.Stmts) == 1 {
			if sel := tree.Stmts[0].Stmt.GetSelectStmt(); sel != nil && len(sel.TargetList) == 1 && len(sel.FromClause) == 0 {
				if lit := literal(sel.TargetList[0].GetResTarget().GetVal()); lit != noLit {
					if body := sqlBody(lit); body != nil {
						q.ops = append(q.ops, body.ops...)
						for _, o := range body.opers {
							q.opers = appendUnique(q.opers, o)
						}
						// The literal's own expression reads nothing.
						return true
					}
				}
			}
		}
		q.barrier("EXECUTE of computed SQL")
		return true
	}
	x := &extractor{p: q}
	for _, raw := range tree.Stmts {
		x.stmt(raw.Stmt, rawText(sql, raw))
	}
	return true
}

// assignmentValue returns the expression of a PL/pgSQL assignment: what follows the first
// := or = outside brackets, found with libpg_query's scanner.
func assignmentValue(text string) (string, bool) {
	sc, err := pgScan(text)
	if err != nil {
		return "", false
	}
	depth := 0
	for _, t := range sc.Tokens {
		switch t.Token {
		case pg.Token_ASCII_40, pg.Token_ASCII_91:
			depth++
		case pg.Token_ASCII_41, pg.Token_ASCII_93:
			depth--
		case pg.Token_COLON_EQUALS, pg.Token_ASCII_61:
			if depth == 0 && int(t.End) <= len(text) {
				return text[t.End:], true
			}
		}
	}
	return "", false
}

// jsonObject is a JSON object with its keys in document order (PL/pgSQL statements must be
// seen in order: a SET in a body changes how the names after it resolve).
type jsonObject []jsonField

type jsonField struct {
	key string
	val any
}

func (o jsonObject) get(k string) any {
	for _, f := range o {
		if f.key == k {
			return f.val
		}
	}
	return nil
}

// decodeOrdered decodes one JSON value, objects as jsonObject.
func decodeOrdered(d *json.Decoder) (any, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			var o jsonObject
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, errors.New("object key is not a string")
				}
				v, err := decodeOrdered(d)
				if err != nil {
					return nil, err
				}
				o = append(o, jsonField{k, v})
			}
			_, err := d.Token()
			return o, err
		case '[':
			var a []any
			for d.More() {
				v, err := decodeOrdered(d)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, err := d.Token()
			return a, err
		}
		return nil, errors.New("unexpected delimiter")
	}
	return tok, nil
}
