// Package checksum computes the checksums of migration steps from their
// source: a SHA-256 of a step's Up and Down and of every package-level
// declaration of package migrations they reach, printed from a syntax tree
// parsed without comments and with every position cleared, so layout and
// comments do not count and code does.
//
// It knows the migrations package's conventions: a step is a composite
// literal of type Step (in the history slice or a register call, keyed or
// positional) with a string-literal ID; files of another package in the
// folder and _test.go files are skipped.
package checksum

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"maps"
	"path"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Compute reads the non-test Go files of package migrations in fsys and
// returns each step's checksum by ID, and the steps whose checksum could
// not be computed with the reason.
func Compute(fsys fs.FS) (map[string]string, map[string]error, error) {
	ix, err := indexSources(fsys)
	if err != nil {
		return nil, nil, err
	}
	errs := map[string]error{}
	var steps []*stepSource
	byID := map[string]*stepSource{}
	for _, lit := range ix.steps {
		s, err := ix.stepFields(lit)
		if err != nil {
			return nil, nil, err
		}
		if s.id == "" {
			continue
		}
		if byID[s.id] != nil {
			errs[s.id] = fmt.Errorf("checksum of step %s: two Step literals have this ID; give each step its own ID", s.id)
			continue
		}
		byID[s.id] = &s
		steps = append(steps, &s)
	}
	// Printing is the other big cost: every text a checksum needs is
	// printed once, in parallel, then the checksums are put together.
	var jobs []func()
	printed := map[*unit]bool{}
	for _, s := range steps {
		s.units = ix.closure([]ast.Node{s.up, s.down})
		for _, u := range s.units {
			if !printed[u] {
				printed[u] = true
				jobs = append(jobs, func() { u.text = ix.print(u.decl) })
			}
		}
		jobs = append(jobs, func() { s.upText, s.downText = ix.print(s.up), ix.print(s.down) })
	}
	runParallel(jobs)
	sums := map[string]string{}
	for _, s := range steps {
		if errs[s.id] == nil {
			sums[s.id] = s.checksum()
		}
	}
	return sums, errs, nil
}

// runParallel runs the jobs on as many goroutines as there are CPUs.
func runParallel(jobs []func()) {
	next := make(chan func())
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Go(func() {
			for job := range next {
				job()
			}
		})
	}
	for _, job := range jobs {
		next <- job
	}
	close(next)
	wg.Wait()
}

// unit is one package-level declaration as the checksum sees it: a func,
// a method, a var, const or type spec, or a const group whose specs repeat
// the previous expression (iota).
type unit struct {
	key   string   // kind and name, the order units are hashed in
	decl  ast.Node // printed
	refs  []ast.Node
	types []string        // for a type unit, its name: its methods come with it
	names map[string]bool // the package-level names refs use, on first need
	text  string          // printed, once, by Compute
}

type sourceIndex struct {
	fset      *token.FileSet
	byName    map[string]*unit
	methods   map[string][]*unit // by receiver type name
	topLevel  map[any]bool       // declaring nodes of package-level names
	steps     []*ast.CompositeLit
	stepOrder []string // Step's field names, for unkeyed literals
}

