// `ros cloud-init`: what the cloud-init system service runs first — the user data of the
// configured datasources saved as the cloud-config.d/boot.yml layer.
#include <cstdio>

#include "cli/ros.h"
#include "config/datasource.h"

namespace corral::cli::ros {

namespace {

int run_cloud_init(const Context& context) {
    config::LoadedConfig loaded = config::load_config(context.paths());
    auto result = config::save_user_data(context.paths(), loaded.typed().rancher.datasources);
    if (!result)
        return fail("cloud-init: " + result.error().message());
    // Datasource failures and schema problems are warnings: the boot goes on with what it has.
    for (const auto& error : result->errors)
        std::fprintf(stderr, "ros: cloud-init: warning: %s\n", error.c_str());
    for (const auto& problem : result->problems)
        std::fprintf(stderr, "ros: cloud-init: warning: %s\n", problem.to_string().c_str());
    if (result->source.empty())
        std::fprintf(stderr, "ros: cloud-init: no user data\n");
    else
        std::fprintf(stderr, "ros: cloud-init: saved %s to %s\n", result->source.c_str(),
                     result->written.c_str());
    return 0;
}

}  // namespace

void add_cloud_init_command(CLI::App& app, Context& context) {
    CLI::App* command =
        app.add_subcommand("cloud-init",
                           "Save the user data of the first datasource that has some "
                           "(rancher.cloud_init.datasources) as cloud-config.d/boot.yml");
    command->callback(
        [&context] { context.action = [&context] { return run_cloud_init(context); }; });
}

}  // namespace corral::cli::ros
