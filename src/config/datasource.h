// cloud-init's first half: find the user data of this machine in the configured datasources
// (`rancher.cloud_init.datasources`) and save it as a configuration layer. Disk datasources
// are read from where they are mounted; mounting them is the caller's business.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "config/layers.h"
#include "config/schema.h"

namespace corral::config {

struct UserData {
    enum class Kind { cloud_config, script, empty };
    std::string source;  // "url:http://...", "/media/cidata/user-data"
    std::string text;
    Kind kind = Kind::empty;
};

// Classifies user data: `#cloud-config` → cloud_config, `#!` → script, blank → empty; anything
// else is an error (not something we can apply).
ErrorOr<UserData::Kind> classify_user_data(std::string_view text);

// Reads one datasource. nullopt when it is not present on this machine (no such file, no
// mounted disk, no cloud-config-url= word): the next one is tried. Specs:
//   file:PATH            the file
//   url:URL              an http(s) URL
//   configdrive[:DIR]    DIR/openstack/latest/user_data (DIR defaults to /media/config-2)
//   nocloud[:DIR]        DIR/user-data (DIR defaults to /media/cidata)
//   cmdline              the URL of the `cloud-config-url=URL` kernel command line word
ErrorOr<std::optional<UserData>> read_datasource(std::string_view spec, const LayerPaths& paths);

struct SaveResult {
    std::string source;               // the datasource used; empty when none had data
    std::string written;              // the file written: boot.yml or cloud-config-script
    std::vector<Problem> problems;    // of the saved cloud-config (it is saved anyway)
    std::vector<std::string> errors;  // datasources that failed, tried in order
};

// Tries the datasources in order; the first one with data wins. A cloud-config is written to
// <cloud_config_dir>/boot.yml, a script to cloud-config-script beside cloud-config.yml.
ErrorOr<SaveResult> save_user_data(const LayerPaths& paths,
                                   const std::vector<std::string>& datasources);

}  // namespace corral::config
