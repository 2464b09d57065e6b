// Reading YAML through the converter, and merging values files as Helm
// does: maps merge key by key (recursively), a null removes the key, and
// anything else (lists included) replaces the earlier value whole.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
)

// readYAML converts `path` with the yaml2json tool and decodes the JSON
// (numbers stay json.Number, so 8080 prints as 8080).
func readYAML(tool, path string) (interface{}, error) {
	cmd := exec.Command(tool, path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v: %s", tool, path, err, bytes.TrimSpace(stderr.Bytes()))
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	var v interface{}
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%s: the converter's output is not JSON: %v", path, err)
	}
	return v, nil
}

// readValues is readYAML for a file that must hold a map (or nothing).
func readValues(tool, path string) (map[string]interface{}, error) {
	v, err := readYAML(tool, path)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return map[string]interface{}{}, nil
	}
	m, ok := v.(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("%s: values must be a map", path)
	}
	return m, nil
}

// mergeValues merges `over` onto `base` (modifying and returning base).
func mergeValues(base, over map[string]interface{}) map[string]interface{} {
	for k, v := range over {
		if v == nil {
			delete(base, k)
			continue
		}
		if vm, ok := v.(map[string]interface{}); ok {
			if bm, ok := base[k].(map[string]interface{}); ok {
				base[k] = mergeValues(bm, vm)
				continue
			}
		}
		base[k] = v
	}
	return base
}
