package models_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/openwebui-go/schema/internal/testkit/testdb"
	"github.com/openwebui-go/schema/models"
)

func intp(v int) *int { return &v }

func mustTime(t *testing.T, v string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		t.Fatalf("bad test time %q: %v", v, err)
	}
	return at
}

func TestResetScheduleValidate(t *testing.T) {
	tests := []struct {
		name  string
		s     models.ResetSchedule
		field string // "" means valid
		msg   string
	}{
		{name: "default", s: models.DefaultResetSchedule()},
		{name: "daily empty timezone is UTC", s: models.ResetSchedule{Period: "daily", Time: "23:59"}},
		{name: "weekly", s: models.ResetSchedule{Period: "weekly", Time: "08:30", Timezone: "Europe/Berlin", Weekday: intp(0)}},
		{name: "monthly day 31", s: models.ResetSchedule{Period: "monthly", Time: "00:00", Timezone: "America/New_York", Day: intp(31)}},
		{name: "cron with zone", s: models.ResetSchedule{Period: "cron", Timezone: "Asia/Tokyo", Cron: "0 3 * * MON-FRI"}},
		{name: "cron leap day", s: models.ResetSchedule{Period: "cron", Cron: "0 0 29 2 *"}},
		{name: "never", s: models.ResetSchedule{Period: "never"}},
		{name: "never with timezone", s: models.ResetSchedule{Period: "never", Timezone: "Europe/Berlin"}},

		{name: "missing period", s: models.ResetSchedule{Time: "00:00"}, field: "period",
			msg: `reset schedule: period is missing (want daily, weekly, monthly, cron or never)`},
		{name: "unknown period", s: models.ResetSchedule{Period: "hourly"}, field: "period",
			msg: `reset schedule: period "hourly" is unknown (want daily, weekly, monthly, cron or never)`},
		{name: "period is case sensitive", s: models.ResetSchedule{Period: "Daily", Time: "00:00"}, field: "period",
			msg: `reset schedule: period "Daily" is unknown (want daily, weekly, monthly, cron or never)`},
		{name: "missing time", s: models.ResetSchedule{Period: "weekly", Weekday: intp(1)}, field: "time",
			msg: `reset schedule: time is missing for period "weekly" (want HH:MM, 00:00-23:59)`},
		{name: "hour 24", s: models.ResetSchedule{Period: "daily", Time: "24:00"}, field: "time",
			msg: `reset schedule: time "24:00" is not HH:MM (00:00-23:59)`},
		{name: "hour 25", s: models.ResetSchedule{Period: "daily", Time: "25:00"}, field: "time",
			msg: `reset schedule: time "25:00" is not HH:MM (00:00-23:59)`},
		{name: "minute 60", s: models.ResetSchedule{Period: "daily", Time: "12:60"}, field: "time",
			msg: `reset schedule: time "12:60" is not HH:MM (00:00-23:59)`},
		{name: "one-digit hour", s: models.ResetSchedule{Period: "daily", Time: "9:00"}, field: "time",
			msg: `reset schedule: time "9:00" is not HH:MM (00:00-23:59)`},
		{name: "seconds", s: models.ResetSchedule{Period: "monthly", Time: "09:00:00", Day: intp(1)}, field: "time",
			msg: `reset schedule: time "09:00:00" is not HH:MM (00:00-23:59)`},
		{name: "signed", s: models.ResetSchedule{Period: "daily", Time: "+1:00"}, field: "time",
			msg: `reset schedule: time "+1:00" is not HH:MM (00:00-23:59)`},
		{name: "time on cron", s: models.ResetSchedule{Period: "cron", Time: "08:00", Cron: "0 8 * * *"}, field: "time",
			msg: `reset schedule: time "08:00" does not apply to period "cron" (the cron expression sets the time; remove it)`},
		{name: "time on never", s: models.ResetSchedule{Period: "never", Time: "00:00"}, field: "time",
			msg: `reset schedule: time "00:00" does not apply to period "never" (remove it)`},
		{name: "unknown zone", s: models.ResetSchedule{Period: "daily", Time: "00:00", Timezone: "Mars/Olympus"}, field: "timezone",
			msg: `reset schedule: timezone "Mars/Olympus" is not an IANA zone name (want e.g. "Europe/Berlin"; empty means UTC): unknown time zone Mars/Olympus`},
		{name: "Local zone", s: models.ResetSchedule{Period: "daily", Time: "00:00", Timezone: "Local"}, field: "timezone",
			msg: `reset schedule: timezone "Local" is not an IANA zone name (want e.g. "Europe/Berlin"; empty means UTC)`},
		{name: "unknown zone on never", s: models.ResetSchedule{Period: "never", Timezone: "Berlin"}, field: "timezone",
			msg: `reset schedule: timezone "Berlin" is not an IANA zone name (want e.g. "Europe/Berlin"; empty means UTC): unknown time zone Berlin`},
		{name: "missing weekday", s: models.ResetSchedule{Period: "weekly", Time: "00:00"}, field: "weekday",
			msg: `reset schedule: weekday is missing for period "weekly" (want 0-6, 0 = Sunday)`},
		{name: "weekday 7", s: models.ResetSchedule{Period: "weekly", Time: "00:00", Weekday: intp(7)}, field: "weekday",
			msg: `reset schedule: weekday 7 is out of range (want 0-6, 0 = Sunday)`},
		{name: "weekday -1", s: models.ResetSchedule{Period: "weekly", Time: "00:00", Weekday: intp(-1)}, field: "weekday",
			msg: `reset schedule: weekday -1 is out of range (want 0-6, 0 = Sunday)`},
		{name: "weekday on daily", s: models.ResetSchedule{Period: "daily", Time: "00:00", Weekday: intp(1)}, field: "weekday",
			msg: `reset schedule: weekday 1 does not apply to period "daily" (remove it)`},
		{name: "missing day", s: models.ResetSchedule{Period: "monthly", Time: "00:00"}, field: "day",
			msg: `reset schedule: day is missing for period "monthly" (want 1-31; past the month's end means its last day)`},
		{name: "day 0", s: models.ResetSchedule{Period: "monthly", Time: "00:00", Day: intp(0)}, field: "day",
			msg: `reset schedule: day 0 is out of range (want 1-31; past the month's end means its last day)`},
		{name: "day 32", s: models.ResetSchedule{Period: "monthly", Time: "00:00", Day: intp(32)}, field: "day",
			msg: `reset schedule: day 32 is out of range (want 1-31; past the month's end means its last day)`},
		{name: "day on weekly", s: models.ResetSchedule{Period: "weekly", Time: "00:00", Weekday: intp(1), Day: intp(1)}, field: "day",
			msg: `reset schedule: day 1 does not apply to period "weekly" (remove it)`},
		{name: "missing cron", s: models.ResetSchedule{Period: "cron"}, field: "cron",
			msg: `reset schedule: cron is missing for period "cron" (want five fields: minute hour day-of-month month day-of-week, e.g. "0 3 * * 1")`},
		{name: "cron on daily", s: models.ResetSchedule{Period: "daily", Time: "00:00", Cron: "0 0 * * *"}, field: "cron",
			msg: `reset schedule: cron "0 0 * * *" does not apply to period "daily" (remove it)`},
		{name: "cron too few fields", s: models.ResetSchedule{Period: "cron", Cron: "0 3 *"}, field: "cron",
			msg: `reset schedule: cron "0 3 *" is not a five-field expression (minute hour day-of-month month day-of-week): expected exactly 5 fields, found 3: [0 3 *]`},
		{name: "cron with seconds", s: models.ResetSchedule{Period: "cron", Cron: "0 0 3 * * *"}, field: "cron",
			msg: `reset schedule: cron "0 0 3 * * *" is not a five-field expression (minute hour day-of-month month day-of-week): expected exactly 5 fields, found 6: [0 0 3 * * *]`},
		{name: "cron out of range", s: models.ResetSchedule{Period: "cron", Cron: "0 24 * * *"}, field: "cron",
			msg: `reset schedule: cron "0 24 * * *" is not a five-field expression (minute hour day-of-month month day-of-week): end of range (24) above maximum (23): 24`},
		{name: "cron descriptor", s: models.ResetSchedule{Period: "cron", Cron: "@daily"}, field: "cron",
			msg: `reset schedule: cron "@daily" is not a five-field expression (minute hour day-of-month month day-of-week): parser does not accept descriptors: @daily`},
		{name: "cron CRON_TZ prefix", s: models.ResetSchedule{Period: "cron", Cron: "CRON_TZ=Europe/Berlin 0 3 * * *"}, field: "cron",
			msg: `reset schedule: cron "CRON_TZ=Europe/Berlin 0 3 * * *" carries a time zone prefix (put the zone in timezone)`},
		{name: "cron TZ prefix without space", s: models.ResetSchedule{Period: "cron", Cron: " TZ=UTC"}, field: "cron",
			msg: `reset schedule: cron " TZ=UTC" carries a time zone prefix (put the zone in timezone)`},
		{name: "cron never matches", s: models.ResetSchedule{Period: "cron", Cron: "0 0 31 2 *"}, field: "cron",
			msg: `reset schedule: cron "0 0 31 2 *" never matches a date`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tt.msg)
			}
			if err.Error() != tt.msg {
				t.Errorf("Validate() =\n  %s\nwant\n  %s", err, tt.msg)
			}
			if !errors.Is(err, models.ErrInvalidResetSchedule) {
				t.Errorf("errors.Is(%v, ErrInvalidResetSchedule) = false", err)
			}
			var se *models.ResetScheduleError
			if !errors.As(err, &se) || se.Field != tt.field {
				t.Errorf("errors.As field = %+v, want field %q", se, tt.field)
			}
			// Next and ResetDate refuse the same schedule with the same error.
			if _, nerr := tt.s.Next(time.Now()); nerr == nil || nerr.Error() != tt.msg {
				t.Errorf("Next error = %v, want %q", nerr, tt.msg)
			}
			if _, derr := tt.s.ResetDate(time.Now()); derr == nil || derr.Error() != tt.msg {
				t.Errorf("ResetDate error = %v, want %q", derr, tt.msg)
			}
		})
	}
}

