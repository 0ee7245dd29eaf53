// Command notecheck is an independent oracle for Vellum's signed notes: it uses
// golang.org/x/mod/sumdb/note, not Vellum's code.
//
//	notecheck open VKEY...  < note  prints the verified note text; exit 1 if Open fails
//	notecheck sign SKEY     < text  prints the signed note; exit 1 on error
//
// Build offline: GO111MODULE=off GOPATH=/usr/share/gocode go build -o notecheck main.go
package main

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/mod/sumdb/note"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "notecheck: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: notecheck open VKEY... < note | notecheck sign SKEY < text")
		os.Exit(2)
	}
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("reading stdin: %v", err)
	}
	switch os.Args[1] {
	case "open":
		var verifiers []note.Verifier
		for _, vkey := range os.Args[2:] {
			v, err := note.NewVerifier(vkey)
			if err != nil {
				fail("verifier key %q: %v", vkey, err)
			}
			verifiers = append(verifiers, v)
		}
		n, err := note.Open(input, note.VerifierList(verifiers...))
		if err != nil {
			fail("open: %v", err)
		}
		os.Stdout.WriteString(n.Text)
	case "sign":
		s, err := note.NewSigner(os.Args[2])
		if err != nil {
			fail("signer key: %v", err)
		}
		msg, err := note.Sign(&note.Note{Text: string(input)}, s)
		if err != nil {
			fail("sign: %v", err)
		}
		os.Stdout.Write(msg)
	default:
		fail("unknown command %q", os.Args[1])
	}
}
