// Command tilecheck reads a directory published by `vellum tiles` as a C2SP
// tiled transparency log client would, with golang.org/x/mod/sumdb/tlog and
// sumdb/note (Debian golang-golang-x-mod-dev) and no Vellum code.
//
// Usage: tilecheck DIR VKEY < request.json
//
// It opens DIR/checkpoint with the verifier key, reads every leaf hash through
// tlog.TileHashReader (which proves each tile it loads against the checkpoint's
// root), proves and checks inclusion of leaves and consistency with earlier
// checkpoints, and reads the entry bundles if asked. The request:
//
//	{"leaf_hashes": ["<base64>", ...],              // expected leaves 0..size-1 (optional)
//	 "earlier":     [{"size": n, "root": "<base64>"}], // checkpoints to prove consistency with
//	 "entries":     true}                            // also read tile/entries/... bundles
//
// The response on stdout:
//
//	{"origin": "...", "size": n, "root": "<base64>", "leaves_checked": n,
//	 "inclusion_checked": n, "consistency_checked": n, "entries_checked": n}
//
// Any failure exits 1 with a message on stderr.
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type earlier struct {
	Size int64     `json:"size"`
	Root tlog.Hash `json:"root"`
}

type request struct {
	LeafHashes []tlog.Hash `json:"leaf_hashes"`
	Earlier    []earlier   `json:"earlier"`
	Entries    bool        `json:"entries"`
}

type response struct {
	Origin             string    `json:"origin"`
	Size               int64     `json:"size"`
	Root               tlog.Hash `json:"root"`
	LeavesChecked      int       `json:"leaves_checked"`
	InclusionChecked   int       `json:"inclusion_checked"`
	ConsistencyChecked int       `json:"consistency_checked"`
	EntriesChecked     int       `json:"entries_checked"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "tilecheck: "+format+"\n", args...)
	os.Exit(1)
}

// dirTiles serves tiles from the directory. tlog names a tile "tile/8/L/N";
// C2SP leaves the height out ("tile/L/N") and calls level -1 "entries".
type dirTiles struct{ dir string }

func (d dirTiles) Height() int { return 8 }

func c2spPath(t tlog.Tile) string {
	p := t.Path()
	if strings.HasPrefix(p, "tile/8/data/") {
		return "tile/entries/" + strings.TrimPrefix(p, "tile/8/data/")
	}
	return "tile/" + strings.TrimPrefix(p, "tile/8/")
}

func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := os.ReadFile(filepath.Join(d.dir, c2spPath(t)))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func (d dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}

// openCheckpoint verifies the note and reads origin, size and root.
func openCheckpoint(path, vkey string) (string, tlog.Tree) {
	data, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		fail("verifier key: %v", err)
	}
	n, err := note.Open(data, note.VerifierList(v))
	if err != nil {
		fail("checkpoint: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		fail("checkpoint has %d lines", len(lines))
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		fail("checkpoint root %q", lines[2])
	}
	var tree tlog.Tree
	tree.N = size
	copy(tree.Hash[:], root)
	return lines[0], tree
}

// sample: every leaf of a small tree, else the ends and a spread between.
func sample(n int64) []int64 {
	if n <= 600 {
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(i)
		}
		return out
	}
	out := []int64{0, 1, 255, 256, n - 2, n - 1}
	for i := int64(997); i < n; i += 997 {
		out = append(out, i)
	}
	return out
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: tilecheck DIR VKEY < request.json")
		os.Exit(2)
	}
	dir, vkey := os.Args[1], os.Args[2]
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("reading stdin: %v", err)
	}
	var req request
	if err := json.Unmarshal(input, &req); err != nil {
		fail("request: %v", err)
	}
	origin, tree := openCheckpoint(filepath.Join(dir, "checkpoint"), vkey)
	thr := tlog.TileHashReader(tree, dirTiles{dir})
	resp := response{Origin: origin, Size: tree.N, Root: tree.Hash}

	indexes := make([]int64, tree.N)
	for i := range indexes {
		indexes[i] = tlog.StoredHashIndex(0, int64(i))
	}
	leaves, err := thr.ReadHashes(indexes)
	if err != nil {
		fail("reading the leaf hashes: %v", err)
	}
	if req.LeafHashes != nil {
		if int64(len(req.LeafHashes)) != tree.N {
			fail("%d leaf hashes expected, the tree has %d", len(req.LeafHashes), tree.N)
		}
		for i, h := range leaves {
			if h != req.LeafHashes[i] {
				fail("leaf %d is %v, expected %v", i, h, req.LeafHashes[i])
			}
		}
	}
	resp.LeavesChecked = len(leaves)

	for _, i := range sample(tree.N) {
		p, err := tlog.ProveRecord(tree.N, i, thr)
		if err != nil {
			fail("proving leaf %d: %v", i, err)
		}
		if err := tlog.CheckRecord(p, tree.N, tree.Hash, i, leaves[i]); err != nil {
			fail("inclusion of leaf %d: %v", i, err)
		}
		resp.InclusionChecked++
	}

	for _, e := range req.Earlier {
		p, err := tlog.ProveTree(tree.N, e.Size, thr)
		if err != nil {
			fail("proving consistency with size %d: %v", e.Size, err)
		}
		if err := tlog.CheckTree(p, tree.N, tree.Hash, e.Size, e.Root); err != nil {
			fail("consistency with size %d: %v", e.Size, err)
		}
		resp.ConsistencyChecked++
	}

	if req.Entries {
		for k := int64(0); k*256 < tree.N; k++ {
			w := tree.N - k*256
			if w > 256 {
				w = 256
			}
			t := tlog.Tile{H: 8, L: -1, N: k, W: int(w)}
			b, err := os.ReadFile(filepath.Join(dir, c2spPath(t)))
			if err != nil {
				fail("%v", err)
			}
			for i := int64(0); i < w; i++ {
				if len(b) < 2 {
					fail("%s ends before entry %d", c2spPath(t), i)
				}
				n := int(b[0])<<8 | int(b[1])
				if len(b) < 2+n {
					fail("%s: entry %d is cut short", c2spPath(t), i)
				}
				if tlog.RecordHash(b[2:2+n]) != leaves[k*256+i] {
					fail("%s: entry %d does not hash to leaf %d", c2spPath(t), i, k*256+i)
				}
				b = b[2+n:]
				resp.EntriesChecked++
			}
			if len(b) != 0 {
				fail("%s has %d bytes after its %d entries", c2spPath(t), len(b), w)
			}
		}
	}

	out, err := json.Marshal(resp)
	if err != nil {
		fail("%v", err)
	}
	os.Stdout.Write(append(out, '\n'))
}
