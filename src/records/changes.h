// Field-level changes between two versions of a record's content (AT-2, RV-1).
//
// A change is {"path": RFC 6901 pointer, "old": value, "new": value}; "old" is
// absent for an added field and "new" for a removed one. Objects are compared
// member by member, recursively; arrays and scalars are compared whole, by
// their canonical form (so 1 and 1.0 are the same value).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "core/status.h"

namespace vellum::records {

// The changes that turn `from` into `to`, ordered by path.
StatusOr<boost::json::array> DiffContent(const boost::json::object& from, const boost::json::object& to);

// Applies `changes` to *doc. Every "old" must equal the current value (and be
// absent exactly when the field is), so a replay proves the chain of versions.
// Errors are kDataLoss naming the path.
Status ApplyChanges(const boost::json::array& changes, boost::json::object* doc);

// The changes of a create, DiffContent({}, content), made by moving the
// values out of `content` instead of copying them.
boost::json::array CreateChanges(boost::json::object&& content);

// The canonical text of a create's changes read straight from the canonical
// text of its content, when every key is plain ASCII without '~' or '/' (the
// inverse of CreatedContentFromText below); nullopt otherwise (a caller then
// encodes CreateChanges' value).
// REQUIRES: `content` is the canonical JSON (RFC 8785) of an object.
std::optional<std::string> CreateChangesText(std::string_view content);

// The canonical content a create's changes make from nothing, read straight
// from their canonical text when they have the form every create has: one
// {"new", "path"} change per top-level field, in key order, with keys of
// plain ASCII. Nullopt for any other text (a caller then parses the text and
// applies it with ApplyChanges, which also names what is wrong).
// REQUIRES: `changes` is canonical JSON (RFC 8785), as in an event line.
std::optional<std::string> CreatedContentFromText(std::string_view changes);

// RFC 6901 escaping of one reference token ("a/b" → "a~1b").
std::string EscapePointerToken(std::string_view token);

}  // namespace vellum::records
