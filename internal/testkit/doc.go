// Package testkit groups the test harnesses: testdb gives tests fresh
// databases of every dialect, and migtest drives the runner over them for
// the step tests. They sit at the top of the house (migtest imports db),
// and only test files import them.
package testkit
