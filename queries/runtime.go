package queries

import (
	"bytes"
	"fmt"
	"os"
	"strings"
)

// Vars is a store of psql variables: the runner's, while a script runs.
type Vars interface {
	Lookup(name string) (value string, ok bool)
}

// Stream is where a meta-command's output goes.
type Stream uint8

// The output streams of \echo, \qecho and \warn. qrun shows no query results, so \o
// does not move \qecho's output.
const (
	StreamEcho  Stream = iota // \echo: psql's standard output
	StreamQuery               // \qecho: psql's query output
	StreamWarn                // \warn, and errors of meta-commands that run at run time: standard error
)

// actKind is what an Action does.
type actKind uint8

const (
	actSeed        actKind = iota // fill the run-time store with the variables known at load time
	actSet                        // \set, \unset
	actGetenv                     // \getenv
	actSetenv                     // \setenv
	actEcho                       // \echo, \qecho, \warn
	actIf                         // the first condition of an \if block decided at run time
	actElif                       // a later \elif
	actElse                       // \else
	actQuit                       // \q
	actGset                       // the \gset that ends a statement (its prefix)
	actInclude                    // \i of a file named at run time
	actLargeObject                // the arguments of an \lo_ command (never run as an action)
	actOut                        // \o [FILE]: where \qecho writes
)

// Action is a meta-command that acts when the script runs: \echo, \set once the script
// uses run-time variables, \if with a run-time condition, \gset, ... Statement.Prepare
// runs those before a statement, Statement.Finish those after the last one.
type Action struct {
	kind   actKind
	pos    Pos
	file   *srcFile
	off    int // offset of the backslash in file
	guard  *Guard
	inside bool // written inside the text of the statement it belongs to
	cmd    string

	args   []string // the arguments, when known at load time
	quoted []bool
	raw    string // the argument text, to lex again at run time (dyn)
	dyn    bool

	name, value string // \set, \unset, \setenv known at load time
	unset       bool
	text        string // \echo output known at load time

	cond   *Cond
	branch int

	seedVars map[string]string
	seedEnv  map[string]envValue

	dir string // \ir: the directory of the including file
}

// Pos is where the meta-command is written.
func (a *Action) Pos() Pos { return a.pos }

// Guard is the run-time condition under which a statement or an action runs: branch
// number branch of the \if block cond must be the one taken, and so must the guard of
// the block around it, if any.
type Guard struct {
	cond   *Cond
	branch int
	parent *Guard
}

// Cond is one \if block whose branch is decided at run time.
type Cond struct {
	pos Pos
}

// active reports whether the guarded code runs.
func (g *Guard) active(st *State) bool {
	for ; g != nil; g = g.parent {
		if st.branch[g.cond] != g.branch {
			return false
		}
	}
	return true
}

// envValue is an environment variable as \setenv left it.
type envValue struct {
	value string
	unset bool
}

// sendKind is the command that ended a statement.
type sendKind uint8

const (
	sendPlain sendKind = iota // ";", \g, end of file
	sendGset
	sendGexec
	sendGdesc
)

// ON_ERROR_STOP as it stands for a statement.
const (
	oesOff uint8 = iota
	oesOn
	oesDynamic // set at run time: ask the State
)

// refKind is the form of a variable reference.
type refKind uint8

const (
	refBare    refKind = iota // :name
	refLiteral                // :'name'
	refIdent                  // :"name"
	refTest                   // :{?name}
)

// dynRef is a reference, in a statement's text, to a variable known only at run time.
type dynRef struct {
	piece   int // index of the piece that holds the reference as written
	name    string
	kind    refKind
	pos     Pos
	started bool // text comes before it in the statement
	depth   int  // the lexer's state at the reference, to lex a value from
	begin   int
	kw      kwState
	ids     [4]byte
	idCount int
}

// tpiece is a piece of a run-time statement's text: text, or a variable reference.
type tpiece struct {
	s   string
	ref *dynRef
}

