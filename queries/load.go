package queries

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/qrunhq/qrun/internal/nameidx"
)

// stdinName is the file name shown for standard input.
const stdinName = "<stdin>"

// Load reads the files in order ("-" is Options.Stdin, shown as "<stdin>"), splits them
// into statements as psql -f would and checks them. The whole input is read and checked
// before Load returns; on any input error it returns a nil Script and an ErrorList of
// file:line:col errors, sorted.
func Load(paths []string, opts Options) (*Script, error) {
	p := newParser(opts)
	p.copies.stdinScript = slices.Contains(paths, "-")
	for _, path := range paths {
		if p.quit {
			break
		}
		p.loadFile(path, Pos{}, true)
	}
	return p.finish()
}

// Parse splits one in-memory source named file as Load does. "\i" paths are relative to
// the working directory, "\ir" paths to the directory of file.
func Parse(file string, src []byte, opts Options) (*Script, error) {
	p := newParser(opts)
	p.parseTop(file, src)
	return p.finish()
}

// Split calls yield with the byte span of each statement of src, in order, as psql
// would split it: start is the statement's first byte (leading whitespace and --
// comments skipped) and end is just after its terminating ";" (or a send command such
// as "\g" or "\gset"), the end of its COPY data, or the end of src. Split does not
// interpret meta-commands other than the send commands, "\;" and "\:" (the others are
// skipped to the end of their line; \if is not followed), expands no variables and
// follows no includes; standard_conforming_strings starts on. Spans come
// in order, except that a statement written after "COPY ... FROM STDIN;" on the same
// line is reported after the COPY's data, as psql reads it. It stops
// early when yield returns false. Its error reports an unterminated quote or comment
// as an *Error.
//
// Split is the splitter alone, without statements, annotations or meta-commands: what
// BenchmarkSplit measures (docs/BENCHMARKS.md, target 4), and what Statement.CheckSCS
// runs again at run time, with the server's standard_conforming_strings, to see where
// a statement would end. That is why the parser keeps its split mode.
func Split(src []byte, yield func(start, end int) bool) error {
	p := &parser{scs: true, split: yield, instances: map[string]int{}, expanding: map[string]bool{}}
	f := &srcFile{name: "", src: src, text: bytesString(src)}
	p.parseFile(f)
	if len(p.errs) > 0 {
		return p.errs[0]
	}
	return nil
}

// parser holds what is shared by all files of one Load: variables, statements, errors.
type parser struct {
	opts       Options
	vt         varTrack // the variables, as far as they are known at load time
	rt         Vars     // the run-time variables, when a value or an argument is lexed again at run time
	valueOf    string   // the variable whose value lexValue lexes
	valueEnded bool     // ... and it ended the statement
	expanding  map[string]bool
	errs       ErrorList
	slabs      [][]Statement // every statement so far, in order, slabSize to a slab
	n          int           // the number of statements
	src        *stmtSource   // of the last statement
	files      []string
	stack      []string // absolute paths of the files being read, for include cycles
	instances  map[string]int
	quit       bool
	split      func(start, end int) bool
	metas      int
	scs        bool // standard_conforming_strings
	scsPending bool
	scsNext    bool
	warns      map[string]*warning
	words      []string // a buffer for the words of one command
	warnOrder  []string
	notes      []*Error      // other warnings, in order
	names      nameidx.Index // statements named by -- name: lines
	colonNames bool          // some of those names hold a ':'
	stage      string
	stageIndex int
	oer        onErrorRollback
	copies     clientCopies
	conn       *Connect // the last \connect read

	live    bool                // the script uses run-time variables from here on
	pending []*Action           // meta-commands that act at run time, for the next statement
	guard   *Guard              // the run-time condition of the \if branch being read
	env     map[string]envValue // \setenv so far
	envDyn  map[string]bool     // environment variables \setenv sets at run time
	envAll  bool                // ... and all of them, after an \i named at run time

	oesNow, oesPrev uint8    // ON_ERROR_STOP now, and before its last change
	oesFile         *srcFile // where it last changed
	oesOff          int

	// A transaction block open at load time, and standard_conforming_strings when it
	// began and as SET (not SET LOCAL) left it in it.
	inTx                     bool
	txBeginSCS, txSessionSCS bool
	savepoints               []savepoint

	enc string // client_encoding, as SET statements leave it

	restricted   string // the key of \restrict, until \unrestrict
	restrictedAt Pos
}

// savepoint is a SAVEPOINT of the open block, and standard_conforming_strings then.
type savepoint struct {
	name         string
	scs, session bool
}

