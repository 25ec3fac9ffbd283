package main

import "runtime/debug"

// version is set at release time with -ldflags "-X main.version=v1.2.3".
var version = ""

// versionString returns the release version, or the module version and VCS
// revision recorded by the Go toolchain for development builds.
func versionString() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	v := info.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += "+" + s.Value[:12]
		}
	}
	return v
}