// stmtRT holds what a statement does at run time besides being sent.
type stmtRT struct {
	pre     []*Action // meta-commands before it (and inside its text)
	post    []*Action // meta-commands after the last statement of the script
	tmpl    []tpiece  // its text, when it reads run-time variables
	send    sendKind
	gset    *Action
	include *Action
	// metaOnly marks the statement of a script that sends nothing but has meta-commands
	// acting at run time (pre): it runs them and sends nothing, as psql does.
	metaOnly bool
}

// rt returns what s does at run time, or nil.
func (s *Statement) rt() *stmtRT {
	if c := s.cold(); c != nil {
		return c.rt
	}
	return nil
}

func (s *Statement) guard() *Guard {
	if s.src == nil {
		return nil
	}
	return s.src.guard
}

// Runtime reports that the statement's text or effect is known only when the script runs:
// it reads a variable set at run time (\gset, a built-in such as ROW_COUNT), it stands
// under an \if whose condition is decided at run time, it feeds \gset or \gexec, or it
// carries meta-commands that act at run time, or it is a large object command (which
// sets LASTOID, and whose effects no parser sees). Dependency inference treats such a
// statement as a barrier.
func (s *Statement) Runtime() bool {
	return s.src != nil && (s.src.guard != nil || s.src.cold != nil && (s.src.cold.rt != nil || s.src.cold.largeObject != nil))
}

