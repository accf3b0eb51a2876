// Package nameidx is a compact set of names that live elsewhere: an open-addressing hash
// table of int32 numbers (of statements, say) whose names a function gives. A million
// names cost 8 MB of slots instead of the 60 to 100 MB of a map[string]T with its
// growth, and no string is stored twice.
package nameidx

import "hash/maphash"

// Index maps names to the numbers of the things that bear them. The zero Index is empty
// and ready to use; NameOf must be set before the first call.
type Index struct {
	// NameOf returns the name of number i (only numbers added are asked for).
	NameOf func(i int32) string

	seed  maphash.Seed
	slots []int32 // number + 1; 0 marks an empty slot
	n     int
}

// Len returns the number of names in x.
func (x *Index) Len() int { return x.n }

// Find returns the number added with name, and whether there is one.
func (x *Index) Find(name string) (int32, bool) {
	if x.n == 0 {
		return 0, false
	}
	mask := uint64(len(x.slots) - 1)
	for h := maphash.String(x.seed, name) & mask; ; h = (h + 1) & mask {
		v := x.slots[h]
		if v == 0 {
			return 0, false
		}
		if x.NameOf(v-1) == name {
			return v - 1, true
		}
	}
}

// Add adds number i under name, unless the name is there already: then it returns the
// number added with it first, and false.
func (x *Index) Add(name string, i int32) (int32, bool) {
	if 2*(x.n+1) > len(x.slots) {
		x.grow()
	}
	mask := uint64(len(x.slots) - 1)
	for h := maphash.String(x.seed, name) & mask; ; h = (h + 1) & mask {
		v := x.slots[h]
		if v == 0 {
			x.slots[h] = i + 1
			x.n++
			return i, true
		}
		if x.NameOf(v-1) == name {
			return v - 1, false
		}
	}
}

// Reserve makes room for n names in all without growing.
func (x *Index) Reserve(n int) {
	for 2*n > len(x.slots) {
		x.grow()
	}
}

// grow doubles the table (its load stays at most one half) and puts every number back.
func (x *Index) grow() {
	if len(x.slots) == 0 {
		x.seed = maphash.MakeSeed()
	}
	old := x.slots
	x.slots = make([]int32, max(16, 2*len(old)))
	mask := uint64(len(x.slots) - 1)
	for _, v := range old {
		if v == 0 {
			continue
		}
		h := maphash.String(x.seed, x.NameOf(v-1)) & mask
		for x.slots[h] != 0 {
			h = (h + 1) & mask
		}
		x.slots[h] = v
	}
}

// All calls yield with every number in x, in no particular order.
func (x *Index) All(yield func(i int32) bool) {
	for _, v := range x.slots {
		if v != 0 && !yield(v-1) {
			return
		}
	}
}
