// Unit tests of the renderer's pieces: Helm's values merge, the Sprig
// functions and the YAML emitter.
package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func decode(t *testing.T, s string) map[string]interface{} {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]interface{}
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMergeValues(t *testing.T) {
	base := decode(t, `{"a":{"x":1,"y":[1,2],"z":"keep"},"b":true,"c":"gone"}`)
	over := decode(t, `{"a":{"x":2,"y":[3]},"c":null,"d":{"n":1}}`)
	got, _ := json.Marshal(mergeValues(base, over))
	want := `{"a":{"x":2,"y":[3],"z":"keep"},"b":true,"d":{"n":1}}`
	if string(got) != want {
		t.Errorf("merge = %s, want %s", got, want)
	}
}

func TestDefaultQuoteIndentRequired(t *testing.T) {
	if got := defaultValue("d", ""); got != "d" {
		t.Errorf(`default "d" "" = %v`, got)
	}
	if got := defaultValue("d", json.Number("0")); got != "d" {
		t.Errorf(`default "d" 0 = %v`, got)
	}
	if got := defaultValue("d", "v"); got != "v" {
		t.Errorf(`default "d" "v" = %v`, got)
	}
	if got := defaultValue("d", false); got != "d" {
		t.Errorf(`default "d" false = %v`, got)
	}
	if got := quote("a\"b", nil, json.Number("8080")); got != `"a\"b" "8080"` {
		t.Errorf("quote = %s", got)
	}
	if got := nindent(2, "a\nb"); got != "\n  a\n  b" {
		t.Errorf("nindent = %q", got)
	}
	if _, err := required("need x", ""); err == nil || err.Error() != "need x" {
		t.Errorf("required on \"\" = %v", err)
	}
	if v, err := required("need x", "x"); err != nil || v != "x" {
		t.Errorf("required on x = %v, %v", v, err)
	}
}

func TestToYAML(t *testing.T) {
	v := decode(t, `{
	  "env": [{"name": "WITH_REBOOT", "value": "true"}, {"name": "N", "value": "8080"}],
	  "empty": {}, "none": [], "null": null, "port": 8080, "on": true,
	  "nested": {"list": [[1, 2], "a: b", "-x", ""], "text": "line 1\n\nline 3"},
	  "clip": "a\n", "keep": "a\n\n", "plain": "hello world"}`)
	want := `clip: |
  a
empty: {}
env:
- name: WITH_REBOOT
  value: "true"
- name: "N"
  value: "8080"
keep: |+
  a

nested:
  list:
  - - 1
    - 2
  - "a: b"
  - "-x"
  - ""
  text: |-
    line 1

    line 3
none: []
"null": null
"on": true
plain: hello world
port: 8080
`
	if got := toYAML(v); got != want {
		t.Errorf("toYAML =\n%s\nwant\n%s", got, want)
	}
	if !reflect.DeepEqual(toYAMLFunc(map[string]interface{}{}), "{}") {
		t.Errorf("toYaml of {} = %q", toYAMLFunc(map[string]interface{}{}))
	}
}

func TestSortByInstallOrder(t *testing.T) {
	ms := []manifest{
		{"t/a.yaml", "kind: ServiceMonitor"},
		{"t/b.yaml", "kind: DaemonSet"},
		{"t/c.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}"},
		{"t/d.yaml", "kind: Alpha"},
		{"t/e.yaml", "kind: ServiceAccount"},
		{"t/f.yaml", "kind: ConfigMap\nmetadata: {name: two}"},
	}
	sortByInstallOrder(ms)
	var got []string
	for _, m := range ms {
		got = append(got, m.source)
	}
	want := []string{"t/e.yaml", "t/c.yaml", "t/f.yaml", "t/b.yaml", "t/d.yaml", "t/a.yaml"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
}
