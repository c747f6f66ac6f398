package migrations

// AlembicSteps is how many steps at the start of the chain are Open
// WebUI's Alembic revisions; the steps after them were added with
// `schema new` (`schema lint --steps new` lints those).
func AlembicSteps() int { return len(history) }
