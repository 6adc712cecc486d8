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

// DeterministicIDs are the claims this package's deterministic properties
// cover; ProbabilisticIDs are covered by the prob_* files.
var (
	DeterministicIDs = []string{"T1", "L1", "L2", "G1", "G2", "F1", "F2", "B1", "P1", "C1", "A1", "L3", "L6", "S1", "S2", "S3", "R1"}
	ProbabilisticIDs = []string{"T2", "L8", "CL2", "CL3"}
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
	for _, id := range DeterministicIDs {
		if byID[id] == 0 {
			t.Errorf("claim %s has no registered property", id)
		}
		for _, p := range All() {
			if p.ID == id && !tests[p.TestName()+"_CatchesPlantedBug"] {
				t.Errorf("%s has no planted-bug companion %s_CatchesPlantedBug", p.TestName(), p.TestName())
			}
		}
	}
	for _, id := range ProbabilisticIDs {
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

// docs/claims.md names every registered property's test.
func TestMeta_ClaimsTableListsEveryProperty(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "claims.md"))
	if err != nil {
		t.Fatalf("reading the claim status table: %v", err)
	}
	doc := string(b)
	for _, p := range All() {
		if !strings.Contains(doc, p.TestName()) {
			t.Errorf("docs/claims.md does not mention %s", p.TestName())
		}
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
