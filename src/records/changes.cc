#include "records/changes.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "core/json.h"

namespace vellum::records {
namespace {

namespace json = boost::json;

StatusOr<bool> SameValue(const json::value& a, const json::value& b) {
  if (a.kind() == b.kind() && !a.is_number() && !a.is_object() && !a.is_array()) return a == b;
  ASSIGN_OR_RETURN(std::string ca, core::CanonicalJson(a));
  ASSIGN_OR_RETURN(std::string cb, core::CanonicalJson(b));
  return ca == cb;
}

std::vector<std::string_view> SortedKeys(const json::object& o) {
  std::vector<std::string_view> keys;
  keys.reserve(o.size());
  for (const auto& kv : o) keys.push_back(kv.key());
  std::sort(keys.begin(), keys.end());
  return keys;
}

Status Diff(const json::object& from, const json::object& to, const std::string& prefix, json::array* out) {
  std::vector<std::string_view> a = SortedKeys(from), b = SortedKeys(to);
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i] < b[j])) {
      out->push_back(json::object{{"path", prefix + "/" + EscapePointerToken(a[i])}, {"old", from.at(a[i])}});
      ++i;
    } else if (i == a.size() || b[j] < a[i]) {
      out->push_back(json::object{{"path", prefix + "/" + EscapePointerToken(b[j])}, {"new", to.at(b[j])}});
      ++j;
    } else {
      const json::value& x = from.at(a[i]);
      const json::value& y = to.at(b[j]);
      std::string path = prefix + "/" + EscapePointerToken(a[i]);
      if (x.is_object() && y.is_object()) {
        RETURN_IF_ERROR(Diff(x.get_object(), y.get_object(), path, out));
      } else {
        ASSIGN_OR_RETURN(bool same, SameValue(x, y));
        if (!same) out->push_back(json::object{{"path", path}, {"old", x}, {"new", y}});
      }
      ++i;
      ++j;
    }
  }
  return OkStatus();
}

StatusOr<std::vector<std::string>> SplitPointer(std::string_view path) {
  if (path.empty() || path[0] != '/') return DataLossError(fmt::format("change path \"{}\" is not a JSON pointer", path));
  std::vector<std::string> tokens;
  size_t pos = 1;
  for (;;) {
    size_t slash = path.find('/', pos);
    std::string_view raw = path.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    std::string token;
    for (size_t k = 0; k < raw.size(); ++k) {
      if (raw[k] != '~') {
        token.push_back(raw[k]);
        continue;
      }
      if (k + 1 < raw.size() && raw[k + 1] == '0') token.push_back('~');
      else if (k + 1 < raw.size() && raw[k + 1] == '1') token.push_back('/');
      else return DataLossError(fmt::format("change path \"{}\" has a bad escape", path));
      ++k;
    }
    tokens.push_back(std::move(token));
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  return tokens;
}

}  // namespace

json::array CreateChanges(json::object&& content) {
  // In DiffContent's order (SortedKeys): a create lists every field as added.
  std::vector<std::string_view> keys = SortedKeys(content);
  json::array out;
  out.reserve(keys.size());
  for (std::string_view key : keys) {
    json::object change;
    change.reserve(2);
    change.emplace("path", "/" + EscapePointerToken(key));
    change.emplace("new", std::move(content.at(key)));
    out.push_back(std::move(change));
  }
  return out;
}

