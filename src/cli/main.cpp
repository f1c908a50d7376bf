// `mer`: a thin dispatcher. Every subcommand lives in its own file; errors are caught here once and mapped to
// exit codes with a one-line message.
#include <csignal>
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "command.h"
#include "mer/core/error.h"
#include "mer/version.h"
#include "stderr_filter.h"

int main(int argc, char** argv) {
  using namespace mer::cli;
  // A file-size limit (ulimit -f) would kill mer with SIGXFSZ mid-write; ignored, the write fails with EFBIG and is
  // reported as the failed write it is (one line, exit 1, no temporary file left).
  std::signal(SIGXFSZ, SIG_IGN);
  const StderrFilter filter;
  CLI::App app{"mer: music emotion recognition (log-mel features, datasets, models)"};
  app.set_version_flag("--version", std::string("mer ") + mer::kVersion);
  app.require_subcommand(1);
  std::vector<Command> commands = {AddFeaturesCommand(app)};
  for (auto& command : AddDataCommands(app)) commands.push_back(std::move(command));
  for (auto& command : AddRunCommands(app)) commands.push_back(std::move(command));
  commands.push_back(AddSearchCommand(app));
  commands.push_back(AddReportCommand(app));
  commands.push_back(AddEmbedCommand(app));
  try {
    app.parse(argc, argv);
    for (auto& command : commands) {
      if (command.app->parsed()) return command.run();
    }
    return kExitUsage;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "mer: usage error: " << e.what() << " (see mer --help)\n";
    return kExitUsage;
  } catch (const mer::ConfigError& e) {
    std::cerr << "mer: config error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const mer::Error& e) {
    std::cerr << "mer: error: " << e.what() << "\n";
    return kExitFailure;
  } catch (const std::bad_alloc&) {
    std::cerr << "mer: error: out of memory\n";
    return kExitFailure;
  } catch (const std::exception& e) {
    std::cerr << "mer: internal error: " << e.what() << "\n";
    return kExitFailure;
  }
}
