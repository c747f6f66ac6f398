package migrations

import (
	"slices"
	"strings"
	"testing"
)

// shipped pins the checksum of every step that has run on databases
// outside this repository: Open WebUI's twenty. Add a step here once a
// release carries it.
//
// A failure means a shipped step's code changed, and every database that
// ran it will refuse `schema up` (see Checksum): restore the step. If the
// change must stay (a fix of a released step), move the old pin to
// earlierPins, list it in amendments (amended.go) with the reason, and pin
// the new checksum: databases that ran the old version then accept the
// new one. A new Go release that prints code differently would fail here
// too, before any user sees it.
var shipped = map[string]string{
	"7e5b5dc7342b": "ca49de3b0701290c57964d408add590f8c3e6344511f1153647de25983443067", // init
	"242a2047eae0": "9663b419e623aaf7da214ca45a1c65e2a94e68123b295c1cf47f90b2b159899f", // update_chat_table
	"3781e22d8b01": "d4e921a6c979e94087f917e5bf0428b019cc48014661f8a0e647e4243d60f9ed", // update_message_table
	"c69f45358db4": "369c1ceb61d85da54afc31e156a8400d7cd44f5e1728d6a841b18bd534ae0dd7", // add_folder_table
	"4ace53fd72c8": "9ebcb871021427dac51654e6a0a6b2897da62116a591924ee3327be5954d90ee", // update_folder_table_datetime
	"d31026856c01": "79515526f67a3f5bf41971c9577ca5890174a5079516ef1225f19cecddc3a423", // update_folder_table_data
	"1af9b942657b": "8fc7a482293a2b90010a76031aced0214b92e1f30c826da45aeed235855dd953", // migrate_tags
	"3ab32c4b8f59": "8ee5b1e4ec031ebc6021b7c5535b73574ac06e2a44207af58716c2de53233dc3", // update_tags
	"6a39f3d8e55c": "faf242d77b0b1d34dbcec2e6ed10c12df992e423e4be442eae45319465d34843", // add_knowledge_table
	"c29facfe716b": "aecf2a6b678ba06a9eea725791e8efd266435f7fc38081dbe6b35203e70e1877", // update_file_table_path
	"7826ab40b532": "912f77fcc6eb9d1480f827ef6abd7333bff4e7bc5acbefef60a2ee061cfbdb5e", // update_file_table
	"c0fbf31ca0db": "d6cccbd45bd43f86beb0f406f613400af5fe47e479819966ec2b50155e62efe6", // update_file_table
	"922e7a387820": "9a4942494df6ded435a3997e63b6cba41c4ee81c16a92dd7ee1f2da97d0ca18c", // add_group_table
	"ca81bd47c050": "4cf17c97fc43a3cdeed4e9099c93fab3626197c55824e8881945a74ce2a10c8a", // add_config_table
	"af906e964978": "d5b22c0b7f529ceb128345c90b74dd2c168540f8b223264e13cd33e31dc416bd", // add_feedback_table
	"57c599a3cb57": "3f8db4119624a39a229de786c3913ca72f9bbdddb1912dd5119602a984060f53", // add_channel_table
	"9f0c9cd09105": "631cdf6fcfdf30181c3f918bcf77692fa977bb6b2d331c122d35d4a0c143c25b", // add_note_table
	"10vr9xyets5m": "e0f1eb9c568bf70105605036bacfcb84ade3ab320173cbfd8538769882a7431b", // add_token_usage_tables
	"3ff60f68c4f4": "6046e28e792b1484210e4ec526d16d190a496b1d3135e9e09e3ba16c400dca5c", // add_last_reset_date_to_token_usage
	"e223b100ad81": "ef3d53074fff07ffd2c09724a7a6794618472a9f4b2f049cd33b873d35a82f22", // add_reset_scheduling_to_token_groups
}

