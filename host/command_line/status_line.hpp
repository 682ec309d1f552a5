// The one line at the foot of a terminal's stderr that is redrawn in place (a step's progress bar), cleared first.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

namespace migration_host::status_line {

// Draws `text` in place of the line shown, if any: "\r", erase to the end of the line, the text, no newline. `text`
// is one line, safe to show (escape_nonprintable), and shorter than the terminal is wide, or it would wrap and the
// next redraw would not replace it. Only for a terminal (ProgressDisplay decides): it writes escape sequences.
void show(std::string_view text);

// Erases the line shown, if any, leaving the cursor at the start of the empty line. Whatever writes to stderr or
// stdout calls it first (the log's sink, the error line, print_line), so that no text lands after a bar; when no line
// is shown it costs one atomic load.
void clear();

}  // namespace migration_host::status_line
