package proofs

import "github.com/dlnverify/dlnverify/model"

// implementations is THE list of implementations every Test<ID>_<Name>
// runs its property against. Add a new Stepper here and every claim checks
// it.
func implementations() []model.Stepper {
	return []model.Stepper{model.Reference{}}
}

// referenceStepper is the implementation the broken-constant planted-bug
// tests run with (the constant is the bug, not the stepper).
func referenceStepper() model.Stepper { return model.Reference{} }
