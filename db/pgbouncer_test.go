package db_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/testkit/fixtures"
	"github.com/openwebui-go/schema/internal/testkit/testdb"
)

// TestConcurrentUpThroughPgBouncer: replicas behind PgBouncer in
// transaction pooling mode each migrate at start-up (OpenAndMigrate) or
// with Up, all at once, on a fresh database. A session's statements may
// reach different server connections there, so a session-level lock does
// not hold: every run must still succeed and each step run once.
func TestConcurrentUpThroughPgBouncer(t *testing.T) {
	const runners = 6
	pooled, direct := testdb.PgBouncerURL(t)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		applied = map[string]int{}
	)
	start := make(chan struct{})
	for i := range runners {
		wg.Go(func() {
			ctx := context.Background()
			if i%2 == 0 { // the backend's start-up call
				<-start
				g, err := db.OpenAndMigrate(ctx, pooled)
				if err != nil {
					t.Errorf("OpenAndMigrate through PgBouncer: %v", err)
					return
				}
				fixtures.CloseGorm(g)
				return
			}
			r, err := db.Open(ctx, pooled)
			if err != nil {
				t.Errorf("open through PgBouncer: %v", err)
				return
			}
			defer r.Close()
			<-start
			res, err := r.Up(ctx, "", db.Options{LockTimeout: 2 * time.Minute})
			if err != nil {
				t.Errorf("up through PgBouncer: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, s := range res.Steps {
				applied[s.ID]++
			}
		})
	}
	close(start)
	wg.Wait()
	for id, n := range applied {
		if n != 1 {
			t.Errorf("step %s reported applied by %d runs", id, n)
		}
	}
	fixtures.RequireHeadOnce(t, direct)
}
