package models

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // zone names validate the same on hosts without /usr/share/zoneinfo

	"github.com/robfig/cron/v3"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// ResetSchedule says when a token group's usage resets
// (token_group.reset_schedule).
//
// Fields per period; a field that does not belong to the period is an
// error, not silently ignored, so a typo'd schedule never resets at a
// surprising time:
//
//	daily    time
//	weekly   time, weekday (0-6, 0 = Sunday)
//	monthly  time, day (1-31; past the month's end means its last day)
//	cron     cron: five standard fields (minute hour day-of-month month
//	         day-of-week); no @descriptors and no CRON_TZ=/TZ= prefix,
//	         the zone comes from timezone
//	never    nothing
//
// Time is HH:MM (00:00-23:59). Timezone is an IANA name and is allowed
// for every period (never uses it for ResetDate); empty means UTC and
// "Local" is rejected because it depends on the server. Zone data is
// embedded, so validation does not depend on the host.
//
// Resets happen on the zone's wall clock, at the first instant it reaches
// the scheduled time: a time skipped by a spring-forward gap resets when
// the gap ends, and a time the clock shows twice (fall back) resets once,
// at its first occurrence. Cron expressions follow the same rule.
//
// Scan and Value do not validate: a stored bad schedule still loads, and
// Validate, Next and ResetDate report it.
type ResetSchedule struct {
	Period   string `json:"period"`
	Time     string `json:"time,omitempty"`
	Timezone string `json:"timezone,omitempty"`
	Weekday  *int   `json:"weekday,omitempty"`
	Day      *int   `json:"day,omitempty"`
	Cron     string `json:"cron,omitempty"`
}

// Reset periods.
const (
	PeriodDaily   = "daily"
	PeriodWeekly  = "weekly"
	PeriodMonthly = "monthly"
	PeriodCron    = "cron"
	PeriodNever   = "never"
)

// DefaultResetSchedule is the daily reset at midnight UTC that groups had
// before schedules existed (the migration's backfill value).
func DefaultResetSchedule() ResetSchedule {
	return ResetSchedule{Period: PeriodDaily, Time: "00:00", Timezone: "UTC"}
}

var (
	// ErrInvalidResetSchedule matches (errors.Is) every validation error;
	// errors.As with *ResetScheduleError gives the field.
	ErrInvalidResetSchedule = errors.New("invalid reset schedule")
	// ErrNoReset is returned by Next for period "never".
	ErrNoReset = errors.New("reset schedule: period \"never\" has no next reset")
)

// ResetScheduleError is a validation error naming the offending field.
type ResetScheduleError struct {
	Field string // JSON field name
	Value string // the bad value as given; "" when missing
	msg   string
	err   error // underlying cause (zone loading, cron parsing), if any
}

func (e *ResetScheduleError) Error() string {
	if e.err != nil {
		return "reset schedule: " + e.msg + ": " + e.err.Error()
	}
	return "reset schedule: " + e.msg
}

func (e *ResetScheduleError) Is(target error) bool { return target == ErrInvalidResetSchedule }
func (e *ResetScheduleError) Unwrap() error        { return e.err }

func invalid(field, value, format string, args ...any) *ResetScheduleError {
	return &ResetScheduleError{Field: field, Value: value, msg: fmt.Sprintf(format, args...)}
}

// Validate reports the first problem with the schedule, as a
// *ResetScheduleError.
func (s ResetSchedule) Validate() error {
	_, err := s.compile()
	return err
}

// Next gives the first reset instant strictly after `after`, in UTC. It
// returns ErrNoReset for period never and the validation error for an
// invalid schedule.
func (s ResetSchedule) Next(after time.Time) (time.Time, error) {
	p, err := s.compile()
	if err != nil {
		return time.Time{}, err
	}
	if p.period == PeriodNever {
		return time.Time{}, ErrNoReset
	}
	// Walk matching wall-clock times (kept as UTC values, free of DST) and
	// map each to its instant; the first one after `after` wins. Matches
	// inside a gap or at a repeated time can map to `after` or earlier,
	// hence the loop; the bound only guards against zone data surprises.
	wall := wallClock(after.In(p.loc))
	for range 100000 {
		m, ok := p.nextWall(wall)
		if !ok {
			break
		}
		if at := firstReach(m, p.loc); at.After(after) {
			return at.UTC(), nil
		}
		wall = m
	}
	return time.Time{}, fmt.Errorf("reset schedule: no %s reset found after %s; check the schedule", p.period, after.UTC().Format(time.RFC3339))
}

// ResetDate is the date (YYYY-MM-DD) of t in the schedule's zone, as
// token_usage.last_reset_date stores it.
func (s ResetSchedule) ResetDate(t time.Time) (string, error) {
	p, err := s.compile()
	if err != nil {
		return "", err
	}
	return t.In(p.loc).Format(time.DateOnly), nil
}