type warning struct {
	pos   Pos
	count int
	msg   string // instead of "skipped display-only meta-command"
}

func newParser(opts Options) *parser {
	p := &parser{
		opts:      opts,
		vt:        varTrack{vals: make(map[string]string, len(psqlDefaults)+len(opts.Vars))},
		enc:       "UTF8",
		expanding: map[string]bool{},
		instances: map[string]int{},
		scs:       true,
		warns:     map[string]*warning{},
	}
	p.names.NameOf = func(i int32) string { return p.stmt(int(i)).Name }
	for k, v := range psqlDefaults {
		p.vt.vals[k] = v
	}
	names := make([]string, 0, len(opts.Vars))
	for k := range opts.Vars {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := opts.Vars[k]
		if !validVarName(k) {
			p.errs.Add(Pos{}, fmt.Sprintf("invalid variable name %q", k))
			continue
		}
		if isConnVar(k) {
			continue // psql sets these when it connects, over -v
		}
		val, _, msg, refuse := assign(k, v, false)
		if msg != "" {
			err := error(nil)
			if refuse {
				err = ErrUnsupported
			}
			p.errs.AddErr(Pos{}, "-v "+k+": "+msg, err)
			continue
		}
		p.vt.vals[k] = val
	}
	p.oesNow = p.oesMode()
	p.oesPrev = p.oesNow
	return p
}

// lookupVar returns the value of variable name; dyn reports that it is known only at
// run time.
func (p *parser) lookupVar(name string) (value string, ok, dyn bool) {
	switch {
	case p.split != nil:
		return "", false, false
	case p.rt != nil:
		v, ok := p.rt.Lookup(name)
		return v, ok, false
	}
	return p.vt.lookup(name)
}

func (p *parser) applySCS() {
	if p.scsPending {
		p.scs = p.scsNext
		p.scsPending = false
	}
}

// note records a warning for Options.Warn.
func (p *parser) note(pos Pos, msg string) {
	p.notes = append(p.notes, &Error{Pos: pos, Msg: msg})
}

// loadFile reads path (from is the position of the \i that names it, zero for a file
// named on the command line) and parses it.
func (p *parser) loadFile(path string, from Pos, top bool) {
	errPos := from
	if !from.IsValid() {
		errPos = Pos{File: path}
	}
	verb := "cannot read:"
	if from.IsValid() {
		verb = "cannot include " + path + ":"
	}
	var data []byte
	name := path
	if path == "-" && top {
		name = stdinName
		if p.opts.Stdin == nil {
			p.errs.Add(Pos{File: name}, "no standard input to read")
			return
		}
		b, err := io.ReadAll(p.opts.Stdin)
		if err != nil {
			p.errs.AddErr(Pos{File: name}, "cannot read: "+err.Error(), err)
			return
		}
		data = b
	} else {
		abs, err := filepath.Abs(path)
		if err == nil {
			for i, s := range p.stack {
				if s == abs {
					chain := append(append([]string{}, p.stack[i:]...), abs)
					for j := range chain {
						chain[j] = filepath.Base(chain[j])
					}
					p.errs.Add(errPos, "include cycle: "+strings.Join(chain, " -> "))
					return
				}
			}
		}
		fi, err := os.Stat(path)
		if err == nil && fi.IsDir() {
			p.errs.AddErr(errPos, verb+" is a directory", ErrIsDir)
			return
		}
		if err == nil && !fi.Mode().IsRegular() {
			// Devices and pipes could block or never end (\i /dev/zero).
			p.errs.AddErr(errPos, verb+" not a regular file", ErrNotRegular)
			return
		}
		if err == nil {
			data, err = os.ReadFile(path)
		}
		if err != nil {
			var pe *fs.PathError
			msg := err.Error()
			if errors.As(err, &pe) {
				msg = pe.Err.Error()
			}
			p.errs.AddErr(errPos, verb+" "+msg, err)
			return
		}
		p.stack = append(p.stack, abs)
		defer func() { p.stack = p.stack[:len(p.stack)-1] }()
	}
	if top {
		p.parseTop(name, data)
		return
	}
	p.parseChecked(name, data)
}

// ErrIsDir is the Err of an Error for a directory given as an input file.
var ErrIsDir = errors.New("is a directory")

// ErrNotRegular is the Err of an Error for an input file that is a device or a pipe;
// use "-" to read standard input.
var ErrNotRegular = errors.New("not a regular file")

