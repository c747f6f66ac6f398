package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/openwebui-go/schema/db"
	"github.com/openwebui-go/schema/internal/stepgen"
	"github.com/openwebui-go/schema/migrations"
	"github.com/openwebui-go/schema/models"
	"github.com/spf13/cobra"
)

// errNothingToGenerate is new's failure when the models match HEAD: no
// file is written, and a script must be able to tell.
var errNothingToGenerate = errors.New("nothing to generate: the models match the chain's HEAD")

func (a *app) newCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "new NAME [--dir migrations]",
		Short: "Write a step taking the chain's HEAD to the models (needs no database)",
		Long: `new compares the chain's HEAD (read by running the chain on an in-memory
SQLite database) with the models and writes DIR/<revision>_NAME.go: a step
with a fresh revision ID, revising HEAD, whose up and down make the
difference on every dialect. Changes it cannot make safely (a possible
rename, a type change that can lose data, rows that need a value) are
written as TODO(schema new) calls that fail the step until a person edits
it. NAME is snake_case. Exit 1 when there is nothing to generate.`,
		Args: oneArg("the step's name in snake_case"),
	}
	cmd.Flags().StringVar(&dir, "dir", "migrations", "the migrations package's folder, where the step is written")
	cmd.PreRunE = func(_ *cobra.Command, args []string) error {
		if err := stepgen.CheckName(args[0]); err != nil {
			return usagef("%v", err)
		}
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return usagef("--dir %s is not a folder: run schema new from the module's root, or point --dir at the migrations package", dir)
		}
		return nil
	}
	cmd.RunE = work(func(cmd *cobra.Command, args []string) error {
		return a.runNew(cmd, args[0], dir)
	})
	return cmd
}

func (a *app) runNew(cmd *cobra.Command, name, dir string) error {
	chain, err := migrations.Chain()
	if err != nil {
		return err
	}
	head := chain[len(chain)-1].ID
	// The chain compiled into this binary must be the one in dir, or the
	// step would revise the wrong HEAD.
	if found, _ := filepath.Glob(filepath.Join(dir, head+"_*.go")); len(found) == 0 {
		return fmt.Errorf("the chain built into this program ends at %s, but %s has no %s_*.go: this program was built from other sources; run `go run ./cmd/schema new %s` in the module whose migrations you are extending",
			head, dir, head, name)
	}
	shapes, err := db.HeadShapes(cmd.Context())
	if err != nil {
		return err
	}
	want, err := stepgen.ModelShapes(models.All())
	if err != nil {
		return err
	}
	plan := stepgen.Diff(shapes, want)
	if plan.Empty() {
		return errNothingToGenerate
	}
	rev, err := stepgen.NewRevisionID(func(id string) bool {
		return slices.ContainsFunc(chain, func(s migrations.Step) bool { return s.ID == id })
	})
	if err != nil {
		return err
	}
	ident, err := freeIdent(dir, stepgen.Ident(name), rev)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, rev+"_"+name+".go")
	src, err := stepgen.Render(stepgen.Step{ID: rev, Revises: head, Name: name, Ident: ident, File: filepath.ToSlash(path)}, plan)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write the step: %w", err)
	}
	if _, err := f.Write(src); err != nil {
		f.Close()
		return fmt.Errorf("write the step %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write the step %s: %w", path, err)
	}
	fmt.Fprintf(a.stdout, "wrote %s: revision %s (%s), revises %s\n", path, rev, name, head)
	for _, c := range plan.Changes {
		fmt.Fprintf(a.stdout, "  %s\n", c)
	}
	if plan.Online {
		fmt.Fprintln(a.stdout, "online: the step only adds or drops indexes, foreign keys and nullable or defaulted columns, so it is marked Online (runs without blocking the application)")
	}
	todos := append(append([]stepgen.TODO(nil), plan.UpTODOs...), plan.DownTODOs...)
	if len(todos) > 0 {
		fmt.Fprintf(a.stdout, "%d TODO(s): the step fails until you edit %s and remove each todo call:\n", len(todos), path)
		for i, t := range plan.UpTODOs {
			fmt.Fprintf(a.stdout, "  up %d: %s\n", i+1, t.Short)
		}
		for i, t := range plan.DownTODOs {
			fmt.Fprintf(a.stdout, "  down %d: %s\n", i+1, t.Short)
		}
	}
	fmt.Fprintln(a.stdout, "next: go build ./... && schema verify")
	return nil
}

// freeIdent is ident unless a file in dir already declares ident's step
// functions (two steps with one name), then ident with the revision added.
func freeIdent(dir, ident, rev string) (string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return "", err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", f, err)
		}
		if strings.Contains(string(b), "func "+ident+"Up(") || strings.Contains(string(b), "func "+ident+"Down(") {
			return ident + "R" + rev, nil
		}
	}
	return ident, nil
}
