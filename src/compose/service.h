// Compose-format service definitions with RancherOS's `io.rancher.os.*` labels, turned into
// what the engines need: an engine::CreateRequest per service plus how and when to run it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "compose/interpolate.h"
#include "config/value.h"
#include "engine/types.h"

namespace corral::compose {

// The labels RancherOS defined; CorralOS honours the same names.
inline constexpr std::string_view scope_label = "io.rancher.os.scope";
inline constexpr std::string_view after_label = "io.rancher.os.after";
inline constexpr std::string_view before_label = "io.rancher.os.before";
inline constexpr std::string_view detach_label = "io.rancher.os.detach";
inline constexpr std::string_view createonly_label = "io.rancher.os.createonly";
inline constexpr std::string_view reloadconfig_label = "io.rancher.os.reloadconfig";
inline constexpr std::string_view remove_label = "io.rancher.os.remove";
inline constexpr std::string_view console_label = "io.rancher.os.console";
inline constexpr std::string_view rebuild_label = "io.docker.compose.rebuild";
// Set by us on every container so the engines can find a service's container.
inline constexpr std::string_view service_label = "com.docker.compose.service";
inline constexpr std::string_view project_label = "com.docker.compose.project";

enum class Scope { system, user };

struct Service {
    std::string name;
    // system: a container of the system engine; user: of the user engine (the default).
    Scope scope = Scope::user;
    std::vector<std::string> after;   // start once these are up
    std::vector<std::string> before;  // start before these
    // false: wait for the container to exit before starting what comes after (one-shots).
    bool detach = true;
    bool createonly = false;    // create the container, never start it (volume holders)
    bool reloadconfig = false;  // reread the configuration before starting
    bool remove = true;         // recreate the container when its definition changed
    std::string console;        // a console service: its console name
    std::string rebuild;        // io.docker.compose.rebuild: "always", "true", "false", ""
    engine::CreateRequest request;
    // Things we accepted but do not do (links, ports without host networking, build...).
    std::vector<std::string> warnings;

    // Services this one needs first: `after`, volumes_from, and net/ipc/pid `container:X`.
    std::vector<std::string> dependencies() const;
};

// Parses one service definition (a compose map) after substituting variables.
ErrorOr<Service> parse_service(const std::string& name, const config::Value& definition,
                               const Environment& environment);

// Parses a map of services (a service file, or `rancher.services`), in document order.
ErrorOr<std::vector<Service>> parse_services(const config::Value& services,
                                             const Environment& environment);

// Parses a service file's text ("name: {image: ...}" maps).
ErrorOr<std::vector<Service>> parse_service_file(std::string_view text, const std::string& file,
                                                 const Environment& environment);

// Splits a command string as a POSIX shell would split words (quotes, backslashes), without
// expansions: compose's string `command:`.
ErrorOr<std::vector<std::string>> split_command(std::string_view text);

// "25m" → 26214400; plain numbers are bytes; b, k, m, g (and kb, mb...) suffixes.
ErrorOr<int64_t> parse_bytes(std::string_view text);

}  // namespace corral::compose