// parseTop parses a file named on the command line (or given to Parse), which must
// hold at least one statement.
func (p *parser) parseTop(name string, data []byte) {
	n, e, m := p.n, len(p.errs), p.metas
	if !p.parseChecked(name, data) {
		return
	}
	if len(p.errs) == e && p.metas == m && !p.quit && p.allBlank(n) {
		// psql runs such a file and sends nothing (or a lone comment): so does qrun.
		p.note(Pos{File: name, Line: 1, Col: 1}, "no statements")
	}
}

// allBlank reports whether no statement from the n-th on holds anything but comments,
// whitespace and semicolons. psql still sends such a leftover (a trailing block comment,
// a lone ";"), and so does qrun, but a file of nothing else is a mistake worth stopping
// for.
func (p *parser) allBlank(n int) bool {
	for i := n; i < p.n; i++ {
		if p.stmt(i).flags&flagToken != 0 {
			return false
		}
	}
	return true
}

// slabSize is the number of statements allocated at once.
const slabSize = 256

// stmt returns the i-th statement.
func (p *parser) stmt(i int) *Statement { return &p.slabs[i/slabSize][i%slabSize] }

// newStmt adds a zero statement.
func (p *parser) newStmt() *Statement {
	if p.n%slabSize == 0 {
		p.slabs = append(p.slabs, make([]Statement, slabSize))
	}
	s := p.stmt(p.n)
	p.n++
	return s
}

// statements returns every statement, in order.
func (p *parser) statements() []*Statement {
	stmts := make([]*Statement, p.n)
	for i := range stmts {
		stmts[i] = p.stmt(i)
	}
	return stmts
}

// source returns the stmtSource of a statement of f in the current stage: the last
// statement's, or a new one when the file or the stage has changed.
func (p *parser) source(f *srcFile, oes uint8) *stmtSource {
	scsOff := !p.scs
	if c := p.src; c == nil || c.file != f || c.stage != p.stage || c.stageIndex != p.stageIndex ||
		c.guard != p.guard || c.oes != oes || c.scsOff != scsOff || c.conn != p.conn {
		p.src = &stmtSource{file: f, stage: p.stage, stageIndex: p.stageIndex, guard: p.guard, oes: oes, scsOff: scsOff, conn: p.conn}
	}
	return p.src
}

// oesFor returns ON_ERROR_STOP for a statement of f that ends at offset end: psql reads
// it at the start of each line, so a change on the statement's last line comes too late.
func (p *parser) oesFor(f *srcFile, end int) uint8 {
	if p.oesFile == f && p.oesOff <= end && bytes.IndexByte(f.src[p.oesOff:end], '\n') < 0 {
		return p.oesPrev
	}
	return p.oesNow
}

// runtimeParts records what statement s (just built from l) does at run time.
func (p *parser) runtimeParts(l *lexer, s *Statement) {
	rt := &stmtRT{send: l.sendKind, gset: l.gsetAct, include: l.includeAct}
	if len(p.pending) > 0 {
		rt.pre = p.pending
		p.pending = nil
		for _, a := range rt.pre {
			a.inside = a.file == l.f && a.off > l.startOff && a.kind != actSeed
		}
	}
	if len(l.refs) > 0 {
		refs := make([]dynRef, len(l.refs))
		copy(refs, l.refs)
		rt.tmpl = make([]tpiece, len(l.pieces))
		for i, pc := range l.pieces {
			rt.tmpl[i].s = pc.s
		}
		for k := range refs {
			rt.tmpl[refs[k].piece].ref = &refs[k]
		}
	}
	s.coldPart().rt = rt
}

// parseChecked checks that data is valid UTF-8 without NUL bytes and parses it.
func (p *parser) parseChecked(name string, data []byte) bool {
	f := &srcFile{name: name, src: data, text: bytesString(data)}
	p.files = append(p.files, name)
	bad := false
	if i := bytes.IndexByte(data, 0); i >= 0 {
		p.errs.Add(f.pos(i), "NUL byte in input")
		bad = true
	}
	if bad {
		return false
	}
	start := p.enc
	p.parseFile(f)
	if f.encs == nil && isUTF8(start) && utf8.Valid(data) {
		return true
	}
	// Check each part of the file in the client_encoding that SET statements gave it.
	from, enc, at := 0, start, Pos{}
	for k := 0; k <= len(f.encs); k++ {
		to := len(data)
		if k < len(f.encs) {
			to = min(f.encs[k].off, len(data))
		}
		if to > from {
			p.checkEncoding(f, from, to, enc, at)
		}
		if k < len(f.encs) {
			from, enc, at = to, f.encs[k].enc, f.encs[k].pos
		}
	}
	return true
}

