// The kanban plugin: a migration-host plugin in Go (track "kanban", versions 1 to 3), built with -buildmode=c-shared.
// SPDX-License-Identifier: Apache-2.0
package main

import "fmt"

// beforeEachStep runs at the start of every step: nothing, unless built with -tags churn (churn.go).
var beforeEachStep = func(*Host) error { return nil }

// Version 1: a table. These statements are the same in every dialect.
func createCards(host *Host) error {
	return host.Exec("CREATE TABLE kanban_cards (id INTEGER NOT NULL, title VARCHAR(120) NOT NULL, " +
		"note VARCHAR(255), PRIMARY KEY (id))")
}

func dropCards(host *Host) error { return host.Exec("DROP TABLE kanban_cards") }

// Version 2: a column (SQLite drops columns since 3.35).
func addLane(host *Host) error {
	return host.Exec("ALTER TABLE kanban_cards ADD COLUMN lane VARCHAR(16) DEFAULT 'todo' NOT NULL")
}

func dropLane(host *Host) error { return host.Exec("ALTER TABLE kanban_cards DROP COLUMN lane") }

// Version 3: the first cards. Values are bound to `?` markers, never pasted into SQL (nil is SQL NULL); the
// database converts "1" for the INTEGER column as it would a string literal.
var firstCards = []struct {
	id          int
	title, lane string
	note        any
}{
	{1, "Write the plugin", "done", "in Go"},
	{2, "Review the plugin's SQL", "doing", nil},
	{3, "Ship it", "todo", "with its .so in the host's plugin directory"},
}

func addFirstCards(host *Host) error {
	// Checked first, so that a host without bound values (ABI 1.1) fails the step before it inserts anything.
	if err := host.RequireParameters(); err != nil {
		return err
	}
	for _, card := range firstCards {
		err := host.ExecWith("INSERT INTO kanban_cards (id, title, lane, note) VALUES (?, ?, ?, ?)",
			card.id, card.title, card.lane, card.note)
		if err != nil {
			return err
		}
	}
	return nil
}

// Downgrades never run offline, so this one may query: it logs the cards it removes (cards deleted since are
// skipped).
func removeFirstCards(host *Host) error {
	for _, card := range firstCards {
		var lane *string
		err := host.QueryWith("SELECT lane FROM kanban_cards WHERE id = ?", []any{card.id}, func(row Row) error {
			lane = row[0]
			return nil
		})
		if err != nil {
			return err
		}
		if lane == nil {
			continue
		}
		host.Log(LogInfo, fmt.Sprintf("removing card %d %q (in %s)", card.id, card.title, *lane))
		if err := host.ExecWith("DELETE FROM kanban_cards WHERE id = ?", card.id); err != nil {
			return err
		}
	}
	return nil
}

// withExtraWork runs beforeEachStep first. A nil step stays nil: a migration without a downgrade is irreversible.
func withExtraWork(step Step) Step {
	if step == nil {
		return nil
	}
	return func(host *Host) error {
		if err := beforeEachStep(host); err != nil {
			return err
		}
		return step(host)
	}
}

func init() {
	migration := func(version int64, name string, upgrade, downgrade Step) Migration {
		return Migration{Track: "kanban", Version: version, Name: name,
			Upgrade: withExtraWork(upgrade), Downgrade: withExtraWork(downgrade)}
	}
	Register(Plugin{
		ID:          "kanban",
		Name:        "Kanban (Go example)",
		Version:     "1.0.0",
		Description: "Track kanban: cards, a lane column, then the first cards inserted with bound values",
		Migrations: []Migration{
			migration(1, "001_cards", createCards, dropCards),
			migration(2, "002_lane", addLane, dropLane),
			migration(3, "003_first_cards", addFirstCards, removeFirstCards),
		},
	})
}

// A c-shared library needs a main package with a main function, which never runs.
func main() {}