// RuntimeReason says why the statement is Runtime, for --dry-run ("" when it is not).
func (s *Statement) RuntimeReason() string {
	var why []string
	if lo := s.LargeObject(); lo != nil {
		why = append(why, "\\"+lo.act.cmd+" moves large objects as it runs")
	}
	if rt := s.rt(); rt != nil {
		var names []string
		for _, pc := range rt.tmpl {
			if pc.ref != nil && !containsString(names, pc.ref.name) {
				names = append(names, pc.ref.name)
			}
		}
		if len(names) > 0 {
			why = append(why, "reads :"+strings.Join(names, ", :")+" at run time")
		}
		switch rt.send {
		case sendGset:
			why = append(why, "\\gset")
		case sendGexec:
			why = append(why, "\\gexec")
		case sendGdesc:
			why = append(why, "\\gdesc")
		}
		if rt.include != nil {
			why = append(why, "\\"+rt.include.cmd+" of a file named at run time")
		}
		var cmds []string
		for _, list := range [][]*Action{rt.pre, rt.post} {
			for _, a := range list {
				if a.kind != actSeed && !containsString(cmds, "\\"+a.cmd) {
					cmds = append(cmds, "\\"+a.cmd)
				}
			}
		}
		if len(cmds) > 0 {
			why = append(why, "runs "+strings.Join(cmds, ", "))
		}
	}
	if g := s.guard(); g != nil {
		why = append(why, "under the \\if at "+g.cond.pos.String()+", decided at run time")
	}
	if len(why) == 0 {
		return ""
	}
	return "dynamic: " + strings.Join(why, "; ")
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// OnErrorStop reports whether psql would stop the script when this statement fails:
// ON_ERROR_STOP as it stood when psql read the line that ends the statement (st is
// asked when the script sets it at run time; st may be nil otherwise).
func (s *Statement) OnErrorStop(st *State) bool {
	if s.src == nil {
		return false
	}
	switch s.src.oes {
	case oesOn:
		return true
	case oesDynamic:
		return st != nil && st.OnErrorStop()
	}
	return false
}

// Send is what the runner does with a statement, as Statement.Prepare decides it.
type Send struct {
	// SQL is the text to send: Statement.SQL, or its text with run-time variables.
	SQL string
	// Skip says why the statement is not sent ("" to send it): its \if branch was not
	// taken, or a \q came first.
	Skip string
	// Gset asks for the result's single row to be stored in variables named Prefix
	// followed by each column's name (State.Gset).
	Gset   bool
	Prefix string
	// Gexec asks for every value of the result to be sent as a statement.
	Gexec bool
	// Gdesc asks for the statement to be prepared (its result described), not run.
	Gdesc bool
	// Include names a file to read and run in place of the statement (an \i of a file
	// named at run time): see LoadInclude.
	Include string
	// LargeObject is the large object command to run in place of SQL, its arguments
	// read with the run-time variables.
	LargeObject *LOCall
}

// Prepare runs the meta-commands that come before the statement (\set, \echo, \if
// ... that act at run time) and returns what to send. A meta-command that fails is
// reported on StreamWarn, as psql reports it, and the script goes on; when ON_ERROR_STOP
// is on, Prepare returns the error instead and nothing is to be sent. An error from the
// statement's text (a run-time value that would change where it ends) is returned too.
func (s *Statement) Prepare(st *State) (Send, error) {
	var send Send
	rt := s.rt()
	if rt != nil {
		for _, a := range rt.pre {
			if !a.inside {
				if err := st.run(s, a); err != nil {
					return send, err
				}
			}
		}
	}
	if st.quit != nil {
		send.Skip = "not sent: the script ended at \\q (" + st.quit.pos.String() + ")"
		return send, nil
	}
	if g := s.guard(); g != nil && !g.active(st) {
		send.Skip = "not sent: its \\if branch was not taken (\\if at " + g.cond.pos.String() + ")"
		return send, nil
	}
	if rt != nil && rt.metaOnly {
		send.Skip = "nothing to send: the script has only meta-commands"
		return send, nil
	}
	send.SQL = s.SQL
	if lo := s.LargeObject(); lo != nil {
		c := lo.Call(st)
		send.LargeObject = &c
	}
	if rt == nil {
		return send, nil
	}
	if rt.tmpl != nil {
		sql, err := s.Expand(st)
		if err != nil {
			return send, err
		}
		send.SQL = sql
	}
	for _, a := range rt.pre {
		if a.inside {
			if err := st.run(s, a); err != nil {
				return send, err
			}
		}
	}
	switch rt.send {
	case sendGset:
		send.Gset = true
		if args := st.args(rt.gset); len(args) > 0 {
			send.Prefix = args[0]
		}
	case sendGexec:
		send.Gexec = true
	case sendGdesc:
		send.Gdesc = true
	}
	if rt.include != nil {
		args := st.args(rt.include)
		path := args[0]
		if rt.include.dir != "" && !isAbs(path) {
			path = rt.include.dir + string(os.PathSeparator) + path
		}
		send.SQL, send.Include = "", path
	}
	return send, nil
}

// Finish runs the meta-commands that follow the last statement of the script, after it
// ran (see Prepare for errors).
func (s *Statement) Finish(st *State) error {
	rt := s.rt()
	if rt == nil {
		return nil
	}
	for _, a := range rt.post {
		if err := st.run(s, a); err != nil {
			return err
		}
	}
	return nil
}

// State is the run-time side of a script's psql variables and meta-commands: the
// variables (those known at load time, those \gset and the built-ins set), the
// environment \setenv changed, the branch each run-time \if took, and \q. The runner
// keeps one per run; it is not safe for concurrent use.
type State struct {
	vars   map[string]string
	env    map[string]envValue
	branch map[*Cond]int
	quit   *Action
	print  func(Stream, string)
	qout   string // the file of \o, where \qecho writes ("": StreamQuery)
	// noFiles: \o neither creates nor writes its file (NoFiles).
	noFiles bool

	includes int // depth of \i of files named at run time
}

// NewState returns an empty State whose meta-commands print through print (nil
// discards their output).
func NewState(print func(Stream, string)) *State {
	if print == nil {
		print = func(Stream, string) {}
	}
	return &State{vars: map[string]string{}, branch: map[*Cond]int{}, print: print}
}

// NoFiles makes the meta-commands of st touch no file: \o neither creates nor empties
// its file and \qecho under it writes nothing (for tests and fuzzing, which run scripts'
// meta-commands without a run).
func (st *State) NoFiles() { st.noFiles = true }

// Lookup returns the value of variable name.
func (st *State) Lookup(name string) (string, bool) {
	v, ok := st.vars[name]
	return v, ok
}

// OnErrorStop reports whether ON_ERROR_STOP is on.
func (st *State) OnErrorStop() bool {
	b, _ := ParseBool(st.vars["ON_ERROR_STOP"])
	return b
}

// Quit reports whether a \q ended the script, and where.
func (st *State) Quit() (Pos, bool) {
	if st.quit == nil {
		return Pos{}, false
	}
	return st.quit.pos, true
}

// Connection describes the session for psql's DBNAME, USER, HOST, PORT, ENCODING,
// SERVER_VERSION_NAME and SERVER_VERSION_NUM.
type Connection struct {
	DBName, User, Host, Port string
	Encoding                 string // client_encoding
	ServerVersion            string // server_version, e.g. "15.4 (Debian 15.4-1)"
	ServerVersionNum         int    // e.g. 150004
}

// SetConnection sets the variables that describe the connection, as psql does when it
// connects.
func (st *State) SetConnection(c Connection) {
	st.vars["DBNAME"] = c.DBName
	st.vars["USER"] = c.User
	st.vars["HOST"] = c.Host
	st.vars["PORT"] = c.Port
	st.vars["ENCODING"] = c.Encoding
	st.vars["SERVER_VERSION_NAME"] = c.ServerVersion
	st.vars["SERVER_VERSION_NUM"] = fmt.Sprint(c.ServerVersionNum)
}

// SetEncoding follows a change of client_encoding, as psql updates ENCODING.
func (st *State) SetEncoding(enc string) {
	if enc != "" {
		st.vars["ENCODING"] = enc
	}
}

// Command records a result of a query string whose command tag is tag (rows: it
// returned rows): psql sets LASTOID after a command, and after INSERT, UPDATE, DELETE
// or MERGE ... RETURNING.
func (st *State) Command(tag string, rows bool) {
	if rows && !(strings.HasPrefix(tag, "INSERT") || strings.HasPrefix(tag, "UPDATE") ||
		strings.HasPrefix(tag, "DELETE") || strings.HasPrefix(tag, "MERGE")) {
		return
	}
	oid := "0"
	if rest, ok := strings.CutPrefix(tag, "INSERT "); ok {
		if o, _, ok := strings.Cut(rest, " "); ok {
			oid = o
		}
	}
	st.vars["LASTOID"] = oid
}

// Succeeded records that a query string succeeded and its last command tag was tag:
// ERROR false, SQLSTATE 00000, ROW_COUNT the tag's count. psql leaves them alone when
// \gset or \gexec failed: then call neither this nor Failed.
func (st *State) Succeeded(tag string) {
	st.vars["ERROR"] = "false"
	st.vars["SQLSTATE"] = "00000"
	st.vars["ROW_COUNT"] = cmdTuples(tag)
}

// Failed records that a query string failed with an error from the server (sqlstate
// "" for an error without one, such as a lost connection).
func (st *State) Failed(sqlstate, message string) {
	st.vars["ERROR"] = "true"
	st.vars["SQLSTATE"] = sqlstate
	st.vars["ROW_COUNT"] = "0"
	st.vars["LAST_ERROR_SQLSTATE"] = sqlstate
	st.vars["LAST_ERROR_MESSAGE"] = message
}

// cmdTuples is libpq's PQcmdTuples: the count of a command tag, "0" when it has none.
func cmdTuples(tag string) string {
	var rest string
	switch {
	case strings.HasPrefix(tag, "INSERT "):
		_, r, ok := strings.Cut(tag[len("INSERT "):], " ")
		if !ok {
			return "0"
		}
		rest = r
	case strings.HasPrefix(tag, "SELECT "), strings.HasPrefix(tag, "DELETE "), strings.HasPrefix(tag, "UPDATE "):
		rest = tag[7:]
	case strings.HasPrefix(tag, "FETCH "), strings.HasPrefix(tag, "MERGE "):
		rest = tag[6:]
	case strings.HasPrefix(tag, "MOVE "), strings.HasPrefix(tag, "COPY "):
		rest = tag[5:]
	default:
		return "0"
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] < '0' || rest[i] > '9' {
			return "0"
		}
	}
	if rest == "" {
		return "0"
	}
	return rest
}

