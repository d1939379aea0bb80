//go:build !unix

package filestore

const oNoFollow = 0
