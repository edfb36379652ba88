// `ros`: the CorralOS configuration tool, command-compatible with RancherOS 1.x's `ros`.
#include <cstdio>
#include <cstdlib>

#include "cli/entry.h"
#include "cli/ros.h"

namespace corral::cli {

namespace ros {

int fail(const std::string& message) {
    std::fprintf(stderr, "ros: %s\n", message.c_str());
    return 1;
}

}  // namespace ros

int ros_main(int argc, char** argv) {
    ros::Context context;
    if (const char* root = std::getenv("ROS_CONFIG_ROOT"))
        context.root = root;
    CLI::App app{"Manage CorralOS: configuration, services, consoles and engines", "ros"};
    app.set_version_flag("-v,--version", std::string("ros version ") + CORRAL_VERSION);
    app.add_option("--root", context.root,
                   "Directory the configuration paths are under (default /, or "
                   "$ROS_CONFIG_ROOT)");
    app.require_subcommand(1);
    ros::add_config_commands(app, context);
    ros::add_service_commands(app, context);
    ros::add_cloud_init_command(app, context);
    ros::add_tls_commands(app, context);
    ros::add_switch_commands(app, context);
    ros::add_os_commands(app, context);
    ros::add_netconf_command(app, context);
    ros::add_completion_command(app, context);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return app.exit(error);
    }
    if (!context.action)
        return ros::fail("no command");
    return context.action();
}

}  // namespace corral::cli
