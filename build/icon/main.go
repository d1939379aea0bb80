//go:build ignore

// Draws Airlock's application icon (a round airlock hatch with two sliding door leaves and
// a status light) and writes build/appicon.png (1024 px, what Wails expects) and
// build/windows/icon.ico (PNG-compressed entries of 16 to 256 px).
//
//	go run build/icon/main.go   # from the repository root
package main

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
)

type rgba struct{ r, g, b, a float64 }

func hex(c uint32) rgba {
	return rgba{float64(c>>16&0xff) / 255, float64(c>>8&0xff) / 255, float64(c&0xff) / 255, 1}
}

var (
	background = hex(0x1d3557)
	ring       = hex(0xa8b2bd)
	ringShade  = hex(0x6c7a89)
	well       = hex(0x0f1b2d)
	leaf       = hex(0xe9eef2)
	leafShade  = hex(0xc5d0da)
	handle     = hex(0x34495e)
	stripe     = hex(0xf4b400)
	light      = hex(0x4ade80)
)

// shade returns the colour of the icon at (x, y) in unit coordinates, transparent outside.
func shade(x, y float64) rgba {
	// rounded-square background
	const radius = 0.2
	dx := math.Max(math.Max(radius-x, x-(1-radius)), 0)
	dy := math.Max(math.Max(radius-y, y-(1-radius)), 0)
	if dx*dx+dy*dy > radius*radius {
		return rgba{}
	}
	const cx, cy = 0.5, 0.56
	d := math.Hypot(x-cx, y-cy)
	// status light above the hatch
	if math.Hypot(x-cx, y-0.11) < 0.04 {
		return light
	}
	switch {
	case d > 0.38:
		return background
	case d > 0.34:
		if y > cy { // lower half of the frame in shadow
			return ringShade
		}
		return ring
	case d > 0.315:
		return well
	}
	// the two door leaves, parted by a gap, each with a handle and a hazard stripe
	gap := 0.014
	if math.Abs(x-cx) < gap {
		return well
	}
	edge := math.Abs(x-cx) - gap // distance from the leaf's inner edge
	if edge < 0.035 {
		if int(math.Floor((y+x*0.6)/0.045))%2 == 0 {
			return stripe
		}
		return well
	}
	if math.Abs(y-cy) < 0.022 && edge > 0.09 && edge < 0.2 {
		return handle
	}
	if y > cy+0.12 {
		return leafShade
	}
	return leaf
}

// render draws the icon at size px, 4x4 samples per pixel.
func render(size int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const n = 4
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var acc rgba
			for sy := 0; sy < n; sy++ {
				for sx := 0; sx < n; sx++ {
					c := shade((float64(px)+(float64(sx)+0.5)/n)/float64(size), (float64(py)+(float64(sy)+0.5)/n)/float64(size))
					acc.r += c.r * c.a
					acc.g += c.g * c.a
					acc.b += c.b * c.a
					acc.a += c.a
				}
			}
			if acc.a == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{
				R: uint8(math.Round(acc.r / acc.a * 255)), G: uint8(math.Round(acc.g / acc.a * 255)),
				B: uint8(math.Round(acc.b / acc.a * 255)), A: uint8(math.Round(acc.a / n / n * 255)),
			})
		}
	}
	return img
}

func encode(img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

// ico packs PNG images into an ICO file (PNG entries are valid since Windows Vista).
func ico(sizes []int) []byte {
	var head, body bytes.Buffer
	w := func(v any) { _ = binary.Write(&head, binary.LittleEndian, v) }
	w(uint16(0))
	w(uint16(1))
	w(uint16(len(sizes)))
	offset := 6 + 16*len(sizes)
	for _, s := range sizes {
		data := encode(render(s))
		dim := uint8(s)
		if s >= 256 {
			dim = 0
		}
		w(dim)
		w(dim)
		w(uint8(0))
		w(uint8(0))
		w(uint16(1))
		w(uint16(32))
		w(uint32(len(data)))
		w(uint32(offset + body.Len()))
		body.Write(data)
	}
	return append(head.Bytes(), body.Bytes()...)
}

func main() {
	if err := os.WriteFile("build/appicon.png", encode(render(1024)), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll("build/windows", 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("build/windows/icon.ico", ico([]int{16, 24, 32, 48, 64, 128, 256}), 0o644); err != nil {
		log.Fatal(err)
	}
}
