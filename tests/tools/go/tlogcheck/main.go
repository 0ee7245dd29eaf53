// Command tlogcheck is an independent RFC 6962/9162 oracle for Vellum's Merkle
// tests, built on golang.org/x/mod/sumdb/tlog (Debian golang-golang-x-mod-dev).
//
// Build offline:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o tlogcheck ./tests/tools/go/tlogcheck
//
// It reads one JSON request on stdin:
//
//	{"leaf_data":   ["<base64>", ...],            // records; hashed with tlog.RecordHash
//	 "leaf_hashes": ["<base64 32 bytes>", ...],   // or leaf hashes directly (used if leaf_data is empty)
//	 "roots":       [size, ...],                  // tlog.TreeHash for each size (size >= 1)
//	 "inclusion":   [{"index": i, "size": n, "proof": ["<base64>", ...]}, ...],
//	 "consistency": [{"size1": m, "size2": n, "proof": ["<base64>", ...]}, ...]}
//
// and writes one JSON response on stdout:
//
//	{"leaf_hashes": [...],
//	 "roots":       [{"size": n, "root": "<base64>"}],
//	 "inclusion":   [{"index": i, "size": n, "proof": [...], "check": "ok" | "<error>"}],
//	 "consistency": [{"size1": m, "size2": n, "proof": [...], "check": "ok" | "<error>"}]}
//
// "proof" in the response is tlog's own (ProveRecord / ProveTree); "check" is
// tlog's verdict (CheckRecord / CheckTree) on the proof given in the request,
// against tlog's own roots and leaf hashes. Any failure exits 1 with a message
// on stderr.
//
// tlog stores hashes in its own interleaved order (StoredHashIndex), unlike
// Vellum's one-file-per-level layout, so only roots and proofs are comparable.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"golang.org/x/mod/sumdb/tlog"
)

type inclusionReq struct {
	Index int64       `json:"index"`
	Size  int64       `json:"size"`
	Proof []tlog.Hash `json:"proof"`
}

type consistencyReq struct {
	Size1 int64       `json:"size1"`
	Size2 int64       `json:"size2"`
	Proof []tlog.Hash `json:"proof"`
}

type request struct {
	LeafData    [][]byte         `json:"leaf_data"`
	LeafHashes  []tlog.Hash      `json:"leaf_hashes"`
	Roots       []int64          `json:"roots"`
	Inclusion   []inclusionReq   `json:"inclusion"`
	Consistency []consistencyReq `json:"consistency"`
}

type rootResp struct {
	Size int64     `json:"size"`
	Root tlog.Hash `json:"root"`
}

type inclusionResp struct {
	Index int64       `json:"index"`
	Size  int64       `json:"size"`
	Proof []tlog.Hash `json:"proof"`
	Check string      `json:"check"`
}

type consistencyResp struct {
	Size1 int64       `json:"size1"`
	Size2 int64       `json:"size2"`
	Proof []tlog.Hash `json:"proof"`
	Check string      `json:"check"`
}

type response struct {
	LeafHashes  []tlog.Hash       `json:"leaf_hashes"`
	Roots       []rootResp        `json:"roots"`
	Inclusion   []inclusionResp   `json:"inclusion"`
	Consistency []consistencyResp `json:"consistency"`
}

func verdict(err error) string {
	if err != nil {
		return err.Error()
	}
	return "ok"
}

// nonNil keeps empty proofs as [] rather than null in the output.
func nonNil(p []tlog.Hash) []tlog.Hash {
	if p == nil {
		return []tlog.Hash{}
	}
	return p
}

func run() error {
	var req request
	dec := json.NewDecoder(os.Stdin)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return fmt.Errorf("bad request: %v", err)
	}

	leaves := req.LeafHashes
	if len(req.LeafData) > 0 {
		leaves = make([]tlog.Hash, len(req.LeafData))
		for i, d := range req.LeafData {
			leaves[i] = tlog.RecordHash(d)
		}
	}

	// tlog's in-memory hash storage, filled the way its docs prescribe.
	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			if x < 0 || x >= int64(len(stored)) {
				return nil, fmt.Errorf("stored hash %d not present", x)
			}
			out[i] = stored[x]
		}
		return out, nil
	})
	for i, h := range leaves {
		hs, err := tlog.StoredHashesForRecordHash(int64(i), h, reader)
		if err != nil {
			return err
		}
		stored = append(stored, hs...)
	}

	treeHash := func(n int64) (tlog.Hash, error) { return tlog.TreeHash(n, reader) }

	resp := response{LeafHashes: nonNil(leaves)}
	for _, n := range req.Roots {
		if n < 1 || n > int64(len(leaves)) {
			return fmt.Errorf("root size %d out of range", n)
		}
		th, err := treeHash(n)
		if err != nil {
			return err
		}
		resp.Roots = append(resp.Roots, rootResp{n, th})
	}
	for _, q := range req.Inclusion {
		if q.Size > int64(len(leaves)) {
			return fmt.Errorf("inclusion size %d out of range", q.Size)
		}
		p, err := tlog.ProveRecord(q.Size, q.Index, reader)
		if err != nil {
			return fmt.Errorf("ProveRecord(%d, %d): %v", q.Size, q.Index, err)
		}
		th, err := treeHash(q.Size)
		if err != nil {
			return err
		}
		check := tlog.CheckRecord(tlog.RecordProof(q.Proof), q.Size, th, q.Index, leaves[q.Index])
		resp.Inclusion = append(resp.Inclusion, inclusionResp{q.Index, q.Size, nonNil(p), verdict(check)})
	}
	for _, q := range req.Consistency {
		if q.Size2 > int64(len(leaves)) {
			return fmt.Errorf("consistency size %d out of range", q.Size2)
		}
		p, err := tlog.ProveTree(q.Size2, q.Size1, reader)
		if err != nil {
			return fmt.Errorf("ProveTree(%d, %d): %v", q.Size2, q.Size1, err)
		}
		th1, err := treeHash(q.Size1)
		if err != nil {
			return err
		}
		th2, err := treeHash(q.Size2)
		if err != nil {
			return err
		}
		check := tlog.CheckTree(tlog.TreeProof(q.Proof), q.Size2, th2, q.Size1, th1)
		resp.Consistency = append(resp.Consistency, consistencyResp{q.Size1, q.Size2, nonNil(p), verdict(check)})
	}

	enc := json.NewEncoder(os.Stdout)
	return enc.Encode(resp)
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "tlogcheck:", err)
		os.Exit(1)
	}
}
