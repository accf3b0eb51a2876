package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// action is what the test reads of action.yml.
type action struct {
	Name   string `yaml:"name"`
	Inputs map[string]struct {
		Required bool   `yaml:"required"`
		Default  string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			Name  string            `yaml:"name"`
			Run   string            `yaml:"run"`
			Uses  string            `yaml:"uses"`
			Shell string            `yaml:"shell"`
			With  map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

// The GitHub Action in action.yml is valid YAML of a composite action, and every qrun
// command its steps run is one qrun accepts (the subcommand and flags parse) and one
// docs/ci.md documents.
func TestActionYAML(t *testing.T) {
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a action
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Runs.Using != "composite" || len(a.Runs.Steps) == 0 {
		t.Fatalf("action.yml: runs.using %q with %d steps, want a composite action", a.Runs.Using, len(a.Runs.Steps))
	}
	for _, in := range []string{"files", "database-url"} {
		if !a.Inputs[in].Required {
			t.Errorf("input %q should be required", in)
		}
	}
	doc, err := os.ReadFile("../../docs/ci.md")
	if err != nil {
		t.Fatal(err)
	}
	expr := regexp.MustCompile(`\$\{\{\s*inputs\.([a-z-]+)\s*\}\}`)
	commands := 0
	for _, st := range a.Runs.Steps {
		if st.Run != "" && st.Shell != "bash" {
			t.Errorf("step %q: a composite step that runs a script needs shell: bash", st.Name)
		}
		script := expr.ReplaceAllStringFunc(st.Run, func(m string) string {
			name := expr.FindStringSubmatch(m)[1]
			if v := a.Inputs[name].Default; v != "" {
				return v
			}
			return "X" + name
		})
		for _, line := range strings.Split(script, "\n") {
			line = strings.TrimSpace(strings.SplitN(line, "||", 2)[0])
			if !strings.HasPrefix(line, "qrun ") {
				continue
			}
			commands++
			args := strings.Fields(strings.ReplaceAll(line, `"`, ""))[1:]
			root := newRootCmd(&Env{}, nil)
			sub, rest, err := root.Find(args)
			if err != nil {
				t.Errorf("step %q: %q: %v", st.Name, line, err)
				continue
			}
			if err := sub.ParseFlags(rest); err != nil {
				t.Errorf("step %q: qrun does not accept %q: %v", st.Name, line, err)
			}
			word := "qrun"
			if sub != root {
				word += " " + sub.Name()
			}
			if !strings.Contains(string(doc), word) {
				t.Errorf("step %q runs %q, which docs/ci.md does not show", st.Name, word)
			}
		}
	}
	if commands < 3 {
		t.Errorf("action.yml runs %d qrun commands; want the run, the compare/annotation and the HTML report", commands)
	}
}
