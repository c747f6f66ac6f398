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
	}, {
		Checksum: "3779e2ca350ad5251fd216225b04c716892ecc8e06cb5ed27ed9303d96e50606",
		Reason:   "on MySQL a re-run that finds chat already swapped in gives every chat its winning folder again from folder.items as it is then",
	}},
	"1af9b942657b": {{
		Checksum: "273e41030da139f374c237502f7bb3d386a04b21a3c0005f7a56b0390bf5f8b0",
		Reason:   "tags that are not UTF-8 text stay in the payload, reported, instead of merging as U+FFFD; down writes names back byte for byte",
	}, {
		Checksum: "8e448e4c040bd788b2a191fb5da2ece1c37250a7c57b7d88b0c58d3891dea9bc",
		Reason:   "on MySQL a re-run after a crash before chat was swapped in starts tag and chat_tag over instead of keeping links from payloads changed since",
	}},
	"c29facfe716b": {{
		Checksum: "2169ae2a07c624d854fa61ef3ff9ce407b7f4d67f4015814cd6feef62560dd9c",
		Reason:   "on MySQL a re-run that finds file already swapped in converts the paths written since the swap too",
	}},
	"7826ab40b532": {{
		Checksum: "dfb2a0b17a6618880e56df40af7db1332141531813eb41de7f7b37b4f8a71de9",
		Reason:   "on MySQL a re-run that finds file already swapped in fills size and mime_type again from meta as it is then",
	}},
	"c0fbf31ca0db": {{
		Checksum: "40af377e98bb9cb0bd5428499d1d66562519018e26938fbd9ae62dd601d64963",
		Reason:   "on MySQL a re-run that finds file already swapped in sets processed again from meta as it is then",
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
