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
