package dialect

// OpKind names what a Migrator's high-level method did.
type OpKind string

const (
	OpCreateTable OpKind = "create table"
	OpAlterTable  OpKind = "alter table"
	OpDropTable   OpKind = "drop table"
	OpExec        OpKind = "data exec" // Exec / ExecCount: raw data SQL
	OpBatches     OpKind = "batches"
	OpInsert      OpKind = "insert"
	OpUpdate      OpKind = "update" // UpdateFromValues
)

// Op is a dialect-neutral record of one high-level Migrator call, for
// tools that judge a step without a server (`schema lint`, `schema plan`).
// An op started inside another (an Exec inside Batches) is not reported
// on its own: its statements belong to the outer op.
type Op struct {
	Step  string // the running step's ID, when the runner named it
	Kind  OpKind
	Table string // the table the op names; "" for raw SQL (see SQL)
	// From and To are the shapes of an alter; To alone for a create.
	From, To *Table
	Fills    []Fill
	// Diff is what an alter changes (planAlter's parts).
	Diff ShapeDiff
	// SQL is the statement a data op was given, as the step wrote it.
	SQL string
	// Statements are those the op ran that change the database, in the
	// run's dialect, in order.
	Statements []string
}

// track starts recording op when the run has an Op hook and no op is being
// recorded yet; the returned function reports it.
func (m *Migrator) track(op Op) func() {
	if m.run.Hooks.Op == nil || m.run.op != nil {
		return func() {}
	}
	op.Step = m.run.Step.ID
	m.run.op = &op
	return func() {
		m.run.op = nil
		m.run.Hooks.Op(op)
	}
}

// ranStatement adds a statement to the op being recorded, if any.
func (m *Migrator) ranStatement(query string) {
	if m.run.op != nil {
		m.run.op.Statements = append(m.run.op.Statements, query)
	}
}

// ranAs replaces the op's last statement, query, with the form the server
// ran (query with the online ALGORITHM clause it accepted).
func (m *Migrator) ranAs(query, ran string) {
	if op := m.run.op; op != nil && len(op.Statements) > 0 && op.Statements[len(op.Statements)-1] == query {
		op.Statements[len(op.Statements)-1] = ran
	}
}
