// The chart functions the migctl chart uses, with Sprig's semantics as Helm
// provides them: default, quote, toYaml, include, indent, nindent, required.
// text/template adds printf, eq, and, or, not, len, index.
package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"text/template"
)

// funcMap returns the functions; include renders from `root`, the template
// set being built.
func funcMap(root **template.Template) template.FuncMap {
	return template.FuncMap{
		"default":  defaultValue,
		"quote":    quote,
		"toYaml":   toYAMLFunc,
		"indent":   indent,
		"nindent":  nindent,
		"required": required,
		"include": func(name string, data interface{}) (string, error) {
			var b strings.Builder
			if err := (*root).ExecuteTemplate(&b, name, data); err != nil {
				return "", err
			}
			return b.String(), nil
		},
	}
}

// empty is Sprig's notion of an unset value: nil, false, 0, "" and empty
// collections.
func empty(v interface{}) bool {
	if n, ok := v.(json.Number); ok {
		f, err := n.Float64()
		return err == nil && f == 0
	}
	r := reflect.ValueOf(v)
	if !r.IsValid() {
		return true
	}
	switch r.Kind() {
	case reflect.Array, reflect.Slice, reflect.Map, reflect.String:
		return r.Len() == 0
	case reflect.Bool:
		return !r.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return r.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return r.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return r.Float() == 0
	case reflect.Struct:
		return false
	default:
		return r.IsNil()
	}
}

// defaultValue: `default D V` is V unless V is empty, then D.
func defaultValue(d interface{}, given ...interface{}) interface{} {
	if len(given) == 0 || empty(given[0]) {
		return d
	}
	return given[0]
}

func stringValue(v interface{}) string {
	switch s := v.(type) {
	case string:
		return s
	case fmt.Stringer:
		return s.String()
	default:
		return fmt.Sprintf("%v", v)
	}
}

// quote: each non-nil argument as a Go-quoted string, space separated.
func quote(args ...interface{}) string {
	out := make([]string, 0, len(args))
	for _, a := range args {
		if a != nil {
			out = append(out, strconv.Quote(stringValue(a)))
		}
	}
	return strings.Join(out, " ")
}

func indent(spaces int, s string) string {
	pad := strings.Repeat(" ", spaces)
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
}

func nindent(spaces int, s string) string {
	return "\n" + indent(spaces, s)
}

// required fails the render with `message` when v is nil or "".
func required(message string, v interface{}) (interface{}, error) {
	if v == nil {
		return nil, fmt.Errorf("%s", message)
	}
	if s, ok := v.(string); ok && s == "" {
		return nil, fmt.Errorf("%s", message)
	}
	return v, nil
}

// toYAMLFunc is Helm's toYaml: the YAML without its final newline.
func toYAMLFunc(v interface{}) string {
	return strings.TrimSuffix(toYAML(v), "\n")
}
