// Edit distance between two short strings, for "did you mean" suggestions
// (a mistyped slash command, an unknown configuration key).
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace bottega {

// The optimal-string-alignment Damerau–Levenshtein distance: the fewest
// insertions, deletions, substitutions and swaps of two adjacent characters
// that turn `a` into `b` (no substring edited twice). Byte-wise and case-
// sensitive; callers lower-case first when case should not count.
// O(|a|·|b|) time: meant for words, not documents.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace bottega
