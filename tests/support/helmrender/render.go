// Rendering a chart: the built-in objects (.Values, .Release, .Chart,
// .Capabilities), one template set of every file under templates/, and the
// output in `helm template`'s form.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"
)

type RenderOptions struct {
	ChartDir   string
	ValueFiles []string
	Release    string
	Namespace  string
	Notes      bool
	YAMLToJSON string
}

// apiVersions is .Capabilities.APIVersions: the groups/versions the stand-in
// API server serves.
type apiVersions []string

func (a apiVersions) Has(v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

type kubeVersion struct{ Version, Major, Minor, GitVersion string }

type capabilities struct {
	KubeVersion kubeVersion
	APIVersions apiVersions
}

// chartObject maps Chart.yaml's keys to Helm's .Chart field names.
func chartObject(meta map[string]interface{}) (map[string]interface{}, error) {
	fields := map[string]string{
		"apiVersion": "APIVersion", "name": "Name", "version": "Version",
		"appVersion": "AppVersion", "description": "Description",
		"type": "Type", "kubeVersion": "KubeVersion", "home": "Home",
		"keywords": "Keywords", "icon": "Icon",
	}
	out := map[string]interface{}{}
	for k, v := range meta {
		if f, ok := fields[k]; ok {
			out[f] = v
		}
	}
	if s, _ := out["Name"].(string); s == "" {
		return nil, fmt.Errorf("Chart.yaml: name is required")
	}
	if s, _ := out["Version"].(string); s == "" {
		return nil, fmt.Errorf("Chart.yaml: version is required")
	}
	return out, nil
}

func Render(o RenderOptions) (string, error) {
	meta, err := readValues(o.YAMLToJSON, filepath.Join(o.ChartDir, "Chart.yaml"))
	if err != nil {
		return "", err
	}
	chart, err := chartObject(meta)
	if err != nil {
		return "", err
	}
	values := map[string]interface{}{}
	defaults := filepath.Join(o.ChartDir, "values.yaml")
	if _, err := os.Stat(defaults); err == nil {
		if values, err = readValues(o.YAMLToJSON, defaults); err != nil {
			return "", err
		}
	}
	for _, f := range o.ValueFiles {
		over, err := readValues(o.YAMLToJSON, f)
		if err != nil {
			return "", err
		}
		values = mergeValues(values, over)
	}
	top := map[string]interface{}{
		"Values": values,
		"Chart":  chart,
		"Release": map[string]interface{}{
			"Name": o.Release, "Namespace": o.Namespace, "Service": "Helm",
			"IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Capabilities": capabilities{
			KubeVersion: kubeVersion{"v1.32.0", "1", "32", "v1.32.0"},
			APIVersions: apiVersions{"v1", "apps/v1",
				"rbac.authorization.k8s.io/v1", "monitoring.coreos.com/v1"},
		},
	}

	dir := filepath.Join(o.ChartDir, "templates")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var root *template.Template
	root = template.New("chart").Option("missingkey=zero").Funcs(funcMap(&root))
	prefix := chart["Name"].(string) + "/templates/"
	for _, n := range names {
		text, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return "", err
		}
		if _, err := root.New(prefix + n).Parse(string(text)); err != nil {
			return "", err
		}
	}

	var out strings.Builder
	var manifests []manifest
	for _, n := range names {
		if strings.HasPrefix(n, "_") || (n == "NOTES.txt") != o.Notes {
			continue
		}
		var b strings.Builder
		if err := root.ExecuteTemplate(&b, prefix+n, top); err != nil {
			return "", err
		}
		text := strings.ReplaceAll(b.String(), "<no value>", "")
		if o.Notes {
			out.WriteString(text)
			continue
		}
		for _, doc := range documentSeparator.Split(text, -1) {
			if doc = strings.TrimSpace(doc); doc != "" {
				manifests = append(manifests, manifest{prefix + n, doc})
			}
		}
	}
	sortByInstallOrder(manifests)
	for _, m := range manifests {
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", m.source, m.text)
	}
	return out.String(), nil
}

// manifest is one rendered YAML document and the template it came from.
type manifest struct{ source, text string }

var (
	documentSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)
	kindLine          = regexp.MustCompile(`(?m)^kind:[ \t]*"?([A-Za-z]+)"?[ \t]*$`)
	// Helm's InstallOrder (pkg/releaseutil/kind_sorter.go): the order
	// `helm template` prints and `helm install` creates objects in.
	installOrder = []string{"PriorityClass", "Namespace", "NetworkPolicy",
		"ResourceQuota", "LimitRange", "PodSecurityPolicy",
		"PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList",
		"ConfigMap", "StorageClass", "PersistentVolume",
		"PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
		"ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList",
		"Role", "RoleList", "RoleBinding", "RoleBindingList", "Service",
		"DaemonSet", "Pod", "ReplicationController", "ReplicaSet",
		"Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job",
		"CronJob", "IngressClass", "Ingress", "APIService"}
)

// sortByInstallOrder orders manifests by kind as Helm does: known kinds in
// installOrder, unknown kinds after them by name; ties keep template order.
func sortByInstallOrder(ms []manifest) {
	rank := func(m manifest) (int, string) {
		kind := ""
		if k := kindLine.FindStringSubmatch(m.text); k != nil {
			kind = k[1]
		}
		for i, known := range installOrder {
			if known == kind {
				return i, kind
			}
		}
		return len(installOrder), kind
	}
	sort.SliceStable(ms, func(i, j int) bool {
		ri, ki := rank(ms[i])
		rj, kj := rank(ms[j])
		if ri != rj {
			return ri < rj
		}
		return ri == len(installOrder) && ki < kj
	})
}
