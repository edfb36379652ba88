// system-dockerd: the system engine daemon, with dockerd's flags where they apply.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "api/daemon.h"
#include "base/log.h"
#include "cli/entry.h"
#include "image/registry.h"
#include "image/store.h"

namespace corral::cli {

int system_dockerd_main(int argc, char** argv) {
    CLI::App app{"CorralOS system engine: serves the Docker Engine API on a unix socket",
                 "system-dockerd"};
    app.set_version_flag("-v,--version",
                         std::string("CorralOS system-dockerd version ") + CORRAL_VERSION);
    std::vector<std::string> hosts;
    api::DaemonOptions options;
    bool pidfile_given = false;
    std::string log_level = "info";
    bool debug = false;
    app.add_option("-H,--host", hosts, "Daemon socket to serve (unix:///PATH)")
        ->default_str("unix:///var/run/system-docker.sock");
    app.add_option("--data-root", options.data_root, "Root directory of persistent state")
        ->capture_default_str();
    app.add_option("--exec-root", options.exec_root, "Root directory of execution state")
        ->capture_default_str();
    app.add_option_function<std::string>(
        "-p,--pidfile",
        [&](const std::string& path) {
            options.pidfile = path;
            pidfile_given = true;
        },
        "Path of the pid file (default: <exec-root>.pid)");
    app.add_option("-l,--log-level", log_level, "Log level (debug, info, warn, error, fatal)")
        ->capture_default_str();
    app.add_flag("-D,--debug", debug, "Debug logging (as --log-level debug)");
    std::vector<std::string> insecure_registries;
    app.add_option("--insecure-registry", insecure_registries,
                   "Registry (HOST:PORT as in image names, or a CIDR range of IP addresses) pulled "
                   "from over HTTPS with any certificate, else plain HTTP; repeatable");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return app.exit(error);
    }

    log::Level level;
    if (!log::parse_level(log_level, level)) {
        std::fprintf(stderr, "system-dockerd: invalid log level: %s\n", log_level.c_str());
        return 2;
    }
    log::set_level(debug ? log::Level::debug : level);
    for (const auto& registry : insecure_registries) {
        if (auto checked = image::check_insecure_registry(registry); !checked) {
            std::fprintf(stderr, "system-dockerd: --insecure-registry: %s\n",
                         checked.error().message().c_str());
            return 2;
        }
    }
    options.store.insecure_registries = std::move(insecure_registries);
    if (hosts.size() > 1) {
        std::fprintf(stderr, "system-dockerd: only one -H socket is served\n");
        return 2;
    }
    if (!hosts.empty()) {
        auto path = api::parse_host_address(hosts.front());
        if (path.is_error()) {
            std::fprintf(stderr, "system-dockerd: %s\n", path.error().message().c_str());
            return 2;
        }
        options.socket_path = path.value();
    }
    while (options.exec_root.size() > 1 && options.exec_root.back() == '/')
        options.exec_root.pop_back();
    if (!pidfile_given)
        options.pidfile = options.exec_root + ".pid";
    // As PID 1 the process owns the machine; anywhere else it keeps its mounts to itself.
    options.host_mode = ::getpid() != 1;

    auto result = api::run_daemon(std::move(options));
    if (result.is_error()) {
        log::error(result.error().message());
        return 1;
    }
    return 0;
}

}  // namespace corral::cli
