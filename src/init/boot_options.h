// The kernel command line keys init needs before the state disk (which holds the rest of the
// configuration) is mounted: where the state lives, what to format, how to shut down.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace corral::init {

struct BootOptions {
    // rancher.state.dev: "LABEL=NAME", "UUID=..." or a device path.
    std::string state_device = "LABEL=RANCHER_STATE";
    // rancher.state.autoformat=[/dev/sda,/dev/vda]: devices that may be formatted when zeroed.
    std::vector<std::string> autoformat;
    // rancher.state.fstype
    std::string state_fstype = "ext4";
    // Seconds to wait for the state device to show up (30 with rancher.state.wait).
    int state_wait_seconds = 5;
    // rancher.shutdown_timeout: seconds for the system engine to stop its containers.
    int shutdown_timeout_seconds = 60;
    // rancher.recovery: skip the engine, open a shell on the console.
    bool recovery = false;
    // rancher.debug: log at debug level.
    bool debug = false;
    // rancher.state.disabled / rancher.nostate: boot in RAM on purpose.
    bool no_state = false;
    // rancher.autologin=ttyS0: consoles that get a root shell without a login.
    std::vector<std::string> autologin;
    // hostname= on the command line (cloud-config's hostname comes later, from cloud-init).
    std::string hostname;
    // Keys that look like ours but that init does not know, for a warning on the console.
    std::vector<std::string> unknown_keys;
};

// Reads init's keys out of a command line with the configuration layer's parser
// (config::parse_kernel_cmdline). Words it rejects are listed in unknown_keys; their keys keep
// the defaults.
BootOptions parse_boot_options(std::string_view command_line);

// rancher.shutdown_timeout of the merged configuration (os-config, cloud-config files, kernel
// command line) as it is now: the user may have set it after boot. `fallback` when the value is
// missing or out of range.
int configured_shutdown_timeout(int fallback);

}  // namespace corral::init
