// Text as a terminal and a reader see it: escapes for what would act on the
// terminal, cuts between characters, blank text recognised as blank.
#include "core/display_text.h"

#include <gtest/gtest.h>

namespace vellum::core {
namespace {

// AT-7: a reviewer's terminal shows the trail as stored, never acts on it.
TEST(DisplayTextTest, ForTerminalEscapesWhatATerminalActsOn) {
  EXPECT_EQ(ForTerminal("plain ä ✓"), "plain ä ✓");
  EXPECT_EQ(ForTerminal("a\x1b]0;t\x07z"), "a\\x1b]0;t\\x07z");
  EXPECT_EQ(ForTerminal("a\rb\x7f"), "a\\x0db\\x7f");
  EXPECT_EQ(ForTerminal("\xc2\x9b" "2J"), "\\u009b2J");        // C1 CSI
  EXPECT_EQ(ForTerminal("ab\xe2\x80\xae" "cd"), "ab\\u202ecd");  // right-to-left override
  EXPECT_EQ(ForTerminal("bad \xff byte"), "bad \\xff byte");
  EXPECT_EQ(ForTerminal("two\nlines\tand tab"), "two\\x0alines\\x09and tab");
  EXPECT_EQ(ForTerminal("two\nlines\tand tab", true), "two\nlines\tand tab");
}

TEST(DisplayTextTest, ShortenCutsBetweenCharacters) {
  EXPECT_EQ(ShortenText("short", 10), "short");
  EXPECT_EQ(ShortenText("abcdefghij", 10), "abcdefghij");
  EXPECT_EQ(ShortenText("abcdefghijk", 10), "abcdefg...");
  EXPECT_EQ(ShortenText("ééééééééééé", 10), "ééééééé...");  // 11 characters, 22 bytes
  EXPECT_EQ(CharacterCount("é✓x"), 3u);
}

// AT-2, RV-1: a reason that shows nothing is no reason.
TEST(DisplayTextTest, BlankTextIsWhatShowsNothing) {
  for (const char* blank : {"", " ", "\t\r\n", "\x01\x7f", "\xc2\xa0", "\xe2\x80\x8b", "\xe3\x80\x80",
                            "\xe2\x80\xa8", "\xef\xbb\xbf", "\xc2\xad", " \xe2\x80\x8f "}) {
    EXPECT_TRUE(IsBlankText(blank)) << ForTerminal(blank);
  }
  for (const char* text : {"x", " . ", "\xe2\x80\x8bz", "é", "\xff"}) {
    EXPECT_FALSE(IsBlankText(text)) << ForTerminal(text);
  }
}

TEST(DisplayTextTest, ControlAndDirectionCharactersAreFound) {
  EXPECT_FALSE(HasControlCharacters("line\nand\ttab"));
  EXPECT_TRUE(HasControlCharacters("a\rb"));
  EXPECT_TRUE(HasControlCharacters("\xc2\x85"));  // NEL
  EXPECT_FALSE(HasDirectionControls("Dr. A. Rivera"));
  EXPECT_TRUE(HasDirectionControls("Dr. \xe2\x81\xa6x"));  // U+2066
}

}  // namespace
}  // namespace vellum::core
