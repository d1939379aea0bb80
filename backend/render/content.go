package render

import (
	"path"
	"strings"
)

// contentTypes maps lower-case extensions to the Content-Type a file is served with. The
// table is fixed (not the machine's MIME database) so every server answers alike.
var contentTypes = map[string]string{
	".csv":  "text/csv; charset=utf-8",
	".tsv":  "text/tab-separated-values; charset=utf-8",
	".txt":  "text/plain; charset=utf-8",
	".log":  "text/plain; charset=utf-8",
	".md":   "text/markdown; charset=utf-8",
	".yaml": "text/plain; charset=utf-8",
	".yml":  "text/plain; charset=utf-8",
	".json": "application/json; charset=utf-8",
	".html": "text/html; charset=utf-8",
	".htm":  "text/html; charset=utf-8",
	".svg":  "image/svg+xml",
	".svgz": "image/svg+xml",
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".gif":  "image/gif",
	".webp": "image/webp",
	".pdf":  "application/pdf",
}

// PlainText is the Content-Type of the plain-text view of any file.
const PlainText = "text/plain; charset=utf-8"

// ContentType is the Content-Type for serving the file at p, chosen by its extension
// (case-insensitively); text types carry charset=utf-8. Unknown types are
// application/octet-stream, which browsers never render as a page.
func ContentType(p string) string {
	if ct, ok := contentTypes[strings.ToLower(path.Ext(p))]; ok {
		return ct
	}
	return "application/octet-stream"
}

// ContentEncoding is the Content-Encoding a file must be served with: "gzip" for .svgz
// (a gzipped SVG), else "".
func ContentEncoding(p string) string {
	if strings.EqualFold(path.Ext(p), ".svgz") {
		return "gzip"
	}
	return ""
}

// IsCSV reports whether p is a CSV file, for the table and summary views.
func IsCSV(p string) bool { return strings.EqualFold(path.Ext(p), ".csv") }

// IsLog reports whether p is a log file, shown truncated.
func IsLog(p string) bool { return strings.EqualFold(path.Ext(p), ".log") }
