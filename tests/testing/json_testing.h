// JSON helpers for tests: parse text the test wrote itself (a parse error fails
// the test instead of being handled) and print canonical forms for comparison.
#pragma once

#include <gtest/gtest.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "core/json.h"

namespace vellum::testing {

// The JSON object in `text`; an empty object (and a test failure) if it is not one.
inline boost::json::object JsonObject(std::string_view text) {
  auto v = core::ParseJson(text);
  EXPECT_TRUE(v.ok() && v->is_object()) << text << ": " << v.status().ToString();
  return v.ok() && v->is_object() ? v->get_object() : boost::json::object();
}

// The JSON array in `text`; an empty array (and a test failure) if it is not one.
inline boost::json::array JsonArray(std::string_view text) {
  auto v = core::ParseJson(text);
  EXPECT_TRUE(v.ok() && v->is_array()) << text << ": " << v.status().ToString();
  return v.ok() && v->is_array() ? v->get_array() : boost::json::array();
}

// RFC 8785 text of `v`, or "<error>" (and a test failure).
inline std::string Canonical(const boost::json::value& v) {
  auto c = core::CanonicalJson(v);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : "<" + c.status().ToString() + ">";
}

}  // namespace vellum::testing
