// A YAML emitter for JSON-like values (maps, lists, strings, json.Number,
// bools, nil), in the style of sigs.k8s.io/yaml that Helm's toYaml uses:
// sorted keys, two-space indentation, lists under a key not indented,
// multi-line strings as literal blocks, strings quoted only where a plain
// scalar would read back as something else.
package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

func toYAML(v interface{}) string {
	var b strings.Builder
	switch t := v.(type) {
	case map[string]interface{}:
		if len(t) == 0 {
			return "{}\n"
		}
		writeMap(&b, t, 0)
	case []interface{}:
		if len(t) == 0 {
			return "[]\n"
		}
		writeList(&b, t, 0)
	default:
		if s, ok := v.(string); ok && isBlock(s) {
			writeBlock(&b, s, 0)
		} else {
			b.WriteString(scalar(v) + "\n")
		}
	}
	return b.String()
}

func spaces(n int) string { return strings.Repeat(" ", n) }

func writeMap(b *strings.Builder, m map[string]interface{}, indent int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(spaces(indent) + scalar(k) + ":")
		writeAfterKey(b, m[k], indent)
	}
}

// writeAfterKey writes a map value after "key:".
func writeAfterKey(b *strings.Builder, v interface{}, indent int) {
	switch t := v.(type) {
	case map[string]interface{}:
		if len(t) > 0 {
			b.WriteString("\n")
			writeMap(b, t, indent+2)
			return
		}
	case []interface{}:
		if len(t) > 0 {
			b.WriteString("\n")
			writeList(b, t, indent)
			return
		}
	case string:
		if isBlock(t) {
			b.WriteString(" ")
			writeBlock(b, t, indent+2)
			return
		}
	}
	b.WriteString(" " + scalar(v) + "\n")
}

func writeList(b *strings.Builder, l []interface{}, indent int) {
	for _, item := range l {
		b.WriteString(spaces(indent) + "-")
		var nested strings.Builder
		switch t := item.(type) {
		case map[string]interface{}:
			if len(t) > 0 {
				writeMap(&nested, t, indent+2)
			}
		case []interface{}:
			if len(t) > 0 {
				writeList(&nested, t, indent+2)
			}
		case string:
			if isBlock(t) {
				b.WriteString(" ")
				writeBlock(b, t, indent+2)
				continue
			}
		}
		if nested.Len() > 0 {
			// The first line goes on the dash's line.
			b.WriteString(" " + strings.TrimPrefix(nested.String(), spaces(indent+2)))
		} else {
			b.WriteString(" " + scalar(item) + "\n")
		}
	}
}

// isBlock: a multi-line string written as a literal block.
func isBlock(s string) bool {
	if !strings.Contains(s, "\n") || strings.HasPrefix(s, " ") ||
		!utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r != '\n' && r != '\t' && (r < 0x20 || r == 0x7f) {
			return false
		}
	}
	return true
}

// writeBlock writes "|", "|-" or "|+" (by the trailing newlines) and the
// lines of s indented by `indent`.
func writeBlock(b *strings.Builder, s string, indent int) {
	switch {
	case strings.HasSuffix(s, "\n\n"):
		b.WriteString("|+\n")
	case strings.HasSuffix(s, "\n"):
		b.WriteString("|\n")
	default:
		b.WriteString("|-\n")
	}
	lines := strings.Split(s, "\n")
	if strings.HasSuffix(s, "\n") {
		lines = lines[:len(lines)-1]
	}
	for _, line := range lines {
		if line == "" {
			b.WriteString("\n")
		} else {
			b.WriteString(spaces(indent) + line + "\n")
		}
	}
}

func scalar(v interface{}) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(t)
	case json.Number:
		return t.String()
	case float64:
		return strconv.FormatFloat(t, 'g', -1, 64)
	case int, int64:
		return fmt.Sprintf("%d", t)
	case string:
		if needsQuotes(t) {
			return strconv.Quote(t)
		}
		return t
	case map[string]interface{}:
		return "{}"
	case []interface{}:
		return "[]"
	default:
		return strconv.Quote(fmt.Sprintf("%v", t))
	}
}

var (
	// Plain scalars that YAML 1.1 (go-yaml v2, what Helm reads with) would
	// resolve to something other than a string.
	reserved = map[string]bool{
		"y": true, "yes": true, "n": true, "no": true, "true": true,
		"false": true, "on": true, "off": true, "null": true, "~": true,
	}
	numberLike = regexp.MustCompile(
		`^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$|` +
			`^[-+]?0[xob][0-9a-fA-F_]+$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$|` +
			`^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$|^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}`)
)

func needsQuotes(s string) bool {
	if s == "" || reserved[strings.ToLower(s)] || numberLike.MatchString(s) {
		return true
	}
	if strings.ContainsAny(s[:1], "-?:,[]{}#&*!|>'\"%@` \t") ||
		strings.HasSuffix(s, " ") || strings.HasSuffix(s, ":") ||
		strings.Contains(s, ": ") || strings.Contains(s, " #") ||
		!utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}
