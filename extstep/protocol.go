package extstep

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// Protocol constants. Every frame starts with the 20-byte header
//
//	magic "DLNV" | version u32 | kind u32 | request id u64
//
// all little-endian; docs/external.md is the specification.
const (
	Magic   = "DLNV"
	Version = 1

	headerLen = 20

	KindHello      = 1 // client → peer: header only
	KindHelloReply = 2 // peer → client: precision u32 (64 or 32), name length u32, name (UTF-8)
	KindStep       = 3 // client → peer: N u32, k u32, η f64, d_0..d_N u32, Φ, W_1..W_N
	KindStepReply  = 4 // peer → client: N u32, k u32, d_0..d_N u32, then k × (ℓ f64, W_1..W_N)
	KindError      = 5 // peer → client: length u32, message (UTF-8)

	// maxDim and maxLayers bound what a frame may declare, so a malformed
	// header cannot make the reader allocate without limit.
	maxDim    = 1 << 12
	maxLayers = 1 << 8
	maxText   = 1 << 12
	// MaxBatchLimit is the largest k a request may carry.
	MaxBatchLimit = 1 << 16
)

var le = binary.LittleEndian

func putHeader(b []byte, kind uint32, id uint64) []byte {
	b = append(b, Magic...)
	b = le.AppendUint32(b, Version)
	b = le.AppendUint32(b, kind)
	return le.AppendUint64(b, id)
}

// header is a decoded frame header.
type header struct {
	version, kind uint32
	id            uint64
}

func readHeader(r io.Reader, buf []byte) (header, error) {
	if _, err := io.ReadFull(r, buf[:headerLen]); err != nil {
		return header{}, err
	}
	if string(buf[:4]) != Magic {
		return header{}, fmt.Errorf("%w: bad magic %q (want %q; does the peer print to stdout?)", errMalformed, buf[:4], Magic)
	}
	return header{version: le.Uint32(buf[4:]), kind: le.Uint32(buf[8:]), id: le.Uint64(buf[12:])}, nil
}

func readU32(r io.Reader, buf []byte) (uint32, error) {
	if _, err := io.ReadFull(r, buf[:4]); err != nil {
		return 0, err
	}
	return le.Uint32(buf), nil
}

func readF64s(r io.Reader, buf []byte, dst []float64) error {
	for len(dst) > 0 {
		m := min(len(dst), len(buf)/8)
		if _, err := io.ReadFull(r, buf[:8*m]); err != nil {
			return err
		}
		for i := 0; i < m; i++ {
			dst[i] = math.Float64frombits(le.Uint64(buf[8*i:]))
		}
		dst = dst[m:]
	}
	return nil
}

func appendF64s(b []byte, v []float64) []byte {
	for _, x := range v {
		b = le.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

func readText(r io.Reader, buf []byte) (string, error) {
	n, err := readU32(r, buf)
	if err != nil {
		return "", err
	}
	if n > maxText {
		return "", fmt.Errorf("%w: text of %d bytes (limit %d)", errMalformed, n, maxText)
	}
	s := make([]byte, n)
	if _, err := io.ReadFull(r, s); err != nil {
		return "", err
	}
	return string(s), nil
}

// layerSize is Σ_j d_j·d_{j−1}.
func layerSize(dims []int) int {
	s := 0
	for j := 1; j < len(dims); j++ {
		s += dims[j] * dims[j-1]
	}
	return s
}
