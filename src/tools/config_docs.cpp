// Prints docs/config.md, the run config reference generated from the field declarations:
//   build/mer_config_docs > docs/config.md
#include <iostream>

#include "mer/train/run_config.h"

int main() {
  std::cout << mer::train::ConfigReferenceMarkdown();
  return 0;
}