// plan is a validated schedule ready for computing resets.
type plan struct {
	period       string
	loc          *time.Location
	hour, minute int
	weekday, day int
	cron         cron.Schedule
}

const (
	wantPeriod  = "want daily, weekly, monthly, cron or never"
	wantTime    = "00:00-23:59"
	wantWeekday = "want 0-6, 0 = Sunday"
	wantDay     = "want 1-31; past the month's end means its last day"
	wantCron    = "minute hour day-of-month month day-of-week"
)

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

func (s ResetSchedule) compile() (plan, error) {
	p := plan{period: s.Period}
	need, err := s.fieldsNeeded()
	if err != nil {
		return p, err
	}
	for _, field := range []func(*plan, fieldsNeeded) error{s.compileTime, s.compileZone, s.compileWeekday, s.compileDay, s.compileCron} {
		if err := field(&p, need); err != nil {
			return p, err
		}
	}
	return p, nil
}

// fieldsNeeded is which fields the schedule's period takes.
type fieldsNeeded struct{ time, weekday, day, cron bool }

func (s ResetSchedule) fieldsNeeded() (fieldsNeeded, error) {
	var n fieldsNeeded
	switch s.Period {
	case PeriodDaily:
		n.time = true
	case PeriodWeekly:
		n.time, n.weekday = true, true
	case PeriodMonthly:
		n.time, n.day = true, true
	case PeriodCron:
		n.cron = true
	case PeriodNever:
	case "":
		return n, invalid("period", "", "period is missing (%s)", wantPeriod)
	default:
		return n, invalid("period", s.Period, "period %q is unknown (%s)", s.Period, wantPeriod)
	}
	return n, nil
}

// compileTime reads time (HH:MM) where the period takes it.
func (s ResetSchedule) compileTime(p *plan, need fieldsNeeded) error {
	switch {
	case s.Time == "" && need.time:
		return invalid("time", "", "time is missing for period %q (want HH:MM, %s)", s.Period, wantTime)
	case s.Time != "" && !need.time:
		hint := "remove it"
		if need.cron {
			hint = "the cron expression sets the time; remove it"
		}
		return s.notFor("time", s.Time, fmt.Sprintf("%q", s.Time), hint)
	case s.Time != "":
		h, m, ok := parseHHMM(s.Time)
		if !ok {
			return invalid("time", s.Time, "time %q is not HH:MM (%s)", s.Time, wantTime)
		}
		p.hour, p.minute = h, m
	}
	return nil
}

// compileZone loads timezone (empty is UTC).
func (s ResetSchedule) compileZone(p *plan, need fieldsNeeded) error {
	loc, err := loadZone(s.Timezone)
	if err != nil {
		e := invalid("timezone", s.Timezone, "timezone %q is not an IANA zone name (want e.g. \"Europe/Berlin\"; empty means UTC)", s.Timezone)
		if !errors.Is(err, errLocalZone) {
			e.err = err
		}
		return e
	}
	p.loc = loc
	return nil
}

// compileWeekday reads weekday (0 is Sunday) where the period takes it.
func (s ResetSchedule) compileWeekday(p *plan, need fieldsNeeded) error {
	switch {
	case s.Weekday == nil && need.weekday:
		return invalid("weekday", "", "weekday is missing for period %q (%s)", s.Period, wantWeekday)
	case s.Weekday != nil && !need.weekday:
		return s.notFor("weekday", fmt.Sprint(*s.Weekday), fmt.Sprint(*s.Weekday), "remove it")
	case s.Weekday != nil && (*s.Weekday < 0 || *s.Weekday > 6):
		return invalid("weekday", fmt.Sprint(*s.Weekday), "weekday %d is out of range (%s)", *s.Weekday, wantWeekday)
	case s.Weekday != nil:
		p.weekday = *s.Weekday
	}
	return nil
}

// compileDay reads day of the month where the period takes it.
func (s ResetSchedule) compileDay(p *plan, need fieldsNeeded) error {
	switch {
	case s.Day == nil && need.day:
		return invalid("day", "", "day is missing for period %q (%s)", s.Period, wantDay)
	case s.Day != nil && !need.day:
		return s.notFor("day", fmt.Sprint(*s.Day), fmt.Sprint(*s.Day), "remove it")
	case s.Day != nil && (*s.Day < 1 || *s.Day > 31):
		return invalid("day", fmt.Sprint(*s.Day), "day %d is out of range (%s)", *s.Day, wantDay)
	case s.Day != nil:
		p.day = *s.Day
	}
	return nil
}