func TestShippedStepsUnchanged(t *testing.T) {
	chain, err := Chain()
	if err != nil {
		t.Fatal(err)
	}
	if len(shipped) < 20 {
		t.Fatalf("%d pinned steps, want at least Open WebUI's 20", len(shipped))
	}
	for _, s := range chain {
		want, ok := shipped[s.ID]
		if !ok {
			continue
		}
		t.Run(s.ID, func(t *testing.T) {
			got, err := Checksum(s.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("step %s (%s) changed after it shipped: checksum %s, pinned %s; databases that ran it will refuse `schema up`: restore the step (see shipped)",
					s.ID, s.Name, got, want)
			}
		})
	}
}

// earlierPins are the checksums shipped steps had in earlier releases,
// before a fix amended them, oldest first. Databases out there recorded
// them, so each must stay listed in amendments.
var earlierPins = map[string][]string{
	"4ace53fd72c8": {"5a754781ed76f76e8e146ec5aad088b821d2621284c17279f7ffd9c0357c2321"},                                                                     // update_folder_table_datetime
	"d31026856c01": {"d2fca6a3808cb87563d3eac6b2463ba3b89f1f5a1e3b2f3e39dcacb4888126cb", "3779e2ca350ad5251fd216225b04c716892ecc8e06cb5ed27ed9303d96e50606"}, // update_folder_table_data
	"1af9b942657b": {"273e41030da139f374c237502f7bb3d386a04b21a3c0005f7a56b0390bf5f8b0", "8e448e4c040bd788b2a191fb5da2ece1c37250a7c57b7d88b0c58d3891dea9bc"}, // migrate_tags
	"c29facfe716b": {"2169ae2a07c624d854fa61ef3ff9ce407b7f4d67f4015814cd6feef62560dd9c"},                                                                     // update_file_table_path
	"7826ab40b532": {"dfb2a0b17a6618880e56df40af7db1332141531813eb41de7f7b37b4f8a71de9"},                                                                     // update_file_table
	"c0fbf31ca0db": {"40af377e98bb9cb0bd5428499d1d66562519018e26938fbd9ae62dd601d64963"},                                                                     // update_file_table
}

// TestAmendmentsListEarlierVersions: every earlier released checksum of a
// shipped step is an amendment with a reason, and nothing else is: an
// amendment makes the runner accept a recorded checksum, so a stray one
// would hide a real change.
func TestAmendmentsListEarlierVersions(t *testing.T) {
	for id, sums := range earlierPins {
		if _, ok := shipped[id]; !ok {
			t.Errorf("earlierPins has step %s, which is not pinned in shipped", id)
		}
		for _, sum := range sums {
			a, ok := Amended(id, sum)
			switch {
			case !ok:
				t.Errorf("step %s: earlier released checksum %s is not listed in amendments: databases that ran that version would refuse `schema up`", id, sum)
			case a.Reason == "" || strings.Contains(a.Reason, "\n"):
				t.Errorf("step %s: amendment %s needs a one-line reason, has %q", id, sum, a.Reason)
			}
			if sum == shipped[id] {
				t.Errorf("step %s: the current pin %s is also an earlier one", id, sum)
			}
		}
	}
	for id, list := range amendments {
		for _, a := range list {
			if !slices.Contains(earlierPins[id], a.Checksum) {
				t.Errorf("step %s: amendment %s is not an earlier pin of the step (earlierPins): only released versions may be accepted", id, a.Checksum)
			}
			if code, err := Checksum(id); err == nil && code == a.Checksum {
				t.Errorf("step %s: amendment %s is the code's own checksum", id, a.Checksum)
			}
		}
	}
	if got := Amendments("1af9b942657b"); len(got) != len(earlierPins["1af9b942657b"]) || got[0].Checksum != earlierPins["1af9b942657b"][0] {
		t.Errorf("Amendments(1af9b942657b) = %v", got)
	}
	if _, ok := Amended("1af9b942657b", shipped["1af9b942657b"]); ok {
		t.Error("the code's checksum counts as an amendment of itself")
	}
}
