package db

import (
	"slices"
	"testing"

	"github.com/openwebui-go/schema/migrations"
)

// The chain's tables by revision: none at base, init's ten after step 1,
// every table at HEAD, and work tables (step 7's staging) never listed.
func TestTablesByRevision(t *testing.T) {
	chain, err := migrations.Chain()
	if err != nil {
		t.Fatal(err)
	}
	byRev, err := tablesByRevision(chain)
	if err != nil {
		t.Fatal(err)
	}
	if len(byRev) != len(chain)+1 {
		t.Fatalf("%d revisions listed, want %d", len(byRev), len(chain)+1)
	}
	if len(byRev[0]) != 0 {
		t.Errorf("base has tables %v", byRev[0])
	}
	wantInit := []string{"auth", "chat", "file", "function", "memory", "message", "model", "prompt", "tool", "user"}
	if !slices.Equal(byRev[1], wantInit) {
		t.Errorf("after init: %v, want %v", byRev[1], wantInit)
	}
	for i, ts := range byRev {
		if slices.Contains(ts, "_tags_payload_staging") {
			t.Errorf("revision %d lists step 7's staging table", i)
		}
		t.Logf("%d: %v", i, ts)
	}
	heads, err := HeadShapes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, h := range heads {
		names = append(names, h.Name)
	}
	if !slices.Equal(byRev[len(chain)], names) {
		t.Errorf("at HEAD: %v, want HeadShapes' %v", byRev[len(chain)], names)
	}
}

// Which tables a database recorded at a revision may have, in a chain
// where step 2 creates b and step 3 drops a: exactly the chain's at that
// revision; where steps are not atomic (MySQL), those of the neighbouring
// revisions too, so a re-run can finish an interrupted up or down.
func TestUnaccounted(t *testing.T) {
	byRev := [][]string{{}, {"a"}, {"a", "b"}, {"b"}}
	cases := []struct {
		live    []string
		applied int
		partial bool
		want    []string
	}{
		{[]string{"a"}, 0, false, []string{"a"}},      // no record: everything
		{[]string{"a"}, 0, true, nil},                 // init interrupted (MySQL)
		{[]string{"a", "b"}, 0, true, []string{"b"}},  // beyond the first step
		{[]string{"a", "b"}, 1, false, []string{"b"}}, // a later step's table
		{[]string{"a", "b"}, 1, true, nil},            // step 2 interrupted
		{[]string{"a", "b"}, 3, false, []string{"a"}}, // step 3's down would take a over
		{[]string{"a", "b"}, 3, true, nil},            // step 3's down interrupted
		{[]string{"A", "b"}, 3, false, []string{"A"}}, // names compare without case
		{[]string{"a", "b"}, 2, false, nil},           // as recorded
	}
	for _, c := range cases {
		got := unaccounted(c.live, byRev, c.applied, c.partial)
		if !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("unaccounted(%v, at %d, partial %v) = %v, want %v", c.live, c.applied, c.partial, got, c.want)
		}
	}
}
