// Package testkit groups the test harnesses: testdb gives tests fresh
// databases of every dialect, migtest drives the runner over them for
// the step tests, and fixtures holds what the runner's tests beside db/
// and the end-to-end tests in tests/ share. They sit at the top of the
// house (migtest and fixtures import db), and only test files import them.
package testkit
