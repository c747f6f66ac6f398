package dialect_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openwebui-go/schema/internal/dialect"
)

func TestScratchNames(t *testing.T) {
	before := time.Now().Truncate(time.Second)
	name, err := dialect.NewScratchName("schema_scratch")
	if err != nil {
		t.Fatal(err)
	}
	info, ok := dialect.ParseScratchName("schema_scratch", name)
	if !ok || info.PID != os.Getpid() || info.Created.Before(before) || info.Created.After(time.Now()) {
		t.Fatalf("%s parses as %+v, %v", name, info, ok)
	}
	if len(name) > 63 {
		t.Errorf("%s is longer than PostgreSQL's 63-byte names", name)
	}
	if _, ok := dialect.ParseScratchName("schema", name); ok {
		t.Errorf("%s parsed under the prefix schema", name)
	}
	for _, bad := range []string{
		"schema_scratch_0123456789ab",                   // before names had a time
		"schema_scratch_1000000000_1_0123abc",           // random part too short
		"schema_scratch_1000000000_1_0123abcd0",         // too long
		"schema_scratch_1000000000_1_0123ABCD",          // not lower-case hex
		"schema_scratch_1000000000_0_0123abcd",          // no process 0
		"schema_scratch_1000000000_01_0123abcd",         // not how a pid prints
		"schema_scratch_100000000_1_0123abcd",           // nine-digit time
		"schema_scratch_1000000000_1_0123abcd_copy",     // a user's copy
		"x_schema_scratch_1000000000_1_0123abcd",        // another prefix ending alike
		"Schema_Scratch_1000000000_1_0123abcd",          // case differs
		"schema_scratch_1000000000_1_0123abcd\n",        // trailing byte
		"schema_scratch_1000000000_1_0123abcd/../etc",   // path tricks
		"schema_scratch_1000000000_1_0123abcd.db",       // a file name
		"schema_scratch_-100000000_1_0123abcd",          // negative time
		"schema_scratch_1000000000_12345678901_0123abc", // pid beyond ten digits
	} {
		if _, ok := dialect.ParseScratchName("schema_scratch", bad); ok {
			t.Errorf("%q parsed as a scratch name", bad)
		}
	}
	if _, err := dialect.NewScratchName("Bad-Prefix"); err == nil {
		t.Error("a prefix that cannot name a database was accepted")
	}
}

// A SQLite sibling is a file in a new folder named like a scratch
// database, and Drop removes the folder (twice is harmless).
func TestNewSiblingSQLite(t *testing.T) {
	server, err := dialect.Parse("sqlite:///" + filepath.Join(t.TempDir(), "main.db"))
	if err != nil {
		t.Fatal(err)
	}
	sib, err := dialect.NewSibling(context.Background(), nil, server, "sibtest", "x.db")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := dialect.ParseScratchName("sibtest", filepath.Base(sib.Name)); !ok {
		t.Errorf("folder %s is not named as a scratch", sib.Name)
	}
	if got, want := sib.Target.Database, filepath.Join(sib.Name, "x.db"); got != want {
		t.Errorf("sibling file %s, want %s", got, want)
	}
	if _, err := os.Stat(sib.Name); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := sib.Drop(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(sib.Name); !os.IsNotExist(err) {
		t.Errorf("folder %s still there after Drop: %v", sib.Name, err)
	}
}
