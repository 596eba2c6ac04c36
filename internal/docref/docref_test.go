package docref

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/ipctrace/ipctrace/decoders"
)

// repoRoot finds the module root from the test's own directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// slug is GitHub's heading anchor: lower case, letters, digits, '-' and '_'
// kept, spaces turned into '-', everything else dropped.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

var (
	headingRe  = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)
	explicitRe = regexp.MustCompile(`<a id="([^"]+)"></a>`)
	ruleHeadRe = regexp.MustCompile(`^#{2,6}\s+([A-Z]{1,3}[0-9]+)\b`)
	fenceRe    = regexp.MustCompile("^\\s*(```|~~~)")
)

// doc is what one docs/ file offers to citations.
type doc struct {
	anchors map[string]bool
	rules   map[string]bool
	text    string
}

// parseDoc collects the anchors (heading slugs, numbered like GitHub's for
// duplicates, and explicit <a id>) and the rule ids (headings that start
// with an id such as "P4") of a Markdown file.
func parseDoc(text string) doc {
	d := doc{anchors: map[string]bool{}, rules: map[string]bool{}, text: text}
	seen := map[string]int{}
	inFence := false
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if fenceRe.MatchString(line) {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		for _, m := range explicitRe.FindAllStringSubmatch(line, -1) {
			d.anchors[m[1]] = true
		}
		m := headingRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		s := slug(m[1])
		if n := seen[s]; n > 0 {
			d.anchors[s+"-"+strconv.Itoa(n)] = true
		} else {
			d.anchors[s] = true
		}
		seen[s]++
		if r := ruleHeadRe.FindStringSubmatch(line); r != nil {
			d.rules[r[1]] = true
		}
	}
	return d
}

// loadDocs reads every Markdown file of docs/.
func loadDocs(t *testing.T, root string) map[string]doc {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]doc{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs[filepath.Base(f)] = parseDoc(string(b))
	}
	for _, want := range []string{"README.md", "format.md", "events.md", "rules.md"} {
		if _, ok := docs[want]; !ok {
			t.Fatalf("docs/%s is missing", want)
		}
	}
	return docs
}

// citation is one reference found in a source file.
type citation struct {
	where  string // file:line
	file   string // "events.md"
	anchor string // "" when none
	rules  []string
}

var (
	sectionRe = regexp.MustCompile(`docs/([A-Za-z0-9_.-]+?\.md)(?:#([A-Za-z0-9_-]+))?`)
	ruleRefRe = regexp.MustCompile(`docs/rules\.md ([A-Z]{1,3}[0-9]+(?:(?:[–-](?:[A-Z]{1,3})?[0-9]+)|(?:, ?[A-Z]{1,3}[0-9]+))*)`)
	idRe      = regexp.MustCompile(`[A-Z]{0,3}[0-9]+`)
)

// extract finds the citations of one line.
func extract(where, line string) []citation {
	var out []citation
	for _, m := range sectionRe.FindAllStringSubmatchIndex(line, -1) {
		c := citation{where: where, file: line[m[2]:m[3]]}
		if m[4] >= 0 {
			c.anchor = line[m[4]:m[5]]
		}
		out = append(out, c)
	}
	for _, m := range ruleRefRe.FindAllStringSubmatch(line, -1) {
		out = append(out, citation{where: where, file: "rules.md", rules: ruleIDs(m[1])})
	}
	return out
}

// ruleIDs expands "P4–P6, A6" into P4, P5, P6, A6 (and "WM1–WM4" into
// WM1…WM4); a range end without letters ("C1–5") takes the start's.
func ruleIDs(spec string) []string {
	var ids []string
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		ends := idRe.FindAllString(part, -1)
		if len(ends) == 0 {
			continue
		}
		if len(ends) == 1 {
			ids = append(ids, ends[0])
			continue
		}
		letter := strings.TrimRight(ends[0], "0123456789")
		lo, err1 := strconv.Atoi(ends[0][len(letter):])
		hiS := ends[1]
		if hl := strings.TrimRight(hiS, "0123456789"); hl != "" {
			if hl != letter {
				ids = append(ids, ends[0], hiS) // mixed letters: check both ends
				continue
			}
			hiS = hiS[len(hl):]
		}
		hi, err2 := strconv.Atoi(hiS)
		if err1 != nil || err2 != nil || hi < lo || hi-lo > 50 {
			ids = append(ids, ends[0], letter+hiS)
			continue
		}
		for n := lo; n <= hi; n++ {
			ids = append(ids, letter+strconv.Itoa(n))
		}
	}
	return ids
}

// sources returns the module's .go files and README.md, relative to root.
func sources(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		// This package's own files hold deliberately broken citations.
		if strings.HasSuffix(name, ".go") && filepath.Dir(rel) != filepath.Join("internal", "docref") {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, "README.md")
	slices.Sort(out)
	return out
}

// eachLine calls fn for every line of a source file.
func eachLine(t *testing.T, root, rel string, fn func(where, line string)) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(b), "\n") {
		fn(fmt.Sprintf("%s:%d", filepath.ToSlash(rel), i+1), line)
	}
}

