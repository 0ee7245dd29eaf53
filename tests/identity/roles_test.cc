// The permission matrix in code and in docs/permissions.md are the same table.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "identity/roles.h"
#include "testing/test_env.h"

namespace vellum::identity {
namespace {

std::vector<std::string> SplitRow(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, '|')) {
    size_t b = cell.find_first_not_of(' '), e = cell.find_last_not_of(' ');
    cells.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
  }
  // A row "| a | b |" splits into "", "a", "b".
  if (!cells.empty() && cells.front().empty()) cells.erase(cells.begin());
  return cells;
}

// AC-3, AC-5, AT-8: the documented matrix is the enforced one.
TEST(RolesTest, DocumentedMatrixIsTheCodeMatrix) {
  std::string doc = testing::ReadFileOrDie(testing::SourceDir() + "/docs/permissions.md");
  std::stringstream in(doc);
  std::string line;
  std::vector<std::string> header;
  int rows = 0;
  while (std::getline(in, line)) {
    if (line.rfind("| action |", 0) == 0) {
      header = SplitRow(line);
      continue;
    }
    if (header.empty() || line.rfind("|---", 0) == 0 || line.rfind("| ", 0) != 0) continue;
    auto cells = SplitRow(line);
    ASSERT_EQ(cells.size(), header.size()) << line;
    auto action = ParseAction(cells[0]);
    ASSERT_TRUE(action.has_value()) << "unknown action in docs: " << cells[0];
    for (size_t i = 1; i < header.size(); ++i) {
      auto role = ParseRole(header[i]);
      ASSERT_TRUE(role.has_value()) << header[i];
      EXPECT_EQ(RoleAllows(*role, *action), cells[i] == "yes") << cells[0] << " / " << header[i];
    }
    ++rows;
  }
  EXPECT_EQ(rows, static_cast<int>(kAllActions.size()));
}

// AC-3: the administrator can change no record data; AC-5: reviewers never edit content.
TEST(RolesTest, SeparationOfDuties) {
  for (Action a : {Action::kRecordCreate, Action::kRecordModify, Action::kRecordDelete}) {
    EXPECT_FALSE(RoleAllows(Role::kSystemAdministrator, a)) << ActionName(a);
    EXPECT_FALSE(RoleAllows(Role::kReviewer, a)) << ActionName(a);
  }
  for (Role r : kAllRoles) EXPECT_TRUE(RoleAllows(r, Action::kOwnAccount));
}

TEST(RolesTest, NamesRoundTrip) {
  for (Role r : kAllRoles) EXPECT_EQ(ParseRole(RoleName(r)), r);
  for (Action a : kAllActions) EXPECT_EQ(ParseAction(ActionName(a)), a);
  EXPECT_FALSE(ParseRole("root").has_value());
  EXPECT_FALSE(ParseAction("record.erase").has_value());
}

}  // namespace
}  // namespace vellum::identity