// Gset stores the result of a statement ended by \gset: row is its first row (a nil
// value is NULL, which unsets the variable) and nrows the number of rows. The error is
// psql's: no rows, more than one, or a column whose name makes no variable name. psql
// ignores (with a warning on StreamWarn) a column that names a variable it treats
// specially.
func (st *State) Gset(prefix string, cols []string, row [][]byte, nrows int) error {
	switch {
	case nrows == 0:
		return fmt.Errorf("no rows returned for \\gset")
	case nrows > 1:
		return fmt.Errorf("more than one row returned for \\gset")
	}
	for i, c := range cols {
		name := prefix + c
		if specials[name] != nil {
			st.print(StreamWarn, fmt.Sprintf("attempt to \\gset into specially treated variable %q ignored\n", name))
			continue
		}
		if row[i] == nil {
			delete(st.vars, name)
			continue
		}
		if !validVarName(name) {
			return fmt.Errorf("invalid variable name: %q", name)
		}
		st.vars[name] = string(row[i])
	}
	return nil
}

// set assigns a variable with psql's rules for the special ones.
func (st *State) set(name, value string, unset bool) error {
	v, defined, msg, _ := assign(name, value, unset)
	if msg != "" {
		return fmt.Errorf("%s", msg)
	}
	if !defined {
		delete(st.vars, name)
		return nil
	}
	st.vars[name] = v
	return nil
}