namespace {

// A key that reads the same as a JSON string, a pointer token and in byte or
// UTF-16 order: plain ASCII without escapes, '~' or '/'.
bool IsPlainKey(std::string_view key) {
  for (char c : key) {
    if (static_cast<unsigned char>(c) >= 0x80 || c == '\\' || c == '~' || c == '/') return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> CreateChangesText(std::string_view content) {
  // {"K1":V1,"K2":V2,…} → [{"new":V1,"path":"/K1"},{"new":V2,"path":"/K2"},…]
  if (content.size() < 2 || content.front() != '{' || content.back() != '}') return std::nullopt;
  std::string out;
  out.reserve(content.size() * 5 / 4 + 32);
  out.push_back('[');
  size_t p = 1;
  while (p + 1 < content.size()) {
    if (p > 1) {
      if (content[p] != ',') return std::nullopt;
      ++p;
      out.push_back(',');
    }
    if (content[p] != '"') return std::nullopt;
    const size_t key_end = content.find('"', p + 1);
    if (key_end == std::string_view::npos) return std::nullopt;
    const std::string_view key = content.substr(p + 1, key_end - p - 1);
    if (!IsPlainKey(key) || key_end + 1 >= content.size() || content[key_end + 1] != ':') return std::nullopt;
    const size_t value_begin = key_end + 2;
    const size_t value_end = core::WellFormedValueEnd(content, value_begin);
    out.append("{\"new\":");
    out.append(content.substr(value_begin, value_end - value_begin));
    out.append(",\"path\":\"/");
    out.append(key);
    out.append("\"}");
    p = value_end;
  }
  if (p + 1 != content.size()) return std::nullopt;
  out.push_back(']');
  return out;
}

std::optional<std::string> CreatedContentFromText(std::string_view changes) {
  // [{"new":V1,"path":"/K1"},{"new":V2,"path":"/K2"},…] → {"K1":V1,"K2":V2,…}.
  // The text is canonical, so each V is already in canonical form, and a key
  // written without escapes is the same text as a JSON string and as a
  // pointer token. ASCII keys make byte order the UTF-16 order RFC 8785 sorts
  // object keys by.
  constexpr std::string_view kNew = "{\"new\":";
  constexpr std::string_view kPath = ",\"path\":\"/";
  if (changes.size() < 2 || changes.front() != '[' || changes.back() != ']') return std::nullopt;
  std::string out;
  out.reserve(changes.size());
  out.push_back('{');
  std::string_view previous_key;
  size_t p = 1;
  while (p + 1 < changes.size()) {
    if (p > 1) {
      if (changes[p] != ',') return std::nullopt;
      ++p;
    }
    if (changes.substr(p, kNew.size()) != kNew) return std::nullopt;
    const size_t value_begin = p + kNew.size();
    const size_t value_end = core::WellFormedValueEnd(changes, value_begin);
    p = value_end;
    if (changes.substr(p, kPath.size()) != kPath) return std::nullopt;
    p += kPath.size();
    const size_t key_end = changes.find('"', p);
    if (key_end == std::string_view::npos) return std::nullopt;
    const std::string_view key = changes.substr(p, key_end - p);
    if (!IsPlainKey(key)) return std::nullopt;
    const bool first = previous_key.data() == nullptr;
    if (!first) {
      if (key <= previous_key) return std::nullopt;  // out of order or twice: not a create's form
      out.push_back(',');
    }
    previous_key = key;
    p = key_end + 1;
    if (p >= changes.size() || changes[p] != '}') return std::nullopt;
    ++p;
    out.push_back('"');
    out.append(key);
    out.append("\":");
    out.append(changes.substr(value_begin, value_end - value_begin));
  }
  if (p + 1 != changes.size()) return std::nullopt;
  out.push_back('}');
  return out;
}

std::string EscapePointerToken(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out.push_back(c);
  }
  return out;
}

StatusOr<json::array> DiffContent(const json::object& from, const json::object& to) {
  json::array out;
  RETURN_IF_ERROR(Diff(from, to, "", &out));
  return out;
}

Status ApplyChanges(const json::array& changes, json::object* doc) {
  for (const auto& c : changes) {
    if (!c.is_object()) return DataLossError("a change must be an object");
    const json::object& ch = c.get_object();
    const json::value* path = ch.if_contains("path");
    if (path == nullptr || !path->is_string()) return DataLossError("a change needs a string \"path\"");
    for (const auto& kv : ch) {
      if (kv.key() != "path" && kv.key() != "old" && kv.key() != "new") {
        return DataLossError(fmt::format("unknown field \"{}\" in a change", std::string_view(kv.key())));
      }
    }
    const json::value* old_v = ch.if_contains("old");
    const json::value* new_v = ch.if_contains("new");
    if (!old_v && !new_v) return DataLossError(fmt::format("change of {} has neither old nor new", std::string_view(path->get_string())));
    ASSIGN_OR_RETURN(auto tokens, SplitPointer(path->get_string()));
    json::object* parent = doc;
    for (size_t k = 0; k + 1 < tokens.size(); ++k) {
      json::value* next = parent->if_contains(tokens[k]);
      if (next == nullptr || !next->is_object()) {
        return DataLossError(fmt::format("change path {} crosses a value that is not an object",
                                         std::string_view(path->get_string())));
      }
      parent = &next->get_object();
    }
    const std::string& leaf = tokens.back();
    json::value* cur = parent->if_contains(leaf);
    if ((cur == nullptr) != (old_v == nullptr)) {
      return DataLossError(fmt::format("change of {} does not match the previous version ({})",
                                       std::string_view(path->get_string()),
                                       cur ? "the field exists" : "the field is absent"));
    }
    if (cur != nullptr) {
      ASSIGN_OR_RETURN(bool same, SameValue(*cur, *old_v));
      if (!same) {
        return DataLossError(fmt::format("the old value of {} does not match the previous version",
                                         std::string_view(path->get_string())));
      }
    }
    if (new_v) (*parent)[leaf] = *new_v;
    else parent->erase(leaf);
  }
  return OkStatus();
}

}  // namespace vellum::records