func indexSources(fsys fs.FS) (*sourceIndex, error) {
	names, err := fs.Glob(fsys, "*.go")
	if err != nil {
		return nil, fmt.Errorf("list the sources of package migrations: %w", err)
	}
	slices.Sort(names)
	ix := &sourceIndex{
		fset:     token.NewFileSet(),
		byName:   map[string]*unit{},
		methods:  map[string][]*unit{},
		topLevel: map[any]bool{},
	}
	// Parsing is most of the cost; the files parse in parallel.
	var goFiles []string
	for _, name := range names {
		if !strings.HasSuffix(name, "_test.go") {
			goFiles = append(goFiles, name)
		}
	}
	parsed := make([]*ast.File, len(goFiles))
	errs := make([]error, len(goFiles))
	var wg sync.WaitGroup
	for i, name := range goFiles {
		wg.Go(func() { parsed[i], errs[i] = parseSource(fsys, ix.fset, name) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var files []*ast.File
	for _, f := range parsed {
		if f.Name.Name != "migrations" {
			continue // a generator or other program kept in the folder
		}
		files = append(files, f)
		ix.addDecls(f)
	}
	for _, f := range files {
		ix.findSteps(f)
	}
	// Positions carry the layout; without them the printer's output
	// depends on the syntax tree alone.
	for _, f := range files {
		clearPositions(f)
	}
	return ix, nil
}

func parseSource(fsys fs.FS, fset *token.FileSet, name string) (*ast.File, error) {
	src, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("read %s of package migrations: %w", name, err)
	}
	// No comments: they are not part of what a step does. Object
	// resolution stays on: it tells a package-level name from a local.
	f, err := parser.ParseFile(fset, path.Base(name), src, 0)
	if err != nil {
		return nil, fmt.Errorf("parse %s of package migrations: %w", name, err)
	}
	return f, nil
}

func (ix *sourceIndex) add(u *unit, names ...*ast.Ident) {
	for _, n := range names {
		if n.Name != "_" && n.Name != "init" {
			ix.byName[n.Name] = u
		}
	}
}

func (ix *sourceIndex) addDecls(f *ast.File) {
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			ix.topLevel[d] = true
			refs := []ast.Node{d.Type}
			if d.Body != nil {
				refs = append(refs, d.Body)
			}
			if d.Recv == nil {
				ix.add(&unit{key: "func " + d.Name.Name, decl: d, refs: refs}, d.Name)
				continue
			}
			recv := receiverType(d.Recv.List[0].Type)
			refs = append(refs, d.Recv)
			u := &unit{key: "method " + recv + "." + d.Name.Name, decl: d, refs: refs}
			ix.methods[recv] = append(ix.methods[recv], u)
		case *ast.GenDecl:
			if d.Tok == token.IMPORT {
				continue
			}
			for _, s := range d.Specs {
				ix.topLevel[s] = true
			}
			if d.Tok == token.CONST && len(d.Specs) > 1 && implicitValues(d) {
				u := &unit{key: "const " + specNames(d.Specs[0]), decl: d, refs: []ast.Node{d}}
				for _, s := range d.Specs {
					ix.add(u, s.(*ast.ValueSpec).Names...)
				}
				continue
			}
			for _, s := range d.Specs {
				one := &ast.GenDecl{Tok: d.Tok, Specs: []ast.Spec{s}}
				switch s := s.(type) {
				case *ast.ValueSpec:
					u := &unit{key: d.Tok.String() + " " + specNames(s), decl: one}
					if s.Type != nil {
						u.refs = append(u.refs, s.Type)
					}
					for _, v := range s.Values {
						u.refs = append(u.refs, v)
					}
					ix.add(u, s.Names...)
				case *ast.TypeSpec:
					u := &unit{key: "type " + s.Name.Name, decl: one, refs: []ast.Node{s.Type}, types: []string{s.Name.Name}}
					if s.TypeParams != nil {
						u.refs = append(u.refs, s.TypeParams)
					}
					ix.add(u, s.Name)
					if s.Name.Name == "Step" {
						ix.stepOrder = fieldNames(s.Type)
					}
				}
			}
		}
	}
}

// implicitValues reports a const group where a spec repeats the one before
// it, so the group is only meaningful whole.
func implicitValues(d *ast.GenDecl) bool {
	for _, s := range d.Specs {
		if len(s.(*ast.ValueSpec).Values) == 0 {
			return true
		}
	}
	return false
}

func specNames(s ast.Spec) string {
	var out []string
	for _, n := range s.(*ast.ValueSpec).Names {
		out = append(out, n.Name)
	}
	return strings.Join(out, ",")
}

func receiverType(e ast.Expr) string {
	for {
		switch t := e.(type) {
		case *ast.StarExpr:
			e = t.X
		case *ast.IndexExpr: // generic receiver T[P]
			e = t.X
		case *ast.IndexListExpr:
			e = t.X
		case *ast.ParenExpr:
			e = t.X
		case *ast.Ident:
			return t.Name
		default:
			return ""
		}
	}
}

func fieldNames(e ast.Expr) []string {
	st, ok := e.(*ast.StructType)
	if !ok {
		return nil
	}
	var out []string
	for _, f := range st.Fields.List {
		for _, n := range f.Names {
			out = append(out, n.Name)
		}
	}
	return out
}

// findSteps collects the Step composite literals: Step{...}, &Step{...},
// and the elements of []Step{...} whose type is left out.
func (ix *sourceIndex) findSteps(f *ast.File) {
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.CompositeLit)
		if !ok {
			return true
		}
		if isStep(lit.Type) {
			ix.steps = append(ix.steps, lit)
			return true
		}
		var elt ast.Expr
		switch t := lit.Type.(type) {
		case *ast.ArrayType:
			elt = t.Elt
		case *ast.MapType:
			elt = t.Value
		}
		if !isStep(elt) {
			return true
		}
		for _, e := range lit.Elts {
			if kv, ok := e.(*ast.KeyValueExpr); ok {
				e = kv.Value
			}
			if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.AND {
				e = u.X
			}
			if el, ok := e.(*ast.CompositeLit); ok && el.Type == nil {
				ix.steps = append(ix.steps, el)
			}
		}
		return true
	})
}

func isStep(e ast.Expr) bool {
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "Step"
}

type stepSource struct {
	id               string
	up, down         ast.Expr // nil when the literal leaves them out
	units            []*unit
	upText, downText string
}

