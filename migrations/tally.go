package migrations

import "github.com/openwebui-go/schema/internal/dialect"

// tally counts the rows a step reports (skipped, dropped, refused) and
// keeps the first few for the notice, so memory does not grow with the
// count. A failed batch fails the step, so nothing is counted twice.
type tally struct {
	n      int64
	sample []string
}

// add counts s and keeps it if the sample has room.
func (t *tally) add(s string) {
	t.n++
	if len(t.sample) < dialect.SampleSize {
		t.sample = append(t.sample, s)
	}
}
