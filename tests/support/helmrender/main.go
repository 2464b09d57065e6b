// helmrender renders a Helm chart the way `helm template` does, for tests on
// machines where Helm cannot be installed: standard library only.
//
//	helmrender --yaml2json TOOL [--release NAME] [--namespace NS]
//	           [-f values.yaml]... [--notes] CHART_DIR
//
// It loads CHART_DIR/Chart.yaml and values.yaml, merges the -f files over
// them in order (values.go), renders every file of templates/ with
// text/template and the chart functions of funcs.go, and prints the
// manifests as one multi-document YAML stream in Helm's install order by
// kind ("# Source:" comments as Helm prints them), or with --notes only the
// rendered NOTES.txt. YAML is read
// through TOOL (tests/support/yaml2json.cc), which converts a YAML file to
// JSON on stdout: Go's standard library has no YAML parser.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// valueFiles collects repeated -f flags.
type valueFiles []string

func (v *valueFiles) String() string     { return strings.Join(*v, ",") }
func (v *valueFiles) Set(s string) error { *v = append(*v, s); return nil }

func main() {
	var files valueFiles
	yaml2json := flag.String("yaml2json", "", "YAML-to-JSON converter")
	release := flag.String("release", "migctl", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	notes := flag.Bool("notes", false, "print the rendered NOTES.txt only")
	flag.Var(&files, "f", "values file (repeatable; later files win)")
	flag.Parse()
	if flag.NArg() != 1 || *yaml2json == "" {
		fmt.Fprintln(os.Stderr, "usage: helmrender --yaml2json TOOL [--release NAME] [--namespace NS] [-f values.yaml]... [--notes] CHART_DIR")
		os.Exit(2)
	}
	out, err := Render(RenderOptions{
		ChartDir:   flag.Arg(0),
		ValueFiles: files,
		Release:    *release,
		Namespace:  *namespace,
		Notes:      *notes,
		YAMLToJSON: *yaml2json,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
	fmt.Print(out)
}
