package extstep

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/report"
	"github.com/dlnverify/dlnverify/model"
)

// Serve answers the protocol on r and w with impl's step: the peer side,
// for a Go implementation that runs in its own process (a main calls
// Serve(impl, "mine", 64, os.Stdin, os.Stdout)). bits is the declared
// precision, 64 or 32. It returns nil at end of input. A step that returns
// an error is answered with an error frame and the session goes on.
func Serve(impl model.Stepper, name string, bits int, r io.Reader, w io.Writer) error {
	if bits != 64 && bits != 32 {
		return fmt.Errorf("extstep: precision %d bits (64 or 32)", bits)
	}
	br := bufio.NewReaderSize(r, 1<<16)
	bw := bufio.NewWriterSize(w, 1<<16)
	buf := make([]byte, 1<<15)
	var out []byte
	for {
		h, err := readHeader(br, buf)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if h.version != Version {
			return fmt.Errorf("extstep: client speaks protocol version %d, this peer %d", h.version, Version)
		}
		switch h.kind {
		case KindHello:
			out = putHeader(out[:0], KindHelloReply, h.id)
			out = le.AppendUint32(out, uint32(bits))
			out = le.AppendUint32(out, uint32(len(name)))
			out = append(out, name...)
		case KindStep:
			out, err = serveStep(impl, br, buf, out[:0], h.id)
			if err != nil {
				return err
			}
		default:
			return fmt.Errorf("extstep: unexpected frame kind %d", h.kind)
		}
		if _, err := bw.Write(out); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
	}
}

func serveStep(impl model.Stepper, r io.Reader, buf, out []byte, id uint64) ([]byte, error) {
	N, err := readU32(r, buf)
	if err != nil {
		return nil, err
	}
	k, err := readU32(r, buf)
	if err != nil {
		return nil, err
	}
	if N < 1 || N > maxLayers || k < 1 || k > MaxBatchLimit {
		return nil, fmt.Errorf("extstep: request with N = %d, k = %d", N, k)
	}
	var eb [1]float64
	if err := readF64s(r, buf, eb[:]); err != nil {
		return nil, err
	}
	eta := eb[0]
	dims := make([]int, N+1)
	for j := range dims {
		d, err := readU32(r, buf)
		if err != nil {
			return nil, err
		}
		if d < 1 || d > maxDim {
			return nil, fmt.Errorf("extstep: request with d_%d = %d", j, d)
		}
		dims[j] = int(d)
	}
	phiData := make([]float64, dims[N]*dims[0])
	if err := readF64s(r, buf, phiData); err != nil {
		return nil, err
	}
	layers := make([]mat.Matrix, N)
	for j := 1; j <= int(N); j++ {
		data := make([]float64, dims[j]*dims[j-1])
		if err := readF64s(r, buf, data); err != nil {
			return nil, err
		}
		layers[j-1] = mat.NewDense(dims[j], dims[j-1], data)
	}
	phi := mat.NewDense(dims[N], dims[0], phiData)
	net, err := model.NewNet(layers)
	if err != nil {
		return errorFrame(out, id, err), nil
	}
	out = putHeader(out, KindStepReply, id)
	out = le.AppendUint32(out, N)
	out = le.AppendUint32(out, k)
	for _, d := range dims {
		out = le.AppendUint32(out, uint32(d))
	}
	var flat []float64
	for i := 0; i < int(k); i++ {
		loss, err := impl.Step(net, phi, eta)
		if err != nil {
			return errorFrame(out[:0], id, fmt.Errorf("step %d of the batch: %w", i+1, err)), nil
		}
		out = le.AppendUint64(out, math.Float64bits(loss))
		flat = flattenNet(flat[:0], net)
		out = appendF64s(out, flat)
	}
	return out, nil
}

func errorFrame(out []byte, id uint64, err error) []byte {
	msg := report.OneLine(err.Error())
	out = putHeader(out, KindError, id)
	out = le.AppendUint32(out, uint32(len(msg)))
	return append(out, msg...)
}
