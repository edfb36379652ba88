// `ros console switch [-f] NAME` and `ros engine switch [-f] NAME`: choose the console
// (rancher.console) or user engine (rancher.docker.engine) and, when the system engine is
// reachable, replace the running `console` / `docker` service container by the chosen one at
// once. The data stays: /home and /opt (user-volumes) and /var/lib/docker
// (container-data-volumes) are host directories bound into whichever console or engine runs.
//
// The chosen image is pulled into the system engine when it is not there yet (as RancherOS
// did, from ${REGISTRY_DOMAIN} of the service file); when the pull fails the switch stops
// before changing anything. When `ros console switch` runs inside the
// console it replaces, removing that container would end this very process half-way; the
// replacement then runs in a short-lived helper container of the system engine
// (`console-switch`, running `ros service up --force-recreate console`).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "base/fs.h"
#include "base/sys.h"
#include "cli/ros_services.h"
#include "compose/container.h"
#include "compose/runner.h"
#include "config/store.h"
#include "config/tree.h"

namespace corral::cli::ros {

namespace {

struct Choice {
    const char* what;      // "console", "engine"
    const char* key;       // rancher.console
    const char* built_in;  // "default"
    const char* service;   // the service it replaces: "console", "docker"
    std::vector<std::string> (compose::Catalog::*list)() const;
};

constexpr Choice console_choice{"console", "rancher.console", "default", "console",
                                &compose::Catalog::consoles};
constexpr Choice engine_choice{"engine", "rancher.docker.engine", "docker", "docker",
                               &compose::Catalog::engines};

// True when this process runs inside the container `name`: its cgroup path names the
// container's id (both our engine and dockerd name container cgroups so, when the container
// has no cgroup namespace of its own), or it shares the mount namespace of the container's
// first process (seen when the container shares our PID namespace, as the console does with
// `pid: host`; its cgroup namespace hides the id).
bool inside_container(ApiEngine& engine, const std::string& name, const std::string& id) {
    if (id.size() >= 12) {
        auto cgroup = fs::read_file("/proc/self/cgroup", 1 << 16);
        if (cgroup && cgroup->find(id) != std::string::npos)
            return true;
    }
    auto details = engine.inspect_json(name);
    if (!details || !details->is_object() || !details->contains("State"))
        return false;
    const Json& state = (*details)["State"];
    if (!state.is_object() || !state.contains("Pid") || !state["Pid"].is_number_integer())
        return false;
    long long pid = state["Pid"].get<long long>();
    if (pid <= 0)
        return false;
    auto mine = sys::stat_if_exists("/proc/self/ns/mnt");
    auto theirs = sys::stat_if_exists("/proc/" + std::to_string(pid) + "/ns/mnt");
    return mine && theirs && *mine && *theirs && (*mine)->st_ino == (*theirs)->st_ino &&
           (*mine)->st_dev == (*theirs)->st_dev;
}

bool confirm(const Choice& choice, const std::string& name) {
    std::fprintf(stderr,
                 "Switching the %s to %s replaces the running %s container%s. Continue [y/N]? ",
                 choice.what, name.c_str(), choice.service,
                 choice.service == std::string("console") ? " and ends the sessions in it" : "");
    std::string answer;
    if (!std::getline(std::cin, answer))
        return false;
    return answer == "y" || answer == "Y" || answer == "yes";
}

// Runs `ros service up --force-recreate SERVICE` in a helper container of the system engine
// that outlives the container it replaces.
ErrorOr<void> replace_from_helper(ApiEngine& engine, const std::vector<compose::Service>& services,
                                  const compose::Service& target) {
    auto find = [&](const char* name) -> const compose::Service* {
        for (const auto& service : services) {
            if (service.name == name)
                return &service;
        }
        return nullptr;
    };
    const compose::Service* commands = find("command-volumes");
    if (!commands || !find("system-volumes"))
        return Error::not_found(
            "the helper container needs the command-volumes and system-volumes services");
    engine::CreateRequest helper;
    helper.name = std::string(target.name) + "-switch";
    // The image that carries ros's libraries (the base of the system images).
    helper.config.image = commands->request.config.image;
    helper.config.entrypoint = std::vector<std::string>{"/usr/bin/ros"};
    helper.config.cmd = std::vector<std::string>{"service", "up", "--force-recreate", target.name};
    helper.config.labels[std::string(compose::scope_label)] = "system";
    helper.host_config.volumes_from = {"command-volumes", "system-volumes"};
    helper.host_config.network_mode = "host";
    helper.host_config.pid_mode = "host";
    helper.host_config.privileged = true;
    helper.host_config.auto_remove = true;
    (void)engine.remove(helper.name, true);  // one left by an earlier switch
    TRY(engine.create(helper));
    TRY(engine.start(helper.name));
    return {};
}

// After a failed replacement: the previous choice back in the configuration and its service
// up again, so a failed switch does not leave the machine without a console or engine.
void restore_previous(const Context& context, Session& session, const Choice& choice,
                      ApiEngine& engine) {
    const config::Value* previous = config::lookup(session.config().merged, choice.key);
    std::string name = previous && previous->is_scalar() && !previous->text().empty()
                           ? previous->text()
                           : std::string(choice.built_in);
    if (auto saved = config::set_key(context.paths(), choice.key, config::Value::string(name));
        !saved)
        std::fprintf(stderr, "ros: %s could not be set back to %s: %s\n", choice.key, name.c_str(),
                     saved.error().message().c_str());
    auto plan = compose::plan_services(session.config().merged, session.catalog());
    if (!plan)
        return;
    for (const auto& service : plan->services) {
        if (service.name != choice.service)
            continue;
        compose::UpOptions options;
        options.force_recreate = true;
        if (auto restored = compose::up_service(engine, service, options); !restored)
            std::fprintf(stderr, "ros: the previous %s (%s) could not be brought back: %s\n",
                         choice.what, name.c_str(), restored.error().message().c_str());
        else
            std::fprintf(stderr, "ros: the %s is %s again\n", choice.what, name.c_str());
    }
}

int run_switch(const Context& context, const Choice& choice) {
    const std::string& name = context.name;
    std::string prefix = std::string(choice.what) + " switch " + name + ": ";
    auto session = Session::open(context);
    if (!session)
        return fail(prefix + session.error().message());
    if (name != choice.built_in) {
        auto names = (session->catalog().*choice.list)();
        if (std::find(names.begin(), names.end(), name) == names.end())
            return fail(prefix + "no repository lists it (ros " + choice.what + " list)");
    }
    // The services with the new choice, to find what replaces the running one.
    config::Value merged = session->config().merged;
    if (auto assigned = config::assign(merged, choice.key, config::Value::string(name)); !assigned)
        return fail(prefix + assigned.error().message());
    auto plan = compose::plan_services(merged, session->catalog());
    if (!plan)
        return fail(prefix + plan.error().message());
    for (const auto& warning : plan->warnings)
        std::fprintf(stderr, "ros: warning: %s\n", warning.c_str());
    auto target = std::find_if(plan->services.begin(), plan->services.end(),
                               [&](const compose::Service& s) { return s.name == choice.service; });
    if (target == plan->services.end())
        return fail(prefix + "it defines no `" + choice.service + "` service");

    auto engine = session->engine(compose::Scope::system);
    bool pull = false;
    const std::string& image = target->request.config.image;
    if (engine) {
        auto present = (*engine)->has_image(image);
        if (!present)
            return fail(prefix + present.error().message());
        pull = !*present;
    }
    if (!context.force && !confirm(choice, name))
        return fail(prefix + "not confirmed; nothing changed (-f skips the question)");
    if (pull) {
        std::printf("%s: pulling %s\n", choice.service, image.c_str());
        std::fflush(stdout);
        if (auto pulled = (*engine)->pull(image); !pulled)
            return fail(prefix + "its image " + image +
                        " is not in the system engine and the pull failed: " +
                        pulled.error().message() + "; nothing changed");
    }
    if (auto saved = config::set_key(context.paths(), choice.key, config::Value::string(name));
        !saved)
        return fail(prefix + saved.error().message());
    if (!engine) {
        std::fprintf(stderr, "ros: %s set to %s; %s, so it takes effect at the next boot\n",
                     choice.key, name.c_str(), engine.error().message().c_str());
        return 0;
    }
    // Replace the running container (and bring up what it needs, e.g. all-volumes).
    auto running = (*engine)->inspect(target->request.name);
    if (!running)
        return fail(prefix + running.error().message());
    if (*running && inside_container(**engine, target->request.name, (*running)->id)) {
        if (auto helped = replace_from_helper(**engine, plan->services, *target); !helped)
            return fail(prefix + "start the helper container: " + helped.error().message());
        std::printf("%s: switching to %s from the helper container %s-switch\n", choice.service,
                    name.c_str(), target->name.c_str());
        return 0;
    }
    auto ordered = compose::with_dependencies(plan->services, {choice.service});
    if (!ordered)
        return fail(prefix + ordered.error().message());
    for (const compose::Service* service : *ordered) {
        compose::UpOptions options;
        options.dependency = service->name != choice.service;
        options.force_recreate = !options.dependency;
        auto result = compose::up_service(**engine, *service, options);
        if (!result) {
            restore_previous(context, *session, choice, **engine);
            return fail(prefix + result.error().message());
        }
    }
    std::printf("%s: switched to %s\n", choice.service, name.c_str());
    return 0;
}

void add_switch(CLI::App& parent, Context& context, const Choice& choice) {
    CLI::App* command = parent.add_subcommand(
        "switch", std::string("Use this ") + choice.what + " now (replacing the running " +
                      choice.service + " container) and from the next boot");
    command->add_flag("-f,--force", context.force, "Do not ask for confirmation");
    command->add_option("NAME", context.name, std::string(choice.what) + " name")->required();
    command->callback([&context, &choice] {
        context.action = [&context, &choice] { return run_switch(context, choice); };
    });
}

}  // namespace

void add_switch_commands(CLI::App& app, Context& context) {
    add_switch(*app.get_subcommand("console"), context, console_choice);
    add_switch(*app.get_subcommand("engine"), context, engine_choice);
}

}  // namespace corral::cli::ros
