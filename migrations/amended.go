package migrations

// A released step is fixed in place only when running the old version on
// more databases would do harm (merge a user's data, store what it cannot
// read back). The fix changes the step's checksum, and every database that
// ran the old version would then be refused as "changed". An amendment
// says, for one step, that a recorded checksum is an earlier released
// version of the same step, and why it changed: the runner, status and
// verify accept it as the step, and the next up or down records the
// code's checksum instead.
//
// List here the checksum of every version that was released (pinned in
// shipped_test.go) before the fix, with one line saying what the fix
// changes for a database that already ran the old version. The old
// version's work stays as it was done; an amendment must not be needed to
// make such a database correct (if it is, the fix belongs in a new step).

// Amendment is an earlier released version of a step.
type Amendment struct {
	Checksum string // the earlier version's checksum, as recorded when it ran
	Reason   string // what changed, one line
}

// amendments are, by step ID, the checksums of the steps' earlier released
// versions. Nothing a step's Up or Down reaches may use this, or the list
// would become part of the checksums it lists.
var amendments = map[string][]Amendment{
	"4ace53fd72c8": {{
		Checksum: "5a754781ed76f76e8e146ec5aad088b821d2621284c17279f7ffd9c0357c2321",
		Reason:   "folder times outside years 1 to 9999 refuse the step on every dialect (PostgreSQL converted them)",
	}},
	"d31026856c01": {{
		Checksum: "d2fca6a3808cb87563d3eac6b2463ba3b89f1f5a1e3b2f3e39dcacb4888126cb",
		Reason:   "down writes chat IDs that are not UTF-8 into folder.items byte for byte instead of as U+FFFD, and reports them",
	}},
	"1af9b942657b": {{
		Checksum: "273e41030da139f374c237502f7bb3d386a04b21a3c0005f7a56b0390bf5f8b0",
		Reason:   "tags that are not UTF-8 text stay in the payload, reported, instead of merging as U+FFFD; down writes names back byte for byte",
	}},
}

// Amended reports whether sum is the checksum of an earlier released
// version of step id, and why the step changed since.
func Amended(id, sum string) (Amendment, bool) {
	for _, a := range amendments[id] {
		if a.Checksum == sum {
			return a, true
		}
	}
	return Amendment{}, false
}

// Amendments lists the earlier released versions of step id, oldest first.
func Amendments(id string) []Amendment {
	return append([]Amendment(nil), amendments[id]...)
}
