// `ros service list|enable|disable|delete`, `ros console list|enable`,
// `ros engine list|enable`: the catalog of the configured repositories and the configuration
// keys that choose services (rancher.services_include), the console (rancher.console) and the
// user engine (rancher.docker.engine).
#include <algorithm>
#include <cstdio>

#include "cli/ros.h"
#include "cli/ros_services.h"
#include "compose/catalog.h"
#include "compose/interpolate.h"
#include "compose/service.h"
#include "config/store.h"
#include "config/tree.h"

namespace corral::cli::ros {

namespace {

struct Loaded {
    config::LoadedConfig config;
    compose::Catalog catalog;
};

Loaded load(const Context& context) {
    Loaded loaded;
    loaded.config = config::load_config(context.paths());
    loaded.catalog = compose::Catalog::load(loaded.config.merged, context.paths());
    for (const auto& error : loaded.catalog.errors())
        std::fprintf(stderr, "ros: warning: %s\n", error.c_str());
    return loaded;
}

std::string text_at(const config::Value& merged, const char* key, const char* fallback) {
    const config::Value* value = config::lookup(merged, key);
    return value && value->is_scalar() && !value->text().empty() ? value->text() : fallback;
}

// The services_include map of the merged configuration, in document order.
std::vector<std::pair<std::string, bool>> included(const config::Value& merged) {
    std::vector<std::pair<std::string, bool>> out;
    const config::Value* map = config::lookup(merged, "rancher.services_include");
    if (!map || !map->is_mapping())
        return out;
    for (const auto& [name, value] : map->entries())
        out.emplace_back(name, value.as_bool().value_or(false));
    return out;
}

int service_list(const Context& context) {
    Loaded loaded = load(context);
    auto include = included(loaded.config.merged);
    auto enabled = [&](const std::string& name) {
        for (const auto& [key, on] : include) {
            if (key == name)
                return on;
        }
        return false;
    };
    if (context.all) {
        const config::Value* services = config::lookup(loaded.config.merged, "rancher.services");
        if (services && services->is_mapping()) {
            for (const auto& [name, definition] : services->entries())
                std::printf("built-in %s\n", name.c_str());
        }
    }
    std::vector<std::string> listed = loaded.catalog.services();
    for (const auto& name : listed)
        std::printf("%s %s\n", enabled(name) ? "enabled " : "disabled", name.c_str());
    // Paths and URLs enabled directly are not in any index.
    for (const auto& [name, on] : include) {
        if (std::find(listed.begin(), listed.end(), name) == listed.end())
            std::printf("%s %s\n", on ? "enabled " : "disabled", name.c_str());
    }
    return 0;
}

// Checks that a service source exists and parses before it is enabled.
ErrorOr<void> check_source(const Loaded& loaded, const std::string& source) {
    std::string text = TRY(compose::read_service_source(loaded.catalog, source));
    auto environment = compose::environment_for(loaded.config.typed());
    auto services = TRY_CONTEXT(compose::parse_service_file(text, source, environment), source);
    if (services.empty())
        return Error::invalid(source + ": defines no service");
    return {};
}

int service_enable(const Context& context) {
    Loaded loaded = load(context);
    if (auto checked = check_source(loaded, context.name); !checked)
        return fail("service enable " + context.name + ": " + checked.error().message());
    auto result = config::set_key(context.paths(), "rancher.services_include." + context.name,
                                  config::Value::boolean(true));
    if (!result)
        return fail("service enable " + context.name + ": " + result.error().message());
    return 0;
}

int service_disable(const Context& context) {
    Loaded loaded = load(context);
    auto include = included(loaded.config.merged);
    bool known = std::any_of(include.begin(), include.end(),
                             [&](const auto& entry) { return entry.first == context.name; });
    if (!known)
        return fail("service disable " + context.name + ": not enabled");
    auto result = config::set_key(context.paths(), "rancher.services_include." + context.name,
                                  config::Value::boolean(false));
    if (!result)
        return fail("service disable " + context.name + ": " + result.error().message());
    return 0;
}

int service_delete(const Context& context) {
    auto result = config::unset_key(context.paths(), "rancher.services_include." + context.name);
    if (!result)
        return fail("service delete " + context.name + ": " + result.error().message());
    return 0;
}

// `console list` / `engine list`: the built-in choice first, then the catalog's.
int choice_list(const Context& context, const char* key, const char* built_in,
                std::vector<std::string> (compose::Catalog::*list)() const) {
    Loaded loaded = load(context);
    std::string chosen = text_at(loaded.config.merged, key, built_in);
    std::vector<std::string> names{built_in};
    for (const auto& name : (loaded.catalog.*list)()) {
        if (std::find(names.begin(), names.end(), name) == names.end())
            names.push_back(name);
    }
    for (const auto& name : names)
        std::printf("%s %s\n", name == chosen ? "enabled " : "disabled", name.c_str());
    return 0;
}

int choice_enable(const Context& context, const char* what, const char* key, const char* built_in,
                  std::vector<std::string> (compose::Catalog::*list)() const) {
    Loaded loaded = load(context);
    if (context.name != built_in) {
        auto names = (loaded.catalog.*list)();
        if (std::find(names.begin(), names.end(), context.name) == names.end())
            return fail(std::string(what) + " enable " + context.name + ": no repository lists it");
        if (auto checked = check_source(loaded, context.name); !checked)
            return fail(std::string(what) + " enable " + context.name + ": " +
                        checked.error().message());
    }
    auto result = config::set_key(context.paths(), key, config::Value::string(context.name));
    if (!result)
        return fail(std::string(what) + " enable " + context.name + ": " +
                    result.error().message());
    return 0;
}

}  // namespace

void add_service_commands(CLI::App& app, Context& context) {
    CLI::App* service = app.add_subcommand("service", "List, enable and disable services");
    service->alias("s");
    service->require_subcommand(1);
    CLI::App* list = service->add_subcommand(
        "list", "List the services of the repositories, enabled or disabled");
    list->add_flag("-a,--all", context.all, "Also list the services defined in the configuration");
    list->callback([&context] { context.action = [&context] { return service_list(context); }; });
    CLI::App* enable = service->add_subcommand(
        "enable", "Enable a service (a repository name, a file path or an http(s) URL)");
    enable->add_option("NAME", context.name, "Service name, path or URL")->required();
    enable->callback(
        [&context] { context.action = [&context] { return service_enable(context); }; });
    CLI::App* disable = service->add_subcommand("disable", "Disable an enabled service");
    disable->add_option("NAME", context.name, "Service name, path or URL")->required();
    disable->callback(
        [&context] { context.action = [&context] { return service_disable(context); }; });
    CLI::App* remove = service->add_subcommand("delete", "Forget an enabled or disabled service");
    remove->add_option("NAME", context.name, "Service name, path or URL")->required();
    remove->callback(
        [&context] { context.action = [&context] { return service_delete(context); }; });
    add_service_run_commands(*service, context);

    CLI::App* console = app.add_subcommand("console", "List and choose the console");
    console->require_subcommand(1);
    console->add_subcommand("list", "List the available consoles")->callback([&context] {
        context.action = [&context] {
            return choice_list(context, "rancher.console", "default", &compose::Catalog::consoles);
        };
    });
    CLI::App* console_enable =
        console->add_subcommand("enable", "Use this console from the next boot");
    console_enable->add_option("NAME", context.name, "Console name")->required();
    console_enable->callback([&context] {
        context.action = [&context] {
            return choice_enable(context, "console", "rancher.console", "default",
                                 &compose::Catalog::consoles);
        };
    });

    CLI::App* engine = app.add_subcommand("engine", "List and choose the user engine");
    engine->require_subcommand(1);
    engine->add_subcommand("list", "List the available engines")->callback([&context] {
        context.action = [&context] {
            return choice_list(context, "rancher.docker.engine", "docker",
                               &compose::Catalog::engines);
        };
    });
    CLI::App* engine_enable =
        engine->add_subcommand("enable", "Use this engine from the next boot");
    engine_enable->add_option("NAME", context.name, "Engine name")->required();
    engine_enable->callback([&context] {
        context.action = [&context] {
            return choice_enable(context, "engine", "rancher.docker.engine", "docker",
                                 &compose::Catalog::engines);
        };
    });
}

}  // namespace corral::cli::ros
