package queries

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// annKind is the kind of an annotation comment.
type annKind uint8

const (
	annNone  annKind = iota // an ordinary comment
	annName                 // -- name: NAME [:suffix]
	annStage                // -- stage: LABEL
	annAfter                // -- after: NAME[, NAME...]
)

// parseAnnotation reads the text of a "--" comment (without the dashes). It returns the
// annotation's kind and values, or a message for a malformed annotation.
func parseAnnotation(text string) (kind annKind, vals []string, msg string) {
	kind, val, list, msg := readAnnotation(text)
	if msg != "" || kind == annNone {
		return kind, nil, msg
	}
	if kind == annAfter {
		return kind, list, ""
	}
	return kind, []string{val}, ""
}

// readAnnotation is parseAnnotation without a slice for the single value of a name or a
// stage (val), so that the common annotation allocates nothing.
func readAnnotation(text string) (kind annKind, val string, list []string, msg string) {
	t := strings.TrimSpace(text)
	key, rest, ok := strings.Cut(t, ":")
	if !ok {
		return annNone, "", nil, ""
	}
	rest = strings.TrimSpace(rest)
	switch key {
	case "name":
		if plainWord(rest) {
			return annName, rest, nil, ""
		}
		f := strings.Fields(rest)
		switch {
		case len(f) == 0:
			return annName, "", nil, "empty name in -- name: annotation"
		case len(f) == 2 && len(f[1]) > 1 && f[1][0] == ':':
			// sqlc's :one, :many, :exec ... suffix: accepted and ignored.
		case len(f) > 1:
			return annName, "", nil, fmt.Sprintf("name %q must not contain spaces", rest)
		}
		return annName, f[0], nil, ""
	case "stage":
		if rest == "" {
			return annStage, "", nil, "empty label in -- stage: annotation"
		}
		return annStage, rest, nil, ""
	case "after":
		if rest == "" {
			return annAfter, "", nil, "empty list in -- after: annotation"
		}
		for _, item := range strings.Split(rest, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				return annAfter, "", nil, "empty name in -- after: list"
			}
			if strings.ContainsAny(item, " \t") {
				return annAfter, "", nil, fmt.Sprintf("name %q in -- after: list must not contain spaces", item)
			}
			list = append(list, item)
		}
		return annAfter, "", list, ""
	}
	return annNone, "", nil, ""
}

// plainWord reports whether s is non-empty ASCII without white space: one field, as
// strings.Fields would find it, without calling it.
func plainWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x80 {
			return false
		}
	}
	return true
}

// annotate reads the annotations in the comment lines of f.src[from:to], the leading
// comments of statement s (the idx-th), and applies them to s.
func (p *parser) annotate(f *srcFile, s *Statement, idx int, from, to int) {
	region := f.src[from:to]
	if bytes.IndexByte(region, '-') < 0 {
		return
	}
	lineStart := f.atLineStart(from)
	for i := 0; i < len(region); {
		nl := bytes.IndexByte(region[i:], '\n')
		end := len(region)
		if nl >= 0 {
			end = i + nl
		}
		line := region[i:end]
		at := i
		next := end + 1
		if lineStart {
			k := 0
			for k < len(line) && (line[k] == ' ' || line[k] == '\t') {
				k++
			}
			if k+1 < len(line) && line[k] == '-' && line[k+1] == '-' {
				// A view of the file, not a copy: most comments are no annotation.
				text := f.text[from+at+k+2 : from+end]
				p.applyAnnotation(f, s, idx, from+at+k, strings.TrimRight(text, "\r"))
			}
		}
		lineStart = true
		i = next
	}
}

func (p *parser) applyAnnotation(f *srcFile, s *Statement, idx int, off int, text string) {
	kind, val, list, msg := readAnnotation(text)
	if kind == annNone {
		return
	}
	pos := f.pos(off)
	if msg != "" {
		p.errs.Add(pos, msg)
		return
	}
	switch kind {
	case annName:
		if s.Named {
			p.errs.Add(pos, fmt.Sprintf("second -- name: annotation for one statement (already named %s)", s.Name))
			return
		}
		name := val
		if first, ok := p.names.Add(name, int32(idx)); !ok {
			p.errs.Add(pos, fmt.Sprintf("duplicate name %s (first at %s)", name, p.namePos(p.stmt(int(first)))))
			return
		}
		s.Name, s.Named = name, true
		p.colonNames = p.colonNames || strings.IndexByte(name, ':') >= 0
	case annStage:
		p.stageIndex++
		p.stage = val
	case annAfter:
		c := s.coldPart()
		if !c.afterPos.IsValid() {
			c.afterPos = pos
		}
		c.after = append(c.after, list...)
	}
}