// getenv reads an environment variable after the \setenv commands run so far.
func (st *State) getenv(name string) (string, bool) {
	if ev, ok := st.env[name]; ok {
		return ev.value, !ev.unset
	}
	return os.LookupEnv(name)
}

// args returns the arguments of a, lexed again with the run-time variables when they
// read any.
func (st *State) args(a *Action) []string {
	if !a.dyn {
		return a.args
	}
	args, _ := relexArgs(a, st)
	return args
}

// run runs action a, which belongs to statement s. A failure is printed; it is returned
// only when psql would stop (ON_ERROR_STOP).
func (st *State) run(s *Statement, a *Action) error {
	if !a.guard.active(st) || st.quit != nil && a.kind != actSeed {
		return nil
	}
	err := st.do(a)
	if err == nil {
		return nil
	}
	e := &Error{Pos: a.pos, Msg: err.Error()}
	st.print(StreamWarn, e.Error()+"\n")
	if s.OnErrorStop(st) {
		return e
	}
	return nil
}

// do runs a.
func (st *State) do(a *Action) error {
	switch a.kind {
	case actSeed:
		for k, v := range a.seedVars {
			st.vars[k] = v
		}
		for k, v := range a.seedEnv {
			if st.env == nil {
				st.env = map[string]envValue{}
			}
			st.env[k] = v
		}
	case actSet:
		name, value, unset := a.name, a.value, a.unset
		if a.dyn {
			args := st.args(a)
			name, unset = args[0], a.cmd == "unset"
			value = strings.Join(args[1:], "")
		} else if a.name == "" {
			return nil
		}
		if err := st.set(name, value, unset); err != nil {
			return fmt.Errorf("\\%s: %w", a.cmd, err)
		}
	case actGetenv:
		args := st.args(a)
		if v, ok := st.getenv(args[1]); ok {
			if err := st.set(args[0], v, false); err != nil {
				return fmt.Errorf("\\getenv: %w", err)
			}
		}
	case actSetenv:
		name, ev := a.name, envValue{value: a.value, unset: a.unset}
		if a.dyn || name == "" {
			args := st.args(a)
			name = args[0]
			ev = envValue{unset: len(args) < 2}
			if !ev.unset {
				ev.value = strings.Join(args[1:], "")
			}
		}
		if st.env == nil {
			st.env = map[string]envValue{}
		}
		st.env[name] = ev
	case actEcho:
		text := a.text
		if a.dyn {
			args, quoted := relexArgs(a, st)
			text = echoText(args, quoted)
		}
		if a.cmd == "qecho" && st.qout != "" {
			if st.noFiles {
				return nil
			}
			return appendFile(st.qout, text)
		}
		st.print(echoStream(a.cmd), text)
	case actOut:
		// psql opens the file (created, or emptied) for the query output, which
		// \qecho writes to; without a file it goes back to the standard output.
		st.qout = ""
		if args := st.args(a); len(args) > 0 && args[0] != "" {
			path := expandTilde(args[0])
			if st.noFiles {
				st.qout = path
				return nil
			}
			f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o666)
			if err != nil {
				return fmt.Errorf("%s: %s", path, pathErr(err))
			}
			if err := f.Close(); err != nil {
				return fmt.Errorf("%s: %s", path, pathErr(err))
			}
			st.qout = path
		}
	case actIf, actElif, actElse:
		if a.kind == actIf {
			delete(st.branch, a.cond)
		} else if st.branch[a.cond] != 0 {
			return nil // an earlier branch was taken
		}
		take := true
		if a.kind != actElse {
			expr := strings.Join(st.args(a), " ")
			v, ok := ParseBool(expr)
			if !ok {
				st.print(StreamWarn, (&Error{Pos: a.pos, Msg: boolError(expr, "\\"+a.cmd+" expression")}).Error()+"\n")
			}
			take = v
		}
		if take {
			st.branch[a.cond] = a.branch
		}
	case actQuit:
		st.quit = a
	}
	return nil
}