func TestResetScheduleErrorFields(t *testing.T) {
	var se *models.ResetScheduleError
	err := models.ResetSchedule{Period: "cron", Cron: "61 * * * *"}.Validate()
	if !errors.As(err, &se) || se.Field != "cron" || se.Value != "61 * * * *" {
		t.Fatalf("Validate() = %#v, want cron error carrying the value", err)
	}
	if errors.Unwrap(err) == nil {
		t.Errorf("cron error does not wrap the parser's error")
	}
	err = models.ResetSchedule{Period: "daily", Time: "7:00"}.Validate()
	if !errors.As(err, &se) || se.Field != "time" || se.Value != "7:00" {
		t.Fatalf("Validate() = %#v, want time error carrying the raw value", err)
	}
}

func TestResetScheduleNext(t *testing.T) {
	daily := func(tm, zone string) models.ResetSchedule {
		return models.ResetSchedule{Period: "daily", Time: tm, Timezone: zone}
	}
	weekly := func(wd int, tm, zone string) models.ResetSchedule {
		return models.ResetSchedule{Period: "weekly", Time: tm, Timezone: zone, Weekday: intp(wd)}
	}
	monthly := func(day int, tm, zone string) models.ResetSchedule {
		return models.ResetSchedule{Period: "monthly", Time: tm, Timezone: zone, Day: intp(day)}
	}
	cronAt := func(expr, zone string) models.ResetSchedule {
		return models.ResetSchedule{Period: "cron", Cron: expr, Timezone: zone}
	}
	tests := []struct {
		name  string
		s     models.ResetSchedule
		after string
		want  string
	}{
		{"daily later today", models.DefaultResetSchedule(), "2024-05-01T00:00:00.5Z", "2024-05-02T00:00:00Z"},
		{"daily exactly at reset is strictly after", models.DefaultResetSchedule(), "2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z"},
		{"daily one nanosecond before", models.DefaultResetSchedule(), "2024-05-01T23:59:59.999999999Z", "2024-05-02T00:00:00Z"},
		{"daily same day", daily("18:45", ""), "2024-05-01T10:00:00Z", "2024-05-01T18:45:00Z"},
		{"daily year end", daily("00:00", "UTC"), "2024-12-31T12:00:00Z", "2025-01-01T00:00:00Z"},
		{"daily Berlin winter", daily("08:00", "Europe/Berlin"), "2024-01-15T06:00:00Z", "2024-01-15T07:00:00Z"},
		{"daily Berlin summer", daily("08:00", "Europe/Berlin"), "2024-07-15T06:00:00Z", "2024-07-16T06:00:00Z"},
		{"daily local date ahead of UTC", daily("00:30", "Asia/Tokyo"), "2024-05-01T15:00:00Z", "2024-05-01T15:30:00Z"},
		{"daily local date behind UTC", daily("23:00", "America/Los_Angeles"), "2024-05-02T05:00:00Z", "2024-05-02T06:00:00Z"},

		{"weekly later this week", weekly(5, "09:00", ""), "2024-05-01T12:00:00Z", "2024-05-03T09:00:00Z"},    // Wed -> Fri
		{"weekly wraps to next week", weekly(1, "09:00", ""), "2024-05-01T12:00:00Z", "2024-05-06T09:00:00Z"}, // Wed -> Mon
		{"weekly Sunday after Saturday", weekly(0, "00:00", ""), "2024-05-04T23:00:00Z", "2024-05-05T00:00:00Z"},
		{"weekly same day before time", weekly(3, "13:00", ""), "2024-05-01T12:00:00Z", "2024-05-01T13:00:00Z"},
		{"weekly same day exactly at reset", weekly(3, "13:00", ""), "2024-05-01T13:00:00Z", "2024-05-08T13:00:00Z"},
		{"weekly weekday in the zone, not UTC", weekly(1, "00:00", "Asia/Tokyo"), "2024-05-05T14:00:00Z", "2024-05-05T15:00:00Z"}, // Mon 00:00 JST is Sun 15:00Z

		{"monthly Jan 31 to Feb 29 (leap)", monthly(31, "00:00", ""), "2024-01-31T00:00:00Z", "2024-02-29T00:00:00Z"},
		{"monthly Jan 31 to Feb 28", monthly(31, "00:00", ""), "2023-01-31T10:00:00Z", "2023-02-28T00:00:00Z"},
		{"monthly day 30 in February", monthly(30, "06:00", ""), "2023-02-01T00:00:00Z", "2023-02-28T06:00:00Z"},
		{"monthly clamp then full day", monthly(31, "00:00", ""), "2024-02-29T00:00:00Z", "2024-03-31T00:00:00Z"},
		{"monthly day 31 in April", monthly(31, "12:00", ""), "2024-04-01T00:00:00Z", "2024-04-30T12:00:00Z"},
		{"monthly same month", monthly(15, "00:00", ""), "2024-05-01T00:00:00Z", "2024-05-15T00:00:00Z"},
		{"monthly year wrap", monthly(1, "00:00", ""), "2024-12-01T00:00:01Z", "2025-01-01T00:00:00Z"},
		{"monthly in zone", monthly(1, "00:00", "Europe/Berlin"), "2024-04-15T00:00:00Z", "2024-04-30T22:00:00Z"},

		{"cron every 15 minutes", cronAt("*/15 * * * *", ""), "2024-05-01T10:07:30Z", "2024-05-01T10:15:00Z"},
		{"cron exactly at match", cronAt("*/15 * * * *", ""), "2024-05-01T10:15:00Z", "2024-05-01T10:30:00Z"},
		{"cron in zone", cronAt("0 3 * * 1", "Europe/Berlin"), "2024-05-01T00:00:00Z", "2024-05-06T01:00:00Z"},
		{"cron in negative zone", cronAt("0 22 * * *", "America/New_York"), "2024-01-10T00:00:00Z", "2024-01-10T03:00:00Z"},
		{"cron leap day across 2100", cronAt("0 0 29 2 *", ""), "2097-03-01T00:00:00Z", "2104-02-29T00:00:00Z"},

		// Spring forward: Berlin 2024-03-31 02:00 CET -> 03:00 CEST (01:00Z);
		// New York 2024-03-10 02:00 EST -> 03:00 EDT (07:00Z).
		{"gap Berlin resets when the gap ends", daily("02:30", "Europe/Berlin"), "2024-03-30T12:00:00Z", "2024-03-31T01:00:00Z"},
		{"gap Berlin next day normal", daily("02:30", "Europe/Berlin"), "2024-03-31T01:00:00Z", "2024-04-01T00:30:00Z"},
		{"gap Berlin gap start", daily("02:00", "Europe/Berlin"), "2024-03-30T12:00:00Z", "2024-03-31T01:00:00Z"},
		{"gap Berlin after gap end unaffected", daily("03:00", "Europe/Berlin"), "2024-03-30T12:00:00Z", "2024-03-31T01:00:00Z"},
		{"gap New York", daily("02:30", "America/New_York"), "2024-03-09T12:00:00Z", "2024-03-10T07:00:00Z"},
		{"gap weekly", weekly(0, "02:15", "America/New_York"), "2024-03-05T00:00:00Z", "2024-03-10T07:00:00Z"},
		{"gap monthly", monthly(31, "02:30", "Europe/Berlin"), "2024-03-01T00:00:00Z", "2024-03-31T01:00:00Z"},
		{"gap cron daily", cronAt("30 2 * * *", "Europe/Berlin"), "2024-03-30T12:00:00Z", "2024-03-31T01:00:00Z"},
		{"gap cron matches inside gap fire once", cronAt("*/30 * * * *", "Europe/Berlin"), "2024-03-31T01:00:00Z", "2024-03-31T01:30:00Z"},
		{"gap cron reaching the gap", cronAt("*/30 * * * *", "Europe/Berlin"), "2024-03-31T00:45:00Z", "2024-03-31T01:00:00Z"},
		{"gap of a whole day (Samoa 2011-12-30)", daily("12:00", "Pacific/Apia"), "2011-12-29T22:00:00Z", "2011-12-30T10:00:00Z"},

		// Fall back: Berlin 2024-10-27 03:00 CEST -> 02:00 CET (01:00Z);
		// New York 2024-11-03 02:00 EDT -> 01:00 EST (06:00Z).
		{"overlap Berlin first occurrence", daily("02:30", "Europe/Berlin"), "2024-10-26T12:00:00Z", "2024-10-27T00:30:00Z"},
		{"overlap Berlin not twice", daily("02:30", "Europe/Berlin"), "2024-10-27T00:30:00Z", "2024-10-28T01:30:00Z"},
		{"overlap Berlin during second pass", daily("02:30", "Europe/Berlin"), "2024-10-27T01:10:00Z", "2024-10-28T01:30:00Z"},
		{"overlap New York first occurrence", daily("01:30", "America/New_York"), "2024-11-02T12:00:00Z", "2024-11-03T05:30:00Z"},
		{"overlap New York not twice", daily("01:30", "America/New_York"), "2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z"},
		{"overlap cron not twice", cronAt("30 1 * * *", "America/New_York"), "2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z"},
		{"overlap hourly cron skips repeated hour", cronAt("0 * * * *", "Europe/Berlin"), "2024-10-27T00:30:00Z", "2024-10-27T02:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			after := mustTime(t, tt.after)
			want := mustTime(t, tt.want)
			got, err := tt.s.Next(after)
			if err != nil {
				t.Fatalf("Next(%s) error: %v", tt.after, err)
			}
			if !got.Equal(want) || got.Location() != time.UTC {
				t.Errorf("Next(%s) = %s, want %s (in UTC)", tt.after, got.Format(time.RFC3339Nano), tt.want)
			}
			// The instant of `after` matters, not its location.
			if got2, _ := tt.s.Next(after.In(time.FixedZone("X", -11*3600))); !got2.Equal(got) {
				t.Errorf("Next in another location = %s, want %s", got2, got)
			}
		})
	}
}

