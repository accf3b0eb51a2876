package nameidx

import (
	"fmt"
	"testing"
)

func TestIndex(t *testing.T) {
	var names []string
	x := Index{NameOf: func(i int32) string { return names[i] }}
	if _, ok := x.Find("a"); ok {
		t.Fatal("empty index finds a name")
	}
	for i := range 5000 {
		names = append(names, fmt.Sprint("n", i%3000))
		first, ok := x.Add(names[i], int32(i))
		if want := i < 3000; ok != want {
			t.Fatalf("Add(%q, %d) = %v, want %v", names[i], i, ok, want)
		}
		if !ok && int(first) != i-3000 {
			t.Fatalf("Add(%q, %d): first %d, want %d", names[i], i, first, i-3000)
		}
	}
	if x.Len() != 3000 {
		t.Fatalf("Len = %d, want 3000", x.Len())
	}
	for i := range 3000 {
		if j, ok := x.Find(fmt.Sprint("n", i)); !ok || int(j) != i {
			t.Fatalf("Find(n%d) = %d, %v", i, j, ok)
		}
	}
	if _, ok := x.Find("n3000"); ok {
		t.Fatal("found a name never added")
	}
}

func TestReserve(t *testing.T) {
	var names []string
	x := Index{NameOf: func(i int32) string { return names[i] }}
	x.Add("a", 0)
	names = append(names, "a")
	x.Reserve(1000)
	size := len(x.slots)
	for i := 1; i < 1000; i++ {
		names = append(names, fmt.Sprint("n", i))
		x.Add(names[i], int32(i))
	}
	if len(x.slots) != size {
		t.Errorf("the table grew from %d to %d slots after Reserve", size, len(x.slots))
	}
	if j, ok := x.Find("a"); !ok || j != 0 {
		t.Errorf("Find(a) = %d, %v after Reserve", j, ok)
	}
}
