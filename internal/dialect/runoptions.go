package dialect

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// RunOptions are the runner's settings a database URL may carry, as
// schema_* query options: a backend that migrates at start-up
// (OpenAndMigrate) has only its DATABASE_URL. Parse takes them out of the
// query before the driver sees it. A zero field was not given.
type RunOptions struct {
	// DDLLockWait (schema_ddl_lock_wait): how long each statement of a
	// step waits for a table lock; more than 0 when given.
	DDLLockWait time.Duration
	// DDLRetryFor (schema_ddl_retry_for): how long a step is retried
	// after such waits time out; 0 (given) means not at all.
	DDLRetryFor      time.Duration
	DDLRetryForGiven bool
}

// runOptionPrefix marks the query options that are this package's own.
const runOptionPrefix = "schema_"

const runOptionsSupported = "supported: schema_ddl_lock_wait, schema_ddl_retry_for"

// takeRunOptions removes the schema_* options from a raw query string,
// leaving the others exactly as written (PostgreSQL's are handed on as
// written), and reads them. A pair that does not parse is left for the
// dialect's own check to report. Errors never quote a value.
func takeRunOptions(raw string) (rest string, o RunOptions, err error) {
	if raw == "" {
		return raw, o, nil
	}
	var kept []string
	seen := map[string]bool{}
	for pair := range strings.SplitSeq(raw, "&") {
		k, v, _ := strings.Cut(pair, "=")
		key, kerr := url.QueryUnescape(k)
		if kerr != nil || !strings.HasPrefix(key, runOptionPrefix) {
			kept = append(kept, pair)
			continue
		}
		val, verr := url.QueryUnescape(v)
		if verr != nil {
			return "", o, errors.New(errMalformedQuery)
		}
		if seen[key] {
			return "", o, fmt.Errorf("database URL option %s is given twice: keep one", quoteName(key))
		}
		seen[key] = true
		switch key {
		case "schema_ddl_lock_wait":
			d, ok := parseSeconds(val)
			if !ok || d <= 0 {
				return "", o, errors.New("database URL option schema_ddl_lock_wait is not a positive duration: give how long each migration statement may wait for a table lock, as 2s or 500ms")
			}
			o.DDLLockWait = d
		case "schema_ddl_retry_for":
			d, ok := parseSeconds(val)
			if !ok || d < 0 {
				return "", o, errors.New("database URL option schema_ddl_retry_for is not a duration of zero or more: give how long a migration step is retried while a table is locked, as 5m, or 0 for no retry")
			}
			o.DDLRetryFor, o.DDLRetryForGiven = d, true
		default:
			q, _ := url.ParseQuery(raw)
			return "", o, fmt.Errorf("unsupported database URL option %s (%s)", optionName(key, q), runOptionsSupported)
		}
	}
	return strings.Join(kept, "&"), o, nil
}

// parseSeconds reads a Go duration (2s, 500ms, 5m) or a number of seconds.
func parseSeconds(s string) (time.Duration, bool) {
	if d, err := time.ParseDuration(s); err == nil {
		return d, true
	}
	secs, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(secs) || math.IsInf(secs, 0) || math.Abs(secs) > math.MaxInt64/float64(time.Second) {
		return 0, false
	}
	return time.Duration(secs * float64(time.Second)), true
}
