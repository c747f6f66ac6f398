package dialect

import (
	"cmp"
	"net/url"
	"slices"
	"strings"
	"unicode"
)

// The secrets of a database URL are its password, wherever it is given
// (the user part, password=, sslpassword=, passwd=), and the value of every
// option not known to be harmless: an unknown PostgreSQL setting may hold a
// token. They are masked wherever the URL is shown (String) and scrubbed
// from every error (Scrub); the command line masks them once more in
// whatever it prints (SecretsIn, MaskSecrets).

// mask replaces a secret wherever one is shown.
const mask = "xxxxx"

// shownOptions are the options whose values are not secret, on any
// dialect: connection settings, file paths, names and timeouts. Any other
// option's value is masked.
var shownOptions = map[string]bool{
	// PostgreSQL: pgx's connection keywords that hold no secret.
	"host": true, "port": true, "user": true, "dbname": true, "sslmode": true, "sslcert": true,
	"sslkey": true, "sslrootcert": true, "sslcertmode": true, "sslnegotiation": true, "sslsni": true,
	"passfile": true, "service": true, "servicefile": true, "connect_timeout": true,
	"target_session_attrs": true, "krbsrvname": true, "krbspn": true, "min_protocol_version": true,
	"max_protocol_version": true, "channel_binding": true, "require_auth": true,
	"default_query_exec_mode": true, "statement_cache_capacity": true, "description_cache_capacity": true,
	// PostgreSQL: common server settings.
	"application_name": true, "search_path": true, "options": true, "client_encoding": true,
	"timezone": true, "datestyle": true, "statement_timeout": true, "lock_timeout": true,
	"idle_in_transaction_session_timeout": true,
	// MySQL and SQLite.
	"charset": true, "collation": true, "unix_socket": true, "timeout": true, "check_same_thread": true, "uri": true,
}

func shownOption(name string) bool { return shownOptions[strings.ToLower(name)] }

// otherKnownOptions are option names that hold secrets or that a user may
// carry over from another driver: named in messages and in the shown URL
// (with their values masked). A name that is not known is never shown:
// a password written with an unencoded "&" in a query string splits into
// options whose names are pieces of it.
var otherKnownOptions = map[string]bool{
	// Secrets.
	"password": true, "passwd": true, "sslpassword": true, "pwd": true, "pass": true,
	// PyMySQL, MySQLdb and the Go MySQL driver.
	"ssl": true, "ssl_ca": true, "ssl_cert": true, "ssl_key": true, "ssl_mode": true, "ssl_disabled": true,
	"ssl_verify_cert": true, "ssl_verify_identity": true, "ssl_check_hostname": true, "ssl_password": true,
	"tls": true, "read_timeout": true, "write_timeout": true, "local_infile": true, "autocommit": true,
	"init_command": true, "program_name": true, "client_flag": true, "sql_mode": true, "binary_prefix": true,
	"compress": true, "read_default_file": true, "read_default_group": true, "auth_plugin_map": true,
	"server_public_key": true, "db": true, "database": true, "use_unicode": true, "cursorclass": true,
	"defer_connect": true, "named_pipe": true, "max_allowed_packet": true, "allowallfiles": true,
	"allowcleartextpasswords": true, "allowfallbacktoplaintext": true, "allownativepasswords": true,
	"allowoldpasswords": true, "checkconnliveness": true, "clientfoundrows": true, "columnswithalias": true,
	"interpolateparams": true, "loc": true, "timetruncate": true, "maxallowedpacket": true,
	"multistatements": true, "parsetime": true, "readtimeout": true, "rejectreadonly": true,
	"serverpubkey": true, "writetimeout": true, "connectionattributes": true,
	// SQLite drivers.
	"mode": true, "cache": true, "vfs": true, "immutable": true, "nolock": true, "journal": true,
	"journal_mode": true, "key": true, "cipher": true, "kdf_iter": true, "_foreign_keys": true,
	"_busy_timeout": true, "_journal_mode": true, "_txlock": true, "_loc": true,
}

func knownOption(name string) bool {
	n := strings.ToLower(name)
	_, refused := postgresRefused[n]
	return shownOptions[n] || otherKnownOptions[n] || refused
}

// secretOptions carry a password in a query string.
var secretOptions = []string{"password", "passwd", "sslpassword", "pwd", "pass"}

// carriesPassword reports a raw query string with a password option.
func carriesPassword(rawQuery string) bool {
	for pair := range strings.FieldsFuncSeq(rawQuery, func(r rune) bool { return r == '&' || r == ';' }) {
		name, _, _ := strings.Cut(pair, "=")
		if slices.Contains(secretOptions, strings.ToLower(name)) {
			return true
		}
	}
	return false
}

// optionName names an option in a message. When the query string also
// carries a password, only a known name is shown: an unknown one may be a
// piece of the password, split off by an unencoded "&".
func optionName(name string, q url.Values) string {
	if knownOption(name) || !slices.ContainsFunc(secretOptions, q.Has) {
		return quoteName(name)
	}
	return `(name not shown: the query string carries a password, and an unencoded "&" in it would make a piece of it look like an option)`
}