// namePos returns the position of the "-- name:" line that named s, a statement of the
// parser's. That line is not walked to again: s.Name is a view of it in the file's text
// (readAnnotation cuts the name out without copying, and annotate keeps the cut), so
// where the name points is the line's offset, which costs neither a field of Statement
// nor a slot of the name index. The position is counted back from the statement's own.
func (p *parser) namePos(s *Statement) Pos {
	f := s.src.file
	pos := s.Pos()
	at, ok := f.offsetOf(s.Name)
	if !ok || at > pos.Offset {
		return pos
	}
	off := bytes.LastIndexByte(f.src[:at], '\n') + 1
	if f.bom && off == 0 {
		off = len(utf8BOM)
	}
	for off < at && (f.src[off] == ' ' || f.src[off] == '\t') {
		off++
	}
	if !bytes.HasPrefix(f.src[off:at], []byte("--")) {
		return pos
	}
	return f.posBefore(pos, off)
}

// finish names the unnamed statements, reports the warnings and returns the script or
// the sorted errors.
func (p *parser) finish() (*Script, error) {
	if p.opts.Warn != nil {
		for _, name := range p.warnOrder {
			w := p.warns[name]
			times := "once"
			if w.count > 1 {
				times = strconv.Itoa(w.count) + " times"
			}
			msg := fmt.Sprintf("skipped display-only meta-command \\%s (%s)", name, times)
			if w.msg != "" {
				msg = fmt.Sprintf("%s (%s)", w.msg, times)
			}
			p.opts.Warn(&Error{Pos: w.pos, Msg: msg})
		}
		for _, n := range p.notes {
			p.opts.Warn(n)
		}
	}
	if len(p.errs) > 0 {
		p.errs.Sort()
		return nil, p.errs
	}
	if len(p.pending) > 0 && p.n == 0 {
		p.metaOnly()
		p.pending = nil // (only the seed of the run-time variables: nothing runs)
	}
	p.nameStatements()
	script := &Script{Statements: p.statements(), Files: p.files, names: p.names}
	stmts := script.Statements
	script.names.NameOf = func(i int32) string { return stmts[i].Name }
	if len(p.pending) > 0 {
		last := p.stmt(p.n - 1)
		rt := last.rt()
		if rt == nil {
			rt = &stmtRT{}
			last.coldPart().rt = rt
		}
		rt.post = p.pending
		p.pending = nil
	}
	return script, nil
}

// nameStatements names every unnamed statement FILE:LINE, or FILE:LINE:COL when that is
// taken, then adds #2, #3, ... A map of taken names is kept only for files read more
// than once: within one reading, statements come in order, so only the previous one
// can share a line.
func (p *parser) nameStatements() {
	// A name is taken when a "-- name:" line gave it or an earlier statement of a file
	// read more than once was given it. Every name given here holds a ':', so the
	// explicit names need looking at only when one of them does.
	explicitColon := p.colonNames
	used := map[string]bool{}
	taken := func(name []byte) bool {
		if len(used) > 0 && used[string(name)] {
			return true
		}
		if !explicitColon {
			return false
		}
		_, ok := p.names.Find(bytesString(name))
		return ok
	}
	var buf []byte
	var names stringArena
	last := map[string]*Statement{} // the previous unnamed statement of each file
	var lastFile string             // the file of the previous unnamed statement ...
	var prev *Statement             // ... and that statement, saving a look-up in last
	var prevLine int                // prev's line
	multi := false
	for i := range p.n {
		s := p.stmt(i)
		if s.Named {
			continue
		}
		file := s.File()
		if file != lastFile || prev == nil {
			if prev != nil {
				last[lastFile] = prev
			}
			lastFile, prev = file, last[file]
			if prev != nil {
				prevLine = prev.Pos().Line
			}
			multi = p.instances[file] > 1
		}
		pos := s.Pos()
		buf = append(buf[:0], file...)
		buf = append(buf, ':')
		buf = strconv.AppendInt(buf, int64(pos.Line), 10)
		sameLine := prev != nil && prevLine == pos.Line
		if sameLine || taken(buf) {
			buf = append(buf, ':')
			buf = strconv.AppendInt(buf, int64(pos.Col), 10)
			if taken(buf) {
				n := len(buf)
				for k := 2; ; k++ {
					buf = append(buf[:n], '#')
					buf = strconv.AppendInt(buf, int64(k), 10)
					if !taken(buf) {
						break
					}
				}
			}
		}
		s.Name = names.add(buf)
		if multi {
			used[s.Name] = true
		}
		prev, prevLine = s, pos.Line
	}
}

// stringArena makes strings in shared blocks of memory: a million statement names cost
// a few dozen allocations instead of a million.
type stringArena struct {
	block []byte
}

// arenaBlock is the size of a stringArena's blocks.
const arenaBlock = 64 << 10

// add returns b as a string. The bytes of a block are never written again once a string
// refers to them.
func (a *stringArena) add(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(a.block)-len(a.block) < len(b) {
		a.block = make([]byte, 0, max(len(b), arenaBlock))
	}
	n := len(a.block)
	a.block = append(a.block, b...)
	return bytesString(a.block[n:])
}
