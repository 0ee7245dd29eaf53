#include <fmt/format.h>

#include "app/proofs.h"
#include "cli/cli_common.h"

namespace vellum::cli {
namespace {

StatusOr<core::NoteVerifier> KeyFrom(const Globals& g, const std::string& key, const std::string& key_file) {
  std::string text = key;
  if (text.empty()) {
    std::string path = key_file.empty() ? app::PublicKeyPath(g.data_dir) : key_file;
    auto read = ReadInput(path, 4096);
    if (!read.ok()) {
      return read.status().WithContext(
          key_file.empty() ? "reading the verifier key (or pass --key or --key-file)" : "--key-file");
    }
    text = std::move(*read);
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto k = core::ParseVerifierKey(text);
  if (!k.ok()) return InvalidArgumentError("the verifier key is invalid: " + k.status().message());
  return *k;
}

}  // namespace

void RegisterProof(CLI::App& app, Globals& g, Runner& run) {
  CLI::App* proof = app.add_subcommand("proof", "Produce inclusion and consistency proofs (JSON bundles)");
  proof->require_subcommand(1);
  {
    struct Opts {
      uint64_t seq = 0;
      std::optional<uint64_t> size;
    };
    auto o = std::make_shared<Opts>();
    CLI::App* c = proof->add_subcommand("inclusion", "Prove that an event is in a signed checkpoint");
    c->add_option("--seq", o->seq, "Sequence number of the event")->required()->transform(kNonNegative);
    c->add_option("--size", o->size,
                  "Tree size of a stored checkpoint (default: latest, made if needed)")
        ->transform(kNonNegative);
    c->callback([&g, &run, o] {
      run = [&g, o]() -> int {
        auto s = OpenSignedIn(g);
        if (!s.ok()) return Fail(s.status());
        auto b = app::MakeInclusionBundle(*s->vellum, s->principal, o->seq, o->size);
        if (!b.ok()) return Fail(b.status());
        PrintJson(*b, OutputFormat(g, Format::kJson) == Format::kJson);
        return kExitOk;
      };
    });
  }
  {
    struct Opts {
      uint64_t from = 0;
      std::optional<uint64_t> to;
    };
    auto o = std::make_shared<Opts>();
    CLI::App* c = proof->add_subcommand("consistency", "Prove that a later checkpoint extends an earlier one");
    c->add_option("--from", o->from, "Tree size of the earlier checkpoint")
        ->required()
        ->transform(kNonNegative);
    c->add_option("--to", o->to, "Tree size of the later checkpoint (default: latest)")
        ->transform(kNonNegative);
    c->callback([&g, &run, o] {
      run = [&g, o]() -> int {
        auto s = OpenSignedIn(g);
        if (!s.ok()) return Fail(s.status());
        auto b = app::MakeConsistencyBundle(*s->vellum, s->principal, o->from, o->to);
        if (!b.ok()) return Fail(b.status());
        PrintJson(*b, OutputFormat(g, Format::kJson) == Format::kJson);
        return kExitOk;
      };
    });
  }
  {
    struct Opts {
      std::string file = "-", key, key_file;
    };
    auto o = std::make_shared<Opts>();
    CLI::App* c = app.add_subcommand("verify-proof",
                                     "Check a proof bundle offline (exit 0 valid, 1 invalid, 2 malformed)");
    c->add_option("file", o->file, "Bundle file ('-' = stdin)");
    c->add_option("--key", o->key, "The ledger's verifier key (default: <data>/keys/ledger.pub)");
    c->add_option("--key-file", o->key_file, "File holding the verifier key");
    c->callback([&g, &run, o] {
      run = [&g, o]() -> int {
        auto key = KeyFrom(g, o->key, o->key_file);
        if (!key.ok()) return Fail(key.status());
        auto text = ReadInput(o->file, 16 << 20);
        if (!text.ok()) return Fail(text.status());
        auto r = app::VerifyProofBundle(*text, *key);
        if (!r.ok()) {
          if (r.status().code() == StatusCode::kInvalidArgument) return Fail(r.status());
          fmt::print("INVALID: {}\n", r.status().message());
          return kExitVerifyFailed;
        }
        fmt::print("OK: {}\n", r->summary);
        return kExitOk;
      };
    });
  }
}

}  // namespace vellum::cli
