package snapshot

import (
	"slices"
	"testing"
)

func base() *Snapshot {
	return &Snapshot{Dialect: "postgres", Tables: []Table{
		{
			Name: "chat",
			Columns: []Column{
				{Name: "id", Type: "character varying(255)"},
				{Name: "pinned", Type: "boolean", Default: "false"},
				{Name: "user_id", Type: "character varying(255)", Nullable: true},
			},
			PrimaryKey:  []string{"id"},
			Indexes:     []Index{{Name: "idx_chat_user_id", Columns: []string{"user_id"}}},
			ForeignKeys: []ForeignKey{{Name: "fk_chat_user_id", Columns: []string{"user_id"}, RefTable: "user", RefColumns: []string{"id"}, OnDelete: "CASCADE"}},
			Checks:      []Check{{Name: "chk_chat_x", Expr: "x > 0"}},
		},
		{Name: "user", Columns: []Column{{Name: "id", Type: "text"}}, PrimaryKey: []string{"id"}},
	}}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *Snapshot)
		want   []string
	}{
		{"identical", func(*Snapshot) {}, nil},
		{"missing table", func(s *Snapshot) { s.Tables = s.Tables[:1] },
			[]string{"user: in models but missing from chain"}},
		{"extra table", func(s *Snapshot) { s.Tables = append(s.Tables, Table{Name: "note"}) },
			[]string{"note: in chain but not in models"}},
		{"column type", func(s *Snapshot) { s.Tables[0].Columns[1].Type = "numeric" },
			[]string{"chat: column pinned: type is boolean in models but numeric in chain"}},
		{"nullability and default", func(s *Snapshot) {
			s.Tables[0].Columns[1].Nullable = true
			s.Tables[0].Columns[1].Default = ""
		}, []string{
			"chat: column pinned: nullability is not null in models but nullable in chain",
			"chat: column pinned: default is false in models but (none) in chain",
		}},
		{"missing and extra column", func(s *Snapshot) {
			s.Tables[0].Columns = append(s.Tables[0].Columns[:1], Column{Name: "title", Type: "text", Nullable: true}, s.Tables[0].Columns[2])
		}, []string{
			"chat: column pinned: in models but missing from chain",
			"chat: column title: in chain but not in models",
		}},
		{"primary key", func(s *Snapshot) { s.Tables[0].PrimaryKey = []string{"id", "user_id"} },
			[]string{"chat: primary key: columns is (id) in models but (id, user_id) in chain"}},
		{"index becomes unique", func(s *Snapshot) { s.Tables[0].Indexes[0].Unique = true },
			[]string{`chat: index idx_chat_user_id: is "index idx_chat_user_id (user_id)" in models but "unique index idx_chat_user_id (user_id)" in chain`}},
		{"foreign key action", func(s *Snapshot) { s.Tables[0].ForeignKeys[0].OnDelete = "SET NULL" },
			[]string{`chat: foreign key fk_chat_user_id: is "foreign key fk_chat_user_id (user_id) references user (id) on delete cascade" in models but "foreign key fk_chat_user_id (user_id) references user (id) on delete set null" in chain`}},
		{"check dropped", func(s *Snapshot) { s.Tables[0].Checks = nil },
			[]string{"chat: check chk_chat_x: in models but missing from chain"}},
		{"column collation", func(s *Snapshot) { s.Tables[0].Columns[0].Collation = "utf8mb4_general_ci" },
			[]string{"chat: column id: collation is (none) in models but utf8mb4_general_ci in chain"}},
		{"table collation", func(s *Snapshot) { s.Tables[1].Collation = "utf8mb4_general_ci" },
			[]string{"user: the default collation is (none) in models but utf8mb4_general_ci in chain"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := base()
			tt.change(got)
			var lines []string
			for _, d := range Compare(base(), got, "models", "chain") {
				lines = append(lines, d.String())
			}
			if !slices.Equal(lines, tt.want) {
				t.Errorf("Compare =\n  %q\nwant\n  %q", lines, tt.want)
			}
		})
	}
}

func TestSnapshotString(t *testing.T) {
	want := `table chat
  column id character varying(255) not null
  column pinned boolean not null default false
  column user_id character varying(255)
  primary key (id)
  index idx_chat_user_id (user_id)
  foreign key fk_chat_user_id (user_id) references user (id) on delete cascade
  check chk_chat_x (x > 0)
table user
  column id text not null
  primary key (id)
`
	if got := base().String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
}

// TestCompareChange: each difference says what taking the compared schema
// to the wanted one takes.
func TestCompareChange(t *testing.T) {
	got := base()
	got.Tables[0].Columns = got.Tables[0].Columns[1:]                                                        // drops chat.id
	got.Tables[0].Indexes = append(got.Tables[0].Indexes, Index{Name: "idx_x", Columns: []string{"pinned"}}) // adds an index
	got.Tables[0].Columns[0].Type = "numeric"                                                                // pinned's type
	var changes []string
	for _, d := range Compare(base(), got, "models", "chain") {
		changes = append(changes, d.Object+"="+d.Change)
	}
	want := []string{"column id=added", "column pinned=changed", "index idx_x=removed"}
	if !slices.Equal(changes, want) {
		t.Errorf("changes = %q, want %q", changes, want)
	}
}

// TestCompareIgnoringCollation: only collations are left out; the inputs
// are not changed.
func TestCompareIgnoringCollation(t *testing.T) {
	want, got := base(), base()
	want.Tables[0].Collation, want.Tables[0].Columns[0].Collation = "utf8mb4_nopad_bin", "utf8mb4_nopad_bin"
	got.Tables[0].Collation, got.Tables[0].Columns[0].Collation = "utf8mb4_general_ci", "utf8mb4_general_ci"
	if d := CompareIgnoringCollation(want, got, "chain", "live database"); len(d) != 0 {
		t.Errorf("CompareIgnoringCollation = %v, want nothing", d)
	}
	if got.Tables[0].Columns[0].Collation != "utf8mb4_general_ci" || want.Tables[0].Collation != "utf8mb4_nopad_bin" {
		t.Error("CompareIgnoringCollation changed its inputs")
	}
	got.Tables[0].Columns[1].Type = "numeric"
	if d := CompareIgnoringCollation(want, got, "chain", "live database"); len(d) != 1 || d[0].Object != "column pinned" {
		t.Errorf("CompareIgnoringCollation = %v, want the type difference", d)
	}
	if d := Compare(want, base(), "chain", "live database"); len(d) != 2 {
		t.Errorf("Compare = %v, want both collation differences", d)
	}
}

func TestSnapshotStringCollations(t *testing.T) {
	s := &Snapshot{Tables: []Table{{Name: "tag", Collation: "utf8mb4_nopad_bin",
		Columns: []Column{{Name: "id", Type: "varchar(255)", Collation: "utf8mb4_nopad_bin"}}}}}
	want := "table tag collate utf8mb4_nopad_bin\n  column id varchar(255) not null collate utf8mb4_nopad_bin\n"
	if got := s.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
