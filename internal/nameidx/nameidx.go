// Package nameidx is a compact set of names that live elsewhere: an open-addressing hash
// table of int32 numbers (of statements, say) whose names a function gives. It costs 11
// to 21 bytes a name, where a map[string]T costs 60 to 100 with its growth, and no
// string is stored twice.
package nameidx

import "hash/maphash"

// Index maps names to the numbers of the things that bear them. The zero Index is empty
// and ready to use; NameOf must be set before the first call.
type Index struct {
	// NameOf returns the name of number i (only numbers added are asked for).
	NameOf func(i int32) string

	seed  maphash.Seed
	slots []slot
	n     int
}

// slot holds a number and 32 bits of its name's hash: they place it in the table when
// it grows, and they spare a look at the name (a cache miss, most likely) for almost
// every other name that probes the slot.
type slot struct {
	hash uint32
	num  int32 // number + 1; 0 marks an empty slot
}

// Len returns the number of names in x.
func (x *Index) Len() int { return x.n }

func (x *Index) hash(name string) uint32 { return uint32(maphash.String(x.seed, name)) }

// Find returns the number added with name, and whether there is one.
func (x *Index) Find(name string) (int32, bool) {
	if x.n == 0 {
		return 0, false
	}
	h := x.hash(name)
	mask := uint32(len(x.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s.num == 0 {
			return 0, false
		}
		if s.hash == h && x.NameOf(s.num-1) == name {
			return s.num - 1, true
		}
	}
}

// Add adds number i under name, unless the name is there already: then it returns the
// number added with it first, and false.
func (x *Index) Add(name string, i int32) (int32, bool) {
	if 4*(x.n+1) > 3*len(x.slots) {
		x.grow()
	}
	h := x.hash(name)
	mask := uint32(len(x.slots) - 1)
	for j := h & mask; ; j = (j + 1) & mask {
		s := x.slots[j]
		if s.num == 0 {
			x.slots[j] = slot{hash: h, num: i + 1}
			x.n++
			return i, true
		}
		if s.hash == h && x.NameOf(s.num-1) == name {
			return s.num - 1, false
		}
	}
}

// Reserve makes room for n names in all, so that adding them does not grow x.
func (x *Index) Reserve(n int) {
	size := max(16, len(x.slots))
	for 4*n > 3*size {
		size *= 2
	}
	if size > len(x.slots) {
		x.resize(size)
	}
}

// grow doubles the table (its load stays at most three quarters: the hashes in the slots
// keep long probes cheap) and puts every number back.
func (x *Index) grow() { x.resize(max(16, 2*len(x.slots))) }

// resize makes the table size slots (a power of two) and puts every number back.
func (x *Index) resize(size int) {
	if len(x.slots) == 0 {
		x.seed = maphash.MakeSeed()
	}
	old := x.slots
	if size > 1<<31 {
		panic("nameidx: too many names")
	}
	x.slots = make([]slot, size)
	mask := uint32(len(x.slots) - 1)
	for _, s := range old {
		if s.num == 0 {
			continue
		}
		j := s.hash & mask
		for x.slots[j].num != 0 {
			j = (j + 1) & mask
		}
		x.slots[j] = s
	}
}
