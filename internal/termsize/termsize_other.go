//go:build !windows && !linux && !darwin && !freebsd && !netbsd && !openbsd && !dragonfly

package termsize

import "os"

func width(*os.File) (int, bool) { return 0, false }

func isTerminal(*os.File) bool { return false }
