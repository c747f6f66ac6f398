package dialect

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The dialect seam: what differs between databases is a method of the
// Dialect interface in that database's own files (sqlite*.go, postgres*.go,
// mysql*.go). Shared code calls the interface and never asks which
// database it is: no type switch or assertion on a dialect type, and no
// comparison with a dialect's name, in the shared files of this package or
// in the packages above it.
func TestNoDialectSwitchOutsideTheDialectsOwnFiles(t *testing.T) {
	own := func(file string) bool {
		base := filepath.Base(file)
		return strings.HasPrefix(base, "sqlite") || strings.HasPrefix(base, "postgres") || strings.HasPrefix(base, "mysql")
	}
	dirs := []string{".", "../../db", "../../cmd/schema", "../../migrations", "../stepgen", "../checksum", "../snapshot", "../../schematest", "../../models", "../transfer", "../lint"}
	types := map[string]bool{"sqliteDialect": true, "postgresDialect": true, "mysqlDialect": true}
	names := map[string]bool{`"sqlite"`: true, `"postgres"`: true, `"mysql"`: true}
	fset := token.NewFileSet()
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s: %v", dir, err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") || dir == "." && own(file) {
				continue
			}
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parser.ParseFile(fset, file, src, 0)
			if err != nil {
				t.Fatal(err)
			}
			report := func(n ast.Node, what string) {
				t.Errorf("%s: %s; put the difference behind the Dialect interface, in each database's own file", fset.Position(n.Pos()), what)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.TypeAssertExpr:
					if id, ok := n.Type.(*ast.Ident); ok && types[id.Name] {
						report(n, "type assertion to "+id.Name)
					}
				case *ast.CaseClause:
					for _, e := range n.List {
						if id, ok := e.(*ast.Ident); ok && types[id.Name] {
							report(n, "type switch case "+id.Name)
						}
						if lit, ok := e.(*ast.BasicLit); ok && names[lit.Value] {
							report(n, "switch case on the dialect's name "+lit.Value)
						}
					}
				case *ast.BinaryExpr:
					if n.Op != token.EQL && n.Op != token.NEQ {
						break
					}
					for _, side := range []ast.Expr{n.X, n.Y} {
						if lit, ok := side.(*ast.BasicLit); ok && names[lit.Value] {
							s, _ := strconv.Unquote(lit.Value)
							report(n, "comparison with the dialect's name "+strconv.Quote(s))
						}
					}
				}
				return true
			})
		}
	}
}
