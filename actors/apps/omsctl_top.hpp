// omsctl top: the daemon's live state as a table, read from its shared-memory state board
// (oms/actors/state_board.hpp) -- never from the daemon itself, so it works while the daemon
// is busy, and shows the last state (with the writer's pid marked gone) after it stopped.
#pragma once

#include <string>

namespace oms::omsctl {

struct TopOptions {
  std::string board_path;  // the board file (omsd's default_board_path(data dir) by default)
  bool once = false;       // one plain table, then exit (also when stdout is not a terminal)
};

// On a terminal: redraws ~4 times a second until q or Ctrl-C; exit code 0. Otherwise (or with
// --once) prints the table once; exit code 0, or 1 when the board cannot be read (the reason
// on stderr).
int run_top(const TopOptions& options);

}  // namespace oms::omsctl
