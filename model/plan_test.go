package model_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dlnverify/dlnverify/model"
)

func TestMeasureStepRate(t *testing.T) {
	r, err := model.MeasureStepRate(model.NewFast(), []int{4, 4, 4, 4}, 20*time.Millisecond)
	require.NoError(t, err)
	require.Positive(t, r.PerSecond)
	require.Positive(t, r.BatchPerSecond)
	require.Equal(t, model.BatchLanesFor([]int{4, 4, 4, 4}), r.BatchLanes)
	single, batched := r.WallTime(1e6)
	require.InDelta(t, 1e6/r.PerSecond, single, 1e-9*single)
	require.InDelta(t, 1e6/r.BatchPerSecond, batched, 1e-9*batched)
	for _, bad := range []float64{math.NaN(), math.Inf(1), -1} {
		s, b := r.WallTime(bad)
		require.True(t, math.IsNaN(s) && math.IsNaN(b), "T = %v", bad)
		require.Contains(t, r.Summary(bad), "undefined")
	}
	sum := r.Summary(3e9)
	require.True(t, strings.HasPrefix(sum, "3e+09 steps: "), sum)
	require.Contains(t, sum, "(fast, measured)")
	t.Log(sum)
	_, err = model.MeasureStepRate(model.NewFast(), []int{3}, time.Millisecond)
	require.Error(t, err)
	_, err = model.MeasureStepRate(nil, []int{3, 3}, time.Millisecond)
	require.Error(t, err)
	_, err = model.MeasureStepRate(model.NewFast(), []int{3, 3}, 0)
	require.Error(t, err)
}
