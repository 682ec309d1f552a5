// Makes text from databases and plugins safe to show on a terminal: every control character visible, nothing acted on.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace migration_host {

// `text` with everything a terminal could act on made visible: "\n", "\r" and "\t" for those, "\xHH" for every
// byte of other control characters (C0, DEL, C1 such as U+009B CSI, bidirectional and line/paragraph separators)
// and for each byte that is not valid UTF-8. Printable UTF-8 passes unchanged. Every line the host prints that
// can hold database or plugin text goes through this: stdout (print_line), the top-level error report and the log.
std::string escape_nonprintable(std::string_view text);

// The columns `text` (printable UTF-8, as escape_nonprintable leaves it) takes: one per code point, which holds
// for the Latin, Greek and Cyrillic text of names and messages (wide CJK characters take two and are undercounted).
std::size_t display_width(std::string_view text);

// `text` cut to at most `columns` columns, its last kept column an ellipsis ("…") when anything was cut; never
// splits a UTF-8 sequence.
std::string cut_to_width(std::string_view text, std::size_t columns);

// The same, cut at the start instead ("…/tenants/a.sqlite"): for paths, whose end tells them apart.
std::string cut_start_to_width(std::string_view text, std::size_t columns);

// The same, cut in the middle ("cinder_…_cell12"): for names that may differ at either end.
std::string cut_middle_to_width(std::string_view text, std::size_t columns);

}  // namespace migration_host
