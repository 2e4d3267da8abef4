// Subcommands of the cae2tpu CLI. Each lives in its own cmd_<name>.cc and only wires library calls
// together. Add<Name>Command registers the subcommand, its flags and its callback on app.
#pragma once

namespace CLI {
class App;
}

namespace cae::cli {

void AddInspectCommand(CLI::App& app);
void AddRunCommand(CLI::App& app);
void AddCompareCommand(CLI::App& app);
void AddDemoCommand(CLI::App& app);
void AddTrainCommand(CLI::App& app);
void AddEdgetpuCommand(CLI::App& app);
void AddConvertCommand(CLI::App& app);

}  // namespace cae::cli
