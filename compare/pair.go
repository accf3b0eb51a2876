package compare

import (
	"fmt"

	"github.com/qrunhq/qrun/result"
)

// match is what one query of the new report was paired with.
type match struct {
	base    int  // the index of its base query, or -1: added
	changed bool // the SQL differs beyond whitespace, comments and case
	// ambiguous, when set, says why the pairing is a guess.
	ambiguous string
}

// pairing pairs the queries of base and new by identity (see Identify): named
// statements by name, unnamed ones by file and fingerprint. Within a group of unnamed
// statements that share a fingerprint, statements with the same normalised text pair
// first, in order, and the rest pair in order. A pair is ambiguous when the group's
// statements of one text, or the group's leftovers, are more than one on a side and do
// not pair one to one: which of them was removed, added or edited is then a guess.
//
// Reports that do not record identities (older qrun versions) are identified from their
// names, files and SQL as IdentifyReport would.
type pairing struct {
	ofNew      []match
	pairedBase []bool
}

func pairQueries(base, new []result.Query) pairing {
	bids, nids := idsOf(base), idsOf(new)
	p := pairing{ofNew: make([]match, len(new)), pairedBase: make([]bool, len(base))}
	for i := range p.ofNew {
		p.ofNew[i].base = -1
	}
	baseGroups := groupIndexes(bids)
	newGroups := groupIndexes(nids)
	var order []string // the groups in new's order, for determinism
	seen := make(map[string]bool, len(newGroups))
	for _, id := range nids {
		if g := groupOf(id); !seen[g] {
			seen[g] = true
			order = append(order, g)
		}
	}
	for _, g := range order {
		bs, ns := baseGroups[g], newGroups[g]
		if len(bs) == 0 {
			continue
		}
		if len(bs) == 1 && len(ns) == 1 {
			p.pair(ns[0], bs[0], changedSQL(&base[bs[0]], &new[ns[0]]), "")
			continue
		}
		p.pairGroup(base, new, bs, ns)
	}
	return p
}

func (p *pairing) pair(n, b int, changed bool, ambiguous string) {
	p.ofNew[n] = match{base: b, changed: changed, ambiguous: ambiguous}
	p.pairedBase[b] = true
}

// pairGroup pairs the statements of one group that has more than one on some side.
func (p *pairing) pairGroup(base, new []result.Query, bs, ns []int) {
	bnorm := make([]string, len(bs))
	byText := make(map[string][]int)
	for i, b := range bs {
		bnorm[i] = NormalizeSQL(base[b].SQL)
		byText[bnorm[i]] = append(byText[bnorm[i]], b)
	}
	newCount := make(map[string]int)
	nnorm := make([]string, len(ns))
	for i, n := range ns {
		nnorm[i] = NormalizeSQL(new[n].SQL)
		newCount[nnorm[i]]++
	}
	// Same text first, in order.
	var leftNew []int
	for i, n := range ns {
		t := nnorm[i]
		cands := byText[t]
		if len(cands) == 0 {
			leftNew = append(leftNew, n)
			continue
		}
		p.pair(n, cands[0], false, "")
		byText[t] = cands[1:]
	}
	// Which same-text pairs are guesses: the text is on some side more than once and
	// the sides do not have it the same number of times.
	baseCount := make(map[string]int)
	for _, t := range bnorm {
		baseCount[t]++
	}
	for i, n := range ns {
		m := &p.ofNew[n]
		if m.base < 0 {
			continue
		}
		t := nnorm[i]
		if b, nn := baseCount[t], newCount[t]; b != nn && max(b, nn) > 1 {
			m.ambiguous = ambiguity(b, nn)
		}
	}
	// The rest in order: edited statements.
	var leftBase []int
	for _, b := range bs {
		if !p.pairedBase[b] {
			leftBase = append(leftBase, b)
		}
	}
	why := ""
	if len(leftBase) > 1 || len(leftNew) > 1 {
		why = ambiguity(len(leftBase), len(leftNew))
	}
	for i := range min(len(leftBase), len(leftNew)) {
		p.pair(leftNew[i], leftBase[i], true, why)
	}
}

func ambiguity(inBase, inNew int) string {
	return fmt.Sprintf("ambiguous (%d like it in base, %d in new): not gated", inBase, inNew)
}

// changedSQL reports whether the SQL of two paired queries differs beyond whitespace,
// comments and case.
func changedSQL(b, n *result.Query) bool {
	return b.SQL != n.SQL && NormalizeSQL(b.SQL) != NormalizeSQL(n.SQL)
}

// idsOf returns the identities of qs: their IDs when every query has one, else
// identities derived as IdentifyReport derives them.
func idsOf(qs []result.Query) []string {
	ids := make([]string, len(qs))
	for i := range qs {
		if qs[i].ID == "" {
			return identities(qs, func(i int) bool { return LooksNamed(&qs[i]) })
		}
		ids[i] = qs[i].ID
	}
	return ids
}

// groupIndexes maps each group of ids to the indexes of its members, in order.
func groupIndexes(ids []string) map[string][]int {
	m := make(map[string][]int, len(ids))
	for i, id := range ids {
		g := groupOf(id)
		m[g] = append(m[g], i)
	}
	return m
}