// TestCitationsResolve: every docs/ citation in code and README.md names an
// existing file, anchor and rule.
func TestCitationsResolve(t *testing.T) {
	root := repoRoot(t)
	docs := loadDocs(t, root)
	n := 0
	for _, rel := range sources(t, root) {
		eachLine(t, root, rel, func(where, line string) {
			for _, c := range extract(where, line) {
				n++
				d, ok := docs[c.file]
				if !ok {
					t.Errorf("%s: cites docs/%s, which does not exist", c.where, c.file)
					continue
				}
				if c.anchor != "" && !d.anchors[c.anchor] {
					t.Errorf("%s: cites docs/%s#%s: no such section", c.where, c.file, c.anchor)
				}
				for _, id := range c.rules {
					if !d.rules[id] {
						t.Errorf("%s: cites docs/rules.md %s: no such rule", c.where, id)
					}
				}
			}
		})
	}
	if n < 200 {
		t.Errorf("found %d citations; the walk is likely broken (there are several hundred)", n)
	}
}

// TestNoResearchNoteCitations: the research notes are not part of the
// repository, so code and README.md never cite them.
func TestNoResearchNoteCitations(t *testing.T) {
	root := repoRoot(t)
	old := regexp.MustCompile(`\b(EVENTS|ETL-FORMAT|DESIGN)\.md\b`)
	for _, rel := range sources(t, root) {
		eachLine(t, root, rel, func(where, line string) {
			if m := old.FindString(line); m != "" {
				t.Errorf("%s: cites %s, a research note outside the repository: cite docs/ instead", where, m)
			}
		})
	}
}

// TestRuleValuesDocumented: every rule id that code writes into JSON (a
// `Rule: "W1"` or `ID: "C3"` literal) has its section in docs/rules.md.
func TestRuleValuesDocumented(t *testing.T) {
	root := repoRoot(t)
	rules := loadDocs(t, root)["rules.md"].rules
	lit := regexp.MustCompile(`\b(?:Rule|ID)\s*:\s*"([A-Z]{1,3}[0-9]{1,2})"`)
	n := 0
	for _, rel := range sources(t, root) {
		if !strings.HasSuffix(rel, ".go") {
			continue
		}
		eachLine(t, root, rel, func(where, line string) {
			for _, m := range lit.FindAllStringSubmatch(line, -1) {
				n++
				if !rules[m[1]] {
					t.Errorf("%s: rule id %q has no section in docs/rules.md", where, m[1])
				}
			}
		})
	}
	if n == 0 {
		t.Error("no rule id literal found in the code (probes' C1–C5 at least): the scan is broken")
	}
}

// TestEventCatalog: every event the decoder registry holds is listed in
// the catalog of docs/events.md.
func TestEventCatalog(t *testing.T) {
	root := repoRoot(t)
	text := loadDocs(t, root)["events.md"].text
	i := strings.Index(text, "\n## Catalog")
	if i < 0 {
		t.Fatal("docs/events.md has no Catalog section")
	}
	catalog := text[i:]
	for _, e := range decoders.Entries() {
		if !strings.Contains(catalog, "| "+e.Name+" |") {
			t.Errorf("%s (%s) is registered in decoders but missing from docs/events.md#catalog", e.Name, e.Key)
		}
	}
}

// TestParsers pins the slug, anchor and citation rules the other tests
// rely on, including citations that must be rejected.
func TestParsers(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"FileIo V3", "fileio-v3"},
		{"P4 · Pairing by FileKey (H1)", "p4--pairing-by-filekey-h1"},
		{"Kernel-File", "kernel-file"},
		{"ipctrace events", "ipctrace-events"},
	} {
		if got := slug(c.in); got != c.want {
			t.Errorf("slug(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	d := parseDoc("# T\n## Loss\n<a id=\"p4\"></a>\n### P4 · x\n```\n## Not a heading\n```\n## Loss\n")
	for _, a := range []string{"t", "loss", "loss-1", "p4", "p4--x"} {
		if !d.anchors[a] {
			t.Errorf("anchor %q not found in %v", a, d.anchors)
		}
	}
	if d.anchors["not-a-heading"] {
		t.Error("a heading inside a code fence became an anchor")
	}
	if !d.rules["P4"] || len(d.rules) != 1 {
		t.Errorf("rules = %v, want only P4", d.rules)
	}
	cs := extract("x:1", "see docs/rules.md P4–P6, A6 and docs/format.md#clocks, docs/README.md.")
	var got []string
	for _, c := range cs {
		got = append(got, c.file+"#"+c.anchor+strings.Join(c.rules, "+"))
	}
	want := []string{"format.md#clocks", "README.md#", "rules.md#", "rules.md#P4+P5+P6+A6"}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("extract = %q, want %q", got, want)
	}
	if ids := ruleIDs("W1–W6"); len(ids) != 6 || ids[5] != "W6" {
		t.Errorf("ruleIDs(W1–W6) = %v", ids)
	}
	if ids := ruleIDs("C1–5"); len(ids) != 5 || ids[4] != "C5" {
		t.Errorf("ruleIDs(C1–5) = %v", ids)
	}
	// A citation of a rule that does not exist does not resolve.
	rules := parseDoc("### P4 · x\n").rules
	cs = extract("x:1", "docs/rules.md Z9")
	if len(cs) != 2 || len(cs[1].rules) != 1 || rules[cs[1].rules[0]] {
		t.Errorf("docs/rules.md Z9: %+v", cs)
	}
}
