//go:build !unix

package render

import "time"

// processCPU is not measured here (0: the benchmark reports no CPU figure).
func processCPU() time.Duration { return 0 }
