package proofs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testFuncs parses every _test.go file of this directory and returns the
// names of its top-level Test functions.
func testFuncs(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parsing %s: %v", f, err)
		}
		for _, d := range af.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && strings.HasPrefix(fd.Name.Name, "Test") {
				names[fd.Name.Name] = true
			}
		}
	}
	return names
}

// Every registered property has a Go test named TestName(); every claim ID
// of the deterministic list has at least one property, each with a
// Test<ID>_<Name>_CatchesPlantedBug companion; every probabilistic ID has
// a property and a planted-bug test (named with "Planted" or
// "CatchesPlantedBug").
func TestMeta_EveryPropertyHasTestsAndPlantedBugs(t *testing.T) {
	tests := testFuncs(t)
	byID := map[string]int{}
	for _, p := range All() {
		byID[p.ID]++
		if !tests[p.TestName()] {
			t.Errorf("registered property %s has no Go test function %s", p.ID, p.TestName())
		}
		if !strings.HasPrefix(p.TestName(), "Test"+p.ID+"_") || strings.Contains(p.Name, "_") {
			t.Errorf("property %q: test name %s is not Test<ID>_<Name>", p.Name, p.TestName())
		}
		if p.MinValid < 1 {
			t.Errorf("%s: MinValid %d allows a vacuous pass", p.TestName(), p.MinValid)
		}
	}
	for _, id := range ClaimIDs(Deterministic) {
		if byID[id] == 0 {
			t.Errorf("claim %s has no registered property", id)
		}
		for _, p := range All() {
			if p.ID == id && !tests[p.TestName()+"_CatchesPlantedBug"] {
				t.Errorf("%s has no planted-bug companion %s_CatchesPlantedBug", p.TestName(), p.TestName())
			}
		}
	}
	for _, id := range ClaimIDs(MonteCarlo) {
		if byID[id] == 0 {
			t.Errorf("claim %s has no registered property", id)
		}
		planted := false
		for name := range tests {
			if strings.HasPrefix(name, "Test"+id+"_") && strings.Contains(name, "Planted") {
				planted = true
			}
		}
		if !planted {
			t.Errorf("claim %s has no planted-bug test (Test%s_…Planted…)", id, id)
		}
	}
}

// docs/claims.md is checked against the registry (the one list of covered
// claims): every registered property's test is named in it; its claim table
// has a row for every registered claim ID; a row that names a test of this
// package (Test<ID>_…) belongs to a registered ID; and a row says "Monte
// Carlo" exactly when its ID's properties are of kind MonteCarlo.
func TestMeta_ClaimsTableListsEveryProperty(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "claims.md"))
	if err != nil {
		t.Fatalf("reading the claim status table: %v", err)
	}
	doc := string(b)
	kinds := map[string]Kind{}
	for _, p := range All() {
		if !strings.Contains(doc, p.TestName()) {
			t.Errorf("docs/claims.md does not mention %s", p.TestName())
		}
		if k, ok := kinds[p.ID]; ok && k != p.Kind {
			t.Errorf("claim %s has properties of two kinds (%v, %v)", p.ID, k, p.Kind)
		}
		kinds[p.ID] = p.Kind
	}
	tests := testFuncs(t)
	rows := map[string]bool{}
	for _, line := range strings.Split(doc, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 6 || !strings.HasPrefix(line, "| ") {
			continue
		}
		id := strings.TrimSpace(cells[1])
		if id == "ID" || strings.HasPrefix(id, "-") {
			continue
		}
		rows[id] = true
		k, registered := kinds[id]
		namesHere := false
		for name := range tests {
			if strings.HasPrefix(name, "Test"+id+"_") && strings.Contains(cells[2], name) {
				namesHere = true
			}
		}
		if namesHere && !registered {
			t.Errorf("docs/claims.md row %s names tests of proofs_test but no property of %s is registered", id, id)
		}
		if registered && (k == MonteCarlo) != strings.Contains(line, "Monte Carlo") {
			t.Errorf("docs/claims.md row %s: kind %v, but the row %s \"Monte Carlo\"", id, k, map[bool]string{true: "says", false: "does not say"}[k != MonteCarlo])
		}
	}
	for id := range kinds {
		if !rows[id] {
			t.Errorf("docs/claims.md has no table row for registered claim %s", id)
		}
	}
	if len(rows) < len(kinds) {
		t.Fatalf("parsed %d table rows for %d registered claims", len(rows), len(kinds))
	}
}

// Every clause the full-horizon monitor asserts has a planted bug aimed at
// it (run by TestT1_FullHorizonFast_CatchesPlantedBug, which asserts the
// failure names that clause).
func TestMeta_EveryT1ClauseHasACompanion(t *testing.T) {
	for _, c := range t1Clauses {
		if b, ok := t1ClauseBugs[c]; !ok || b.what == "" {
			t.Errorf("t1Monitor clause %q has no planted-bug companion in t1ClauseBugs", c)
		}
	}
	if len(t1ClauseBugs) != len(t1Clauses) {
		t.Errorf("t1ClauseBugs has %d entries for %d clauses", len(t1ClauseBugs), len(t1Clauses))
	}
}
