package proofs

import (
	"math"

	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/gen"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// B1: the layers of a 0-balanced net are fractional powers of the product.

var _ = Register(Property{ID: "B1", Name: "BalancedLayersArePowers", Status: "V", Domain: "T1 architectures and targets, δ = 0",
	Statement: "0-balanced ⇒ every W_j has singular values σ_i(W)^{1/N}, W_{j:N}W_{j:N}ᵀ = [WWᵀ]^{(N−j+1)/N}, W_{1:j}ᵀW_{1:j} = [WᵀW]^{j/N}",
	Check:     B1BalancedLayersArePowers, MinValid: 8})

// b1Options are B1's knobs; the planted-bug test breaks an exponent.
type b1Options struct {
	leftExp  func(N, j int) float64 // exponent of [WWᵀ] matching W_{j:N}W_{j:N}ᵀ: (N−j+1)/N
	rightExp func(N, j int) float64 // exponent of [WᵀW] matching W_{1:j}ᵀW_{1:j}: j/N
	rootExp  func(N int) float64    // the root in (a): 1/N
}

// b1Claimed are B1's exponents as stated.
var b1Claimed = b1Options{
	leftExp:  func(N, j int) float64 { return float64(N-j+1) / float64(N) },
	rightExp: func(N, j int) float64 { return float64(j) / float64(N) },
	rootExp:  func(N int) float64 { return 1 / float64(N) },
}

// B1BalancedLayersArePowers checks B1 on 0-balanced starts.
//
// Cases: gen.TheoremOne's architectures and targets with δ = 0 (Procedure 1
// from A with a drawn margin, seeded orthogonal insertions); hypothesis
// measured: imbalance ≤ ImbalanceTol (0-balanced to rounding).
//
// Checks, with W = W_{1:N}, σ_i its singular values, r = min(d_0, d_N):
// (a) for every j the top r singular values of W_j are σ_i^{1/N} and the
// rest are ≈ 0; (b) W_{j:N}W_{j:N}ᵀ = [WWᵀ]^{(N−j+1)/N}; (c) W_{1:j}ᵀW_{1:j}
// = [WᵀW]^{j/N}; (a) within RootTol, (b) and (c) within FracPowTol-derived
// bounds.
func B1BalancedLayersArePowers(impl model.Stepper, st *Stats) func(*rapid.T) {
	return b1Powers(st, b1Claimed)
}

func b1Powers(st *Stats, o b1Options) func(*rapid.T) {
	cases := gen.TheoremOne(gen.Options{Balanced: true})
	return func(t *rapid.T) {
		cs := cases.Draw(t, "case")
		t.Logf("B1 case: %v", cs)
		n := cs.Start
		ok := invariants.Imbalance(n) <= ImbalanceTol(n)
		st.Case(ok)
		if !ok {
			return
		}
		N := cs.N
		w := n.Product()
		dy, dx := w.Dims()
		d := 0
		for _, v := range cs.Dims {
			d = max(d, v)
		}
		sv := invariants.SingularValues(w)
		lmax, lminPos := gramSpectrum(sv, d)
		r := len(sv)
		M, _ := productScale(n)
		for j := 1; j <= N; j++ {
			svj := invariants.SingularValues(n.Layer(j))
			for i, s := range svj {
				want, sig := 0.0, -1.0
				if i < r {
					want, sig = math.Pow(sv[i], o.rootExp(N)), sv[i]
				}
				tol := RootTol(sig, svj[0], M, d, N)
				if !(math.Abs(s-want) <= tol) {
					t.Fatalf("B1 (a) violated: σ_%d(W_%d) = %.12g, σ_%d(W)^{1/N} = %.12g (tol %.3g)", i+1, j, s, i+1, want, tol)
				}
			}
		}
		var wwt, wtw mat.Dense
		wwt.Mul(w, w.T())
		wtw.Mul(w.T(), w)
		for j := 1; j <= N; j++ {
			left, _ := n.Partial(j, N)
			var got mat.Dense
			got.Mul(left, left.T())
			p := o.leftExp(N, j)
			want, err := invariants.SymPow(&wwt, p)
			if err != nil {
				t.Fatalf("SymPow: %v", err)
			}
			tol := FracPowTol(lmax, lminPos, p, d) + MeasureTol(math.Pow(lmax, p), d, N)
			got.Sub(&got, want)
			if a := mat.Norm(&got, 2); !(a <= tol) {
				t.Fatalf("B1 (b) violated: ‖W_{%d:N}W_{%d:N}ᵀ − [WWᵀ]^{%.4g}‖_F = %.3g (tol %.3g; dims %v)", j, j, p, a, tol, []int{dy, dx})
			}
			right, _ := n.Partial(1, j)
			var got2 mat.Dense
			got2.Mul(right.T(), right)
			q := o.rightExp(N, j)
			want2, err := invariants.SymPow(&wtw, q)
			if err != nil {
				t.Fatalf("SymPow: %v", err)
			}
			tol2 := FracPowTol(lmax, lminPos, q, d) + MeasureTol(math.Pow(lmax, q), d, N)
			got2.Sub(&got2, want2)
			if a := mat.Norm(&got2, 2); !(a <= tol2) {
				t.Fatalf("B1 (c) violated: ‖W_{1:%d}ᵀW_{1:%d} − [WᵀW]^{%.4g}‖_F = %.3g (tol %.3g)", j, j, q, a, tol2)
			}
		}
	}
}
