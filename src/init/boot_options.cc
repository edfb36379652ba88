#include "init/boot_options.h"

#include "config/cmdline.h"
#include "config/layers.h"
#include "config/model.h"

namespace corral::init {

namespace {

constexpr int kMaxSeconds = 86400;

}  // namespace

BootOptions parse_boot_options(std::string_view command_line) {
    BootOptions options;
    // The configuration layer's own parser: rancher.KEY=VALUE and cc.KEY=VALUE, YAML-typed.
    auto parsed = config::parse_kernel_cmdline(command_line);
    for (auto& rejected : parsed.rejected)
        options.unknown_keys.push_back(std::move(rejected));
    auto typed = config::to_cloud_config(parsed.config);
    const auto& rancher = typed.rancher;
    if (!rancher.state.dev.empty())
        options.state_device = rancher.state.dev;
    options.autoformat = rancher.state.autoformat;
    if (!rancher.state.fstype.empty() && rancher.state.fstype != "auto")
        options.state_fstype = rancher.state.fstype;
    // rancher.state.wait asks to wait for a slow disk (a SAN, USB).
    if (rancher.state.wait)
        options.state_wait_seconds = 30;
    if (rancher.shutdown_timeout > 0 && rancher.shutdown_timeout <= kMaxSeconds)
        options.shutdown_timeout_seconds = rancher.shutdown_timeout;
    else
        options.unknown_keys.push_back("rancher.shutdown_timeout=" +
                                       std::to_string(rancher.shutdown_timeout));
    options.recovery = rancher.recovery;
    options.debug = rancher.debug;
    if (!rancher.autologin.empty())
        options.autologin.push_back(rancher.autologin);
    options.hostname = typed.hostname;
    // Keys of the kernel's own namespace that the configuration layer leaves to init.
    for (const auto& word : config::split_kernel_cmdline(command_line)) {
        if (word == "rancher.nostate" || word == "rancher.state.disabled")
            options.no_state = true;
        else if (word.starts_with("hostname=") && options.hostname.empty())
            options.hostname = word.substr(9);
        else if (word.starts_with("rancher.shutdown_timeout=") &&
                 word.find_first_not_of("0123456789", 25) != std::string::npos)
            // The typed model falls back to its default silently; say so on the console.
            options.unknown_keys.push_back(word);
    }
    return options;
}

int configured_shutdown_timeout(int fallback) {
    auto loaded = config::load_config(config::LayerPaths{});
    int seconds = loaded.typed().rancher.shutdown_timeout;
    return seconds > 0 && seconds <= kMaxSeconds ? seconds : fallback;
}

}  // namespace corral::init