// appendFile adds text at the end of the file at path (\qecho under \o).
func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("%s: %s", path, pathErr(err))
	}
	_, err = f.WriteString(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %s", path, pathErr(err))
	}
	return nil
}

// echoStream is where \echo, \qecho or \warn prints.
func echoStream(cmd string) Stream {
	switch cmd {
	case "qecho":
		return StreamQuery
	case "warn":
		return StreamWarn
	}
	return StreamEcho
}

// echoText is what \echo prints for its arguments: them separated by spaces and a
// newline, none after a first unquoted "-n".
func echoText(args []string, quoted []bool) string {
	var b strings.Builder
	newline := true
	first := true
	for i, a := range args {
		if first && newline && !quoted[i] && a == "-n" {
			newline = false
			continue
		}
		if !first {
			b.WriteByte(' ')
		}
		first = false
		b.WriteString(a)
	}
	if newline {
		b.WriteByte('\n')
	}
	return b.String()
}

// relexArgs lexes the arguments of a again, with the variables of vars.
func relexArgs(a *Action, vars Vars) ([]string, []bool) {
	p := &parser{rt: vars, expanding: map[string]bool{}}
	l := &lexer{p: p, f: a.file, buf: stringBytes(a.raw), str: a.raw}
	al := l.args(l.buf, 0, cmdInfo{}, true) // whole-line commands read no variable
	return al.args, al.quoted
}

// scsAt reports whether the statement was split with standard_conforming_strings on.
func (s *Statement) scsAt() bool { return s.src == nil || !s.src.scsOff }

func isAbs(path string) bool { return len(path) > 0 && os.IsPathSeparator(path[0]) }

// metaOnly adds the one statement of a script that sends nothing but whose meta-commands
// act at run time (\echo, \set once live, ...): it sends nothing and carries them, so
// that they run as psql runs them. Its text is the meta-commands' lines.
func (p *parser) metaOnly() {
	var first, last *Action
	for _, a := range p.pending {
		if a.kind != actSeed {
			if first == nil {
				first = a
			}
			if a.file == first.file {
				last = a
			}
		}
	}
	if first == nil {
		return
	}
	f := first.file
	lineEnd := func(off int) int {
		if k := bytes.IndexByte(f.src[off:], '\n'); k >= 0 {
			return off + k
		}
		return len(f.src)
	}
	start, end := first.off, lineEnd(last.off)
	s := p.newStmt()
	s.SQL = strings.TrimSpace(string(f.src[start:end]))
	s.flags = textFlags(s.SQL, p.scs)
	s.src = p.source(f, p.oesNow)
	cold := s.coldPart()
	cold.rt = &stmtRT{pre: p.pending, metaOnly: true}
	cold.posMap = []posMark{{sqlOff: 0, src: first.pos, fixed: true}}
	s.setSpan(first.pos, start, end)
	p.pending = nil
}

// newAction makes the action of the meta-command \name whose backslash is at buffer
// index i and whose arguments are al.
func (l *lexer) newAction(kind actKind, at Pos, i int, name string, al argList) *Action {
	a := &Action{kind: kind, pos: at, cmd: name, args: al.args, quoted: al.quoted, dyn: al.dyn, file: l.f, off: l.off(i)}
	if al.dyn {
		a.raw = al.raw(l)
	}
	if kind == actEcho && !al.dyn {
		a.text = echoText(al.args, al.quoted)
	}
	return a
}