func (ix *sourceIndex) stepFields(lit *ast.CompositeLit) (stepSource, error) {
	fields := map[string]ast.Expr{}
	for i, e := range lit.Elts {
		if kv, ok := e.(*ast.KeyValueExpr); ok {
			if k, ok := kv.Key.(*ast.Ident); ok {
				fields[k.Name] = kv.Value
			}
		} else if i < len(ix.stepOrder) {
			fields[ix.stepOrder[i]] = e
		}
	}
	var s stepSource
	idExpr, ok := fields["ID"]
	if !ok {
		return s, nil // a zero Step, not a step of the chain
	}
	lit2, ok := idExpr.(*ast.BasicLit)
	if !ok || lit2.Kind != token.STRING {
		return s, fmt.Errorf("a Step literal in package migrations has ID %s, which is not a string literal: write the ID as a quoted string so its checksum can be found", ix.print(idExpr))
	}
	id, err := strconv.Unquote(lit2.Value)
	if err != nil {
		return s, fmt.Errorf("a Step literal in package migrations has ID %s: %w", lit2.Value, err)
	}
	s.id, s.up, s.down = id, fields["Up"], fields["Down"]
	return s, nil
}

// checksum hashes the step's Up and Down and the declarations they reach,
// in key order.
func (s *stepSource) checksum() string {
	var b strings.Builder
	b.WriteString("up\n" + s.upText + "\ndown\n" + s.downText + "\n")
	for _, u := range s.units {
		b.WriteString(u.key + "\n" + u.text + "\n")
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// closure is every unit the roots reference, directly or through other
// units, sorted by key. A type brings all its methods.
func (ix *sourceIndex) closure(roots []ast.Node) []*unit {
	seen := map[*unit]bool{}
	var queue []*unit
	visit := func(n ast.Node) {
		if n == nil || reflect.ValueOf(n).IsNil() {
			return
		}
		for name := range ix.refs(n) {
			if u := ix.byName[name]; u != nil && !seen[u] {
				seen[u] = true
				queue = append(queue, u)
			}
		}
	}
	for _, r := range roots {
		visit(r)
	}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		if u.names == nil {
			u.names = map[string]bool{}
			for _, r := range u.refs {
				maps.Copy(u.names, ix.refs(r))
			}
		}
		for name := range u.names {
			if v := ix.byName[name]; v != nil && !seen[v] {
				seen[v] = true
				queue = append(queue, v)
			}
		}
		for _, t := range u.types {
			for _, m := range ix.methods[t] {
				if !seen[m] {
					seen[m] = true
					queue = append(queue, m)
				}
			}
		}
	}
	out := make([]*unit, 0, len(seen))
	for u := range seen {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b *unit) int { return strings.Compare(a.key, b.key) })
	return out
}

// refs are the names in n that may be package-level declarations. Locals
// are told apart by the parser's resolution; a name it left unresolved
// (declared in another file, or a composite literal key, which may be a
// field or a constant) counts when a declaration has that name, so a
// doubtful name makes the checksum cover more, never less.
func (ix *sourceIndex) refs(n ast.Node) map[string]bool {
	names := map[string]bool{}
	ast.Walk(refVisitor{ix: ix, names: names}, n)
	return names
}

type refVisitor struct {
	ix    *sourceIndex
	names map[string]bool
}

func (v refVisitor) Visit(n ast.Node) ast.Visitor {
	switch n := n.(type) {
	case *ast.SelectorExpr:
		// The selected name is a field, a method or another package's
		// declaration, never this package's.
		ast.Walk(v, n.X)
		return nil
	case *ast.Field:
		// Parameter and field names declare; only the type refers.
		ast.Walk(v, n.Type)
		return nil
	case *ast.LabeledStmt:
		ast.Walk(v, n.Stmt)
		return nil
	case *ast.BranchStmt:
		return nil
	case *ast.Ident:
		if n.Obj != nil {
			if v.ix.topLevel[n.Obj.Decl] {
				v.names[n.Name] = true
			}
		} else if v.ix.byName[n.Name] != nil {
			v.names[n.Name] = true
		}
	}
	return v
}

// printConfig skips the printer's column alignment, which nobody reads
// here and which costs time.
var printConfig = printer.Config{Mode: printer.RawFormat}

func (ix *sourceIndex) print(n ast.Node) string {
	if n == nil || reflect.ValueOf(n).IsNil() {
		return ""
	}
	var buf bytes.Buffer
	if err := printConfig.Fprint(&buf, ix.fset, n); err != nil {
		// The printer fails only on a node it does not know, which a parsed
		// file does not contain; hash the failure so it is visible.
		return "unprintable: " + err.Error()
	}
	return buf.String()
}

var posType = reflect.TypeFor[token.Pos]()

// clearPositions sets every position in the tree to none, so the printer
// lays the code out from its structure alone instead of from the source.
func clearPositions(root ast.Node) {
	ast.Inspect(root, func(n ast.Node) bool {
		if n == nil {
			return false
		}
		v := reflect.ValueOf(n)
		if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
			return true
		}
		v = v.Elem()
		for i := range v.NumField() {
			if f := v.Field(i); f.Type() == posType && f.CanSet() {
				f.SetInt(0)
			}
		}
		return true
	})
}
