// The schema tables of the cloud-config (internal to src/config): the type of every key.
// schema.cc walks documents against them.
#pragma once

#include <span>
#include <string_view>

namespace corral::config::schema_tables {

enum class Type {
    any,             // anything
    string,          // any scalar (numbers and booleans read as their text)
    integer,         // a scalar that is an integer
    boolean,         // a scalar that is true/false (yes/no/on/off)
    bool_or_int,     // a boolean or an integer (`rancher.state.wait: true` or seconds)
    string_list,     // a list of scalars
    list,            // a list of anything
    string_or_list,  // a scalar, or a list of scalars (compose `command`)
    list_or_map,     // a list of "K=V" scalars or a map of scalars (compose `environment`)
    object,          // a map with any keys and any values
    scalar_map,      // a map of scalars with free-form keys (`sysctl`, `environment`)
    bool_map,        // a map of booleans with free-form keys (`services_include`)
    map_of,          // a map with free-form keys whose values follow `element`
    list_of,         // a list whose items follow `element`
    record,          // a map with the fixed keys in `fields`
    command_list,    // a list whose items are a shell string or an argv list (`runcmd`)
    mount_list,      // a list of lists of scalars (`mounts`)
    choice,          // a scalar, one of `choices`
};

struct Field;

struct Schema {
    Type type;
    std::span<const Field> fields = {};
    const Schema* element = nullptr;
    std::span<const std::string_view> choices = {};
};

struct Field {
    std::string_view name;
    const Schema* schema;
};

// The whole cloud-config document, and one compose service definition.
extern const Schema root_schema;
extern const Schema service_schema;

}  // namespace corral::config::schema_tables