// record adds a, under the current guard, to the actions of the next statement.
func (p *parser) record(a *Action) {
	a.guard = p.guard
	p.act(a)
}

// act adds a to the actions of the next statement.
func (p *parser) act(a *Action) {
	p.pending = append(p.pending, a)
}

// goLive marks the point from which the script uses run-time variables: the variables
// known so far seed the run-time store, and every later \set is replayed at run time.
func (l *lexer) goLive() {
	p := l.p
	if p.live || p.rt != nil {
		return
	}
	p.live = true
	a := &Action{kind: actSeed, pos: l.f.pos(l.pos), cmd: "set", file: l.f, off: -1, seedVars: p.vt.snapshot()}
	if len(p.env) > 0 {
		a.seedEnv = make(map[string]envValue, len(p.env))
		for k, v := range p.env {
			a.seedEnv[k] = v
		}
	}
	p.pending = append(p.pending, a)
}

// dynRef keeps buf[i:j], a reference to a variable known only at run time, as written,
// and remembers it so that the statement is completed when it runs.
func (l *lexer) dynRef(i, j int, name string, kind refKind) {
	p := l.p
	if l.inVar > 0 {
		p.errs.AddErr(l.f.pos(l.varRef), fmt.Sprintf("the value of a variable refers to :%s, known only at run time: not supported", name), ErrUnsupported)
		l.text(i, j)
		return
	}
	if l.varAction {
		p.errs.AddErr(l.f.pos(i), fmt.Sprintf("a statement that reads :%s, known only at run time, after a meta-command inside its text changed a variable is not supported", name), ErrUnsupported)
	}
	l.goLive()
	had := l.started
	if !l.started {
		l.startStmt(i)
	}
	l.flush(i)
	l.pieces = append(l.pieces, piece{s: l.str[i:j], off: i})
	l.tok = true
	l.extra = true
	l.refs = append(l.refs, dynRef{piece: len(l.pieces) - 1, name: name, kind: kind, pos: l.f.pos(i),
		started: had, depth: l.depth, begin: l.begin, kw: l.kw, ids: l.ids, idCount: l.idCount})
	l.seg = j
	l.pos = j
}

// Expand returns the statement's text with the values vars holds for the variables it
// reads at run time, as psql would have sent it. A value is lexed in place, as psql
// lexes it; Expand fails when it would change where the statement ends (a ";" or an
// unbalanced parenthesis or quote in the value), since qrun split the script before it
// ran. Statements that read no run-time variable return SQL.
func (s *Statement) Expand(vars Vars) (string, error) {
	rt := s.rt()
	if rt == nil || rt.tmpl == nil {
		return s.SQL, nil
	}
	var b strings.Builder
	for _, pc := range rt.tmpl {
		r := pc.ref
		if r == nil {
			b.WriteString(pc.s)
			continue
		}
		v, ok := vars.Lookup(r.name)
		switch r.kind {
		case refTest:
			b.WriteString(boolWord(ok))
		case refLiteral, refIdent:
			if !ok {
				b.WriteString(pc.s)
				break
			}
			q := byte('\'')
			if r.kind == refIdent {
				q = '"'
			}
			b.WriteString(quoteVar(v, q))
		default:
			if !ok {
				b.WriteString(pc.s)
				break
			}
			text, err := lexValue(r, v, vars, s.scsAt())
			if err != nil {
				return "", &Error{Pos: r.pos, Msg: err.Error()}
			}
			b.WriteString(text)
		}
	}
	return b.String(), nil
}