func TestResetScheduleNextNever(t *testing.T) {
	_, err := models.ResetSchedule{Period: "never", Timezone: "Europe/Berlin"}.Next(time.Now())
	if !errors.Is(err, models.ErrNoReset) {
		t.Fatalf("Next for never = %v, want ErrNoReset", err)
	}
	if errors.Is(err, models.ErrInvalidResetSchedule) {
		t.Errorf("never is valid, but its error matches ErrInvalidResetSchedule")
	}
}

func TestResetScheduleResetDate(t *testing.T) {
	tests := []struct {
		name string
		s    models.ResetSchedule
		at   string
		want string
	}{
		{"UTC", models.DefaultResetSchedule(), "2024-01-01T23:30:00Z", "2024-01-01"},
		{"empty zone is UTC", models.ResetSchedule{Period: "never"}, "2024-01-01T23:30:00Z", "2024-01-01"},
		{"zone ahead crosses midnight", models.ResetSchedule{Period: "daily", Time: "00:00", Timezone: "Europe/Berlin"}, "2024-01-01T23:30:00Z", "2024-01-02"},
		{"zone behind crosses midnight", models.ResetSchedule{Period: "daily", Time: "00:00", Timezone: "America/New_York"}, "2024-01-01T02:00:00Z", "2023-12-31"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.s.ResetDate(mustTime(t, tt.at))
			if err != nil || got != tt.want {
				t.Errorf("ResetDate(%s) = %q, %v; want %q", tt.at, got, err, tt.want)
			}
		})
	}
}

