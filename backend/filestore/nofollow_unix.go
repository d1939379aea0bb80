//go:build unix

package filestore

import "syscall"

const oNoFollow = syscall.O_NOFOLLOW