// checkEncoding checks data[from:to] of f, read with client_encoding enc (set at at):
// valid UTF-8 for UTF8; for an encoding whose multibyte characters can hold ASCII bytes
// (SJIS, BIG5, GBK, UHC, GB18030, JOHAB), no byte above 0x7f, since qrun's lexer reads
// bytes. Other encodings (LATIN1, WIN1252, EUC_JP, KOI8R, SQL_ASCII ...) are sent as
// they are.
func (p *parser) checkEncoding(f *srcFile, from, to int, enc string, at Pos) {
	data := f.src[from:to]
	switch {
	case isUTF8(enc):
		for i := 0; i < len(data); {
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size <= 1 {
				p.errs.Add(f.pos(from+i), fmt.Sprintf("invalid UTF-8 (byte 0x%02x): give the file's encoding with SET client_encoding before it", data[i]))
				return
			}
			i += size
		}
	case unsafeEncoding(enc):
		for i, c := range data {
			if c >= 0x80 {
				p.errs.AddErr(at, fmt.Sprintf("client_encoding %s is not supported for a script: its multibyte characters can hold ASCII bytes such as \\, which qrun's lexer would misread (byte 0x%02x at %s; convert the file to UTF8)", strings.ToUpper(enc), c, f.pos(from+i)), ErrUnsupported)
				return
			}
		}
	}
}

