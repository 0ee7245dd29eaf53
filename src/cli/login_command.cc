// vellum login / logout: a session per person (AC-7); the token is kept only
// in the user's config directory, mode 0600, and only its hash in auth.db.
#include <fmt/format.h>

#include "cli/cli_common.h"
#include "cli/credentials_input.h"

namespace vellum::cli {

void RegisterLogin(CLI::App& app, Globals& g, Runner& run) {
  struct Opts {
    std::string user, password_file;
    bool totp = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* login = app.add_subcommand("login", "Sign in: user id and password (never on the command line)");
  login->add_option("--user", o->user, "Your user id")->required();
  login->add_option("--password-file", o->password_file,
                    "File holding your password ('-' = stdin); with --totp, the code on the second line");
  login->add_flag("--totp", o->totp, "Your account has a second factor: also ask for the current TOTP code");
  login->callback([&g, &run, o] {
    run = [&g, o]() -> int {
      std::string password_text, code_text;
      if (o->totp && !o->password_file.empty()) {
        auto text = ReadInput(o->password_file, 16384);
        if (!text.ok()) return Fail(InvalidArgumentError("cannot read the password file"));
        size_t nl = text->find('\n');
        password_text = text->substr(0, nl);
        if (nl != std::string::npos) code_text = text->substr(nl + 1, text->find('\n', nl + 1) - nl - 1);
      } else {
        auto password = ReadSecret("password for " + o->user + ": ", o->password_file);
        if (!password.ok()) return Fail(password.status());
        password_text = std::move(*password);
        if (o->totp) {
          auto code = ReadSecret("TOTP code: ", "");
          if (!code.ok()) return Fail(code.status());
          code_text = std::move(*code);
        }
      }
      auto password = StatusOr<std::string>(std::move(password_text));
      auto v = OpenData(g);
      if (!v.ok()) return Fail(v.status());
      app::LoginRequest r;
      r.user_id = o->user;
      r.password = std::move(*password);
      if (o->totp) r.totp_code = code_text;
      r.client = ClientName();
      auto session = (*v)->Login(r);
      if (!session.ok()) return Fail(session.status());
      // A session already kept for this directory ends now: one signed-in session per place.
      if (auto old = LoadSessionToken(g.data_dir); old.ok()) {
        if (auto prior = (*v)->Authenticate(*old, ClientName()); prior.ok()) (*v)->Logout(*prior).IgnoreError();
      }
      Status saved = SaveSessionToken(g.data_dir, session->token);
      if (!saved.ok()) return Fail(saved.WithContext("storing the session"));
      fmt::print(stderr, "Signed in as {} ({}), session {}.\n", session->principal.user_id,
                 session->principal.name, session->principal.session_id);
      if (session->principal.must_change_password) {
        fmt::print(stderr, "You must choose a new password before anything else: vellum user passwd\n");
      }
      return kExitOk;
    };
  });

  CLI::App* logout = app.add_subcommand("logout", "End the current session");
  logout->callback([&g, &run] {
    run = [&g]() -> int {
      auto s = OpenSignedIn(g);
      ForgetSessionToken(g.data_dir);
      if (!s.ok()) return Fail(s.status());
      Status out = s->vellum->Logout(s->principal);
      if (!out.ok()) return Fail(out);
      fmt::print(stderr, "Signed out.\n");
      return kExitOk;
    };
  });
}

}  // namespace vellum::cli
