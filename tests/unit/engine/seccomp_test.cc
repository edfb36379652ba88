#include "engine/seccomp.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace corral::engine {
namespace {

std::vector<std::string> denied_names(const std::string& profile_text) {
    auto profile = nlohmann::json::parse(profile_text);
    std::vector<std::string> names;
    for (const auto& rule : profile.at("syscalls"))
        if (rule.at("action") == "SCMP_ACT_ERRNO")
            for (const auto& name : rule.at("names"))
                names.push_back(name.get<std::string>());
    return names;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(Seccomp, DefaultProfileDeniesWhatDockerDenies) {
    HostConfig host;
    auto profile = seccomp_for(host, {"CAP_CHOWN", "CAP_SYS_CHROOT"});
    ASSERT_TRUE(profile) << profile.error().message();
    auto parsed = nlohmann::json::parse(*profile);
    EXPECT_EQ(parsed.at("defaultAction"), "SCMP_ACT_ALLOW");
    auto denied = denied_names(*profile);
    for (const char* name :
         {"keyctl", "add_key", "mount", "umount2", "unshare", "setns", "reboot", "init_module",
          "ptrace", "kexec_load", "bpf", "open_by_handle_at", "settimeofday", "userfaultfd"})
        EXPECT_TRUE(contains(denied, name)) << name;
    // Held capabilities let their calls through.
    EXPECT_FALSE(contains(denied, "chroot"));
    EXPECT_FALSE(contains(denied, "read"));
}

TEST(Seccomp, CapabilitiesReopenTheirCalls) {
    HostConfig host;
    auto denied = denied_names(*seccomp_for(host, {"CAP_SYS_ADMIN", "CAP_SYS_PTRACE"}));
    EXPECT_FALSE(contains(denied, "mount"));
    EXPECT_FALSE(contains(denied, "unshare"));
    EXPECT_FALSE(contains(denied, "ptrace"));
    // Keyrings are not namespaced: denied whatever the capabilities.
    EXPECT_TRUE(contains(denied, "keyctl"));
    EXPECT_TRUE(contains(denied, "reboot"));
}

TEST(Seccomp, PrivilegedAndUnconfinedHaveNoFilter) {
    HostConfig privileged;
    privileged.privileged = true;
    EXPECT_EQ(*seccomp_for(privileged, {}), "");
    HostConfig unconfined;
    unconfined.security_opt = {"seccomp=unconfined"};
    EXPECT_EQ(*seccomp_for(unconfined, {}), "");
    HostConfig old_form;
    old_form.security_opt = {"seccomp:unconfined"};
    EXPECT_EQ(*seccomp_for(old_form, {}), "");
}

TEST(Seccomp, CustomProfileIsPassedOn) {
    HostConfig host;
    host.security_opt = {R"(seccomp={"defaultAction":"SCMP_ACT_ERRNO"})"};
    auto profile = seccomp_for(host, {});
    ASSERT_TRUE(profile);
    EXPECT_EQ(nlohmann::json::parse(*profile).at("defaultAction"), "SCMP_ACT_ERRNO");
}

TEST(Seccomp, SecurityOptionsAreValidated) {
    auto parsed = parse_security_options({"no-new-privileges", "apparmor=unconfined"});
    ASSERT_TRUE(parsed);
    EXPECT_TRUE(parsed->no_new_privileges);
    EXPECT_FALSE(parsed->seccomp_unconfined);
    EXPECT_FALSE(parse_security_options({"no-new-privileges=false"})->no_new_privileges);
    auto unknown = parse_security_options({"label=user:x"});
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().message().find("label=user:x"), std::string::npos);
    auto bad_profile = parse_security_options({"seccomp={not json"});
    ASSERT_FALSE(bad_profile);
    EXPECT_NE(bad_profile.error().message().find("seccomp"), std::string::npos);
    EXPECT_FALSE(parse_security_options({"no-new-privileges=maybe"}));
}

TEST(Seccomp, DefaultProgramIsCompiledOnceAndKept) {
    HostConfig host;
    auto profile = seccomp_for(host, {"CAP_CHOWN"});
    ASSERT_TRUE(profile) << profile.error().message();
    auto first = default_seccomp_program(*profile);
    if (!first && first.error().kind() == ErrorKind::unavailable)
        GTEST_SKIP() << first.error().message();
    ASSERT_TRUE(first) << first.error().message();
    EXPECT_FALSE(first->empty());
    EXPECT_EQ(first->size() % 8, 0u);
    auto again = default_seccomp_program(*profile);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *first);
    // Another capability set lets other calls through: another program.
    auto admin = default_seccomp_program(*seccomp_for(host, {"CAP_CHOWN", "CAP_SYS_ADMIN"}));
    ASSERT_TRUE(admin);
    EXPECT_NE(*admin, *first);
}

}  // namespace
}  // namespace corral::engine
