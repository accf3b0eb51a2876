package runner

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Passwords in what qrun prints.
//
// Connection strings reach error messages in two forms, and either may be malformed,
// which is when a pattern is most likely to cut a password in two: a URL
// (postgres://user:password@host/db, password=... in its query) and libpq's keyword/value
// form (password=secret, password='a \' quoted one', password=with\ escapes). Redact reads
// them the way libpq does, and where the form is ambiguous it hides more, never less:
// everything of a URL's userinfo up to the last '@' of its token, everything of a quoted
// value up to its closing quote or the end of the text.

const mask = "xxxxx"

// Redact removes passwords from s: from URLs (postgres://user:PASSWORD@host), from
// keyword/value strings and URL parameters (password=PASSWORD), each replaced by "xxxxx".
// A userinfo it cannot read as user:password (an unencoded '@' or '/') is hidden whole.
func Redact(s string) string {
	return redactKeywords(redactURLs(s))
}

// redactURLs hides the userinfo of every URL in s: the text from "://" to the last '@'
// before the next white space (a password may hold '@', '/', '?' or '#' unencoded). The
// user name stays when it is plainly one (no '@', '/' or '?' in it).
func redactURLs(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i+3])
		s = s[i+3:]
		end := strings.IndexAny(s, " \t\r\n")
		if end < 0 {
			end = len(s)
		}
		at := strings.LastIndexByte(s[:end], '@')
		if at < 0 {
			// A password with white space in it: the userinfo goes on to an '@' further
			// on the line, when no '/' (a path: the URL had ended) comes before it.
			line := s
			if nl := strings.IndexAny(s, "\r\n"); nl >= 0 {
				line = s[:nl]
			}
			if next := strings.Index(line, "://"); next >= 0 {
				line = line[:next]
			}
			if a := strings.LastIndexByte(line, '@'); a >= 0 && !strings.ContainsRune(line[:a], '/') {
				at = a
			}
		}
		if at < 0 {
			continue
		}
		userinfo := s[:at]
		if user, _, ok := strings.Cut(userinfo, ":"); ok {
			if strings.ContainsAny(user, "@/?#") {
				b.WriteString(mask)
			} else {
				b.WriteString(user + ":" + mask)
			}
		} else if strings.ContainsAny(userinfo, "@/?#") {
			b.WriteString(mask) // "user@pass@host": which part is which is not clear
		} else {
			b.WriteString(userinfo) // a user name alone
		}
		s = s[at:]
	}
}

// redactKeywords hides the value of every password= (keyword/value form, or a URL's
// query parameter; any case, spaces around '=' allowed) as libpq reads a value: quoted,
// up to the closing quote that no backslash escapes (to the end of s when there is
// none); or bare, up to white space that no backslash escapes (or a '&' in a URL query).
func redactKeywords(s string) string {
	var b strings.Builder
	lower := strings.ToLower(s)
	for i := 0; i < len(s); {
		j := strings.Index(lower[i:], "password")
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		j += i
		k := j + len("password")
		for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
			k++
		}
		key := j // where the keyword starts: sslpassword is one too
		if j >= 3 && lower[j-3:j] == "ssl" {
			key = j - 3
		}
		wordStart := key == 0 || !isWordByte(s[key-1])
		if !wordStart || k >= len(s) || s[k] != '=' {
			b.WriteString(s[i:k])
			i = k
			continue
		}
		k++
		for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
			k++
		}
		b.WriteString(s[i:k])
		b.WriteString(mask)
		// A URL's query parameter ends at '&'; in the keyword form '&' is a character.
		query := key > 0 && (s[key-1] == '?' || s[key-1] == '&')
		i = valueEnd(s, k, query)
	}
	return b.String()
}

// isWordByte reports whether c can be part of a keyword (sslpassword is one too).
func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// valueEnd returns where the connection-string value that starts at s[k] ends; query
// says it is a URL's query parameter.
func valueEnd(s string, k int, query bool) int {
	if k < len(s) && s[k] == '\'' {
		for k++; k < len(s); k++ {
			switch s[k] {
			case '\\':
				k++
			case '\'':
				return k + 1
			}
		}
		return len(s)
	}
	for ; k < len(s); k++ {
		switch s[k] {
		case '\\':
			k++
		case ' ', '\t', '\r', '\n':
			return k
		case '&':
			if query {
				return k
			}
		}
	}
	return min(k, len(s))
}

// errAmbiguousURL says a connection URL has more than one '@' before its path: libpq and
// pgconn take the first as the end of the userinfo, so the rest of a password would be
// taken for a host name and looked up.
var errAmbiguousURL = errors.New("invalid connection URL: more than one '@' before the host: an '@' in the user name or password must be percent-encoded as %40")

// checkConnURL rejects a connection URL whose userinfo cannot be told from its host, before
// anything parses or resolves it; its error holds nothing of the string.
func checkConnURL(s string) error {
	rest, ok := strings.CutPrefix(s, "postgres://")
	if !ok {
		if rest, ok = strings.CutPrefix(s, "postgresql://"); !ok {
			return nil
		}
	}
	authority := rest
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		authority = rest[:i]
	}
	if strings.Count(authority, "@") > 1 {
		return errAmbiguousURL
	}
	if strings.ContainsAny(authority, " \t\r\n") {
		return errors.New("invalid connection URL: white space before the path: percent-encode it (%20)")
	}
	if i := strings.IndexByte(authority, '@'); i >= 0 {
		if strings.ContainsAny(authority[i+1:], " \t\r\n'\"\\") {
			return errors.New("invalid connection URL: the host part holds characters no host name has (is a '/' in the password not percent-encoded as %2F?)")
		}
	}
	return nil
}

// parseConfigError is pgconn's error for a connection string it could not parse, without
// the string: pgconn quotes it, with its own best-effort redaction, and the cause may
// quote it again (net/url's errors do).
func parseConfigError(err error) error {
	var pce *pgconn.ParseConfigError
	if !errors.As(err, &pce) {
		return redacted(fmt.Errorf("invalid connection settings: %w", err))
	}
	c := *pce
	c.ConnString = "-"
	msg := strings.TrimPrefix(c.Error(), "cannot parse `-`: ")
	if cause := pce.Unwrap(); cause != nil {
		msg = strings.TrimSuffix(msg, " ("+cause.Error()+")")
	}
	return &redactedError{msg: "invalid connection string: " + Redact(msg), err: err}
}
