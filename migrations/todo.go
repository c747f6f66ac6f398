package migrations

import "errors"

// todo fails a step that `schema new` generated but could not write safely
// on its own: a possible rename, a conversion that can lose data, rows that
// need a value. The generator puts a call, with a comment explaining the
// decision, at the start of the direction concerned, so the chain (and the
// drift check) fails loudly until a person has edited the step and removed
// the call.
func todo(decision string) error {
	return errors.New("TODO(schema new): " + decision)
}