// cleanEncoding is an encoding name as PostgreSQL compares them: lower case, letters
// and digits only.
func cleanEncoding(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := lower(name[i])
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isUTF8(enc string) bool {
	switch cleanEncoding(enc) {
	case "utf8", "unicode":
		return true
	}
	return false
}

// unsafeEncoding reports the client encodings whose multibyte characters can hold bytes
// that are ASCII (psql lexes them with their character lengths).
func unsafeEncoding(enc string) bool {
	switch cleanEncoding(enc) {
	case "sjis", "shiftjis", "mskanji", "shiftjis2004", "win932", "cp932", "big5", "win950", "cp950",
		"gbk", "win936", "cp936", "uhc", "win949", "cp949", "johab", "gb18030":
		return true
	}
	return false
}

// encSetting recognises SET [SESSION] client_encoding {TO|=} value, SET NAMES value
// and RESET client_encoding / RESET ALL (of words w), and returns the encoding they
// leave (qrun connects with UTF8, the default).
func encSetting(w []string) (string, bool) {
	if len(w) >= 2 && wordIs(w[0], "reset") && (wordIs(w[1], "all") || wordIs(w[1], "client_encoding")) {
		return "UTF8", true
	}
	w, _, ok := setWords(w)
	if !ok || len(w) < 2 {
		return "", false
	}
	var v string
	switch {
	case wordIs(w[0], "names"):
		v = strings.ToLower(strings.Trim(w[1], `'"`))
	case wordIs(w[0], "client_encoding"):
		if v, ok = setTo(w); !ok {
			return "", false
		}
	default:
		return "", false
	}
	if v == "default" || v == "" {
		v = "UTF8"
	}
	return v, true
}

// parseFile lexes one file with a fresh lexer, as psql runs a fresh MainLoop for each
// file, and sends what is left at its end.
func (p *parser) parseFile(f *srcFile) {
	p.instances[f.name]++
	p.applySCS()
	l := &lexer{p: p, f: f, buf: f.src, str: f.text, seg: -1, jumpAt: -1, scsAt: -1, outerGuard: p.guard}
	if bytes.HasPrefix(f.src, utf8BOM) {
		// psql skips a byte order mark at the start of a file.
		f.bom = true
		l.pos, l.prevEnd = len(utf8BOM), len(utf8BOM)
	}
	l.run()
	defer func() { p.guard = l.outerGuard }()
	if n := len(l.conds); n > 0 && !p.quit && p.split == nil {
		// psql: "reached EOF without finding closing \endif(s)".
		p.errs.Add(l.conds[n-1].pos, "\\if without \\endif before the end of the file")
	}
	if p.quit {
		return
	}
	if l.st != stPlain {
		msg := map[state]string{
			stQuote:   "unterminated quoted string",
			stEQuote:  "unterminated quoted string",
			stIdent:   "unterminated quoted identifier",
			stDollar:  "unterminated dollar-quoted string",
			stComment: "unterminated /* comment",
		}[l.st]
		pos := Pos{File: f.name, Offset: l.openOff}
		if p.split == nil {
			pos = f.pos(l.openOff)
		}
		p.errs.Add(pos, msg)
		return
	}
	if l.started {
		l.flush(len(l.buf))
		l.emit(len(f.src))
	}
}

// encChange records that the file is read in client_encoding enc from offset off on
// (the SET statement at pos changed it).
type encChange struct {
	off int
	enc string
	pos Pos
}

// utf8BOM is the UTF-8 byte order mark.
var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// srcFile is one input file and a cursor that turns byte offsets into positions.
type srcFile struct {
	name string
	src  []byte
	text string // src viewed as a string, sharing its memory
	bom  bool   // src starts with a byte order mark, which no column counts
	encs []encChange

	cOff, cLine, cLineStart, cCol int
}

// pos returns the position of byte offset off. Calls are cheapest in increasing order.
func (f *srcFile) pos(off int) Pos {
	if off > len(f.src) {
		off = len(f.src)
	}
	if f.cLine == 0 {
		f.cLine, f.cCol = 1, 1
	}
	if off < f.cOff {
		if off >= f.cLineStart {
			f.cOff, f.cCol = f.cLineStart, 1
		} else {
			f.cOff, f.cLine, f.cLineStart, f.cCol = 0, 1, 0, 1
		}
	}
	seg := f.src[f.cOff:off]
	if n := bytes.Count(seg, []byte{'\n'}); n > 0 {
		f.cLine += n
		f.cLineStart = f.cOff + bytes.LastIndexByte(seg, '\n') + 1
		f.cCol = 1 + utf8.RuneCount(f.src[f.cLineStart:off])
	} else {
		f.cCol += utf8.RuneCount(seg)
	}
	f.cOff = off
	col := f.cCol
	if f.bom && f.cLine == 1 && off >= len(utf8BOM) {
		col--
	}
	return Pos{File: f.name, Line: f.cLine, Col: col, Offset: off}
}

// atLineStart reports whether byte offset off starts a line: the file's first line
// starts after its byte order mark.
func (f *srcFile) atLineStart(off int) bool {
	if f.bom && off <= len(utf8BOM) {
		return off == len(utf8BOM)
	}
	return off == 0 || f.src[off-1] == '\n'
}

// posBefore returns the position of byte offset off, counting back from at, a
// position in f at or after off: an error about an earlier line costs a scan of the
// lines between, where pos would count from the start of the file.
func (f *srcFile) posBefore(at Pos, off int) Pos {
	line := at.Line - bytes.Count(f.src[off:at.Offset], []byte{'\n'})
	lineStart := bytes.LastIndexByte(f.src[:off], '\n') + 1
	col := 1 + utf8.RuneCount(f.src[lineStart:off])
	if f.bom && line == 1 && off >= len(utf8BOM) {
		col--
	}
	return Pos{File: f.name, Line: line, Col: col, Offset: off}
}

// offsetOf returns the byte offset in f of sub when sub is a view of f's text (a
// substring of it, sharing its memory), and false when it is not.
func (f *srcFile) offsetOf(sub string) (int, bool) {
	if sub == "" || len(sub) > len(f.text) {
		return 0, false
	}
	base := uintptr(unsafe.Pointer(unsafe.StringData(f.text)))
	at := uintptr(unsafe.Pointer(unsafe.StringData(sub)))
	if at < base || at-base > uintptr(len(f.text)-len(sub)) {
		return 0, false
	}
	return int(at - base), true
}

// bytesString views b as a string without copying; b must never change afterwards.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// stringBytes views s as bytes without copying; the result must not be modified.
func stringBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// piece is a part of a statement's text: a substring of a buffer or an inserted literal.
type piece struct {
	s     string
	off   int  // offset in the file of its first byte
	fixed bool // all of it maps to off (variable values)
}

// lexer is the state of psql's lexer over one file (one psql MainLoop) and the
// statement being collected from it.
type lexer struct {
	p *parser
	f *srcFile

	buf []byte // the buffer being lexed: the file or a variable's value
	str string // buf as a string
	pos int

	inVar          int // depth of variable expansion
	varRef, varEnd int // file span of the outermost variable reference being expanded

	st                    state
	depth, xcdepth, begin int
	tag                   []byte
	openOff               int // file offset of the open quote or comment

	kw                          kwState
	idCount                     int
	ids                         [4]byte
	copyCand, fromSeen, setCand bool
	copyStdin                   int // COPY ... FROM STDIN commands in the statement
	copyEnd, copyBuf            int // buffer index after the statement's COPY, and l.inVar there

	started  bool
	tok      bool // the statement holds a token: not only white space, comments and ";"
	multi    bool // "\\;" joined commands into it
	startOff int  // file offset of the statement's first byte
	prevEnd  int  // file offset where the statement's span starts
	seg      int  // start in buf of the open text segment, -1 if none
	pieces   []piece

	jumpAt, jumpTo int // COPY data: at the newline jumpAt, continue at jumpTo
	scsAt          int // offset of the newline after which a SET standard_conforming_strings applies

	conds      []ifFrame // the open \if blocks of this file
	skipping   bool      // in an inactive \if branch: lex, but send and run nothing
	outerGuard *Guard    // p.guard where this file was included
	extra      bool      // some of the fields below are set for the statement (or lexValue lexes)
	refs       []dynRef  // run-time variable references in the statement
	varAction  bool      // a meta-command inside the statement changed a variable at run time
	sendKind   sendKind  // the send command that ends the statement
	gsetAct    *Action
	includeAct *Action // the statement is an \i of a file named at run time
}

// off maps an index in the current buffer to a file offset.
func (l *lexer) off(i int) int {
	if l.inVar > 0 {
		return l.varRef
	}
	return i
}

// endOff maps the end of a token at buffer index i to a file offset.
func (l *lexer) endOff(i int) int {
	if l.inVar > 0 {
		return l.varEnd
	}
	return i
}

// flush closes the open text segment at buffer index i.
func (l *lexer) flush(i int) {
	if l.seg >= 0 && i > l.seg {
		l.pieces = append(l.pieces, piece{s: l.str[l.seg:i], off: l.off(l.seg), fixed: l.inVar > 0})
	}
	l.seg = -1
}

// insert replaces buf[i:j] in the statement by s.
func (l *lexer) insert(i, j int, s string, fixed bool) {
	if !l.started {
		l.startStmt(i)
	}
	l.flush(i)
	l.pieces = append(l.pieces, piece{s: s, off: l.off(i), fixed: fixed || l.inVar > 0})
	l.tok = l.tok || s != ";"
	l.seg = j
	l.pos = j
}

// text keeps buf[i:j], a token, as statement text.
func (l *lexer) text(i, j int) {
	if !l.started {
		l.startStmt(i)
	}
	l.tok = true
	l.pos = j
}

func (l *lexer) sql() string {
	switch len(l.pieces) {
	case 0:
		return ""
	case 1:
		return l.pieces[0].s
	}
	n := 0
	for _, pc := range l.pieces {
		n += len(pc.s)
	}
	var b strings.Builder
	b.Grow(n)
	for _, pc := range l.pieces {
		b.WriteString(pc.s)
	}
	return b.String()
}

// copyData finds the data lines of a COPY ... FROM STDIN that starts at offset start:
// up to a line that is exactly \. (or EOF). It returns the end of the data and the
// offset after the terminating line.
func copyData(src []byte, start int) (stop, next int) {
	for i := start; i < len(src); {
		nl := bytes.IndexByte(src[i:], '\n')
		lineEnd, after := len(src), len(src)
		if nl >= 0 {
			lineEnd, after = i+nl, i+nl+1
		}
		line := src[i:lineEnd]
		if len(line) == 2 && line[0] == '\\' && line[1] == '.' || len(line) == 3 && string(line) == "\\.\r" {
			return i, after
		}
		i = after
	}
	return len(src), len(src)
}

// emit ends the statement collected so far; endOff is the file offset just after it.
func (l *lexer) emit(endOff int) {
	p := l.p
	if l.extra && p.valueOf != "" {
		// A variable's value, lexed at run time, ended the statement.
		p.valueEnded, p.quit = true, true
		return
	}
	f := l.f
	var (
		data []byte
		more [][]byte // the data of the second and later COPY of the query string
	)
	isCopy := l.copyStdin > 0
	for k := 0; k < l.copyStdin; k++ {
		// Each COPY of the query string reads its own data lines, starting with the
		// line after the statement's end.
		dataStart := -1
		if l.jumpAt >= 0 {
			dataStart = l.jumpTo
		} else if nl := bytes.IndexByte(f.src[endOff:], '\n'); nl >= 0 {
			dataStart = endOff + nl + 1
			l.jumpAt = endOff + nl
		}
		if dataStart < 0 {
			break
		}
		stop, next := copyData(f.src, dataStart)
		if k == 0 {
			data = f.src[dataStart:stop:stop]
		} else if p.split == nil {
			more = append(more, f.src[dataStart:stop:stop])
		}
		l.jumpTo = next
		endOff = next
	}
	if p.split != nil {
		if !p.split(l.startOff, endOff) {
			p.quit = true
		}
	} else {
		p.build(l, endOff, data, isCopy)
		if more != nil {
			p.stmt(p.n - 1).coldPart().copyMore = more
		}
	}
	l.started, l.tok, l.multi = false, false, false
	l.pieces = l.pieces[:0]
	l.seg = -1
	l.idCount = 0
	l.copyCand, l.fromSeen, l.setCand = false, false, false
	l.copyStdin = 0
	l.prevEnd = endOff
	if l.extra {
		// Only when set: a pointer written costs a GC write barrier.
		l.refs = l.refs[:0]
		l.varAction = false
		l.sendKind, l.gsetAct, l.includeAct = sendPlain, nil, nil
		l.extra = false
	}
}

// build makes the Statement for the text collected by l.
func (p *parser) build(l *lexer, endOff int, data []byte, isCopy bool) {
	f := l.f
	s := p.newStmt()
	s.SQL = l.sql()
	start := l.prevEnd
	if start > l.startOff {
		// A statement on the rest of a COPY line, lexed after the COPY's data.
		start = l.startOff
	}
	p.annotate(f, s, p.n-1, start, l.startOff)
	oes := p.oesNow
	if p.oesFile == f {
		oes = p.oesFor(f, endOff)
	}
	if src := p.source(f, oes); s.src == nil {
		s.src = src
	} else {
		// "-- after:" gave s a source of its own (coldPart) before its stage was known.
		s.src.file, s.src.stage, s.src.stageIndex, s.src.conn = src.file, src.stage, src.stageIndex, src.conn
		s.src.guard, s.src.oes, s.src.scsOff = src.guard, src.oes, src.scsOff
	}
	s.setSpan(f.pos(l.startOff), start, endOff)
	s.IsCopyFromStdin = isCopy
	s.OnErrorRollback = p.onErrorRollback()
	if l.tok {
		s.flags |= flagToken
	}
	if l.multi {
		s.flags |= flagMulti
	}
	if isCopy {
		if data == nil {
			data = []byte{}
		}
		s.coldPart().copyData = data
		if p.guard != nil {
			p.errs.AddErr(s.Pos(), "COPY ... FROM STDIN under an \\if decided at run time is not supported: psql reads its data only when the branch runs", ErrUnsupported)
		}
	}
	if l.extra || len(p.pending) > 0 {
		p.runtimeParts(l, s)
	}
	p.vt.statement()
	if len(l.pieces) > 1 || len(l.pieces) == 1 && l.pieces[0].fixed {
		marks := make([]posMark, 0, len(l.pieces))
		n := 0
		for _, pc := range l.pieces {
			marks = append(marks, posMark{sqlOff: n, src: f.pos(pc.off), fixed: pc.fixed})
			n += len(pc.s)
		}
		s.coldPart().posMap = marks
	}
	if maybeTxWord(s.SQL) || l.setCand || l.multi {
		if !l.multi {
			p.words, _ = s.Head(p.words[:0], HeadWords)
			p.follow(l, s, endOff, p.words)
		} else {
			for _, w := range s.Commands() {
				p.follow(l, s, endOff, w)
			}
		}
	}
}

// follow follows what one command of statement s, of words w, does to
// standard_conforming_strings and client_encoding.
func (p *parser) follow(l *lexer, s *Statement, endOff int, w []string) {
	tw := txWordOf(w)
	set := len(w) > 0 && (wordIs(w[0], "set") || wordIs(w[0], "reset"))
	if tw != txNone || set {
		p.followSCS(l, endOff, tw, w)
	}
	if set {
		if enc, ok := encSetting(w); ok && cleanEncoding(enc) != cleanEncoding(p.enc) {
			// psql reads the next line in the new encoding.
			f := l.f
			next := len(f.src)
			if nl := bytes.IndexByte(f.src[endOff:], '\n'); nl >= 0 {
				next = endOff + nl + 1
			}
			f.encs = append(f.encs, encChange{off: next, enc: enc, pos: s.Pos()})
			p.enc = enc
		}
	}
}

// followSCS follows what statement s does to standard_conforming_strings: SET, SET
// LOCAL and RESET, undone by ROLLBACK (and SET LOCAL by the end of the block). The
// change applies from the next line on, as psql reads the setting per line. What qrun
// cannot see (set_config, a SET in a function, a block that failed and so rolled back)
// the runner checks against the server (Statement.CheckSCS).
func (p *parser) followSCS(l *lexer, endOff int, tw txWord, w []string) {
	cur := p.scs
	if p.scsPending {
		cur = p.scsNext
	}
	next := cur
	switch tw {
	case txBegin:
		if !p.inTx {
			p.inTx, p.txBeginSCS, p.txSessionSCS = true, cur, cur
		}
	case txCommit:
		if p.inTx && !prepared(w) {
			p.inTx, next, p.savepoints = false, p.txSessionSCS, p.savepoints[:0]
		}
	case txRollback:
		to, name := rollbackTo(w)
		switch {
		case !p.inTx:
		case !to:
			p.inTx, next, p.savepoints = false, p.txBeginSCS, p.savepoints[:0]
		default:
			for k := len(p.savepoints) - 1; k >= 0; k-- {
				if sp := p.savepoints[k]; sp.name == name {
					next, p.txSessionSCS = sp.scs, sp.session
					p.savepoints = p.savepoints[:k+1]
					break
				}
			}
		}
	case txSavepoint:
		if p.inTx && len(w) > 1 {
			p.savepoints = append(p.savepoints, savepoint{name: strings.ToLower(w[1]), scs: cur, session: p.txSessionSCS})
		}
	case txRelease:
		if p.inTx && len(w) > 1 {
			name := strings.ToLower(w[len(w)-1])
			for k := len(p.savepoints) - 1; k >= 0; k-- {
				if p.savepoints[k].name == name {
					p.savepoints = p.savepoints[:k]
					break
				}
			}
		}
	}
	if len(w) > 0 && (wordIs(w[0], "set") || wordIs(w[0], "reset")) {
		if on, local, ok := scsSetting(w); ok {
			switch {
			case !local:
				next = on
				p.txSessionSCS = on
			case p.inTx:
				next = on // until the end of the block
			}
		}
	}
	if next == cur {
		return
	}
	p.scsPending, p.scsNext = true, next
	l.scsAt = len(l.f.src)
	if nl := bytes.IndexByte(l.f.src[endOff:], '\n'); nl >= 0 {
		l.scsAt = endOff + nl
	}
}

// wordIs reports whether the word w is the lower-case keyword kw, ignoring ASCII case.
func wordIs(w, kw string) bool { return foldEq(stringBytes(w), kw) }

// rollbackTo reports whether a ROLLBACK command (of words w) leaves the transaction
// block open: ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] name (and the savepoint's
// name, in lower case), or ROLLBACK PREPARED, which acts on another block.
func rollbackTo(w []string) (bool, string) {
	if len(w) > 1 && wordIs(w[1], "prepared") {
		return true, ""
	}
	for k := 1; k < len(w); k++ {
		if wordIs(w[k], "to") {
			return true, strings.ToLower(w[len(w)-1])
		}
	}
	return false, ""
}

// prepared reports whether a COMMIT (of words w) is COMMIT PREPARED, which acts on
// another block.
func prepared(w []string) bool {
	return len(w) > 1 && wordIs(w[1], "prepared")
}

// setValue returns the words of a SET command w after its optional SESSION or LOCAL,
// and whether it was LOCAL; ok is false for a command that is no SET.
func setWords(w []string) (rest []string, local, ok bool) {
	if len(w) < 3 || !wordIs(w[0], "set") {
		return nil, false, false
	}
	w = w[1:]
	switch {
	case wordIs(w[0], "session"):
		w = w[1:]
	case wordIs(w[0], "local"):
		w, local = w[1:], true
	}
	return w, local, true
}

// setTo returns the value of "NAME {TO | =} value" in w (w[0] is NAME), without quotes
// and in lower case.
func setTo(w []string) (string, bool) {
	if len(w) < 2 {
		return "", false
	}
	v := w[1]
	if v == "=" || wordIs(v, "to") {
		if len(w) < 3 {
			return "", false
		}
		v = w[2]
	}
	return strings.ToLower(strings.Trim(v, `'"`)), true
}

// scsSetting recognises SET [SESSION | LOCAL] standard_conforming_strings {TO|=} value,
// SET ... TO DEFAULT and RESET standard_conforming_strings / RESET ALL (of words w), and
// returns the setting they leave.
func scsSetting(w []string) (on, local, ok bool) {
	if len(w) >= 2 && wordIs(w[0], "reset") {
		return true, false, wordIs(w[1], "all") || wordIs(w[1], "standard_conforming_strings")
	}
	w, local, ok = setWords(w)
	if !ok || !wordIs(w[0], "standard_conforming_strings") {
		return false, false, false
	}
	v, ok := setTo(w)
	if !ok {
		return false, false, false
	}
	switch v {
	case "on", "true", "yes", "1", "default":
		return true, local, true
	case "off", "false", "no", "0":
		return false, local, true
	}
	return false, false, false
}