// compileCron parses cron where the period takes it.
func (s ResetSchedule) compileCron(p *plan, need fieldsNeeded) error {
	switch {
	case s.Cron == "" && need.cron:
		return invalid("cron", "", "cron is missing for period %q (want five fields: %s, e.g. \"0 3 * * 1\")", s.Period, wantCron)
	case s.Cron != "" && !need.cron:
		return s.notFor("cron", s.Cron, fmt.Sprintf("%q", s.Cron), "remove it")
	case s.Cron != "":
		spec := strings.TrimSpace(s.Cron)
		// The parser would apply the prefix itself (and panics on "TZ=x"
		// with no space); the zone belongs in timezone.
		if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
			return invalid("cron", s.Cron, "cron %q carries a time zone prefix (put the zone in timezone)", s.Cron)
		}
		sched, err := cronParser.Parse(spec)
		if err != nil {
			e := invalid("cron", s.Cron, "cron %q is not a five-field expression (%s)", s.Cron, wantCron)
			e.err = err
			return e
		}
		// Any expression that ever matches does so within five years of
		// 2000 (a leap year), which is as far as the parser searches.
		if sched.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
			return invalid("cron", s.Cron, "cron %q never matches a date", s.Cron)
		}
		p.cron = sched
	}
	return nil
}

// notFor refuses a field the period does not take.
func (s ResetSchedule) notFor(field, value, shown, hint string) error {
	return invalid(field, value, "%s %s does not apply to period %q (%s)", field, shown, s.Period, hint)
}

// parseHHMM reads exactly two-digit hours 00-23 and minutes 00-59.
func parseHHMM(v string) (h, m int, ok bool) {
	if len(v) != 5 || v[2] != ':' {
		return 0, 0, false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if v[i] < '0' || v[i] > '9' {
			return 0, 0, false
		}
	}
	h = int(v[0]-'0')*10 + int(v[1]-'0')
	m = int(v[3]-'0')*10 + int(v[4]-'0')
	return h, m, h <= 23 && m <= 59
}

var (
	errLocalZone = errors.New("local zone")
	zones        sync.Map // name -> *time.Location; LoadLocation reads zone data on every call
)

func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	if name == "Local" {
		return nil, errLocalZone
	}
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}

// nextWall gives the first matching wall-clock time strictly after w; both
// are wall-clock readings stored as UTC values.
func (p plan) nextWall(w time.Time) (time.Time, bool) {
	y, mo, d := w.Date()
	at := func(y int, mo time.Month, d int) time.Time {
		return time.Date(y, mo, d, p.hour, p.minute, 0, 0, time.UTC)
	}
	switch p.period {
	case PeriodDaily:
		c := at(y, mo, d)
		if !c.After(w) {
			c = c.AddDate(0, 0, 1)
		}
		return c, true
	case PeriodWeekly:
		c := at(y, mo, d+(p.weekday-int(w.Weekday())+7)%7)
		if !c.After(w) {
			c = c.AddDate(0, 0, 7)
		}
		return c, true
	case PeriodMonthly:
		clamped := func(y int, mo time.Month) time.Time {
			last := time.Date(y, mo+1, 0, 0, 0, 0, 0, time.UTC).Day()
			return at(y, mo, min(p.day, last))
		}
		c := clamped(y, mo)
		if !c.After(w) {
			c = clamped(y, mo+1) // time.Date normalizes month 13
		}
		return c, true
	case PeriodCron:
		// The parser gives up after five years; Feb 29 can be eight apart.
		for i := 0; i < 3; i++ {
			if c := p.cron.Next(w); !c.IsZero() {
				return c, true
			}
			w = w.AddDate(5, 0, 0)
		}
	}
	return time.Time{}, false
}

// wallClock relabels t's local reading as UTC.
func wallClock(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// firstReach is the first instant at which loc's wall clock reads wall (a
// UTC-labelled reading) or later: the reading's first occurrence, or the
// end of the gap that skips it. time.Date does not do this: it picks
// either side of a gap or overlap depending on the zone's offset sign.
func firstReach(wall time.Time, loc *time.Location) time.Time {
	// Scan zone periods from well before any possible instant (offsets are
	// within ±16h, historic ones included).
	t := wall.Add(-36 * time.Hour).In(loc)
	for range 16 {
		start, end := t.ZoneBounds()
		_, off := t.Zone()
		c := wall.Add(-time.Duration(off) * time.Second)
		if !start.IsZero() && c.Before(start) {
			return start // the clock jumped past wall when this period began
		}
		if end.IsZero() || c.Before(end) {
			return c
		}
		t = end.In(loc)
	}
	return time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), wall.Nanosecond(), loc)
}

func (s ResetSchedule) Value() (driver.Value, error) {
	b, err := json.Marshal(s)
	return string(b), err
}

func (s *ResetSchedule) Scan(src any) error {
	if src == nil {
		*s = ResetSchedule{}
		return nil
	}
	// Decode into a fresh value: Unmarshal keeps fields the JSON omits.
	var out ResetSchedule
	if err := scanJSON(src, &out); err != nil {
		return fmt.Errorf("reset schedule: %w", err)
	}
	*s = out
	return nil
}

func (ResetSchedule) GormDataType() string { return "json" }

func (ResetSchedule) GormDBDataType(db *gorm.DB, f *schema.Field) string { return jsonDataType(db, f) }
