// `mer train --nproc N`: starts N ranks of this program on this machine, as `torchrun --nproc-per-node N
// --no-python mer train ...` would, and supervises them.
#pragma once

#include <string>
#include <vector>

namespace mer::cli {

// Runs `mer <args>` N times with RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1 and
// MASTER_PORT (from the environment, else a free port) set, and OMP_NUM_THREADS (when unset) to the cores / N.
// SIGINT and SIGTERM are passed on to every rank. When a rank fails (an exit status other than 0, 130 or 143)
// the others get SIGTERM, and SIGKILL 10 s later. Returns the first failing rank's status, else the ranks' status.
int RunLocalRanks(int nproc, const std::vector<std::string>& args);

}  // namespace mer::cli
