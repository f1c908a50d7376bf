// Each subcommand registers its options on the CLI11 app and returns the function that runs it after parsing.
#pragma once

#include <functional>
#include <vector>

namespace CLI {
class App;
}

namespace mer::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;  // returns the process exit code; throws mer::Error subclasses on failure
};

Command AddFeaturesCommand(CLI::App& parent);
std::vector<Command> AddDataCommands(CLI::App& parent);  // data check, data synth
std::vector<Command> AddRunCommands(CLI::App& parent);   // train, eval, predict
Command AddSearchCommand(CLI::App& parent);
Command AddReportCommand(CLI::App& parent);
Command AddEmbedCommand(CLI::App& parent);  // embed (pretrained networks)

// Exit codes shared by every subcommand.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  // a runtime error: bad input file, failed write
constexpr int kExitUsage = 2;    // a usage or configuration error

}  // namespace mer::cli