func TestResetScheduleDefaultIsBackfill(t *testing.T) {
	d := models.DefaultResetSchedule()
	if err := d.Validate(); err != nil {
		t.Fatalf("default schedule invalid: %v", err)
	}
	v, err := d.Value()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v.(string), `{"period":"daily","time":"00:00","timezone":"UTC"}`; got != want {
		t.Errorf("default schedule JSON = %s, want %s (SPEC step 20 backfill)", got, want)
	}
}

func TestResetScheduleValueScan(t *testing.T) {
	tests := []struct {
		name string
		s    models.ResetSchedule
		json string
	}{
		{"daily", models.DefaultResetSchedule(), `{"period":"daily","time":"00:00","timezone":"UTC"}`},
		{"weekly Sunday keeps weekday 0", models.ResetSchedule{Period: "weekly", Time: "08:00", Weekday: intp(0)}, `{"period":"weekly","time":"08:00","weekday":0}`},
		{"monthly", models.ResetSchedule{Period: "monthly", Time: "08:00", Timezone: "Europe/Berlin", Day: intp(31)}, `{"period":"monthly","time":"08:00","timezone":"Europe/Berlin","day":31}`},
		{"cron", models.ResetSchedule{Period: "cron", Cron: "0 3 * * 1"}, `{"period":"cron","cron":"0 3 * * 1"}`},
		{"never", models.ResetSchedule{Period: "never"}, `{"period":"never"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := tt.s.Value()
			if err != nil {
				t.Fatal(err)
			}
			if v.(string) != tt.json {
				t.Errorf("Value() = %s, want %s", v, tt.json)
			}
			for _, src := range []any{v, []byte(v.(string))} {
				// Start from a filled value: Scan must not keep stale fields.
				got := models.ResetSchedule{Period: "x", Time: "01:00", Timezone: "Asia/Tokyo", Weekday: intp(3), Day: intp(4), Cron: "* * * * *"}
				if err := got.Scan(src); err != nil {
					t.Fatalf("Scan(%T) error: %v", src, err)
				}
				assertSchedule(t, got, tt.s)
			}
		})
	}

	t.Run("NULL", func(t *testing.T) {
		got := models.DefaultResetSchedule()
		if err := got.Scan(nil); err != nil {
			t.Fatal(err)
		}
		assertSchedule(t, got, models.ResetSchedule{})
	})
	t.Run("bad input", func(t *testing.T) {
		for _, src := range []any{`{"period":`, []byte(`{"weekday":"monday"}`), 42} {
			var got models.ResetSchedule
			err := got.Scan(src)
			if err == nil || err.Error()[:16] != "reset schedule: " {
				t.Errorf("Scan(%#v) = %v, want a reset schedule error", src, err)
			}
		}
	})
}

func assertSchedule(t *testing.T, got, want models.ResetSchedule) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("schedule = %s, want %s", g, w)
	}
}

// resetScheduleRow is a throwaway table holding a nullable schedule column
// like token_group.reset_schedule.
type resetScheduleRow struct {
	ID       int `gorm:"primaryKey;autoIncrement:false"`
	Schedule *models.ResetSchedule
}

func TestResetScheduleDatabaseRoundTrip(t *testing.T) {
	testdb.Each(t, func(t *testing.T, name string) {
		db := testdb.Open(t, name)
		if err := db.AutoMigrate(&resetScheduleRow{}); err != nil {
			t.Fatalf("AutoMigrate: %v", err)
		}
		weekly := models.ResetSchedule{Period: "weekly", Time: "08:00", Timezone: "Europe/Berlin", Weekday: intp(0)}
		rows := []resetScheduleRow{{ID: 1, Schedule: &weekly}, {ID: 2, Schedule: nil}}
		if err := db.Create(&rows).Error; err != nil {
			t.Fatalf("insert: %v", err)
		}

		var nulls int64
		if err := db.Model(&resetScheduleRow{}).Where("schedule IS NULL").Count(&nulls).Error; err != nil {
			t.Fatal(err)
		}
		if nulls != 1 {
			t.Errorf("rows with NULL schedule = %d, want 1 (a nil schedule is stored as NULL)", nulls)
		}

		var got []resetScheduleRow
		if err := db.Order("id").Find(&got).Error; err != nil {
			t.Fatalf("read back: %v", err)
		}
		if len(got) != 2 {
			t.Fatalf("read %d rows, want 2", len(got))
		}
		if got[0].Schedule == nil {
			t.Fatalf("row 1 schedule = nil, want %+v", weekly)
		}
		assertSchedule(t, *got[0].Schedule, weekly)
		if got[1].Schedule != nil {
			t.Errorf("row 2 schedule = %+v, want nil for NULL", *got[1].Schedule)
		}
	})
}

func FuzzResetSchedule(f *testing.F) {
	for _, seed := range []string{
		`{"period":"daily","time":"00:00","timezone":"UTC"}`,
		`{"period":"weekly","time":"02:30","timezone":"Europe/Berlin","weekday":0}`,
		`{"period":"monthly","time":"01:30","timezone":"America/New_York","day":31}`,
		`{"period":"cron","cron":"*/7 2 29 2 *","timezone":"Pacific/Apia"}`,
		`{"period":"cron","cron":"TZ=UTC"}`,
		`{"period":"never","timezone":"Local"}`,
		`{"period":"daily","time":"24:00","weekday":-1,"day":99}`,
	} {
		f.Add(seed, int64(1711846800)) // 2024-03-31T01:00:00Z, Berlin's spring-forward instant
	}
	f.Fuzz(func(t *testing.T, data string, afterSec int64) {
		var s models.ResetSchedule
		if json.Unmarshal([]byte(data), &s) != nil {
			return
		}
		// Keep `after` within years 1900-2200.
		after := time.Unix(-2208988800+afterSec%(300*365*86400+73*86400), 0)
		if afterSec < 0 {
			after = time.Unix(-2208988800, 0)
		}
		verr := s.Validate()
		next, err := s.Next(after)
		_, derr := s.ResetDate(after)
		switch {
		case verr != nil:
			if err == nil || derr == nil {
				t.Fatalf("invalid schedule %s (%v) but Next err %v, ResetDate err %v", data, verr, err, derr)
			}
		case s.Period == "never":
			if !errors.Is(err, models.ErrNoReset) {
				t.Fatalf("never: Next error %v, want ErrNoReset", err)
			}
		default:
			if err != nil {
				t.Fatalf("valid schedule %s: Next(%s): %v", data, after, err)
			}
			if !next.After(after) {
				t.Fatalf("schedule %s: Next(%s) = %s, not strictly after", data, after, next)
			}
			if derr != nil {
				t.Fatalf("valid schedule %s: ResetDate: %v", data, derr)
			}
		}
	})
}

// FuzzResetScheduleCron feeds expressions straight to the cron period,
// where JSON-level mutation rarely produces parseable input.
func FuzzResetScheduleCron(f *testing.F) {
	for _, seed := range []string{"0 3 * * 1", "*/15 1-3 * * *", "30 2 31 3 0", "0 0 29 2 *", "5-59/7 */2 1,15 JAN-MAR SUN", "TZ=X", "@every 1h"} {
		f.Add(seed, uint8(0), int64(1711846800))
	}
	zones := []string{"", "Europe/Berlin", "America/New_York", "Pacific/Apia", "Australia/Lord_Howe"}
	f.Fuzz(func(t *testing.T, expr string, zone uint8, afterSec int64) {
		s := models.ResetSchedule{Period: "cron", Cron: expr, Timezone: zones[int(zone)%len(zones)]}
		after := time.Unix(afterSec%(100*365*86400), 0) // within 1870-2070
		next, err := s.Next(after)
		if s.Validate() != nil {
			if err == nil {
				t.Fatalf("invalid cron %q but Next succeeded", expr)
			}
			return
		}
		if err != nil || !next.After(after) {
			t.Fatalf("cron %q in %q: Next(%s) = %s, %v", expr, s.Timezone, after, next, err)
		}
	})
}
