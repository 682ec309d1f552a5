// Keeps messages readable however long what they name is: a list cut to its first items, a line to its two ends.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace migration_host {

// A message names at most this many items of a list...
inline constexpr std::size_t listed_items_max = 10;
// ...and stops adding them once it holds this many characters of them (a list of long paths).
inline constexpr std::size_t listed_characters_max = 1000;

// `items` joined by `separator`, up to the limits above (the first item is always given whole), then
// "<separator>and N more" for those left out: 100,000 plugin directories make one readable line, not 5 MB.
inline std::string bounded_list(const std::vector<std::string>& items, std::string_view separator = ", ") {
    std::string text;
    std::size_t listed = 0;
    for (const auto& item : items) {
        if (listed > 0 && (listed == listed_items_max || text.size() + item.size() > listed_characters_max)) break;
        if (listed > 0) text += separator;
        text += item;
        ++listed;
    }
    if (listed < items.size()) {
        text += separator;
        text += "and " + std::to_string(items.size() - listed) + " more";
    }
    return text;
}

// The most an error line keeps of its text: what is longer (a value of megabytes echoed back) loses its middle.
inline constexpr std::size_t line_bytes_max = 8192;

// `line` (valid UTF-8) as it is, or, when longer than line_bytes_max, its first three quarters of that and its last
// quarter, cut at characters' starts, with how many bytes were left out between them: the start says what went
// wrong, the end often what it leaves ("cinder stays at version 1", "expected a whole number").
inline std::string bounded_line(const std::string& line) {
    if (line.size() <= line_bytes_max) return line;
    const auto character_start = [&](std::size_t at) {
        while (at > 0 && (static_cast<unsigned char>(line[at]) & 0xC0) == 0x80) --at;
        return at;
    };
    const std::size_t head_end = character_start(line_bytes_max / 4 * 3);
    const std::size_t tail_start = character_start(line.size() - line_bytes_max / 4);
    return line.substr(0, head_end) + " [... " + std::to_string(tail_start - head_end) + " bytes left out ...] " +
           line.substr(tail_start);
}

}  // namespace migration_host