// redact is the URL as shown: password and secret option values masked,
// everything else as written.
func redact(u *url.URL) string {
	r := *u
	r.User = maskedUser(u.User)
	r.RawQuery = maskQuery(u.RawQuery)
	return r.String()
}

func maskedUser(user *url.Userinfo) *url.Userinfo {
	if _, has := user.Password(); has {
		return url.UserPassword(user.Username(), mask)
	}
	return user
}

// maskQuery masks the values of the options that are not shown, keeping
// the rest of a (well-formed) query string as written. When the query
// string carries a password, an option whose name is not known is masked
// whole (see optionName).
func maskQuery(raw string) string {
	if raw == "" {
		return ""
	}
	hideUnknown := carriesPassword(raw)
	pairs := strings.Split(raw, "&")
	for i, pair := range pairs {
		k, v, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(k)
		switch {
		case err != nil || hideUnknown && !knownOption(name):
			pairs[i] = mask
		case v != "" && !shownOption(name):
			pairs[i] = k + "=" + mask
		}
	}
	return strings.Join(pairs, "&")
}

// secretsOf lists the secrets of a parsed URL, in every encoding.
func secretsOf(u *url.URL) []string {
	var out []string
	if p, ok := u.User.Password(); ok {
		out = append(out, p)
	}
	hideUnknown := carriesPassword(u.RawQuery)
	for _, pair := range strings.Split(u.RawQuery, "&") {
		k, v, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(k)
		if err != nil || hideUnknown && !knownOption(name) {
			out = append(out, k, name)
		}
		if err != nil || !shownOption(name) {
			out = append(out, v)
			if plain, err := url.QueryUnescape(v); err == nil {
				out = append(out, plain)
			}
		}
	}
	return withEncodings(out)
}

// withEncodings adds the forms a secret takes when a URL or DSN is
// rebuilt, and drops empty and repeated ones.
func withEncodings(secrets []string) []string {
	var out []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		userinfo := strings.TrimPrefix(url.UserPassword("", s).String(), ":")
		out = append(out, s, url.QueryEscape(s), url.PathEscape(s), userinfo)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// SecretsIn lists the secrets of a raw database URL, for masking any text
// that may echo it. A URL that Parse refuses is read leniently: every text
// that could be its password (between a ":" and an "@"), and the value of
// every option not known to be harmless.
func SecretsIn(raw string) []string {
	raw = strings.TrimSpace(raw)
	if t, err := Parse(raw); err == nil {
		return t.secrets
	}
	rest := raw
	if _, r, ok := strings.Cut(raw, "://"); ok {
		rest = r
	}
	var out []string
	// Passwords: from each of the first two ":" to each "@" after it.
	colons := 0
	for c := 0; c < len(rest) && colons < 2 && len(out) < 64; c++ {
		if rest[c] != ':' {
			continue
		}
		colons++
		for i := c + 1; i < len(rest) && len(out) < 64; i++ {
			if rest[i] == '@' {
				out = append(out, rest[c+1:i])
			}
		}
	}
	if _, query, ok := strings.Cut(rest, "?"); ok {
		for _, pair := range strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' || r == '?' }) {
			k, v, _ := strings.Cut(pair, "=")
			if carriesPassword(query) && !knownOption(k) {
				out = append(out, k)
			}
			if !shownOption(k) {
				out = append(out, v)
			}
		}
	}
	for _, s := range out {
		if plain, err := url.PathUnescape(s); err == nil {
			out = append(out, plain)
		}
		if plain, err := url.QueryUnescape(s); err == nil {
			out = append(out, plain)
		}
	}
	return withEncodings(out)
}

// MaskSecrets replaces every secret in s. Longer secrets go first, so one
// that contains another is masked whole. A secret shorter than four
// characters is masked only where it stands alone, not inside a word, or
// a one-letter password would mangle every message.
func MaskSecrets(s string, secrets []string) string {
	sorted := slices.Clone(secrets)
	slices.SortFunc(sorted, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	for _, secret := range sorted {
		switch {
		case strings.Trim(secret, "x") == "":
			// Empty, or made of the mask's own letter: nothing to hide.
		case len(secret) >= 4:
			s = strings.ReplaceAll(s, secret, mask)
		default:
			s = maskWord(s, secret)
		}
	}
	return s
}

// maskWord replaces secret where no letter or digit touches it.
func maskWord(s, secret string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, secret)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := i + len(secret)
		if !wordRune(lastRune(s[:i])) && !wordRune(firstRune(s[j:])) {
			b.WriteString(s[:i])
			b.WriteString(mask)
			s = s[j:]
			continue
		}
		// Inside a word: look again one byte on, for an overlapping match.
		b.WriteString(s[:i+1])
		s = s[i+1:]
	}
}

func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func firstRune(s string) rune {
	for _, r := range s {
		return r
	}
	return -1
}

func lastRune(s string) rune {
	if s == "" {
		return -1
	}
	r := []rune(s[max(0, len(s)-4):])
	return r[len(r)-1]
}
