// One libFuzzer executable per target: fuzz_<name>, built with -DMER_FUZZ_TARGET=<Function> (scripts/fuzz.sh).
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  return mer::fuzz::MER_FUZZ_TARGET(data, size);
}
