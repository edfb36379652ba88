// The kernel command line keys init needs before any configuration layer is up: where the
// state lives, what to format, and how to shut down. The full rancher.* / cc.* model belongs to
// src/config; init reads only these few so it can find the disk that holds the rest.
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
    // rancher.state.wait: seconds to wait for the state device to show up.
    int state_wait_seconds = 5;
    // rancher.shutdown_timeout: seconds for the system engine to stop its containers.
    int shutdown_timeout_seconds = 60;
    // rancher.recovery: skip the engine, open a shell on the console.
    bool recovery = false;
    // rancher.debug: log at debug level.
    bool debug = false;
    // rancher.state.disabled / rancher.nostate: boot in RAM on purpose.
    bool no_state = false;
    // hostname= on the command line (cloud-config's hostname comes later, from cloud-init).
    std::string hostname;
    // Keys that look like ours but that init does not know, for a warning on the console.
    std::vector<std::string> unknown_keys;
};

// One `key=value` word of the command line; value is empty for a bare flag.
struct CommandLineWord {
    std::string key;
    std::string value;
    bool has_value = false;
};

// Splits a kernel command line into words as the kernel does: spaces separate, double quotes
// group ("a b" stays one word; the quotes go).
std::vector<CommandLineWord> split_command_line(std::string_view command_line);

// Parses a RancherOS list value: "[a,b]", "a,b" or "a" → {"a","b"}.
std::vector<std::string> parse_list_value(std::string_view value);

// Reads init's keys out of a command line. Bad values (a non-number timeout) are reported in
// the result's unknown_keys and leave the default.
BootOptions parse_boot_options(std::string_view command_line);

}  // namespace corral::init
