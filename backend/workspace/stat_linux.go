package workspace

import (
	"io/fs"
	"syscall"
	"time"
)

// sysKey returns the device, inode and ctime of fi.
func sysKey(fi fs.FileInfo) (dev, ino uint64, ctime int64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), st.Ino, time.Unix(st.Ctim.Sec, st.Ctim.Nsec).UnixNano() //nolint:unconvert // Dev is uint32 on some arches
	}
	return 0, 0, 0
}

// Magic numbers of file systems whose changes made elsewhere produce no inotify events.
var pollingFS = map[int64]string{
	0x6969:     "nfs",
	0x517B:     "smb",
	0xFF534D42: "cifs",
	0xFE534D42: "smb2",
	0x01021997: "9p",
	0x00C36400: "ceph",
	0x5346414F: "afs",
	0x0BD00BD0: "lustre",
	0x47504653: "gpfs",
	0x65735546: "fuse",
}

// networkFS reports whether dir is on a file system that gives no events for changes made
// by other machines, so it must be rescanned.
func networkFS(dir string) bool {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return false
	}
	_, ok := pollingFS[int64(st.Type)] //nolint:unconvert // Type is int32 on some arches
	return ok
}