// lexValue lexes the value v of the variable reference r, as psql lexes a value in
// place of its reference, and returns the text it puts into the statement.
func lexValue(r *dynRef, v string, vars Vars, scs bool) (string, error) {
	p := &parser{rt: vars, expanding: map[string]bool{r.name: true}, scs: scs, valueOf: r.name}
	f := &srcFile{name: r.pos.File, src: stringBytes(v), text: v}
	l := &lexer{p: p, f: f, buf: f.src, str: v, seg: -1, jumpAt: -1, scsAt: -1,
		depth: r.depth, begin: r.begin, kw: r.kw, ids: r.ids, idCount: r.idCount, extra: true}
	if r.started {
		l.startStmt(0)
	}
	l.run()
	changed := func(what string) error {
		return fmt.Errorf("the value of :%s %s, which would change where the statement ends: qrun splits the script before it runs (use :'%s' for a literal)", r.name, what, r.name)
	}
	switch {
	case len(p.errs) > 0:
		return "", fmt.Errorf("the value of :%s: %s", r.name, p.errs[0].Msg)
	case p.valueEnded:
		return "", changed("ends the statement")
	case l.st != stPlain:
		return "", changed("leaves a quote or a comment open")
	case l.depth != r.depth:
		return "", changed("leaves a parenthesis open or closes one")
	case l.begin != r.begin || (l.kw == kwActive) != (r.kw == kwActive):
		return "", changed("changes a BEGIN ATOMIC body")
	case l.copyStdin > 0:
		return "", changed("makes the statement a COPY FROM STDIN")
	}
	if l.started {
		l.flush(len(l.buf))
	}
	return l.sql(), nil
}

// CheckSCS returns an error when the server's standard_conforming_strings (on) is not
// the one qrun split the statement with and, with the server's, the statement would end
// elsewhere (only a backslash in it can make that happen). qrun reads the whole script
// before it runs, following the SET, SET LOCAL, RESET, ROLLBACK and COMMIT statements in
// it; the server can still differ after set_config(), a SET inside a function or a
// block that failed and so rolled back, and psql would then split the rest of the
// script as the server says. The runner calls it before it sends each statement.
func (s *Statement) CheckSCS(on bool) error {
	if on == s.scsAt() || strings.IndexByte(s.SQL, '\\') < 0 || s.src.file == nil || s.src.file.src == nil {
		return nil
	}
	f := s.src.file
	start := s.Pos().Offset
	end := -1
	p := &parser{scs: on, split: func(_, e int) bool { end = e; return false }, instances: map[string]int{}, expanding: map[string]bool{}}
	l := &lexer{p: p, f: f, buf: f.src, str: f.text, pos: start, prevEnd: start, seg: -1, jumpAt: -1, scsAt: -1}
	l.run()
	if end < 0 && l.st == stPlain {
		end = len(f.src)
	}
	if end == s.End() {
		return nil
	}
	state := map[bool]string{true: "on", false: "off"}
	return &Error{Pos: s.Pos(), Msg: fmt.Sprintf("standard_conforming_strings is %s on the server here, but qrun split the script before it ran, reading this statement with it %s: "+
		"a backslash in a '...' string would make the statement end elsewhere (change standard_conforming_strings with a plain SET outside a transaction block, or write E'...' strings)",
		state[on], state[!on])}
}

// maxIncludeDepth bounds \i of files named at run time that include each other.
const maxIncludeDepth = 64

// LoadInclude reads the file of an \i named at run time (statement st, whose Prepare
// gave path) with the variables of state, as psql reads it when it reaches the \i. The
// statements it returns run in order in place of st, each through Prepare like any
// other: every \set in the file acts at run time.
func LoadInclude(st *Statement, path string, state *State) (*Script, error) {
	if state.includes >= maxIncludeDepth {
		return nil, &Error{Pos: st.Pos(), Msg: "\\i nested too deeply (an include cycle?)"}
	}
	state.includes++
	defer func() { state.includes-- }()
	p := newParser(Options{})
	for k := range p.vt.vals {
		delete(p.vt.vals, k)
	}
	for k, v := range state.vars {
		p.vt.vals[k] = v
	}
	p.vt.sent = 0
	for _, name := range connVars {
		if _, ok := state.vars[name]; ok {
			p.vt.set(name, state.vars[name], false)
		}
	}
	for k, v := range state.env {
		if p.env == nil {
			p.env = map[string]envValue{}
		}
		p.env[k] = v
	}
	if enc, ok := state.vars["ENCODING"]; ok {
		p.enc = enc
	}
	p.live = true // the run-time store is right already: replay every \set
	p.oesNow = p.oesMode()
	p.oesPrev = p.oesNow
	p.loadFile(path, st.Pos(), false)
	return p.finish()
}
